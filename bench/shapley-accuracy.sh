#!/usr/bin/env bash
# Error of sampled Shapley values against exact ones vs budget, on the models under bench/models:
# Prism's kernel_shap (default, ESTIMATOR_KERNEL, ESTIMATOR_LEVERAGE) over gRPC next to shap's
# KernelExplainer and shapiq 1.8's KernelSHAP (paired), LeverageSHAP, PolySHAP, OddSHAP and
# RegressionMSR on the same games. Python 3.12 (shapiq needs it), bench/requirements-shapley.txt.
#   bench/shapley-accuracy.sh [--quick] [--models mlp_m8,forest_m12,mlp_m16,mlp_m20,gbt_m30,gbt_m48]
#                             [--multipliers 4,8,16,32] [--seeds 5] [--instances N] [--methods ...]
#   bench/shapley-accuracy.sh --wall-time ...   (the equal-wall-time table; see shapley-wall-time.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python_version 3.12 bench/requirements-shapley.txt target/bench-shapley-venv bench/python/shapley_accuracy.py "$@"
