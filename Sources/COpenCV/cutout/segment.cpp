// Product segmentation at working resolution: a background model fitted to the border,
// a seed from colour distance and edges, then GrabCut initialised from that seed.
#include "copencv_cutout.h"
#include "cutout/grabcut.hpp"
#include "core/rows.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace {

// Quadratic surface per channel: c0 + c1 x + c2 y + c3 x² + c4 xy + c5 y², x and y in [-1, 1].
constexpr int kTerms = 6;

struct BackgroundModel {
    cv::Mat coefficients;  // kTerms x 3, CV_64F
    double noise = 1.0;    // robust spread of border pixels around the model, in ΔE
    double inlierShare = 1.0;
};

inline void terms(double x, double y, double *row) {
    row[0] = 1;
    row[1] = x;
    row[2] = y;
    row[3] = x * x;
    row[4] = x * y;
    row[5] = y * y;
}

// CIELAB (D65) of 8-bit sRGB, and back from float: OpenCV's own conversion builds lookup tables
// on first use that cost a one-shot process about 90 ms, more than the whole model fit.
const float kWhiteX = 0.950456f, kWhiteZ = 1.088754f;

// sRGB decoding of each 8-bit value.
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
// A smooth function on [0, 1] read from a table, linearly interpolated: the sRGB curve and the
// cube root were most of the colour conversions' cost.
class UnitTable {
public:
    explicit UnitTable(float (*function)(float)) {
        for (int i = 0; i <= kSteps + 1; ++i) values_[i] = function(float(i) / kSteps);
    }

    float operator()(float t) const {
        const float position = std::clamp(t, 0.0f, 1.0f) * kSteps;
        const int index = int(position);
        return values_[index] + (values_[index + 1] - values_[index]) * (position - index);
    }

private:
    static constexpr int kSteps = 4096;
    std::array<float, kSteps + 2> values_;
};

inline float exactGammaEncoded(float c) { return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f; }
// Interpolated above the linear toe, where it is exact (error below 2e-5).
inline float gammaEncoded(float c) {
    static const UnitTable table(exactGammaEncoded);
    c = std::clamp(c, 0.0f, 1.0f);
    return c <= 0.0031308f ? 12.92f * c : table(c);
}
inline float exactLabF(float t) { return t > 0.008856f ? std::cbrt(t) : 7.787f * t + 16.0f / 116.0f; }
// Error below 1e-5; relative luminances of sRGB lie in [0, 1.001].
inline float labF(float t) {
    static const UnitTable table(exactLabF);
    return table(t);
}
inline float labInverse(float f) { return f > 0.206893f ? f * f * f : (f - 16.0f / 116.0f) / 7.787f; }

cv::Mat rgbToLab(const cv::Mat &rgb) {
    const auto &linear = linearTable();
    cv::Mat lab(rgb.size(), CV_32FC3);
    pv::forEachRow(rgb.rows, [&](int y) {
        const auto *in = rgb.ptr<cv::Vec3b>(y);
        auto *out = lab.ptr<cv::Vec3f>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            const float r = linear[in[x][0]], g = linear[in[x][1]], b = linear[in[x][2]];
            const float fx = labF((0.412453f * r + 0.357580f * g + 0.180423f * b) / kWhiteX);
            const float fy = labF(0.212671f * r + 0.715160f * g + 0.072169f * b);
            const float fz = labF((0.019334f * r + 0.119193f * g + 0.950227f * b) / kWhiteZ);
            out[x] = cv::Vec3f(116.0f * fy - 16.0f, 500.0f * (fx - fy), 200.0f * (fy - fz));
        }
    });
    return lab;
}

cv::Mat labToRGB(const cv::Mat &lab) {
    cv::Mat rgb(lab.size(), CV_32FC3);
    pv::forEachRow(lab.rows, [&](int y) {
        const auto *in = lab.ptr<cv::Vec3f>(y);
        auto *out = rgb.ptr<cv::Vec3f>(y);
        for (int x = 0; x < lab.cols; ++x) {
            const float fy = (in[x][0] + 16.0f) / 116.0f;
            const float X = kWhiteX * labInverse(fy + in[x][1] / 500.0f), Y = labInverse(fy), Z = kWhiteZ * labInverse(fy - in[x][2] / 200.0f);
            out[x] = cv::Vec3f(gammaEncoded(3.240479f * X - 1.537150f * Y - 0.498535f * Z),
                               gammaEncoded(-0.969256f * X + 1.875991f * Y + 0.041556f * Z),
                               gammaEncoded(0.055648f * X - 0.204043f * Y + 1.057311f * Z));
        }
    });
    return rgb;
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    auto middle = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), middle, values.end());
    return *middle;
}

