"""Trains the demo hub's models on data sets scikit-learn ships and writes them as plain ONNX.

Run through `cargo xtask models`, which makes a virtual environment with the
pinned packages of `requirements.txt`. Outputs are committed, so building and
testing mhub never needs Python.

Each model is a small multilayer perceptron trained by scikit-learn and written
out with `onnx.helper` as MatMul/Add/Relu/Softmax only, so any ONNX runtime runs
it. Beside each model: `labels.txt`, a sample input (`sample.npy`, and
`sample.png` for images) and `expected.json`, the outputs onnxruntime computes
for the sample, which the tests compare against.
"""

import hashlib
import json
import pathlib
import sys

import numpy as np
import sketch_digits
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from PIL import Image
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

SEED = 0
TEST_DATA = pathlib.Path(__file__).resolve().parents[2] / "crates" / "cli" / "tests" / "data" / "digits"


def mlp_to_onnx(clf, name, n_features, input_name):
    """Writes a fitted MLPClassifier with ReLU hidden layers as an ONNX graph ending in Softmax."""
    nodes, inits = [], []
    current = input_name
    layers = len(clf.coefs_)
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        inits.append(numpy_helper.from_array(w.astype(np.float32), f"w{i}"))
        inits.append(numpy_helper.from_array(b.astype(np.float32), f"b{i}"))
        nodes.append(helper.make_node("MatMul", [current, f"w{i}"], [f"mm{i}"]))
        out = f"z{i}"
        nodes.append(helper.make_node("Add", [f"mm{i}", f"b{i}"], [out]))
        if i < layers - 1:
            nodes.append(helper.make_node("Relu", [out], [f"h{i}"]))
            current = f"h{i}"
        else:
            current = out
    nodes.append(helper.make_node("Softmax", [current], ["probabilities"], axis=1))
    n_classes = clf.coefs_[-1].shape[1]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, n_features])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, n_classes])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mhub-xtask-models")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_model(out_dir, model, labels, sample):
    out_dir.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    (out_dir / "model.onnx").write_bytes(data)
    (out_dir / "labels.txt").write_text("".join(f"{label}\n" for label in labels))
    np.save(out_dir / "sample.npy", sample)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    probabilities = session.run(None, {input_name: sample})[0]
    expected = {
        "input": input_name,
        "output": "probabilities",
        "probabilities": [round(float(p), 7) for p in probabilities[0]],
        "class": int(np.argmax(probabilities[0])),
        "tolerance": 1e-5,
    }
    (out_dir / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return hashlib.sha256(data).hexdigest(), len(data)


def digits(hub):
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)
    clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=600, random_state=SEED).fit(x_train, y_train)
    accuracy = clf.score(x_test, y_test)
    # A test-set 7, as the network sees it (pixel values 0..16) and as a picture.
    index = int(np.flatnonzero(y_test == 7)[0])
    sample = x_test[index : index + 1].astype(np.float32)
    out = hub / "models" / "digits"
    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray((sample.reshape(8, 8) * 255 / 16).round().astype(np.uint8), mode="L").save(out / "sample.png")
    model = mlp_to_onnx(clf, "digits", 64, "pixels")
    sha, size = write_model(out, model, [str(d) for d in range(10)], sample)
    return {"accuracy": accuracy, "sha256": sha, "size": size, "expected": int(y_test[index])}


def digits2(hub):
    """The digits model for sketches and typed digits: see `sketch_digits.py`."""
    clf, accuracy, samples = sketch_digits.train(SEED)
    out = hub / "models" / "digits2"
    out.mkdir(parents=True, exist_ok=True)
    # The sample: a held-out seven drawn like on the page's pad.
    picture = next(p for p, label in samples["drawn"] if label == 7 and p[0, 0] == 0)
    Image.fromarray(picture).save(out / "sample.png", optimize=True)
    sample = (sketch_digits.fit_ink(picture).reshape(1, -1) / 255.0).astype(np.float32)
    model = mlp_to_onnx(clf, "digits2", sketch_digits.SIZE * sketch_digits.SIZE, "pixels")
    sha, size = write_model(out, model, [str(d) for d in range(10)], sample)
    # Held-out pictures the tests run through `mhub run` (the Liberation fonts and the
    # strokes of another seed were never trained on).
    for kind, count in (("drawn", 40), ("typed", 30)):
        folder = TEST_DATA / kind
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        for i, (p, label) in enumerate(samples[kind][:count]):
            Image.fromarray(p).save(folder / f"{i:02d}_{label}.png", optimize=True)
    return {"accuracy": accuracy, "sha256": sha, "size": size, "expected": 7}


