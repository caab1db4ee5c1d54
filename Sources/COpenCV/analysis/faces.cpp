// Face detection for reframing model shots: Haar cascades in several passes, merged, and the
// weaker finds confirmed against the subject's silhouette.
#include "copencv_faces.h"
#include "core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

namespace {

struct CascadeSet {
    cv::CascadeClassifier frontal, alternative, profile;
};

std::unique_ptr<CascadeSet> loadSet(const std::string &directory) {
    auto set = std::make_unique<CascadeSet>();
    const std::string base = directory.empty() || directory.back() == '/' ? directory : directory + "/";
    const std::pair<cv::CascadeClassifier *, const char *> files[] = {
        {&set->frontal, "haarcascade_frontalface_default.xml"},
        {&set->alternative, "haarcascade_frontalface_alt2.xml"},
        {&set->profile, "haarcascade_profileface.xml"},
    };
    for (const auto &[cascade, name] : files) {
        if (!cascade->load(base + name)) throw std::runtime_error("cannot load " + base + name);
    }
    return set;
}

enum Family { kFrontal = 0, kAlternative = 1, kProfile = 2 };

struct Detection {
    cv::Rect box;
    int hits;
    Family family;
    int pass;
};

struct Cluster {
    cv::Rect box;  // of its best detection
    int best = 0;
    int frontal = 0, alternative = 0, profile = 0;
    unsigned passes = 0;  // one bit per detection pass

