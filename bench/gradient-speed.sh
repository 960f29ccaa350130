#!/usr/bin/env bash
# Wall time of Prism's deep_lift and integrated_gradients over gRPC against Captum's DeepLift and
# IntegratedGradients on the same CNN (bundled digits_cnn), on the CPU. Own pinned requirements
# (torch): bench/requirements-captum.txt, in target/bench-captum-venv.
#   bench/gradient-speed.sh [--methods deep_lift,ig] [--instances 256] [--output 0] [--n-steps 50]
#                           [--reps 15] [--warmup 3] [--server-warmup 60] [--concurrency 4] [--throughput-requests 8]
#                           [--throughput-rounds 3] [--torch-threads 0] [--captum-only]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
for arg in "$@"; do
  if [[ "$arg" == "--captum-only" ]]; then export BENCH_NO_SERVER=1; fi
done
bench_python_with bench/requirements-captum.txt target/bench-captum-venv bench/python/gradient_speed.py "$@"
