#!/usr/bin/env bash
# Rows per second of explaining a large table through Spark (local[2], prism_client.spark, two
# Prism replicas) against one direct client call on the same rows, so the engine's overhead is known.
#   bench/spark-throughput.sh [--rows 1000000] [--chunk-rows 50000] [--method tree_shap]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_python_with bench/requirements-spark.txt target/bench-spark-venv bench/python/spark_throughput.py "$@"