// Fits the background to the border band, twice: the second pass ignores border pixels the
// first fit explains badly (a product touching the edge, a stray object).
BackgroundModel fitBackground(const cv::Mat &lab, int band) {
    const int w = lab.cols, h = lab.rows;
    std::vector<cv::Point> points;
    const int step = std::max(1, std::min(w, h) / 160);
    for (int y = 0; y < h; y += step) {
        for (int x = 0; x < w; x += step) {
            if (x < band || y < band || x >= w - band || y >= h - band) points.emplace_back(x, y);
        }
    }
    std::vector<char> inlier(points.size(), 1);
    BackgroundModel model;
    for (int pass = 0; pass < 3; ++pass) {
        int count = 0;
        for (char keep : inlier) count += keep;
        if (count < kTerms * 4) break;
        cv::Mat a(count, kTerms, CV_64F), b(count, 3, CV_64F);
        int row = 0;
        for (size_t i = 0; i < points.size(); ++i) {
            if (!inlier[i]) continue;
            const cv::Point p = points[i];
            terms(2.0 * p.x / (w - 1) - 1, 2.0 * p.y / (h - 1) - 1, a.ptr<double>(row));
            const cv::Vec3f v = lab.at<cv::Vec3f>(p);
            for (int c = 0; c < 3; ++c) b.at<double>(row, c) = v[c];
            ++row;
        }
        cv::solve(a, b, model.coefficients, cv::DECOMP_SVD);
        std::vector<double> residuals(points.size());
        for (size_t i = 0; i < points.size(); ++i) {
            const cv::Point p = points[i];
            double t[kTerms];
            terms(2.0 * p.x / (w - 1) - 1, 2.0 * p.y / (h - 1) - 1, t);
            const cv::Vec3f v = lab.at<cv::Vec3f>(p);
            double squared = 0;
            for (int c = 0; c < 3; ++c) {
                double predicted = 0;
                for (int k = 0; k < kTerms; ++k) predicted += t[k] * model.coefficients.at<double>(k, c);
                squared += (v[c] - predicted) * (v[c] - predicted);
            }
            residuals[i] = std::sqrt(squared);
        }
        std::vector<double> kept;
        for (size_t i = 0; i < points.size(); ++i) {
            if (inlier[i]) kept.push_back(residuals[i]);
        }
        model.noise = std::max(0.8, 1.4826 * median(kept));
        const double limit = std::max(4.0, 3.0 * model.noise);
        int inliers = 0;
        for (size_t i = 0; i < points.size(); ++i) {
            inlier[i] = residuals[i] < limit;
            inliers += inlier[i];
        }
        model.inlierShare = double(inliers) / std::max<size_t>(1, points.size());
    }
    return model;
}

cv::Mat evaluate(const BackgroundModel &model, int w, int h) {
    cv::Mat out(h, w, CV_32FC3);
    pv::forEachRow(h, [&](int y) {
        auto *row = out.ptr<cv::Vec3f>(y);
        const double ny = 2.0 * y / std::max(1, h - 1) - 1;
        for (int x = 0; x < w; ++x) {
            double t[kTerms];
            terms(2.0 * x / std::max(1, w - 1) - 1, ny, t);
            for (int c = 0; c < 3; ++c) {
                double value = 0;
                for (int k = 0; k < kTerms; ++k) value += t[k] * model.coefficients.at<double>(k, c);
                row[x][c] = float(value);
            }
        }
    });
    return out;
}

// Background predicted by interpolating between opposite borders: row-wise (left to right) it
// follows horizontal structure such as a wall above a table; column-wise, vertical structure.
// Border colours are median-smoothed along the edge, so a product touching it is ignored.
struct BorderInterpolation {
    cv::Mat rows;     // CV_32FC3, left-to-right interpolation
    cv::Mat columns;  // CV_32FC3, top-to-bottom interpolation
    double noise;     // robust spread of border pixels around their smoothed border colour
};

cv::Mat smoothedEdge(const cv::Mat &lab, bool vertical, bool far, int band) {
    const int length = vertical ? lab.rows : lab.cols;
    cv::Mat edge(length, 1, CV_32FC3);
    for (int i = 0; i < length; ++i) {
        cv::Vec3f sum(0, 0, 0);
        for (int k = 0; k < band; ++k) {
            const int across = far ? (vertical ? lab.cols : lab.rows) - 1 - k : k;
            sum += vertical ? lab.at<cv::Vec3f>(i, across) : lab.at<cv::Vec3f>(across, i);
        }
        edge.at<cv::Vec3f>(i) = sum / float(band);
    }
    // Median along the edge, per channel, over about 6% of its length.
    int window = std::max(3, int(0.06 * length)) | 1;
    std::vector<cv::Mat> channels;
    cv::split(edge, channels);
    for (auto &channel : channels) {
        cv::Mat smoothed = channel.clone();
        std::vector<float> values;
        for (int i = 0; i < length; ++i) {
            values.clear();
            for (int j = std::max(0, i - window / 2); j <= std::min(length - 1, i + window / 2); ++j) values.push_back(channel.at<float>(j));
            std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
            smoothed.at<float>(i) = values[values.size() / 2];
        }
        channel = smoothed;
    }
    cv::merge(channels, edge);
    return edge;
}

BorderInterpolation interpolateBorders(const cv::Mat &lab, int band) {
    const int w = lab.cols, h = lab.rows;
    const cv::Mat left = smoothedEdge(lab, true, false, band), right = smoothedEdge(lab, true, true, band);
    const cv::Mat top = smoothedEdge(lab, false, false, band), bottom = smoothedEdge(lab, false, true, band);
    BorderInterpolation result{cv::Mat(h, w, CV_32FC3), cv::Mat(h, w, CV_32FC3), 1.0};
    pv::forEachRow(h, [&](int y) {
        const float v = float(y) / std::max(1, h - 1);
        auto *rows = result.rows.ptr<cv::Vec3f>(y);
        auto *columns = result.columns.ptr<cv::Vec3f>(y);
        for (int x = 0; x < w; ++x) {
            const float u = float(x) / std::max(1, w - 1);
            rows[x] = left.at<cv::Vec3f>(y) * (1 - u) + right.at<cv::Vec3f>(y) * u;
            columns[x] = top.at<cv::Vec3f>(x) * (1 - v) + bottom.at<cv::Vec3f>(x) * v;
        }
    });
    std::vector<double> residuals;
    for (int y = 0; y < h; y += 2) {
        for (int k = 0; k < band; ++k) {
            residuals.push_back(cv::norm(lab.at<cv::Vec3f>(y, k) - left.at<cv::Vec3f>(y)));
            residuals.push_back(cv::norm(lab.at<cv::Vec3f>(y, w - 1 - k) - right.at<cv::Vec3f>(y)));
        }
    }
    for (int x = 0; x < w; x += 2) {
        for (int k = 0; k < band; ++k) {
            residuals.push_back(cv::norm(lab.at<cv::Vec3f>(k, x) - top.at<cv::Vec3f>(x)));
            residuals.push_back(cv::norm(lab.at<cv::Vec3f>(h - 1 - k, x) - bottom.at<cv::Vec3f>(x)));
        }
    }
    result.noise = std::max(0.8, 1.4826 * median(residuals));
    return result;
}

