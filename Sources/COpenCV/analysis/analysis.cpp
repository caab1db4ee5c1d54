// Measurements for the photo analysis: what surrounds the product, how well the cutout's outline
// follows the photo, the light on the product, its colours and its sharpness. Everything here
// measures; the engine (Analysis.swift) decides what the numbers mean.
#include "copencv_analysis.h"
#include "core/rows.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace {

// ---- CIELAB (D65) of 8-bit sRGB. Written out rather than cv::cvtColor, whose tables cost a
// one-shot process about 90 ms on first use.

const std::array<float, 256> &linearTable() {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> values{};
        for (int i = 0; i < 256; ++i) {
            const float c = i / 255.0f;
            values[i] = c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
        }
        return values;
    }();
    return table;
}

inline float labF(float t) { return t > 0.008856f ? std::cbrt(t) : 7.787f * t + 16.0f / 116.0f; }

inline cv::Vec3f labOf(const cv::Vec3b &rgb, const std::array<float, 256> &linear) {
    const float r = linear[rgb[0]], g = linear[rgb[1]], b = linear[rgb[2]];
    const float fx = labF((0.412453f * r + 0.357580f * g + 0.180423f * b) / 0.950456f);
    const float fy = labF(0.212671f * r + 0.715160f * g + 0.072169f * b);
    const float fz = labF((0.019334f * r + 0.119193f * g + 0.950227f * b) / 1.088754f);
    return cv::Vec3f(116.0f * fy - 16.0f, 500.0f * (fx - fy), 200.0f * (fy - fz));
}

cv::Mat toLab(const cv::Mat &rgb) {
    const auto &linear = linearTable();
    cv::Mat lab(rgb.size(), CV_32FC3);
    pv::forEachRow(rgb.rows, [&](int y) {
        const auto *in = rgb.ptr<cv::Vec3b>(y);
        auto *out = lab.ptr<cv::Vec3f>(y);
        for (int x = 0; x < rgb.cols; ++x) out[x] = labOf(in[x], linear);
    });
    return lab;
}

// Percentile of values in [0, 100] from a histogram of 0.1-wide bins.
struct Histogram {
    std::array<int64_t, 1001> bins{};
    int64_t total = 0;

    void add(float value) {
        bins[std::clamp(int(std::lround(value * 10)), 0, 1000)] += 1;
        total += 1;
    }

    double percentile(double p) const {
        if (total == 0) return 0;
        const int64_t wanted = std::max<int64_t>(1, int64_t(std::ceil(p * double(total))));
        int64_t seen = 0;
        for (int i = 0; i <= 1000; ++i) {
            seen += bins[i];
            if (seen >= wanted) return i / 10.0;
        }
        return 100;
    }
};

// The colour bands as 3-channel RGB: the caller's pixels in place, or a copy without alpha.
cv::Mat colourOf(const uint8_t *pixels, int width, int height, int bands, size_t stride) {
    const cv::Mat image(height, width, bands == 4 ? CV_8UC4 : CV_8UC3, const_cast<uint8_t *>(pixels), stride);
    if (bands == 3) return image;
    cv::Mat rgb;
    cv::cvtColor(image, rgb, cv::COLOR_RGBA2RGB);
    return rgb;
}

cv::Mat ellipse(int radius) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1)); }

