"""Explaining a Spark DataFrame: each partition calls Prism from its executor with `mapInPandas`.

    from prism_client.spark import explain_dataframe

    job = explain_dataframe(df, "iris", "dns:///prism-headless.ml.svc.cluster.local:8001",
                            "exact_shapley", key_columns=["id"], chunk_rows=500)
    job.frame.write.parquet("attributions.parquet")
    job.rows_explained.value

pyspark is an optional dependency (pip install 'prism-client[spark]'), imported only here.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .client import Client
from .results import ExplainResult


class SparkExplanation(NamedTuple):
    """What `explain_dataframe` gives: the lazy result and its progress counter."""

    #: Key columns, then one attribution column per (feature, output), then base values and model outputs.
    frame: Any
    #: A Spark accumulator of the rows explained, read on the driver as `.value`. It counts each
    #: computation of `frame`: an action that runs the plan twice (or a retried task) counts rows
    #: again, so cache or write the frame once.
    rows_explained: Any


def attribution_column(feature: str, output: str) -> str:
    """The name of the column holding `feature`'s attribution to `output`."""
    return f"{feature}__{output}"


def base_value_column(output: str) -> str:
    return f"base_value__{output}"


def model_output_column(output: str) -> str:
    return f"model_output__{output}"


def explain_dataframe(df: Any, model: str, targets: str | Sequence[str], method: str = "exact_shapley", *,
                      feature_columns: Sequence[str] | None = None, key_columns: Sequence[str] = (),
                      chunk_rows: int | None = None, client_options: Mapping[str, Any] | None = None,
                      **explain_args: Any) -> SparkExplanation:
    """Explains every row of the Spark DataFrame `df` with Prism, partition by partition.

    Each partition opens a `Client` on `targets` (one or several, or a name that resolves to a
    fleet) and explains its rows in order, one `explain` call per Arrow batch of the partition
    (`spark.sql.execution.arrow.maxRecordsPerBatch` rows at most); with `chunk_rows` the batch is
    split into chunks spread over the targets, and a chunk refused as UNAVAILABLE is sent to
    another one. The output schema is fixed on the driver from the model's names (one call to
    `Client.model`), so the returned frame is lazy: nothing is explained until an action runs.

    Args:
        df: the rows to explain.
        model, method, **explain_args: as `Client.explain` takes them (e.g. seed=0, nsamples=512,
            outputs=["setosa"]); the values travel to the executors, so they must pickle.
        feature_columns: the columns of the model's features, in the model's feature order
            (default: the model's feature names).
        key_columns: columns copied to the output beside each row's attributions, e.g. an id.
        chunk_rows: split each batch into requests of this many rows (see `Client.explain`).
        client_options: keyword arguments of `Client` on the driver and the executors (timeout=,
            metadata=, root_certificates= as bytes or a path, ...); they must pickle, so pass PEM
            data rather than `credentials=`.

    Returns:
        `SparkExplanation(frame, rows_explained)`. `frame` has the key columns, then
        `attribution_column(feature, output)` for each output and feature, then
        `base_value_column(output)` and `model_output_column(output)` for each output, as doubles.
    """
    types = _pyspark_types()
    if "feature_groups" in explain_args:
        raise ValueError("explain_dataframe gives one column per feature: feature_groups= is not supported")
    options = dict(client_options or {})
    with Client(targets, **options) as prism:
        info = prism.model(model)
    features = list(info.feature_names)
    columns = list(feature_columns) if feature_columns is not None else features
    if len(columns) != len(features):
        raise ValueError(f"feature_columns names {len(columns)} columns; model '{model}' has {len(features)} "
                         f"features: {features}")
    keys = list(key_columns)
    missing = [c for c in columns + keys if c not in df.columns]
    if missing:
        raise ValueError(f"the DataFrame has no column {', '.join(repr(c) for c in missing)}; "
                         f"its columns are {df.columns}")
    outputs = _explained_outputs(explain_args.get("outputs"), list(info.output_names))
    value_columns = ([attribution_column(f, o) for o in outputs for f in features]
                     + [base_value_column(o) for o in outputs] + [model_output_column(o) for o in outputs])
    clashes = sorted(set(keys) & set(value_columns))
    if clashes:
        raise ValueError(f"key columns {clashes} clash with the attribution columns; rename them first")
    schema = types.StructType([df.schema[k] for k in keys]
                              + [types.StructField(c, types.DoubleType(), False) for c in value_columns])
    rows_explained = df.sparkSession.sparkContext.accumulator(0)

    def explain_partition(batches: Iterator[Any]) -> Iterator[Any]:
        prism = None
        try:
            for batch in batches:
                if len(batch) == 0:
                    continue
                if prism is None:  # one client per partition, opened on its executor
                    prism = Client(targets, **options)
                X = batch[columns].to_numpy(dtype=np.float64)
                result = prism.explain(model, X, method, chunk_rows=chunk_rows, **explain_args)
                rows_explained.add(len(batch))
                yield _frame(batch[keys], result, value_columns)
        finally:
            if prism is not None:
                prism.close()

    return SparkExplanation(df.mapInPandas(explain_partition, schema), rows_explained)


def _frame(keys: Any, result: ExplainResult, value_columns: list[str]) -> Any:
    """The batch's keys and the result's numbers as one pandas DataFrame, columns as the schema's."""
    import pandas as pd

    data = {}
    for k, output in enumerate(result.output_names):
        for j, feature in enumerate(result.feature_names):
            data[attribution_column(feature, output)] = result.values[:, j, k]
        data[base_value_column(output)] = result.base_values[:, k]
        data[model_output_column(output)] = result.model_outputs[:, k]
    values = pd.DataFrame(data, index=keys.index)
    return pd.concat([keys, values[value_columns]], axis=1)


def _explained_outputs(outputs: str | Sequence[str] | None, names: list[str]) -> list[str]:
    if outputs is None:
        return names
    chosen = [outputs] if isinstance(outputs, str) else [str(o) for o in outputs]
    unknown = [o for o in chosen if o not in names]
    if unknown:
        raise ValueError(f"no output {unknown} in the model; its outputs are {names}")
    return chosen


def _pyspark_types() -> Any:
    try:
        from pyspark.sql import types
    except ImportError as e:
        raise ImportError("prism_client.spark needs pyspark: pip install 'prism-client[spark]'") from e
    return types
