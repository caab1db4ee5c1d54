// Edge refinement, premultiplied resizing, compositing and the sandbox watermark.
#include "copencv.h"
#include "rows.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace {

// He and Sun's fast guided filter: edges of `guide` steer how `source` is smoothed. The linear
// coefficients are smooth, so they are solved at 1/`step` scale and applied at full scale.
cv::Mat guidedFilter(const cv::Mat &guide, const cv::Mat &source, int radius, double epsilon) {
    const int step = std::max(1, radius / 2);
    const cv::Size small(std::max(1, guide.cols / step), std::max(1, guide.rows / step));
    cv::Mat guideSmall, sourceSmall;
    cv::resize(guide, guideSmall, small, 0, 0, cv::INTER_AREA);
    cv::resize(source, sourceSmall, small, 0, 0, cv::INTER_AREA);
    const int r = std::max(1, radius / step);
    const cv::Size window(2 * r + 1, 2 * r + 1);
    cv::Mat meanI, meanP, corrI, corrIP;
    cv::boxFilter(guideSmall, meanI, CV_32F, window);
    cv::boxFilter(sourceSmall, meanP, CV_32F, window);
    cv::boxFilter(guideSmall.mul(guideSmall), corrI, CV_32F, window);
    cv::boxFilter(guideSmall.mul(sourceSmall), corrIP, CV_32F, window);
    cv::Mat varI = corrI - meanI.mul(meanI);
    cv::Mat covIP = corrIP - meanI.mul(meanP);
    cv::Mat a = covIP / (varI + epsilon);
    cv::Mat b = meanP - a.mul(meanI);
    cv::Mat meanA, meanB;
    cv::boxFilter(a, meanA, CV_32F, window);
    cv::boxFilter(b, meanB, CV_32F, window);
    cv::resize(meanA, meanA, guide.size(), 0, 0, cv::INTER_LINEAR);
    cv::resize(meanB, meanB, guide.size(), 0, 0, cv::INTER_LINEAR);
    return meanA.mul(guide) + meanB;
}

// Colour of the pixels a mask selects, spread into their neighbourhood (normalised convolution)
// on a coarse grid: the spread is smooth, so cells a few pixels wide lose nothing, and only the
// edge band ever reads it.
class SpreadColour {
public:
    SpreadColour(cv::Size size, int cell) : cell_(cell), sums_(cv::Mat::zeros((size.height + cell - 1) / cell, (size.width + cell - 1) / cell, CV_32FC4)) {}

    void add(int x, int y, const cv::Vec3f &colour) {
        cv::Vec4f &sum = sums_.at<cv::Vec4f>(y / cell_, x / cell_);
        sum[0] += colour[0];
        sum[1] += colour[1];
        sum[2] += colour[2];
        sum[3] += 1;
    }

    // Blurs with a Gaussian of `sigma` full-resolution pixels.
    void spread(double sigma) { cv::GaussianBlur(sums_, sums_, cv::Size(), std::max(0.5, sigma / cell_)); }

    // The spread colour at a full-resolution pixel, interpolated bilinearly between cells.
    cv::Vec3f at(int x, int y) const {
        const float gx = std::clamp((x + 0.5f) / cell_ - 0.5f, 0.0f, float(sums_.cols - 1));
        const float gy = std::clamp((y + 0.5f) / cell_ - 0.5f, 0.0f, float(sums_.rows - 1));
        const int x0 = int(gx), y0 = int(gy);
        const int x1 = std::min(x0 + 1, sums_.cols - 1), y1 = std::min(y0 + 1, sums_.rows - 1);
        const float fx = gx - x0, fy = gy - y0;
        const cv::Vec4f sum = (sums_.at<cv::Vec4f>(y0, x0) * (1 - fx) + sums_.at<cv::Vec4f>(y0, x1) * fx) * (1 - fy)
                            + (sums_.at<cv::Vec4f>(y1, x0) * (1 - fx) + sums_.at<cv::Vec4f>(y1, x1) * fx) * fy;
        const float weight = sum[3] + 1e-4f;
        return cv::Vec3f(sum[0] / weight, sum[1] / weight, sum[2] / weight);
    }

private:
    int cell_;
    cv::Mat sums_;
};

// Half-width of the edge band, in crop pixels: a working pixel and a half, where the coarse
// edge can be off by about that much.
int edgeRadius(double sx, double sy) { return std::max(2, int(std::round(1.5 * std::max(sx, sy)))); }

