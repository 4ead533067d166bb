//! The pre-scan on hand-built models: every way a constant can be written, fields in any order, shapes computed from constants.

use runtime::{Error, Limits, scan};

/// Protobuf wire format, just enough to write ONNX models by hand.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(field: u64, wire: u64, out: &mut Vec<u8>) {
    varint(field << 3 | wire, out);
}

fn bytes(field: u64, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    key(field, 2, &mut out);
    varint(data.len() as u64, &mut out);
    out.extend(data);
    out
}

fn int(field: u64, v: i64) -> Vec<u8> {
    let mut out = Vec::new();
    key(field, 0, &mut out);
    varint(v as u64, &mut out);
    out
}

fn float(field: u64, v: f32) -> Vec<u8> {
    let mut out = Vec::new();
    key(field, 5, &mut out);
    out.extend(v.to_le_bytes());
    out
}

fn text(field: u64, s: &str) -> Vec<u8> {
    bytes(field, s.as_bytes())
}

fn packed_ints(values: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        varint(*v as u64, &mut out);
    }
    out
}

/// A TensorProto: int64 values (as `int64_data`), or floats (as `float_data`).
fn int_tensor(name: &str, values: &[i64]) -> Vec<u8> {
    [
        bytes(1, &packed_ints(&[values.len() as i64])),
        int(2, 7),
        bytes(7, &packed_ints(values)),
        text(8, name),
    ]
    .concat()
}

fn float_tensor(name: &str, values: &[f32]) -> Vec<u8> {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    [
        bytes(1, &packed_ints(&[values.len() as i64])),
        int(2, 1),
        bytes(4, &data),
        text(8, name),
    ]
    .concat()
}

/// An int64 tensor written as `raw_data`, with the type after the data.
fn raw_int_tensor(name: &str, values: &[i64]) -> Vec<u8> {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    [
        bytes(9, &data),
        text(8, name),
        bytes(1, &packed_ints(&[values.len() as i64])),
        int(2, 7),
    ]
    .concat()
}

/// A NodeProto; `attributes` are whole AttributeProtos.
fn node(op: &str, inputs: &[&str], output: &str, attributes: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in inputs {
        out.extend(text(1, i));
    }
    out.extend(text(2, output));
    out.extend(text(4, op));
    for a in attributes {
        out.extend(bytes(5, a));
    }
    out
}

/// The same node with its fields written backwards: attributes first, op last.
fn node_reversed(op: &str, inputs: &[&str], output: &str, attributes: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in attributes {
        out.extend(bytes(5, a));
    }
    out.extend(text(4, op));
    out.extend(text(2, output));
    for i in inputs {
        out.extend(text(1, i));
    }
    out
}

/// A `Constant` node in one of its attribute forms.
fn constant(output: &str, attribute: Vec<u8>) -> Vec<u8> {
    node("Constant", &[], output, &[attribute])
}

/// A graph input `name` of float with these fixed dims.
fn input(name: &str, dims: &[i64]) -> Vec<u8> {
    let shape: Vec<u8> = dims.iter().flat_map(|d| bytes(1, &int(1, *d))).collect();
    let tensor_type = [int(1, 1), bytes(2, &shape)].concat();
    [text(1, name), bytes(2, &bytes(1, &tensor_type))].concat()
}

/// A ModelProto of these nodes, initializers and inputs.
fn model(nodes: &[Vec<u8>], initializers: &[Vec<u8>], inputs: &[Vec<u8>]) -> Vec<u8> {
    let mut graph = Vec::new();
    for n in nodes {
        graph.extend(bytes(1, n));
    }
    graph.extend(text(2, "g"));
    for i in initializers {
        graph.extend(bytes(5, i));
    }
    for i in inputs {
        graph.extend(bytes(11, i));
    }
    [int(1, 8), bytes(7, &graph), bytes(8, &int(2, 17))].concat()
}

fn refused(model: &[u8], what: &str) {
    match scan(model, &Limits::default()) {
        Err(Error::Refused(reason)) => assert!(reason.contains(what), "{what}: {reason}"),
        other => panic!("{what}: not refused: {other:?}"),
    }
}

fn passes(model: &[u8], what: &str) {
    assert!(scan(model, &Limits::default()).is_ok(), "{what}");
}

/// `ConstantOfShape` of the constant `shape`.
fn fill(shape: &str) -> Vec<u8> {
    node("ConstantOfShape", &[shape], "y", &[])
}

const BIG: i64 = 1 << 20;

