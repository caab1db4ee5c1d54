// A Gaussian blur whose cost does not grow with its width.
#pragma once

#include <algorithm>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace pv {

// Wide blurs run on a smaller copy, scaled so that the blur there is 3 pixels wide, and come back
// at full size: the result is smooth, so nothing is lost, and a kernel of hundreds of pixels
// (about 8 sigma for float images) is never run.
inline void wideGaussianBlur(const cv::Mat &input, cv::Mat &output, double sigma) {
    const double factor = std::max(1.0, sigma / 3);
    if (factor < 1.5) {
        cv::GaussianBlur(input, output, cv::Size(), sigma);
        return;
    }
    cv::Mat small;
    cv::resize(input, small, cv::Size(std::max(1, int(input.cols / factor)), std::max(1, int(input.rows / factor))), 0, 0, cv::INTER_AREA);
    cv::GaussianBlur(small, small, cv::Size(), sigma / factor);
    cv::resize(small, output, input.size(), 0, 0, cv::INTER_LINEAR);
}

}  // namespace pv
