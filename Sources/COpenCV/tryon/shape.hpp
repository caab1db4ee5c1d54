// Shape helpers shared by the try-on's person and garment landmarks: runs of mask pixels along
// a row, components, hole filling and smoothing of per-row profiles.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "copencv_vto.h"

namespace pv::vto {

struct Run {
    int left = -1, right = -1;
    bool valid() const { return left >= 0; }
    int width() const { return valid() ? right - left + 1 : 0; }
    double centre() const { return 0.5 * (left + right); }
};

// The run of mask pixels in row y through column cx (or starting within `slack` of it),
// bridging gaps of up to `gap` pixels.
inline Run runThrough(const cv::Mat &mask, int y, int cx, int slack, int gap) {
    Run run;
    if (y < 0 || y >= mask.rows) return run;
    const uint8_t *row = mask.ptr<uint8_t>(y);
    int start = -1;
    for (int d = 0; d <= slack && start < 0; ++d) {
        if (cx - d >= 0 && cx - d < mask.cols && row[cx - d]) start = cx - d;
        else if (cx + d >= 0 && cx + d < mask.cols && row[cx + d]) start = cx + d;
    }
    if (start < 0) return run;
    int left = start, right = start;
    for (int x = start - 1, missed = 0; x >= 0 && missed <= gap; --x) {
        if (row[x]) { left = x; missed = 0; } else ++missed;
    }
    for (int x = start + 1, missed = 0; x < mask.cols && missed <= gap; ++x) {
        if (row[x]) { right = x; missed = 0; } else ++missed;
    }
    run.left = left;
    run.right = right;
    return run;
}

// Every run of row y at least `minWidth` wide, gaps up to `gap` bridged, left to right.
inline std::vector<Run> runsOf(const cv::Mat &mask, int y, int gap, int minWidth) {
    std::vector<Run> runs;
    if (y < 0 || y >= mask.rows) return runs;
    const uint8_t *row = mask.ptr<uint8_t>(y);
    int x = 0;
    while (x < mask.cols) {
        while (x < mask.cols && !row[x]) ++x;
        if (x >= mask.cols) break;
        Run run{x, x};
        int missed = 0;
        for (int i = x + 1; i < mask.cols; ++i) {
            if (row[i]) { run.right = i; missed = 0; }
            else if (++missed > gap) break;
        }
        if (run.width() >= minWidth) runs.push_back(run);
        x = run.right + 1;
    }
    return runs;
}

// Background pixels not reachable from the frame's border become foreground.
inline cv::Mat fillHoles(const cv::Mat &binary) {
    cv::Mat padded;
    cv::copyMakeBorder(binary, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
    cv::Mat flood = padded.clone();
    cv::floodFill(flood, cv::Point(0, 0), 255);
    cv::Mat holes = flood == 0;
    cv::Mat filled = padded | holes;
    return filled(cv::Rect(1, 1, binary.cols, binary.rows)).clone();
}

// The pieces of `candidates` (8-connected) that hold at least one pixel of `seeds`.
inline cv::Mat piecesTouching(const cv::Mat &candidates, const cv::Mat &seeds) {
    cv::Mat labels;
    const int count = cv::connectedComponents(candidates, labels, 8, CV_32S);
    std::vector<uint8_t> seeded(count, 0);
    for (int y = 0; y < labels.rows; ++y) {
        const int *l = labels.ptr<int>(y);
        const uint8_t *s = seeds.ptr<uint8_t>(y);
        for (int x = 0; x < labels.cols; ++x) if (s[x]) seeded[l[x]] = 1;
    }
    seeded[0] = 0;
    cv::Mat kept = cv::Mat::zeros(candidates.size(), CV_8U);
    for (int y = 0; y < labels.rows; ++y) {
        const int *l = labels.ptr<int>(y);
        uint8_t *k = kept.ptr<uint8_t>(y);
        for (int x = 0; x < labels.cols; ++x) if (seeded[l[x]]) k[x] = 255;
    }
    return kept;
}

// Median of a window then a box mean, over a profile; NaN entries are skipped.
inline std::vector<double> smoothProfile(const std::vector<double> &values, int radius) {
    const int n = int(values.size());
    std::vector<double> median(n), out(n);
    for (int i = 0; i < n; ++i) {
        std::vector<double> window;
        for (int j = std::max(0, i - radius); j <= std::min(n - 1, i + radius); ++j) {
            if (!std::isnan(values[j])) window.push_back(values[j]);
        }
        if (window.empty()) { median[i] = values[i]; continue; }
        std::nth_element(window.begin(), window.begin() + window.size() / 2, window.end());
        median[i] = window[window.size() / 2];
    }
    for (int i = 0; i < n; ++i) {
        double sum = 0;
        int count = 0;
        for (int j = std::max(0, i - radius); j <= std::min(n - 1, i + radius); ++j) {
            if (!std::isnan(median[j])) { sum += median[j]; ++count; }
        }
        out[i] = count ? sum / count : median[i];
    }
    return out;
}

inline double lerp(double a, double b, double t) { return a + (b - a) * t; }

// Piecewise-linear interpolation through (xs[i], ys[i]), xs ascending; clamped at the ends.
inline double interpolate(const std::vector<double> &xs, const std::vector<double> &ys, double x) {
    if (xs.empty()) return 0;
    if (x <= xs.front()) return ys.front();
    for (size_t i = 1; i < xs.size(); ++i) {
        if (x <= xs[i]) {
            const double span = xs[i] - xs[i - 1];
            return span > 0 ? lerp(ys[i - 1], ys[i], (x - xs[i - 1]) / span) : ys[i];
        }
    }
    return ys.back();
}

// Body height in head units: about 4 for an infant, 5 at 100 cm, 7.5 for an adult.
inline double headsTall(double heightCm) {
    if (heightCm <= 0) return 7.5;
    static const std::vector<double> heights = {50, 75, 100, 130, 160, 175, 190, 250};
    static const std::vector<double> heads = {4.0, 4.4, 5.0, 6.0, 7.2, 7.6, 7.9, 8.3};
    return interpolate(heights, heads, heightCm);
}

// Torso widths against an average build: circumferences grow with the square root of the body
// mass index over the one expected for the height (children are slimmer by BMI).
inline double widthFactor(double heightCm, double weightKg) {
    if (weightKg <= 0) return 1;
    const double height = heightCm > 0 ? heightCm : 170;
    const double bmi = weightKg / std::pow(height / 100, 2);
    const double expected = interpolate({50, 110, 150, 250}, {16, 15.5, 21, 22.5}, height);
    return std::clamp(std::sqrt(bmi / expected), 0.8, 1.45);
}

inline pv_vto_point point(double x, double y) { return pv_vto_point{x, y}; }

inline double medianOf(std::vector<double> values) {
    if (values.empty()) return 0;
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
}

// The colours of a face's middle (cheeks, nose; eyes, brows and mouth mostly left out), as a
// model of the person's skin in 8-bit CIELAB (L 0..255, a and b offset by 128).
//
// Skin is told by its hue and how saturated it is, not by its exact colour: the same skin in
// shadow or turned from the light is darker and often more saturated than the lit, made-up face
// (an arm in shade would fail a test of the face's a and b), while its hue stays.
struct SkinModel {
    double l = 0, a = 0, b = 0;
    double chroma = 0, hue = 0, hueTolerance = 15;
    bool valid = false;

    SkinModel(const cv::Mat &lab, const cv::Rect &face) {
        const cv::Rect core = cv::Rect(face.x + face.width / 4, face.y + int(0.35 * face.height), std::max(1, face.width / 2),
                                       std::max(1, int(0.45 * face.height))) & cv::Rect(0, 0, lab.cols, lab.rows);
        std::vector<double> ls, as, bs, hues;
        for (int y = core.y; y < core.br().y; ++y) {
            for (int x = core.x; x < core.br().x; ++x) {
                const cv::Vec3b p = lab.at<cv::Vec3b>(y, x);
                ls.push_back(p[0]);
                as.push_back(p[1]);
                bs.push_back(p[2]);
                hues.push_back(hueOf(p[1], p[2]));
            }
        }
        if (ls.size() < 9) return;
        l = medianOf(ls);
        a = medianOf(as);
        b = medianOf(bs);
        chroma = std::hypot(a - 128, b - 128);
        // A grey face (a black-and-white photo, a mask) has no hue to go by.
        if (chroma < 6) return;
        hue = hueOf(a, b);
        std::vector<double> deviations;
        for (double h : hues) deviations.push_back(std::abs(hueDifference(h, hue)));
        hueTolerance = std::clamp(2.5 * 1.48 * medianOf(deviations), 15.0, 25.0);
        valid = true;
    }

    bool contains(const cv::Vec3b &p) const {
        if (!valid) return false;
        const double c = std::hypot(p[1] - 128.0, p[2] - 128.0), dl = p[0] - l;
        return c >= std::max(5.0, 0.4 * chroma) && c <= 2.2 * chroma + 8 && std::abs(hueDifference(hueOf(p[1], p[2]), hue)) <= hueTolerance &&
               dl > -120 && dl < 45;
    }

    // The skin's hue, more loosely (shade and highlights shift it towards yellow), and some colour:
    // skin the pose says is there, whatever its light; grey, white and black clothes fail.
    bool hasHue(const cv::Vec3b &p) const {
        return valid && std::hypot(p[1] - 128.0, p[2] - 128.0) >= 4 && std::abs(hueDifference(hueOf(p[1], p[2]), hue)) <= 35;
    }

    // Hue in degrees of 8-bit Lab's a and b (offset by 128).
    static double hueOf(double a, double b) { return std::atan2(b - 128.0, a - 128.0) * 180 / M_PI; }
    static double hueDifference(double h, double reference) { return std::remainder(h - reference, 360.0); }

    // Skin pixels of an 8-bit Lab image within `within` (255 = where to look).
    cv::Mat mask(const cv::Mat &lab, const cv::Mat &within) const {
        cv::Mat out(lab.size(), CV_8U, cv::Scalar(0));
        for (int y = 0; y < lab.rows; ++y) {
            const auto *p = lab.ptr<cv::Vec3b>(y);
            const uint8_t *w = within.ptr<uint8_t>(y);
            uint8_t *o = out.ptr<uint8_t>(y);
            for (int x = 0; x < lab.cols; ++x) if (w[x] && contains(p[x])) o[x] = 255;
        }
        cv::morphologyEx(out, out, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
        return out;
    }
};

}  // namespace pv::vto
