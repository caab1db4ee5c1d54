// The learned salient-object prior through OpenCV's DNN module.
#include "copencv_models.h"
#include "core/errors.hpp"
#include "models/onnx_model.hpp"

#include <algorithm>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

struct pv_saliency_model {
    pv::OnnxModel model;
};

namespace {
constexpr int kSide = 320;
// ImageNet statistics, as U^2-Net and most salient-object models were trained with.
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kDeviation[3] = {0.229f, 0.224f, 0.225f};
}  // namespace

extern "C" pv_saliency_model *pv_cv_saliency_load(const char *path, char *error, size_t error_size) {
    return pv::loadOrReport([&] { return new pv_saliency_model{pv::OnnxModel(path)}; }, error, error_size);
}

extern "C" void pv_cv_saliency_free(pv_saliency_model *model) { delete model; }

extern "C" int pv_cv_saliency_run(pv_saliency_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                                  uint8_t *saliency) {
    if (!model || !rgb || !saliency || width < 1 || height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat resized, floating;
        cv::resize(image, resized, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
        // U^2-Net's reference code divides by the image's maximum, not by 255.
        double top = 0;
        cv::minMaxLoc(resized.reshape(1), nullptr, &top);
        resized.convertTo(floating, CV_32FC3, 1.0 / std::max(1.0, top));
        const int shape[] = {1, 3, kSide, kSide};
        cv::Mat blob(4, shape, CV_32F);
        for (int c = 0; c < 3; ++c) {
            cv::Mat plane(kSide, kSide, CV_32F, blob.ptr<float>(0, c));
            cv::extractChannel(floating, plane, c);
            plane = (plane - kMean[c]) / kDeviation[c];
        }
        const cv::Mat output = model->model.infer([&](cv::dnn::Net &net) {
            net.setInput(blob);
            // U^2-Net's first output is the fused map; forward() alone would answer with the last
            // layer it computed, one of the coarse side maps.
            return net.forward(net.getUnconnectedOutLayersNames().front()).clone();
        });
        if (output.dims != 4 || output.size[2] < 1 || output.size[3] < 1) return PV_CV_FAILED;
        cv::Mat map(output.size[2], output.size[3], CV_32F, const_cast<float *>(output.ptr<float>(0, 0)));
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
