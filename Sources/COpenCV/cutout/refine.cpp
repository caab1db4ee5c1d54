// Edge refinement: a coarse working mask made into a soft alpha at output resolution, with the
// backdrop's colour taken out of the edge pixels.
#include "copencv_cutout.h"
#include "core/rows.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace {

// Bilinear read of a smooth field stored at lower resolution, at full-resolution pixel (x, y),
// sampled as cv::resize's INTER_LINEAR would (pixel centres aligned).
template <typename T>
T bilinear(const cv::Mat &field, double scaleX, double scaleY, int x, int y) {
    const float gx = std::clamp(float((x + 0.5) * scaleX - 0.5), 0.0f, float(field.cols - 1));
    const float gy = std::clamp(float((y + 0.5) * scaleY - 0.5), 0.0f, float(field.rows - 1));
    const int x0 = int(gx), y0 = int(gy);
    const int x1 = std::min(x0 + 1, field.cols - 1), y1 = std::min(y0 + 1, field.rows - 1);
    const float fx = gx - x0, fy = gy - y0;
    return (field.at<T>(y0, x0) * (1 - fx) + field.at<T>(y0, x1) * fx) * (1 - fy)
         + (field.at<T>(y1, x0) * (1 - fx) + field.at<T>(y1, x1) * fx) * fy;
}

inline float greyOf(const cv::Vec3b &rgb) { return (0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]) / 255.0f; }

// He and Sun's fast guided filter of `alpha` guided by the image's grey: the linear
// coefficients are smooth, so they are solved at 1/step scale, and read back only where the
// edge band needs them.
class GuidedAlpha {
public:
    GuidedAlpha(const cv::Mat &image, const cv::Mat &alpha, int radius, double epsilon) {
        const int step = std::max(1, radius / 2);
        const cv::Size small(std::max(1, image.cols / step), std::max(1, image.rows / step));
        cv::Mat imageSmall, alphaSmall, colourSmall, guide, source;
        cv::resize(image, imageSmall, small, 0, 0, cv::INTER_AREA);
        imageSmall.convertTo(colourSmall, CV_32FC3, 1.0 / 255);
        cv::cvtColor(colourSmall, guide, cv::COLOR_RGB2GRAY);
        cv::resize(alpha, alphaSmall, small, 0, 0, cv::INTER_AREA);
        alphaSmall.convertTo(source, CV_32F, 1.0 / 255);
        const int r = std::max(1, radius / step);
        const cv::Size window(2 * r + 1, 2 * r + 1);
        cv::Mat meanI, meanP, corrI, corrIP;
        cv::boxFilter(guide, meanI, CV_32F, window);
        cv::boxFilter(source, meanP, CV_32F, window);
        cv::boxFilter(guide.mul(guide), corrI, CV_32F, window);
        cv::boxFilter(guide.mul(source), corrIP, CV_32F, window);
        const cv::Mat a = (corrIP - meanI.mul(meanP)) / (corrI - meanI.mul(meanI) + epsilon);
        const cv::Mat b = meanP - a.mul(meanI);
        cv::boxFilter(a, meanA_, CV_32F, window);
        cv::boxFilter(b, meanB_, CV_32F, window);
        scaleX_ = double(small.width) / image.cols;
        scaleY_ = double(small.height) / image.rows;
    }

    float at(int x, int y, float grey) const {
        return bilinear<float>(meanA_, scaleX_, scaleY_, x, y) * grey + bilinear<float>(meanB_, scaleX_, scaleY_, x, y);
    }

private:
    cv::Mat meanA_, meanB_;
    double scaleX_ = 1, scaleY_ = 1;
};

// Colour of the pixels a mask selects, spread into their neighbourhood (normalised convolution)
// on a coarse grid: the spread is smooth, so cells a few pixels wide lose nothing, and only the
// edge band ever reads it.
class SpreadColour {
public:
    SpreadColour(cv::Size size, int cell) : cell_(cell), sums_(cv::Mat::zeros((size.height + cell - 1) / cell, (size.width + cell - 1) / cell, CV_32FC4)) {}

    void add(int x, int y, const cv::Vec3b &colour) {
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
        const cv::Vec4f sum = bilinear<cv::Vec4f>(sums_, 1.0 / cell_, 1.0 / cell_, x, y);
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
    // The coarse mask mapped onto the crop: an affine map sampled bilinearly.
    const cv::Mat map = (cv::Mat_<double>(2, 3) << sx, 0, -cx * sx + 0.5 * (sx - 1), 0, sy, -cy * sy + 0.5 * (sy - 1));
    cv::Mat coarse;
    cv::warpAffine(coarseMask, coarse, map, cv::Size(width, height), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);

    // The band: within `radius` of the coarse edge on either side. Outside it the coarse answer
    // stands; inside, the edge snaps to the image's own edges and contrast is restored, so it
    // is soft over a pixel or two rather than smeared.
    const int radius = edgeRadius(sx, sy);
    const cv::Mat inside = coarse > 127;
    const cv::Mat square = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * radius + 1, 2 * radius + 1));
    cv::Mat grown, shrunk;
    cv::dilate(inside, grown, square);
    cv::erode(inside, shrunk, square);
    const cv::Mat band = grown & ~shrunk;
    const GuidedAlpha guided(image, coarse, radius, 2e-4);

    // Decontaminate: where alpha is partial, the observed colour is F·a + B·(1−a); solve for F
    // with B the nearby background and fall back on the nearby product colour where a is small.
    cv::Mat alpha(height, width, CV_32F);
    const int cell = std::max(1, int(std::round(2.0 * radius / 3.0)));
    SpreadColour behind(image.size(), cell), product(image.size(), cell);
    for (int y = 0; y < height; ++y) {
        const auto *pixel = image.ptr<cv::Vec3b>(y);
        const uchar *isInside = inside.ptr<uchar>(y), *inBand = band.ptr<uchar>(y);
        float *a = alpha.ptr<float>(y);
        for (int x = 0; x < width; ++x) {
            a[x] = isInside[x] ? 1.0f : 0.0f;
            if (inBand[x]) a[x] = std::clamp((guided.at(x, y, greyOf(pixel[x])) - 0.5f) * 1.6f + 0.5f, 0.0f, 1.0f);
            if (a[x] < 0.05f) behind.add(x, y, pixel[x]);
            else if (a[x] > 0.95f) product.add(x, y, pixel[x]);
        }
    }
    behind.spread(3.0 * radius);
    product.spread(2.0 * radius);

    for (int y = 0; y < height; ++y) {
        const auto *observed = image.ptr<cv::Vec3b>(y);
        const float *a = alpha.ptr<float>(y);
        auto *pixel = out.ptr<cv::Vec4b>(y);
        for (int x = 0; x < width; ++x) {
            cv::Vec3f f(observed[x][0], observed[x][1], observed[x][2]);
            if (a[x] > 0.0f && a[x] < 0.98f) {
                const float weight = std::max(a[x], 0.05f);
                const cv::Vec3f background = behind.at(x, y);
                cv::Vec3f solved;
                for (int c = 0; c < 3; ++c) solved[c] = std::clamp((f[c] - (1 - a[x]) * background[c]) / weight, 0.0f, 255.0f);
                const float trust = std::min(1.0f, a[x] / 0.6f);
                f = solved * trust + product.at(x, y) * (1 - trust);
            }
            for (int c = 0; c < 3; ++c) pixel[x][c] = cv::saturate_cast<uchar>(f[c]);
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
