"""Explains iris flowers with a running Prism server and draws shap plots of the result.

    python examples/iris_plots.py --target localhost:50051 --out-dir examples

Writes iris_waterfall.png (one flower: how each measurement moves the predicted class's
probability away from the average) and iris_beeswarm.png (50 flowers: every measurement's
effect on the virginica probability). Needs prism-client[shap] (shap brings scikit-learn,
whose bundled copy of the iris data set is used here).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shap  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402

from prism_client import Client  # noqa: E402


def save(path: Path) -> None:
    plt.gcf().set_size_inches(7, 3.6)
    plt.tight_layout()
    plt.savefig(path, dpi=72)
    plt.close("all")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="localhost:50051", help="Prism's host:port (default localhost:50051)")
    parser.add_argument("--out-dir", type=Path, default=Path("."), help="where the PNGs go (default: here)")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    iris = load_iris(as_frame=True)
    # scikit-learn names the columns "sepal length (cm)"; the model's features are sepal_length, ...
    flowers = iris.data.rename(columns=lambda c: c.removesuffix(" (cm)").replace(" ", "_"))
    batch = flowers.sample(50, random_state=0)

    with Client(args.target, timeout=120) as prism:
        one = prism.explain("iris", flowers.iloc[[120]], "exact_shapley")
        predicted = one.output_names[int(np.argmax(one.model_outputs[0]))]
        shap.plots.waterfall(one.to_shap(output=predicted)[0], show=False)
        plt.title(f"iris: why {predicted}")
        save(args.out_dir / "iris_waterfall.png")

        many = prism.explain("iris", batch, "exact_shapley", outputs=["virginica"])
        shap.plots.beeswarm(many.to_shap(), show=False)
        plt.title("iris: effects on P(virginica), 50 flowers")
        save(args.out_dir / "iris_beeswarm.png")


if __name__ == "__main__":
    main()
