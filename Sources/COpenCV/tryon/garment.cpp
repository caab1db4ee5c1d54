// A garment's category and landmarks from its cutout's shape: two legs make trousers, a flat
// waistband with no neckline a skirt (or a tube top when short, a strapless dress when long),
// a neckline or straps a top, long enough a dress, long sleeves with a centre opening outerwear.
// Landmarks follow from the width profile (the body's run through the centre line), the top
// contour (neckline, shoulders) and the sleeve pixels beside the body.
#include "copencv_vto.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tryon/shape.hpp"

using namespace pv::vto;

namespace {

double medianOf(std::vector<double> values, double fallback) {
    values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v) || v <= 0; }), values.end());
    if (values.empty()) return fallback;
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
}

// Sleeves laid against the body in the product photo (arms down) make one silhouette with it,
// so its outline shows no sleeves beside the body. Where they hang past the body's hem, its
// bottom edge does: from the hem in the middle it steps down, each side, to a cuff. The columns
// of those steps are the body's sides; nothing when the bottom edge shows no such pair of steps.
std::optional<std::array<int, 2>> sleeveStepsBelowHem(const cv::Mat &mask, const cv::Rect &B, int cx) {
    const double W = B.width, H = B.height;
    std::vector<double> bottom(mask.cols, NAN);
    for (int x = B.x; x < B.br().x; ++x) {
        for (int y = B.br().y - 1; y >= B.y; --y) {
            if (mask.at<uint8_t>(y, x)) { bottom[x] = y; break; }
        }
    }
    std::vector<double> middle;
    for (int x = int(cx - 0.1 * W); x <= int(cx + 0.1 * W); ++x) if (x >= 0 && x < mask.cols) middle.push_back(bottom[x]);
    const double hem = medianOf(middle, NAN);
    // Low in the shape: the middle of trousers ends at the crotch, between two legs.
    if (std::isnan(hem) || hem < B.y + 0.75 * H) return std::nullopt;
    const double drop = 0.04 * H;
    const int stepWidth = std::max(2, int(0.02 * W));
    std::array<int, 2> steps{};
    for (int side = 0; side < 2; ++side) {
        const int sign = side == 0 ? -1 : 1;
        int step = -1;
        for (int d = int(0.15 * W); d <= int(0.42 * W) && step < 0; ++d) {
            const int x = cx + sign * d, inside = x - sign * stepWidth;
            if (x < B.x || x >= B.br().x) break;
            if (std::isnan(bottom[x]) || bottom[x] <= hem + drop) continue;
            // The first column below the hem decides: a hem curving down is a slope, not a step.
            if (std::isnan(bottom[inside]) || bottom[inside] > hem + 0.5 * drop) return std::nullopt;
            // The cuff: most columns from here to the side hang below the hem.
            int below = 0, total = 0;
            for (int c = x; c >= B.x && c < B.br().x; c += sign, ++total) if (bottom[c] > hem + 0.5 * drop) ++below;
            if (total < 0.08 * W || below < 0.6 * total) return std::nullopt;
            step = x - sign * stepWidth / 2;
        }
        if (step < 0) return std::nullopt;
        steps[side] = step;
    }
    if (std::abs((cx - steps[0]) - (steps[1] - cx)) > 0.1 * W) return std::nullopt;
    return steps;
}

}  // namespace

