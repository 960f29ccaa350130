#!/usr/bin/env bash
# Error at equal wall time, end to end: Prism over gRPC (one request with every instance) against shap
# and shapiq in process on the same ONNX model through onnxruntime, on breast_cancer (models/, a cheap
# MLP; reference values from a large Prism run) and gbt_m48 (bench/models, 300 trees; exact values).
#   bench/shapley-wall-time.sh [--quick] [--models breast_cancer,gbt_m48] [--multipliers 4,16,64,256]
#                              [--seeds 2] [--methods ...] [--reference-samples 131072]
set -euo pipefail
"$(dirname "${BASH_SOURCE[0]}")/shapley-accuracy.sh" --wall-time "$@"