def iris(hub):
    x, y = load_iris(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=SEED, stratify=y)
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=SEED).fit(x_train, y_train)
    accuracy = clf.score(x_test, y_test)
    sample = x_test[:1].astype(np.float32)
    model = mlp_to_onnx(clf, "iris", 4, "measurements")
    sha, size = write_model(hub / "models" / "iris", model, load_iris().target_names.tolist(), sample)
    return {"accuracy": accuracy, "sha256": sha, "size": size, "expected": int(y_test[0])}


CARD = """# {title}

---

model-name: {name}

backbone-name: mlp

module-type: {task}

fine-tunable: false

input-shape: [1, {features}]

model-version: {version}

train-dataset: {dataset}

accuracy: {accuracy:.4f}

author: mhub

update-time: 2026-11-22

repo-link: https://scikit-learn.org/stable/modules/neural_networks_supervised.html

user-id: mhub

used-for: inference

train-backend: cpu

infer-backend: cpu

mindspore-version: 1.0

license: Apache2.0

summary: {summary}

asset:

- file-format: onnx
  asset-link: models/{folder}/model.onnx
  asset-sha256: {sha256}
  asset-size: {size}

- file-format: labels
  asset-link: models/{folder}/labels.txt
  asset-sha256: {labels_sha256}
  asset-size: {labels_size}

inputs:
- name: {input}
  dtype: float32
  shape: [1, {features}]
{image}
outputs:
- name: probabilities
  dtype: float32
  shape: [1, {classes}]
  kind: classes

---

## Introduction

{intro}

It was trained by `cargo xtask models` (`xtask/models/generate.py`) with
scikit-learn's `MLPClassifier` and written as a plain ONNX graph (MatMul, Add,
Relu, Softmax), so any ONNX runtime can run it. Test-set accuracy: {accuracy:.2%}.
{notes}
## Usage

```sh
mhub run mhub/cpu/1.0/{stem} --input {sample}
```

Input: `{input}`, float32 of shape `[1, {features}]`. Output: `probabilities`,
one per class, in the order of `labels.txt`. The `inputs` and `outputs` keys
above declare this for `mhub run`, which checks them against the model.
"""


def card(hub, stem, **fields):
    fields.setdefault("version", "1.0")
    fields.setdefault("folder", fields["name"])
    fields.setdefault("notes", "")
    labels = (hub / "models" / fields["folder"] / "labels.txt").read_bytes()
    fields["labels_sha256"] = hashlib.sha256(labels).hexdigest()
    fields["labels_size"] = len(labels)
    path = hub / "assets" / "mhub" / "cpu" / "1.0" / f"{stem}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CARD.format(stem=stem, **fields))


def hostile(out):
    """Small models built to exhaust a runtime: each must be refused cleanly, in bounded time and memory."""
    out.mkdir(parents=True, exist_ok=True)
    f = helper.make_tensor_value_info

    def save(name, nodes, inputs, outputs, inits=(), opset=13):
        graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="mhub-hostile")
        model.ir_version = 8
        (out / f"{name}.onnx").write_bytes(model.SerializeToString())

    def shape_const(name, values):
        return numpy_helper.from_array(np.array(values, dtype=np.int64), name)

    y = f("y", TensorProto.FLOAT, None)
    # ConstantOfShape of [100000, 100000, 100]: an 8 TB allocation.
    save("constant_of_shape_8tb", [helper.make_node("ConstantOfShape", ["shape"], ["y"])], [], [y], [shape_const("shape", [100000, 100000, 100])])
    # ConstantOfShape of 2^31 elements along one axis.
    save("constant_of_shape_2p31", [helper.make_node("ConstantOfShape", ["shape"], ["y"])], [], [y], [shape_const("shape", [2**31])])
    # The same, with the shape from a Constant node instead of an initializer.
    save(
        "constant_node_shape",
        [
            helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([65536, 65536], dtype=np.int64))),
            helper.make_node("ConstantOfShape", ["shape"], ["y"]),
        ],
        [],
        [y],
    )
    x = f("x", TensorProto.FLOAT, [1])
    save("expand_huge", [helper.make_node("Expand", ["x", "shape"], ["y"])], [x], [y], [shape_const("shape", [4096, 4096, 4096])])
    save("tile_huge", [helper.make_node("Tile", ["x", "repeats"], ["y"])], [x], [y], [shape_const("repeats", [2**40])])
    scalar = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    save("range_huge", [helper.make_node("Range", ["start", "limit", "delta"], ["y"])], [], [f("y", TensorProto.INT64, None)],
         [scalar("start", 0), scalar("limit", 2**40), scalar("delta", 1)])
    img = f("img", TensorProto.FLOAT, [1, 1, 2, 2])
    save("resize_huge", [helper.make_node("Resize", ["img", "", "", "sizes"], ["y"])], [img], [y], [shape_const("sizes", [1, 1, 100000, 100000])])
    # An initializer that claims a trillion floats and holds four bytes.
    lying = onnx.TensorProto()
    lying.name, lying.data_type, lying.raw_data = "w", TensorProto.FLOAT, b"\0\0\0\0"
    lying.dims.extend([1000000, 1000000])
    save("lying_initializer", [helper.make_node("Identity", ["w"], ["y"])], [], [y], [lying])
    # A STRING initializer with raw data, which no runtime defines.
    text = onnx.TensorProto()
    text.name, text.data_type, text.raw_data = "s", TensorProto.STRING, b"abcd"
    text.dims.append(1)
    save("string_raw_data", [helper.make_node("Identity", ["s"], ["y"])], [], [f("y", TensorProto.STRING, [1])], [text])
    # Data kept in a file outside the model's folder.
    external = onnx.TensorProto()
    external.name, external.data_type = "e", TensorProto.FLOAT
    external.dims.append(4)
    external.data_location = onnx.TensorProto.EXTERNAL
    entry = external.external_data.add()
    entry.key, entry.value = "location", "../../../../etc/passwd"
    save("external_data", [helper.make_node("Identity", ["e"], ["y"])], [], [y], [external])
    # A chain of 40,000 nodes.
    nodes = [helper.make_node("Identity", [f"t{i}"], [f"t{i + 1}"]) for i in range(40000)]
    nodes[-1].output[0] = "y"
    save("chain_40k", nodes, [f("t0", TensorProto.FLOAT, [1])], [y])