// The part of the frame that is background for measuring: away from the product's soft edge.
cv::Mat backgroundRegion(const cv::Mat &product, bool &fromBorder) {
    const int w = product.cols, h = product.rows;
    const int reach = std::max(2, int(std::lround(0.015 * std::min(w, h))));
    cv::Mat grown;
    cv::dilate(product, grown, ellipse(reach), cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::Mat region = grown == 0;
    fromBorder = false;
    if (cv::countNonZero(region) < 0.05 * w * h) {
        // The product fills the frame (or the cutout kept the whole photo): the outer ring is
        // the best view of what it stands on.
        const int band = std::max(2, int(std::lround(0.04 * std::min(w, h))));
        region = cv::Mat(h, w, CV_8U, cv::Scalar(255));
        if (w > 2 * band && h > 2 * band) region(cv::Rect(band, band, w - 2 * band, h - 2 * band)).setTo(0);
        fromBorder = true;
    }
    return region;
}

void measureBackground(const cv::Mat &rgb, const cv::Mat &lab, const cv::Mat &product, pv_background_measure &out) {
    const int w = rgb.cols, h = rgb.rows;
    bool fromBorder = false;
    const cv::Mat region = backgroundRegion(product, fromBorder);
    out = pv_background_measure{};
    out.from_border = fromBorder ? 1 : 0;

    // Colour statistics, summed in row order (deterministic whatever the core count).
    int64_t count = 0, nearWhite = 0, pureWhite = 0;
    double rgbSum[3] = {0, 0, 0}, labSum[3] = {0, 0, 0}, labSquares[3] = {0, 0, 0};
    std::map<int, int64_t> cells;
    for (int y = 0; y < h; ++y) {
        const auto *pixel = rgb.ptr<cv::Vec3b>(y);
        const auto *colour = lab.ptr<cv::Vec3f>(y);
        const uchar *inside = region.ptr<uchar>(y);
        for (int x = 0; x < w; ++x) {
            if (!inside[x]) continue;
            ++count;
            const uchar darkest = std::min({pixel[x][0], pixel[x][1], pixel[x][2]});
            nearWhite += darkest >= 220;
            pureWhite += darkest >= 250;
            for (int c = 0; c < 3; ++c) {
                rgbSum[c] += pixel[x][c];
                labSum[c] += colour[x][c];
                labSquares[c] += double(colour[x][c]) * colour[x][c];
            }
            const int cell = int(std::floor(colour[x][0] / 10.0f)) * 10000 + int(std::floor((colour[x][1] + 128) / 10.0f)) * 100 +
                             int(std::floor((colour[x][2] + 128) / 10.0f));
            cells[cell] += 1;
        }
    }
    if (count == 0) return;
    out.area_share = double(count) / double(w * h);
    out.near_white_share = double(nearWhite) / double(count);
    out.pure_white_share = double(pureWhite) / double(count);
    double variance = 0;
    for (int c = 0; c < 3; ++c) {
        out.mean_rgb[c] = rgbSum[c] / double(count);
        const double mean = labSum[c] / double(count);
        variance += std::max(0.0, labSquares[c] / double(count) - mean * mean);
    }
    out.lab_spread = std::sqrt(variance);
    int regions = 0;
    for (const auto &cell : cells) regions += cell.second >= 0.02 * double(count);
    out.colour_regions = regions;

    // Fine texture: L*'s spread in small windows, its median over the region.
    cv::Mat lightness, mean, squares;
    cv::extractChannel(lab, lightness, 0);
    cv::blur(lightness, mean, cv::Size(7, 7));
    cv::blur(lightness.mul(lightness), squares, cv::Size(7, 7));
    Histogram local;
    for (int y = 0; y < h; ++y) {
        const float *m = mean.ptr<float>(y), *s = squares.ptr<float>(y);
        const uchar *inside = region.ptr<uchar>(y);
        for (int x = 0; x < w; ++x) {
            if (inside[x]) local.add(std::sqrt(std::max(0.0f, s[x] - m[x] * m[x])));
        }
    }
    out.local_spread = local.percentile(0.5);

    // Edges, and the long chains among them: a room's furniture and frames draw long lines, a
    // paper's grain short specks.
    cv::Mat lightness8, edges;
    lightness.convertTo(lightness8, CV_8U, 2.55);
    cv::GaussianBlur(lightness8, lightness8, cv::Size(3, 3), 0);
    cv::Canny(lightness8, edges, 40, 100, 3, true);
    edges &= region;
    out.edge_density = double(cv::countNonZero(edges)) / double(count);
    cv::Mat labels, stats, centroids;
    const int chains = cv::connectedComponentsWithStats(edges, labels, stats, centroids, 8, CV_32S);
    const int longEnough = std::max(8, int(std::lround(0.06 * std::min(w, h))));
    int64_t onLong = 0;
    for (int i = 1; i < chains; ++i) {
        if (std::max(stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT)) >= longEnough)
            onLong += stats.at<int>(i, cv::CC_STAT_AREA);
    }
    out.long_edge_density = double(onLong) / double(count);
}

