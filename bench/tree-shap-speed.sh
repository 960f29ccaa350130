#!/usr/bin/env bash
# Milliseconds per row of Prism's tree_shap over gRPC against shap's TreeExplainer in-process, on
# the same tree ensembles (XGBoost, LightGBM, a random forest) and background.
#   bench/tree-shap-speed.sh [--rows 200] [--background-rows 100] [--reps 3] [--models xgb,lgbm,rf]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python_with bench/requirements-trees.txt target/bench-trees-venv bench/python/tree_shap_speed.py "$@"
