#!/usr/bin/env bash
# One large KernelSHAP request through a real Prism server vs. raw ONNX Runtime on the same rows.
#   bench/kernel-shap-throughput.sh [--reps 5] [--warmup 1] [--instances 32] [--nsamples 2048] [--batch-rows 8192]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_run dev.prism.bench.KernelShapThroughputBench "$@"
