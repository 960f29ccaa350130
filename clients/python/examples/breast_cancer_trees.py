"""Explains the bundled XGBoost classifier over every breast cancer test row with tree_shap and
draws shap's beeswarm (summary) plot of the result.

    python examples/breast_cancer_trees.py --target localhost:50051 --out-dir examples

shap's own first example (`shap.TreeExplainer(model)` and `shap.summary_plot` on the native model),
through Prism and its ONNX file: tree_shap reads the trees of models/breast_cancer_xgb and gives the
exact interventional Shapley values of its margin (the log-odds of benign) against the model's 100
background rows (shap's `TreeExplainer(model, data=background)`; without data shap weighs paths by
the training covers instead), for the 143 test rows of the split the model was trained on
(scikit-learn's train_test_split with random_state=0). Writes breast_cancer_xgb_beeswarm.png. Needs
prism-client[shap] (shap brings scikit-learn, whose bundled copy of the data set is used here).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shap  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from prism_client import Client  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="localhost:50051", help="Prism's host:port (default localhost:50051)")
    parser.add_argument("--out-dir", type=Path, default=Path("."), help="where the PNG goes (default: here)")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    data = load_breast_cancer(as_frame=True)
    # scikit-learn names the columns "mean radius"; the model's features are mean_radius, ...
    # Values rounded to float32 first, as the model was trained on them.
    frame = data.data.rename(columns=lambda c: c.replace(" ", "_")).astype(np.float32)
    _, test_rows = train_test_split(frame, random_state=0)

    with Client(args.target, timeout=120) as prism:
        result = prism.explain("breast_cancer_xgb", test_rows, "tree_shap", outputs=["benign"])
    explanation = result.to_shap()
    # Exact: each row's values add up to its log-odds minus the background's mean log-odds.
    gap = np.abs(explanation.values.sum(axis=1) + explanation.base_values - result.model_outputs[:, 0]).max()
    print(f"{len(test_rows)} rows explained by {result.method}; largest additivity gap {gap:.1e}")

    shap.plots.beeswarm(explanation, max_display=12, show=False)
    plt.title(f"breast_cancer_xgb: tree_shap on the log-odds of benign, {len(test_rows)} test rows")
    plt.gcf().set_size_inches(8, 5)
    plt.tight_layout()
    path = args.out_dir / "breast_cancer_xgb_beeswarm.png"
    plt.savefig(path, dpi=72)
    plt.close("all")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
