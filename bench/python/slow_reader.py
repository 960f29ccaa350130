"""The Prism Python client as attack 9's slow reader (bench/python/attack.py runs it).

Reads StreamExplain through clients/python's Client, one item a second for 20 s, then the rest as
they come, and prints one line per progress item: seconds since the call started on this side,
and the server's elapsed_seconds. It runs in a process of its own because the client's stubs and
the benchmarks' generated ones describe the same proto files.

    python slow_reader.py TARGET INSTANCES.npy NSAMPLES
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "clients" / "python" / "src"))

import numpy as np  # noqa: E402
import prism_client  # noqa: E402


def main():
    target, instances, nsamples = sys.argv[1], np.load(sys.argv[2]), int(sys.argv[3])
    with prism_client.Client(target) as client:
        t0 = time.monotonic()
        try:
            for item in client.stream_explain("digits", instances, "kernel_shap", nsamples=nsamples, timeout=120):
                now = time.monotonic() - t0
                if isinstance(item, prism_client.Progress):
                    print(f"progress\t{now:.3f}\t{item.elapsed_seconds:.3f}", flush=True)
                    if now < 20:
                        time.sleep(1)
                else:
                    finite = bool(np.isfinite(item.values).all())
                    print(f"result\t{now:.3f}\t{item.values.shape}\t{finite}", flush=True)
        except prism_client.PrismError as e:
            print(f"error\t{time.monotonic() - t0:.3f}\t{e.code.name}\t{e.reason}", flush=True)


if __name__ == "__main__":
    main()
