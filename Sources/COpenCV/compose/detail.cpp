// Detail windows for close-up crops: a map of where the product holds detail, summed in
// integral images so that every placement of a window is scored in constant time.
#include "copencv_detail.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace {

// A window scoring under this share of the best one is not worth a crop.
constexpr double kWorthwhile = 0.3;

// The q-quantile of the pixels of a CV_32F map under a mask.
float quantile(const cv::Mat &values, const cv::Mat &mask, double q) {
    std::vector<float> picked;
    picked.reserve(values.total() / 4);
    for (int y = 0; y < values.rows; ++y) {
        const float *v = values.ptr<float>(y);
        const uint8_t *m = mask.ptr<uint8_t>(y);
        for (int x = 0; x < values.cols; ++x) {
            if (m[x]) picked.push_back(v[x]);
        }
    }
    if (picked.empty()) return 0;
    const size_t k = std::min(picked.size() - 1, size_t(q * double(picked.size())));
    std::nth_element(picked.begin(), picked.begin() + k, picked.end());
    return picked[k];
}

// Gradient magnitude of the strongest colour channel, above the product's typical level and
// capped, zero outside the product's interior.
cv::Mat detailMap(const cv::Mat &rgb, const cv::Mat &interior) {
    cv::Mat colour;
    rgb.convertTo(colour, CV_32FC3);
    cv::GaussianBlur(colour, colour, cv::Size(0, 0), 0.8);
    cv::Mat dx, dy;
    cv::Sobel(colour, dx, CV_32F, 1, 0, 3);
    cv::Sobel(colour, dy, CV_32F, 0, 1, 3);
    cv::Mat magnitude(rgb.size(), CV_32F);
    for (int y = 0; y < rgb.rows; ++y) {
        const cv::Vec3f *gx = dx.ptr<cv::Vec3f>(y), *gy = dy.ptr<cv::Vec3f>(y);
        float *out = magnitude.ptr<float>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            float best = 0;
            for (int c = 0; c < 3; ++c) best = std::max(best, gx[x][c] * gx[x][c] + gy[x][c] * gy[x][c]);
            out[x] = std::sqrt(best);
        }
    }
    // The product's own weave or grain is its typical level: detail is what rises above it.
    const float typical = quantile(magnitude, interior, 0.5);
    cv::Mat detail = cv::max(magnitude - typical, 0.0f);
    const float cap = std::max(1.0f, quantile(detail, interior, 0.99));
    detail = cv::min(detail, cap);
    detail.setTo(0, interior == 0);
    return detail;
}

struct Sums {
    cv::Mat detail, cover;  // integral images, CV_64F

    static double rect(const cv::Mat &integral, int x, int y, int w, int h) {
        return integral.at<double>(y + h, x + w) - integral.at<double>(y, x + w) - integral.at<double>(y + h, x) +
               integral.at<double>(y, x);
    }
};

struct Placement {
    cv::Rect box;
    double score;
    double coverage;
};

// Detail the frame's edges would cut: along each side, in eight segments, the detail just
// inside the edge where detail also continues just outside it (a line of text, a label's
// border, a buckle running out of the frame); each side counts its worst segment, since one
// word cut in half spoils a crop however clean the rest of the edge is. Zero where the edge is
// the photo's own.
double crossing(const Sums &sums, const cv::Size &image, int x, int y, int w, int h) {
    const int t = std::max(1, int(std::lround(0.04 * std::min(w, h))));
    constexpr int kSegments = 8;
    auto density = [&](int rx, int ry, int rw, int rh) {
        if (rw <= 0 || rh <= 0) return 0.0;
        return Sums::rect(sums.detail, rx, ry, rw, rh) / (double(rw) * rh);
    };
    double worst[4] = {0, 0, 0, 0};
    for (int k = 0; k < kSegments; ++k) {
        const int sy = y + k * h / kSegments, sh = (k + 1) * h / kSegments - k * h / kSegments;
        const int sx = x + k * w / kSegments, sw = (k + 1) * w / kSegments - k * w / kSegments;
        if (x - t >= 0) worst[0] = std::max(worst[0], std::min(density(x, sy, t, sh), density(x - t, sy, t, sh)));
        if (x + w + t <= image.width) worst[1] = std::max(worst[1], std::min(density(x + w - t, sy, t, sh), density(x + w, sy, t, sh)));
        if (y - t >= 0) worst[2] = std::max(worst[2], std::min(density(sx, y, sw, t), density(sx, y - t, sw, t)));
        if (y + h + t <= image.height) worst[3] = std::max(worst[3], std::min(density(sx, y + h - t, sw, t), density(sx, y + h, sw, t)));
    }
    return worst[0] + worst[1] + worst[2] + worst[3];
}

// Mean detail, plus the central half's mean detail again, discounted by the detail its edges
// would cut, times coverage: detail that sits well inside the frame.
Placement score(const Sums &sums, const cv::Size &image, int x, int y, int w, int h) {
    const double area = double(w) * h;
    const double coverage = Sums::rect(sums.cover, x, y, w, h) / area;
    Placement p{cv::Rect(x, y, w, h), -1, coverage};
    // Mostly off the product: backdrop is no close-up.
    if (coverage < 0.5) return p;
    const double mean = Sums::rect(sums.detail, x, y, w, h) / area;
    const int iw = std::max(1, w / 2), ih = std::max(1, h / 2);
    const double inner = Sums::rect(sums.detail, x + (w - iw) / 2, y + (h - ih) / 2, iw, ih) / (double(iw) * ih);
    // Cutting half as much detail as the window holds halves its score; where detail runs
    // through everything (a close-up of a print) every window pays alike and the ranking stands.
    const double held = 0.5 * mean + 0.5 * inner, cut = crossing(sums, image, x, y, w, h);
    const double framed = held * held / std::max(1e-9, held + 2 * cut);
    p.score = framed * std::min(1.0, (coverage - 0.5) / 0.4);
    return p;
}

