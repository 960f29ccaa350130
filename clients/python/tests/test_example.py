import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "iris_plots.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_iris_example_writes_both_plots(server, tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLE), "--target", server.target, "--out-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for name in ("iris_waterfall.png", "iris_beeswarm.png"):
        png = (tmp_path / name).read_bytes()
        assert png.startswith(PNG_SIGNATURE) and len(png) > 5000, name
