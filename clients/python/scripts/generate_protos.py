"""Generates prism_client's gRPC stubs from the repository's proto/ folder.

    python clients/python/scripts/generate_protos.py [--out DIR]

Writes src/prism_client/_proto (or DIR): the *_pb2.py, *_pb2_grpc.py and *_pb2.pyi modules of
proto/prism/v1/*.proto. protoc writes imports of the top-level package `prism.v1`; they are
rewritten to `prism_client._proto.prism.v1` so that the client installs no top-level package of
its own. The files are committed and tests/test_generated.py fails when they are stale.
"""

import argparse
import importlib.metadata
import re
import sys
import tempfile
from pathlib import Path

# The runtime ranges in pyproject.toml (protobuf >= 6.31.1, grpcio >= 1.75.1) hold for this version's output.
GRPCIO_TOOLS_VERSION = "1.75.1"

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = PACKAGE_ROOT.parent.parent / "proto"
DEFAULT_OUT = PACKAGE_ROOT / "src" / "prism_client" / "_proto"
IMPORT = re.compile(r"^from prism\.v1 import ", re.MULTILINE)


def generate(out: Path) -> list[Path]:
    """Writes the stubs under `out` and returns the files written, relative to it."""
    protos = sorted(PROTO_ROOT.glob("prism/v1/*.proto"))
    if not protos:
        sys.exit(f"generate_protos: no proto/prism/v1/*.proto under {PROTO_ROOT}; run this from a Prism checkout")
    try:
        installed = importlib.metadata.version("grpcio-tools")
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"generate_protos: needs grpcio-tools=={GRPCIO_TOOLS_VERSION} (pip install it)")
    if installed != GRPCIO_TOOLS_VERSION:
        sys.exit(f"generate_protos: needs grpcio-tools=={GRPCIO_TOOLS_VERSION}, found {installed}: the committed"
                 " stubs and the runtime ranges in pyproject.toml are made for that version")
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory() as raw:
        # The well-known types (google/protobuf/duration.proto) ship inside grpc_tools.
        well_known = Path(protoc.__file__).parent / "_proto"
        args = ["protoc", f"-I{PROTO_ROOT}", f"-I{well_known}", f"--python_out={raw}", f"--pyi_out={raw}",
                f"--grpc_python_out={raw}"]
        if protoc.main(args + [str(p) for p in protos]) != 0:
            sys.exit("generate_protos: protoc failed")
        written = []
        for source in sorted(Path(raw).rglob("*.py*")):
            relative = source.relative_to(raw)
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(IMPORT.sub("from prism_client._proto.prism.v1 import ", source.read_text()))
            written.append(relative)
    for package in (Path("."), Path("prism"), Path("prism/v1")):
        (out / package / "__init__.py").write_text("")
        written.append(package / "__init__.py")
    return sorted(written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: the package's _proto)")
    out = parser.parse_args().out
    for path in generate(out):
        print(out / path)


if __name__ == "__main__":
    main()
