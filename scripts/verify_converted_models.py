#!/usr/bin/env python3
"""Proves the TFLite-to-ONNX conversions: OpenCV 4.6's DNN module running the converted ONNX models
against Google's own runtime (LiteRT, PyPI package ai-edge-litert) running the original TFLite
models, on the bench's photos of persons and a few packshots (no person).

    /usr/bin/python3 scripts/verify_converted_models.py [--model-dir models] [--bench-dir ../shared/bench]
                                                        [--save-dir DIR] [--venv DIR]

Needs Debian's python3-opencv (cv2 4.6, the library the engine links; hence /usr/bin/python3) and
PyPI: LiteRT runs in a throw-away venv (pinned below; --venv DIR keeps and reuses it). The models
must be installed first (python3 scripts/install-models.py), with their wheel in MODEL_DIR/.wheels.
Not part of `make test` (it needs ai-edge-litert and takes a minute or two).

Every model gets exactly the same input tensor in both runtimes, prepared as the engine should
(see PREPROCESSING and the catalogue). Printed per model: what each runtime made of each image,
the largest absolute difference of each output over all images (OpenCV against LiteRT with its
default XNNPACK delegate, as MediaPipe runs it, and, for scale, LiteRT's XNNPACK against LiteRT's
reference kernels: float32 rounding alone), and OpenCV's forward time (median of 30 runs after a
warm-up, with OpenCV's default threads and with one). Exit status 1 when a difference is past its
bound in BOUNDS.

The selfie model's last operator is MediaPipe's custom Convolution2DTransposeBias, which LiteRT does
not ship. The reference for that model is therefore LiteRT up to that operator's input (the model
cut there: its operator list shortened and its output redirected, in a copy) followed by the
operator and the final sigmoid in float64 numpy, written from MediaPipe's kernel
(mediapipe/util/tflite/operations/transpose_conv_bias.cc); the cut tensor itself is compared too.
"""
import argparse
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(SCRIPTS, os.pardir, "Sources", "ProdVisualEngine", "Models", "catalog.json")
REFERENCE_PINS = ["ai-edge-litert==2.3.0", "tflite==2.18.0"]
CONVERSION = "tflite-to-onnx"

# Largest absolute difference allowed per output (checked over every image).
BOUNDS = {
    ("pose", "landmarks_xy_px"): 0.01,      # of 256 px
    ("pose", "landmarks_z"): 0.01,
    ("pose", "visibility_presence"): 1e-4,  # after the sigmoid
    ("pose", "pose_flag"): 1e-4,
    # The segmentation decoder is sensitive: LiteRT's own XNNPACK and reference kernels differ by
    # up to ~5e-3 on single pixels of this mask (printed as "LiteRT vs LiteRT reference kernels").
    ("pose", "segmentation_mask"): 1e-2,    # after the sigmoid
    ("pose", "segmentation_mask_mean"): 1e-4,
    ("pose", "heatmap"): 2e-3,
    ("pose", "world_landmarks_m"): 1e-4,
    ("person_mask", "mask"): 1e-3,
    ("person_mask", "mask_mean"): 1e-5,
    ("person_mask", "cut_tensor_rel"): 1e-4,
    ("face", "scores"): 1e-5,               # after the sigmoid
    ("face", "regressors_rel"): 1e-5,       # relative to the largest regressor value
    ("face", "face_count"): 0.0,
    ("face", "decoded_box_px"): 1e-3,       # of 128 px
}


# ---------------------------------------------------------------------------------------------
# Preprocessing, as the engine does it (and as MediaPipe's graphs do).

def letterbox(rgb, size):
    """Scales to fit size x size keeping the aspect ratio, centred, black bars. Returns the image
    and (scale, pad_x, pad_y): a tensor pixel (x, y) is image pixel ((x - pad_x) / scale, (y - pad_y) / scale)."""
    import cv2
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((size, size, 3), np.uint8)
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized
    return canvas, (new_w / w, pad_x, pad_y)


def stretch(rgb, size):
    import cv2
    return cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)