def sandboxed(out):
    """A model the pre-scan cannot bound: the outer product of its input, n x n floats for n inputs."""
    out.mkdir(parents=True, exist_ok=True)
    graph = helper.make_graph(
        [helper.make_node("Transpose", ["x"], ["xt"]), helper.make_node("MatMul", ["xt", "x"], ["y"])],
        "alloc_from_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "n"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mhub-hostile")
    model.ir_version = 8
    (out / "alloc_from_input.onnx").write_bytes(model.SerializeToString())


REFERENCE = [
    ("squeezenet", "light_squeezenet", "SqueezeNet 1.0"),
    ("resnet50", "light_resnet50", "ResNet-50"),
    ("alexnet", "light_bvlc_alexnet", "AlexNet"),
]


def pattern(shape):
    """The benchmark input, which the Rust tests rebuild exactly: ((i * 7919) % 256) / 255."""
    count = int(np.prod(shape))
    return (((np.arange(count, dtype=np.int64) * 7919) % 256).astype(np.float32) / np.float32(255.0)).reshape(shape)


def reference(hub):
    """Convolutional reference models for benchmarks: the onnx package's "light" models (real
    architectures, synthetic weights), with the outputs onnxruntime computes for `pattern`."""
    light = pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    for name, file, title in REFERENCE:
        data = (light / f"{file}.onnx").read_bytes()
        model = onnx.load_from_string(data)
        graph = model.graph
        init_names = {i.name for i in graph.initializer}
        real_inputs = [i for i in graph.input if i.name not in init_names]
        inp, out = real_inputs[0], graph.output[0]
        dims = lambda v: [d.dim_value if d.dim_value > 0 else -1 for d in v.type.tensor_type.shape.dim]
        shape = dims(inp)
        out_dir = hub / "models" / name
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "model.onnx").write_bytes(data)
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        result = session.run(None, {inp.name: pattern(shape)})[0].reshape(-1)
        expected = {
            "input": inp.name,
            "input_pattern": "modular",
            "input_shape": shape,
            "output": out.name,
            "values": [float(v) for v in result],
            "tolerance": 1e-3,
        }
        (out_dir / "expected.json").write_text(json.dumps(expected) + "\n")
        path = hub / "assets" / "onnx" / "cpu" / "1.0" / f"{name}_v1.0_imagenet.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(REFERENCE_CARD.format(
            title=title, name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
            input=inp.name, in_shape=", ".join(map(str, shape)), output=out.name, out_shape=", ".join(map(str, dims(out))),
        ))


