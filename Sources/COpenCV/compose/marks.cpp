// Printed marks on a product: found as compact regions that differ from the product's surface,
// removed by inpainting with the surface's own texture laid back over the fill.
#include "copencv_marks.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>


namespace {

// Below this mean CIELAB distance from the surface nothing counts as print, whatever the noise
// (faint grey print on a white bulb is about 30; shading on a face or fabric folds 10 to 15).
constexpr double kMinimumContrast = 18.0;
// A row of four letters or more may be fainter than that.
constexpr double kFaintText = 10.0;
// Candidate pixels start here: below the marks' own mean, so their soft edges are included.
constexpr double kCandidateContrast = 12.0;
// A group spanning more of the product than this is no mark but the product's design, and a
// block of copy (a label's text) larger than this stays as it is.
constexpr double kMaximumShare = 0.08;

int odd(double value) { return std::max(3, int(std::lround(value))) | 1; }

cv::Mat productMask(const uint8_t *subject, int subjectWidth, int subjectHeight, cv::Size size) {
    if (!subject) return cv::Mat(size, CV_8U, cv::Scalar(255));
    cv::Mat resized;
    cv::resize(cv::Mat(subjectHeight, subjectWidth, CV_8U, const_cast<uint8_t *>(subject)), resized, size, 0, 0, cv::INTER_LINEAR);
    return resized >= 128;
}

float quantile(const cv::Mat &values, const cv::Mat &mask, double q) {
    std::vector<float> picked;
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

// The backdrop replaced by the product's own colours spread outwards (normalised convolution
// on a coarse grid), so that medians near the outline see product rather than backdrop.
cv::Mat withoutBackdrop(const cv::Mat &lab, const cv::Mat &product, double reach) {
    if (cv::countNonZero(product) == int(product.total())) return lab;
    const double shrink = std::max(1.0, reach / 8);
    const cv::Size small(std::max(1, int(lab.cols / shrink)), std::max(1, int(lab.rows / shrink)));
    cv::Mat colour, weight;
    lab.convertTo(colour, CV_32FC3);
    product.convertTo(weight, CV_32F, 1.0 / 255);
    cv::Mat weighted;
    std::vector<cv::Mat> planes;
    cv::split(colour, planes);
    for (cv::Mat &plane : planes) plane = plane.mul(weight);
    cv::merge(planes, weighted);
    cv::Mat weightedSmall, weightSmall;
    cv::resize(weighted, weightedSmall, small, 0, 0, cv::INTER_AREA);
    cv::resize(weight, weightSmall, small, 0, 0, cv::INTER_AREA);
    const double sigma = std::max(1.0, reach / shrink);
    cv::GaussianBlur(weightedSmall, weightedSmall, cv::Size(0, 0), sigma);
    cv::GaussianBlur(weightSmall, weightSmall, cv::Size(0, 0), sigma);
    cv::Mat spread(small, CV_32FC3);
    for (int y = 0; y < small.height; ++y) {
        const cv::Vec3f *c = weightedSmall.ptr<cv::Vec3f>(y);
        const float *w = weightSmall.ptr<float>(y);
        cv::Vec3f *out = spread.ptr<cv::Vec3f>(y);
        for (int x = 0; x < small.width; ++x) out[x] = w[x] > 1e-4f ? c[x] / w[x] : cv::Vec3f(128, 128, 128);
    }
    cv::Mat spreadFull, spread8;
    cv::resize(spread, spreadFull, lab.size(), 0, 0, cv::INTER_LINEAR);
    spreadFull.convertTo(spread8, CV_8UC3);
    cv::Mat filled = lab.clone();
    spread8.copyTo(filled, product == 0);
    return filled;
}

// CIELAB distance between two 8-bit Lab images (OpenCV's scaling: L * 255 / 100, a and b + 128).
cv::Mat deltaE(const cv::Mat &a, const cv::Mat &b) {
    cv::Mat out(a.size(), CV_32F);
    for (int y = 0; y < a.rows; ++y) {
        const cv::Vec3b *p = a.ptr<cv::Vec3b>(y), *q = b.ptr<cv::Vec3b>(y);
        float *d = out.ptr<float>(y);
        for (int x = 0; x < a.cols; ++x) {
            const float dl = (float(p[x][0]) - float(q[x][0])) * (100.0f / 255.0f);
            const float da = float(p[x][1]) - float(q[x][1]), db = float(p[x][2]) - float(q[x][2]);
            d[x] = std::sqrt(dl * dl + da * da + db * db);
        }
    }
    return out;
}

struct Scale {
    cv::Mat distance;   // from the surface at this scale, CV_32F
    cv::Mat candidates; // pixels far from it, 0/255
    double noise;       // the surface's own texture: the median distance on the product
};

Scale finish(cv::Mat distance, const cv::Mat &interior) {
    Scale s;
    s.distance = std::move(distance);
    s.noise = quantile(s.distance, interior, 0.5);
    const double threshold = std::max(kCandidateContrast, 2.5 * s.noise);
    s.candidates = (s.distance > threshold) & interior;
    return s;
}

// Against a surface estimated by a median over `window`: solid graphics (a badge, a logo's
// disc) smaller than half the window stand out whole. Both sides through a small median first,
// so that a heathered or speckled fabric's grain does not.
Scale againstMedian(const cv::Mat &lab, const cv::Mat &interior, int window) {
    cv::Mat smooth, surface;
    cv::medianBlur(lab, smooth, 5);
    cv::medianBlur(smooth, surface, window);
    return finish(deltaE(smooth, surface), interior);
}

// Strokes: bright and dark structures thinner than the structuring elements (top-hat and
// black-hat of each CIELAB channel), whatever the surface around them. A bold word on a strap
// stands out whole, where a median the letters dominate would miss their cores.
Scale strokes(const cv::Mat &lab, const cv::Mat &interior, const std::vector<int> &sizes) {
    cv::Mat best(lab.size(), CV_32FC3, cv::Scalar::all(0));
    for (int size : sizes) {
        const cv::Mat element = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(size, size));
        cv::Mat bright, dark;
        cv::morphologyEx(lab, bright, cv::MORPH_TOPHAT, element);
        cv::morphologyEx(lab, dark, cv::MORPH_BLACKHAT, element);
        cv::Mat response = cv::max(bright, dark), floating;
        response.convertTo(floating, CV_32FC3);
        best = cv::max(best, floating);
    }
    cv::Mat distance(lab.size(), CV_32F);
    for (int y = 0; y < lab.rows; ++y) {
        const cv::Vec3f *r = best.ptr<cv::Vec3f>(y);
        float *d = distance.ptr<float>(y);
        for (int x = 0; x < lab.cols; ++x) {
            const float dl = r[x][0] * (100.0f / 255.0f);
            d[x] = std::sqrt(dl * dl + r[x][1] * r[x][1] + r[x][2] * r[x][2]);
        }
    }
    return finish(distance, interior);
}

// Candidate pieces that are lines rather than letters or graphics: long and thin (a rule, a
// crease, a label's edge, a highlight along a rim; a letter is at most about two `letter`s
// long), or touching the outline band (the silhouette's shading, a seam around the edge). They
// go before grouping, so that they cannot join a word to the product's structure.
void dropLines(cv::Mat &candidates, const cv::Mat &outline, int letter) {
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(candidates, labels, stats, centroids, 8, CV_32S);
    std::vector<uint8_t> drop(static_cast<size_t>(n), 0);
    cv::Mat touching = labels.clone();
    touching.setTo(0, outline == 0);
    for (int y = 0; y < touching.rows; ++y) {
        const int *t = touching.ptr<int>(y);
        for (int x = 0; x < touching.cols; ++x) if (t[x] > 0) drop[size_t(t[x])] = 1;
    }
    std::vector<std::vector<cv::Point>> points(static_cast<size_t>(n));
    for (int y = 0; y < labels.rows; ++y) {
        const int *l = labels.ptr<int>(y);
        for (int x = 0; x < labels.cols; ++x) if (l[x] > 0) points[size_t(l[x])].emplace_back(x, y);
    }
    for (int i = 1; i < n; ++i) {
        if (drop[size_t(i)] || points[size_t(i)].size() < 6) continue;
        const cv::RotatedRect shape = cv::minAreaRect(points[size_t(i)]);
        const double longSide = std::max(shape.size.width, shape.size.height);
        const double shortSide = std::max(1.0f, std::min(shape.size.width, shape.size.height));
        if (longSide > 2.0 * letter && longSide > 6 * shortSide) drop[size_t(i)] = 1;
    }
    for (int y = 0; y < labels.rows; ++y) {
        const int *l = labels.ptr<int>(y);
        uint8_t *c = candidates.ptr<uint8_t>(y);
        for (int x = 0; x < labels.cols; ++x) if (l[x] > 0 && drop[size_t(l[x])]) c[x] = 0;
    }
}

// Groups of candidates that are marks: clear, small beside the product, off the outline and
// the frame's edge, and compact or in pieces (letters). A long single piece is a seam, a strap's
// edge or a rim; a long solid band (where `wholeAreas` stand out) is a strap or a zip tape: the
// product's structure.
void acceptMarks(Scale scale, const cv::Mat &lab, const cv::Mat &product, const cv::Mat &outline, int closing, int letter,
                 bool wholeAreas, cv::Mat &accepted, cv::Mat &letters) {
    const double productArea = cv::countNonZero(product);
    const cv::Rect productBox = cv::boundingRect(product);
    const cv::Rect frame(3, 3, product.cols - 6, product.rows - 6);
    dropLines(scale.candidates, outline, letter);
    cv::Mat grouped;
    cv::morphologyEx(scale.candidates, grouped, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(closing, closing)));
    grouped &= product;
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(grouped, labels, stats, centroids, 8, CV_32S);
    const double contrastFloor = std::max(kMinimumContrast, 3.5 * scale.noise);
    for (int i = 1; i < n; ++i) {
        const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP), stats.at<int>(i, cv::CC_STAT_WIDTH),
                           stats.at<int>(i, cv::CC_STAT_HEIGHT));
        // Too large a share of the product, or running across half of it: its design.
        if (double(box.area()) > kMaximumShare * productArea) continue;
        if (std::max(box.width, box.height) > 0.5 * std::max(productBox.width, productBox.height)) continue;
        // Cut by the photo's edge: whatever it is, too little of it is seen.
        if ((box & frame) != box) continue;
        const cv::Mat group = labels(box) == i;
        const cv::Mat raw = scale.candidates(box) & group;
        const int pixels = cv::countNonZero(raw);
        if (pixels < 12) continue;
        // Touching the outline: a seam, a rim, a pin or the silhouette's shading.
        if (cv::countNonZero(outline(box) & group) > 0.05 * cv::countNonZero(group)) continue;
        // Its pieces (letters), and how letter-like they are: a row of four or more, mostly no
        // more than two and a half times as long as wide (ridges and pleats are long lines).
        int pieces = 0, squat = 0;
        {
            cv::Mat pieceLabels, pieceStats, pieceCentroids;
            const int m = cv::connectedComponentsWithStats(raw, pieceLabels, pieceStats, pieceCentroids, 8, CV_32S);
            for (int j = 1; j < m; ++j) {
                if (pieceStats.at<int>(j, cv::CC_STAT_AREA) < 4) continue;
                ++pieces;
                const int w = pieceStats.at<int>(j, cv::CC_STAT_WIDTH), h = pieceStats.at<int>(j, cv::CC_STAT_HEIGHT);
                squat += std::max(w, h) <= 2.5 * std::min(w, h) ? 1 : 0;
            }
        }
        const bool lettering = pieces >= 4 && squat * 2 >= pieces;
        // Faint print is only believed as lettering on a smooth surface (grey letters on a white
        // bulb); a faint blob or two is shading, a fold or a face's features.
        const double mean = cv::mean(scale.distance(box), raw)[0];
        if (mean < (lettering ? std::max(kFaintText, 3.5 * scale.noise) : contrastFloor)) continue;
        std::vector<cv::Point> points;
        cv::findNonZero(raw, points);
        const cv::RotatedRect shape = cv::minAreaRect(points);
        const double longSide = std::max(shape.size.width, shape.size.height);
        const double shortSide = std::max(1.0f, std::min(shape.size.width, shape.size.height));
        // One or two long pieces: a bar, a seam, a strap's edge, not print.
        if (pieces <= 2 && longSide / shortSide > 5) continue;
        // Only where whole areas stand out (against the median): strokes never include a band
        // wider than the structuring elements, and bold words whose letters touch look solid.
        // A band's letters may cut it into pieces: its fill and length tell it.
        if (wholeAreas && double(pixels) / std::max(1.0, longSide * shortSide) > 0.6 && longSide / shortSide > 2.5)
            continue;
        // On one surface: the ring around it is product, one colour, from which the mark stands out. Text
        // woven into a strap, with strap on one side and bag on the other, is left alone: a fill
        // would smear one surface into the other.
        {
            const int inner = 3, outer = std::max(7, closing);
            const cv::Rect around = cv::Rect(box.x - outer, box.y - outer, box.width + 2 * outer, box.height + 2 * outer) &
                                    cv::Rect(0, 0, product.cols, product.rows);
            // The group with what it encloses: the ring lies outside it, not in a disc's middle.
            cv::Mat body = labels(around) == i, outside;
            cv::copyMakeBorder(body, outside, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
            cv::floodFill(outside, cv::Point(0, 0), cv::Scalar(128));
            body.setTo(255, outside(cv::Rect(1, 1, around.width, around.height)) == 0);
            cv::Mat near, far;
            cv::dilate(body, near, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * inner + 1, 2 * inner + 1)));
            cv::dilate(body, far, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * outer + 1, 2 * outer + 1)));
            const cv::Mat whole = far & ~near;
            const cv::Mat ring = whole & product(around);
            if (cv::countNonZero(ring) < 8) continue;
            // Printed on the product, the ring is the product all round; at its edge (a lamp's
            // screw thread, a highlight on a hand) part of it is backdrop.
            if (cv::countNonZero(ring) < 0.9 * cv::countNonZero(whole)) continue;
            std::vector<cv::Vec3b> colours;
            for (int y = 0; y < ring.rows; ++y) {
                const uint8_t *r = ring.ptr<uint8_t>(y);
                const cv::Vec3b *c = lab(around).ptr<cv::Vec3b>(y);
                for (int x = 0; x < ring.cols; ++x) if (r[x]) colours.push_back(c[x]);
            }
            cv::Vec3b middle;
            for (int c = 0; c < 3; ++c) {
                std::vector<uint8_t> channel;
                for (const cv::Vec3b &v : colours) channel.push_back(v[c]);
                std::nth_element(channel.begin(), channel.begin() + long(channel.size() / 2), channel.end());
                middle[c] = channel[channel.size() / 2];
            }
            auto distanceTo = [&](const cv::Vec3b &v) {
                const float dl = (float(v[0]) - float(middle[0])) * (100.0f / 255.0f);
                const float da = float(v[1]) - float(middle[1]), db = float(v[2]) - float(middle[2]);
                return std::sqrt(dl * dl + da * da + db * db);
            };
            std::vector<float> spread;
            for (const cv::Vec3b &v : colours) spread.push_back(distanceTo(v));
            std::nth_element(spread.begin(), spread.begin() + long(spread.size() * 9 / 10), spread.end());
            // How far the mark's pixels are from the ring: the upper quartile, since the soft
            // edges of thin letters drag a mean down.
            std::vector<float> apart;
            for (int y = 0; y < box.height; ++y) {
                const uint8_t *r = raw.ptr<uint8_t>(y);
                const cv::Vec3b *c = lab(box).ptr<cv::Vec3b>(y);
                for (int x = 0; x < box.width; ++x) if (r[x]) apart.push_back(distanceTo(c[x]));
            }
            std::nth_element(apart.begin(), apart.begin() + long(apart.size() * 3 / 4), apart.end());
            const double contrast = apart[apart.size() * 3 / 4];
            if (contrast < (lettering ? kFaintText : kMinimumContrast)) continue;
            // The ring's own spread (its 90th percentile) beyond half the mark's contrast: two
            // surfaces meet there.
            if (spread[spread.size() * 9 / 10] > std::max(10.0, 0.5 * contrast)) continue;
        }
        // The mark's pixels: the convex hull of the group, letters and the gaps between them
        // (a faint letter's soft edge, a thick one's core that matched a surface the letters
        // dominate, a disc seen only by its rim). On one surface, filling the gaps costs nothing.
        std::vector<cv::Point> extent;
        cv::findNonZero(group, extent);
        std::vector<cv::Point> hull;
        cv::convexHull(extent, hull);
        cv::Mat whole = cv::Mat::zeros(group.size(), CV_8U);
        cv::fillConvexPoly(whole, hull, cv::Scalar(255));
        cv::Mat target = accepted(box);
        target.setTo(255, whole);
        cv::Mat seen = letters(box);
        seen.setTo(255, raw);
    }
}

