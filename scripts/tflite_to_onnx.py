#!/usr/bin/env python3
"""Converts a float TFLite model into an ONNX model that OpenCV 4.6's DNN module can load.

    python3 scripts/tflite_to_onnx.py MODEL.tflite MODEL.onnx

OpenCV 4.6 cannot read TFLite, and the converters on PyPI either need TensorFlow or produce ONNX
that OpenCV 4.6 rejects. This one is small on purpose: it maps the operators that MediaPipe's pose
landmark, selfie segmentation and short-range face detection models use (CONV_2D,
DEPTHWISE_CONV_2D, ADD, MUL, PAD, RESHAPE, CONCATENATION, MAX_POOL_2D, AVERAGE_POOL_2D,
RESIZE_BILINEAR, RELU, LOGISTIC, HARD_SWISH, DEQUANTIZE and the custom Convolution2DTransposeBias),
in the forms they use them, and refuses anything else, naming it, rather than guessing. Needs the `tflite` and `onnx` packages and
numpy (scripts/install-models.py runs it in a throw-away venv with pinned versions).

What the result looks like:

  * ONNX opset 10 in the default domain (OpenCV 4.6 reads Clip, that is ReLU6, only in its opset<=10
    form with attributes); fixed input sizes, batch 1.
  * Layout: every 4-D activation is NCHW (TFLite's are NHWC). The graph input is 1x3xHxW, so a
    cv::dnn::blobFromImage blob goes in as it is; 4-D outputs come out NCHW (1xCxHxW); other
    outputs keep TFLite's shape and element order. Where TFLite reshapes a 4-D tensor, a Transpose
    to NHWC is put first (left out when it cannot change the element order).
  * Inputs and outputs keep their TFLite names; intermediate tensors are called t<index>, after
    the TFLite tensor they hold.
  * float16 weights (DEQUANTIZE of a constant) become float32 constants; the arithmetic is float32
    throughout, as in TFLite's float kernels.
  * RESIZE_BILINEAR by 2 with half_pixel_centers (opset 10's Resize knows only the asymmetric
    transform) becomes a nearest-neighbour Resize, an edge-replicating Pad and a 3x3 depthwise
    Conv with the kernel [1/4, 1/2, 1/4] x [1/4, 1/2, 1/4]: exactly TFLite's interpolation,
    clamping at the borders included.
  * HARD_SWISH is x * HardSigmoid(x) with alpha 1/6 and beta 1/2; fused activations become a Relu
    or Clip node after the operator.
  * MediaPipe's custom operator Convolution2DTransposeBias (a transposed convolution with bias,
    options packed as TfLiteTransposeConvParams: padding, stride_w, stride_h) becomes ConvTranspose.

The output is a pure function of the input bytes (no time stamps, fixed node order), so its sha256
can be pinned. The model records its source and this conversion in metadata key
"prodvisual.convert".
"""
import hashlib
import struct
import sys

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

VERSION = "1"
OPSET = 10
IR_VERSION = 5  # the IR version that goes with opset 10

TFLITE_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 4: np.int64}  # TensorType FLOAT32, FLOAT16, INT32, INT64
ACTIVATIONS = {0: None, 1: "RELU", 3: "RELU6"}  # ActivationFunctionType NONE, RELU, RELU6
TFLITE_SAME, TFLITE_VALID = 0, 1  # tflite.Padding
TFLITE_C_PADDING_SAME, TFLITE_C_PADDING_VALID = 1, 2  # TfLitePadding, as packed in custom options
NHWC_TO_NCHW, NCHW_TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]
NHWC_AXIS_IN_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}


class Unsupported(Exception):
    """The model uses something this converter does not map."""


def _builtin_names():
    return {value: name for name, value in vars(tflite.BuiltinOperator).items() if not name.startswith("_")}


def _options(op, cls):
    table = op.BuiltinOptions()
    options = cls()
    if table is not None:
        options.Init(table.Bytes, table.Pos)
    return options


def same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's SAME padding along one axis: (before, after); the odd pixel goes after."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


