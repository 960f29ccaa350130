"""The wheel pip installs: its licence travels with it, as PEP 639 says."""

import subprocess
import sys
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
REPOSITORY_LICENSE = PACKAGE.parents[1] / "LICENSE"


def test_the_wheel_carries_the_apache_license(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(PACKAGE)],
                   check=True, capture_output=True, text=True)
    [wheel] = tmp_path.glob("prism_client-*.whl")
    with zipfile.ZipFile(wheel) as w:
        [metadata] = [n for n in w.namelist() if n.endswith(".dist-info/METADATA")]
        # The headers end at the first blank line; the README follows as the description.
        headers = w.read(metadata).decode().split("\n\n", 1)[0].splitlines()
        assert "License-Expression: Apache-2.0" in headers
        assert "License-File: LICENSE" in headers
        dist_info = metadata.rsplit("/", 1)[0]
        assert w.read(f"{dist_info}/licenses/LICENSE") == REPOSITORY_LICENSE.read_bytes()
