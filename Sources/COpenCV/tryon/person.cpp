// Landmarks of a standing person for the try-on, from the silhouette's width profile and the
// face's size. Proportions are in head units (crown to chin, from the face box); the silhouette
// then moves each landmark to what it shows: the neck is the narrowest row under the chin, the
// shoulders where the width reaches the deltoids, the waist the narrowest and the hips the widest
// torso rows near where the proportions put them. Where arms touch the torso, its edge is a
// colour edge near the expected width, or the expected width itself.
#include "copencv_vto.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tryon/shape.hpp"

using namespace pv::vto;

namespace {

struct Profile {
    std::vector<double> left, right;  // NaN where unknown
    std::vector<int> measured;
};

}  // namespace

extern "C" int pv_cv_vto_person(const uint8_t *rgb, size_t stride, const uint8_t *maskData, int width, int height,
                                int fx, int fy, int fw, int fh, double heightCm, double weightKg,
                                pv_vto_person *out, uint8_t *silhouetteOut) {
    if (!rgb || !maskData || !out || width < 16 || height < 16 || fw < 2 || fh < 2) return PV_CV_INVALID_ARGUMENT;
    try {
        *out = pv_vto_person{};
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        const cv::Mat raw = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(maskData)) >= 128;

        // The component under the face, holes filled.
        cv::Mat labels;
        cv::connectedComponents(raw, labels, 8, CV_32S);
        const cv::Rect core = cv::Rect(fx + fw / 5, fy + fh / 5, std::max(1, fw * 3 / 5), std::max(1, fh * 3 / 5)) &
                              cv::Rect(0, 0, width, height);
        std::vector<int> votes;
        for (int y = core.y; y < core.br().y; ++y) {
            for (int x = core.x; x < core.br().x; ++x) {
                const int label = labels.at<int>(y, x);
                if (label > 0) {
                    if (int(votes.size()) <= label) votes.resize(label + 1, 0);
                    ++votes[label];
                }
            }
        }
        int label = 0;
        if (fy < 0 || core.empty() || votes.empty()) {
            // The face lies above the frame (a head cut off): the component at the top centre.
            const int x = std::clamp(fx + fw / 2, 0, width - 1);
            for (int y = 0; y < height / 4 && label == 0; ++y) label = labels.at<int>(y, x);
            if (label == 0) return PV_CV_NO_SUBJECT;
        } else {
            label = int(std::max_element(votes.begin(), votes.end()) - votes.begin());
            if (votes[label] < core.area() / 5) return PV_CV_NO_SUBJECT;
        }
        cv::Mat body = fillHoles(labels == label);

        const double H = 1.35 * fh;  // crown to chin
        const double heads = headsTall(heightCm);
        const double k = (heads - 1) / 6.5;  // body below the chin, against an adult's
        const double factor = widthFactor(heightCm, weightKg);
        const double chin = fy + 1.0 * fh;
        const int cx = fx + fw / 2;
        out->head_unit = H;
        out->heads_tall = heads;
        out->width_factor = factor;
        out->chin_y = chin;

        // A body continues well below the chin.
        int bodyRows = 0;
        for (int y = int(chin); y < std::min(height, int(chin + 1.5 * H)); ++y) {
            if (runThrough(body, y, cx, fw / 2, 2).width() >= fw) ++bodyRows;
        }
        if (bodyRows < 0.5 * H) return PV_CV_NO_SUBJECT;

        auto widthAt = [&](int y) { return double(runThrough(body, y, cx, fw / 2, 2).width()); };

        // Neck: the narrowest row under the chin.
        int neckY = int(chin);
        double neckWidth = 1e9;
        for (int y = int(chin); y < std::min(height, int(chin + 0.55 * H * k + 1)); ++y) {
            const double w = widthAt(y);
            if (w > 0 && w < neckWidth) { neckWidth = w; neckY = y; }
        }
        // Hair beside the neck widens the silhouette there: a neck is about half a face wide.
        if (neckWidth > 1e8) neckWidth = 0.55 * fw;
        neckWidth = std::clamp(neckWidth, 0.4 * fw, 0.7 * fw);

        // Shoulders: where the width first reaches most of the widest row just below.
        // (Within a head height of the neck: arms held out or akimbo are wider lower down.)
        double reference = 0;
        for (int y = neckY + int(0.2 * H); y < std::min(height, neckY + int(0.7 * H)); ++y) reference = std::max(reference, widthAt(y));
        int shoulderY = neckY + int(0.35 * H);
        for (int y = neckY; y < std::min(height, neckY + int(0.7 * H)); ++y) {
            if (widthAt(y) >= 0.85 * reference) { shoulderY = y; break; }
        }
        double shoulderWidth = 0;
        for (int y = shoulderY; y < std::min(height, shoulderY + int(0.25 * H) + 1); ++y) shoulderWidth = std::max(shoulderWidth, widthAt(y));
        const double priorShoulders = 2.75 * fw * std::sqrt(factor);
        if (shoulderWidth < 1.8 * fw) shoulderWidth = priorShoulders;
        // Upper arms held out or akimbo widen the shoulder rows: past 2.9 face widths it is arms.
        shoulderWidth = std::min(shoulderWidth, 2.9 * fw * std::sqrt(factor));
        const double S = shoulderWidth / 2;
        out->neck_width = neckWidth;
        out->shoulder_line_y = shoulderY;
        out->shoulder_width = shoulderWidth;

        // Shoulder joints: 80% of the deltoids' half-width out, on the silhouette's top edge.
        for (int side = 0; side < 2; ++side) {
            const double sign = side == 0 ? -1 : 1;
            const int x = std::clamp(int(std::lround(cx + sign * 0.80 * S)), 0, width - 1);
            double top = shoulderY;
            const int from = std::max(0, neckY - int(0.3 * H));
            if (!body.at<uint8_t>(from, x)) {
                for (int y = from; y < std::min(height, shoulderY + int(0.5 * H)); ++y) {
                    if (body.at<uint8_t>(y, x)) { top = y; break; }
                }
            }
            // Hair over a shoulder raises the silhouette: keep the joint near the shoulder line.
            top = std::clamp(top, shoulderY - 0.15 * H, shoulderY + 0.35 * H);
            out->shoulder[side] = point(x, top);
        }
        // Hair on one side only: the lower (true) shoulder wins when they disagree by much.
        if (std::abs(out->shoulder[0].y - out->shoulder[1].y) > 0.2 * H) {
            const double lower = std::max(out->shoulder[0].y, out->shoulder[1].y);
            out->shoulder[0].y = out->shoulder[1].y = lower - 0.05 * H;
        }
        // Each joint on the silhouette: the nearest body pixel, if it is not on it already.
        for (int side = 0; side < 2; ++side) {
            pv_vto_point &p = out->shoulder[side];
            const int px = std::clamp(int(std::lround(p.x)), 0, width - 1), py = std::clamp(int(std::lround(p.y)), 0, height - 1);
            if (body.at<uint8_t>(py, px)) continue;
            const int reach = std::max(2, int(0.4 * H));
            double best = 1e18;
            for (int y = std::max(0, py - reach); y <= std::min(height - 1, py + reach); ++y) {
                for (int x = std::max(0, px - reach); x <= std::min(width - 1, px + reach); ++x) {
                    if (!body.at<uint8_t>(y, x)) continue;
                    const double d = double(x - px) * (x - px) + double(y - py) * (y - py);
                    if (d < best) { best = d; p = point(x, y); }
                }
            }
        }
        const double shoulderTop = 0.5 * (out->shoulder[0].y + out->shoulder[1].y);
        out->neck = point(cx, std::max(chin + 0.1 * H, shoulderTop - 0.05 * H));

        // Levels from the proportions, refined below.
        const double armpitY = shoulderTop + 0.55 * H * k;
        const double chestY = shoulderTop + 0.75 * H * k;
        const double waistPrior = chin + 1.75 * H * k;
        const double hipPrior = chin + 2.7 * H * k;
        const double crotchPrior = chin + 3.05 * H * k;
        const std::vector<double> levels = {double(shoulderY), armpitY, chestY, waistPrior, hipPrior, crotchPrior};
        const std::vector<double> expected = {0.95 * S, 0.8 * S, 0.77 * S * factor, 0.66 * S * factor, 0.82 * S * factor,
                                              0.8 * S * factor};

        // Torso edges row by row, from the shoulder line down to below the crotch.
        const int top = shoulderY;
        const int bottom = int(crotchPrior + 0.3 * H);
        const int rows = bottom - top + 1;
        Profile profile{std::vector<double>(rows, NAN), std::vector<double>(rows, NAN), std::vector<int>(rows, 0)};
        cv::Mat lab;
        {
            cv::Mat blurred;
            cv::GaussianBlur(image, blurred, cv::Size(), std::max(1.0, fw / 24.0));
            cv::cvtColor(blurred, lab, cv::COLOR_RGB2Lab);
            lab.convertTo(lab, CV_32FC3);
        }
        int axisGuess = cx;
        cv::Mat lab8;
        cv::cvtColor(image, lab8, cv::COLOR_RGB2Lab);
        // (A face the frame cuts off leaves too little of it to model skin on.)
        const SkinModel skinModel(lab8, fy >= 0 ? cv::Rect(fx, fy, fw, fh) : cv::Rect());
        const cv::Mat skin = skinModel.mask(lab8, body);
        // A collar higher than the shoulders' line: where the neck's skin ends under the chin.
        if (skinModel.valid && fy >= 0) {
            const int x0 = std::max(0, int(cx - 0.15 * fw)), x1 = std::min(width, int(cx + 0.15 * fw) + 1);
            bool seen = false;
            for (int y = int(chin); y < std::min(height, int(out->neck.y)) && x1 > x0; ++y) {
                const double share = cv::countNonZero(skin.row(y).colRange(x0, x1)) / double(x1 - x0);
                if (share >= 0.6) seen = true;
                else if (seen && share < 0.3 && y > chin + 0.15 * H) {
                    out->neck.y = y;
                    break;
                }
            }
        }
        // A bare arm along the torso's side: skin from the silhouette's edge inwards, an arm's
        // width of it, then clothing. Returns the arm's inner edge, or -1.
        auto bareArmEdge = [&](int y, int edge, double sign, double e) {
            const uint8_t *row = skin.ptr<uint8_t>(y);
            const uint8_t *inBody = body.ptr<uint8_t>(y);
            int inner = -1, misses = 0;
            for (int d = 0; d < int(1.3 * fw); ++d) {
                const int x = int(edge - sign * d);
                if (x < 0 || x >= width || !inBody[x]) break;
                if (sign * (x - axisGuess) < 0.3 * e) break;
                if (row[x]) { inner = x; misses = 0; }
                else if (inner < 0 && d > 2) return -1;  // no skin at the edge
                else if (++misses > 2) break;
            }
            if (inner < 0) return -1;
            const double armWidth = std::abs(edge - inner) + 1;
            if (armWidth < 0.2 * fw || armWidth > 1.1 * fw) return -1;
            if (sign * (inner - axisGuess) < 0.5 * e) return -1;
            return int(inner - sign);
        };
        auto colourStep = [&](int y, int x) {
            if (x < 2 || x >= width - 2) return 0.0;
            const cv::Vec3f a = lab.at<cv::Vec3f>(y, x - 2), b = lab.at<cv::Vec3f>(y, x + 2);
            return double(cv::norm(a - b));
        };
        // The body's axis starts at the middle of the shoulders' row, not under the face: a head
        // turned or tilted sits off it.
        int axis = cx;
        {
            const Run shoulders = runThrough(body, shoulderY, cx, fw / 2, 2);
            if (shoulders.valid() && std::abs(shoulders.centre() - cx) < 0.5 * fw) axis = int(std::lround(shoulders.centre()));
        }
        int lastBodyRow = top;
        for (int i = 0; i < rows; ++i) {
            const int y = top + i;
            const double e = interpolate(levels, expected, y);
            if (y >= height) continue;
            const Run run = runThrough(body, y, axis, int(0.3 * S), 2);
            if (!run.valid()) continue;
            axisGuess = axis;
            lastBodyRow = y;
            int measuredSides = 0;
            for (int side = 0; side < 2; ++side) {
                const double sign = side == 0 ? -1 : 1;
                const double edge = side == 0 ? run.left : run.right;
                const double half = sign * (edge - axis);
                double chosen = NAN;
                const int bare = y > armpitY - 0.15 * H ? bareArmEdge(y, int(edge), sign, e) : -1;
                if (bare >= 0) {
                    chosen = bare;
                    ++measuredSides;
                } else if (half <= 1.12 * e && half >= 0.45 * e) {
                    chosen = edge;
                    ++measuredSides;
                } else if (half > 1.12 * e) {
                    // An arm (or a hand) lies against the torso: take the strongest colour step
                    // near the expected edge if there is a clear one.
                    double best = 0;
                    int bestX = -1;
                    for (double h = 0.75 * e; h <= 1.15 * e; h += 1) {
                        const int x = int(std::lround(axis + sign * h));
                        const double step = colourStep(y, x);
                        if (step > best) { best = step; bestX = x; }
                    }
                    if (best > 14 && bestX >= 0) chosen = bestX;
                }
                // An edge in a gap (between a bent arm and the waist) moves in onto the body.
                if (!std::isnan(chosen)) {
                    int x = std::clamp(int(std::lround(chosen)), 0, width - 1);
                    while (!body.at<uint8_t>(y, x) && sign * (x - axis) > 0) x -= int(sign);
                    chosen = x;
                }
                (side == 0 ? profile.left : profile.right)[i] = chosen;
            }
            profile.measured[i] = measuredSides == 2;
            // The axis follows the torso where both of its edges show.
            if (measuredSides == 2 && y > armpitY) axis = int(std::lround(0.7 * axis + 0.3 * run.centre()));
        }
        out->runs_off_bottom = lastBodyRow >= height - 2 || cv::countNonZero(body.row(height - 1)) > fw / 2;

        // Fill unknown edges from the expected widths around the axis, then smooth.
        std::vector<double> axisAt(rows);
        {
            std::vector<double> centres(rows, NAN);
            for (int i = 0; i < rows; ++i) {
                if (profile.measured[i]) centres[i] = 0.5 * (profile.left[i] + profile.right[i]);
            }
            double lastCentre = cx;
            for (int i = 0; i < rows; ++i) {
                if (!std::isnan(centres[i])) lastCentre = centres[i];
                axisAt[i] = lastCentre;
            }
            axisAt = smoothProfile(axisAt, std::max(2, int(0.3 * H)));
        }
        for (int i = 0; i < rows; ++i) {
            const double e = interpolate(levels, expected, top + i);
            if (std::isnan(profile.left[i])) profile.left[i] = axisAt[i] - e;
            if (std::isnan(profile.right[i])) profile.right[i] = axisAt[i] + e;
        }
        const int radius = std::max(2, int(0.08 * H));
        std::vector<double> left = smoothProfile(profile.left, radius), right = smoothProfile(profile.right, radius);
        // Estimated edges too: in a gap between an arm and the waist, in onto the body.
        for (int i = 0; i < rows; ++i) {
            const int y = top + i;
            if (y >= height) continue;
            for (int side = 0; side < 2; ++side) {
                double &edge = side == 0 ? left[i] : right[i];
                const double sign = side == 0 ? -1 : 1;
                int x = std::clamp(int(std::lround(edge)), 0, width - 1);
                const int middle = std::clamp(int(std::lround(axisAt[i])), 0, width - 1);
                while (!body.at<uint8_t>(y, x) && sign * (x - middle) > 0) x -= int(sign);
                // (Only onto the body: a row with none of it between edge and axis stays.)
                if (x != int(std::lround(edge)) && body.at<uint8_t>(y, x) && std::abs(x - middle) > 0.3 * S) edge = x;
            }
        }
        auto rowIndex = [&](double y) { return std::clamp(int(std::lround(y)) - top, 0, rows - 1); };

        // Waist: the narrowest measured row near the proportions' waist; hips: the widest below.
        auto search = [&](double from, double to, bool narrowest, double fallback) {
            double bestY = fallback, best = narrowest ? 1e9 : -1;
            int seen = 0, total = 0;
            for (int y = int(from); y <= int(to); ++y) {
                const int i = rowIndex(y);
                if (y < top || y > bottom || y >= height) continue;
                ++total;
                if (!profile.measured[i]) continue;
                ++seen;
                const double w = right[i] - left[i];
                if (narrowest ? w < best : w > best) { best = w; bestY = y; }
            }
            return total > 0 && seen >= 0.3 * total ? bestY : fallback;
        };
        const double waistY = search(waistPrior - 0.4 * H * k, waistPrior + 0.4 * H * k, true, waistPrior);
        const double hipY = search(std::max(waistY + 0.4 * H * k, hipPrior - 0.4 * H * k), hipPrior + 0.3 * H * k, false, hipPrior);

        // Crotch: the first row below the hips where the axis is background between two legs.
        double crotchY = std::max(crotchPrior, hipY + 0.2 * H * k);
        out->legs_seen = 0;
        for (int y = int(hipY + 0.05 * H); y < std::min(height - 1, int(crotchPrior + 0.8 * H * k)); ++y) {
            const int x = int(std::lround(axisAt[rowIndex(y)]));
            if (x < 2 || x >= width - 2) continue;
            const bool gap = !body.at<uint8_t>(y, x) && !body.at<uint8_t>(y, x - 1) && !body.at<uint8_t>(y, x + 1);
            if (!gap) continue;
            const Run l = runThrough(body, y, x - int(0.35 * S), int(0.3 * S), 1);
            const Run r = runThrough(body, y, x + int(0.35 * S), int(0.3 * S), 1);
            if (l.valid() && r.valid() && l.right < x && r.left > x) {
                // Several gap rows in a row: not a fold of a skirt.
                int gaps = 0;
                for (int d = 0; d < int(0.15 * H); ++d) {
                    if (y + d < height && !body.at<uint8_t>(y + d, x)) ++gaps;
                }
                if (gaps >= int(0.12 * H)) {
                    crotchY = y;
                    out->legs_seen = 1;
                    break;
                }
            }
        }

        auto edgesAt = [&](double y, int side) {
            const int i = rowIndex(y);
            return point(side == 0 ? left[i] : right[i], y);
        };
        for (int side = 0; side < 2; ++side) {
            out->armpit[side] = edgesAt(armpitY, side);
            out->chest[side] = edgesAt(chestY, side);
            out->waist[side] = edgesAt(waistY, side);
            out->hip[side] = edgesAt(hipY, side);
        }
        out->crotch = point(axisAt[rowIndex(crotchY)], crotchY);
        for (int i = 0; i < PV_VTO_OUTLINE_ROWS; ++i) {
            const double y = lerp(top, crotchY, double(i) / (PV_VTO_OUTLINE_ROWS - 1));
            const int r = rowIndex(y);
            out->torso_y[i] = y;
            out->torso_left[i] = left[r];
            out->torso_right[i] = right[r];
            out->torso_measured[i] = profile.measured[r];
        }

        // Arms: silhouette pixels beside the torso between the shoulders and the crotch.
        for (int side = 0; side < 2; ++side) {
            const double sign = side == 0 ? -1 : 1;
            const pv_vto_point shoulder = out->shoulder[side];
            std::vector<cv::Point> pixels;
            const int from = int(shoulderTop + 0.15 * H), to = std::min(height - 1, int(crotchY));
            for (int y = std::max(0, from); y <= to; ++y) {
                const int i = rowIndex(y);
                const double edge = side == 0 ? left[i] : right[i];
                const int x0 = side == 0 ? std::max(0, int(edge - 2.2 * S)) : int(edge + 2);
                const int x1 = side == 0 ? int(edge - 2) : std::min(width - 1, int(edge + 2.2 * S));
                const uint8_t *row = body.ptr<uint8_t>(y);
                for (int x = std::max(0, x0); x <= std::min(width - 1, x1); ++x) {
                    if (row[x]) pixels.emplace_back(x, y);
                }
            }
            const double area = double(pixels.size());
            out->arm_seen[side] = area > 0.4 * fw * fw;
            double dx = sign * 0.15, dy = 1;
            double armWidth = 0.5 * fw;
            if (out->arm_seen[side]) {
                // Direction: from the shoulder to the upper arm's pixels.
                double sx = 0, sy = 0;
                int n = 0;
                for (const cv::Point &p : pixels) {
                    if (p.y >= shoulderTop + 0.4 * H && p.y <= shoulderTop + 1.3 * H * k) { sx += p.x; sy += p.y; ++n; }
                }
                if (n > 0) {
                    dx = sx / n - shoulder.x;
                    dy = sy / n - shoulder.y;
                }
                // Thickness: the median run of arm pixels per row.
                std::vector<int> runs;
                for (int y = int(shoulderTop + 0.5 * H); y < int(shoulderTop + 1.2 * H * k) && y < height; ++y) {
                    int count = 0;
                    for (const cv::Point &p : pixels) count += p.y == y;
                    if (count > 0) runs.push_back(count);
                }
                if (!runs.empty()) {
                    std::nth_element(runs.begin(), runs.begin() + runs.size() / 2, runs.end());
                    armWidth = std::clamp(double(runs[runs.size() / 2]), 0.3 * fw, 0.9 * fw);
                }
            }
            const double length = std::hypot(dx, dy);
            dx /= length;
            dy /= length;
            if (dy < 0.2) {  // an arm raised above the horizontal: not a pose the try-on models
                dy = 0.2;
                const double l = std::hypot(dx, dy);
                dx /= l;
                dy /= l;
            }
            out->arm_width[side] = armWidth;
            const double upper = 1.4 * H * k, fore = 1.15 * H * k;
            out->elbow[side] = point(shoulder.x + dx * upper, shoulder.y + dy * upper);
            // The forearm: towards the farthest arm pixels beyond the elbow, else straight on.
            double ex = dx, ey = dy;
            if (out->arm_seen[side]) {
                double sx = 0, sy = 0;
                int n = 0;
                for (const cv::Point &p : pixels) {
                    const double along = (p.x - shoulder.x) * dx + (p.y - shoulder.y) * dy;
                    if (along > upper + 0.3 * H) { sx += p.x; sy += p.y; ++n; }
                }
                if (n > 0.1 * fw * fw) {
                    ex = sx / n - out->elbow[side].x;
                    ey = sy / n - out->elbow[side].y;
                    const double l = std::hypot(ex, ey);
                    if (l > 1e-6) { ex /= l; ey /= l; } else { ex = dx; ey = dy; }
                }
            }
            out->wrist[side] = point(out->elbow[side].x + ex * fore, out->elbow[side].y + ey * fore);
            // The hand: on past the wrist by about 0.6 head heights.
            out->hand[side] = point(out->wrist[side].x + ex * 0.6 * H, out->wrist[side].y + ey * 0.6 * H);
            // Edges at the elbow: perpendicular to the upper arm, outer away from the axis.
            double px = -dy, py = dx;
            if (px * sign < 0) { px = -px; py = -py; }
            out->arm_outer[side] = point(out->elbow[side].x + px * armWidth / 2, out->elbow[side].y + py * armWidth / 2);
            out->arm_inner[side] = point(out->elbow[side].x - px * armWidth / 2, out->elbow[side].y - py * armWidth / 2);
        }

        // Legs: knees and ankles from the proportions; their centres from the silhouette when
        // the legs show apart.
        const double hipHalf = 0.5 * (out->hip[1].x - out->hip[0].x);
        const double kneeY = crotchY + 1.9 * H * k, ankleY = crotchY + 3.6 * H * k;
        for (int side = 0; side < 2; ++side) {
            const double sign = side == 0 ? -1 : 1;
            const double axisX = out->crotch.x;
            out->knee[side] = point(axisX + sign * 0.42 * hipHalf, kneeY);
            out->ankle[side] = point(axisX + sign * 0.38 * hipHalf, ankleY);
            out->leg_width[side] = 0.75 * hipHalf;
            if (!out->legs_seen) continue;
            for (pv_vto_point *p : {&out->knee[side], &out->ankle[side]}) {
                const int y = int(std::lround(p->y));
                if (y >= height) continue;
                const Run run = runThrough(body, y, int(std::lround(p->x)), int(0.3 * hipHalf), 1);
                if (run.valid() && run.width() < 1.2 * hipHalf && (side == 0 ? run.right <= axisX + 2 : run.left >= axisX - 2)) {
                    p->x = run.centre();
                    if (p == &out->knee[side]) out->leg_width[side] = run.width();
                }
            }
        }

        if (silhouetteOut) {
            cv::Mat target(height, width, CV_8U, silhouetteOut);
            body.copyTo(target);
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_headless(const uint8_t *rgb, size_t stride, const uint8_t *maskData, int width, int height,
                                  int *faceX, int *faceY, int *faceWidth, int *faceHeight) {
    if (!rgb || !maskData || !faceX || !faceY || !faceWidth || !faceHeight || width < 16 || height < 16) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        const cv::Mat raw = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(maskData)) >= 128;
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(raw, labels, stats, centroids, 8, CV_32S);
        int largest = 0;
        for (int i = 1; i < n; ++i) {
            if (largest == 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(largest, cv::CC_STAT_AREA)) largest = i;
        }
        if (largest == 0) return PV_CV_NO_SUBJECT;
        const cv::Mat body = fillHoles(labels == largest);
        const cv::Rect box = cv::boundingRect(body);
        // Enters through the top edge, and stands tall in the frame.
        // (The cutout models the backdrop from the border, so a chin on the edge may lose a row or two.)
        if (box.y > std::max(2, height / 20) || box.height < 0.6 * height) return PV_CV_NO_SUBJECT;
        const int first = box.y;
        const std::vector<Run> topRuns = runsOf(body, first + 1, 2, 3);
        if (topRuns.empty()) return PV_CV_NO_SUBJECT;
        const Run top = *std::max_element(topRuns.begin(), topRuns.end(), [](const Run &a, const Run &b) { return a.width() < b.width(); });
        const int cx = int(top.centre());

        // Shoulders: the widest row in the upper quarter of the silhouette, and the first row to
        // reach most of it.
        double widest = 0;
        const int upper = box.y + box.height / 4;
        for (int y = first; y < upper; ++y) widest = std::max(widest, double(runThrough(body, y, cx, top.width() / 2, 2).width()));
        int shoulderY = -1;
        for (int y = first; y < upper; ++y) {
            if (runThrough(body, y, cx, top.width() / 2, 2).width() >= 0.85 * widest) { shoulderY = y; break; }
        }
        if (shoulderY < 0) return PV_CV_NO_SUBJECT;
        double topWidth = 0;
        for (int y = first; y < first + 4; ++y) topWidth += runThrough(body, y, cx, top.width() / 2, 2).width() / 4.0;
        if (widest < 1.3 * topWidth || box.height < 1.5 * widest) return PV_CV_NO_SUBJECT;

        // A chin or a neck at the top: skin-coloured pixels in the top rows' run.
        cv::Mat lab;
        cv::cvtColor(image(cv::Rect(0, 0, width, std::max(1, std::min(height, shoulderY + 1)))), lab, cv::COLOR_RGB2Lab);
        int skin = 0, total = 0;
        for (int y = first; y < lab.rows; ++y) {
            const Run run = runThrough(body, y, cx, top.width() / 2, 2);
            for (int x = std::max(0, run.left); run.valid() && x <= run.right; ++x) {
                const cv::Vec3b p = lab.at<cv::Vec3b>(y, x);
                const double l = p[0] * 100.0 / 255, a = p[1] - 128.0, b = p[2] - 128.0;
                ++total;
                if (l > 15 && l < 92 && a > 3 && a < 32 && b > 5 && b < 40) ++skin;
            }
        }
        if (total == 0 || skin < 0.15 * total) return PV_CV_NO_SUBJECT;

        // The face the proportions put there: its width from the shoulders' (deltoid to deltoid
        // about 2.75 face widths), its chin that far above the shoulder line.
        const double fw = widest / 2.75;
        const double chin = shoulderY - 0.4 * 1.35 * fw;
        *faceWidth = int(std::lround(fw));
        *faceHeight = int(std::lround(fw));
        *faceX = int(std::lround(cx - fw / 2));
        *faceY = int(std::lround(chin - fw));
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_person_mask(const uint8_t *rgb, size_t stride, uint8_t *maskData, int width, int height,
                                     int fx, int fy, int fw, int fh, int *repaired) {
    if (!rgb || !maskData || !repaired || width < 16 || height < 16 || fw < 2 || fh < 2) return PV_CV_INVALID_ARGUMENT;
    try {
        *repaired = 0;
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        cv::Mat mask(height, width, CV_8U, maskData);
        const double H = 1.35 * fh;
        const double chin = fy + fh;
        const int cx = fx + fw / 2;
        const cv::Rect frame(0, 0, width, height);
        // The middle of the torso: a standing person is there whatever they wear.
        const cv::Rect strip = cv::Rect(int(cx - 0.3 * fw), int(chin + 0.6 * H), std::max(2, int(0.6 * fw)), int(1.8 * H)) & frame;
        if (strip.area() < 16) return PV_CV_OK;
        const double covered = cv::countNonZero(mask(strip) >= 128) / double(strip.area());
        if (covered >= 0.9) return PV_CV_OK;

        cv::Mat seeds(height, width, CV_8U, cv::Scalar(cv::GC_PR_BGD));
        // Likely person: the old mask, and a body-shaped region below the face.
        seeds.setTo(cv::GC_PR_FGD, mask >= 128);
        std::vector<cv::Point> body = {
            {int(cx - 0.6 * fw), int(chin)}, {int(cx + 0.6 * fw), int(chin)},
            {int(cx + 1.6 * fw), int(chin + 0.5 * H)}, {int(cx + 1.5 * fw), height - 1},
            {int(cx - 1.5 * fw), height - 1}, {int(cx - 1.6 * fw), int(chin + 0.5 * H)}};
        cv::fillPoly(seeds, std::vector<std::vector<cv::Point>>{body}, cv::Scalar(cv::GC_PR_FGD));
        // Certain person: the face's middle and the torso's middle.
        const cv::Rect faceCore = cv::Rect(fx + fw / 4, fy + fh / 4, std::max(1, fw / 2), std::max(1, fh / 2)) & frame;
        if (!faceCore.empty()) seeds(faceCore).setTo(cv::GC_FGD);
        seeds(strip).setTo(cv::GC_FGD);
        // Certain background: the frame's sides, away from the body.
        const int side = std::max(2, width / 50);
        for (const cv::Rect &edge : {cv::Rect(0, 0, side, height), cv::Rect(width - side, 0, side, height)}) {
            cv::Mat region = seeds(edge);
            region.setTo(cv::GC_BGD, mask(edge) < 128);
        }
        if (fy > 2 * side) {
            cv::Mat region = seeds(cv::Rect(0, 0, width, side));
            region.setTo(cv::GC_BGD, mask(cv::Rect(0, 0, width, side)) < 128);
        }
        cv::Mat background, foreground;
        cv::theRNG().state = 0x9E3779B97F4A7C15ULL;
        cv::grabCut(image, seeds, cv::Rect(), background, foreground, 4, cv::GC_INIT_WITH_MASK);
        cv::Mat person = (seeds == cv::GC_FGD) | (seeds == cv::GC_PR_FGD);
        cv::morphologyEx(person, person, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
        mask.setTo(0);
        mask.setTo(255, person);
        *repaired = 1;
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
