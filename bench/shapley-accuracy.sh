#!/usr/bin/env bash
# Error of sampled Shapley values against exact ones vs budget: Prism's kernel_shap (default and
# leverage), permutation_shap and shap's KernelExplainer, on the models under bench/models.
#   bench/shapley-accuracy.sh [--models mlp_m8,forest_m12,mlp_m20,gbt_m30] [--multipliers 4,8,16,32,64]
#                             [--seeds 5] [--methods prism-kernel,prism-leverage,prism-permutation,shap-kernel]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python bench/python/shapley_accuracy.py "$@"