PREPROCESSING = {
    # task: (size, letterbox?, (low, high) range of the float input)
    "pose": (256, True, (0.0, 1.0)),
    "person_mask": (256, False, (0.0, 1.0)),
    "face": (128, True, (-1.0, 1.0)),
}


def input_tensor(rgb, task):
    size, keep_aspect, (low, high) = PREPROCESSING[task]
    image, geometry = letterbox(rgb, size) if keep_aspect else (stretch(rgb, size), None)
    tensor = image.astype(np.float32) * np.float32((high - low) / 255.0) + np.float32(low)
    return tensor[None], geometry  # 1 x H x W x 3, RGB


# ---------------------------------------------------------------------------------------------
# Face detection decoding (BlazeFace short range; MediaPipe's SsdAnchorsCalculator and
# TensorsToDetectionsCalculator with the options of face_detection_short_range.pbtxt).

def face_anchors():
    anchors = []
    for stride, per_cell in ((8, 2), (16, 6)):  # strides 8,16,16,16: one layer of 2, three of 2 merged
        cells = 128 // stride
        for y in range(cells):
            for x in range(cells):
                anchors += [((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell
    return np.array(anchors, np.float32)  # 896 x (x_center, y_center); w = h = 1


def decode_faces(regressors, classificators, threshold=0.5, iou=0.3):
    """Detections as (score, [xmin, ymin, xmax, ymax], keypoints 6x2), coordinates in [0, 1] of the
    128x128 tensor, after MediaPipe's weighted non-maximum suppression."""
    raw = regressors.reshape(896, 16).astype(np.float64)
    scores = 1.0 / (1.0 + np.exp(-np.clip(classificators.reshape(896).astype(np.float64), -100, 100)))
    anchors = face_anchors().astype(np.float64)
    centre = raw[:, 0:2] / 128.0 + anchors
    half = raw[:, 2:4] / 128.0 / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:16].reshape(896, 6, 2) / 128.0 + anchors[:, None, :]
    order = [i for i in np.argsort(-scores, kind="stable") if scores[i] >= threshold]
    detections = []
    while order:
        top = order[0]
        a = boxes[top]
        ious = []
        for i in order:
            b = boxes[i]
            inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            ious.append(inter / union if union > 0 else 0.0)
        group = [i for i, v in zip(order, ious) if v > iou]
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(0) / weights.sum()
        points = (keypoints[group] * weights[:, :, None]).sum(0) / weights.sum()
        detections.append((float(scores[top]), box, points))
        order = [i for i, v in zip(order, ious) if v <= iou]
    return detections


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -80, 80)))


# ---------------------------------------------------------------------------------------------
# The LiteRT side, run inside the venv: `verify_converted_models.py --reference REQUEST RESULT`.

def cut_before_last_custom_op(data):
    """A copy of the TFLite model that stops before its trailing custom operator (and what follows
    it); returns (bytes, the cut tensor's index, the custom operator's position)."""
    import tflite
    buffer = bytearray(data)
    model = tflite.Model.GetRootAsModel(buffer, 0)
    graph = model.Subgraphs(0)
    count = graph.OperatorsLength()
    customs = [i for i in range(count) if model.OperatorCodes(graph.Operators(i).OpcodeIndex()).BuiltinCode() == 32
               and model.OperatorCodes(graph.Operators(i).OpcodeIndex()).DeprecatedBuiltinCode() == 32]
    if not customs:
        return data, None, None
    position = customs[0]
    if graph.OutputsLength() != 1:
        raise SystemExit("cutting a model with several outputs is not supported")
    cut = int(graph.Operators(position).InputsAsNumpy()[0])
    # SubGraph fields (schema.fbs): tensors 4, inputs 6, outputs 8, operators 10 (vtable offsets).
    operators = graph._tab.Vector(graph._tab.Offset(10))
    struct.pack_into("<I", buffer, operators - 4, position)
    outputs = graph._tab.Vector(graph._tab.Offset(8))
    struct.pack_into("<i", buffer, outputs, cut)
    return bytes(buffer), cut, position


