// MediaPipe's person models through OpenCV's DNN module, with the pre- and post-processing of
// MediaPipe's own graphs: BlazePose (on a square round the body, x / 255; landmarks in input
// pixels, logits for visibility, presence and the mask), selfie segmentation (stretched, x / 255; a
// probability map) and BlazeFace short range (letterboxed, x / 127.5 - 1; 896 SSD anchors
// decoded and merged by weighted non-maximum suppression).
#include "copencv_models.h"
#include "core/errors.hpp"
#include "models/onnx_model.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

struct pv_pose_model {
    pv::OnnxModel model;
};

struct pv_person_mask_model {
    pv::OnnxModel model;
};

struct pv_face_model {
    pv::OnnxModel model;
};

namespace {

double sigmoid(double x) { return 1 / (1 + std::exp(-std::clamp(x, -100.0, 100.0))); }

constexpr int kPoseSide = 256;
constexpr int kPoseValues = 5;  // x, y, z, visibility, presence
constexpr int kMaskSide = 256;
constexpr int kFaceSide = 128;
constexpr int kAnchors = 896;
constexpr double kFaceThreshold = 0.5;
constexpr double kFaceOverlap = 0.3;

// The image letterboxed into a side x side input: scaled to fit, centred.
cv::Matx23d letterboxed(int width, int height, int side) {
    const double scale = double(side) / std::max(width, height);
    return cv::Matx23d(scale, 0, (side - width * scale) / 2, 0, scale, (side - height * scale) / 2);
}

// A model's side x side input: the image through `toInput` (image pixels to input pixels), black
// outside it. Where the input is much smaller than what it shows, the image shrinks first: a
// warp alone would alias.
cv::Mat squareInput(const cv::Mat &image, const cv::Matx23d &toInput, int side) {
    const double scale = std::sqrt(std::abs(toInput(0, 0) * toInput(1, 1) - toInput(0, 1) * toInput(1, 0)));
    cv::Mat source = image;
    cv::Matx23d warp = toInput;
    if (scale < 0.75) {
        cv::resize(image, source, cv::Size(), scale, scale, cv::INTER_AREA);
        const double sx = double(image.cols) / source.cols, sy = double(image.rows) / source.rows;
        for (int r = 0; r < 2; ++r) {
            warp(r, 0) *= sx;
            warp(r, 1) *= sy;
        }
    }
    cv::Mat input;
    cv::warpAffine(source, input, warp, cv::Size(side, side), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    return input;
}

}  // namespace

extern "C" pv_pose_model *pv_cv_pose_load(const char *path, char *error, size_t error_size) {
    return pv::loadOrReport([&] { return new pv_pose_model{pv::OnnxModel(path, pv::OnnxModel::Network::kept)}; }, error, error_size);
}

extern "C" void pv_cv_pose_free(pv_pose_model *model) { delete model; }

namespace {

// Landmarks 33 and 34 of BlazePose's 39: the hips' middle, and a point whose distance from it is
// the radius of a circle round the whole body (MediaPipe's region of interest for the next frame).
constexpr int kBodyCentre = 33, kBodyExtent = 34;
constexpr int kPoseOutputs = 39;

// One run of the landmark model on a square of the image: `toInput` maps image pixels to the
// model's input pixels.
struct PosePass {
    cv::Matx23d toInput;
    std::vector<cv::Point2d> points;  // image pixels, all 39
    std::vector<double> visibility, presence;
    double score = 0;
    cv::Mat maskLogits;  // kPoseSide x kPoseSide, input pixels