    int passCount() const { return __builtin_popcount(passes); }
};

double iou(const cv::Rect &a, const cv::Rect &b) {
    const double inter = (a & b).area();
    return inter / std::max(1.0, double(a.area() + b.area()) - inter);
}

// One face's detections, whichever cascade and pass found them: boxes that overlap, or one
// centred inside the other at a similar size (profile boxes are larger than frontal ones).
bool sameFace(const cv::Rect &a, const cv::Rect &b) {
    if (iou(a, b) >= 0.3) return true;
    const cv::Point ca = (a.tl() + a.br()) / 2, cb = (b.tl() + b.br()) / 2;
    const double ratio = double(std::max(a.width, b.width)) / std::max(1, std::min(a.width, b.width));
    return ratio < 2.0 && (a.contains(cb) || b.contains(ca));
}

// The cascades alone are sure: both frontal cascades agree with many neighbours each, in
// several passes. Textures (rows of bulbs, a torso's folds) reach a few dozen neighbours in one
// cascade at most; a face seen from the front gets 60 to 250 at the scale step used here.
bool strong(const Cluster &c) {
    if (c.passCount() < 3) return false;
    return (c.frontal >= 40 && c.alternative >= 20) || c.frontal >= 80 || c.alternative >= 50;
}

// The weaker kind, a silhouette or a profile: found by two passes or more with a few neighbours.
bool plausible(const Cluster &c) { return c.passCount() >= 2 && std::max({c.frontal, c.alternative, c.profile}) >= 6; }

// Share of subject pixels of row y in [x0, x1).
int subjectWidth(const cv::Mat &subject, int y, int x0, int x1) {
    x0 = std::max(0, x0);
    x1 = std::min(subject.cols, x1);
    if (y < 0 || y >= subject.rows || x1 <= x0) return 0;
    return cv::countNonZero(subject.row(y).colRange(x0, x1));
}

// Width of the run of subject pixels of row y through column cx (or starting within `slack`
// of it), bridging gaps of a pixel or two, clipped to [x0, x1).
int runWidth(const cv::Mat &subject, int y, int cx, int slack, int x0, int x1) {
    x0 = std::max(0, x0);
    x1 = std::min(subject.cols, x1);
    if (y < 0 || y >= subject.rows || x1 <= x0) return 0;
    const uint8_t *row = subject.ptr<uint8_t>(y);
    int start = -1;
    for (int d = 0; d <= slack && start < 0; ++d) {
        if (cx - d >= x0 && cx - d < x1 && row[cx - d]) start = cx - d;
        else if (cx + d >= x0 && cx + d < x1 && row[cx + d]) start = cx + d;
    }
    if (start < 0) return 0;
    constexpr int gap = 2;
    int left = start, right = start;
    for (int x = start - 1, missed = 0; x >= x0 && missed <= gap; --x) {
        if (row[x]) { left = x; missed = 0; } else ++missed;
    }
    for (int x = start + 1, missed = 0; x < x1 && missed <= gap; ++x) {
        if (row[x]) { right = x; missed = 0; } else ++missed;
    }
    return right - left + 1;
}

double median(std::vector<int> values) {
    if (values.empty()) return 0;
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
}

// One face's detections merged, best detections first so that each cluster is represented by
// its surest box.
std::vector<Cluster> cluster(std::vector<Detection> found) {
    std::sort(found.begin(), found.end(), [](const Detection &a, const Detection &b) {
        if (a.hits != b.hits) return a.hits > b.hits;
        if (a.pass != b.pass) return a.pass < b.pass;
        return a.box.y != b.box.y ? a.box.y < b.box.y : a.box.x < b.box.x;
    });
    std::vector<Cluster> clusters;
    for (const Detection &d : found) {
        auto it = std::find_if(clusters.begin(), clusters.end(), [&](const Cluster &c) { return sameFace(c.box, d.box); });
        if (it == clusters.end()) {
            clusters.push_back(Cluster{d.box, d.hits});
            it = clusters.end() - 1;
        }
        int &family = d.family == kFrontal ? it->frontal : d.family == kAlternative ? it->alternative : it->profile;
        family = std::max(family, d.hits);
        it->passes |= 1u << d.pass;
    }
    return clusters;
}

bool anyStrong(const std::vector<Detection> &found) {
    const std::vector<Cluster> clusters = cluster(found);
    return std::any_of(clusters.begin(), clusters.end(), strong);
}

// A head on a body: the subject covers the face, ends within a face height above it (or the
// frame does), is about a face wide there, wider a little below (shoulders), and continues
// downwards.
bool headOnShoulders(const cv::Mat &subject, const cv::Rect &face) {
    const int w = face.width, h = face.height;
    const cv::Rect core(face.x + w / 5, face.y + h / 5, std::max(1, w * 3 / 5), std::max(1, h * 3 / 5));
    const cv::Rect inside = core & cv::Rect(0, 0, subject.cols, subject.rows);
    if (inside.area() < core.area() / 2) return false;
    if (cv::countNonZero(subject(inside)) < 0.6 * inside.area()) return false;

    // Above: nothing of the subject more than a face height above the face, within a band
    // twice the face's width (a handle or strap rising past it is no head).
    const int bandLeft = face.x - w / 2, bandRight = face.x + w + w / 2;
    int top = face.y;
    for (int y = 0; y < face.y; ++y) {
        if (subjectWidth(subject, y, bandLeft, bandRight) >= 0.05 * (bandRight - bandLeft)) {
            top = y;
            break;
        }
    }
    if (face.y - top > 0.9 * h) return false;

    // The connected widths through the face's centre, at the face and a little below it,
    // within a window five faces wide.
    const int cx = face.x + w / 2, left = cx - 5 * w / 2, right = cx + 5 * w / 2;
    std::vector<int> head, body;
    for (int y = face.y + h / 4; y < face.y + 3 * h / 4; ++y) head.push_back(runWidth(subject, y, cx, w / 4, left, right));
    const int below0 = face.y + h + h / 2, below1 = std::min(subject.rows, face.y + 2 * h + h / 2);
    if (below1 - below0 < h / 3) return false;  // no body in the frame below the face
    for (int y = below0; y < below1; ++y) body.push_back(runWidth(subject, y, cx, w / 2, left, right));
    const double headWidth = median(head), bodyWidth = median(body);
    // A head is about as wide as the face box (a strap or a handle is much narrower).
    const bool headSized = headWidth >= 0.65 * w && headWidth <= 1.8 * w;
    return headSized && bodyWidth >= 1.4 * w && headWidth <= 0.75 * bodyWidth;
}

}  // namespace

struct pv_face_detector {
    std::string directory;
    std::mutex lock;
    std::vector<std::unique_ptr<CascadeSet>> idle;

    std::unique_ptr<CascadeSet> borrow() {
        {
            std::lock_guard<std::mutex> guard(lock);
            if (!idle.empty()) {
                auto set = std::move(idle.back());
                idle.pop_back();
                return set;
            }
        }
        return loadSet(directory);
    }

