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