void measureFit(const cv::Mat &lab, const cv::Mat &product, pv_mask_measure &out) {
    const int w = lab.cols, h = lab.rows;
    out = pv_mask_measure{};
    const int area = cv::countNonZero(product);
    out.mask_share = double(area) / double(w * h);
    if (area == 0) return;

    // The outline: product pixels with a background neighbour (the frame's edge is no outline).
    cv::Mat eroded;
    cv::erode(product, eroded, cv::Mat());
    const cv::Mat outline = product & ~eroded;

    // Colours a little inside and a little outside, averaged locally along the outline.
    cv::Mat inside, outside;
    cv::erode(product, inside, ellipse(2));
    cv::dilate(product, outside, ellipse(2), cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    outside = outside == 0;
    cv::Mat insideF, outsideF, insideLab, outsideLab, insideCount, outsideCount;
    inside.convertTo(insideF, CV_32F, 1.0 / 255);
    outside.convertTo(outsideF, CV_32F, 1.0 / 255);
    cv::Mat insideF3, outsideF3;
    cv::merge(std::vector<cv::Mat>{insideF, insideF, insideF}, insideF3);
    cv::merge(std::vector<cv::Mat>{outsideF, outsideF, outsideF}, outsideF3);
    const cv::Size window(11, 11);
    cv::boxFilter(lab.mul(insideF3), insideLab, -1, window, cv::Point(-1, -1), false);
    cv::boxFilter(lab.mul(outsideF3), outsideLab, -1, window, cv::Point(-1, -1), false);
    cv::boxFilter(insideF, insideCount, -1, window, cv::Point(-1, -1), false);
    cv::boxFilter(outsideF, outsideCount, -1, window, cv::Point(-1, -1), false);

    // Strong edges of the photo, in CIELAB, so a change of hue at equal lightness counts.
    cv::Mat smooth, gx, gy;
    cv::GaussianBlur(lab, smooth, cv::Size(3, 3), 0);
    cv::Sobel(smooth, gx, CV_32F, 1, 0);
    cv::Sobel(smooth, gy, CV_32F, 0, 1);
    cv::Mat strength(h, w, CV_32F);
    for (int y = 0; y < h; ++y) {
        const auto *a = gx.ptr<cv::Vec3f>(y), *b = gy.ptr<cv::Vec3f>(y);
        float *s = strength.ptr<float>(y);
        // Sobel weighs a step by 8: per-pixel CIELAB change.
        for (int x = 0; x < w; ++x) s[x] = std::sqrt(a[x].dot(a[x]) + b[x].dot(b[x])) / 8.0f;
    }
    cv::Mat strong = strength > 3.0f;
    cv::dilate(strong, strong, ellipse(2));

    std::vector<float> contrasts;
    int64_t outlinePixels = 0, onEdges = 0, contrasted = 0;
    for (int y = 0; y < h; ++y) {
        const uchar *o = outline.ptr<uchar>(y), *e = strong.ptr<uchar>(y);
        const auto *in = insideLab.ptr<cv::Vec3f>(y), *out_ = outsideLab.ptr<cv::Vec3f>(y);
        const float *ni = insideCount.ptr<float>(y), *no = outsideCount.ptr<float>(y);
        for (int x = 0; x < w; ++x) {
            if (!o[x]) continue;
            ++outlinePixels;
            onEdges += e[x] != 0;
            if (ni[x] < 0.5f || no[x] < 0.5f) continue;
            const cv::Vec3f difference = in[x] / ni[x] - out_[x] / no[x];
            const float distance = std::sqrt(difference.dot(difference));
            contrasts.push_back(distance);
            contrasted += distance > 10.0f;
        }
    }
    if (outlinePixels > 0) {
        out.boundary_on_edges = double(onEdges) / double(outlinePixels);
        out.contrasted_share = double(contrasted) / double(outlinePixels);
    }
    if (!contrasts.empty()) {
        auto middle = contrasts.begin() + contrasts.size() / 2;
        std::nth_element(contrasts.begin(), middle, contrasts.end());
        out.boundary_contrast = *middle;
    }

    int64_t edgePixels = 0, touching = 0;
    for (int x = 0; x < w; ++x) touching += (product.at<uchar>(0, x) != 0) + (product.at<uchar>(h - 1, x) != 0);
    for (int y = 1; y < h - 1; ++y) touching += (product.at<uchar>(y, 0) != 0) + (product.at<uchar>(y, w - 1) != 0);
    edgePixels = 2 * int64_t(w) + 2 * int64_t(std::max(0, h - 2));
    out.frame_contact = double(touching) / double(std::max<int64_t>(1, edgePixels));

    cv::Mat labels, stats, centroids;
    const int components = cv::connectedComponentsWithStats(product, labels, stats, centroids, 8, CV_32S);
    int largest = 0;
    for (int i = 1; i < components; ++i) largest = std::max(largest, stats.at<int>(i, cv::CC_STAT_AREA));
    out.main_component = double(largest) / double(area);
}

void measureExposure(const cv::Mat &rgb, const cv::Mat &lab, const cv::Mat &product, pv_exposure_measure &out) {
    out = pv_exposure_measure{};
    Histogram productLightness, frameLightness;
    int64_t highlights = 0, shadows = 0;
    double sum = 0;
    for (int y = 0; y < rgb.rows; ++y) {
        const auto *pixel = rgb.ptr<cv::Vec3b>(y);
        const auto *colour = lab.ptr<cv::Vec3f>(y);
        const uchar *inside = product.ptr<uchar>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            const float lightness = colour[x][0];
            frameLightness.add(lightness);
            if (!inside[x]) continue;
            productLightness.add(lightness);
            sum += lightness;
            highlights += std::min({pixel[x][0], pixel[x][1], pixel[x][2]}) >= 250;
            shadows += std::max({pixel[x][0], pixel[x][1], pixel[x][2]}) <= 5;
        }
    }
    out.frame_high = frameLightness.percentile(0.99);
    out.frame_peak = frameLightness.percentile(0.999);
    out.frame_floor = frameLightness.percentile(0.001);
    const int64_t count = productLightness.total;
    if (count == 0) return;
    out.mean_lightness = sum / double(count);
    out.clipped_highlights = double(highlights) / double(count);
    out.clipped_shadows = double(shadows) / double(count);
    out.product_low = productLightness.percentile(0.05);
    out.product_high = productLightness.percentile(0.95);
}

