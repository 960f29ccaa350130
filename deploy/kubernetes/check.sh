#!/usr/bin/env bash
# Renders every overlay of deploy/kubernetes and validates the manifests strictly and offline:
#   1. kustomize renders each overlays/* into target/kubernetes/rendered/<overlay>.yaml;
#   2. check_manifests.py validates every built-in kind with kubernetes-validate's schemas for
#      Kubernetes $KUBERNETES_VERSION in strict mode, KEDA's ScaledObject with the schema of KEDA's own
#      CRD (made strict) and its prometheus trigger's fields, and checks that each overlay's pieces
#      agree (selectors, ports, probes, ConfigMap variables, one autoscaler, the query's namespace,
#      the termination grace period against the drain);
#   3. that the checks can fail: copies of deploy/kubernetes with one planted error each must be
#      refused with the expected message.
# kustomize is built once from the Go module proxy with `go install` into target/kustomize/<version>/;
# KEDA's CRD comes from its Go module (go mod download); the Python packages, pinned in
# requirements.txt, go into target/kubernetes/venv, remade when requirements.txt changes.
#   deploy/kubernetes/check.sh
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.1
KEDA_VERSION=v2.18.3
KUBERNETES_VERSION=1.32.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/kubernetes"

fail() {
  echo "deploy/kubernetes/check: $*" >&2
  exit 1
}

command -v go >/dev/null || fail "Go is needed to build kustomize $KUSTOMIZE_VERSION and fetch KEDA's CRD"
kustomize="$root/target/kustomize/$KUSTOMIZE_VERSION/kustomize"
if [[ ! -x "$kustomize" ]]; then
  echo "deploy/kubernetes/check: building kustomize $KUSTOMIZE_VERSION into $(dirname "$kustomize") (once)" >&2
  GOBIN="$(dirname "$kustomize")" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi
keda_dir="$(go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
crd="$keda_dir/config/crd/bases/keda.sh_scaledobjects.yaml"
[[ -f "$crd" ]] || fail "KEDA $KEDA_VERSION has no $crd"

venv="$out/venv"
stamp="$(sha256sum < "$here/requirements.txt" | cut -d' ' -f1) $(python3 --version 2>&1)"
if [[ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]]; then
  echo "deploy/kubernetes/check: installing kubernetes-validate into $venv" >&2
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --disable-pip-version-check --quiet -r "$here/requirements.txt"
  echo "$stamp" > "$venv/.stamp"
fi

# render DIR OUTDIR: every overlay of the deploy/kubernetes at DIR, one file each.
render() {
  local overlay
  mkdir -p "$2"
  for overlay in "$1"/overlays/*/; do
    "$kustomize" build "$overlay" > "$2/$(basename "$overlay").yaml"
  done
}

check() {
  "$venv/bin/python" "$here/check_manifests.py" "$KUBERNETES_VERSION" "$crd" "$@"
}

rm -rf "$out/rendered"
render "$here" "$out/rendered"
overlays=("$out"/rendered/*.yaml)
check "${overlays[@]}" || fail "the manifests above are refused"
echo "deploy/kubernetes/check: ${#overlays[@]} overlays valid for Kubernetes $KUBERNETES_VERSION and KEDA $KEDA_VERSION: $(basename -a -s .yaml "${overlays[@]}" | paste -sd " ")"

# plant NAME FILE SED_SCRIPT EXPECTED [OVERLAY]: a copy with FILE edited by SED_SCRIPT must be refused,
# and the checker's output must hold the line EXPECTED for the overlay (default cpu).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
plant() {
  local name="$1" file="$2" script="$3" expected="$4" overlay="${5:-cpu}" copy="$work/$1" output
  mkdir -p "$copy" && cp -r "$here"/base "$here"/components "$here"/overlays "$copy/"
  sed -i "$script" "$copy/$file"
  cmp -s "$here/$file" "$copy/$file" && fail "planting $name: '$script' changed nothing in $file"
  render "$copy" "$copy/rendered"
  if output="$(check "$copy/rendered/$overlay.yaml")"; then
    fail "$name: a planted error was accepted"
  fi
  grep -qxF "$copy/rendered/$overlay.yaml: $expected" <<< "$output" \
    || fail "$name: the planted error was refused with an unexpected message:
  want: $expected
  got:  $output"
}
plant wrong-type base/deployment.yaml 's/terminationGracePeriodSeconds: 60/terminationGracePeriodSeconds: sixty/' \
  "Deployment/prism: spec/template/spec/terminationGracePeriodSeconds: 'sixty' is not of type 'integer', 'null'"
plant unknown-field base/deployment.yaml 's/readOnlyRootFilesystem:/readOnlyRootFileSystem:/' \
  "Deployment/prism: spec/template/spec/containers/0/securityContext: Additional properties are not allowed ('readOnlyRootFileSystem' was unexpected)"
plant scaledobject-field components/keda/scaledobject.yaml 's/cooldownPeriod:/cooldownPeriods:/' \
  "ScaledObject/prism: spec: Additional properties are not allowed ('cooldownPeriods' was unexpected)"
plant prometheus-trigger components/keda/scaledobject.yaml '/serverAddress:/d' \
  "ScaledObject/prism: spec/triggers/0/metadata: the prometheus scaler needs serverAddress"
plant short-grace base/deployment.yaml 's/terminationGracePeriodSeconds: 60/terminationGracePeriodSeconds: 40/' \
  "terminationGracePeriodSeconds 40 does not cover preStop 10 s + --shutdown-grace-seconds 30 + 2 s"
plant tls-probes components/tls/tls.yaml 's/--health-port=8086/--health-port=8087/' \
  "with TLS the probes need a container port health that is serve's --health-port" cpu-tls
echo "deploy/kubernetes/check: 6 planted errors refused"
