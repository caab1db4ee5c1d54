// Resizing: area averaging down, cubic up; RGBA premultiplied so that edges keep no dark fringe.
#include "copencv.h"

#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

extern "C" int pv_cv_resize_rgb(const uint8_t *rgb, int width, int height, size_t stride, uint8_t *out, int out_width, int out_height) {
    if (!rgb || !out || width < 1 || height < 1 || out_width < 1 || out_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat source(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat destination(out_height, out_width, CV_8UC3, out);
        cv::resize(source, destination, destination.size(), 0, 0, out_width < width ? cv::INTER_AREA : cv::INTER_CUBIC);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_resize_rgba(const uint8_t *rgba, int width, int height, size_t stride,
                                 uint8_t *out, int out_width, int out_height) {
    if (!rgba || !out || width < 1 || height < 1 || out_width < 1 || out_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat source(height, width, CV_8UC4, const_cast<uint8_t *>(rgba), stride);
        cv::Mat floating;
        source.convertTo(floating, CV_32FC4, 1.0 / 255);
        std::vector<cv::Mat> channels;
        cv::split(floating, channels);
        for (int c = 0; c < 3; ++c) channels[c] = channels[c].mul(channels[3]);
        cv::Mat premultiplied, resized;
        cv::merge(channels, premultiplied);
        const bool shrinking = out_width < width;
        cv::resize(premultiplied, resized, cv::Size(out_width, out_height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
        cv::split(resized, channels);
        channels[3] = cv::min(cv::max(channels[3], 0.0), 1.0);
        for (int c = 0; c < 3; ++c) {
            channels[c] = cv::min(cv::max(channels[c] / cv::max(channels[3], 1e-4), 0.0), 1.0);
        }
        cv::Mat merged;
        cv::merge(channels, merged);
        cv::Mat destination(out_height, out_width, CV_8UC4, out);
        merged.convertTo(destination, CV_8UC4, 255.0);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
