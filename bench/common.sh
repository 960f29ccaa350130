# Shared by the bench/*.sh commands: builds when needed, then runs one benchmark main.
# Usage (after sourcing): bench_run dev.prism.bench.SomeBench [flags...]

bench_run() {
  local main="$1"
  shift
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cd "$root"

  # Rebuild when the benchmark class is missing or any source is newer than it.
  local marker="target/test-classes/${main//.//}.class"
  if [[ ! -f "$marker" || -n "$(find pom.xml proto src/main bench/java -newer "$marker" -print -quit)" ]]; then
    echo "bench: building (mvn package test-compile)..." >&2
    mvn -q -B -DskipTests package test-compile >&2
  fi
  if [[ ! -f target/bench.classpath || pom.xml -nt target/bench.classpath ]]; then
    mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
  fi

  # The classpath goes through an argument file: ONNX Runtime 1.29's native start-up reads the
  # process command line with a recursive routine that overflows the 1 MB main-thread stack once
  # the command line passes ~4 KB, and the full Maven classpath is longer than that.
  printf -- '-cp "%s"\n' "target/test-classes:target/classes:$(cat target/bench.classpath)" > target/bench.argfile
  exec java ${BENCH_JAVA_OPTS:-} @target/bench.argfile "$main" "$@"
}

# Python-driven benchmarks: a Python script (pinned bench/requirements.txt) that starts a Prism
# server from target/prism.jar and calls it over gRPC, with Python stubs generated from proto/
# into a temporary folder on every run (never committed).
# Usage (after sourcing): bench_python bench/python/some_bench.py [flags...]
# BENCH_VENV: use this existing virtual environment instead of target/bench-venv (made and
# filled from bench/requirements.txt when missing or older than it). BENCH_PYTHON: the
# interpreter that makes target/bench-venv (default python3.11). BENCH_JAVA_OPTS: JVM options
# for the server.
bench_python() {
  bench_python_with bench/requirements.txt target/bench-venv "$@"
}

# The same under another Python version (e.g. 3.12, found by bench_interpreter), for requirements
# that need it. BENCH_PYTHON still overrides the interpreter.
# Usage (after sourcing): bench_python_version VERSION REQUIREMENTS DEFAULT_VENV bench/python/some_bench.py [flags...]
bench_python_version() {
  local version="$1"
  shift
  local interpreter="${BENCH_PYTHON:-}"
  if [[ -z "$interpreter" ]]; then
    interpreter="$(bench_interpreter "$version")" || return 2
  fi
  BENCH_PYTHON="$interpreter" bench_python_with "$@"
}

# Prints the path of a Python VERSION (e.g. 3.12) interpreter: pythonVERSION when it runs, else the
# newest VERSION.x that pyenv has installed.
bench_interpreter() {
  local version="$1"
  if "python$version" -c '' >/dev/null 2>&1; then
    command -v "python$version"
    return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local installed
    installed="$(pyenv versions --bare 2>/dev/null | grep -E "^${version//./\\.}\\.[0-9]+$" | sort -V | tail -1)"
    if [[ -n "$installed" && -x "$(pyenv prefix "$installed")/bin/python$version" ]]; then
      echo "$(pyenv prefix "$installed")/bin/python$version"
      return
    fi
  fi
  echo "bench: no Python $version (install it, or name an interpreter in BENCH_PYTHON)" >&2
  return 1
}

# The same with another requirements file and default virtual environment (BENCH_VENV still
# overrides it), e.g. bench/requirements-captum.txt for the benchmarks that need torch. The venv
# is remade when the requirements file, or a file it includes with `-r`, is newer than it.
# BENCH_NO_SERVER=1: the script will not start Prism, so target/prism.jar is not built.
# Usage (after sourcing): bench_python_with REQUIREMENTS DEFAULT_VENV bench/python/some_bench.py [flags...]
bench_python_with() {
  local requirements="$1" default_venv="$2" script="$3"
  shift 3
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cd "$root"

  # Same rule as the ./prism launcher: rebuild the jar when any source is newer than it.
  if [[ -z "${BENCH_NO_SERVER:-}" ]] &&
     [[ ! -f target/prism.jar || -n "$(find pom.xml src/main proto -newer target/prism.jar -print -quit)" ]]; then
    echo "bench: building (mvn package)..." >&2
    mvn -q -B -DskipTests package >&2
  fi

  local venv="${BENCH_VENV:-}"
  if [[ -z "$venv" ]]; then
    venv="$default_venv"
    local stale=""
    [[ -f "$venv/.installed" ]] || stale=1
    local file
    for file in "$requirements" $(sed -n 's/^-r[[:space:]]*//p' "$requirements" | sed "s|^|$(dirname "$requirements")/|"); do
      if [[ "$file" -nt "$venv/.installed" ]]; then stale=1; fi
    done
    if [[ -n "$stale" ]]; then
      echo "bench: installing $requirements into $venv..." >&2
      rm -rf "$venv"
      "${BENCH_PYTHON:-python3.11}" -m venv "$venv"
      "$venv/bin/pip" install -q -r "$requirements" >&2
      touch "$venv/.installed"
    fi
  fi
  [[ -x "$venv/bin/python" ]] || { echo "bench: no Python at $venv/bin/python" >&2; return 2; }

  BENCH_STUBS="$(mktemp -d)"
  trap 'rm -rf "$BENCH_STUBS"' EXIT
  "$venv/bin/python" -m grpc_tools.protoc -Iproto --python_out="$BENCH_STUBS" --grpc_python_out="$BENCH_STUBS" \
    proto/prism/v1/*.proto
  PRISM_BENCH_STUBS="$BENCH_STUBS" PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" "$script" "$@"
}
