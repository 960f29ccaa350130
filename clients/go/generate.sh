#!/usr/bin/env bash
# Regenerates the Go stubs in prismpb/ from the repository's proto/.
#   ./generate.sh          rewrite prismpb/
#   ./generate.sh --check  regenerate into a temporary folder and fail if prismpb/ differs
# Needs Go and Python 3 (protoc comes from the grpcio-tools wheel, in a throwaway venv).
set -euo pipefail

GRPCIO_TOOLS_VERSION=1.85.1
# protoc-gen-go must match google.golang.org/protobuf in go.mod.
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
MODULE=prism.dev/prism/clients/go
PACKAGE=$MODULE/prismpb

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_root="$(cd "$here/../../proto" && pwd)"

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "grpcio-tools==$GRPCIO_TOOLS_VERSION"
(cd "$work" &&
  GOBIN="$work/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION" &&
  GOBIN="$work/bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION")

# The .proto files carry no go_package: map each one to the stub package here.
protos=()
mappings=()
for file in "$proto_root"/prism/v1/*.proto; do
  rel="${file#"$proto_root"/}"
  protos+=("$rel")
  mappings+=("--go_opt=M$rel=$PACKAGE" "--go-grpc_opt=M$rel=$PACKAGE")
done

out="$work/out"
mkdir -p "$out"
(cd "$proto_root" && "$work/venv/bin/python" -m grpc_tools.protoc -I . \
  --plugin=protoc-gen-go="$work/bin/protoc-gen-go" \
  --plugin=protoc-gen-go-grpc="$work/bin/protoc-gen-go-grpc" \
  --go_out="$out" --go_opt=module="$MODULE" \
  --go-grpc_out="$out" --go-grpc_opt=module="$MODULE" \
  "${mappings[@]}" "${protos[@]}")

if $check; then
  if ! diff -ru "$here/prismpb" "$out/prismpb"; then
    echo "prismpb/ is out of date with proto/: run clients/go/generate.sh" >&2
    exit 1
  fi
  echo "prismpb/ is up to date with proto/"
else
  rm -f "$here"/prismpb/*.pb.go
  cp "$out"/prismpb/*.pb.go "$here/prismpb/"
  echo "regenerated $(ls "$out"/prismpb | wc -l) files in prismpb/"
fi