    cv::Point2d hips() const { return points[kBodyCentre]; }
};

PosePass runPose(cv::dnn::Net &net, const cv::Mat &image, const cv::Matx23d &toInput) {
    const cv::Mat input = squareInput(image, toInput, kPoseSide);
    const cv::Mat blob = cv::dnn::blobFromImage(input, 1 / 255.0, cv::Size(), cv::Scalar(), false, false);
    net.setInput(blob);
    std::vector<cv::Mat> outputs;
    net.forward(outputs, std::vector<cv::String>{"Identity", "Identity_1", "Identity_2"});
    if (outputs.size() != 3 || outputs[0].total() < size_t(kPoseOutputs * kPoseValues) || outputs[1].total() < 1 ||
        outputs[2].total() != size_t(kPoseSide * kPoseSide)) {
        throw std::runtime_error("unexpected pose outputs");
    }
    PosePass pass;
    pass.toInput = toInput;
    cv::Matx23d toImage;
    cv::invertAffineTransform(toInput, toImage);
    const float *values = outputs[0].ptr<float>();
    for (int i = 0; i < kPoseOutputs; ++i) {
        const float *v = values + i * kPoseValues;
        pass.points.push_back(cv::Point2d(toImage(0, 0) * v[0] + toImage(0, 1) * v[1] + toImage(0, 2),
                                          toImage(1, 0) * v[0] + toImage(1, 1) * v[1] + toImage(1, 2)));
        pass.visibility.push_back(sigmoid(v[3]));
        pass.presence.push_back(sigmoid(v[4]));
    }
    pass.score = double(outputs[1].ptr<float>()[0]);
    pass.maskLogits = cv::Mat(kPoseSide, kPoseSide, CV_32F, outputs[2].ptr<float>()).clone();
    return pass;
}

// The body circle's radius a pass found.
double bodyRadius(const PosePass &pass) {
    const cv::Point2d towardsHead = pass.points[kBodyExtent] - pass.hips();
    return std::max(1.0, std::hypot(towardsHead.x, towardsHead.y));
}

// MediaPipe's region of interest from a pass's landmarks: a square centred on the hips, its side
// 2.5 times the body circle's radius, turned so that the body stands upright in it. `ahead`
// shifts the centre and `growth` scales the radius.
cv::Matx23d bodyRegion(const PosePass &pass, cv::Point2d ahead, double growth) {
    const cv::Point2d centre = pass.hips() + ahead, towardsHead = pass.points[kBodyExtent] - pass.hips();
    const double radius = bodyRadius(pass);
    const double dx = towardsHead.x / radius, dy = towardsHead.y / radius;
    const double scale = kPoseSide / (2.5 * radius * growth);
    // The rotation taking the direction towards the head to straight up.
    const cv::Matx22d turn(-dy, dx, -dx, -dy);
    const cv::Matx22d linear = scale * turn;
    const cv::Vec2d shift = cv::Vec2d(kPoseSide / 2.0, kPoseSide / 2.0) - linear * cv::Vec2d(centre.x, centre.y);
    return cv::Matx23d(linear(0, 0), linear(0, 1), shift[0], linear(1, 0), linear(1, 1), shift[1]);
}

// The pass's person mask at the image's size, probabilities 0..1.
cv::Mat personMask(const PosePass &pass, int width, int height) {
    cv::Mat probability(kPoseSide, kPoseSide, CV_32F);
    for (int i = 0; i < kPoseSide * kPoseSide; ++i) probability.ptr<float>()[i] = float(sigmoid(pass.maskLogits.ptr<float>()[i]));
    cv::Mat full;
    cv::warpAffine(probability, full, pass.toInput, cv::Size(width, height), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                   cv::Scalar(0));
    return full;
}

// The frame cuts the legs: the person runs off its bottom (a fiftieth of it, at least, a hundredth
// of the height up: the mask fades out over the very last rows), or the model sees neither ankle
// (squeezed into the frame, the mask may end above its bottom).
bool legsCut(const PosePass &pass, const cv::Mat &mask) {
    const bool runsOff = cv::countNonZero(mask.row(mask.rows - 1 - mask.rows / 100) >= 0.5f) >= std::max(2, mask.cols / 50);
    return runsOff || (pass.visibility[27] + pass.visibility[28]) / 2 < 0.5;
}

// The passes creep towards the answer (steps of 14, 34, 36, 23, 17, 13 pixels on one photo): each
// square goes this share of the last step further, in place and in size. (A whole step overshot:
// on a woman with a hand on her hip the shoulders spread onto her arms.)
constexpr double kStepAgain = 0.5;

// Which way the body faces: +1 with the person's left shoulder on the image's right (a front view).
int facing(const PosePass &pass) { return pass.points[11].x >= pass.points[12].x ? 1 : -1; }

// The model was trained on a square round the whole body. A photo cut at the thighs, letterboxed
// whole, shows it a body that seems to end at the frame: it squeezes the body into it, hips at
// the waist, knees at the thighs. So it runs again on the square the landmarks call for
// (reaching below the frame where the legs go on), as MediaPipe's tracking does from one frame to
// the next, until the hips stay put: at most four more passes, at least two where the frame cuts
// the legs (the first steps can be short). The last pass that sees a person facing as the first
// pass did stands: a face cut off by the frame can leave the model reading a back view, and a
// pass unsure of either still points the next square (landmarks 33 and 34 do not depend on the
// facing). Only a person the first pass found is refined: the passes do not search.
// The pass that stands, and its person mask at the image's size when the first pass's was
// warped to decide on the legs and that pass stands (empty otherwise).
struct RefinedPose {
    PosePass pass;
    cv::Mat mask;
};

RefinedPose poseWithRefinement(cv::dnn::Net &net, const cv::Mat &image, double personScore) {
    const PosePass first = runPose(net, image, letterboxed(image.cols, image.rows, kPoseSide));
    if (first.score < personScore) return {first, cv::Mat()};
    cv::Mat firstMask = personMask(first, image.cols, image.rows);
    const int fewest = legsCut(first, firstMask) ? 2 : 1;
    const int front = facing(first);
    cv::Point2d ahead(0, 0);
    double growth = 1;
    PosePass current = first;
    std::optional<PosePass> refined;
    for (int round = 0; round < 4; ++round) {
        PosePass next = runPose(net, image, bodyRegion(current, kStepAgain * ahead, 1 + kStepAgain * (growth - 1)));
        ahead = next.hips() - current.hips();
        growth = bodyRadius(next) / bodyRadius(current);
        current = std::move(next);
        if (current.score >= personScore && facing(current) == front) refined = current;
        if (round + 1 >= fewest && std::hypot(ahead.x, ahead.y) < 0.025 * bodyRadius(current)) break;
    }
    if (refined) return {std::move(*refined), cv::Mat()};
    return {first, std::move(firstMask)};
}

}  // namespace

extern "C" int pv_cv_pose_run(pv_pose_model *model, const uint8_t *rgb, int width, int height, size_t stride, double person_score,
                              pv_pose_landmark *landmarks, double *score, uint8_t *mask) {
    if (!model || !rgb || !landmarks || !score || width < 1 || height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        // One network for all passes: a fresh one costs a parse and a slower first forward.
        const RefinedPose refined = model->model.infer([&](cv::dnn::Net &net) { return poseWithRefinement(net, image, person_score); });
        const PosePass &pass = refined.pass;
        for (int i = 0; i < PV_POSE_LANDMARKS; ++i) {
            landmarks[i].x = pass.points[i].x;
            landmarks[i].y = pass.points[i].y;
            landmarks[i].visibility = pass.visibility[i];
            landmarks[i].presence = pass.presence[i];
        }
        *score = pass.score;
        if (mask) {
            cv::Mat bytes(height, width, CV_8U, mask);
            (refined.mask.empty() ? personMask(pass, width, height) : refined.mask).convertTo(bytes, CV_8U, 255.0);
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" pv_person_mask_model *pv_cv_person_mask_load(const char *path, char *error, size_t error_size) {
    return pv::loadOrReport([&] { return new pv_person_mask_model{pv::OnnxModel(path, pv::OnnxModel::Network::kept)}; }, error, error_size);
}

extern "C" void pv_cv_person_mask_free(pv_person_mask_model *model) { delete model; }

extern "C" int pv_cv_person_mask_run(pv_person_mask_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                                     uint8_t *mask) {
    if (!model || !rgb || !mask || width < 1 || height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat resized;
        cv::resize(image, resized, cv::Size(kMaskSide, kMaskSide), 0, 0, cv::INTER_AREA);
        const cv::Mat blob = cv::dnn::blobFromImage(resized, 1 / 255.0, cv::Size(), cv::Scalar(), false, false);
        const cv::Mat output = model->model.infer([&](cv::dnn::Net &net) {
            net.setInput(blob);
            return net.forward("activation_10").clone();
        });
        if (output.total() != size_t(kMaskSide * kMaskSide)) return PV_CV_FAILED;
        const cv::Mat probability(kMaskSide, kMaskSide, CV_32F, const_cast<float *>(output.ptr<float>()));
        cv::Mat full, bytes(height, width, CV_8U, mask);
        cv::resize(probability, full, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
        full.convertTo(bytes, CV_8U, 255.0);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" pv_face_model *pv_cv_face_model_load(const char *path, char *error, size_t error_size) {
    return pv::loadOrReport([&] { return new pv_face_model{pv::OnnxModel(path, pv::OnnxModel::Network::kept)}; }, error, error_size);
}

extern "C" void pv_cv_face_model_free(pv_face_model *model) { delete model; }

namespace {

// BlazeFace short range's SSD anchors (MediaPipe's SsdAnchorsCalculator with its graph's
// options): 2 per cell of a 16x16 grid, then 6 per cell of an 8x8 grid; centres in [0, 1].
std::vector<cv::Point2d> faceAnchors() {
    std::vector<cv::Point2d> anchors;
    anchors.reserve(kAnchors);
    for (const auto [cells, perCell] : {std::pair{16, 2}, std::pair{8, 6}}) {
        for (int y = 0; y < cells; ++y) {
            for (int x = 0; x < cells; ++x) {
                for (int k = 0; k < perCell; ++k) anchors.emplace_back((x + 0.5) / cells, (y + 0.5) / cells);
            }
        }
    }
    return anchors;
}

struct Candidate {
    double score;
    double box[4];  // x0, y0, x1, y1 in [0, 1] of the input
    double keypoints[12];
};

double overlap(const double *a, const double *b) {
    const double w = std::max(0.0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
    const double h = std::max(0.0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
    const double inter = w * h;
    const double uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return uni > 0 ? inter / uni : 0;
}

}  // namespace

extern "C" int pv_cv_face_model_detect(pv_face_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                                       pv_face_detection *faces, int capacity, int *count) {
    if (!model || !rgb || !count || width < 1 || height < 1 || capacity < 0 || (capacity > 0 && !faces)) return PV_CV_INVALID_ARGUMENT;
    *count = 0;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        const cv::Matx23d toInput = letterboxed(image.cols, image.rows, kFaceSide);
        const cv::Mat blob = cv::dnn::blobFromImage(squareInput(image, toInput, kFaceSide), 1 / 127.5, cv::Size(), cv::Scalar::all(127.5), false, false);
        std::vector<cv::Mat> outputs = model->model.infer([&](cv::dnn::Net &net) {
            net.setInput(blob);
            std::vector<cv::Mat> raw;
            net.forward(raw, std::vector<cv::String>{"regressors", "classificators"});
            for (cv::Mat &m : raw) m = m.clone();
            return raw;
        });
        if (outputs.size() != 2 || outputs[0].total() != size_t(kAnchors * 16) || outputs[1].total() != size_t(kAnchors)) return PV_CV_FAILED;
        static const std::vector<cv::Point2d> anchors = faceAnchors();
        const float *regressors = outputs[0].ptr<float>(), *classes = outputs[1].ptr<float>();
        std::vector<Candidate> candidates;
        for (int i = 0; i < kAnchors; ++i) {
            const double score = sigmoid(classes[i]);
            if (score < kFaceThreshold) continue;
            const float *r = regressors + i * 16;
            Candidate c;
            c.score = score;
            const double cx = r[0] / kFaceSide + anchors[i].x, cy = r[1] / kFaceSide + anchors[i].y;
            const double w = r[2] / kFaceSide, h = r[3] / kFaceSide;
            c.box[0] = cx - w / 2; c.box[1] = cy - h / 2; c.box[2] = cx + w / 2; c.box[3] = cy + h / 2;
            for (int k = 0; k < 6; ++k) {
                c.keypoints[2 * k] = r[4 + 2 * k] / kFaceSide + anchors[i].x;
                c.keypoints[2 * k + 1] = r[5 + 2 * k] / kFaceSide + anchors[i].y;
            }
            candidates.push_back(c);
        }
        std::sort(candidates.begin(), candidates.end(), [](const Candidate &a, const Candidate &b) { return a.score > b.score; });
        // MediaPipe's weighted non-maximum suppression: each group of overlapping detections
        // becomes their score-weighted mean, with the best one's score.
        std::vector<Candidate> merged;
        while (!candidates.empty()) {
            const Candidate top = candidates.front();
            Candidate sum{};
            double weights = 0;
            std::vector<Candidate> rest;
            for (const Candidate &c : candidates) {
                if (overlap(top.box, c.box) > kFaceOverlap) {
                    for (int k = 0; k < 4; ++k) sum.box[k] += c.box[k] * c.score;
                    for (int k = 0; k < 12; ++k) sum.keypoints[k] += c.keypoints[k] * c.score;
                    weights += c.score;
                } else {
                    rest.push_back(c);
                }
            }
            for (double &v : sum.box) v /= weights;
            for (double &v : sum.keypoints) v /= weights;
            sum.score = top.score;
            merged.push_back(sum);
            candidates = std::move(rest);
        }
        // (Letterboxing only scales and shifts.)
        auto toImageX = [&](double v) { return (v * kFaceSide - toInput(0, 2)) / toInput(0, 0); };
        auto toImageY = [&](double v) { return (v * kFaceSide - toInput(1, 2)) / toInput(1, 1); };
        for (const Candidate &c : merged) {
            if (*count >= capacity) break;
            pv_face_detection &face = faces[(*count)++];
            face.x = toImageX(c.box[0]);
            face.y = toImageY(c.box[1]);
            face.width = toImageX(c.box[2]) - face.x;
            face.height = toImageY(c.box[3]) - face.y;
            face.score = c.score;
            for (int k = 0; k < 6; ++k) {
                face.keypoints[2 * k] = toImageX(c.keypoints[2 * k]);
                face.keypoints[2 * k + 1] = toImageY(c.keypoints[2 * k + 1]);
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
