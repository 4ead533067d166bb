"""Real-weight benchmark models: the onnx package's "light" models with their weights as initializers.

The light models build every weight with `ConstantOfShape` (one value repeated),
which keeps the files small but makes a runtime that does not fold big
constants rebuild and repack the weights on every run. Real models carry their
weights as initializers. This script turns each `ConstantOfShape` weight into an
ordinary initializer of seeded random values, scaled the way the consuming node
expects (He-scaled convolution and dense weights, batch-norm statistics near
identity with a gain of one half, small biases), so that activations stay
finite through deep networks. The seed is the model's name: the same files on
every machine.

Usage: real_weights.py OUT_DIR [NAME...]. Writes OUT_DIR/NAME.onnx for each
model (all of them by default), OUT_DIR/NAME.input.npy, the benchmark input
(`pattern`), and OUT_DIR/NAME.json, the outputs onnxruntime computes for it, for
a correctness check. The files live under `target/` and are never committed.
"""

import hashlib
import json
import pathlib
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

MODELS = ["squeezenet", "shufflenet", "inception_v1", "densenet121", "resnet50", "alexnet"]
FILES = {"alexnet": "light_bvlc_alexnet"}


def pattern(shape):
    """The benchmark input, which the Rust side rebuilds exactly: ((i * 7919) % 256) / 255."""
    count = int(np.prod(shape))
    return (((np.arange(count, dtype=np.int64) * 7919) % 256).astype(np.float32) / np.float32(255.0)).reshape(shape)


def consumers(graph):
    """Maps a tensor name to the (node, input index) pairs that read it."""
    users = {}
    for node in graph.node:
        for slot, name in enumerate(node.input):
            users.setdefault(name, []).append((node, slot))
    return users


def role(name, users):
    """What the weight `name` is to the node that reads it, seen through Unsqueeze/Reshape."""
    for node, slot in users.get(name, []):
        if node.op_type in ("Unsqueeze", "Reshape", "Identity") and slot == 0:
            return role(node.output[0], users)
        if node.op_type == "BatchNormalization":
            return ("bn_scale", "bias", "mean", "var")[slot - 1]
        if node.op_type in ("Conv", "Gemm", "MatMul"):
            if slot == 2:
                return "bias"
            trans_b = any(a.name == "transB" and a.i == 1 for a in node.attribute)
            return "gemm_t" if node.op_type == "Gemm" and trans_b else "weight"
        if node.op_type == "Mul":
            return "scale"
        if node.op_type in ("Add", "Sum", "Sub"):
            return "bias"
    return "bias"


def values(rng, shape, kind):
    shape = [int(d) for d in shape]
    if kind == "weight" or kind == "gemm_t":
        if len(shape) == 2 and kind == "weight":
            fan_in = shape[0]
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / max(fan_in, 1)))
    if kind == "scale":
        return (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
    if kind == "bn_scale":
        # Below one, so that residual sums (x + f(x), many times over) do not blow up.
        return (0.5 + 0.05 * rng.standard_normal(shape)).astype(np.float32)
    if kind == "var":
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return (0.05 * rng.standard_normal(shape)).astype(np.float32)


def materialise(model, seed):
    graph = model.graph
    users = consumers(graph)
    inits = {i.name: i for i in graph.initializer}
    rng = np.random.default_rng(seed)
    kept, added, dropped = [], [], set()
    for node in graph.node:
        shape_name = node.input[0] if node.op_type == "ConstantOfShape" else None
        if shape_name is not None and shape_name in inits:
            value = numpy_helper.to_array(node.attribute[0].t) if node.attribute else np.zeros(1, np.float32)
            shape = numpy_helper.to_array(inits[shape_name])
            if value.dtype == np.float32:
                data = values(rng, shape, role(node.output[0], users))
            else:
                data = np.full([int(d) for d in shape], value.flat[0], dtype=value.dtype)
            added.append(numpy_helper.from_array(data, node.output[0]))
            dropped.add(shape_name)
        else:
            kept.append(node)
    still_read = {name for node in kept for name in node.input}
    inits_left = [i for i in graph.initializer if i.name not in dropped or i.name in still_read]
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(inits_left + added)
    # As exporters write models today (IR >= 4): initializers are not graph inputs.
    names = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in names and i.name not in dropped]
    del graph.input[:]
    graph.input.extend(inputs)
    model.ir_version = max(model.ir_version, 7)
    return model


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    light = pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    for name in sys.argv[2:] or MODELS:
        source = light / f"{FILES.get(name, 'light_' + name)}.onnx"
        model = materialise(onnx.load(str(source)), seed=int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))
        onnx.checker.check_model(model)
        data = model.SerializeToString()
        init_names = {i.name for i in model.graph.initializer}
        inp = [i for i in model.graph.input if i.name not in init_names][0]
        shape = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        np.save(out / f"{name}.input.npy", pattern(shape))
        result = session.run(None, {inp.name: pattern(shape)})[0].reshape(-1)
        if not np.all(np.isfinite(result)):
            raise SystemExit(f"{name}: onnxruntime's output is not finite; the weights need other scales")
        # Written last: a model file means its input and outputs are there.
        (out / f"{name}.onnx.tmp").write_bytes(data)
        expected = {"input": inp.name, "input_shape": shape, "values": [float(v) for v in result], "sha256": hashlib.sha256(data).hexdigest()}
        (out / f"{name}.json").write_text(json.dumps(expected) + "\n")
        (out / f"{name}.onnx.tmp").rename(out / f"{name}.onnx")
        print(f"{name}: {len(data) / 2**20:.1f} MiB, {len(model.graph.initializer)} initializers")


if __name__ == "__main__":
    main()
