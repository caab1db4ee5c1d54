// The optional learned prior: a user-supplied salient-object model through OpenCV's DNN module.
#include "copencv_models.h"

#include <cstring>
#include <mutex>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

struct pv_saliency_model {
    cv::dnn::Net net;
    // A Net keeps per-forward state: one inference at a time.
    std::mutex lock;
};

namespace {
constexpr int kSide = 320;
// ImageNet statistics, as U^2-Net and most salient-object models were trained with.
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kDeviation[3] = {0.229f, 0.224f, 0.225f};

void copyError(const std::string &message, char *error, size_t size) {
    if (!error || size == 0) return;
    std::strncpy(error, message.c_str(), size - 1);
    error[size - 1] = '\0';
}
}  // namespace

extern "C" pv_saliency_model *pv_cv_saliency_load(const char *path, char *error, size_t error_size) {
    try {
        auto *model = new pv_saliency_model();
        model->net = cv::dnn::readNetFromONNX(path);
        if (model->net.empty()) {
            delete model;
            copyError("the model is empty", error, error_size);
            return nullptr;
        }
        return model;
    } catch (const cv::Exception &exception) {
        copyError(exception.msg, error, error_size);
    } catch (const std::exception &exception) {
        copyError(exception.what(), error, error_size);
    } catch (...) {
        copyError("unknown error", error, error_size);
    }
    return nullptr;
}

extern "C" void pv_cv_saliency_free(pv_saliency_model *model) { delete model; }

extern "C" int pv_cv_saliency_run(pv_saliency_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                                  uint8_t *saliency) {
    if (!model || !rgb || !saliency || width < 1 || height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat resized, floating;
        cv::resize(image, resized, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
        resized.convertTo(floating, CV_32FC3, 1.0 / 255);
        const int shape[] = {1, 3, kSide, kSide};
        cv::Mat blob(4, shape, CV_32F);
        for (int c = 0; c < 3; ++c) {
            cv::Mat plane(kSide, kSide, CV_32F, blob.ptr<float>(0, c));
            cv::extractChannel(floating, plane, c);
            plane = (plane - kMean[c]) / kDeviation[c];
        }
        cv::Mat output;
        {
            std::lock_guard<std::mutex> guard(model->lock);
            model->net.setInput(blob);
            output = model->net.forward().clone();
        }
        if (output.dims != 4 || output.size[2] < 1 || output.size[3] < 1) return PV_CV_FAILED;
        cv::Mat map(output.size[2], output.size[3], CV_32F, output.ptr<float>(0, 0));
        double low = 0, high = 0;
        cv::minMaxLoc(map, &low, &high);
        cv::Mat normalised = (map - low) / std::max(1e-6, high - low);
        cv::Mat full, bytes(height, width, CV_8U, saliency);
        cv::resize(normalised, full, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
        full.convertTo(bytes, CV_8U, 255.0);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
