#!/usr/bin/env bash
# Wall time of Prism's kernel_shap and lime over gRPC against shap's KernelExplainer and lime's
# LimeTabularExplainer on the same ONNX model (through onnxruntime in Python) and background.
#   bench/perturbation-speed.sh [--model breast_cancer] [--methods kernel,lime] [--instances 4] [--reps 5]
#                               [--warmup 1] [--nsamples 2048] [--lime-samples 5000] [--background-rows N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python bench/python/perturbation_speed.py "$@"