#[test]
fn constants_in_every_form_reach_the_shape_check() {
    let attr = |name: &str, value: Vec<u8>| [text(1, name), value].concat();
    let huge = [BIG, BIG];
    for (_form, constant_node) in [
        (
            "value",
            constant("s", attr("value", bytes(5, &int_tensor("", &huge)))),
        ),
        (
            "value raw",
            constant("s", attr("value", bytes(5, &raw_int_tensor("", &huge)))),
        ),
        (
            "value_ints",
            constant("s", attr("value_ints", bytes(8, &packed_ints(&huge)))),
        ),
        (
            "value_ints unpacked",
            constant(
                "s",
                [text(1, "value_ints"), int(8, BIG), int(8, BIG)].concat(),
            ),
        ),
        (
            "value_int",
            constant("s", attr("value_int", int(3, BIG * BIG))),
        ),
        (
            "value_float",
            constant("s", attr("value_float", float(2, 1e12))),
        ),
        (
            "value_floats",
            constant(
                "s",
                attr(
                    "value_floats",
                    bytes(7, &[1e6f32.to_le_bytes(), 1e6f32.to_le_bytes()].concat()),
                ),
            ),
        ),
    ] {
        refused(
            &model(&[constant_node, fill("s")], &[], &[]),
            "ConstantOfShape",
        );
    }
    // The same constant as an initializer, and a benign one.
    refused(
        &model(&[fill("s")], &[int_tensor("s", &huge)], &[]),
        "ConstantOfShape",
    );
    passes(
        &model(&[fill("s")], &[int_tensor("s", &[2, 3])], &[]),
        "a small fill",
    );
}

#[test]
fn fields_in_any_order_are_read() {
    let value_ints = [text(1, "value_ints"), bytes(8, &packed_ints(&[BIG, BIG]))].concat();
    let reversed_constant = node_reversed("Constant", &[], "s", &[value_ints]);
    let reversed_fill = node_reversed("ConstantOfShape", &["s"], "y", &[]);
    refused(
        &model(&[reversed_constant, reversed_fill], &[], &[]),
        "ConstantOfShape",
    );
    // Initializers after the nodes that use them.
    let mut graph = bytes(1, &fill("s"));
    graph.extend(bytes(5, &int_tensor("s", &[BIG, BIG])));
    let late = [int(1, 8), bytes(7, &graph)].concat();
    refused(&late, "ConstantOfShape");
}

#[test]
fn shapes_computed_from_constants_are_followed() {
    // Shape(x) -> Gather([1]) -> Concat with [2^30] -> Mul by 4 -> ConstantOfShape.
    let nodes = [
        node("Shape", &["x"], "sx", &[]),
        node("Gather", &["sx", "one"], "d", &[]),
        node("Concat", &["d", "big"], "cat", &[]),
        node("Mul", &["cat", "four"], "shape", &[]),
        node("Unsqueeze", &["shape"], "u", &[]),
        fill("u"),
    ];
    let inits = [
        int_tensor("one", &[1]),
        int_tensor("big", &[1 << 30]),
        int_tensor("four", &[4]),
    ];
    refused(
        &model(&nodes, &inits, &[input("x", &[1, 3])]),
        "ConstantOfShape",
    );
    let small = [
        int_tensor("one", &[1]),
        int_tensor("big", &[2]),
        int_tensor("four", &[4]),
    ];
    passes(
        &model(&nodes, &small, &[input("x", &[1, 3])]),
        "a small computed shape",
    );
    // Expand and Reshape read their shape from the second input.
    for op in ["Expand", "Reshape"] {
        let n = node(op, &["x", "s"], "y", &[]);
        refused(
            &model(&[n], &[int_tensor("s", &[BIG, BIG])], &[input("x", &[1])]),
            op,
        );
    }
}

#[test]
fn resize_range_and_pad_are_bounded() {
    // Resize by scales: the input times the scales.
    let resize = node("Resize", &["x", "", "scales"], "y", &[]);
    refused(
        &model(
            std::slice::from_ref(&resize),
            &[float_tensor("scales", &[1.0, 1.0, 1e4, 1e4])],
            &[input("x", &[1, 3, 32, 32])],
        ),
        "Resize",
    );
    passes(
        &model(
            &[resize],
            &[float_tensor("scales", &[1.0, 1.0, 2.0, 2.0])],
            &[input("x", &[1, 3, 32, 32])],
        ),
        "a 2x resize",
    );
    // A float Range.
    let range = node("Range", &["a", "b", "c"], "y", &[]);
    let ends = |b: f32| {
        [
            float_tensor("a", &[0.0]),
            float_tensor("b", &[b]),
            float_tensor("c", &[0.5]),
        ]
    };
    refused(
        &model(std::slice::from_ref(&range), &ends(1e12), &[]),
        "Range",
    );
    passes(&model(&[range], &ends(100.0), &[]), "a short range");
    // Pad, as an input and as the old attribute.
    let pad = node("Pad", &["x", "pads"], "y", &[]);
    refused(
        &model(
            std::slice::from_ref(&pad),
            &[int_tensor("pads", &[0, 1 << 27, 0, 1 << 27])],
            &[input("x", &[1, 64])],
        ),
        "Pad",
    );
    passes(
        &model(
            &[pad],
            &[int_tensor("pads", &[0, 1, 0, 1])],
            &[input("x", &[1, 64])],
        ),
        "a small pad",
    );
    let old_pad = node(
        "Pad",
        &["x"],
        "y",
        &[[
            text(1, "pads"),
            bytes(8, &packed_ints(&[0, 1 << 28, 0, 1 << 28])),
        ]
        .concat()],
    );
    refused(&model(&[old_pad], &[], &[input("x", &[1, 64])]), "Pad");
}
