"""Rows per second of explaining a synthetic table through Spark against a direct client call.

Starts two Prism replicas on the bundled models, builds --rows iris-like rows (the bundled
background with noise, seeded), and explains them with --method (tree_shap by default: the forest's
exact values, cheap enough for a million rows):

  direct   prism_client.Client on both replicas, explain(..., chunk_rows=N), one call
  spark    prism_client.spark.explain_dataframe on a local[2] session, the rows in a DataFrame of
           as many partitions as replicas, counted with an action

and prints rows/s of each, the ratio, and the largest difference between the two answers.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prism_bench import ROOT, PrismServer, read_csv  # noqa: E402

from prism_client import Client  # noqa: E402
from prism_client.spark import attribution_column, explain_dataframe  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(prog="bench/spark-throughput.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--chunk-rows", type=int, default=50_000)
    p.add_argument("--method", default="tree_shap")
    return p.parse_args()


def main():
    args = parse_args()
    names, background = read_csv(ROOT / "models" / "iris" / "background.csv")
    rng = np.random.default_rng(0)
    rows = background[rng.integers(0, len(background), args.rows)] * rng.normal(1, 0.05, (args.rows, len(names)))
    rows = rows.astype(np.float32)
    limits = ["--max-instances", str(args.chunk_rows), "--max-message-bytes", str(256 << 20)]
    servers = [PrismServer(ROOT / "models", *limits) for _ in range(2)]
    targets = [f"localhost:{s.port}" for s in servers]
    print(f"{args.rows} rows of iris, {args.method}, chunks of {args.chunk_rows}, replicas {targets}")

    with Client(targets, timeout=3600) as client:
        client.explain("iris", rows[:args.chunk_rows], args.method)  # warm both paths once
        start = time.perf_counter()
        direct = client.explain("iris", rows, args.method, chunk_rows=args.chunk_rows)
        direct_seconds = time.perf_counter() - start

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").appName("prism-bench")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
             .config("spark.driver.memory", "4g").getOrCreate())
    try:
        frame = pd.DataFrame(rows, columns=names)
        frame.insert(0, "key", np.arange(args.rows))
        df = spark.createDataFrame(frame).repartition(len(servers))
        df.cache().count()
        start = time.perf_counter()
        explained = explain_dataframe(df, "iris", targets, args.method, key_columns=["key"],
                                      chunk_rows=args.chunk_rows)
        result = explained.frame.toPandas()
        spark_seconds = time.perf_counter() - start
        result = result.sort_values("key")
        columns = [attribution_column(f, o) for f in names for o in direct.output_names]
        spark_values = result[columns].to_numpy().reshape(args.rows, len(names), len(direct.output_names))
        difference = float(np.abs(spark_values - direct.values).max())
        counted = explained.rows_explained.value
    finally:
        spark.stop()
        for s in servers:
            s.close()

    direct_rate, spark_rate = args.rows / direct_seconds, args.rows / spark_seconds
    print(f"  direct client  {direct_seconds:8.2f} s  {direct_rate:10.0f} rows/s")
    print(f"  spark local[2] {spark_seconds:8.2f} s  {spark_rate:10.0f} rows/s   spark/direct {spark_rate / direct_rate:5.2f}"
          f"  (accumulator {counted} rows)")
    print(f"  max |spark - direct| {difference:.1e}")


if __name__ == "__main__":
    main()
