#!/usr/bin/env python3
"""Writes the tiny ONNX "saliency" model the engine tests load through OpenCV's DNN module.

It has the shape of a U^2-Net-style salient-object model (1x3x320x320 in, 1x1x320x320 out) but
one 1x1 convolution inside: saliency = red - green of the normalised input. The tests use it to
prove that a user-supplied model really drives the cutout (a red object is kept, a blue one
dropped), not to segment anything real. Requires `pip install onnx`; run from the repository root.
"""
import onnx
from onnx import TensorProto, helper

weights = helper.make_tensor("weights", TensorProto.FLOAT, [1, 3, 1, 1], [1.0, -1.0, 0.0])
bias = helper.make_tensor("bias", TensorProto.FLOAT, [1], [0.0])
node = helper.make_node("Conv", ["input", "weights", "bias"], ["saliency"], kernel_shape=[1, 1])
graph = helper.make_graph(
    [node], "red-saliency",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 320, 320])],
    [helper.make_tensor_value_info("saliency", TensorProto.FLOAT, [1, 1, 320, 320])],
    initializer=[weights, bias])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="prodvisual-tests")
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, "Tests/EngineTests/Resources/red-saliency.onnx")
