"""ExplainResult.to_frame(): attributions as a DataFrame indexed like the input."""

import numpy as np
import pandas as pd
import pytest
from helpers import IRIS_FEATURES, IRIS_OUTPUTS, SETOSA, VERSICOLOR, VIRGINICA

FLOWERS = np.array([SETOSA, VERSICOLOR, VIRGINICA])


@pytest.fixture(scope="module")
def frame():
    """The three flowers under an index of their own, columns in another order than the model's."""
    return pd.DataFrame(FLOWERS, columns=IRIS_FEATURES, index=pd.Index([101, 57, 7], name="plant"))[IRIS_FEATURES[::-1]]


def test_one_output_keeps_the_input_index(client, frame):
    result = client.explain("iris", frame, "exact_shapley")
    virginica = result.to_frame(output="virginica")
    pd.testing.assert_index_equal(virginica.index, frame.index)
    assert list(virginica.columns) == IRIS_FEATURES
    np.testing.assert_array_equal(virginica.to_numpy(), result.values[:, :, 2])
    pd.testing.assert_frame_equal(result.to_frame(output=2), virginica)


def test_every_output_has_output_and_feature_columns(client, frame):
    result = client.explain("iris", frame, "exact_shapley")
    every = result.to_frame()
    assert every.shape == (3, 12)
    assert list(every.columns.names) == ["output", "feature"]
    assert list(every.columns.get_level_values("output").unique()) == IRIS_OUTPUTS
    for k, output in enumerate(IRIS_OUTPUTS):
        np.testing.assert_array_equal(every[output].to_numpy(), result.values[:, :, k])
    assert every.loc[57, ("versicolor", "petal_length")] == result.values[1, 2, 1]


def test_a_series_keeps_its_name_and_an_array_is_numbered(client, frame):
    one = client.explain("iris", frame.loc[57], "exact_shapley", outputs=["versicolor"])
    assert list(one.to_frame().index) == [57]
    numbered = client.explain("iris", FLOWERS, "exact_shapley").to_frame(output="setosa")
    pd.testing.assert_index_equal(numbered.index, pd.RangeIndex(3))
