// The learned text-region detector (DB, as PaddleOCR's PP-OCR detection) through OpenCV's DNN
// module, with DB's post-processing: threshold the probability map, expand each region by the
// ratio the network was trained to shrink it by, and keep the confident ones.
#include "copencv_models.h"
#include "core/errors.hpp"
#include "models/onnx_model.hpp"

#include <algorithm>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

struct pv_text_model {
    pv::OnnxModel model;
    int side;
};

namespace {
// DB's defaults in PaddleOCR: binarisation, box score and unclip ratio.
constexpr float kThreshold = 0.3f;
constexpr double kMinimumScore = 0.5;
constexpr double kUnclipRatio = 1.6;
}  // namespace

extern "C" pv_text_model *pv_cv_text_load(const char *path, int side, char *error, size_t error_size) {
    if (side < 32 || side % 32 != 0) {
        pv::copyError("the input side must be a positive multiple of 32", error, error_size);
        return nullptr;
    }
    return pv::loadOrReport([&] { return new pv_text_model{pv::OnnxModel(path), side}; }, error, error_size);
}

extern "C" void pv_cv_text_free(pv_text_model *model) { delete model; }

extern "C" int pv_cv_text_detect(pv_text_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                                 pv_text_region *regions, int capacity, int *count) {
    if (!model || !rgb || !count || width < 1 || height < 1 || capacity < 0 || (capacity > 0 && !regions)) {
        return PV_CV_INVALID_ARGUMENT;
    }
    *count = 0;
    try {
        const int side = model->side;
        // Letterbox: the long side fills the input, the rest is mid-grey (zero after normalising).
        const double scale = double(side) / std::max(width, height);
        const int scaledWidth = std::max(1, int(std::lround(width * scale)));
        const int scaledHeight = std::max(1, int(std::lround(height * scale)));
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat input(side, side, CV_8UC3, cv::Scalar(128, 128, 128));
        cv::resize(image, input(cv::Rect(0, 0, scaledWidth, scaledHeight)), cv::Size(scaledWidth, scaledHeight), 0, 0,
                   scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        cv::Mat bgr;
        cv::cvtColor(input, bgr, cv::COLOR_RGB2BGR);
        const cv::Mat blob = cv::dnn::blobFromImage(bgr, 1 / 127.5, cv::Size(), cv::Scalar(127.5, 127.5, 127.5), false, false);
        const cv::Mat output = model->model.infer([&](cv::dnn::Net &net) {
            net.setInput(blob);
            return net.forward().clone();
        });
        if (output.dims != 4 || output.size[2] != side || output.size[3] != side) return PV_CV_FAILED;
        const cv::Mat probability(side, side, CV_32F, const_cast<float *>(output.ptr<float>(0, 0)));
        const cv::Mat valid = probability(cv::Rect(0, 0, scaledWidth, scaledHeight));
        cv::Mat binary = valid > kThreshold;
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        std::vector<pv_text_region> found;
        for (const auto &contour : contours) {
            const cv::Rect box = cv::boundingRect(contour);
            if (std::min(box.width, box.height) < 3) continue;
            cv::Mat inside = cv::Mat::zeros(box.size(), CV_8U);
            cv::drawContours(inside, std::vector<std::vector<cv::Point>>{contour}, 0, cv::Scalar(255), cv::FILLED, cv::LINE_8, cv::noArray(), 0, -box.tl());
            const double score = cv::mean(valid(box), inside)[0];
            if (score < kMinimumScore) continue;
            // DB shrinks each text polygon by area * (1 - r^2) / perimeter in training: grow it back.
            const double area = cv::contourArea(contour), perimeter = cv::arcLength(contour, true);
            const double grow = perimeter > 0 ? area * kUnclipRatio / perimeter : 0;
            const double left = (box.x - grow) / scale, top = (box.y - grow) / scale;
            const double right = (box.x + box.width + grow) / scale, bottom = (box.y + box.height + grow) / scale;
            pv_text_region region;
            region.x = std::clamp(int(std::floor(left)), 0, width - 1);
            region.y = std::clamp(int(std::floor(top)), 0, height - 1);
            region.width = std::clamp(int(std::ceil(right)), region.x + 1, width) - region.x;
            region.height = std::clamp(int(std::ceil(bottom)), region.y + 1, height) - region.y;
            region.score = score;
            found.push_back(region);
        }
        std::sort(found.begin(), found.end(), [](const pv_text_region &a, const pv_text_region &b) {
            return a.width * a.height > b.width * b.height;
        });
        *count = std::min<int>(capacity, int(found.size()));
        std::copy(found.begin(), found.begin() + *count, regions);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
