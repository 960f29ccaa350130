"""A Spark DataFrame explained partition by partition against two live replicas."""

import contextlib
import json
import os
import sys
import urllib.request

import numpy as np
import pytest
from helpers import IRIS_FEATURES, IRIS_OUTPUTS, start_prism

from prism_client import Client

pyspark_sql = pytest.importorskip("pyspark.sql")
pd = pytest.importorskip("pandas")

from prism_client.spark import (  # noqa: E402  (after the skip: the module needs pyspark)
    attribution_column,
    base_value_column,
    explain_dataframe,
    model_output_column,
)

ROWS = 300
CHUNK_ROWS = 40


@pytest.fixture(scope="module")
def replicas():
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(start_prism()) for _ in range(2)]


@pytest.fixture(scope="module")
def spark():
    # The workers' Python must be this one, which has prism_client installed. Spark's launcher
    # resolves the machine's own name unless told its address, and fails where that name is unknown.
    pinned = {"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
              "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_HOSTNAME": "localhost"}
    saved = {name: os.environ.get(name) for name in pinned}
    os.environ.update(pinned)
    session = (pyspark_sql.SparkSession.builder.master("local[2]").appName("prism-client-tests")
               # The UI on a free loopback port: the test reads the job's progress from it as a person would.
               .config("spark.ui.port", "0")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .getOrCreate())
    try:
        yield session
    finally:
        session.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _ui_rows_explained(spark):
    """The last SQL execution's MapInPandas "number of output rows", read from Spark UI's REST API."""
    context = spark.sparkContext
    url = f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}/sql?details=true&length=1000"
    with urllib.request.urlopen(url, timeout=30) as answer:
        executions = json.load(answer)
    for execution in sorted(executions, key=lambda e: e["id"], reverse=True):
        for node in execution.get("nodes", []):
            if node["nodeName"] == "MapInPandas":
                [rows] = [m["value"] for m in node["metrics"] if m["name"] == "number of output rows"]
                return int(rows.replace(",", ""))
    raise AssertionError(f"no MapInPandas node in Spark UI's SQL executions: {executions}")


def _iris_rows(server):
    """Rows near the iris background, each with a key that is not its position."""
    rng = np.random.default_rng(4)
    background = server.background("iris")
    X = background[rng.integers(0, len(background), ROWS)] + rng.normal(0.0, 0.1, (ROWS, background.shape[1]))
    frame = pd.DataFrame(X, columns=IRIS_FEATURES)
    frame.insert(0, "id", rng.permutation(ROWS).astype(np.int64) * 7 + 1000)
    return frame


def test_every_row_is_explained_once_over_both_replicas_as_a_direct_call_explains_it(replicas, spark):
    rows = _iris_rows(replicas[0])
    before = [s.explain_requests() for s in replicas]
    # A shuffle, so that each partition holds rows from all over the table.
    df = spark.createDataFrame(rows).repartition(2)

    job = explain_dataframe(df, "iris", [s.target for s in replicas], "exact_shapley", key_columns=["id"],
                            chunk_rows=CHUNK_ROWS, client_options={"timeout": 120})
    got = job.frame.toPandas()

    assert job.rows_explained.value == ROWS
    # Spark's UI shows the rows explained so far as MapInPandas' "number of output rows", an
    # accumulator the tasks update as they finish: at the end, every row.
    assert _ui_rows_explained(spark) == ROWS
    assert list(got.columns) == (["id"] + [attribution_column(f, o) for o in IRIS_OUTPUTS for f in IRIS_FEATURES]
                                 + [base_value_column(o) for o in IRIS_OUTPUTS]
                                 + [model_output_column(o) for o in IRIS_OUTPUTS])
    assert sorted(got["id"]) == sorted(rows["id"])  # every key once
    requests = [s.explain_requests() - b for s, b in zip(replicas, before)]
    assert all(r > 0 for r in requests), requests
    assert sum(requests) >= ROWS // CHUNK_ROWS

    with Client(replicas[0].target, timeout=120) as direct:
        expected = direct.explain("iris", rows[IRIS_FEATURES], "exact_shapley")
    got = got.set_index("id").loc[rows["id"]]
    for k, output in enumerate(IRIS_OUTPUTS):
        for j, feature in enumerate(IRIS_FEATURES):
            np.testing.assert_array_equal(got[attribution_column(feature, output)].to_numpy(),
                                          expected.values[:, j, k])
        np.testing.assert_array_equal(got[base_value_column(output)].to_numpy(), expected.base_values[:, k])
        np.testing.assert_array_equal(got[model_output_column(output)].to_numpy(), expected.model_outputs[:, k])


def test_renamed_feature_columns_one_output_and_bad_columns(replicas, spark):
    rows = _iris_rows(replicas[0]).head(12)
    renamed = rows.rename(columns={f: f"x{i}" for i, f in enumerate(IRIS_FEATURES)})
    df = spark.createDataFrame(renamed)
    target = replicas[1].target

    job = explain_dataframe(df, "iris", target, "exact_shapley", feature_columns=["x0", "x1", "x2", "x3"],
                            key_columns=["id", "x0"], outputs="virginica")
    got = job.frame.toPandas().set_index("id").loc[rows["id"]]
    assert list(got.columns) == (["x0"] + [attribution_column(f, "virginica") for f in IRIS_FEATURES]
                                 + [base_value_column("virginica"), model_output_column("virginica")])
    np.testing.assert_array_equal(got["x0"].to_numpy(), rows["sepal_length"].to_numpy())
    with Client(target, timeout=120) as direct:
        expected = direct.explain("iris", rows[IRIS_FEATURES], "exact_shapley", outputs="virginica")
    for j, feature in enumerate(IRIS_FEATURES):
        np.testing.assert_array_equal(got[attribution_column(feature, "virginica")].to_numpy(),
                                      expected.values[:, j, 0])
    assert job.rows_explained.value == 12

    with pytest.raises(ValueError, match="no column 'sepal_length'"):
        explain_dataframe(df, "iris", target, key_columns=["id"])
    with pytest.raises(ValueError, match="feature_columns names 3 columns"):
        explain_dataframe(df, "iris", target, feature_columns=["x0", "x1", "x2"])
    with pytest.raises(ValueError, match="no output"):
        explain_dataframe(df, "iris", target, feature_columns=["x0", "x1", "x2", "x3"], outputs="rose")
    clash = df.withColumnRenamed("id", base_value_column("setosa"))
    with pytest.raises(ValueError, match="clash"):
        explain_dataframe(clash, "iris", target, feature_columns=["x0", "x1", "x2", "x3"],
                          key_columns=[base_value_column("setosa")])


def test_without_pyspark_the_error_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if pyspark were not installed
    with pytest.raises(ImportError, match=r"pip install 'prism-client\[spark\]'"):
        explain_dataframe(None, "iris", "127.0.0.1:1")
