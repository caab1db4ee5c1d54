// Landmarks of a person from a pose model's joints and a learned person mask. The joints say
// where shoulders, elbows, wrists, hips, knees and ankles are, whatever the pose (arms bent or
// against the body, a small face, a head the frame cuts off); the mask gives the widths. The
// torso's outline is the mask with each arm taken off along its joints, so an arm hanging
// against the body no longer widens the torso.
#include "copencv_vto.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tryon/shape.hpp"

using namespace pv::vto;

namespace {

cv::Point2d at(const pv_vto_point &p) { return {p.x, p.y}; }

double distance(const pv_vto_point &a, const pv_vto_point &b) { return std::hypot(a.x - b.x, a.y - b.y); }

// The width of the mask's run through `centre` perpendicular to `direction` (unit), searched
// up to `reach` pixels each way; 0 when `centre` is not on the mask.
double runAcross(const cv::Mat &mask, cv::Point2d centre, cv::Point2d direction, double reach) {
    const cv::Point2d normal(-direction.y, direction.x);
    auto on = [&](double t) {
        const int x = int(std::lround(centre.x + normal.x * t)), y = int(std::lround(centre.y + normal.y * t));
        return x >= 0 && y >= 0 && x < mask.cols && y < mask.rows && mask.at<uint8_t>(y, x);
    };
    if (!on(0)) return 0;
    double a = 0, b = 0;
    while (a < reach && on(a + 1)) ++a;
    while (b < reach && on(-(b + 1))) ++b;
    return a + b + 1;
}

}  // namespace

