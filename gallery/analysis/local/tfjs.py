"""Convert a TensorFlow.js graph model (``model.json`` + weights) to ONNX.

Only numpy and onnx are needed: no TensorFlow. The converter knows the ops of
the models we ship (the CenterNet detector, the BlazeFace face detector and
the face descriptor of ``@vladmandic/human``), and refuses any other op by
name instead of guessing.

TensorFlow works in NHWC; ONNX convolutions want NCHW. The graph input is
transposed once, every 4-D tensor inside is NCHW, and 4-D outputs are
transposed back, so the ONNX model has the same inputs and outputs, in the
same layout, as the TensorFlow.js one. Only the nodes the requested outputs
depend on are converted: the detector's decode tail (top-k, gathers) is left
out and done in numpy (gallery.analysis.local.detect).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
_NHWC_TO_NCHW = [0, 3, 1, 2]
_NCHW_TO_NHWC = [0, 2, 3, 1]


def read_weights(model_json: Mapping, weights_dir: Path) -> dict[str, np.ndarray]:
    """Every weight in the manifest, dequantised to float32 where it was stored
    as float16 or as affine-quantised integers."""
    out: dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        buf = b"".join((weights_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            dtype = np.dtype(quant["dtype"] if quant else spec["dtype"])
            raw = np.frombuffer(buf, dtype, count, offset)
            offset += raw.nbytes
            if quant and quant["dtype"] == "float16":
                value = raw.astype(np.float32)
            elif quant:
                value = raw.astype(np.float32) * quant["scale"] + quant["min"]
            else:
                value = raw.copy()
            out[spec["name"]] = value.reshape(shape)
        if offset != len(buf):
            raise ValueError(f"weights use {offset} of {len(buf)} bytes")
    return out


def _attr(node: Mapping, name: str, default=None):
    value = node.get("attr", {}).get(name)
    if value is None:
        return default
    if "list" in value:
        items = value["list"]
        if "i" in items:
            return [int(i) for i in items["i"]]
        if "s" in items:
            return [base64.b64decode(s).decode() for s in items["s"]]
        return []
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "i" in value:
        return int(value["i"])
    if "b" in value:
        return bool(value["b"])
    if "f" in value:
        return float(value["f"])
    return value


class _Converter:
    def __init__(self, nodes: list[dict], weights: dict[str, np.ndarray]) -> None:
        self.by_name = {n["name"]: n for n in nodes}
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: dict[str, onnx.TensorProto] = {}
        self.rank: dict[str, int] = {}  # rank of each converted tensor
        self.count = 0

    # -- helpers -------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self.count += 1
        return f"{hint}__{self.count}"

    def const(self, value: np.ndarray, hint: str = "c") -> str:
        name = self.fresh(hint)
        self.inits[name] = numpy_helper.from_array(np.ascontiguousarray(value), name)
        return name

    def emit(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def value(self, name: str) -> np.ndarray:
        name = name.split(":")[0]
        node = self.by_name[name]
        if node["op"] != "Const":
            raise ValueError(f"{name} must be a constant")
        return self.weights[name]

    def is_const(self, name: str) -> bool:
        return self.by_name[name.split(":")[0]]["op"] == "Const"

    def operand(self, name: str, other_rank: int) -> str:
        """A constant operand of an elementwise op, laid out for NCHW."""
        v = self.value(name).astype(np.float32)
        if other_rank == 4 and v.ndim == 1 and v.size > 1:
            v = v.reshape(-1, 1, 1)
        elif other_rank == 4 and v.ndim == 4:
            v = v.transpose(_NHWC_TO_NCHW)
        return self.const(v, "k")

    # -- conversion ----------------------------------------------------------
    def convert(self, name: str) -> str:
        """ONNX name of the tensor computed by the TF node ``name``."""
        name = name.split(":")[0]
        if name in self.rank:
            return name
        node = self.by_name[name]
        inputs = [i for i in node.get("input", []) if not i.startswith("^")]
        op = node["op"]
        method = getattr(self, f"_op_{op}", None)
        if method is None:
            raise NotImplementedError(f"TensorFlow op {op} ({name}) is not supported")
        rank = method(name, node, inputs)
        self.rank[name] = rank
        return name

    def _activation(self, x: str, out: str, fused: list[str]) -> str:
        for act in fused:
            y = self.fresh(out)
            if act == "Relu":
                x = self.emit("Relu", [x], y)
            elif act == "Relu6":
                x = self.emit("Clip", [x, self._zero(), self._six()], y)
            else:
                raise NotImplementedError(f"fused activation {act}")
        return self.emit("Identity", [x], out)

    def _zero(self) -> str:
        if "relu6.min" not in self.inits:
            self.inits["relu6.min"] = numpy_helper.from_array(
                np.array(0.0, np.float32), "relu6.min"
            )
            self.inits["relu6.max"] = numpy_helper.from_array(
                np.array(6.0, np.float32), "relu6.max"
            )
        return "relu6.min"

    def _six(self) -> str:
        self._zero()
        return "relu6.max"

    def _conv(self, name, node, inputs, *, depthwise: bool, fused: bool) -> int:
        x = self.convert(inputs[0])
        w = self.value(inputs[1]).astype(np.float32)  # HWIO, or HWC1 depthwise
        strides = _attr(node, "strides", [1, 1, 1, 1])[1:3]
        dilations = _attr(node, "dilations", [1, 1, 1, 1])[1:3]
        padding = _attr(node, "padding", "SAME")
        if _attr(node, "data_format", "NHWC") != "NHWC":
            raise NotImplementedError("only NHWC convolutions")
        if depthwise:
            kh, kw, cin, mult = w.shape
            weight = w.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
            group = cin
        else:
            weight = w.transpose(3, 2, 0, 1)
            group = 1
        args = [x, self.const(weight, "w")]
        ops = _attr(node, "fused_ops", []) if fused else []
        if ops and ops[0] == "BiasAdd":
            args.append(self.const(self.value(inputs[2]).astype(np.float32), "b"))
            ops = ops[1:]
        elif ops:
            raise NotImplementedError(f"fused ops {ops}")
        pad = {"SAME": "SAME_UPPER", "VALID": "VALID"}[padding]
        conv = self.emit(
            "Conv",
            args,
            self.fresh(name) if ops else name,
            strides=strides,
            dilations=dilations,
            group=group,
            kernel_shape=list(weight.shape[2:]),
            auto_pad=pad,
        )
        if ops:
            self._activation(conv, name, ops)
        return 4

    def _op__FusedConv2D(self, name, node, inputs):
        return self._conv(name, node, inputs, depthwise=False, fused=True)

    def _op_Conv2D(self, name, node, inputs):
        return self._conv(name, node, inputs, depthwise=False, fused=False)

    def _op_FusedDepthwiseConv2dNative(self, name, node, inputs):
        return self._conv(name, node, inputs, depthwise=True, fused=True)

    def _op_DepthwiseConv2dNative(self, name, node, inputs):
        return self._conv(name, node, inputs, depthwise=True, fused=False)

    def _binary(self, onnx_op: str, name: str, inputs: list[str]) -> int:
        a, b = inputs
        if self.is_const(a) and self.is_const(b):
            raise NotImplementedError(f"{name}: constant folding")
        if self.is_const(a):
            tb = self.convert(b)
            self.emit(onnx_op, [self.operand(a, self.rank[tb]), tb], name)
            return self.rank[tb]
        ta = self.convert(a)
        tb = self.operand(b, self.rank[ta]) if self.is_const(b) else self.convert(b)
        self.emit(onnx_op, [ta, tb], name)
        return max(self.rank[ta], self.rank.get(tb, 0))

    def _op_Add(self, name, node, inputs):
        return self._binary("Add", name, inputs)

    _op_AddV2 = _op_Add

    def _op_Mul(self, name, node, inputs):
        return self._binary("Mul", name, inputs)

    def _op_Sub(self, name, node, inputs):
        return self._binary("Sub", name, inputs)

    def _op_Minimum(self, name, node, inputs):
        return self._binary("Min", name, inputs)

    def _op_Maximum(self, name, node, inputs):
        return self._binary("Max", name, inputs)

    def _unary(self, onnx_op: str, name: str, inputs: list[str], **attrs) -> int:
        x = self.convert(inputs[0])
        self.emit(onnx_op, [x], name, **attrs)
        return self.rank[x]

    def _op_Relu(self, name, node, inputs):
        return self._unary("Relu", name, inputs)

    def _op_Sigmoid(self, name, node, inputs):
        return self._unary("Sigmoid", name, inputs)

    def _op_Identity(self, name, node, inputs):
        return self._unary("Identity", name, inputs)

    def _op_Softmax(self, name, node, inputs):
        return self._unary("Softmax", name, inputs, axis=-1)

    def _op_Relu6(self, name, node, inputs):
        x = self.convert(inputs[0])
        self.emit("Clip", [x, self._zero(), self._six()], name)
        return self.rank[x]

    def _axis(self, axis: int, rank: int) -> int:
        """A TensorFlow NHWC axis as the NCHW axis."""
        axis = axis % rank
        return [0, 2, 3, 1][axis] if rank == 4 else axis

    def _op_Mean(self, name, node, inputs):
        x = self.convert(inputs[0])
        axes = np.atleast_1d(self.value(inputs[1])).tolist()
        keep = _attr(node, "keep_dims", False)
        rank = self.rank[x]
        nchw = sorted(self._axis(int(a), rank) for a in axes)
        if not keep and rank == 4 and nchw != [2, 3]:
            raise NotImplementedError(f"{name}: Mean over {axes}")
        self.emit("ReduceMean", [x], name, axes=nchw, keepdims=int(keep))
        return rank if keep else rank - len(axes)

    def _op_ConcatV2(self, name, node, inputs):
        *parts, axis_name = inputs
        tensors = [self.convert(p) for p in parts]
        rank = self.rank[tensors[0]]
        axis = self._axis(int(self.value(axis_name)), rank)
        self.emit("Concat", tensors, name, axis=axis)
        return rank

    def _op_ResizeBilinear(self, name, node, inputs):
        if _attr(node, "align_corners", False) or _attr(
            node, "half_pixel_centers", False
        ):
            raise NotImplementedError(f"{name}: only the asymmetric resize")
        x = self.convert(inputs[0])
        h, w = (int(v) for v in self.value(inputs[1]))
        shape = self.fresh("shape")
        self.emit("Shape", [x], shape, start=0, end=2)
        sizes = self.fresh("sizes")
        hw = self.const(np.array([h, w], np.int64))
        self.emit("Concat", [shape, hw], sizes, axis=0)
        self.emit(
            "Resize",
            [x, "", "", sizes],
            name,
            mode="linear",
            coordinate_transformation_mode="asymmetric",
        )
        return 4

    def _op__FusedMatMul(self, name, node, inputs):
        x = self.convert(inputs[0])
        w = self.value(inputs[1]).astype(np.float32)
        if _attr(node, "transpose_a", False):
            raise NotImplementedError(f"{name}: transpose_a")
        if _attr(node, "transpose_b", False):
            w = w.T
        ops = _attr(node, "fused_ops", [])
        if not ops or ops[0] != "BiasAdd":
            raise NotImplementedError(f"{name}: fused ops {ops}")
        bias = self.const(self.value(inputs[2]).astype(np.float32), "b")
        out = self.fresh(name) if ops[1:] else name
        self.emit("Gemm", [x, self.const(w, "w"), bias], out)
        if ops[1:]:
            self._activation(out, name, ops[1:])
        return 2

    def _op_MaxPool(self, name, node, inputs):
        x = self.convert(inputs[0])
        pad = {"SAME": "SAME_UPPER", "VALID": "VALID"}[_attr(node, "padding")]
        self.emit(
            "MaxPool",
            [x],
            name,
            kernel_shape=_attr(node, "ksize")[1:3],
            strides=_attr(node, "strides")[1:3],
            auto_pad=pad,
        )
        return 4

    def _op_Pad(self, name, node, inputs):
        x = self.convert(inputs[0])
        paddings = np.asarray(self.value(inputs[1]), np.int64)  # (rank, 2), NHWC
        if self.rank[x] == 4:
            paddings = paddings[_NHWC_TO_NCHW]
        pads = self.const(np.concatenate([paddings[:, 0], paddings[:, 1]]), "pads")
        self.emit("Pad", [x, pads], name, mode="constant")
        return self.rank[x]

    def _op_Reshape(self, name, node, inputs):
        x = self.convert(inputs[0])
        shape = np.asarray(self.value(inputs[1]), np.int64)
        if shape.size == 4:
            raise NotImplementedError(f"{name}: a reshape to 4-D")
        if self.rank[x] == 4:  # TensorFlow reshapes NHWC memory order
            nhwc = self.fresh(name)
            x = self.emit("Transpose", [x], nhwc, perm=_NCHW_TO_NHWC)
        self.emit("Reshape", [x, self.const(shape, "shape")], name)
        return int(shape.size)

    def _op_Equal(self, name, node, inputs):
        return self._binary("Equal", name, inputs)

    def _op_Cast(self, name, node, inputs):
        to = {"DT_FLOAT": TensorProto.FLOAT, "DT_INT32": TensorProto.INT32}
        return self._unary("Cast", name, inputs, to=to[_attr(node, "DstT")["type"]])

    def _op_Placeholder(self, name, node, inputs):
        raise AssertionError("inputs are set up before conversion")


def _renamed(nodes: list[dict], old: str, new: str) -> list[dict]:
    """The nodes with the tensor ``old`` called ``new``."""

    def name(ref: str) -> str:
        base, colon, port = ref.partition(":")
        return new + colon + port if base == old else ref

    return [
        {**n, "name": name(n["name"]), "input": [name(i) for i in n.get("input", [])]}
        for n in nodes
    ]


def convert(
    model_json: Mapping,
    weights: dict[str, np.ndarray],
    *,
    outputs: Mapping[str, str],
    graph_name: str,
    producer_version: str,
) -> onnx.ModelProto:
    """The ONNX model computing ``outputs`` (TF node name -> ONNX output name)
    from the graph's single input, both in NHWC like TensorFlow.js."""
    nodes = model_json["modelTopology"]["node"]
    # Newer converters put the signature inside userDefinedMetadata.
    signature = (
        model_json.get("signature") or model_json["userDefinedMetadata"]["signature"]
    )
    (input_name, input_spec), *more = signature["inputs"].items()
    input_name = input_name.split(":")[0]
    if input_name == "input":  # the ONNX graph's own input is called that
        nodes = _renamed(nodes, input_name, "input_nchw")
        input_name = "input_nchw"
    c = _Converter(nodes, weights)
    if more:
        raise NotImplementedError("only single-input graphs")
    sizes = [int(d["size"]) for d in input_spec["tensorShape"]["dim"]]
    dims: list[str | int] = ["N" if d < 0 else d for d in sizes]
    c.emit("Transpose", ["input"], input_name, perm=_NHWC_TO_NCHW)
    c.rank[input_name] = 4
    shapes = {
        key.split(":")[0]: [
            "N" if int(d["size"]) < 0 else int(d["size"])
            for d in spec["tensorShape"]["dim"]
        ]
        for key, spec in signature.get("outputs", {}).items()
    }
    graph_outputs = []
    for out, public in outputs.items():
        tensor = c.convert(out)
        if c.rank[tensor] == 4:
            c.emit("Transpose", [tensor], public, perm=_NCHW_TO_NHWC)
        else:
            c.emit("Identity", [tensor], public)
        shape = shapes.get(out.split(":")[0], ["d"] * c.rank[tensor])
        graph_outputs.append(
            helper.make_tensor_value_info(public, TensorProto.FLOAT, shape)
        )
    graph = helper.make_graph(
        c.nodes,
        graph_name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, dims)],
        graph_outputs,
        list(c.inits.values()),
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="image-repo",
        producer_version=producer_version,
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def convert_files(
    json_path: Path,
    *,
    outputs: Mapping[str, str],
    graph_name: str,
    producer_version: str,
) -> onnx.ModelProto:
    doc = json.loads(Path(json_path).read_text(encoding="utf-8"))
    weights = read_weights(doc, Path(json_path).parent)
    return convert(
        doc,
        weights,
        outputs=outputs,
        graph_name=graph_name,
        producer_version=producer_version,
    )