extern "C" int pv_cv_vto_garment(const uint8_t *rgb, size_t stride, const uint8_t *maskData, int width, int height,
                                 int forced, pv_vto_garment *out, uint8_t *cleanedOut) {
    if (!rgb || !maskData || !out || width < 16 || height < 16 || forced < -1 || forced > 3) return PV_CV_INVALID_ARGUMENT;
    try {
        *out = pv_vto_garment{};
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        const cv::Mat raw = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(maskData)) >= 128;
        const double frame = double(width) * height;
        if (cv::countNonZero(raw) > 0.97 * frame) return PV_CV_NO_SUBJECT;

        // The largest piece, with pieces of a fair size that overlap its box (a detached strap).
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(raw, labels, stats, centroids, 8, CV_32S);
        int largest = 0;
        for (int i = 1; i < n; ++i) {
            if (largest == 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(largest, cv::CC_STAT_AREA)) largest = i;
        }
        if (largest == 0 || stats.at<int>(largest, cv::CC_STAT_AREA) < 0.02 * frame) return PV_CV_NO_SUBJECT;
        const cv::Rect mainBox(stats.at<int>(largest, 0), stats.at<int>(largest, 1), stats.at<int>(largest, 2), stats.at<int>(largest, 3));
        cv::Mat mask = labels == largest;
        for (int i = 1; i < n; ++i) {
            if (i == largest || stats.at<int>(i, cv::CC_STAT_AREA) < 0.03 * stats.at<int>(largest, cv::CC_STAT_AREA)) continue;
            const cv::Rect box(stats.at<int>(i, 0), stats.at<int>(i, 1), stats.at<int>(i, 2), stats.at<int>(i, 3));
            if ((box & mainBox).area() > 0.5 * box.area()) mask |= labels == i;
        }
        mask = fillHoles(mask);
        const cv::Rect B = cv::boundingRect(mask);
        const double Ht = B.height, Wt = B.width;
        const cv::Moments moments = cv::moments(mask, true);
        const int cx = int(std::lround(moments.m10 / std::max(1.0, moments.m00)));
        const int gap = 1;
        auto rowAt = [&](double fraction) { return std::clamp(int(std::lround(B.y + fraction * (Ht - 1))), 0, height - 1); };
        auto topOf = [&](int x) {
            x = std::clamp(x, 0, width - 1);
            for (int y = B.y; y < B.br().y; ++y) if (mask.at<uint8_t>(y, x)) return double(y);
            return double(NAN);
        };
        auto bottomOf = [&](int x) {
            x = std::clamp(x, 0, width - 1);
            for (int y = B.br().y - 1; y >= B.y; --y) if (mask.at<uint8_t>(y, x)) return double(y);
            return double(NAN);
        };
        auto centralRun = [&](int y) { return runThrough(mask, y, cx, int(0.05 * Wt), gap); };
        auto extent = [&](int y) {
            const std::vector<Run> runs = runsOf(mask, y, gap, 1);
            if (runs.empty()) return Run{};
            return Run{runs.front().left, runs.back().right};
        };
        // The body's width (its run through the centre line halfway down), and how far beyond it
        // the upper half reaches: sleeves hanging apart from the body reach well beyond it.
        auto bodyWidthOf = [&] {
            std::vector<double> lowWidths;
            for (double f = 0.4; f <= 0.6; f += 0.01) lowWidths.push_back(centralRun(rowAt(f)).width());
            return medianOf(lowWidths, Wt);
        };
        auto reachBeyond = [&](double bodyWidth) {
            double upperReach = 0;
            for (int y = rowAt(0.03); y <= rowAt(0.5); ++y) upperReach = std::max(upperReach, double(extent(y).width()));
            return upperReach / std::max(1.0, bodyWidth);
        };
        const double kSleevesReach = 1.25;
        // Sleeves hanging against the body (one silhouette with it) are cut from it, from an
        // armhole's depth down (about half the body's width below its top), so that the rest
        // reads them as sleeves; the garment's own mask (`whole`) keeps them joined.
        const cv::Mat whole = mask;
        if (reachBeyond(bodyWidthOf()) <= kSleevesReach) {
            if (const auto steps = sleeveStepsBelowHem(mask, B, cx)) {
                // (Above the rows the body's width is read from, 0.4 of the height down: a shape
                // much wider than tall has no room for an armhole that deep.)
                const int cutTop = std::min(B.y + (steps->at(1) - steps->at(0)) / 2, rowAt(0.4));
                mask = mask.clone();
                for (const int step : *steps) mask(cv::Rect(step - 1, cutTop, 3, B.br().y - cutTop)).setTo(0);
            }
        }

        // The shape's evidence.
        const double bodyWidth = bodyWidthOf();
        int legRows = 0, legTotal = 0;
        for (int y = rowAt(0.6); y <= rowAt(0.95); ++y) {
            ++legTotal;
            const std::vector<Run> runs = runsOf(mask, y, gap, std::max(2, int(0.05 * Wt)));
            if (runs.size() < 2) continue;
            bool leftOf = false, rightOf = false, centreFree = true;
            for (const Run &run : runs) {
                if (run.right < cx) leftOf = true;
                if (run.left > cx) rightOf = true;
                if (run.left <= cx + 1 && run.right >= cx - 1) centreFree = false;
            }
            if (leftOf && rightOf && centreFree) ++legRows;
        }
        out->leg_split = double(legRows) / std::max(1, legTotal);
        out->sleeve_reach = reachBeyond(bodyWidth);
        out->top_coverage = cv::countNonZero(mask.row(rowAt(0.03))) / std::max(1.0, bodyWidth);
        double highest = 1e9;
        for (int x = int(cx - 0.3 * bodyWidth); x <= int(cx + 0.3 * bodyWidth); ++x) {
            const double t = topOf(x);
            if (!std::isnan(t)) highest = std::min(highest, t);
        }
        double centreTop = topOf(cx);
        if (std::isnan(centreTop)) centreTop = B.y + 0.5 * Ht;
        out->neck_dip = highest < 1e8 ? (centreTop - highest) / Ht : 0;
        int strapRows = 0, topRows = 0;
        for (int y = rowAt(0.0); y <= rowAt(0.15); ++y) {
            ++topRows;
            const std::vector<Run> runs = runsOf(mask, y, gap, 1);
            if (runs.size() >= 2 && std::all_of(runs.begin(), runs.end(), [&](const Run &r) { return r.width() < 0.15 * bodyWidth; })) ++strapRows;
        }
        out->strap_share = double(strapRows) / std::max(1, topRows);

        // The chest: the body's width just below where sleeves or armholes end.
        std::vector<double> widths(height, 0);
        for (int y = B.y; y < B.br().y; ++y) widths[y] = centralRun(y).width();
        int armpitY = rowAt(0.3);
        const bool reaching = out->sleeve_reach > kSleevesReach;
        // Below the widest upper row (the sleeves, or the shoulders), not in the collar's band.
        int widest = rowAt(0.08);
        for (int y = rowAt(0.03), best = 0; y <= rowAt(0.3); ++y) {
            const int w = extent(y).width();
            if (w > best) { best = w; widest = y; }
        }
        for (int y = std::max(rowAt(0.08), reaching ? widest : rowAt(0.08)); y <= rowAt(0.6); ++y) {
            if (reaching ? (widths[y] > 0 && widths[y] <= 1.12 * bodyWidth) : extent(y).width() >= 0.92 * bodyWidth) {
                armpitY = y;
                break;
            }
        }
        // A flared garment (a dress's skirt, a peplum) is wider below than at its chest: where the
        // row first reaches that width is the flare, not the armpit. Sleeveless, the armholes end
        // where the sides stop moving inward or outward, above a bodice that keeps its width for a
        // while before the flare (an A-line top widens all the way and keeps the first rule).
        if (!reaching) {
            const int step = std::max(2, int(0.03 * Ht));
            for (int y = rowAt(0.08); y + step <= std::min(armpitY, rowAt(0.45)); ++y) {
                if (runsOf(mask, y, gap, 1).size() != 1) continue;  // between straps, or in a neckline
                const Run here = extent(y), below = extent(y + step);
                const bool settled = std::abs(below.left - here.left) <= 0.2 * step && std::abs(below.right - here.right) <= 0.2 * step;
                if (settled) {
                    const bool bodice = extent(std::min(height - 1, y + int(0.1 * Ht))).width() <= 1.05 * here.width();
                    // Straight sides from the shoulders down hide where the armhole ends: a body's
                    // armhole is about half its chest's width deep.
                    if (bodice && here.width() < 0.8 * bodyWidth) armpitY = std::max(y, B.y + int(0.5 * here.width()));
                    break;
                }
            }
        }
        const double chestWidth = medianOf({widths[std::min(height - 1, armpitY + 1)], widths[std::min(height - 1, armpitY + 2)],
                                            widths[std::min(height - 1, armpitY + 3)]}, bodyWidth);
        out->aspect = Ht / std::max(1.0, std::min(chestWidth, bodyWidth));

        // Sleeve pixels (beside the body above the hem) give sleeves and their length.
        cv::Mat grey, edges, gx, gy;
        cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
        cv::Canny(grey, edges, 40, 120);
        cv::Sobel(grey, gx, CV_32F, 1, 0);
        cv::Sobel(grey, gy, CV_32F, 0, 1);
        int openingRows = 0, openingTotal = 0;
        const int window = std::max(2, int(0.02 * Wt));
        cv::Mat inner;
        cv::erode(mask, inner, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
        for (int y = std::max(armpitY, rowAt(0.15)); y <= rowAt(0.9); ++y) {
            if (!inner.at<uint8_t>(y, std::clamp(cx, 0, width - 1))) continue;
            ++openingTotal;
            for (int x = std::max(0, cx - window); x <= std::min(width - 1, cx + window); ++x) {
                if (edges.at<uint8_t>(y, x) && std::abs(gx.at<float>(y, x)) > 2 * std::abs(gy.at<float>(y, x))) {
                    ++openingRows;
                    break;
                }
            }
        }
        out->centre_opening = double(openingRows) / std::max(1, openingTotal);

        // Neck points: the highest top-contour point each side of the centre.
        for (int side = 0; side < 2; ++side) {
            const double sign = side == 0 ? -1 : 1;
            double bestY = 1e9, bestX = cx + sign * 0.2 * bodyWidth;
            for (double d = 0.03 * bodyWidth; d <= 0.45 * bodyWidth; d += 1) {
                const int x = int(std::lround(cx + sign * d));
                const double t = topOf(x);
                if (!std::isnan(t) && t < bestY - 0.5) { bestY = t; bestX = x; }
            }
            out->neck[side] = point(bestX, bestY < 1e8 ? bestY : B.y);
        }
        out->collar = point(cx, centreTop);
        if (out->collar.y < std::max(out->neck[0].y, out->neck[1].y)) out->collar.y = std::max(out->neck[0].y, out->neck[1].y);

        // Shoulders: sleeved, over the body's sides; sleeveless, the outer end of the strap tops.
        const double bodyHalf = 0.5 * std::min(chestWidth, bodyWidth * 1.05);
        for (int side = 0; side < 2; ++side) {
            const double sign = side == 0 ? -1 : 1;
            double x = out->neck[side].x;
            if (reaching) {
                x = cx + sign * bodyHalf;
            } else {
                const double limit = out->neck[side].y + 0.06 * Ht;
                for (double d = std::abs(out->neck[side].x - cx); d <= 0.6 * Wt; d += 1) {
                    const double t = topOf(int(std::lround(cx + sign * d)));
                    if (std::isnan(t) || t > limit) break;
                    x = cx + sign * d;
                }
            }
            const double t = topOf(int(std::lround(x)));
            out->shoulder[side] = point(x, std::isnan(t) ? out->neck[side].y : t);
        }
        // Armpits: the body's edges just below the sleeves.
        // (Sleeveless, the row's extent: the centre may still be inside a deep neckline.)
        const Run chestRun = reaching ? centralRun(std::min(height - 1, armpitY + 1)) : extent(std::min(height - 1, armpitY + 1));
        const bool chestFound = chestRun.valid() && chestRun.width() > 0.5 * bodyWidth;
        out->armpit[0] = point(chestFound ? chestRun.left : cx - bodyHalf, armpitY);
        out->armpit[1] = point(chestFound ? chestRun.right : cx + bodyHalf, armpitY);

        // Body edges per row from the armpit down; a sleeve touching the body is cut back to the
        // edge of the row above.
        auto bodyEdges = [&](int y, double &l, double &r) {
            // Sleeveless, the row's extent (the centre may be inside a deep neckline); with
            // sleeves, the run through the centre (sleeves hang apart from the body).
            Run run = reaching ? centralRun(y) : extent(y);
            if (!run.valid() || run.width() < 0.4 * bodyWidth) return false;
            l = run.left;
            r = run.right;
            return true;
        };
        std::vector<double> edgeL(height, NAN), edgeR(height, NAN);
        {
            // A sleeve touching the body widens the run at once: keep the body's edge there, but
            // only for a sleeve's length of rows (a skirt flaring out is the body).
            double lastL = NAN, lastR = NAN;
            int heldL = 0, heldR = 0;
            const int hold = std::max(3, int(0.2 * Ht));
            const double jump = 0.06 * bodyWidth;
            for (int y = armpitY; y < B.br().y; ++y) {
                double l, r;
                if (!bodyEdges(y, l, r)) continue;
                if (reaching && !std::isnan(lastL) && l < lastL - jump && heldL < hold) { l = lastL; ++heldL; } else heldL = 0;
                if (reaching && !std::isnan(lastR) && r > lastR + jump && heldR < hold) { r = lastR; ++heldR; } else heldR = 0;
                edgeL[y] = l;
                edgeR[y] = r;
                lastL = l;
                lastR = r;
            }
        }
        auto edgeAt = [&](int y, int side) {
            y = std::clamp(y, 0, height - 1);
            for (int d = 0; d < height; ++d) {
                for (int yy : {y - d, y + d}) {
                    if (yy >= 0 && yy < height && !std::isnan(edgeL[yy])) return side == 0 ? edgeL[yy] : edgeR[yy];
                }
            }
            return side == 0 ? cx - bodyHalf : cx + bodyHalf;
        };

        // Sleeves: pixels outside the body's edge line (shoulder to armpit, then the body edges).
        int sleevedSides = 0, longSides = 0;
        for (int side = 0; side < 2; ++side) {
            const double sign = side == 0 ? -1 : 1;
            const pv_vto_point shoulder = out->shoulder[side], armpit = out->armpit[side];
            std::vector<cv::Point> sleeve;
            for (int y = B.y; y < B.br().y; ++y) {
                double edge;
                if (y <= shoulder.y) edge = shoulder.x;
                else if (y <= armpit.y) edge = lerp(shoulder.x, armpit.x, (y - shoulder.y) / std::max(1.0, armpit.y - shoulder.y));
                else edge = edgeAt(y, side);
                const uint8_t *row = mask.ptr<uint8_t>(y);
                for (int x = B.x; x < B.br().x; ++x) {
                    if (row[x] && sign * (x - edge) > 1.5) sleeve.emplace_back(x, y);
                }
            }
            // Only what hangs from the armhole: pieces beside the body lower down (a skirt
            // flaring past the edge line) are not sleeves.
            if (!sleeve.empty()) {
                cv::Mat pieces = cv::Mat::zeros(height, width, CV_8U);
                for (const cv::Point &p : sleeve) pieces.at<uint8_t>(p) = 255;
                cv::Mat pieceLabels;
                const int count = cv::connectedComponents(pieces, pieceLabels, 8, CV_32S);
                std::vector<uint8_t> attached(count, 0);
                for (const cv::Point &p : sleeve) {
                    if (p.y <= armpit.y + 0.02 * Ht) attached[pieceLabels.at<int>(p)] = 1;
                }
                std::vector<cv::Point> kept;
                for (const cv::Point &p : sleeve) if (attached[pieceLabels.at<int>(p)]) kept.push_back(p);
                sleeve.swap(kept);
            }
            const bool has = reaching && double(sleeve.size()) > 0.01 * moments.m00;
            if (!has) {
                out->sleeve_outer[side] = shoulder;
                out->sleeve_inner[side] = armpit;
                continue;
            }
            ++sleevedSides;
            double far = 0;
            cv::Point end = sleeve.front();
            for (const cv::Point &p : sleeve) {
                const double d = std::hypot(p.x - shoulder.x, p.y - shoulder.y);
                if (d > far) { far = d; end = p; }
            }
            const double dx = (end.x - shoulder.x) / std::max(1e-6, far), dy = (end.y - shoulder.y) / std::max(1e-6, far);
            const double px = -dy, py = dx;
            double lo = 1e9, hi = -1e9;
            cv::Point loP = end, hiP = end;
            for (const cv::Point &p : sleeve) {
                const double along = (p.x - shoulder.x) * dx + (p.y - shoulder.y) * dy;
                if (along < far - 0.06 * std::max(Ht, Wt)) continue;
                const double across = (p.x - shoulder.x) * px + (p.y - shoulder.y) * py;
                if (across < lo) { lo = across; loP = p; }
                if (across > hi) { hi = across; hiP = p; }
            }
            // Outer: the corner on the side of the sleeve away from the body's centre line (and
            // upwards, for a sleeve held out level).
            const double outwardness = sign * px - py;
            const cv::Point outer = outwardness > 0 ? hiP : loP, inner = outwardness > 0 ? loP : hiP;
            out->sleeve_outer[side] = point(outer.x, outer.y);
            out->sleeve_inner[side] = point(inner.x, inner.y);
            if (far > 0.5 * Ht || end.y > B.y + 0.55 * Ht) ++longSides;
        }
        out->has_sleeves = sleevedSides > 0;
        out->long_sleeves = longSides > 0;

        // Hem: the body's edges at the bottom, each at the lowest pixel of its column.
        const int hemRow = rowAt(0.97);
        for (int side = 0; side < 2; ++side) {
            const double x = edgeAt(hemRow, side);
            const double inset = side == 0 ? x + 2 : x - 2;
            const double b = bottomOf(int(std::lround(inset)));
            out->hem[side] = point(x, std::isnan(b) ? hemRow : b);
        }

        // Bottoms: waistband corners, crotch and leg hems.
        const int waistRow = rowAt(0.03);
        const Run band = extent(waistRow);
        for (int side = 0; side < 2; ++side) {
            const double x = side == 0 ? band.left : band.right;
            const double t = topOf(int(std::lround(side == 0 ? x + 1 : x - 1)));
            out->waist[side] = point(x, std::isnan(t) ? waistRow : t);
        }
        out->two_legs = out->leg_split >= 0.5;
        out->crotch = point(cx, B.y + 0.4 * Ht);
        for (int y = rowAt(0.12); y <= rowAt(0.8); ++y) {
            if (mask.at<uint8_t>(y, cx) || (cx > 0 && mask.at<uint8_t>(y, cx - 1)) || (cx + 1 < width && mask.at<uint8_t>(y, cx + 1))) continue;
            const std::vector<Run> runs = runsOf(mask, y, gap, 1);
            const bool both = std::any_of(runs.begin(), runs.end(), [&](const Run &r) { return r.right < cx; }) &&
                              std::any_of(runs.begin(), runs.end(), [&](const Run &r) { return r.left > cx; });
            if (both) { out->crotch = point(cx, y); break; }
        }
        for (int side = 0; side < 2; ++side) {
            // The leg's lowest rows, then its run a little above them.
            int lowest = -1;
            for (int y = B.br().y - 1; y > int(out->crotch.y) && lowest < 0; --y) {
                const uint8_t *row = mask.ptr<uint8_t>(y);
                for (int x = side == 0 ? B.x : cx + 1; x < (side == 0 ? cx : B.br().x); ++x) {
                    if (row[x]) { lowest = y; break; }
                }
            }
            if (lowest < 0) lowest = B.br().y - 1;
            const int y = std::max(int(out->crotch.y), lowest - std::max(1, int(0.02 * Ht)));
            std::vector<Run> runs = runsOf(mask, y, gap, 1);
            Run leg{};
            for (const Run &r : runs) {
                if (side == 0 ? r.centre() < cx : r.centre() > cx) {
                    if (!leg.valid() || (side == 0 ? r.left < leg.left : r.right > leg.right)) leg = r;
                }
            }
            if (!leg.valid()) leg = side == 0 ? Run{B.x, cx - 1} : Run{cx + 1, B.br().x - 1};
            const double outerX = side == 0 ? leg.left : leg.right, innerX = side == 0 ? leg.right : leg.left;
            const double ob = bottomOf(int(std::lround(outerX + (side == 0 ? 1 : -1))));
            const double ib = bottomOf(int(std::lround(innerX + (side == 0 ? -1 : 1))));
            out->leg_outer[side] = point(outerX, std::isnan(ob) ? y : ob);
            out->leg_inner[side] = point(innerX, std::isnan(ib) ? y : ib);
        }

        // The verdict, unless one was given.
        int category;
        const bool flatTop = out->neck_dip < 0.03 && out->strap_share < 0.2 && out->top_coverage > 0.6 && !reaching;
        if (out->two_legs) category = PV_VTO_BOTTOM;
        else if (flatTop) category = out->aspect < 0.75 ? PV_VTO_TOP : out->aspect > 2.8 ? PV_VTO_DRESS : PV_VTO_BOTTOM;
        else if (out->aspect > 2.8) category = PV_VTO_DRESS;
        else if (out->long_sleeves && (out->centre_opening > 0.6 || out->neck_dip > 0.22)) category = PV_VTO_OUTERWEAR;
        else category = PV_VTO_TOP;
        out->category = forced >= 0 ? forced : category;

        // Dress waist: the narrowest body row between the armpits and mid-length.
        if (out->category == PV_VTO_DRESS) {
            double best = 1e9;
            int bestY = rowAt(0.35);
            for (int y = armpitY + int(0.05 * Ht); y <= rowAt(0.5); ++y) {
                const double w = edgeAt(y, 1) - edgeAt(y, 0);
                if (w > 0 && w < best) { best = w; bestY = y; }
            }
            out->waist[0] = point(edgeAt(bestY, 0), bestY);
            out->waist[1] = point(edgeAt(bestY, 1), bestY);
        }

        // Outline rows: from the armpits (or the waistband) to the hem.
        const bool bottom = out->category == PV_VTO_BOTTOM;
        const double from = bottom ? out->waist[0].y * 0.5 + out->waist[1].y * 0.5 + 1 : armpitY;
        const double to = bottom && out->two_legs ? std::max(out->leg_outer[0].y, out->leg_outer[1].y) : std::max(out->hem[0].y, out->hem[1].y);
        for (int i = 0; i < PV_VTO_OUTLINE_ROWS; ++i) {
            const double y = lerp(from, to, double(i) / (PV_VTO_OUTLINE_ROWS - 1));
            const int row = std::clamp(int(std::lround(y)), 0, height - 1);
            out->body_y[i] = y;
            if (bottom) {
                const Run e = extent(row);
                out->body_left[i] = e.valid() ? e.left : cx - bodyHalf;
                out->body_right[i] = e.valid() ? e.right : cx + bodyHalf;
            } else {
                out->body_left[i] = edgeAt(row, 0);
                out->body_right[i] = edgeAt(row, 1);
            }
        }
        {
            std::vector<double> l(out->body_left, out->body_left + PV_VTO_OUTLINE_ROWS), r(out->body_right, out->body_right + PV_VTO_OUTLINE_ROWS);
            l = smoothProfile(l, 1);
            r = smoothProfile(r, 1);
            std::copy(l.begin(), l.end(), out->body_left);
            std::copy(r.begin(), r.end(), out->body_right);
        }

        if (cleanedOut) {
            cv::Mat target(height, width, CV_8U, cleanedOut);
            whole.copyTo(target);
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
