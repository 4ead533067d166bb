"""Times onnxruntime (CPU, one thread) on the same models and input as `crates/runtime/examples/infer.rs`."""

import json
import sys
import time

import numpy as np
import onnxruntime as ort


def pattern(shape):
    count = int(np.prod(shape))
    return (((np.arange(count, dtype=np.int64) * 7919) % 256).astype(np.float32) / np.float32(255.0)).reshape(shape)


def main():
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    for path in sys.argv[1:]:
        loads = []
        for _ in range(5):
            start = time.perf_counter()
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            loads.append((time.perf_counter() - start) * 1e3)
        inp = session.get_inputs()[0]
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
        feed = {inp.name: pattern(shape)}
        for _ in range(5):
            session.run(None, feed)
        runs, started = [], time.perf_counter()
        while len(runs) < 20 or (len(runs) < 500 and time.perf_counter() - started < 3.0):
            start = time.perf_counter()
            session.run(None, feed)
            runs.append((time.perf_counter() - start) * 1e3)
        print(json.dumps({"model": path, "load_ms": float(np.median(loads)), "run_ms": float(np.median(runs)), "runs": len(runs)}))


if __name__ == "__main__":
    main()