def transpose_conv_bias_reference(data, position, x):
    """MediaPipe's Convolution2DTransposeBias in float64, for the operator at `position`."""
    import tflite
    model = tflite.Model.GetRootAsModel(data, 0)
    graph = model.Subgraphs(0)

    def constant(index):
        for i in range(graph.OperatorsLength()):  # a DEQUANTIZE output: read its float16 source
            op = graph.Operators(i)
            if int(op.OutputsAsNumpy()[0]) == index and op.InputsLength():
                source = graph.Tensors(int(op.InputsAsNumpy()[0]))
                if model.Buffers(source.Buffer()).DataLength():
                    index = int(op.InputsAsNumpy()[0])
                break
        t = graph.Tensors(index)
        raw = model.Buffers(t.Buffer()).DataAsNumpy().tobytes()
        return np.frombuffer(raw, {0: np.float32, 1: np.float16}[t.Type()]).reshape(t.ShapeAsNumpy()).astype(np.float64)

    op = graph.Operators(position)
    padding, stride_w, stride_h = struct.unpack("<iii", op.CustomOptionsAsNumpy().tobytes()[:12])
    inputs = [int(i) for i in op.InputsAsNumpy()]
    weights, bias = constant(inputs[1]), constant(inputs[2])  # [O, kh, kw, I], [O]
    _, height, width, _ = x.shape
    out_c, kh, kw, _ = weights.shape
    pad_h = max(0, kh - (height - 1) % stride_h - 1) if padding == 1 else 0
    pad_w = max(0, kw - (width - 1) % stride_w - 1) if padding == 1 else 0
    out_h, out_w = stride_h * (height - 1) + kh - pad_h, stride_w * (width - 1) + kw - pad_w
    out = np.zeros((1, out_h + kh + stride_h, out_w + kw + stride_w, out_c)) + bias
    x64 = x.astype(np.float64)[0]
    for fy in range(kh):
        for fx in range(kw):
            contribution = x64 @ weights[:, fy, fx, :].T  # H x W x O
            out[0, fy:fy + stride_h * height:stride_h, fx:fx + stride_w * width:stride_w, :] += contribution
    top, left = pad_h // 2, pad_w // 2
    return out[:, top:top + out_h, left:left + out_w, :]