    void giveBack(std::unique_ptr<CascadeSet> set) {
        std::lock_guard<std::mutex> guard(lock);
        idle.push_back(std::move(set));
    }
};

extern "C" pv_face_detector *pv_cv_faces_load(const char *directory, char *error, size_t error_size) {
    if (!directory) {
        pv::copyError("no directory", error, error_size);
        return nullptr;
    }
    return pv::loadOrReport([&] {
        auto detector = std::make_unique<pv_face_detector>();
        detector->directory = directory;
        detector->idle.push_back(loadSet(detector->directory));
        return detector.release();
    }, error, error_size);
}

extern "C" void pv_cv_faces_free(pv_face_detector *detector) { delete detector; }

extern "C" int pv_cv_faces_on_subject(const uint8_t *subject, int width, int height, int x, int y, int face_width,
                                      int face_height, int *head) {
    if (!subject || !head || width < 1 || height < 1 || face_width < 1 || face_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat mask = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(subject)) >= 128;
        *head = headOnShoulders(mask, cv::Rect(x, y, face_width, face_height)) ? 1 : 0;
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_faces_detect(pv_face_detector *detector, const uint8_t *rgb, int width, int height, size_t stride,
                                  int min_side, pv_face *faces, int capacity, int *count) {
    if (!detector || !rgb || !faces || !count || width < 24 || height < 24 || capacity < 0) return PV_CV_INVALID_ARGUMENT;
    *count = 0;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat grey, equalised;
        cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
        cv::equalizeHist(grey, equalised);
        const int smallest = std::max(24, min_side);
        const cv::Size minSize(smallest, smallest);
        const int largestSide = std::min(width, height);
        const cv::Size maxSize(largestSide, largestSide);

        std::unique_ptr<CascadeSet> set = detector->borrow();
        std::vector<Detection> found;
        int pass = 0;
        auto run = [&](cv::CascadeClassifier &cascade, const cv::Mat &input, Family family, bool mirrored) {
            cv::Mat source = input;
            if (mirrored) cv::flip(input, source, 1);
            std::vector<cv::Rect> boxes;
            std::vector<int> hits;
            cascade.detectMultiScale(source, boxes, hits, 1.05, 3, 0, minSize, maxSize);
            for (size_t i = 0; i < boxes.size(); ++i) {
                cv::Rect box = boxes[i];
                if (mirrored) box.x = width - box.x - box.width;
                found.push_back({box, hits[i], family, pass});
            }
            ++pass;
        };
        try {
            for (const cv::Mat *input : {&grey, &equalised}) {
                run(set->frontal, *input, kFrontal, false);
                run(set->alternative, *input, kAlternative, false);
            }
            // The profile passes cost twice the frontal ones: a face the frontal cascades are sure
            // of makes them moot for the crop (it goes below that face already), so they run
            // only without one.
            if (!anyStrong(found)) {
                for (const cv::Mat *input : {&grey, &equalised}) {
                    // The profile cascade knows faces turned one way: mirrored, it finds the other.
                    run(set->profile, *input, kProfile, false);
                    run(set->profile, *input, kProfile, true);
                }
            }
        } catch (...) {
            detector->giveBack(std::move(set));
            throw;
        }
        detector->giveBack(std::move(set));

        const std::vector<Cluster> clusters = cluster(found);
        std::vector<pv_face> accepted;
        for (const Cluster &c : clusters) {
            const bool sure = strong(c);
            if (!sure && !plausible(c)) continue;
            accepted.push_back(pv_face{c.box.x, c.box.y, c.box.width, c.box.height,
                                       std::max(c.frontal, c.alternative), c.profile, c.passCount(), sure ? 1 : 0});
        }
        std::sort(accepted.begin(), accepted.end(), [](const pv_face &a, const pv_face &b) {
            if (a.width * a.height != b.width * b.height) return a.width * a.height > b.width * b.height;
            return a.y != b.y ? a.y < b.y : a.x < b.x;
        });
        const int n = std::min<int>(capacity, int(accepted.size()));
        std::copy(accepted.begin(), accepted.begin() + n, faces);
        *count = n;
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
