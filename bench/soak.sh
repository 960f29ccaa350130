#!/usr/bin/env bash
# A mixed load (every method, streaming and unary, client cancellations, model reloads by SIGHUP)
# against one Prism server for a fixed time; prints requests served, outcomes by status, p50/p99
# latency and the server's resident memory after warm-up and at the end.
#   bench/soak.sh [--minutes 30] [--clients 8] [--warmup-seconds 120] [--reload-every 60] [--heap 1g]
#                  [--rss-tolerance-mib 32]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python bench/python/soak.py "$@"
