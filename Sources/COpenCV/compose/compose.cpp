// Compositing and the sandbox watermark.
#include "copencv_compose.h"
#include "core/rows.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

extern "C" int pv_cv_composite(uint8_t *canvas, int width, int height, int bands,
                               const uint8_t *layer, int layer_width, int layer_height, int x, int y) {
    if (!canvas || !layer || (bands != 3 && bands != 4)) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Rect target = cv::Rect(x, y, layer_width, layer_height) & cv::Rect(0, 0, width, height);
        pv::forEachRow(target.height, [&](int offset) {
            const int row = target.y + offset;
            uint8_t *destination = canvas + (size_t(row) * width + target.x) * bands;
            const uint8_t *source = layer + (size_t(row - y) * layer_width + (target.x - x)) * 4;
            for (int column = 0; column < target.width; ++column, destination += bands, source += 4) {
                const float a = source[3] / 255.0f;
                if (a <= 0) continue;
                if (bands == 3) {
                    for (int c = 0; c < 3; ++c) destination[c] = uint8_t(source[c] * a + destination[c] * (1 - a) + 0.5f);
                } else {
                    const float below = destination[3] / 255.0f;
                    const float outAlpha = a + below * (1 - a);
                    for (int c = 0; c < 3; ++c) {
                        destination[c] = uint8_t(std::lround((source[c] * a + destination[c] * below * (1 - a)) / outAlpha));
                    }
                    destination[3] = uint8_t(std::lround(outAlpha * 255));
                }
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_watermark(uint8_t *canvas, int width, int height, int bands,
                               const uint8_t *text_mask, int mask_width, int mask_height, double opacity) {
    if (!canvas || !text_mask || (bands != 3 && bands != 4) || mask_width < 1 || mask_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        // One tile: the text rotated 30°, with room around it; then repeat it over the canvas.
        const cv::Mat text(mask_height, mask_width, CV_8U, const_cast<uint8_t *>(text_mask));
        const int side = int(std::ceil(std::hypot(mask_width, mask_height))) + mask_height * 2;
        cv::Mat tile = cv::Mat::zeros(side, side, CV_8U);
        text.copyTo(tile(cv::Rect((side - mask_width) / 2, (side - mask_height) / 2, mask_width, mask_height)));
        const cv::Mat rotation = cv::getRotationMatrix2D(cv::Point2f(side / 2.0f, side / 2.0f), 30.0, 1.0);
        cv::warpAffine(tile, tile, rotation, tile.size(), cv::INTER_LINEAR);
        cv::Mat outline;
        cv::dilate(tile, outline, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
        for (int y = 0; y < height; ++y) {
            // Alternate rows shift by half a tile, so no straight crop removes every mark.
            const int shift = ((y / side) % 2) * side / 2;
            const uchar *ink = tile.ptr<uchar>(y % side);
            const uchar *halo = outline.ptr<uchar>(y % side);
            uint8_t *pixel = canvas + size_t(y) * width * bands;
            for (int x = 0; x < width; ++x, pixel += bands) {
                const int tx = (x + shift) % side;
                const float light = float(opacity * 0.6 * halo[tx] / 255.0);
                const float dark = float(opacity * ink[tx] / 255.0);
                for (int c = 0; c < 3; ++c) {
                    float value = pixel[c] * (1 - light) + 255.0f * light;
                    value = value * (1 - dark) + 60.0f * dark;
                    pixel[c] = uint8_t(std::lround(value));
                }
                if (bands == 4) pixel[3] = std::max<uint8_t>(pixel[3], uint8_t(std::lround(255 * std::max(light, dark))));
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_cover(uint8_t *coverage, int width, int height,
                           const uint8_t *layer, int layer_width, int layer_height, int x, int y) {
    if (!coverage || !layer || width < 1 || height < 1 || layer_width < 1 || layer_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Rect placed = cv::Rect(x, y, layer_width, layer_height) & cv::Rect(0, 0, width, height);
        if (placed.empty()) return PV_CV_OK;
        const cv::Mat source(layer_height, layer_width, CV_8UC4, const_cast<uint8_t *>(layer));
        cv::Mat alpha;
        cv::extractChannel(source(cv::Rect(placed.x - x, placed.y - y, placed.width, placed.height)), alpha, 3);
        cv::Mat target = cv::Mat(height, width, CV_8U, coverage)(placed);
        cv::max(target, alpha, target);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