// Pixels not reachable from the border through `open` (non-zero) pixels.
cv::Mat enclosed(const cv::Mat &open) {
    cv::Mat padded;
    cv::copyMakeBorder(open, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(255));
    cv::Mat flood = padded.clone();
    cv::floodFill(flood, cv::Point(0, 0), cv::Scalar(0));
    return flood(cv::Rect(1, 1, open.cols, open.rows)) > 0;
}

// Keeps components at least `share` of the largest one's area.
cv::Mat keepMajorComponents(const cv::Mat &binary, double share) {
    cv::Mat labels, stats, centroids;
    const int count = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8, CV_32S);
    int largest = 0;
    for (int i = 1; i < count; ++i) largest = std::max(largest, stats.at<int>(i, cv::CC_STAT_AREA));
    cv::Mat out = cv::Mat::zeros(binary.size(), CV_8U);
    for (int i = 1; i < count; ++i) {
        if (stats.at<int>(i, cv::CC_STAT_AREA) >= share * largest) out.setTo(255, labels == i);
    }
    return out;
}

// Fills background islands smaller than `maxArea` inside the product (pinholes, specular spots).
cv::Mat fillSmallHoles(const cv::Mat &binary, int maxArea) {
    cv::Mat holes = enclosed(255 - binary);
    cv::Mat labels, stats, centroids;
    const int count = cv::connectedComponentsWithStats(holes, labels, stats, centroids, 8, CV_32S);
    cv::Mat out = binary.clone();
    for (int i = 1; i < count; ++i) {
        if (stats.at<int>(i, cv::CC_STAT_AREA) <= maxArea) out.setTo(255, labels == i);
    }
    return out;
}

