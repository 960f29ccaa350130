"""Explains one breast cancer case with a running Prism server, asks it how faithful and how
readable the explanation is, and draws the deletion and insertion curves.

    python examples/plot_evaluation.py --target localhost:50051 --out-dir ../../docs

kernel_shap explains the bundled breast_cancer model's probability of malignant for case 73 of
scikit-learn's copy of the data set (malignant, at 0.88). The server then removes the 30 features one
at a time in decreasing order of their attribution, each taking the values of the model's 100
background rows (the deletion curve), and puts them back onto the background in the same order (the
insertion curve). Prints the areas and the complexity, and writes evaluation_deletion_curve.png.
Needs prism-client[shap] (for scikit-learn's data set) or [plot] with scikit-learn.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402

from prism_client import Client  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="localhost:50051", help="Prism's host:port (default localhost:50051)")
    parser.add_argument("--out-dir", type=Path, default=Path("."), help="where the PNG goes (default: here)")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    data = load_breast_cancer(as_frame=True)
    # scikit-learn names the columns "mean radius"; the model's features are mean_radius, ...
    case = data.data.rename(columns=lambda c: c.replace(" ", "_")).iloc[[73]]

    with Client(args.target, timeout=120) as prism:
        result = prism.explain("breast_cancer", case, "kernel_shap", outputs="malignant", seed=0,
                               evaluate={"deletion": {"steps": 0}, "complexity": {}})
    evaluation = result.evaluation
    print(f"P(malignant) {result.model_outputs[0, 0]:.3f}, background mean {result.base_values[0, 0]:.3f}; "
          f"deletion area {evaluation.deletion.area[0, 0]:.3f}, insertion area {evaluation.insertion.area[0, 0]:.3f}; "
          f"{evaluation.effective_features[0, 0]} of {len(result.feature_names)} features hold 90% of sum |phi|, "
          f"entropy {evaluation.entropy[0, 0]:.2f} nats (uniform: {np.log(len(result.feature_names)):.2f})")

    ax = result.plot_deletion_curve()
    ax.set_title("breast_cancer, kernel_shap: P(malignant) as features are removed / inserted")
    ax.figure.set_size_inches(7, 3.8)
    ax.figure.tight_layout()
    path = args.out_dir / "evaluation_deletion_curve.png"
    ax.figure.savefig(path, dpi=72)
    plt.close("all")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