extern "C" int pv_cv_vto_person_posed(const uint8_t *rgb, size_t stride, const uint8_t *maskData, int width, int height,
                                      const pv_vto_skeleton *skeleton, int fx, int fy, int fw, int fh,
                                      double heightCm, double weightKg, pv_vto_person *out, uint8_t *silhouetteOut) {
    if (!rgb || !maskData || !skeleton || !out || width < 16 || height < 16 || fw < 2 || fh < 2) return PV_CV_INVALID_ARGUMENT;
    try {
        *out = pv_vto_person{};
        const pv_vto_skeleton &j = *skeleton;
        const cv::Rect frame(0, 0, width, height);
        const cv::Mat raw = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(maskData)) >= 128;

        const pv_vto_point shoulderMid = point((j.shoulder[0].x + j.shoulder[1].x) / 2, (j.shoulder[0].y + j.shoulder[1].y) / 2);
        const pv_vto_point hipMid = point((j.hip[0].x + j.hip[1].x) / 2, (j.hip[0].y + j.hip[1].y) / 2);
        const double span = distance(j.shoulder[0], j.shoulder[1]);
        const double torso = hipMid.y - shoulderMid.y;
        // Upright, facing the camera more or less: hips well below the shoulders, shoulders apart.
        if (span < 4 || torso < 0.8 * span || j.shoulder[0].x >= j.shoulder[1].x) return PV_CV_NO_SUBJECT;

        // The mask's component on the shoulders' middle (or the largest one), holes filled.
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(raw, labels, stats, centroids, 8, CV_32S);
        int label = 0;
        const cv::Point probe(std::clamp(int(shoulderMid.x), 0, width - 1), std::clamp(int(lerp(shoulderMid.y, hipMid.y, 0.3)), 0, height - 1));
        label = labels.at<int>(probe);
        for (int i = 1; label == 0 && i < n; ++i) {
            if (stats.at<int>(i, cv::CC_STAT_AREA) > (label ? stats.at<int>(label, cv::CC_STAT_AREA) : 0)) label = i;
        }
        if (label == 0) return PV_CV_NO_SUBJECT;
        // Holes the size of a speck are the mask's noise; larger ones (between an arm on the hip
        // and the waist) are background.
        cv::Mat body = labels == label;
        {
            const cv::Mat filled = fillHoles(body);
            cv::Mat holeLabels, holeStats, holeCentres;
            const cv::Mat holes = filled & ~body;
            const int count = cv::connectedComponentsWithStats(holes, holeLabels, holeStats, holeCentres, 8, CV_32S);
            const double speck = 0.002 * double(width) * height;
            for (int i = 1; i < count; ++i) {
                if (holeStats.at<int>(i, cv::CC_STAT_AREA) < speck) body.setTo(255, holeLabels == i);
            }
        }

        const double H = 1.35 * fh;  // crown to chin
        const double factor = widthFactor(heightCm, weightKg);
        const double chin = fy + 1.0 * fh;
        out->head_unit = H;
        out->heads_tall = headsTall(heightCm);
        out->width_factor = factor;
        out->chin_y = chin;

        // The torso's axis: from the shoulders' middle to the hips' middle, straight on below.
        auto axisAt = [&](double y) { return shoulderMid.x + (hipMid.x - shoulderMid.x) * (y - shoulderMid.y) / torso; };
        // The mask's run along row y through x.
        auto runAt = [&](const cv::Mat &mask, int y, double x) { return runThrough(mask, y, int(std::lround(x)), int(0.15 * span) + 1, 2); };

        // Shoulders: on the mask's top edge above each joint; hair lying there lifts the edge,
        // so an edge far above the joint is taken at the joint's usual depth below the skin.
        double shoulderTop = 0;
        for (int side = 0; side < 2; ++side) {
            const pv_vto_point joint = j.shoulder[side];
            const int x = std::clamp(int(std::lround(joint.x)), 0, width - 1);
            double top = joint.y - 0.1 * span;
            for (int y = std::max(0, int(joint.y - 0.45 * span)); y <= std::min(height - 1, int(joint.y)); ++y) {
                if (body.at<uint8_t>(y, x)) { top = y; break; }
            }
            if (top < joint.y - 0.22 * span) top = joint.y - 0.1 * span;
            out->shoulder[side] = point(joint.x, top);
            shoulderTop += top / 2;
        }
        out->shoulder_line_y = shoulderTop;
        // Deltoid to deltoid: the mask's width a little below the joints, within reason.
        {
            const double y = shoulderMid.y + 0.12 * span;
            const Run run = runAt(body, int(std::lround(y)), axisAt(y));
            const double measured = run.valid() ? run.width() : 0;
            out->shoulder_width = std::clamp(measured, 1.1 * span, 1.45 * span);
        }

        // Neck: the narrowest row between the chin and the shoulders, about half a face wide.
        double neckWidth = 1e9;
        for (int y = std::max(0, int(chin)); y < std::min(height, int(shoulderTop)); ++y) {
            const Run run = runAt(body, y, shoulderMid.x);
            if (run.valid() && run.width() < neckWidth) neckWidth = run.width();
        }
        if (neckWidth > 1e8) neckWidth = 0.55 * fw;
        out->neck_width = std::clamp(neckWidth, 0.4 * fw, 0.7 * fw);
        out->neck = point(axisAt(shoulderTop), std::max(chin + 0.1 * H, shoulderTop - 0.05 * H));

        // Arms along their joints: the upper arm's thickness from the mask where it stands free
        // of the torso, else an average arm's for these shoulders.
        for (int side = 0; side < 2; ++side) {
            const cv::Point2d shoulder = at(j.shoulder[side]), elbow = at(j.elbow[side]);
            const cv::Point2d middle = 0.5 * (shoulder + elbow);
            cv::Point2d direction = elbow - shoulder;
            const double length = std::max(1e-6, cv::norm(direction));
            direction *= 1 / length;
            const double across = runAcross(body, middle, direction, 0.6 * span);
            const double typical = 0.3 * span;
            out->arm_width[side] = across >= 0.6 * typical && across <= 1.5 * typical ? across : typical;
            out->elbow[side] = j.elbow[side];
            out->wrist[side] = j.wrist[side];
            out->hand[side] = j.hand[side];
            const double half = out->arm_width[side] / 2;
            cv::Point2d normal(-direction.y, direction.x);
            if ((side == 0 ? -1 : 1) * normal.x < 0) normal = -normal;
            out->arm_outer[side] = point(elbow.x + normal.x * half, elbow.y + normal.y * half);
            out->arm_inner[side] = point(elbow.x - normal.x * half, elbow.y - normal.y * half);
        }

        // The torso alone: the mask less each arm's capsule (upper arm, forearm, hand) below
        // the armpits; above them the deltoids are the torso's outline.
        const double armpitY = shoulderMid.y + 0.24 * torso;
        cv::Mat arms = cv::Mat::zeros(height, width, CV_8U);
        for (int side = 0; side < 2; ++side) {
            const double w = out->arm_width[side];
            const std::vector<std::pair<pv_vto_point, pv_vto_point>> bones = {
                {j.shoulder[side], j.elbow[side]}, {j.elbow[side], j.wrist[side]}, {j.wrist[side], j.hand[side]}};
            const std::vector<double> thickness = {w, 0.85 * w, 0.9 * w};
            for (size_t b = 0; b < bones.size(); ++b) {
                cv::line(arms, cv::Point(int(std::lround(bones[b].first.x)), int(std::lround(bones[b].first.y))),
                         cv::Point(int(std::lround(bones[b].second.x)), int(std::lround(bones[b].second.y))), cv::Scalar(255),
                         std::max(1, int(std::lround(thickness[b]))), cv::LINE_8);
            }
        }
        cv::Mat torsoMask = body.clone();
        {
            const int from = std::clamp(int(armpitY - 0.05 * span), 0, height);
            cv::Mat lower = torsoMask.rowRange(from, height);
            lower.setTo(0, arms.rowRange(from, height));
        }

        const double crotchPrior = hipMid.y + 0.2 * torso;
        const int top = int(std::lround(shoulderTop));
        const int bottom = int(std::lround(crotchPrior + 0.3 * torso));
        const int rows = std::max(2, bottom - top + 1);
        std::vector<double> left(rows, NAN), right(rows, NAN);
        std::vector<int> measured(rows, 0);
        for (int i = 0; i < rows; ++i) {
            const int y = top + i;
            if (y < 0 || y >= height) continue;
            const double axis = axisAt(y);
            const Run run = runAt(y < armpitY ? body : torsoMask, y, axis);
            if (!run.valid()) continue;
            // A run much wider than a body (hands joined in front, a bag) is not the torso.
            if (run.width() > 1.7 * span) continue;
            left[i] = run.left;
            right[i] = run.right;
            // Above the armpits a sleeve or an arm held close widens the run: the deltoids bound it.
            if (y < armpitY) {
                const double half = 0.5 * out->shoulder_width;
                left[i] = std::max(left[i], axis - half);
                right[i] = std::min(right[i], axis + half);
            }
            // Measured: both edges meet the background, not an arm.
            const bool freeLeft = run.left == 0 || !arms.at<uint8_t>(y, run.left - 1);
            const bool freeRight = run.right == width - 1 || !arms.at<uint8_t>(y, run.right + 1);
            measured[i] = freeLeft && freeRight;
        }
        int lastBodyRow = top;
        for (int y = std::max(0, top); y < height; ++y) {
            if (cv::countNonZero(body.row(y)) > 0) lastBodyRow = y;
        }
        out->runs_off_bottom = lastBodyRow >= height - 2 || cv::countNonZero(body.row(height - 1)) > fw / 2;
        // Unknown rows (off the frame, or too wide) from their neighbours, else the joints' width.
        for (auto *edges : {&left, &right}) {
            const bool isLeft = edges == &left;
            double last = NAN;
            for (int i = 0; i < rows; ++i) {
                if (!std::isnan((*edges)[i])) last = (*edges)[i] - axisAt(top + i);
                else if (!std::isnan(last)) (*edges)[i] = axisAt(top + i) + last;
            }
            for (int i = 0; i < rows; ++i) {
                if (std::isnan((*edges)[i])) (*edges)[i] = axisAt(top + i) + (isLeft ? -0.5 : 0.5) * span;
            }
        }
        const int radius = std::max(2, int(0.04 * torso));
        left = smoothProfile(left, radius);
        right = smoothProfile(right, radius);
        auto rowIndex = [&](double y) { return std::clamp(int(std::lround(y)) - top, 0, rows - 1); };

        // Waist: the narrowest row in the torso's lower middle; hips: the widest around the
        // hip joints.
        auto search = [&](double from, double to, bool narrowest) {
            double bestY = (from + to) / 2, best = narrowest ? 1e9 : -1;
            for (int y = int(from); y <= int(to); ++y) {
                const int i = rowIndex(y);
                const double w = right[i] - left[i];
                if (narrowest ? w < best : w > best) { best = w; bestY = y; }
            }
            return bestY;
        };
        const double waistY = search(shoulderMid.y + 0.5 * torso, shoulderMid.y + 0.8 * torso, true);
        const double hipY = search(std::max(waistY + 0.1 * torso, hipMid.y - 0.1 * torso), hipMid.y + 0.15 * torso, false);

        // Crotch: the first rows below the hips with background on the axis between two legs.
        double crotchY = crotchPrior;
        out->legs_seen = 0;
        const double kneeY = (j.knee[0].y + j.knee[1].y) / 2;
        for (int y = int(hipMid.y); y < std::min(height - 1, int(std::min(kneeY, crotchPrior + 0.4 * torso))); ++y) {
            const int x = int(std::lround(lerp(hipMid.x, (j.knee[0].x + j.knee[1].x) / 2, (y - hipMid.y) / std::max(1.0, kneeY - hipMid.y))));
            if (x < 1 || x >= width - 1 || body.at<uint8_t>(y, x) || body.at<uint8_t>(y, x - 1) || body.at<uint8_t>(y, x + 1)) continue;
            int gaps = 0;
            for (int d = 0; d < int(0.1 * torso); ++d) gaps += y + d < height && !body.at<uint8_t>(y + d, x);
            if (gaps >= int(0.08 * torso)) {
                crotchY = y;
                out->legs_seen = 1;
                break;
            }
        }

        auto edgesAt = [&](double y, int side) { return point(side == 0 ? left[rowIndex(y)] : right[rowIndex(y)], y); };
        const double chestY = shoulderMid.y + 0.33 * torso;
        for (int side = 0; side < 2; ++side) {
            out->armpit[side] = edgesAt(armpitY, side);
            out->chest[side] = edgesAt(chestY, side);
            out->waist[side] = edgesAt(waistY, side);
            out->hip[side] = edgesAt(hipY, side);
            // An arm stands apart when the mask shows background between its elbow and the torso.
            const double elbowY = j.elbow[side].y;
            const double edge = side == 0 ? left[rowIndex(elbowY)] : right[rowIndex(elbowY)];
            const double gap = (side == 0 ? edge - j.elbow[side].x : j.elbow[side].x - edge) - out->arm_width[side] / 2;
            out->arm_seen[side] = gap > 0.05 * span;
        }
        out->crotch = point(axisAt(crotchY), crotchY);
        for (int i = 0; i < PV_VTO_OUTLINE_ROWS; ++i) {
            const double y = lerp(top, crotchY, double(i) / (PV_VTO_OUTLINE_ROWS - 1));
            const int r = rowIndex(y);
            out->torso_y[i] = y;
            out->torso_left[i] = left[r];
            out->torso_right[i] = right[r];
            out->torso_measured[i] = measured[r];
        }

        // Legs: the joints, and each leg's width at the knee from the mask.
        const double hipHalf = 0.5 * (out->hip[1].x - out->hip[0].x);
        for (int side = 0; side < 2; ++side) {
            out->knee[side] = j.knee[side];
            out->ankle[side] = j.ankle[side];
            cv::Point2d direction = at(j.ankle[side]) - at(j.knee[side]);
            direction *= 1 / std::max(1e-6, cv::norm(direction));
            const double across = frame.contains(cv::Point(int(j.knee[side].x), int(j.knee[side].y)))
                ? runAcross(body, at(j.knee[side]), direction, hipHalf) : 0;
            out->leg_width[side] = across >= 0.4 * hipHalf && across <= 1.2 * hipHalf ? across : 0.75 * hipHalf;
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