// Opening, the major components and filled pinholes: the same finish for every seed.
cv::Mat cleanUp(const cv::Mat &product, double componentShare, double holeShare) {
    cv::Mat out;
    cv::morphologyEx(product, out, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
    out = keepMajorComponents(out, componentShare);
    return fillSmallHoles(out, std::max(4, int(holeShare * out.cols * out.rows)));
}

void describeBox(const cv::Mat &product, pv_cutout_report &report) {
    const cv::Rect found = cv::boundingRect(product);
    report.box_x = found.x;
    report.box_y = found.y;
    report.box_width = found.width;
    report.box_height = found.height;
}

// Seeded k-means inside GrabCut: the same photo cuts out the same way every time.

// What seeding learned: GrabCut's labels, the region it runs in, and what the confidence needs.
struct Seeding {
    cv::Mat labels;      // GrabCut labels over the whole image
    cv::Rect region;     // where GrabCut runs; everything outside is background
    cv::Rect estimate;   // the seed's bounding box: where the product is expected
    cv::Mat distance;    // colour distance from the backdrop model, CV_32F
    BackgroundModel model;
    double surfaceNoise = 0;
    double darkestShadow = 0;
};

// Phase one: the backdrop model and the seed it gives. Cheap next to GrabCut, and the seed's
// region already says where the product is, so callers can start decoding it.
int seedFromBackdrop(const cv::Mat &rgb, Seeding &seeding) {
    const int w = rgb.cols, h = rgb.rows;
    cv::Mat smooth, floating;
    cv::GaussianBlur(rgb, smooth, cv::Size(3, 3), 0);
    smooth.convertTo(floating, CV_32F, 1.0 / 255);
    const cv::Mat lab = rgbToLab(smooth);

    const int band = std::max(2, int(std::round(0.025 * std::min(w, h))));
    BackgroundModel model = fitBackground(lab, band);
    const cv::Mat surface = evaluate(model, w, h);
    const BorderInterpolation borders = interpolateBorders(lab, band);
    // A two-part backdrop (wall and table) leaves the smooth surface a poor fit; the border
    // interpolation then describes the backdrop's own spread better.
    const double surfaceNoise = model.noise;
    model.noise = std::min(model.noise, borders.noise);

    // Per pixel, the background model that explains it best.
    cv::Mat background(h, w, CV_32FC3);
    pv::forEachRow(h, [&](int y) {
        const auto *pixel = lab.ptr<cv::Vec3f>(y);
        const cv::Vec3f *candidates[] = {surface.ptr<cv::Vec3f>(y), borders.rows.ptr<cv::Vec3f>(y), borders.columns.ptr<cv::Vec3f>(y)};
        auto *out = background.ptr<cv::Vec3f>(y);
        for (int x = 0; x < w; ++x) {
            float best = 1e9f;
            for (const auto *candidate : candidates) {
                const cv::Vec3f d = pixel[x] - candidate[x];
                const float squared = d.dot(d);
                if (squared < best) {
                    best = squared;
                    out[x] = candidate[x];
                }
            }
        }
    });

    // Colour distance from the model. A shadow darkens the background without changing its
    // hue, so lightness lost at unchanged chroma counts for little.
    // Shadows scale all three channels alike, so they keep r/(r+g+b) and g/(r+g+b), even where
    // they shrink CIELAB chroma (a shadow on orange wood).
    const cv::Mat backgroundRGB = labToRGB(background);
    cv::Mat distance(h, w, CV_32F), shadowLike(h, w, CV_8U);
    cv::Mat lightness;
    cv::extractChannel(lab, lightness, 0);
    cv::Mat localMean, localSquare, deviation, curvature, texture;
    cv::blur(lightness, localMean, cv::Size(7, 7));
    cv::blur(lightness.mul(lightness), localSquare, cv::Size(7, 7));
    cv::sqrt(cv::max(localSquare - localMean.mul(localMean), 0), deviation);
    cv::Laplacian(lightness, curvature, CV_32F);
    cv::blur(cv::abs(curvature), curvature, cv::Size(5, 5));
    texture = cv::min(deviation, 1.5 * curvature);
    // A shadow on wood or fabric carries the backdrop's grain: smooth means no rougher than
    // the backdrop itself, as measured on the border.
    std::vector<double> borderRoughness;
    for (int y = 0; y < h; y += 2) {
        for (int x = 0; x < w; x += 2) {
            if (x < band || y < band || x >= w - band || y >= h - band) borderRoughness.push_back(texture.at<float>(y, x));
        }
    }
    const float textureLimit = float(std::max({1.5, 2.5 * model.noise, 1.5 * median(borderRoughness)}));
    std::vector<double> darkestInRow(h, 0.0);
    pv::forEachRow(h, [&](int y) {
        const auto *pixel = lab.ptr<cv::Vec3f>(y);
        const auto *expected = background.ptr<cv::Vec3f>(y);
        const auto *colour = floating.ptr<cv::Vec3f>(y);
        const auto *expectedColour = backgroundRGB.ptr<cv::Vec3f>(y);
        const float *tex = texture.ptr<float>(y);
        float *out = distance.ptr<float>(y);
        uchar *shadow = shadowLike.ptr<uchar>(y);
        for (int x = 0; x < w; ++x) {
            const float dl = pixel[x][0] - expected[x][0];
            const float da = pixel[x][1] - expected[x][1], db = pixel[x][2] - expected[x][2];
            const float chroma = std::sqrt(da * da + db * db);
            const float ratio = pixel[x][0] / std::max(1.0f, expected[x][0]);
            // Light changes lightness, not hue: a shadow darkens the backdrop, a spotlight pool
            // on a mid or dark backdrop brightens it; both are smooth.
            const bool darker = dl < 0 && ratio > 0.45f;
            const bool lightPool = dl > 0 && ratio < 2.2f && expected[x][0] < 60;
            const float sum = colour[x][0] + colour[x][1] + colour[x][2] + 1e-3f;
            const float expectedSum = expectedColour[x][0] + expectedColour[x][1] + expectedColour[x][2] + 1e-3f;
            const float hueShift = std::abs(colour[x][0] / sum - expectedColour[x][0] / expectedSum)
                + std::abs(colour[x][1] / sum - expectedColour[x][1] / expectedSum);
            const bool sameHue = chroma < std::max(5.0f, 0.25f * std::abs(dl) + 3.0f) || hueShift < 0.025f;
            const bool shadow_ = (darker || lightPool) && sameHue && tex[x] < textureLimit;
            shadow[x] = shadow_ ? 255 : 0;
            if (shadow_ && darker) darkestInRow[y] = std::max(darkestInRow[y], double(1 - ratio));
            const float lightnessWeight = shadow_ ? 0.15f : 1.0f;
            out[x] = std::sqrt(lightnessWeight * dl * dl + chroma * chroma);
        }
    });
    const double darkestShadow = *std::max_element(darkestInRow.begin(), darkestInRow.end());

    // Edges the background itself does not have: they outline white-on-white products.
    cv::Mat gx, gy, gradient;
    cv::Scharr(lightness, gx, CV_32F, 1, 0);
    cv::Scharr(lightness, gy, CV_32F, 0, 1);
    cv::magnitude(gx, gy, gradient);
    gradient /= 16.0f;  // Scharr's kernel weight: per-pixel lightness steps
    std::vector<double> borderGradient;
    for (int y = 0; y < h; y += 2) {
        for (int x = 0; x < w; x += 2) {
            if (x < band || y < band || x >= w - band || y >= h - band) borderGradient.push_back(gradient.at<float>(y, x));
        }
    }
    const double borderTexture = median(borderGradient);
    const double edgeLimit = std::max(2.5, 4.0 * borderTexture + 1.5 * model.noise);

    const double strong = std::max(14.0, 6.0 * model.noise);
    const double probable = std::max(7.0, 3.5 * model.noise);
    cv::Mat candidate = (distance > probable) & (shadowLike == 0);
    // Edges in shadow-like areas count only when crisp: a cast shadow fades out softly, while
    // a light product on a light backdrop (a white bulb on white) shows a crisp outline.
    cv::Mat crispInShadow = gradient > std::max(6.0, 2.5 * edgeLimit);
    cv::Mat edges = (gradient > edgeLimit) & ((shadowLike == 0) | crispInShadow);
    // On a smooth backdrop, hysteresis closes faint stretches of an outline that strong
    // stretches lead into (on wood grain or fabric it would trace the texture instead).
    // Canny's Sobel magnitude is about 4x the per-pixel step, on lightness scaled to 0..255.
    if (borderTexture < 0.2) {
        cv::Mat lightness8, outline;
        lightness.convertTo(lightness8, CV_8U, 2.55);
        const double high = 4 * 2.55 * edgeLimit;
        cv::Canny(lightness8, outline, 0.35 * high, high, 3, true);
        // In shadow-like areas only where the step is crisp: a soft shadow's ramp is as steep
        // at a coarser scale as at the finest, a product's edge is not.
        cv::Mat coarse, cx, cy, coarseGradient;
        cv::GaussianBlur(lightness, coarse, cv::Size(), 2.5);
        cv::Scharr(coarse, cx, CV_32F, 1, 0);
        cv::Scharr(coarse, cy, CV_32F, 0, 1);
        cv::magnitude(cx, cy, coarseGradient);
        edges |= outline & ((shadowLike == 0) | (gradient > 1.6f / 16.0f * coarseGradient));
    }
    cv::Mat seed = candidate | edges;
    cv::morphologyEx(seed, seed, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
    seed = keepMajorComponents(seed, 0.02);
    if (cv::countNonZero(seed) < 0.002 * w * h) return PV_CV_NO_SUBJECT;

    // Inside a closed outline: product, unless it looks exactly like the background model and
    // is small beside the whole (a gap through a handle shows the backdrop; the body of a white
    // product is large).
    cv::Mat inside = enclosed(255 - seed) & (seed == 0);
    const double objectArea = cv::countNonZero(seed | inside);
    cv::Mat gapLike = inside & (distance < std::max(4.0, 2.0 * model.noise));
    cv::Mat gapLabels, gapStats, gapCentroids;
    const int gapCount = cv::connectedComponentsWithStats(gapLike, gapLabels, gapStats, gapCentroids, 8, CV_32S);
    // A see-through gap is a blob; white print on the product (letters, a logo) is made of thin
    // strokes, so a gap must hold a disc whose radius grows with the object's size.
    const double gapRadius = std::max(4.0, 0.025 * std::sqrt(objectArea));
    cv::Mat thickness;
    cv::distanceTransform(gapLike, thickness, cv::DIST_L2, 3);
    cv::Mat gaps = cv::Mat::zeros(h, w, CV_8U);
    for (int i = 1; i < gapCount; ++i) {
        if (gapStats.at<int>(i, cv::CC_STAT_AREA) >= 0.3 * objectArea) continue;
        const cv::Mat component = gapLabels == i;
        double thickest = 0;
        cv::minMaxLoc(thickness, nullptr, &thickest, nullptr, nullptr, component);
        if (thickest >= gapRadius) gaps.setTo(255, component);
    }
    cv::Mat interior = inside & (gaps == 0);

    cv::Mat labels(h, w, CV_8U, cv::Scalar(cv::GC_PR_BGD));
    labels.setTo(cv::GC_PR_FGD, seed | interior);
    // Sure product: far from the backdrop's colour, or well inside a closed outline; GrabCut's
    // colour models cannot tell white from white, the outline can.
    cv::Mat sure;
    // Small islands inside clearly distinct product (a white logo on a dark patch) are print.
    const cv::Mat distinct = fillSmallHoles((distance > strong) & seed, int(0.003 * w * h));
    cv::erode(distinct | interior, sure, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
    labels.setTo(cv::GC_FGD, sure);
    cv::Mat borderBand = cv::Mat::zeros(h, w, CV_8U);
    borderBand.setTo(255);
    borderBand(cv::Rect(band, band, w - 2 * band, h - 2 * band)).setTo(0);
    labels.setTo(cv::GC_BGD, borderBand & (distance < probable));

    // GrabCut only near the seed: everything farther out is background already.
    const cv::Rect seedBox = cv::boundingRect(seed);
    seeding.estimate = seedBox;
    const int margin = std::max(8, int(0.08 * std::max(seedBox.width, seedBox.height)));
    cv::Mat toSeed;
    cv::distanceTransform(~(seed | interior), toSeed, cv::DIST_L2, 3);
    labels.setTo(cv::GC_BGD, toSeed > margin);
    const cv::Rect box = cv::boundingRect(labels != cv::GC_BGD);
    seeding.labels = labels;
    seeding.region = box;
    seeding.distance = distance;
    seeding.model = model;
    seeding.surfaceNoise = surfaceNoise;
    seeding.darkestShadow = darkestShadow;
    return PV_CV_OK;
}

// Phase two: GrabCut from the seed, clean-up, and how far to trust the result.
int cutFromSeed(const cv::Mat &rgb, Seeding &seeding, cv::Mat &mask, pv_cutout_report &report) {
    const int w = rgb.cols, h = rgb.rows;
    const cv::Rect box = seeding.region;
    const BackgroundModel &model = seeding.model;
    const cv::Mat &distance = seeding.distance;
    cv::Mat roiLabels = seeding.labels(box).clone();
    const int definiteForeground = cv::countNonZero(roiLabels == cv::GC_FGD) + cv::countNonZero(roiLabels == cv::GC_PR_FGD);
    const int definiteBackground = cv::countNonZero(roiLabels == cv::GC_BGD) + cv::countNonZero(roiLabels == cv::GC_PR_BGD);
    if (definiteForeground > 64 && definiteBackground > 64) {
        // The seed decides most pixels: two rounds settle the rest (on the studio bench a third
        // and fourth changed mean IoU by 0.001 and cost twice the time).
        pv::grabCut(rgb(box), roiLabels, 2);
    }
    cv::Mat product = cv::Mat::zeros(h, w, CV_8U);
    product(box).setTo(255, (roiLabels == cv::GC_FGD) | (roiLabels == cv::GC_PR_FGD));

    product = cleanUp(product, 0.05, 0.0008);
    if (cv::countNonZero(product) < 0.002 * w * h) return PV_CV_NO_SUBJECT;
    mask = product;
    describeBox(product, report);
    report.background_noise = model.noise;
    report.uniform_background = model.noise < 4.0 && model.inlierShare > 0.9;
    report.shadow_strength = std::min(1.0, seeding.darkestShadow);
    // White print paper on white, a white product on a white sweep: its outline is a guess.
    report.backdrop_coloured = cv::countNonZero(product & (distance < std::max(4.0, 2.0 * model.noise))) / double(cv::countNonZero(product));

    // Confidence: a clean border that the model explains, a product that stands apart from
    // it, and a product that does not run off the frame.
    const double separation = cv::mean(distance, product)[0] / std::max(1.0, model.noise);
    int touching = 0;
    for (int x = 0; x < w; ++x) touching += (product.at<uchar>(0, x) > 0) + (product.at<uchar>(h - 1, x) > 0);
    for (int y = 0; y < h; ++y) touching += (product.at<uchar>(y, 0) > 0) + (product.at<uchar>(y, w - 1) > 0);
    const double edgeShare = double(touching) / (2.0 * (w + h));
    const double cleanBorder = std::clamp((model.inlierShare - 0.6) / 0.35, 0.0, 1.0) * std::clamp(1.5 - model.noise / 8.0, 0.0, 1.0);
    const double standsApart = std::clamp(separation / 6.0, 0.0, 1.0);
    report.confidence = std::clamp(cleanBorder * (0.4 + 0.6 * standsApart) * (1.0 - std::min(1.0, 3.0 * edgeShare)), 0.0, 1.0);
    // A cluttered scene: a border no smooth surface explains, and a "product" that covers much
    // of the frame or runs off it. Studio shots on two-tone sets (wall and table) stay clear of both.
    const double fill = double(cv::countNonZero(product)) / double(w * h);
    if (seeding.surfaceNoise > 2.5 && (fill > 0.3 || edgeShare > 0.01)) report.confidence = std::min(report.confidence, 0.25);
    return PV_CV_OK;
}

// For cluttered scenes, where the border is no backdrop: GrabCut from a centred rectangle,
// the photographer's framing being the only prior left.
int segmentByFraming(const cv::Mat &rgb, cv::Mat &mask, pv_cutout_report &report) {
    const int w = rgb.cols, h = rgb.rows;
    const cv::Rect framing(int(0.06 * w), int(0.06 * h), int(0.88 * w), int(0.88 * h));
    cv::Mat labels(h, w, CV_8U, cv::Scalar(cv::GC_BGD));
    labels(framing).setTo(cv::GC_PR_FGD);
    pv::grabCut(rgb, labels, 5);
    cv::Mat product = cleanUp((labels == cv::GC_FGD) | (labels == cv::GC_PR_FGD), 0.2, 0.002);
    if (cv::countNonZero(product) < 0.002 * w * h) return PV_CV_NO_SUBJECT;
    mask = product;
    describeBox(product, report);
    return PV_CV_OK;
}

// Fragments are no product: pieces scattered over a box they fill a small share of (a white
// product lost against a light backdrop, print on a label). The engine then keeps the whole
// photo rather than handing out the pieces.
bool fragmented(const cv::Mat &mask) {
    std::vector<cv::Point> points;
    cv::findNonZero(mask, points);
    if (points.size() <= 3) return false;
    std::vector<cv::Point> hull;
    cv::convexHull(points, hull);
    return double(points.size()) / std::max(1.0, cv::contourArea(hull)) < 0.3;
}

// Skin, as a hand or arm holding the product shows it: YCrCb's usual skin cluster, not too dark.
cv::Mat skinLike(const cv::Mat &rgb) {
    cv::Mat ycrcb;
    cv::cvtColor(rgb, ycrcb, cv::COLOR_RGB2YCrCb);
    cv::Mat skin;
    cv::inRange(ycrcb, cv::Scalar(50, 135, 85), cv::Scalar(255, 175, 130), skin);
    cv::morphologyEx(skin, skin, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
    return skin;
}

// A hand or arm holding the product: skin inside the salient region that reaches the frame's
// edge (the arm comes from outside the photo). Left alone when it is most of the region: then
// the skin-coloured thing is the product itself.
cv::Mat holdingHand(const cv::Mat &rgb, const cv::Mat &salient) {
    const int w = rgb.cols, h = rgb.rows;
    const cv::Mat skin = skinLike(rgb) & salient;
    cv::Mat labels, stats, centroids;
    const int count = cv::connectedComponentsWithStats(skin, labels, stats, centroids, 8, CV_32S);
    const int band = std::max(2, int(0.02 * std::min(w, h)));
    cv::Mat hand = cv::Mat::zeros(h, w, CV_8U);
    for (int i = 1; i < count; ++i) {
        const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
        const int right = x + stats.at<int>(i, cv::CC_STAT_WIDTH), bottom = y + stats.at<int>(i, cv::CC_STAT_HEIGHT);
        const bool reachesEdge = x < band || y < band || right > w - band || bottom > h - band;
        if (!reachesEdge || stats.at<int>(i, cv::CC_STAT_AREA) < 0.003 * w * h) continue;
        // An arm enters the frame across a small part of its edge; a wooden table or a beige
        // wall that the map half-includes runs along it.
        const cv::Mat component = labels == i;
        const double contact = std::max(
            {cv::countNonZero(component.colRange(0, band)) / double(band * h), cv::countNonZero(component.colRange(w - band, w)) / double(band * h),
             cv::countNonZero(component.rowRange(0, band)) / double(band * w), cv::countNonZero(component.rowRange(h - band, h)) / double(band * w)});
        if (contact <= 0.35) hand.setTo(255, component);
    }
    const double salientArea = cv::countNonZero(salient);
    if (salientArea <= 0 || cv::countNonZero(hand) > 0.6 * salientArea) return cv::Mat::zeros(h, w, CV_8U);
    // The skin rule misses the shaded edge of a finger: take a little around it too.
    cv::dilate(hand, hand, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
    return hand;
}

// Share of the frame's border, per side, that the mask covers: left, top, right, bottom.
std::array<double, 4> edgeCoverage(const cv::Mat &mask) {
    const int w = mask.cols, h = mask.rows;
    return {cv::countNonZero(mask.col(0)) / double(h), cv::countNonZero(mask.row(0)) / double(w),
            cv::countNonZero(mask.col(w - 1)) / double(h), cv::countNonZero(mask.row(h - 1)) / double(w)};
}

// The classical cut and the learned saliency map, fused: the map leads where the backdrop
// model was unsure (rooms, hands, glass), the classical mask keeps its say in proportion to its
// confidence (white on white, coloured seamless paper), and GrabCut settles the edge between.
int cutFused(const cv::Mat &rgb, const cv::Mat &classical, double classicalConfidence, double backdropFit, bool dropHands, const cv::Mat &saliency,
             const std::vector<cv::Rect> &text, cv::Mat &mask, pv_cutout_report &report) {
    const int w = rgb.cols, h = rgb.rows;
    if (cv::countNonZero(saliency >= 128) < 0.002 * w * h) return PV_CV_NO_SUBJECT;
    cv::Mat learned, evidence;
    saliency.convertTo(learned, CV_32F, 1.0 / 255);
    if (classical.empty()) {
        evidence = cv::Mat::zeros(h, w, CV_32F);
    } else {
        classical.convertTo(evidence, CV_32F, 1.0 / 255);
        cv::GaussianBlur(evidence, evidence, cv::Size(5, 5), 0);
    }
    // The classical mask counts as far as its backdrop model explains the border: on a clean
    // backdrop it keeps thin parts the map misses, in a room it has no say.
    const float weight = float(0.35 * backdropFit * std::clamp(classicalConfidence / 0.75, 0.0, 1.0));
    cv::Mat prior = (1 - weight) * learned + weight * evidence;

    const cv::Mat hand = dropHands ? holdingHand(rgb, prior >= 0.5f) : cv::Mat::zeros(h, w, CV_8U);
    prior.setTo(0, hand);

    // GrabCut settles a band around the prior's edge: a map this decisive is right away from
    // its edges, and the cut's cost grows with the pixels it must decide.
    const cv::Mat inside = prior >= 0.5f;
    cv::Mat edge, band;
    cv::morphologyEx(inside, edge, cv::MORPH_GRADIENT, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
    const int reach = std::max(4, int(std::lround(0.02 * std::max(w, h))));
    cv::dilate(edge, band, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * reach + 1, 2 * reach + 1)));
    // Where the map hesitates (neither near 0 nor near 1), GrabCut decides too.
    band |= (prior > 0.15f) & (prior < 0.85f);
    // A map that hesitates over much of the frame does not know where the product is (a page of
    // text, a pattern): it has nothing to add to the classical cut.
    if (cv::countNonZero(band) > 0.3 * w * h) return PV_CV_NO_SUBJECT;
    cv::Mat labels(h, w, CV_8U, cv::Scalar(cv::GC_BGD));
    labels.setTo(cv::GC_FGD, inside);
    labels.setTo(cv::GC_PR_BGD, band & ~inside);
    labels.setTo(cv::GC_PR_FGD, band & inside);
    // Printed text inside the product is product: thin letters on a label must stay opaque.
    cv::Mat letters = cv::Mat::zeros(h, w, CV_8U);
    for (const cv::Rect &box : text) letters(box & cv::Rect(0, 0, w, h)).setTo(255);
    labels.setTo(cv::GC_FGD, letters & (prior >= 0.5f));
    labels.setTo(cv::GC_BGD, hand);
    // GrabCut only around what the prior holds possible.
    cv::Rect region = cv::boundingRect(labels != cv::GC_BGD);
    const int margin = std::max(8, int(0.05 * std::max(region.width, region.height)));
    region = cv::Rect(region.x - margin, region.y - margin, region.width + 2 * margin, region.height + 2 * margin) & cv::Rect(0, 0, w, h);
    cv::Mat roi = labels(region).clone();
    const int undecided = cv::countNonZero((roi == cv::GC_PR_FGD) | (roi == cv::GC_PR_BGD));
    if (undecided > 64) pv::grabCut(rgb(region), roi, 3);
    cv::Mat product = cv::Mat::zeros(h, w, CV_8U);
    product(region).setTo(255, (roi == cv::GC_FGD) | (roi == cv::GC_PR_FGD));
    product = cleanUp(product & ~hand, 0.05, 0.0008);
    if (cv::countNonZero(product) < 0.002 * w * h) return PV_CV_NO_SUBJECT;
    mask = product;
    describeBox(product, report);
    report.uniform_background = 0;

    // A decisive map (mostly near 0 or 1) is one the model is sure of.
    const double decisive = double(cv::countNonZero((saliency < 25) | (saliency > 230))) / double(w * h);
    double confidence = std::max(classicalConfidence, decisive * 0.9);
    // A product running off two opposite edges is no product on a backdrop but a close-up or a
    // crop of one: the whole frame is the honest answer there.
    const auto edges = edgeCoverage(product);
    const bool runsOff = (edges[0] > 0.03 && edges[2] > 0.03) || (edges[1] > 0.03 && edges[3] > 0.03);
    if (runsOff || fragmented(product)) confidence = std::min(confidence, 0.05);
    report.confidence = confidence;
    return PV_CV_OK;
}

// The backdrop's cut, second-guessed: a border that is no clean backdrop hands over to the
// framing prior (when `framing`), and scattered fragments are flagged as no product.
int cutWithFallbacks(const cv::Mat &image, Seeding &seeding, bool framing, bool dropHands, cv::Mat &result, pv_cutout_report &report) {
    int status = cutFromSeed(image, seeding, result, report);
    // Below this the border was no clean backdrop; the framing prior does better there.
    constexpr double clutteredBelow = 0.4;
    // The engine keeps the whole photo below 0.1 whatever the framing finds: skip that GrabCut.
    if (framing && (status == PV_CV_NO_SUBJECT || report.confidence < clutteredBelow) && report.confidence >= 0.1) {
        pv_cutout_report framed = report;
        cv::Mat framedMask;
        if (segmentByFraming(image, framedMask, framed) == PV_CV_OK) {
            // Still a guess: say so, so that callers can decide what to trust.
            framed.confidence = std::min(report.confidence, 0.3);
            framed.uniform_background = 0;
            report = framed;
            result = framedMask;
            status = PV_CV_OK;
        }
    }
    if (status != PV_CV_OK) return status;
    // A hand holding the product in front of a plain wall stands out of the backdrop as well as
    // the product does.
    const cv::Mat hand = dropHands ? holdingHand(image, result) : cv::Mat();
    if (!hand.empty() && cv::countNonZero(hand) > 0) {
        result = cleanUp(result & ~hand, 0.05, 0.0008);
        if (cv::countNonZero(result) < 0.002 * image.cols * image.rows) return PV_CV_NO_SUBJECT;
        describeBox(result, report);
    }
    if (fragmented(result)) report.confidence = std::min(report.confidence, 0.05);
    return PV_CV_OK;
}

// The (x, y, width, height) quadruples the C interface passes text boxes as.
std::vector<cv::Rect> textBoxes(const int *boxes, int count) {
    std::vector<cv::Rect> text;
    for (int i = 0; i < count; ++i) text.emplace_back(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
    return text;
}

}  // namespace

struct pv_segmenter {
    cv::Mat image;
    Seeding seeding;
    bool seedEmpty = false;
    bool dropHands = true;
    // The classical cut, kept for the fusion.
    cv::Mat classical;
    double classicalConfidence = 0;
};

extern "C" int pv_cv_segmenter_create(const uint8_t *rgb, int width, int height, size_t stride, int drop_hands, pv_segmenter **out) {
    if (!rgb || !out || width < 8 || height < 8) return PV_CV_INVALID_ARGUMENT;
    *out = nullptr;
    try {
        auto segmenter = std::make_unique<pv_segmenter>();
        segmenter->image = cv::Mat(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride).clone();
        segmenter->dropHands = drop_hands != 0;
        const int status = seedFromBackdrop(segmenter->image, segmenter->seeding);
        if (status == PV_CV_NO_SUBJECT) {
            segmenter->seedEmpty = true;
            segmenter->seeding.estimate = cv::Rect(0, 0, width, height);
        } else if (status != PV_CV_OK) {
            return status;
        }
        *out = segmenter.release();
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" double pv_cv_segmenter_backdrop_fit(const pv_segmenter *segmenter) {
    if (segmenter->seedEmpty) return 0;
    const BackgroundModel &model = segmenter->seeding.model;
    return std::clamp((model.inlierShare - 0.6) / 0.35, 0.0, 1.0) * std::clamp(1.5 - model.noise / 8.0, 0.0, 1.0);
}

extern "C" void pv_cv_segmenter_estimate(const pv_segmenter *segmenter, int *x, int *y, int *width, int *height) {
    const cv::Rect region = segmenter->seeding.estimate;
    *x = region.x;
    *y = region.y;
    *width = region.width;
    *height = region.height;
}

extern "C" int pv_cv_segmenter_finish(pv_segmenter *segmenter, int framing_fallback, uint8_t *mask, pv_cutout_report *report) {
    if (!segmenter || !mask || !report) return PV_CV_INVALID_ARGUMENT;
    try {
        *report = pv_cutout_report{};
        if (segmenter->seedEmpty) return PV_CV_NO_SUBJECT;
        cv::Mat result;
        const int status = cutWithFallbacks(segmenter->image, segmenter->seeding, framing_fallback != 0, segmenter->dropHands, result, *report);
        if (status != PV_CV_OK) return status;
        segmenter->classical = result;
        segmenter->classicalConfidence = report->confidence;
        cv::Mat out(segmenter->image.rows, segmenter->image.cols, CV_8U, mask);
        result.copyTo(out);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_segmenter_fuse(pv_segmenter *segmenter, const uint8_t *saliency, const int *text_boxes, int text_count,
                                    uint8_t *mask, pv_cutout_report *report) {
    if (!segmenter || !saliency || !mask || !report || text_count < 0 || (text_count > 0 && !text_boxes)) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat &image = segmenter->image;
        const std::vector<cv::Rect> text = textBoxes(text_boxes, text_count);
        pv_cutout_report fused = *report;
        cv::Mat result;
        const cv::Mat map(image.rows, image.cols, CV_8U, const_cast<uint8_t *>(saliency));
        const int status = cutFused(image, segmenter->classical, segmenter->classicalConfidence,
                                   pv_cv_segmenter_backdrop_fit(segmenter), segmenter->dropHands, map, text, result, fused);
        if (status != PV_CV_OK) return status;
        if (!segmenter->seedEmpty) {
            fused.background_noise = segmenter->seeding.model.noise;
            fused.shadow_strength = std::min(1.0, segmenter->seeding.darkestShadow);
        }
        *report = fused;
        cv::Mat out(image.rows, image.cols, CV_8U, mask);
        result.copyTo(out);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_segmenter_printed_outline(const int *text_boxes, int text_count, int width, int height, uint8_t *mask, pv_cutout_report *report) {
    if (!mask || !report || width < 1 || height < 1 || text_count < 0 || (text_count > 0 && !text_boxes)) return PV_CV_INVALID_ARGUMENT;
    try {
        cv::Mat product(height, width, CV_8U, mask);
        const cv::Rect box = cv::boundingRect(product);
        // Printed matter is lines of text: a handful at least, none of them most of the product
        // (the detector reads wood grain as one box).
        if (box.area() == 0 || text_count < 5) return PV_CV_OK;
        cv::Mat letters = cv::Mat::zeros(height, width, CV_8U);
        int largest = 0;
        for (const cv::Rect &box : textBoxes(text_boxes, text_count)) {
            const cv::Rect line = box & cv::Rect(0, 0, width, height);
            letters(line).setTo(255);
            largest = std::max(largest, (line & box).area());
        }
        // Print over much of the product and across nearly all of it, both ways: a sheet.
        const cv::Rect span = cv::boundingRect(letters) & box;
        const double covered = cv::countNonZero(letters(box)) / double(box.area());
        if (largest > 0.2 * box.area() || covered < 0.3 || span.width < 0.85 * box.width || span.height < 0.85 * box.height) return PV_CV_OK;
        std::vector<cv::Point> points;
        cv::findNonZero(product | letters, points);
        std::vector<cv::Point> outline;
        cv::convexHull(points, outline);
        // A sheet's corners hold no print: where the hull nearly fills its rectangle, the sheet is that rectangle.
        const cv::RotatedRect sheet = cv::minAreaRect(outline);
        if (cv::contourArea(outline) >= 0.9 * sheet.size.area()) {
            cv::Point2f corners[4];
            sheet.points(corners);
            outline.assign(corners, corners + 4);
        }
        cv::fillConvexPoly(product, outline, cv::Scalar(255));
        describeBox(product, *report);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" void pv_cv_segmenter_free(pv_segmenter *segmenter) { delete segmenter; }