def run_reference(request_path, result_path):
    """LiteRT as MediaPipe runs it (its default XNNPACK delegate) and, as a measure of float32
    noise, LiteRT's reference kernels; outputs saved as VARIANT|MODEL|IMAGE|OUTPUT."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    request = np.load(request_path, allow_pickle=False)
    models = json.loads(str(request["models"]))
    results = {}
    for name, path in models.items():
        with open(path, "rb") as f:
            data = f.read()
        runnable, cut, position = cut_before_last_custom_op(data)
        if cut is not None:
            results[f"{name}|cut_index"] = np.array(cut)
        keys = [k for k in request.files if k.startswith(name + "|")]
        for variant, resolver in (("xnnpack", OpResolverType.AUTO), ("reference", OpResolverType.BUILTIN_REF)):
            interpreter = Interpreter(model_content=runnable, experimental_op_resolver_type=resolver)
            interpreter.allocate_tensors()
            details = interpreter.get_output_details()
            for key in keys:
                interpreter.set_tensor(interpreter.get_input_details()[0]["index"], request[key])
                interpreter.invoke()
                if cut is None:
                    for d in details:
                        results[f"{variant}|{key}|{d['name']}"] = interpreter.get_tensor(d["index"])
                else:
                    x = interpreter.get_tensor(details[0]["index"])
                    results[f"{variant}|{key}|cut"] = x
                    results[f"{variant}|{key}|final"] = sigmoid(transpose_conv_bias_reference(data, position, x)).astype(np.float32)
            if variant == "xnnpack":
                started = time.perf_counter()
                for _ in range(10):
                    interpreter.invoke()
                results[f"{name}|seconds"] = np.array((time.perf_counter() - started) / 10)
    np.savez(result_path, **results)


# ---------------------------------------------------------------------------------------------

def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reference_python(venv):
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    check = subprocess.run([python, "-c", "import ai_edge_litert, tflite"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--only-binary=:all:", *REFERENCE_PINS], check=True)
    return python


def images(bench):
    persons = sorted(glob.glob(os.path.join(bench, "vto", "persons", "*.jpg")) + glob.glob(os.path.join(bench, "vto", "persons", "*.png")))
    packshots = [sorted(glob.glob(os.path.join(d, "*.jpg")))[0] for d in sorted(glob.glob(os.path.join(bench, "packshots", "*"))) if glob.glob(os.path.join(d, "*.jpg"))]
    return [(p, "person") for p in persons] + [(p, "packshot") for p in packshots]


def maxdiff(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=os.environ.get("PRODVISUAL_MODEL_DIR") or "models")
    parser.add_argument("--bench-dir", default=os.path.join(SCRIPTS, os.pardir, os.pardir, "shared", "bench"))
    parser.add_argument("--catalog", default=CATALOG)
    parser.add_argument("--save-dir", help="write overlays (mask, landmarks, faces) of each image here")
    parser.add_argument("--venv", help="the LiteRT venv to use or make (default: a throw-away one)")
    parser.add_argument("--reference", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference:
        run_reference(*args.reference)
        return 0

    import cv2
    print(f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads; numpy {np.__version__}")
    with open(args.catalog, encoding="utf-8") as f:
        catalog = json.load(f)
    entries = [m for m in catalog["models"] if m["convert"] == CONVERSION]
    wheel_dir = os.path.join(args.model_dir, ".wheels")
    photos = images(args.bench_dir)
    if not photos:
        raise SystemExit(f"no bench images under {args.bench_dir}")

    with tempfile.TemporaryDirectory(prefix="verify-models-") as work:
        # The original TFLite members, checked against the catalogue.
        tflite_paths, nets, inputs, geometry = {}, {}, {}, {}
        for m in entries:
            onnx_path = os.path.join(args.model_dir, m["file"])
            if not os.path.exists(onnx_path) or sha256_of(onnx_path) != m["sha256"]:
                raise SystemExit(f"{onnx_path} is missing or not the pinned file: run python3 scripts/install-models.py first")
            with zipfile.ZipFile(os.path.join(wheel_dir, m["wheel"])) as wheel:
                data = wheel.read(m["member"])
            if hashlib.sha256(data).hexdigest() != m["member_sha256"]:
                raise SystemExit(f"{m['member']}: not the pinned member")
            tflite_paths[m["name"]] = os.path.join(work, m["name"] + ".tflite")
            with open(tflite_paths[m["name"]], "wb") as out:
                out.write(data)
            nets[m["name"]] = cv2.dnn.readNetFromONNX(onnx_path)

        rgb_images = {}
        for path, kind in photos:
            bgr = cv2.imread(path, cv2.IMREAD_COLOR)
            rgb_images[path] = bgr[:, :, ::-1]
            for m in entries:
                key = f"{m['name']}|{os.path.basename(path)}"
                inputs[key], geometry[key] = input_tensor(rgb_images[path], m["task"])

        request = os.path.join(work, "request.npz")
        np.savez(request, models=np.array(json.dumps(tflite_paths)), **inputs)
        venv = args.venv or os.path.join(work, "litert-venv")
        python = reference_python(venv)
        result_path = os.path.join(work, "result.npz")
        subprocess.run([python, os.path.abspath(__file__), "--reference", request, result_path], check=True)
        reference = np.load(result_path)

        failures = []
        for m in entries:
            name, task = m["name"], m["task"]
            net = nets[name]
            outputs = [o["name"] for o in m["output_blobs"]]
            worst = {"OpenCV vs LiteRT": {}, "OpenCV vs LiteRT reference kernels": {}, "LiteRT vs LiteRT reference kernels": {}}
            print(f"\n== {name} ({m['file']}, task {task}): OpenCV DNN vs LiteRT {REFERENCE_PINS[0].split('==')[1]} (XNNPACK)")
            for path, kind in photos:
                base = os.path.basename(path)
                key = f"{name}|{base}"
                net.setInput(np.ascontiguousarray(inputs[key].transpose(0, 3, 1, 2)))
                got = dict(zip(outputs, net.forward(outputs)))
                litert = litert_outputs(reference, "xnnpack", key, task, outputs)
                litert_ref = litert_outputs(reference, "reference", key, task, outputs)
                diffs = compare(task, got, litert)
                if task == "person_mask":
                    # The tensor where the LiteRT reference was cut, from OpenCV's layer of that name.
                    cut = reference[f"xnnpack|{key}|cut"].transpose(0, 3, 1, 2)
                    got_cut = net.forward(f"onnx_node!t{int(reference[f'{name}|cut_index'])}")
                    diffs["cut_tensor_rel"] = maxdiff(got_cut, cut) / float(np.abs(cut).max())
                for label, values in (("OpenCV vs LiteRT", diffs),
                                      ("OpenCV vs LiteRT reference kernels", compare(task, got, litert_ref)),
                                      ("LiteRT vs LiteRT reference kernels", compare(task, litert, litert_ref))):
                    for k, v in values.items():
                        worst[label][k] = max(worst[label].get(k, 0.0), v)
                print(f"  {kind:8s} {base:14s} {describe(task, got, litert)}; |diff| " + ", ".join(f"{k} {v:.2g}" for k, v in diffs.items()))
                if args.save_dir:
                    save_overlay(args.save_dir, name, task, base, rgb_images[path], got, geometry[key])
            sample = np.ascontiguousarray(inputs[f"{name}|{os.path.basename(photos[0][0])}"].transpose(0, 3, 1, 2))
            net.setInput(sample)
            for _ in range(2):
                net.forward(outputs)
            times = {}
            for threads in (cv2.getNumThreads(), 1):
                cv2.setNumThreads(threads)
                times[threads] = []
                for _ in range(30):
                    started = time.perf_counter()
                    net.setInput(sample)
                    net.forward(outputs)
                    times[threads].append(1000 * (time.perf_counter() - started))
            cv2.setNumThreads(max(times))
            for label, values in worst.items():
                print(f"  worst over {len(photos)} images, {label}: " + ", ".join(f"{k} {v:.2g}" for k, v in values.items()))
            print("  OpenCV forward: " + ", ".join(f"{n} thread{'s' if n > 1 else ''} {np.median(t):.1f} ms (fastest {min(t):.1f})" for n, t in times.items())
                  + f", median of 30; LiteRT (XNNPACK, its default threads) {1000 * float(reference[f'{name}|seconds']):.1f} ms")
            for k, v in worst["OpenCV vs LiteRT"].items():
                bound = BOUNDS.get((task, k))
                if bound is not None and v > bound:
                    failures.append(f"{name}: {k} {v:.3g} > {bound}")
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nall differences within bounds")
    return 0


def litert_outputs(reference, variant, key, task, outputs):
    """LiteRT's outputs for one image, laid out as OpenCV gives them (4-D ones NCHW)."""
    if task == "person_mask":
        return {outputs[0]: reference[f"{variant}|{key}|final"].transpose(0, 3, 1, 2)}
    result = {}
    for n in outputs:
        value = reference[f"{variant}|{key}|{n}"]
        result[n] = value.transpose(0, 3, 1, 2) if value.ndim == 4 else value
    return result