class Converter:
    def __init__(self, data):
        self.data = data
        self.model = tflite.Model.GetRootAsModel(data, 0)
        if self.model.SubgraphsLength() != 1:
            raise Unsupported(f"{self.model.SubgraphsLength()} subgraphs; only single-graph models are converted")
        self.graph = self.model.Subgraphs(0)
        self.op_names = _builtin_names()
        self.nodes, self.initializers = [], []
        self.constants = {}  # TFLite tensor index -> numpy array
        self.names = {}  # TFLite tensor index -> ONNX value name (4-D ones hold NCHW data)
        self.outputs = set(int(i) for i in self.graph.OutputsAsNumpy())

    # --- tensors -------------------------------------------------------------------------------

    def tensor(self, index):
        return self.graph.Tensors(index)

    def shape(self, index):
        t = self.tensor(index)
        return [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []

    def tensor_name(self, index):
        return self.tensor(index).Name().decode("utf-8")

    def buffer_data(self, index):
        t = self.tensor(index)
        buffer = self.model.Buffers(t.Buffer())
        if buffer.DataLength():
            return buffer.DataAsNumpy().tobytes()
        if buffer.Offset() > 1:
            return self.data[buffer.Offset():buffer.Offset() + buffer.Size()]
        return None

    def constant(self, index):
        if index in self.constants:
            return self.constants[index]
        t = self.tensor(index)
        raw = self.buffer_data(index)
        if raw is None:
            return None
        if t.Type() not in TFLITE_DTYPES:
            raise Unsupported(f"constant {self.tensor_name(index)!r} has TFLite type {t.Type()}")
        if t.Quantization() is not None and t.Quantization().ScaleLength():
            raise Unsupported(f"constant {self.tensor_name(index)!r} is quantised; only float models are converted")
        array = np.frombuffer(raw, dtype=np.dtype(TFLITE_DTYPES[t.Type()]).newbyteorder("<")).reshape(self.shape(index))
        self.constants[index] = array
        return array

    def float_constant(self, index, what):
        array = self.constant(index)
        if array is None:
            raise Unsupported(f"{what} ({self.tensor_name(index)!r}) is computed, not a constant")
        if array.dtype not in (np.float32, np.float16):
            raise Unsupported(f"{what} ({self.tensor_name(index)!r}) is {array.dtype}, not float")
        return array.astype(np.float32)

    def value(self, index):
        """The ONNX name of an activation (computed) tensor."""
        if index not in self.names:
            if self.constant(index) is not None:
                raise Unsupported(f"constant {self.tensor_name(index)!r} used where the converter expects an activation")
            raise Unsupported(f"tensor {self.tensor_name(index)!r} is read before it is written")
        return self.names[index]

    def define(self, index):
        """The ONNX name for the tensor an operator writes: its TFLite name for a graph output."""
        t = self.tensor(index)
        if t.Type() != 0:
            raise Unsupported(f"tensor {self.tensor_name(index)!r} has TFLite type {t.Type()}; only float32 activations are converted")
        name = self.tensor_name(index) if index in self.outputs else f"t{index}"
        self.names[index] = name
        return name

    def add_initializer(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op_type, inputs, output, **attributes):
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output

    def finish(self, index, op_type, inputs, activation=0, **attributes):
        """Emits op_type writing tensor `index`, followed by its fused activation, if any."""
        output = self.define(index)
        kind = ACTIVATIONS.get(activation, "?")
        if kind == "?":
            raise Unsupported(f"fused activation {activation} on {op_type} writing {self.tensor_name(index)!r}")
        if kind is None:
            return self.node(op_type, inputs, output, **attributes)
        raw = self.node(op_type, inputs, f"{output}_{op_type.lower()}", **attributes)
        if kind == "RELU":
            return self.node("Relu", [raw], output)
        return self.node("Clip", [raw], output, min=0.0, max=6.0)

    # --- conversion ----------------------------------------------------------------------------

    def convert(self):
        inputs = []
        for index in (int(i) for i in self.graph.InputsAsNumpy()):
            shape = self.shape(index)
            if self.tensor(index).Type() != 0:
                raise Unsupported(f"input {self.tensor_name(index)!r} is not float32")
            if len(shape) == 4:
                if shape[0] != 1:
                    raise Unsupported(f"input {self.tensor_name(index)!r} has batch {shape[0]}")
                shape = [shape[i] for i in NHWC_TO_NCHW]
            name = self.tensor_name(index)
            self.names[index] = name
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

        for position in range(self.graph.OperatorsLength()):
            op = self.graph.Operators(position)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            name = self.op_names.get(builtin, str(builtin))
            if name == "CUSTOM":
                name = "CUSTOM:" + code.CustomCode().decode("utf-8")
            handler = getattr(self, "op_" + name.replace("CUSTOM:", "custom_"), None)
            if handler is None:
                raise Unsupported(f"operator {name} (operator #{position}) is not mapped")
            ins = [int(i) for i in op.InputsAsNumpy()]
            outs = [int(i) for i in op.OutputsAsNumpy()]
            handler(op, ins, outs)

        outputs = []
        for index in (int(i) for i in self.graph.OutputsAsNumpy()):
            if index not in self.names:
                raise Unsupported(f"output {self.tensor_name(index)!r} is not computed by any operator")
            shape = self.shape(index)
            if len(shape) == 4:
                shape = [shape[i] for i in NHWC_TO_NCHW]
            outputs.append(helper.make_tensor_value_info(self.names[index], TensorProto.FLOAT, shape))

        graph = helper.make_graph(self.nodes, "tflite", inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="prodvisual tflite_to_onnx", producer_version=VERSION)
        model.ir_version = IR_VERSION
        source = hashlib.sha256(self.data).hexdigest()
        model.metadata_props.append(onnx.StringStringEntryProto(
            key="prodvisual.convert",
            value=f"tflite-to-onnx {VERSION}: from the TFLite model with sha256 {source}; NHWC->NCHW, float16 weights as float32, opset {OPSET}"))
        onnx.checker.check_model(model)
        return model

    # --- operators -----------------------------------------------------------------------------

    def op_DEQUANTIZE(self, op, ins, outs):
        source = self.constant(ins[0])
        if source is None or source.dtype != np.float16:
            raise Unsupported(f"DEQUANTIZE of {self.tensor_name(ins[0])!r}: only constant float16 weights are converted")
        self.constants[outs[0]] = source.astype(np.float32)

    def _pads(self, padding, in_shape, kernel, strides, dilations=(1, 1)):
        if padding == TFLITE_VALID:
            return [0, 0, 0, 0]
        if padding != TFLITE_SAME:
            raise Unsupported(f"padding {padding}")
        top, bottom = same_padding(in_shape[1], kernel[0], strides[0], dilations[0])
        left, right = same_padding(in_shape[2], kernel[1], strides[1], dilations[1])
        return [top, left, bottom, right]

    def _conv(self, op, ins, outs, depthwise):
        options = _options(op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
        in_shape = self.shape(ins[0])
        weights = self.float_constant(ins[1], "convolution weights")
        if depthwise:
            multiplier = options.DepthMultiplier()
            if weights.shape[0] != 1 or weights.shape[3] != in_shape[3] * multiplier:
                raise Unsupported(f"depthwise weights {list(weights.shape)} for input {in_shape}")
            kernel = weights.transpose(3, 0, 1, 2)  # [1, kh, kw, C*m] -> [C*m, 1, kh, kw]
            group = in_shape[3]
        else:
            if weights.shape[3] != in_shape[3]:
                raise Unsupported(f"convolution weights {list(weights.shape)} for input {in_shape}")
            kernel = weights.transpose(0, 3, 1, 2)  # OHWI -> OIHW
            group = 1
        strides = [options.StrideH(), options.StrideW()]
        dilations = [options.DilationHFactor(), options.DilationWFactor()]
        pads = self._pads(options.Padding(), in_shape, kernel.shape[2:], strides, dilations)
        out = outs[0]
        inputs = [self.value(ins[0]), self.add_initializer(f"t{out}_weights", kernel)]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self.add_initializer(f"t{out}_bias", self.float_constant(ins[2], "bias")))
        attributes = dict(kernel_shape=list(kernel.shape[2:]), strides=strides, pads=pads)
        if dilations != [1, 1]:
            attributes["dilations"] = dilations
        if group != 1:
            attributes["group"] = group
        self.finish(out, "Conv", inputs, options.FusedActivationFunction(), **attributes)

    def op_CONV_2D(self, op, ins, outs):
        self._conv(op, ins, outs, depthwise=False)

    def op_DEPTHWISE_CONV_2D(self, op, ins, outs):
        self._conv(op, ins, outs, depthwise=True)

    def op_custom_Convolution2DTransposeBias(self, op, ins, outs):
        raw = op.CustomOptionsAsNumpy().tobytes() if op.CustomOptionsLength() else b""
        if len(raw) < 12:
            raise Unsupported("Convolution2DTransposeBias without its packed TfLiteTransposeConvParams")
        padding, stride_w, stride_h = struct.unpack("<iii", raw[:12])
        weights = self.float_constant(ins[1], "transposed-convolution weights")  # [O, kh, kw, I]
        bias = self.float_constant(ins[2], "bias")
        in_shape, out_shape = self.shape(ins[0]), self.shape(outs[0])
        if weights.shape[3] != in_shape[3] or bias.shape != (weights.shape[0],):
            raise Unsupported(f"Convolution2DTransposeBias weights {list(weights.shape)} for input {in_shape}")
        pads = []
        for axis, stride in ((1, stride_h), (2, stride_w)):
            k = weights.shape[axis]
            if padding == TFLITE_C_PADDING_SAME:
                total = max(0, k - (in_shape[axis] - 1) % stride - 1)
            elif padding == TFLITE_C_PADDING_VALID:
                total = 0
            else:
                raise Unsupported(f"Convolution2DTransposeBias padding {padding}")
            # MediaPipe's kernel shifts by total // 2 and drops what falls past the end.
            pads.append((total // 2, total - total // 2))
            if stride * (in_shape[axis] - 1) + k - total != out_shape[axis]:
                raise Unsupported(f"Convolution2DTransposeBias output {out_shape} does not follow from its input {in_shape}")
        out = outs[0]
        kernel = weights.transpose(3, 0, 1, 2)  # [O, kh, kw, I] -> [I, O, kh, kw]
        self.finish(out, "ConvTranspose",
                    [self.value(ins[0]), self.add_initializer(f"t{out}_weights", kernel), self.add_initializer(f"t{out}_bias", bias)],
                    kernel_shape=list(kernel.shape[2:]), strides=[stride_h, stride_w],
                    pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]])

    def _binary(self, op, ins, outs, op_type, options_class):
        options = _options(op, options_class)
        out_shape = self.shape(outs[0])
        for index in ins[:2]:
            shape = self.shape(index)
            if self.constant(index) is not None:
                raise Unsupported(f"{op_type} with a constant operand ({self.tensor_name(index)!r})")
            per_channel = len(shape) == 4 and len(out_shape) == 4 and shape[:3] == [1, 1, 1] and shape[3] == out_shape[3]
            if shape != out_shape and not per_channel:
                raise Unsupported(f"{op_type} of shapes {shape} into {out_shape}: only equal shapes or a 1x1x1xC operand")
        # A 1x1x1xC operand is 1xCx1x1 in NCHW, which ONNX (and OpenCV) broadcast over H and W.
        self.finish(outs[0], op_type, [self.value(i) for i in ins[:2]], options.FusedActivationFunction())

    def op_ADD(self, op, ins, outs):
        self._binary(op, ins, outs, "Add", tflite.AddOptions)

    def op_MUL(self, op, ins, outs):
        self._binary(op, ins, outs, "Mul", tflite.MulOptions)

    def _unary(self, ins, outs, op_type, **attributes):
        self.finish(outs[0], op_type, [self.value(ins[0])], **attributes)

    def op_RELU(self, op, ins, outs):
        self._unary(ins, outs, "Relu")

    def op_LOGISTIC(self, op, ins, outs):
        self._unary(ins, outs, "Sigmoid")

    def op_HARD_SWISH(self, op, ins, outs):
        x = self.value(ins[0])
        output = self.define(outs[0])
        gate = self.node("HardSigmoid", [x], f"{output}_gate", alpha=1.0 / 6.0, beta=0.5)
        self.node("Mul", [x, gate], output)

    def op_PAD(self, op, ins, outs):
        paddings = self.constant(ins[1])
        if paddings is None:
            raise Unsupported("PAD with computed paddings")
        paddings = paddings.astype(np.int64).reshape(-1, 2)
        if len(paddings) == 4:
            paddings = paddings[NHWC_TO_NCHW]
        self.finish(outs[0], "Pad", [self.value(ins[0])], mode="constant", value=0.0,
                    pads=[int(p) for p in paddings[:, 0]] + [int(p) for p in paddings[:, 1]])

    def _pool(self, op, ins, outs, op_type):
        options = _options(op, tflite.Pool2DOptions)
        in_shape, out_shape = self.shape(ins[0]), self.shape(outs[0])
        kernel = [options.FilterHeight(), options.FilterWidth()]
        strides = [options.StrideH(), options.StrideW()]
        if op_type == "AveragePool" and out_shape[1:3] == [1, 1] and kernel == in_shape[1:3]:
            self.finish(outs[0], "GlobalAveragePool", [self.value(ins[0])], options.FusedActivationFunction())
            return
        pads = self._pads(options.Padding(), in_shape, kernel, strides)
        # ONNX's AveragePool leaves padding out of the count by default, as TFLite does.
        self.finish(outs[0], op_type, [self.value(ins[0])], options.FusedActivationFunction(),
                    kernel_shape=kernel, strides=strides, pads=pads)

    def op_MAX_POOL_2D(self, op, ins, outs):
        self._pool(op, ins, outs, "MaxPool")

    def op_AVERAGE_POOL_2D(self, op, ins, outs):
        self._pool(op, ins, outs, "AveragePool")

    def op_RESIZE_BILINEAR(self, op, ins, outs):
        options = _options(op, tflite.ResizeBilinearOptions)
        in_shape, out_shape = self.shape(ins[0]), self.shape(outs[0])
        if options.AlignCorners() or not options.HalfPixelCenters():
            raise Unsupported("RESIZE_BILINEAR is converted only with half_pixel_centers and without align_corners")
        if out_shape[1:3] != [2 * in_shape[1], 2 * in_shape[2]]:
            raise Unsupported(f"RESIZE_BILINEAR from {in_shape} to {out_shape}: only a factor of 2 is converted")
        # With half-pixel centres, output pixel 2i samples the input at i - 1/4 (weights 1/4 on
        # pixel i-1 and 3/4 on i) and 2i+1 at i + 1/4 (3/4 on i, 1/4 on i+1), the input clamped at
        # its borders. That is a nearest-neighbour doubling, one pixel replicated around it, and a
        # 3x3 depthwise convolution with the separable kernel [1/4, 1/2, 1/4]: all three are fast
        # in OpenCV, and the weights are exact in float32.
        out = outs[0]
        channels = in_shape[3]
        taps = np.array([0.25, 0.5, 0.25], dtype=np.float32)
        kernel = np.outer(taps, taps)[None, None].repeat(channels, axis=0)  # [C, 1, 3, 3]
        scales = self.add_initializer(f"t{out}_scales", np.array([1, 1, 2, 2], dtype=np.float32))
        doubled = self.node("Resize", [self.value(ins[0]), scales], f"t{out}_nearest", mode="nearest")
        padded = self.node("Pad", [doubled], f"t{out}_edge", mode="edge", pads=[0, 0, 1, 1, 0, 0, 1, 1])
        self.finish(out, "Conv", [padded, self.add_initializer(f"t{out}_bilinear", kernel)],
                    kernel_shape=[3, 3], strides=[1, 1], pads=[0, 0, 0, 0], group=channels)

    def op_CONCATENATION(self, op, ins, outs):
        options = _options(op, tflite.ConcatenationOptions)
        rank = len(self.shape(outs[0]))
        axis = options.Axis() % rank
        if rank == 4:
            axis = NHWC_AXIS_IN_NCHW[axis]
        self.finish(outs[0], "Concat", [self.value(i) for i in ins], options.FusedActivationFunction(), axis=axis)

    def op_RESHAPE(self, op, ins, outs):
        in_shape, out_shape = self.shape(ins[0]), self.shape(outs[0])
        if any(d <= 0 for d in out_shape) or int(np.prod(in_shape)) != int(np.prod(out_shape)):
            raise Unsupported(f"RESHAPE from {in_shape} to {out_shape}")
        source = self.value(ins[0])
        out = outs[0]

        def same_order(nhwc):  # does NCHW order lay out these elements as NHWC does?
            h, w, c = nhwc[1:]
            return c == 1 or (h == 1 and w == 1)

        if len(in_shape) == 4 and not same_order(in_shape):
            source = self.node("Transpose", [source], f"t{out}_nhwc", perm=NCHW_TO_NHWC)
        if len(out_shape) == 4:
            target = [out_shape[i] for i in NHWC_TO_NCHW] if same_order(out_shape) else out_shape
        else:
            target = out_shape
        shape = self.add_initializer(f"t{out}_shape", np.array(target, dtype=np.int64))
        if len(out_shape) == 4 and not same_order(out_shape):
            reshaped = self.node("Reshape", [source, shape], f"t{out}_reshaped_nhwc")
            self.finish(out, "Transpose", [reshaped], perm=NHWC_TO_NCHW)
        else:
            self.finish(out, "Reshape", [source, shape])


def convert(data):
    """The ONNX model (a ModelProto) for the TFLite model in `data` (bytes)."""
    return Converter(bytes(data)).convert()


def convert_file(source, destination):
    with open(source, "rb") as f:
        model = convert(f.read())
    with open(destination, "wb") as out:
        out.write(model.SerializeToString())


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        convert_file(argv[0], argv[1])
    except Unsupported as error:
        print(f"tflite_to_onnx: {argv[0]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
