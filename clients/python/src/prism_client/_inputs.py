"""Instances (numpy arrays or pandas DataFrames) checked and shaped for a model's input."""

from typing import Any

import numpy as np

from .models import ModelInfo


def _is_pandas(value: Any, kind: str) -> bool:
    # Checked by name so that pandas is imported only by callers who pass pandas objects.
    return type(value).__module__.split(".")[0] == "pandas" and type(value).__name__ == kind


def instances(x: Any, model: ModelInfo, what: str = "X") -> np.ndarray:
    """`x` as [instances, *instance shape] float64, columns in the model's feature order.

    `x` is one instance or a batch: a numpy array (shaped like the model's input, or as rows of
    features), a pandas DataFrame whose columns are the model's feature names in any order, or a
    pandas Series indexed by them. Values the model's input cannot hold (NaN, infinities, numbers
    beyond a float32 input's range) are refused naming the first one's row and column.
    """
    labels = None
    if _is_pandas(x, "Series"):
        x = x.to_frame().T
    if _is_pandas(x, "DataFrame"):
        rows = _columns_in_model_order(x, model, what)
        labels = x.index
    else:
        rows = _array(x, what)
    batch = _shaped(rows, model, what)
    _check_values(batch.reshape(batch.shape[0], -1), model, what, labels)
    return batch


def index(x: Any) -> Any:
    """The pandas index of a DataFrame's rows, or of a Series as one row (its name); None otherwise."""
    if _is_pandas(x, "Series"):
        return x.to_frame().T.index
    if _is_pandas(x, "DataFrame"):
        return x.index
    return None


def _check_values(rows: np.ndarray, model: ModelInfo, what: str, labels: Any) -> None:
    """Refuses values the model's input cannot hold, naming the first one by row (or index label)
    and column (feature name), as a user finds it in their data."""
    # A tree ensemble takes NaN as a missing value; infinities stay refused everywhere.
    not_finite = np.isinf(rows) if model.trees is not None else ~np.isfinite(rows)
    too_large = np.zeros_like(not_finite)
    if model.input.dtype == "float32":
        with np.errstate(over="ignore"):
            too_large = np.isinf(rows.astype(np.float32)) & ~not_finite
    bad = not_finite | too_large
    count = int(bad.sum())
    if count == 0:
        return
    i, j = (int(k) for k in np.argwhere(bad)[0])
    row = f"row {i}" if labels is None else f"index label {labels[i]!r} (row {i})"
    column = (f"column {model.feature_names[j]!r}" if len(model.feature_names) == rows.shape[1]
              else f"element {j}")
    why = ("beyond the range of the model's float32 input" if too_large[i, j]
           else "infinite values cannot be explained" if model.trees is not None
           else "NaN and infinite values cannot be explained")
    others = f" ({count - 1} more such value{'s' if count > 2 else ''} in {what})" if count > 1 else ""
    raise ValueError(f"{what} at {row}, {column} is {rows[i, j]:g}: {why}{others}")


def _columns_in_model_order(frame: Any, model: ModelInfo, what: str) -> np.ndarray:
    columns = [str(c) for c in frame.columns]
    expected = list(model.feature_names)
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    missing = [f for f in expected if f not in columns]
    unexpected = [c for c in columns if c not in expected]
    if duplicated or missing or unexpected:
        problems = []
        if missing:
            problems.append(f"missing {missing}")
        if unexpected:
            problems.append(f"unexpected {unexpected}")
        if duplicated:
            problems.append(f"duplicated {duplicated}")
        raise ValueError(f"{what}'s columns do not match model '{model.name}': {', '.join(problems)}; "
                         f"its features are {expected}")
    by_name = frame.set_axis(columns, axis=1)
    return _array(by_name[expected].to_numpy(), what)


def _array(x: Any, what: str) -> np.ndarray:
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must hold numbers, got an array of dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def _shaped(array: np.ndarray, model: ModelInfo, what: str) -> np.ndarray:
    shape = model.instance_shape
    size = model.instance_size
    if array.shape == shape or (array.ndim == 1 and array.size == size):
        batch = array.reshape((1, *shape))
    elif array.shape[1:] == shape or (array.ndim == 2 and array.shape[1] == size):
        batch = array.reshape((array.shape[0], *shape))
    else:
        raise ValueError(f"{what} has shape {array.shape}; model '{model.name}' takes instances of shape "
                         f"{shape} ({size} features): give one instance or [n, {', '.join(map(str, shape))}]"
                         + (f" or [n, {size}]" if len(shape) > 1 else ""))
    if batch.shape[0] == 0:
        raise ValueError(f"{what} has no instances")
    return batch