// A total order: higher score first, then smaller, then top-left.
bool better(const Placement &a, const Placement &b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.box.area() != b.box.area()) return a.box.area() < b.box.area();
    return a.box.y != b.box.y ? a.box.y < b.box.y : a.box.x < b.box.x;
}

double iou(const cv::Rect &a, const cv::Rect &b) {
    const double inter = (a & b).area();
    return inter / std::max(1.0, double(a.area() + b.area()) - inter);
}

// Positions from 0 to limit in steps, always including limit itself.
std::vector<int> positions(int limit, int step) {
    std::vector<int> values;
    for (int v = 0; v < limit; v += step) values.push_back(v);
    values.push_back(limit);
    return values;
}

}  // namespace

extern "C" int pv_cv_detail_windows(const uint8_t *rgb, int width, int height, size_t stride,
                                    const uint8_t *subject, int subject_width, int subject_height, int window_width, int window_height, double max_scale, int count, double max_overlap,
                                    pv_detail_window *windows, int *found) {
    if (!rgb || !windows || !found || width < 8 || height < 8 || count < 0 || window_width < 4 || window_height < 4 ||
        window_width > width || window_height > height || (subject && (subject_width < 1 || subject_height < 1)))
        return PV_CV_INVALID_ARGUMENT;
    *found = 0;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat product(height, width, CV_8U, cv::Scalar(255));
        if (subject) {
            cv::Mat resized;
            cv::resize(cv::Mat(subject_height, subject_width, CV_8U, const_cast<uint8_t *>(subject)), resized, image.size(), 0, 0,
                       cv::INTER_LINEAR);
            product = resized >= 128;
        }
        // Leave out the outline band, and the frame's own edge where the gradient is one-sided.
        const cv::Rect box = cv::boundingRect(product);
        if (box.area() == 0) return PV_CV_NO_SUBJECT;
        const int band = std::max(2, int(std::lround(0.02 * std::min(box.width, box.height))));
        cv::Mat interior;
        cv::erode(product, interior, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * band + 1, 2 * band + 1)),
                  cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(255));
        cv::rectangle(interior, cv::Rect(0, 0, width, height), cv::Scalar(0), 2);

        Sums sums;
        cv::integral(detailMap(image, interior), sums.detail, CV_64F);
        cv::Mat cover;
        product.convertTo(cover, CV_32F, 1.0 / 255);
        cv::integral(cover, sums.cover, CV_64F);

        // The base size, and larger ones that can take in a whole label rather than cut it.
        std::vector<Placement> candidates;
        for (double scale : {1.0, 1.2, 1.44}) {
            const int w = int(std::lround(window_width * scale)), h = int(std::lround(window_height * scale));
            if (scale > 1 && (w > std::min(width, int(max_scale * window_width)) || h > height)) break;
            const int step = std::max(1, std::min(w, h) / 12);
            for (int y : positions(height - h, step)) {
                for (int x : positions(width - w, step)) {
                    Placement p = score(sums, image.size(), x, y, w, h);
                    if (p.score > 0) candidates.push_back(p);
                }
            }
        }
        // Best first; ties go to the top-left so that the answer never depends on sort order.
        std::sort(candidates.begin(), candidates.end(), better);

        std::vector<Placement> chosen;
        auto clear = [&](const cv::Rect &r) {
            return std::all_of(chosen.begin(), chosen.end(), [&](const Placement &c) { return iou(c.box, r) < max_overlap; });
        };
        for (const Placement &candidate : candidates) {
            if (int(chosen.size()) >= count) break;
            // Far less detail than the best: a flat stretch nobody wants a close-up of.
            if (!chosen.empty() && candidate.score < kWorthwhile * chosen.front().score) break;
            if (!clear(candidate.box)) continue;
            // Refine around the coarse position, in steps of a quarter of the coarse step.
            Placement best = candidate;
            const int w = candidate.box.width, h = candidate.box.height;
            const int step = std::max(1, std::min(w, h) / 12), fine = std::max(1, step / 4);
            for (int dy = -step; dy <= step; dy += fine) {
                for (int dx = -step; dx <= step; dx += fine) {
                    const int x = std::clamp(candidate.box.x + dx, 0, width - w);
                    const int y = std::clamp(candidate.box.y + dy, 0, height - h);
                    const Placement p = score(sums, image.size(), x, y, w, h);
                    if (p.score > best.score && clear(p.box)) best = p;
                }
            }
            chosen.push_back(best);
        }
        // Refinement can reorder them: the best first, and none far below it.
        std::sort(chosen.begin(), chosen.end(), better);
        while (chosen.size() > 1 && chosen.back().score < kWorthwhile * chosen.front().score) chosen.pop_back();
        for (size_t i = 0; i < chosen.size(); ++i) {
            const Placement &p = chosen[i];
            windows[i] = pv_detail_window{p.box.x, p.box.y, p.box.width, p.box.height, p.score, p.coverage};
        }
        *found = int(chosen.size());
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_laplacian_variance(const uint8_t *rgb, int width, int height, size_t stride, double *variance) {
    if (!rgb || !variance || width < 3 || height < 3) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat grey, laplacian;
        cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
        cv::Laplacian(grey, laplacian, CV_64F);
        cv::Scalar mean, deviation;
        cv::meanStdDev(laplacian, mean, deviation);
        *variance = deviation[0] * deviation[0];
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
