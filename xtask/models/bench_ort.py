"""Times onnxruntime (CPU) on the same models and input as `mhub bench`: one JSON line per model.

Usage: bench_ort.py [--threads N] MODEL.onnx...  (N threads inside each operator, one
between operators; 1 by default.) Loads five times and reports the median; runs after a
warm-up until three seconds or 500 runs have passed, at least 20, and reports the median
and the 90th percentile.
"""

import json
import sys
import time

import numpy as np
import onnxruntime as ort


def pattern(shape, dtype):
    count = int(np.prod(shape))
    if dtype == "tensor(int64)":
        return (np.arange(count, dtype=np.int64) % 256).reshape(shape)
    return (((np.arange(count, dtype=np.int64) * 7919) % 256).astype(np.float32) / np.float32(255.0)).reshape(shape)


def main():
    args = sys.argv[1:]
    threads = 1
    if args[:1] == ["--threads"]:
        threads, args = int(args[1]), args[2:]
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    for path in args:
        loads = []
        for _ in range(5):
            start = time.perf_counter()
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            loads.append((time.perf_counter() - start) * 1e3)
        feed = {}
        for inp in session.get_inputs():
            shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
            feed[inp.name] = pattern(shape, inp.type)
        for _ in range(5):
            session.run(None, feed)
        runs, started = [], time.perf_counter()
        while len(runs) < 20 or (len(runs) < 500 and time.perf_counter() - started < 3.0):
            start = time.perf_counter()
            session.run(None, feed)
            runs.append((time.perf_counter() - start) * 1e3)
        print(json.dumps({
            "model": path, "threads": threads, "version": ort.__version__,
            "load_ms": float(np.median(loads)), "run_ms": float(np.median(runs)),
            "p90_ms": float(np.percentile(runs, 90)), "runs": len(runs),
        }), flush=True)


if __name__ == "__main__":
    main()
