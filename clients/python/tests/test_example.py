import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_iris_example_writes_both_plots(server, tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "iris_plots.py"), "--target", server.target,
                          "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for name in ("iris_waterfall.png", "iris_beeswarm.png"):
        png = (tmp_path / name).read_bytes()
        assert png.startswith(PNG_SIGNATURE) and len(png) > 5000, name


def test_the_tree_example_explains_every_test_row_exactly_and_draws_the_beeswarm(server, tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "breast_cancer_trees.py"), "--target", server.target,
                          "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    summary = run.stdout.splitlines()[0]
    assert summary.startswith("143 rows explained by tree_shap; largest additivity gap "), run.stdout
    assert float(summary.rsplit(" ", 1)[1]) < 1e-9, summary
    png = (tmp_path / "breast_cancer_xgb_beeswarm.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000


def test_the_evaluation_example_draws_the_curves_of_a_faithful_explanation(server, tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "plot_evaluation.py"), "--target", server.target,
                          "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    summary = run.stdout.splitlines()[0]
    # The numbers the README quotes: seeded, so every run gives them.
    assert summary.startswith("P(malignant) 0.879, background mean 0.364; deletion area 0.282, "
                              "insertion area 0.661; 20 of 30 features"), summary
    png = (tmp_path / "evaluation_deletion_curve.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE) and 5000 < len(png) < 150_000