def compare(task, a, b):
    """Largest absolute differences between two runs' outputs, as the engine reads them."""
    diffs = {}
    if task == "pose":
        lm, lm_b = a["Identity"].reshape(39, 5), b["Identity"].reshape(39, 5)
        diffs["landmarks_xy_px"] = maxdiff(lm[:, :2], lm_b[:, :2])
        diffs["landmarks_z"] = maxdiff(lm[:, 2], lm_b[:, 2])
        diffs["visibility_presence"] = maxdiff(sigmoid(lm[:, 3:]), sigmoid(lm_b[:, 3:]))
        diffs["pose_flag"] = maxdiff(a["Identity_1"], b["Identity_1"])
        mask, mask_b = sigmoid(a["Identity_2"]), sigmoid(b["Identity_2"])
        diffs["segmentation_mask"] = maxdiff(mask, mask_b)
        diffs["segmentation_mask_mean"] = float(np.mean(np.abs(mask - mask_b)))
        diffs["heatmap"] = maxdiff(a["Identity_3"], b["Identity_3"])
        diffs["world_landmarks_m"] = maxdiff(a["Identity_4"], b["Identity_4"])
    elif task == "person_mask":
        name = list(a)[0]
        diffs["mask"] = maxdiff(a[name], b[name])
        diffs["mask_mean"] = float(np.mean(np.abs(a[name].astype(np.float64) - b[name])))
    elif task == "face":
        diffs["scores"] = maxdiff(sigmoid(a["classificators"]), sigmoid(b["classificators"]))
        diffs["regressors_rel"] = maxdiff(a["regressors"], b["regressors"]) / float(np.abs(b["regressors"]).max())
        faces, faces_b = decode_faces(a["regressors"], a["classificators"]), decode_faces(b["regressors"], b["classificators"])
        if len(faces) != len(faces_b):
            diffs["face_count"] = float(abs(len(faces) - len(faces_b)))
        elif faces:
            diffs["decoded_box_px"] = max(maxdiff(f[1], g[1]) for f, g in zip(faces, faces_b)) * 128
    return diffs


