"""The MediaPipe models converted from TFLite to ONNX (scripts/tflite_to_onnx.py) as the installer
does it for real: the pinned mediapipe wheel (models/.wheels, fetched there when missing), the
conversion in the throw-away venv with the pinned converter packages, the pinned sha256 of the
result; then OpenCV 4.6's DNN module (Debian's python3-opencv, hence /usr/bin/python3, the library
the engine links) loads each converted graph and runs it on real bench photos.

Skipped only when the wheel or the converter's packages cannot be fetched (no network and nothing
cached). Comparing the outputs with Google's runtime is scripts/verify_converted_models.py's job.
"""
import json
import os
import subprocess
import sys

import pytest

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
REPOSITORY = os.path.abspath(os.path.join(SCRIPTS, os.pardir))
CATALOG = os.path.join(REPOSITORY, "Sources", "ProdVisualEngine", "Models", "catalog.json")
BENCH = os.path.join(REPOSITORY, os.pardir, "shared", "bench")
SYSTEM_PYTHON = "/usr/bin/python3"
PERSON = os.path.join(BENCH, "vto", "persons", "01008_00.jpg")  # a woman, head to thighs, facing the camera
PACKSHOT = os.path.join(BENCH, "packshots", "B07GTFSCHB", "31afd5f5.jpg")  # a product alone, no person

# Runs under Debian's Python with cv2 4.6: loads each model, preprocesses as the engine should
# (verify_converted_models.input_tensor), runs one forward pass and reports what came out.
PROBE = r"""
import json, sys
import cv2, numpy as np
sys.path.insert(0, sys.argv[1])
from verify_converted_models import input_tensor, decode_faces, sigmoid
models = json.loads(sys.argv[2])
report = {"opencv": cv2.__version__}
for label, path in (("person", sys.argv[3]), ("packshot", sys.argv[4])):
    rgb = cv2.imread(path, cv2.IMREAD_COLOR)[:, :, ::-1]
    for m in models:
        net = cv2.dnn.readNetFromONNX(m["path"])
        tensor, _ = input_tensor(rgb, m["task"])
        net.setInput(np.ascontiguousarray(tensor.transpose(0, 3, 1, 2)))
        names = [o["name"] for o in m["output_blobs"]]
        out = dict(zip(names, net.forward(names)))
        shapes = {n: list(v.shape) for n, v in out.items()}
        if m["task"] == "pose":
            lm = out["Identity"].reshape(39, 5)
            result = {"pose_flag": float(out["Identity_1"].ravel()[0]),
                      "mask_mean": float(sigmoid(out["Identity_2"]).mean()),
                      "nose": lm[0, :2].tolist(), "hips": lm[23:25, :2].tolist(),
                      "shoulders": lm[11:13, :2].tolist(),
                      "visible": int((sigmoid(lm[:33, 3]) > 0.5).sum())}
        elif m["task"] == "person_mask":
            mask = out[names[0]]
            result = {"mask_mean": float(mask.mean()), "mask_min": float(mask.min()), "mask_max": float(mask.max()),
                      "centre_mean": float(mask[0, 0, 96:160, 96:160].mean())}
        else:
            faces = decode_faces(out["regressors"], out["classificators"])
            result = {"faces": [[score, box.tolist(), points.tolist()] for score, box, points in faces]}
        report[f"{m['name']}|{label}"] = dict(result, shapes=shapes)
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The three mediapipe models installed by the real installer into a temporary directory."""
    with open(CATALOG, encoding="utf-8") as f:
        catalog = json.load(f)
    entries = [m for m in catalog["models"] if m["convert"] == "tflite-to-onnx"]
    assert {m["task"] for m in entries} == {"pose", "person_mask", "face"}
    work = tmp_path_factory.mktemp("tflite")
    subset = work / "catalog.json"
    subset.write_text(json.dumps({"models": entries, "converter": catalog["converter"]}))
    model_dir = work / "models"
    result = subprocess.run(
        [sys.executable, os.path.join(SCRIPTS, "install-models.py"), "--catalog", str(subset),
         "--model-dir", str(model_dir), "--wheel-dir", os.path.join(REPOSITORY, "models", ".wheels")],
        capture_output=True, text=True, timeout=900)
    if "cannot reach PyPI" in result.stdout:
        pytest.skip("the mediapipe wheel or the converter's packages cannot be fetched (offline)")
    assert result.returncode == 0, result.stdout + result.stderr
    for m in entries:  # installed means converted and matching the pinned sha256
        assert f"installed {m['name']}" in result.stdout
        assert (model_dir / m["file"]).exists()
    return [dict(m, path=str(model_dir / m["file"])) for m in entries]


@pytest.fixture(scope="module")
def report(converted):
    assert os.path.exists(PERSON) and os.path.exists(PACKSHOT), f"the bench is missing under {BENCH}"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", PROBE, SCRIPTS, json.dumps(converted), PERSON, PACKSHOT],
                           capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, f"OpenCV could not run the converted models (python3-opencv installed?):\n{probe.stderr[-3000:]}"
    return json.loads(probe.stdout.strip().splitlines()[-1])


def test_opencv_is_debians_4_6(report):
    assert report["opencv"].startswith("4.6.")


def test_the_converted_graphs_have_the_catalogued_outputs(converted, report):
    for m in converted:
        shapes = report[f"{m['name']}|person"]["shapes"]
        assert shapes == {o["name"]: o["shape"] for o in m["output_blobs"]}, m["name"]


def test_pose_finds_the_person_and_places_her_upright(report):
    person = report["pose_landmark|person"]
    assert person["pose_flag"] > 0.5
    assert 0.1 < person["mask_mean"] < 0.6
    assert person["visible"] >= 15  # face, shoulders, arms and hips of a half-length photo
    nose_y = person["nose"][1]
    shoulders_y = [y for _, y in person["shoulders"]]
    hips_y = [y for _, y in person["hips"]]
    assert nose_y < min(shoulders_y) and max(shoulders_y) < min(hips_y)  # image y grows downwards
    assert report["pose_landmark|packshot"]["pose_flag"] < 0.5


def test_the_person_mask_covers_the_person_only(report):
    person = report["selfie_segmentation|person"]
    assert 0.0 <= person["mask_min"] and person["mask_max"] <= 1.0  # probabilities, sigmoid included
    assert 0.2 < person["mask_mean"] < 0.6
    assert person["centre_mean"] > 0.9  # the middle of the frame is her body
    assert report["selfie_segmentation|packshot"]["mask_mean"] < 0.05


def test_one_face_in_the_upper_part_of_the_portrait(report):
    faces = report["face_detection|person"]["faces"]
    assert len(faces) == 1
    score, (xmin, ymin, xmax, ymax), keypoints = faces[0]
    assert score > 0.8
    # Coordinates in [0, 1] of the 128x128 letterbox, where the 768x1024 photo spans x 0.125..0.875.
    assert 0.125 < xmin < xmax < 0.875 and 0.0 < ymin < ymax < 0.4
    (right_eye_x, right_eye_y), (left_eye_x, left_eye_y) = keypoints[0], keypoints[1]
    assert right_eye_x < left_eye_x  # the person's right eye is on the image's left
    assert ymin < right_eye_y < ymax and ymin < left_eye_y < ymax
    assert report["face_detection|packshot"]["faces"] == []
