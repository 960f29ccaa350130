#!/usr/bin/env bash
# The Go client's suite, from any directory: go vet, the committed stubs
# against proto/, then go test against a live Prism the tests start.
# PRISM_JAR and PRISM_MODELS choose the server jar and model repository
# (default: the repository's target/prism.jar, built with Maven when missing,
# and models/). Extra arguments go to `go test` (e.g. -v, -run Cancel).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"

if [[ -z "${PRISM_JAR:-}" && ! -f "$repo/target/prism.jar" ]]; then
  echo "run-tests.sh: building target/prism.jar" >&2
  (cd "$repo" && mvn -q -B -DskipTests package)
fi

go vet ./...
./generate.sh --check
# -count=1: the results depend on the server, which Go's test cache cannot see.
go test -count=1 "$@" ./...
