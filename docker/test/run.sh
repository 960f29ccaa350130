#!/usr/bin/env bash
# Runs docker/test/deployment_test.py: a real Prometheus, from Debian's prometheus package, scrapes a
# live Prism with the compose scrape config and answers every query of the Grafana dashboard; the
# Dockerfile's health check runs against that Prism, and the compose file and build context are read
# as Docker reads them; deploy/kubernetes/check.sh validates the Kubernetes manifests, and the
# autoscalers' query runs against the same Prometheus.
#   PRISM_JAR     the server jar (default: <repo>/target/prism.jar)
#   PRISM_MODELS  the model repository (default: <repo>/models)
# The package is unpacked with dpkg -x under target/, so nothing is installed and no service starts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PRISM_JAR="${PRISM_JAR:-$root/target/prism.jar}"
export PRISM_MODELS="${PRISM_MODELS:-$root/models}"
if [[ ! -f "$PRISM_JAR" ]]; then
  echo "docker/test: no Prism jar at $PRISM_JAR; build it with mvn -B -DskipTests package, or set PRISM_JAR" >&2
  exit 1
fi

cache="$root/target/prometheus-deb"
unpacked="$cache/root"

fetch_prometheus() {
  for tool in apt-get dpkg; do
    if ! command -v "$tool" >/dev/null; then
      echo "docker/test: $tool is needed to fetch Debian's prometheus package (a Debian or Ubuntu machine)" >&2
      exit 1
    fi
  done
  local download="$cache/download"
  rm -rf "$cache" && mkdir -p "$download"
  # apt's own download user could not write here; fetch as whoever runs the test.
  local apt=(apt-get -q -o "APT::Sandbox::User=$(id -un)")
  if ! (cd "$download" && "${apt[@]}" download prometheus >&2); then
    echo "docker/test: prometheus is not in this machine's package lists; reading them into $cache/lists" >&2
    mkdir -p "$cache/lists/partial" "$cache/apt-cache/archives/partial"
    apt+=(-o "Dir::State::Lists=$cache/lists" -o "Dir::Cache=$cache/apt-cache" -o Debug::NoLocking=1)
    "${apt[@]}" update >&2
    (cd "$download" && "${apt[@]}" download prometheus >&2)
  fi
  dpkg -x "$download"/prometheus_*.deb "$unpacked"
  rm -rf "$download" "$cache/lists" "$cache/apt-cache"
}

if [[ ! -x "$unpacked/usr/bin/prometheus" || ! -x "$unpacked/usr/bin/promtool" ]]; then
  fetch_prometheus
fi
export PROMETHEUS_BIN="$unpacked/usr/bin/prometheus"
export PROMTOOL_BIN="$unpacked/usr/bin/promtool"

# compose-go and Docker's .dockerignore matcher, to check the compose file and the build context.
export BUILDCHECK_BIN="$root/target/buildcheck"
(cd "$root/docker/test/buildcheck" && go build -o "$BUILDCHECK_BIN" .)
# The Kubernetes manifests: rendered and validated offline; the test reads the rendered overlays, with
# the check's Python (PyYAML).
"$root/deploy/kubernetes/check.sh"
export KUBERNETES_RENDERED="$root/target/kubernetes/rendered"
exec "$root/target/kubernetes/venv/bin/python" "$root/docker/test/deployment_test.py"