// xorshift64*: a small generator of our own, so clustering never depends on OpenCV's
// thread-local RNG state.
struct Generator {
    uint64_t state;
    uint64_t next() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1DULL;
    }
    double uniform() { return double(next() >> 11) / double(1ULL << 53); }
};

inline float squaredDistance(const cv::Vec3f &a, const cv::Vec3f &b) {
    const cv::Vec3f d = a - b;
    return d.dot(d);
}

int nearest(const cv::Vec3f &point, const std::vector<cv::Vec3f> &centres) {
    int best = 0;
    float bestDistance = squaredDistance(point, centres[0]);
    for (int c = 1; c < int(centres.size()); ++c) {
        const float distance = squaredDistance(point, centres[c]);
        if (distance < bestDistance) {
            bestDistance = distance;
            best = c;
        }
    }
    return best;
}

// k-means++ start, then Lloyd's iterations on a sample; every pixel is assigned at the end.
std::vector<pv_colour_cluster> cluster(const std::vector<cv::Vec3f> &pixels, int k) {
    const size_t sampleLimit = 20000;
    const size_t stride = std::max<size_t>(1, pixels.size() / sampleLimit);
    std::vector<cv::Vec3f> sample;
    for (size_t i = 0; i < pixels.size(); i += stride) sample.push_back(pixels[i]);

    Generator random{0x9E3779B97F4A7C15ULL};
    std::vector<cv::Vec3f> centres{sample[random.next() % sample.size()]};
    std::vector<float> distances(sample.size());
    while (int(centres.size()) < k) {
        double total = 0;
        for (size_t i = 0; i < sample.size(); ++i) {
            distances[i] = squaredDistance(sample[i], centres[nearest(sample[i], centres)]);
            total += distances[i];
        }
        if (total <= 1e-6) break;  // fewer distinct colours than clusters
        double target = random.uniform() * total;
        size_t chosen = sample.size() - 1;
        for (size_t i = 0; i < sample.size(); ++i) {
            target -= distances[i];
            if (target <= 0) {
                chosen = i;
                break;
            }
        }
        centres.push_back(sample[chosen]);
    }

    std::vector<int> assignment(sample.size(), -1);
    for (int iteration = 0; iteration < 30; ++iteration) {
        bool changed = false;
        std::vector<cv::Vec3d> sums(centres.size(), cv::Vec3d(0, 0, 0));
        std::vector<int64_t> counts(centres.size(), 0);
        for (size_t i = 0; i < sample.size(); ++i) {
            const int c = nearest(sample[i], centres);
            changed |= c != assignment[i];
            assignment[i] = c;
            sums[c] += cv::Vec3d(sample[i]);
            counts[c] += 1;
        }
        for (size_t c = 0; c < centres.size(); ++c) {
            if (counts[c] > 0) centres[c] = cv::Vec3f(sums[c] / double(counts[c]));
        }
        if (!changed) break;
    }

    std::vector<cv::Vec3d> sums(centres.size(), cv::Vec3d(0, 0, 0));
    std::vector<int64_t> counts(centres.size(), 0);
    for (const auto &pixel : pixels) {
        const int c = nearest(pixel, centres);
        sums[c] += cv::Vec3d(pixel);
        counts[c] += 1;
    }
    std::vector<pv_colour_cluster> clusters;
    for (size_t c = 0; c < centres.size(); ++c) {
        if (counts[c] == 0) continue;
        pv_colour_cluster found{};
        for (int i = 0; i < 3; ++i) found.lab[i] = sums[c][i] / double(counts[c]);
        found.share = double(counts[c]) / double(pixels.size());
        clusters.push_back(found);
    }
    std::stable_sort(clusters.begin(), clusters.end(), [](const auto &a, const auto &b) { return a.share > b.share; });
    return clusters;
}

}  // namespace

