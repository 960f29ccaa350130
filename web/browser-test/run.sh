#!/usr/bin/env bash
# Prism's page in a real browser: Debian's chromium, driven by Playwright, against a live Prism that
# the tests start (PRISM_JAR, built with the page, with the models in PRISM_MODELS). Playwright gets
# a virtual environment of its own under target/, with the versions of requirements.txt; it never
# downloads a browser. Screenshots, one per test, and the server's log go to target/browser-test/.
#   web/browser-test/run.sh [unittest arguments, e.g. test_page.PageTest.test_iris_plots_the_answer]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${PRISM_JAR:=$root/target/prism.jar}"
: "${PRISM_MODELS:=$root/models}"
: "${PRISM_CHROMIUM:=/usr/bin/chromium}"
: "${PRISM_BROWSER_TEST_OUT:=$root/target/browser-test}"
export PRISM_JAR PRISM_MODELS PRISM_CHROMIUM PRISM_BROWSER_TEST_OUT
python="${PRISM_PYTHON:-python3.11}"
venv="$root/target/browser-test-venv"

if [[ ! -x "$PRISM_CHROMIUM" ]]; then
  if [[ "$(id -u)" == 0 && "$PRISM_CHROMIUM" == /usr/bin/chromium ]]; then
    echo "browser-test: installing Debian's chromium..." >&2
    apt-get install -y -q chromium >&2 || { apt-get update -q >&2 && apt-get install -y -q chromium >&2; }
  else
    echo "browser-test: no chromium at $PRISM_CHROMIUM; install Debian's: sudo apt-get install -y chromium" >&2
    exit 2
  fi
fi

stamp="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1) $("$python" --version 2>&1)"
if [[ ! -f "$venv/.stamp" || "$(cat "$venv/.stamp")" != "$stamp" ]]; then
  echo "browser-test: installing Playwright into $venv..." >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
  echo "$stamp" > "$venv/.stamp"
fi
mkdir -p "$PRISM_BROWSER_TEST_OUT"
cd "$here"
PYTHONDONTWRITEBYTECODE=1 exec "$venv/bin/python" -m unittest -v "${@:-test_page}"
