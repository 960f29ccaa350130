#!/usr/bin/env bash
# Checks the API in proto/ with buf, configured by the repository's buf.yaml:
#   1. lint: buf's STANDARD rules, less the exceptions buf.yaml documents;
#   2. breaking: nothing that breaks v1's wire format, JSON or generated code since the last release,
#      whose API is the newest image in proto/released/ (no git history or tags needed);
#   3. that both checks can fail: a copy of proto/ with a new lint violation, and one with a field
#      deleted, must each be refused with buf's message for it.
# buf comes from the Go module proxy, built once with `go install` into target/buf/<version>/
# (the Go build cache keeps a rebuild after `mvn clean` short).
#   proto/check.sh
set -euo pipefail

# buf v1.75.0 needs Go 1.26.7 or later; an older go command fetches that toolchain itself
# unless GOTOOLCHAIN=local.
BUF_VERSION=v1.75.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

buf_dir="$root/target/buf/$BUF_VERSION"
buf="$buf_dir/buf"
if [[ ! -x "$buf" ]]; then
  if ! command -v go >/dev/null; then
    echo "proto/check: Go is needed to build buf $BUF_VERSION (or leave the checks out: mvn verify -Dsuites.skip)" >&2
    exit 1
  fi
  echo "proto/check: building buf $BUF_VERSION into $buf_dir (once)" >&2
  GOBIN="$buf_dir" go install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION"
fi

fail() {
  echo "proto/check: $*" >&2
  exit 1
}

"$buf" lint || fail "buf lint found the problems above (rules and exceptions: buf.yaml)"

# The last release's API is kept as a buf image in proto/released/ (written when a release is
# tagged, see the README), so a clone without tags, a shallow one or a source copy checks the same.
release_image="$(ls proto/released/v*.binpb 2>/dev/null | sort -V | tail -n 1)"
[[ -n "$release_image" ]] || fail "proto/released/ holds no release image (v*.binpb) to check proto/ against"
release="$(basename "$release_image" .binpb)"
"$buf" breaking --against "$release_image" \
  || fail "proto/ breaks the API of $release (the changes above); v1 may only grow"

# Both checks must be able to fail: plant one violation of each in copies of proto/ and compare
# buf's whole output with the expected message.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/base" "$work/lint" "$work/breaking"
for copy in base lint breaking; do
  cp -r buf.yaml proto "$work/$copy/"
done
tensor=proto/prism/v1/tensor.proto

# expect_refusal NAME EXPECTED_OUTPUT COMMAND...: the command must exit non-zero printing exactly that.
expect_refusal() {
  local name="$1" expected="$2" actual
  shift 2
  if actual="$("$@" 2>&1)"; then
    fail "$name accepted a planted violation:
$actual"
  fi
  if [[ "$actual" != "$expected" ]]; then
    fail "$name refused a planted violation with an unexpected message:
  want: $expected
  got:  $actual"
  fi
}

# A new enum whose zero value lacks the _UNSPECIFIED suffix.
value_line=$(($(wc -l < "$tensor") + 4))
printf '\n// Planted by proto/check.sh.\nenum Planted {\n  PLANTED_ZERO = 0;\n}\n' >> "$work/lint/$tensor"
expect_refusal "buf lint" \
  "$tensor:$value_line:3:Enum zero value name \"PLANTED_ZERO\" should be suffixed with \"_UNSPECIFIED\"." \
  bash -c 'cd "$1" && "$2" lint' _ "$work/lint" "$buf"

# Tensor.raw_data deleted.
message_line=$(grep -n '^message Tensor {' "$tensor" | cut -d: -f1)
grep -q '^  bytes raw_data = 8;$' "$tensor" || fail "the breaking self-test deletes Tensor.raw_data, which $tensor no longer has: pick another field"
sed -i '/^  bytes raw_data = 8;$/d' "$work/breaking/$tensor"
expect_refusal "buf breaking" \
  "$tensor:$message_line:1:Previously present field \"8\" with name \"raw_data\" on message \"Tensor\" was deleted." \
  bash -c 'cd "$1" && "$2" breaking --against "$3"' _ "$work/breaking" "$buf" "$work/base"

echo "proto/check: lint clean, no breaking change since $release; both checks refuse a planted violation"