// Refines the crop `image`, whose top-left pixel sits at (cx, cy) in the coarse mask and which
// has `sx` x `sy` pixels per coarse pixel, into straight-alpha RGBA `out`.
void refineRegion(const cv::Mat &image, const cv::Mat &coarseMask, double cx, double cy, double sx, double sy, cv::Mat &out) {
    const int width = image.cols, height = image.rows;
    // The coarse rectangle, scaled onto the crop: an affine map sampled bilinearly.
    cv::Mat map = (cv::Mat_<double>(2, 3) << sx, 0, -cx * sx + 0.5 * (sx - 1), 0, sy, -cy * sy + 0.5 * (sy - 1));
    cv::Mat alpha;
    cv::Mat coarseFloat;
    coarseMask.convertTo(coarseFloat, CV_32F, 1.0 / 255);
    cv::warpAffine(coarseFloat, alpha, map, cv::Size(width, height), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);

    // Snap the edge to the image's own edges, in a band a few working pixels wide.
    cv::Mat colour, grey;
    image.convertTo(colour, CV_32FC3, 1.0 / 255);
    cv::cvtColor(colour, grey, cv::COLOR_RGB2GRAY);
    const int radius = edgeRadius(sx, sy);
    cv::Mat refined = guidedFilter(grey, alpha, radius, 2e-4);
    refined = cv::min(cv::max(refined, 0.0), 1.0);
    // Outside the band the coarse answer stands; inside, contrast is restored so the edge
    // is soft over a pixel or two rather than smeared.
    // The band: within `radius` of the edge on either side (distance transforms are linear in
    // the pixel count, where a large elliptical erosion is not).
    const cv::Mat inside = alpha > 0.5;
    cv::Mat toOutside, toInside;
    cv::distanceTransform(inside, toOutside, cv::DIST_L2, 3);
    cv::distanceTransform(~inside, toInside, cv::DIST_L2, 3);
    const cv::Mat band = (toOutside <= radius) & (toInside <= radius);
    cv::Mat sharpened = cv::min(cv::max((refined - 0.5) * 1.6 + 0.5, 0.0), 1.0);
    cv::Mat hard;
    cv::Mat(alpha > 0.5).convertTo(hard, CV_32F, 1.0 / 255);
    hard.copyTo(alpha);
    sharpened.copyTo(alpha, band);

    // Decontaminate: where alpha is partial, the observed colour is F·a + B·(1−a); solve for F
    // with B the nearby background and fall back on the nearby product colour where a is small.
    const int cell = std::max(1, int(std::round(2.0 * radius / 3.0)));
    SpreadColour behind(image.size(), cell), product(image.size(), cell);
    for (int y = 0; y < height; ++y) {
        const auto *observed = colour.ptr<cv::Vec3f>(y);
        const float *a = alpha.ptr<float>(y);
        for (int x = 0; x < width; ++x) {
            if (a[x] < 0.05f) behind.add(x, y, observed[x]);
            else if (a[x] > 0.95f) product.add(x, y, observed[x]);
        }
    }
    behind.spread(3.0 * radius);
    product.spread(2.0 * radius);

    for (int y = 0; y < height; ++y) {
        const auto *observed = colour.ptr<cv::Vec3f>(y);
        const float *a = alpha.ptr<float>(y);
        auto *pixel = out.ptr<cv::Vec4b>(y);
        for (int x = 0; x < width; ++x) {
            cv::Vec3f f = observed[x];
            if (a[x] > 0.0f && a[x] < 0.98f) {
                const float weight = std::max(a[x], 0.05f);
                const cv::Vec3f background = behind.at(x, y);
                cv::Vec3f solved;
                for (int c = 0; c < 3; ++c) {
                    solved[c] = std::clamp((observed[x][c] - (1 - a[x]) * background[c]) / weight, 0.0f, 1.0f);
                }
                const float trust = std::min(1.0f, a[x] / 0.6f);
                f = solved * trust + product.at(x, y) * (1 - trust);
            }
            for (int c = 0; c < 3; ++c) pixel[x][c] = cv::saturate_cast<uchar>(f[c] * 255.0f);
            pixel[x][3] = cv::saturate_cast<uchar>(a[x] * 255.0f);
        }
    }
}

// How far beyond its own rows a stripe must see: the guided filter's and the colour spread's reach.
int refineReach(double sx, double sy) { return 10 * edgeRadius(sx, sy) + 8; }

}  // namespace

extern "C" int pv_cv_refine(const uint8_t *rgb, int width, int height, size_t stride,
                            const uint8_t *coarse, int coarse_width, int coarse_height,
                            double cx, double cy, double cw, double ch, uint8_t *rgba) {
    if (!rgb || !coarse || !rgba || width < 1 || height < 1 || cw <= 0 || ch <= 0) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        const cv::Mat coarseMask(coarse_height, coarse_width, CV_8U, const_cast<uint8_t *>(coarse));
        const double sx = width / cw, sy = height / ch;
        cv::Mat out(height, width, CV_8UC4, rgba);
        // Two stripes, one per core of a typical node; always two, so the result never depends on
        // the machine. Each sees enough rows beyond its own that the seam does not show.
        const int reach = refineReach(sx, sy);
        const int half = (height + 1) / 2;
        std::atomic<bool> failed{false};
        cv::parallel_for_(cv::Range(0, 2), [&](const cv::Range &stripes) {
            for (int stripe = stripes.start; stripe < stripes.end; ++stripe) {
                const int top = stripe * half, bottom = std::min(height, top + half);
                if (top >= bottom) continue;
                const int from = std::max(0, top - reach), to = std::min(height, bottom + reach);
                try {
                    cv::Mat refined(to - from, width, CV_8UC4);
                    refineRegion(image.rowRange(from, to), coarseMask, cx, cy + from / sy, sx, sy, refined);
                    refined.rowRange(top - from, bottom - from).copyTo(out.rowRange(top, bottom));
                } catch (...) {
                    failed = true;
                }
            }
        });
        return failed ? PV_CV_FAILED : PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}


extern "C" int pv_cv_resize_rgb(const uint8_t *rgb, int width, int height, uint8_t *out, int out_width, int out_height) {
    if (!rgb || !out || width < 1 || height < 1 || out_width < 1 || out_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat source(height, width, CV_8UC3, const_cast<uint8_t *>(rgb));
        cv::Mat destination(out_height, out_width, CV_8UC3, out);
        cv::resize(source, destination, destination.size(), 0, 0, out_width < width ? cv::INTER_AREA : cv::INTER_CUBIC);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_resize_rgba(const uint8_t *rgba, int width, int height,
                                 uint8_t *out, int out_width, int out_height) {
    if (!rgba || !out || width < 1 || height < 1 || out_width < 1 || out_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat source(height, width, CV_8UC4, const_cast<uint8_t *>(rgba));
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
                    for (int c = 0; c < 3; ++c) destination[c] = uint8_t(std::lround(source[c] * a + destination[c] * (1 - a)));
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