REFERENCE_CARD = """# {title} (reference)

---

model-name: {name}

backbone-name: {name}

module-type: cv-classification

fine-tunable: false

input-shape: [{in_shape}]

model-version: 1.0

train-dataset: imagenet

author: ONNX project

update-time: 2026-11-22

repo-link: https://github.com/onnx/onnx/tree/main/onnx/backend/test/data/light

user-id: onnx

used-for: inference

train-backend: cpu

infer-backend: cpu

mindspore-version: 1.0

license: Apache2.0

summary: {title} architecture with synthetic weights, for benchmarks only

asset:

- file-format: onnx
  asset-link: models/{name}/model.onnx
  asset-sha256: {sha256}
  asset-size: {size}

inputs:
- name: {input}
  dtype: float32
  shape: [{in_shape}]

outputs:
- name: {output}
  dtype: float32
  shape: [{out_shape}]
  kind: raw

---

## Introduction

The {title} architecture as the `onnx` Python package ships it in
`onnx/backend/test/data/light/`: the real graph, with synthetic weights that
keep the file small. Its outputs mean nothing; it is here so that
`cargo xtask bench infer` can time a real convolutional network next to
onnxruntime. `expected.json` beside the model holds onnxruntime's outputs for
the benchmark input, which the tests compare tract's against.
"""


def main():
    if len(sys.argv) > 3:
        hostile(pathlib.Path(sys.argv[2]))
        sandboxed(pathlib.Path(sys.argv[3]))
    hub = pathlib.Path(sys.argv[1])
    d = digits(hub)
    card(
        hub,
        "digits_v1.0_digits",
        title="Digits",
        name="digits",
        task="cv-classification",
        features=64,
        input="pixels",
        classes=10,
        sample="hub/models/digits/sample.png",
        image="  image:\n    size: [8, 8]\n    channels: gray\n    layout: flat\n    scale: 0.0627451\n",
        dataset="digits",
        accuracy=d["accuracy"],
        sha256=d["sha256"],
        size=d["size"],
        summary=f"handwritten digit classifier for 8x8 grayscale images, {d['accuracy']:.1%} test accuracy",
        intro="Classifies 8x8 grayscale images of handwritten digits (pixel values 0 to 16) from the "
        "digits data set that scikit-learn ships (UCI optical recognition of handwritten digits).",
    )
    d2 = digits2(hub)
    a = d2["accuracy"]
    card(
        hub,
        "digits_v2.0_digits",
        title="Digits, drawn or typed",
        name="digits",
        version="2.0",
        folder="digits2",
        task="cv-classification",
        features=784,
        input="pixels",
        classes=10,
        sample="hub/models/digits2/sample.png",
        image="  image:\n    size: [28, 28]\n    channels: gray\n    layout: flat\n    scale: 0.00392157\n    fit: ink\n    margin: 4\n",
        dataset="digits",
        accuracy=a["digits-test"],
        sha256=d2["sha256"],
        size=d2["size"],
        summary=f"reads a digit drawn on a pad or typed in a font ({a['drawn-held-out']:.1%} of held-out drawings, "
        f"{a['typed-held-out']:.1%} of held-out typed digits)",
        intro="Reads one digit, drawn with a pen or a finger (any colours, size or place) or typed in a font. "
        "The card's `fit: ink` preprocessing crops a picture to its ink, fits it into 20x20 pixels and centres "
        "it by mass in 28x28, as MNIST was prepared, so a drawing in the page and a file give the same tensor. "
        "Trained on scikit-learn's digits (upsampled and augmented: shifts, rotation, scale, shear, stroke "
        "thickness, blur), on synthetic pen-stroke digits and on digits rendered from the fonts Debian ships; "
        "see `xtask/models/sketch_digits.py`.",
        notes=(
            "\n| test set | accuracy |\n|---|---|\n"
            f"| scikit-learn digits, test split (upsampled, not augmented) | {a['digits-test']:.2%} |\n"
            f"| scikit-learn digits, test split, augmented | {a['digits-test-augmented']:.2%} |\n"
            f"| drawn digits, strokes of a held-out seed | {a['drawn-held-out']:.2%} |\n"
            f"| typed digits, Liberation fonts (never trained on) | {a['typed-held-out']:.2%} |\n"
        ),
    )
    reference(hub)
    i = iris(hub)
    card(
        hub,
        "iris_v1.0_iris",
        title="Iris",
        name="iris",
        task="other",
        features=4,
        input="measurements",
        classes=3,
        image="",
        sample="hub/models/iris/sample.npy",
        dataset="iris",
        accuracy=i["accuracy"],
        sha256=i["sha256"],
        size=i["size"],
        summary=f"iris species from four flower measurements in cm, {i['accuracy']:.1%} test accuracy",
        intro="Predicts the species of an iris (setosa, versicolor, virginica) from sepal length, sepal "
        "width, petal length and petal width in centimetres, trained on the iris data set that scikit-learn ships.",
    )
    print(json.dumps({"digits": d, "digits2": d2, "iris": i}, indent=2))


if __name__ == "__main__":
    main()
