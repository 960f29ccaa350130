import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
COMMITTED = PACKAGE / "src" / "prism_client" / "_proto"


def test_the_committed_stubs_match_the_protos(tmp_path):
    subprocess.run([sys.executable, str(PACKAGE / "scripts" / "generate_protos.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, text=True)
    fresh = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(COMMITTED) for p in COMMITTED.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert fresh == committed, "stub files differ: run scripts/generate_protos.py"
    stale = sorted(str(p) for p in fresh if (tmp_path / p).read_bytes() != (COMMITTED / p).read_bytes())
    assert not stale, f"stale stubs {stale}: run python clients/python/scripts/generate_protos.py"
