#!/usr/bin/env bash
# Replays the attacks of hostile and careless clients against fresh Prism servers on loopback, one
# server per attack, and prints a table: calls tried, OK, clean errors, lost, wrong, crash or hang,
# peak resident memory; then the overload figures and a short soak. Exits 1 when any row lost a
# call, answered wrongly, crashed or hung.
#   bench/attack.sh [--heap 1g] [--stall-seconds 10] [--soak-minutes 2] [--soak-warmup-seconds 30]
#                   [--only 1,2,...,12,overload,soak] [--keep-logs]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python bench/python/attack.py "$@"