extern "C" int pv_cv_measure_photo(const uint8_t *pixels, int width, int height, int bands, size_t stride, const uint8_t *mask,
                                   pv_background_measure *background, pv_mask_measure *fit, pv_exposure_measure *exposure) {
    if (!pixels || (bands != 3 && bands != 4) || !mask || !background || !fit || !exposure || width < 8 || height < 8) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image = colourOf(pixels, width, height, bands, stride);
        const cv::Mat product = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(mask)) != 0;
        const cv::Mat lab = toLab(image);
        measureBackground(image, lab, product, *background);
        measureFit(lab, product, *fit);
        measureExposure(image, lab, product, *exposure);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_colour_clusters(const uint8_t *pixels, int width, int height, int bands, size_t stride, const uint8_t *mask,
                                     int k, pv_colour_cluster *clusters, int *count) {
    if (!pixels || (bands != 3 && bands != 4) || !mask || !clusters || !count || width < 1 || height < 1 || k < 1 || k > 16) return PV_CV_INVALID_ARGUMENT;
    *count = 0;
    try {
        const cv::Mat image = colourOf(pixels, width, height, bands, stride);
        const cv::Mat product = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(mask)) != 0;
        // One pixel in from the outline, unless the product is so thin that little would be left.
        cv::Mat core;
        cv::erode(product, core, cv::Mat());
        if (cv::countNonZero(core) < cv::countNonZero(product) / 2) core = product;
        const auto &linear = linearTable();
        std::vector<cv::Vec3f> pixels;
        pixels.reserve(cv::countNonZero(core));
        for (int y = 0; y < height; ++y) {
            const auto *pixel = image.ptr<cv::Vec3b>(y);
            const uchar *inside = core.ptr<uchar>(y);
            for (int x = 0; x < width; ++x) {
                if (inside[x]) pixels.push_back(labOf(pixel[x], linear));
            }
        }
        if (pixels.empty()) return PV_CV_NO_SUBJECT;
        const auto found = cluster(pixels, k);
        for (size_t i = 0; i < found.size(); ++i) clusters[i] = found[i];
        *count = int(found.size());
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_sharpness(const uint8_t *pixels, int width, int height, int bands, size_t stride,
                               const uint8_t *mask, int mask_width, int mask_height, int side,
                               double *laplacian_variance, double *reblurred) {
    if (!pixels || (bands != 3 && bands != 4) || !mask || !laplacian_variance || !reblurred || width < 8 || height < 8 || mask_width < 1 || mask_height < 1 ||
        side < 16)
        return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image = colourOf(pixels, width, height, bands, stride);
        const cv::Mat coarse = cv::Mat(mask_height, mask_width, CV_8U, const_cast<uint8_t *>(mask)) != 0;
        cv::Rect box = cv::boundingRect(coarse);
        if (box.area() == 0) box = cv::Rect(0, 0, mask_width, mask_height);
        // The box, a little grown so the outline's outer rim is in it, in image pixels.
        const double sx = double(width) / mask_width, sy = double(height) / mask_height;
        const double margin = 0.03 * std::max(box.width, box.height) + 1;
        const int left = std::max(0, int(std::floor((box.x - margin) * sx)));
        const int top = std::max(0, int(std::floor((box.y - margin) * sy)));
        const int right = std::min(width, int(std::ceil((box.x + box.width + margin) * sx)));
        const int bottom = std::min(height, int(std::ceil((box.y + box.height + margin) * sy)));
        const cv::Rect crop(left, top, right - left, bottom - top);
        if (crop.width < 4 || crop.height < 4) return PV_CV_INVALID_ARGUMENT;

        cv::Mat grey;
        cv::cvtColor(image(crop), grey, cv::COLOR_RGB2GRAY);
        const double scale = double(side) / std::max(crop.width, crop.height);
        const cv::Size size(std::max(4, int(std::lround(crop.width * scale))), std::max(4, int(std::lround(crop.height * scale))));
        cv::Mat resized, floating;
        cv::resize(grey, resized, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        resized.convertTo(floating, CV_32F);

        // The mask over the same rectangle, at the same size, with a 2-pixel rim.
        cv::Mat full, region;
        cv::resize(coarse, full, image.size(), 0, 0, cv::INTER_LINEAR);
        cv::resize(full(crop), region, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        region = region >= 128;
        cv::dilate(region, region, ellipse(2));
        // The crop's own border is no image content: Laplacian values there are made up.
        cv::Mat inner = cv::Mat::zeros(size, CV_8U);
        inner(cv::Rect(1, 1, size.width - 2, size.height - 2)).setTo(255);
        region &= inner;
        if (cv::countNonZero(region) == 0) region = inner;

        auto variance = [&](const cv::Mat &values) {
            cv::Mat laplacian;
            cv::Laplacian(values, laplacian, CV_32F, 1);
            cv::Scalar mean, deviation;
            cv::meanStdDev(laplacian, mean, deviation, region);
            return deviation[0] * deviation[0];
        };
        *laplacian_variance = variance(floating);
        cv::Mat blurred;
        cv::GaussianBlur(floating, blurred, cv::Size(0, 0), 1.0);
        *reblurred = variance(blurred);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
