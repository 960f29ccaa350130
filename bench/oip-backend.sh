#!/usr/bin/env bash
# The cost of explaining a model that lives on another Open Inference Protocol server: the same
# KernelSHAP request on breast_cancer served locally, by KServe's model server, and by a second Prism.
#   bench/oip-backend.sh [--instances 20] [--nsamples 2048] [--max-batch-rows 8192] [--reps 5]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python_with clients/oip/requirements.txt target/bench-oip-venv bench/python/oip_backend.py "$@"