struct Mark {
    cv::Rect box;
    double contrast;
};

// Boxes side by side on one line, closer than half the smaller one's height, are one mark (a
// logo and its wordmark, the words of one line). Lines are not merged: copy is told from a
// brand name by its number of lines.
std::vector<Mark> mergeAlongLines(std::vector<Mark> marks) {
    bool merged = true;
    while (merged) {
        merged = false;
        for (size_t i = 0; i < marks.size() && !merged; ++i) {
            for (size_t j = i + 1; j < marks.size() && !merged; ++j) {
                const cv::Rect &a = marks[i].box, &b = marks[j].box;
                const int lower = std::min(a.height, b.height);
                const int shared = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
                const int gap = std::max(a.x - (b.x + b.width), b.x - (a.x + a.width));
                if (shared < 0.5 * lower || gap > 0.5 * lower) continue;
                const double wa = a.area(), wb = b.area();
                marks[i].contrast = (marks[i].contrast * wa + marks[j].contrast * wb) / std::max(1.0, wa + wb);
                marks[i].box = a | b;
                marks.erase(marks.begin() + long(j));
                merged = true;
            }
        }
    }
    return marks;
}

}  // namespace

extern "C" int pv_cv_marks_find(const uint8_t *rgb, int width, int height, size_t stride,
                                const uint8_t *subject, int subject_width, int subject_height,
                                pv_mark *marks, int capacity, int *count, uint8_t *mask) {
    if (!rgb || !marks || !count || width < 16 || height < 16 || capacity < 0 || (subject && (subject_width < 1 || subject_height < 1)))
        return PV_CV_INVALID_ARGUMENT;
    *count = 0;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        const cv::Mat product = productMask(subject, subject_width, subject_height, image.size());
        const cv::Rect box = cv::boundingRect(product);
        if (box.area() == 0) return PV_CV_NO_SUBJECT;
        const int side = std::min(box.width, box.height);
        // The outline band: silhouettes shade and blur towards the backdrop there.
        const int band = std::max(3, int(std::lround(0.02 * side)));
        cv::Mat interior;
        cv::erode(product, interior, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * band + 1, 2 * band + 1)),
                  cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(255));
        cv::rectangle(interior, cv::Rect(0, 0, width, height), cv::Scalar(0), 2);
        cv::Mat outline;
        cv::dilate(product & ~interior, outline, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));

        cv::Mat lab;
        cv::cvtColor(image, lab, cv::COLOR_RGB2Lab);
        // Letters and lines at the small scale, logos and badges (up to a tenth of the product)
        // at the large one.
        const int small = odd(std::clamp(0.03 * side, 9.0, 41.0));
        const int large = odd(std::clamp(0.2 * side, 25.0, 241.0));
        const cv::Mat filled = withoutBackdrop(lab, product, large);
        // What is removed (each mark's hull), and the letters and graphics themselves.
        cv::Mat accepted(image.size(), CV_8U, cv::Scalar(0)), letters(image.size(), CV_8U, cv::Scalar(0));
        const Scale fine = strokes(filled, interior, {odd(std::max(5.0, 0.4 * small)), small});
        const Scale coarse = againstMedian(filled, interior, large);
        acceptMarks(fine, lab, product, outline, odd(small / 2.0), small, false, accepted, letters);
        acceptMarks(coarse, lab, product, outline, odd(small / 2.0), small, true, accepted, letters);

        // Words and graphics, then marks a few pixels apart merged into one.
        const cv::Mat distance = cv::max(fine.distance, coarse.distance);
        std::vector<Mark> found;
        {
            cv::Mat grouped, labels, stats, centroids;
            cv::morphologyEx(accepted, grouped, cv::MORPH_CLOSE,
                             cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(odd(small / 2.0), odd(small / 2.0))));
            const int n = cv::connectedComponentsWithStats(grouped, labels, stats, centroids, 8, CV_32S);
            for (int i = 1; i < n; ++i) {
                const cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP), stats.at<int>(i, cv::CC_STAT_WIDTH),
                                 stats.at<int>(i, cv::CC_STAT_HEIGHT));
                const cv::Mat own = accepted(r) & (labels(r) == i);
                if (cv::countNonZero(own) == 0) continue;
                found.push_back(Mark{r, cv::mean(distance(r), own)[0]});
            }
        }
        found = mergeAlongLines(found);

        // Copy: two lines of text or more, in one box or in boxes stacked within about two
        // lines' thickness of each other, are a label's text or a product's name, which stay; a
        // brand name or a logo stands alone on its line. A box's lines are counted across the
        // text (which may run down a strap as well as along a label).
        std::vector<int> lines(found.size(), 1);
        std::vector<uint8_t> sentences(found.size(), 0);
        for (size_t i = 0; i < found.size(); ++i) {
            const cv::Rect &r = found[i].box;
            const bool across = r.width >= r.height;
            sentences[i] = std::max(r.width, r.height) > 10 * std::min(r.width, r.height) ? 1 : 0;
            cv::Mat ink = letters(r).clone();
            if (!across) cv::transpose(ink, ink);
            // Runs of rows with ink, separated by rows with little (under a sixth of the fullest
            // row's: a descender may reach into the next line's ascenders); a run is a line of
            // text when it is at least half as tall as the tallest (an underline or a logo's
            // swoosh is a thin run).
            std::vector<int> profile(size_t(ink.rows));
            int fullest = 0;
            for (int y = 0; y < ink.rows; ++y) fullest = std::max(fullest, profile[size_t(y)] = cv::countNonZero(ink.row(y)));
            std::vector<int> runs;
            for (int y = 0; y < ink.rows;) {
                if (profile[size_t(y)] * 6 <= fullest) {
                    ++y;
                    continue;
                }
                int end = y;
                while (end < ink.rows && profile[size_t(end)] * 6 > fullest) ++end;
                runs.push_back(end - y);
                y = end;
            }
            const int tallest = runs.empty() ? 0 : *std::max_element(runs.begin(), runs.end());
            const int textLines = int(std::count_if(runs.begin(), runs.end(), [&](int run) { return 2 * run >= tallest; }));
            lines[i] = std::max(1, textLines);
        }
        std::vector<int> block(found.size());
        for (size_t i = 0; i < found.size(); ++i) block[i] = int(i);
        std::function<int(int)> root = [&](int i) { return block[i] == i ? i : block[i] = root(block[i]); };
        for (size_t i = 0; i < found.size(); ++i) {
            for (size_t j = i + 1; j < found.size(); ++j) {
                const cv::Rect &a = found[i].box, &b = found[j].box;
                const int thickness = std::min(std::min(a.width, a.height) / lines[i], std::min(b.width, b.height) / lines[j]);
                const cv::Rect grown(a.x - thickness, a.y - thickness, a.width + 2 * thickness, a.height + 2 * thickness);
                const cv::Rect other(b.x - thickness, b.y - thickness, b.width + 2 * thickness, b.height + 2 * thickness);
                if ((grown & other).area() > 0) block[root(int(i))] = root(int(j));
            }
        }
        std::vector<int> blockLines(found.size(), 0);
        for (size_t i = 0; i < found.size(); ++i) blockLines[size_t(root(int(i)))] += lines[i];
        std::vector<Mark> standing;
        for (size_t i = 0; i < found.size(); ++i) {
            const cv::Rect &r = found[i].box;
            // Specks smaller than a letter are no logo, whatever they are.
            if (std::max(r.width, r.height) < small) continue;
            // A line of text more than ten times as long as it is tall is a sentence or a
            // heading (a brand name is a word or two): copy.
            if (lines[i] == 1 && sentences[i]) continue;
            if (blockLines[size_t(root(int(i)))] < 2) standing.push_back(found[i]);
        }

        // Largest first; ties by position, so that the order never depends on the sort.
        std::sort(standing.begin(), standing.end(), [](const Mark &a, const Mark &b) {
            if (a.box.area() != b.box.area()) return a.box.area() > b.box.area();
            return a.box.y != b.box.y ? a.box.y < b.box.y : a.box.x < b.box.x;
        });
        const int kept = std::min<int>(capacity, int(standing.size()));
        for (int i = 0; i < kept; ++i) {
            const cv::Rect &r = standing[i].box;
            marks[i] = pv_mark{r.x, r.y, r.width, r.height, standing[i].contrast};
        }
        *count = kept;
        if (mask) {
            cv::Mat out(height, width, CV_8U, mask);
            out.setTo(0);
            // Only the marks reported: copy and marks beyond `capacity` are left alone.
            for (int i = 0; i < kept; ++i) {
                const cv::Rect &r = standing[i].box;
                accepted(r).copyTo(out(r), accepted(r));
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

namespace {

// The mark's pixels at full resolution inside `roi`, from the mask at its own resolution.
cv::Mat markAt(const cv::Mat &mask, const cv::Rect &roi, double scaleX, double scaleY) {
    cv::Mat out(roi.size(), CV_8U);
    for (int y = 0; y < roi.height; ++y) {
        const int my = std::min(mask.rows - 1, int((roi.y + y + 0.5) / scaleY));
        const uint8_t *row = mask.ptr<uint8_t>(my);
        uint8_t *o = out.ptr<uint8_t>(y);
        for (int x = 0; x < roi.width; ++x) o[x] = row[std::min(mask.cols - 1, int((roi.x + x + 0.5) / scaleX))];
    }
    return out;
}

}  // namespace

extern "C" int pv_cv_marks_remove(uint8_t *pixels, int width, int height, int bands, size_t stride,
                                  const uint8_t *mask, int mask_width, int mask_height, const pv_mark *marks, int count,
                                  const uint8_t *subject, int subject_width, int subject_height) {
    if (!pixels || !mask || (count > 0 && !marks) || width < 1 || height < 1 || (bands != 3 && bands != 4) || mask_width < 1 ||
        mask_height < 1 || count < 0 || (subject && (subject_width < 1 || subject_height < 1)))
        return PV_CV_INVALID_ARGUMENT;
    try {
        cv::Mat image(height, width, bands == 3 ? CV_8UC3 : CV_8UC4, pixels, stride);
        const cv::Mat marksMask(mask_height, mask_width, CV_8U, const_cast<uint8_t *>(mask));
        const double scaleX = double(width) / mask_width, scaleY = double(height) / mask_height;
        // Where fills may take their texture from: product, away from every mark.
        const cv::Mat product = productMask(subject, subject_width, subject_height, cv::Size(mask_width, mask_height));
        cv::Mat clear;
        cv::dilate(marksMask, clear, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
        clear = product & ~clear;

        for (int i = 0; i < count; ++i) {
            const pv_mark &mark = marks[i];
            // The mark at full resolution, padded for the fill's feathered edge and the inpainting's reach.
            const cv::Rect markBox(int(std::floor(mark.x * scaleX)), int(std::floor(mark.y * scaleY)),
                                   int(std::ceil(mark.width * scaleX)), int(std::ceil(mark.height * scaleY)));
            const int grow = int(std::ceil(std::max(scaleX, scaleY))) + 2;
            const int pad = std::max(6, std::min(markBox.width, markBox.height) / 3) + grow;
            const cv::Rect roi = cv::Rect(markBox.x - pad, markBox.y - pad, markBox.width + 2 * pad, markBox.height + 2 * pad) &
                                 cv::Rect(0, 0, width, height);
            if (roi.area() == 0) continue;
            cv::Mat hole = markAt(marksMask, roi, scaleX, scaleY);
            // Only this mark's pixels: neighbours inside the padding are filled in their own turn.
            cv::Mat own(roi.size(), CV_8U, cv::Scalar(0));
            own(cv::Rect(markBox.x - roi.x, markBox.y - roi.y, markBox.width, markBox.height) & cv::Rect(0, 0, roi.width, roi.height)).setTo(255);
            hole &= own;
            if (cv::countNonZero(hole) == 0) continue;
            cv::dilate(hole, hole, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * grow + 1, 2 * grow + 1)));

            cv::Mat colour;
            if (bands == 4) cv::cvtColor(image(roi), colour, cv::COLOR_RGBA2RGB);
            else colour = image(roi).clone();

            // Inpainting at a working size where the mark is at most 256 pixels across.
            const double factor = std::max(1.0, std::max(markBox.width, markBox.height) / 256.0);
            const cv::Size work(std::max(1, int(std::lround(roi.width / factor))), std::max(1, int(std::lround(roi.height / factor))));
            cv::Mat smallColour, smallHole, painted, base;
            cv::resize(colour, smallColour, work, 0, 0, cv::INTER_AREA);
            cv::resize(hole, smallHole, work, 0, 0, cv::INTER_LINEAR);
            smallHole = smallHole > 0;
            cv::inpaint(smallColour, smallHole, painted, 3, cv::INPAINT_TELEA);
            cv::resize(painted, base, roi.size(), 0, 0, factor > 1 ? cv::INTER_CUBIC : cv::INTER_NEAREST);

            // The surface's texture: the nearest clear stretch of product of the hole's size,
            // chosen by how close its colour is to the hole's rim, laid over the fill with its
            // own low frequencies taken out (so the fill keeps the rim's colour and shading and
            // gets the weave or grain at every scale finer than the hole).
            const cv::Rect holeBox = cv::boundingRect(hole);
            cv::Mat rim;
            cv::dilate(hole, rim, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));
            rim &= ~hole;
            const cv::Scalar rimColour = cv::mean(colour, rim);
            const double sigma = std::max({1.0, factor, std::min(holeBox.width, holeBox.height) / 6.0});
            // The rim's own texture strength, which the donor's should match: a stretch with a
            // rule or an edge in it would lay a streak over the fill.
            auto textureStrength = [&](const cv::Mat &rgb, const cv::Mat &where) {
                cv::Mat f, blurred;
                rgb.convertTo(f, CV_32FC3);
                cv::GaussianBlur(f, blurred, cv::Size(0, 0), sigma);
                cv::Scalar mean, deviation;
                cv::meanStdDev(f - blurred, mean, deviation, where);
                return (deviation[0] + deviation[1] + deviation[2]) / 3;
            };
            const double rimTexture = textureStrength(colour, rim);
            cv::Mat texture(holeBox.size(), CV_32FC3, cv::Scalar::all(0));
            double bestCost = 1e18;
            for (double reach : {1.15, 1.6, 2.2, 3.0}) {
                const int dx = int(std::lround(reach * holeBox.width)), dy = int(std::lround(reach * holeBox.height));
                for (const cv::Point offset : {cv::Point(dx, 0), cv::Point(-dx, 0), cv::Point(0, dy), cv::Point(0, -dy)}) {
                    const cv::Rect donor(roi.x + holeBox.x + offset.x, roi.y + holeBox.y + offset.y, holeBox.width, holeBox.height);
                    if ((donor & cv::Rect(0, 0, width, height)) != donor) continue;
                    const cv::Rect donorInMask(int(donor.x / scaleX), int(donor.y / scaleY),
                                               std::max(1, int(std::ceil(donor.width / scaleX))), std::max(1, int(std::ceil(donor.height / scaleY))));
                    const cv::Rect clipped = donorInMask & cv::Rect(0, 0, mask_width, mask_height);
                    if (clipped.area() == 0 || cv::countNonZero(clear(clipped)) < 0.97 * clipped.area()) continue;
                    cv::Mat donorColour;
                    if (bands == 4) cv::cvtColor(image(donor), donorColour, cv::COLOR_RGBA2RGB);
                    else donorColour = image(donor);
                    const cv::Scalar mean = cv::mean(donorColour);
                    const double cost = cv::norm(cv::Vec3d(mean[0] - rimColour[0], mean[1] - rimColour[1], mean[2] - rimColour[2])) +
                                        3.0 * std::abs(textureStrength(donorColour, cv::Mat()) - rimTexture) + 2.0 * reach;
                    if (cost >= bestCost) continue;
                    bestCost = cost;
                    cv::Mat f, blurred;
                    donorColour.convertTo(f, CV_32FC3);
                    cv::GaussianBlur(f, blurred, cv::Size(0, 0), sigma);
                    texture = f - blurred;
                }
                if (bestCost < 1e17) break;
            }
            if (bestCost >= 1e17) {
                // No clear stretch of product beside it: noise as strong as the rim's texture.
                cv::Mat f, blurred;
                colour.convertTo(f, CV_32FC3);
                cv::GaussianBlur(f, blurred, cv::Size(0, 0), sigma);
                cv::Scalar mean, deviation;
                cv::meanStdDev(f - blurred, mean, deviation, rim);
                cv::RNG rng(0x5eed + uint64_t(i));
                rng.fill(texture, cv::RNG::NORMAL, cv::Scalar::all(0), deviation);
            }

            // Feathered blend of base + texture over the hole.
            cv::Mat alpha;
            hole.convertTo(alpha, CV_32F, 1.0 / 255);
            cv::GaussianBlur(alpha, alpha, cv::Size(0, 0), std::max(1.0, grow / 2.0));
            cv::Mat core;
            cv::erode(hole, core, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
            alpha.setTo(1.0, core);
            for (int y = 0; y < roi.height; ++y) {
                const float *a = alpha.ptr<float>(y);
                const cv::Vec3b *b = base.ptr<cv::Vec3b>(y);
                uint8_t *out = image.ptr<uint8_t>(roi.y + y) + roi.x * bands;
                for (int x = 0; x < roi.width; ++x, out += bands) {
                    if (a[x] <= 0.002f) continue;
                    cv::Vec3f fill(b[x][0], b[x][1], b[x][2]);
                    if (holeBox.contains(cv::Point(x, y))) fill += texture.at<cv::Vec3f>(y - holeBox.y, x - holeBox.x);
                    for (int c = 0; c < 3; ++c) out[c] = cv::saturate_cast<uint8_t>(a[x] * fill[c] + (1 - a[x]) * out[c]);
                }
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