def describe(task, got, litert):
    if task == "pose":
        return (f"pose flag {float(got['Identity_1'].ravel()[0]):.4f} (LiteRT {float(litert['Identity_1'].ravel()[0]):.4f}), "
                f"mask mean {float(sigmoid(got['Identity_2']).mean()):.3f}")
    if task == "person_mask":
        name = list(got)[0]
        return f"mask mean {float(got[name].mean()):.3f} (LiteRT {float(litert[name].mean()):.3f})"
    faces, faces_ref = decode_faces(got["regressors"], got["classificators"]), decode_faces(litert["regressors"], litert["classificators"])
    return f"faces {len(faces)} (LiteRT {len(faces_ref)}), best score {float(sigmoid(got['classificators']).max()):.3f}"


def save_overlay(directory, name, task, base, rgb, got, geometry):
    import cv2
    os.makedirs(directory, exist_ok=True)
    h, w = rgb.shape[:2]
    canvas = rgb[:, :, ::-1].copy()
    if task == "person_mask":
        mask = cv2.resize(got[list(got)[0]][0, 0], (w, h), interpolation=cv2.INTER_LINEAR)
        canvas = (canvas * (0.3 + 0.7 * mask[:, :, None])).astype(np.uint8)
    elif task == "pose":
        scale, pad_x, pad_y = geometry
        mask = 1.0 / (1.0 + np.exp(-got["Identity_2"][0, 0]))
        size = 256
        crop = mask[pad_y:size - pad_y, pad_x:size - pad_x]
        mask = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR)
        canvas = (canvas * (0.3 + 0.7 * mask[:, :, None])).astype(np.uint8)
        for x, y, _, visibility, _ in got["Identity"].reshape(39, 5)[:33]:
            if sigmoid(visibility) > 0.5:
                cv2.circle(canvas, (int((x - pad_x) / scale), int((y - pad_y) / scale)), 6, (0, 0, 255), -1)
    elif task == "face":
        scale, pad_x, pad_y = geometry
        for score, box, points in decode_faces(got["regressors"], got["classificators"]):
            corners = [(int((box[0] * 128 - pad_x) / scale), int((box[1] * 128 - pad_y) / scale)),
                       (int((box[2] * 128 - pad_x) / scale), int((box[3] * 128 - pad_y) / scale))]
            cv2.rectangle(canvas, corners[0], corners[1], (0, 255, 0), 3)
            for px, py in points:
                cv2.circle(canvas, (int((px * 128 - pad_x) / scale), int((py * 128 - pad_y) / scale)), 5, (255, 0, 0), -1)
    cv2.imwrite(os.path.join(directory, f"{name}-{os.path.splitext(base)[0]}.jpg"), canvas)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
