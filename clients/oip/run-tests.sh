#!/usr/bin/env bash
# The Open Inference Protocol as KServe's own Python client speaks it, against a live Prism
# (PRISM_JAR, with the models in PRISM_MODELS), and Prism explaining models that KServe's model
# server (onnx_backend.py) serves. kserve pins its own pandas and grpcio-tools, so it
# gets a virtual environment of its own, under target/, with the versions of requirements.txt.
#   clients/oip/run-tests.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${PRISM_JAR:=$root/target/prism.jar}"
: "${PRISM_MODELS:=$root/models}"
export PRISM_JAR PRISM_MODELS
python="${PRISM_PYTHON:-python3.11}"
venv="$root/target/oip-venv"
stamp="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -f "$venv/.stamp" || "$(cat "$venv/.stamp")" != "$stamp" ]]; then
  echo "oip: installing the kserve client into $venv..." >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
  echo "$stamp" > "$venv/.stamp"
fi
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m unittest -v "$here/test_kserve_client.py" "$here/test_remote_backend.py"
