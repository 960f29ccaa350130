#!/usr/bin/env bash
# Runs the Python client's tests against a Prism server they start themselves.
#   clients/python/run-tests.sh [pytest arguments...]
# PRISM_JAR: the server jar (default <repo>/target/prism.jar; build it with mvn -DskipTests package).
# PRISM_MODELS: the model repository (default <repo>/models).
# PRISM_PY_VENV: the virtual environment (default clients/python/.venv-test), made with
#   PRISM_PYTHON (default python3.11) and remade only when pyproject.toml or requirements-test.txt change.
# The exit status is pytest's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${PRISM_PY_VENV:-$here/.venv-test}"
python="${PRISM_PYTHON:-python3.11}"
pip=(--disable-pip-version-check --quiet)

stamp="$(cat "$here/pyproject.toml" "$here/requirements-test.txt" | sha256sum | cut -d' ' -f1) $("$python" --version 2>&1)"
if [[ "$(cat "$venv/.prism-test-env" 2>/dev/null)" != "$stamp" ]]; then
  if [[ -e "$venv" && ! -f "$venv/.prism-test-env" ]]; then
    echo "run-tests: $venv exists and was not made by this script; remove it or set PRISM_PY_VENV" >&2
    exit 2
  fi
  echo "run-tests: installing the test environment into $venv..." >&2
  "$python" -m venv --clear "$venv"
  # requirements-test.txt pins every distribution, the package's dependencies included.
  "$venv/bin/pip" install "${pip[@]}" -c "$here/requirements-test.txt" setuptools "$here[test,pandas,shap,progress,spark]"
  echo "$stamp" > "$venv/.prism-test-env"
else
  # The dependencies are in place: reinstall only the package, offline, so the tests see the current sources.
  "$venv/bin/pip" install "${pip[@]}" --no-deps --no-build-isolation --force-reinstall "$here"
fi

export PRISM_JAR="${PRISM_JAR:-$root/target/prism.jar}"
export PRISM_MODELS="${PRISM_MODELS:-$root/models}"
cd "$here"
exec "$venv/bin/python" -m pytest "$@"
