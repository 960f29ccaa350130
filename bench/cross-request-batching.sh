#!/usr/bin/env bash
# Many small concurrent KernelSHAP requests with cross-request batching on vs. off.
#   bench/cross-request-batching.sh [--reps 7] [--warmup 2] [--rounds 20] [--concurrency 16]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run dev.prism.bench.CrossRequestBatchingBench "$@"
