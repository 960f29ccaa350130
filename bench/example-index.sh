#!/usr/bin/env bash
# Explanations by example on a synthetic 100,000-row reference set: load time, index build time and
# bytes, and ExplainByExample latency (median, p99).
#   bench/example-index.sh [--rows 100000] [--queries 300] [--warmup 30] [--reps 5]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run dev.prism.bench.ExampleIndexBench "$@"
