// What a careful retoucher does after dressing: where the new garments leave the person's own
// clothes showing (long sleeves under a tee, a crew neck above a V-neck, a skirt between
// trouser legs, trousers under a skirt's hem), those pixels become skin where a body part is
// (arms, legs, the neck, the torso), with the person's skin tone and the photo's shading, and
// background elsewhere.
#include "copencv_vto.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tryon/shape.hpp"

using namespace pv::vto;

namespace {

// Local strength of lightness detail (8-bit Lab, finer than a twelfth of a face) above which a
// skin-coloured pixel is a print.
constexpr float kSkinTexture = 12.0f;

cv::Point rounded(const pv_vto_point &p) { return cv::Point(int(std::lround(p.x)), int(std::lround(p.y))); }

// A limb's capsules along its joints, drawn into `mask`: `thickness[i]` between joint i and i + 1.
void drawLimb(cv::Mat &mask, const pv_vto_point *joints, int count, const std::vector<double> &thickness) {
    for (int i = 0; i + 1 < count; ++i) {
        cv::line(mask, rounded(joints[i]), rounded(joints[i + 1]), cv::Scalar(255), std::max(1, int(std::lround(thickness[i]))), cv::LINE_8);
    }
}

// A limb tapering along its joints: for each pixel, its distance from the limb's axis over the
// limb's radius there (below 1 inside the limb), the least over the limb's bones; 1e9 far away.
cv::Mat limbField(int width, int height, const pv_vto_point *joints, const double *radii, int count) {
    cv::Mat field(height, width, CV_32F, cv::Scalar(1e9f));
    for (int i = 0; i + 1 < count; ++i) {
        const cv::Point2d a(joints[i].x, joints[i].y), b(joints[i + 1].x, joints[i + 1].y);
        const double reach = 2.2 * std::max(radii[i], radii[i + 1]);
        const cv::Rect box = cv::Rect(cv::Point(int(std::floor(std::min(a.x, b.x) - reach)), int(std::floor(std::min(a.y, b.y) - reach))),
                                      cv::Point(int(std::ceil(std::max(a.x, b.x) + reach)), int(std::ceil(std::max(a.y, b.y) + reach)))) &
                             cv::Rect(0, 0, width, height);
        const cv::Point2d axis = b - a;
        const double length2 = std::max(1e-9, axis.dot(axis));
        for (int y = box.y; y < box.br().y; ++y) {
            float *row = field.ptr<float>(y);
            for (int x = box.x; x < box.br().x; ++x) {
                const cv::Point2d p(x, y);
                const double t = std::clamp((p - a).dot(axis) / length2, 0.0, 1.0);
                const double radius = std::max(1.0, lerp(radii[i], radii[i + 1], t));
                const double value = cv::norm(p - (a + t * axis)) / radius;
                if (value < row[x]) row[x] = float(value);
            }
        }
    }
    return field;
}

// Where a band of the old top's colour that starts at row `from` (below a new hem) ends,
// before row `to`: the first of three rows in a row whose median colour within `mask` is more
// than 25 (CIELAB, 8-bit) from the band's first rows' and like less than a twentieth of the old
// top's colours (`oldTop`, its pixels above the hem); `from` when no fifth of those is within 25
// of the band's first rows, or when there is no such change.
int oldTopEnd(const cv::Mat &lab, const cv::Mat &mask, int from, int to, int unit, const std::vector<cv::Vec3d> &oldTop) {
    from = std::max(0, from);
    to = std::min(lab.rows, to);
    auto median = [&](int y, cv::Vec3d &out) {
        std::vector<double> c[3];
        const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
        const uint8_t *m = mask.ptr<uint8_t>(y);
        for (int x = 0; x < lab.cols; ++x) {
            if (!m[x]) continue;
            for (int k = 0; k < 3; ++k) c[k].push_back(p[x][k]);
        }
        if (c[0].size() < 4) return false;
        out = cv::Vec3d(medianOf(c[0]), medianOf(c[1]), medianOf(c[2]));
        return true;
    };
    cv::Vec3d reference;
    int start = from;
    while (start < to && !median(start, reference)) ++start;
    if (start >= to) return from;
    // The share of the old top's colours within 25 of a colour.
    auto share = [&](const cv::Vec3d &colour) {
        return std::count_if(oldTop.begin(), oldTop.end(), [&](const cv::Vec3d &c) { return cv::norm(c - colour) <= 25; }) / double(oldTop.size());
    };
    if (share(reference) < 0.2) return from;
    int changed = 0;
    for (int y = start + unit; y < to; ++y) {
        cv::Vec3d here;
        if (!median(y, here)) continue;
        // (A shade of the old top, its own shadow above the waistband, is still the old top.)
        if (cv::norm(here - reference) > 25 && share(here) < 0.05) {
            if (++changed == 3) return y - 2;
        } else {
            changed = 0;
        }
    }
    return from;
}

// The colours of the hair: the silhouette's pixels in a band above the face box (clear of the
// forehead), their median and a robust spread, so that a bald or short-haired head's skin and the
// backdrop do not widen it to everything.
struct HairModel {
    cv::Vec3d mean;
    double spread = 0;
    cv::Rect crown;
    bool valid = false;

    HairModel(const cv::Mat &lab, const cv::Mat &silhouette, const cv::Rect &face) {
        crown = cv::Rect(face.x, face.y - face.height / 2, face.width, face.height / 3) & cv::Rect(0, 0, lab.cols, lab.rows);
        std::vector<double> channels[3];
        for (int y = crown.y; y < crown.br().y; ++y) {
            for (int x = crown.x; x < crown.br().x; ++x) {
                if (!silhouette.at<uint8_t>(y, x)) continue;
                const cv::Vec3b p = lab.at<cv::Vec3b>(y, x);
                for (int k = 0; k < 3; ++k) channels[k].push_back(p[k]);
            }
        }
        if (channels[0].size() < 16) return;
        std::vector<double> distances;
        for (int k = 0; k < 3; ++k) mean[k] = medianOf(channels[k]);
        for (size_t i = 0; i < channels[0].size(); ++i) {
            distances.push_back(cv::norm(cv::Vec3d(channels[0][i], channels[1][i], channels[2][i]) - mean));
        }
        spread = std::clamp(2.0 * medianOf(distances), 12.0, 30.0);
        valid = true;
    }

    bool contains(const cv::Vec3b &p) const { return valid && cv::norm(cv::Vec3d(p) - mean) <= spread; }
};

// The backdrop behind `person` (a mask), estimated from the backdrop's own pixels around it: at a
// quarter of the size (a backdrop is smooth), each pixel the weighted mean of the backdrop
// pixels nearest it (a normalised convolution, widened until it reaches every pixel). Pixels
// next to the person (its soft edge, a shadow) and far from the backdrop's usual colour (a
// dark piece of clothing the person mask missed) do not count: an inpainting from the mask's
// border smeared them into the hole.
cv::Mat backdropBehind(const cv::Mat &canvas, const cv::Mat &person, int unit) {
    const double shrink = 0.25;
    cv::Mat small, around, backdrop;
    cv::resize(canvas, small, cv::Size(), shrink, shrink, cv::INTER_AREA);
    cv::dilate(person, around, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(4 * unit + 1, 4 * unit + 1)));
    cv::resize(around, backdrop, small.size(), 0, 0, cv::INTER_NEAREST);
    backdrop = backdrop == 0;
    cv::Mat lab;
    cv::cvtColor(small, lab, cv::COLOR_RGB2Lab);
    std::vector<double> channels[3];
    for (int y = 0; y < lab.rows; ++y) {
        for (int x = 0; x < lab.cols; ++x) {
            if (!backdrop.at<uint8_t>(y, x)) continue;
            for (int k = 0; k < 3; ++k) channels[k].push_back(lab.at<cv::Vec3b>(y, x)[k]);
        }
    }
    if (!channels[0].empty()) {
        const cv::Vec3d usual(medianOf(channels[0]), medianOf(channels[1]), medianOf(channels[2]));
        for (int y = 0; y < lab.rows; ++y) {
            for (int x = 0; x < lab.cols; ++x) {
                if (cv::norm(cv::Vec3d(lab.at<cv::Vec3b>(y, x)) - usual) > 60) backdrop.at<uint8_t>(y, x) = 0;
            }
        }
    }
    cv::Mat colour, weight, weight3;
    small.convertTo(colour, CV_32FC3);
    backdrop.convertTo(weight, CV_32F, 1 / 255.0);
    cv::merge(std::vector<cv::Mat>{weight, weight, weight}, weight3);
    const cv::Mat weighted = colour.mul(weight3);
    cv::Mat plate(small.size(), CV_32FC3, cv::Scalar::all(0)), done = backdrop.clone();
    colour.copyTo(plate, backdrop);
    for (double sigma = 2; sigma < 2.0 * std::max(small.cols, small.rows) && cv::countNonZero(done) < done.total(); sigma *= 2) {
        cv::Mat sum, share;
        cv::GaussianBlur(weighted, sum, cv::Size(), sigma);
        cv::GaussianBlur(weight, share, cv::Size(), sigma);
        for (int y = 0; y < small.rows; ++y) {
            for (int x = 0; x < small.cols; ++x) {
                const float w = share.at<float>(y, x);
                if (done.at<uint8_t>(y, x) || w < 1e-3f) continue;
                plate.at<cv::Vec3f>(y, x) = sum.at<cv::Vec3f>(y, x) / w;
                done.at<uint8_t>(y, x) = 255;
            }
        }
    }
    cv::Mat full;
    plate.convertTo(plate, CV_8UC3);
    cv::resize(plate, full, canvas.size(), 0, 0, cv::INTER_LINEAR);
    return full;
}

}  // namespace

extern "C" int pv_cv_vto_retouch(uint8_t *canvasData, const uint8_t *photoData, size_t stride, int width, int height,
                                 const uint8_t *silhouetteData, const uint8_t *coverageData, const uint8_t *torsoData,
                                 int fx, int fy, int fw, int fh, double chinY, const pv_vto_arm *arms, const pv_vto_arm *legs,
                                 double upperBottom, double lowerTop, int trousers) {
    if (!canvasData || !photoData || !silhouetteData || !coverageData || !torsoData || !arms || !legs || width < 16 || height < 16) {
        return PV_CV_INVALID_ARGUMENT;
    }
    try {
        cv::Mat canvas(height, width, CV_8UC3, canvasData, stride);
        const cv::Mat photo(height, width, CV_8UC3, const_cast<uint8_t *>(photoData), stride);
        const cv::Mat silhouette = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(silhouetteData)) >= 128;
        const cv::Mat covered = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(coverageData)) >= 96;
        const cv::Mat torso(height, width, CV_8U, const_cast<uint8_t *>(torsoData));
        const cv::Rect frame(0, 0, width, height);
        const cv::Rect faceBox(fx, fy, fw, fh);

        cv::Mat lab;
        cv::cvtColor(photo, lab, cv::COLOR_RGB2Lab);
        const SkinModel skin(lab, faceBox);
        // Without the face's colours there is no skin tone to paint with.
        if (!skin.valid) return PV_CV_OK;
        const HairModel hair(lab, silhouette, faceBox);
        // An upper garment was laid: its hem lies below the chin.
        const bool upper = upperBottom > chinY;

        const int unit = std::max(1, int(std::lround(0.04 * fw)));
        // Skin is smooth: a print in skin-like colours (leopard, tan stripes) is not skin. Only
        // fine detail counts: the shading across a rounded arm is a broad gradient, not a print.
        cv::Mat texture;
        {
            cv::Mat l, broad, detail;
            cv::extractChannel(lab, l, 0);
            l.convertTo(l, CV_32F);
            cv::GaussianBlur(l, broad, cv::Size(), std::max(1.0, unit / 2.0));
            detail = l - broad;
            cv::blur(detail.mul(detail), texture, cv::Size(4 * unit + 1, 4 * unit + 1));
            cv::sqrt(texture, texture);
        }
        auto bareSkin = [&](int y, int x) { return skin.contains(lab.at<cv::Vec3b>(y, x)) && texture.at<float>(y, x) < kSkinTexture; };
        // The share of the person's pixels along the upper arm's first part, below the shoulder,
        // that are skin.
        auto upperArmSkin = [&](const pv_vto_arm &arm) {
            const pv_vto_point &shoulder = arm.joints[0], &elbow = arm.joints[1];
            const pv_vto_point bone[] = {point(lerp(shoulder.x, elbow.x, 0.1), lerp(shoulder.y, elbow.y, 0.1)),
                                         point(lerp(shoulder.x, elbow.x, 0.45), lerp(shoulder.y, elbow.y, 0.45))};
            const double radii[] = {0.35 * arm.width, 0.35 * arm.width};
            const cv::Mat near = (limbField(width, height, bone, radii, 2) <= 1.0f) & silhouette;
            int total = 0, bare = 0;
            for (int y = 0; y < height; ++y) {
                const uint8_t *n = near.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) {
                    if (!n[x]) continue;
                    ++total;
                    bare += bareSkin(y, x);
                }
            }
            return total > 0 ? double(bare) / total : 0.0;
        };

        // Where the new garments replace the person's clothes: the torso (a little wider: loose
        // clothes) and the neck from under the chin to the upper garments' hem, and the arms down
        // to the wrists; the legs and between them from the waistband down to the ankles. Hands
        // and feet keep what they hold or wear.
        cv::Mat zone = cv::Mat::zeros(height, width, CV_8U);
        cv::Mat armMask = cv::Mat::zeros(height, width, CV_8U), legMask = cv::Mat::zeros(height, width, CV_8U);
        cv::Mat armField(height, width, CV_32F, cv::Scalar(1e9f));
        cv::Mat trouserZone = cv::Mat::zeros(height, width, CV_8U), midriff = cv::Mat::zeros(height, width, CV_8U);
        auto rows = [&](double from, double to) {
            cv::Mat band = cv::Mat::zeros(height, width, CV_8U);
            const int top = std::clamp(int(from), 0, height), bottom = std::clamp(int(to), 0, height);
            if (bottom > top) band.rowRange(top, bottom).setTo(255);
            return band;
        };
        // The upper garments' own hem in a column: their lowest pixel there when they reach down
        // near their lowest row (a slanted or curved hem), else -1.
        auto hemAt = [&](int x) {
            const int last = std::clamp(int(upperBottom), 0, height - 1), near = std::max(0, int(upperBottom - 0.5 * fh));
            for (int y = last; y >= near; --y) {
                if (covered.at<uint8_t>(y, x)) return y;
            }
            return -1;
        };
        // Rows from `from` down to the upper garments' hem, in each column its own: the bottoms
        // below a slanted or curved hem stay as they are.
        auto aboveHem = [&](double from) {
            cv::Mat band = cv::Mat::zeros(height, width, CV_8U);
            const int top = std::clamp(int(from), 0, height);
            for (int x = 0; x < width; ++x) {
                const int hem = hemAt(x), bottom = hem >= 0 ? hem + 1 : std::clamp(int(upperBottom) + 1, 0, height);
                for (int y = top; y < bottom; ++y) band.at<uint8_t>(y, x) = 255;
            }
            return band;
        };
        // A sleeve starts at the shoulder: arms bare just below it have none. Tops have both
        // sleeves or none, and the better-lit arm tells (skin in deep shadow can fail the skin
        // test; a sleeve leaves next to no skin showing there).
        const bool sleeveless = std::max(upperArmSkin(arms[0]), upperArmSkin(arms[1])) >= 0.3;
        // Bare arms: there skin in deep shade or a highlight, which can fail the skin test, only
        // needs the skin's hue (wider than the arm: the joints can be a third of an arm off).
        cv::Mat bareArms = cv::Mat::zeros(height, width, CV_8U);
        for (int side = 0; side < 2 && sleeveless; ++side) {
            const double core[] = {0.8 * arms[side].width, 0.8 * arms[side].width, 0.8 * arms[side].width, 0.8 * arms[side].width};
            bareArms |= limbField(width, height, arms[side].joints, core, 4) <= 1.0f;
        }
        if (upper) {
            // Each arm tapers from the shoulder through the elbow to the wrist. Without sleeves
            // only beside the upper arms (the old top's straps and sides) is the top's: what lies
            // beside a forearm (a skirt, a bag) is not.
            cv::Mat sleeves = cv::Mat::zeros(height, width, CV_8U);
            for (int side = 0; side < 2 && !sleeveless; ++side) {
                const double w = arms[side].width;
                const pv_vto_point *j = arms[side].joints;
                // Some way on from the wrist towards the fingertips: a cuff covers the wrist.
                const pv_vto_point joints[] = {j[0], j[1], j[2], point(lerp(j[2].x, j[3].x, 0.5), lerp(j[2].y, j[3].y, 0.5))};
                const double radii[] = {0.55 * w, 0.42 * w, 0.3 * w, 0.3 * w};
                armField = cv::min(armField, limbField(width, height, joints, radii, 4));
                // A loose sleeve's reach: four arm widths across at the shoulder (a sleeve
                // flares out from an arm held away from the body), narrowing through the elbow to
                // the wrist (beside a hand is whatever the hand is at: a skirt, a bag).
                const double reach[] = {2.0 * w, 1.2 * w, 0.33 * w};
                sleeves |= limbField(width, height, joints, reach, 3) <= 1.0f;
            }
            for (int side = 0; side < 2 && sleeveless; ++side) {
                const double w = arms[side].width;
                const double reach[] = {1.7 * w, 1.0 * w};
                sleeves |= limbField(width, height, arms[side].joints, reach, 2) <= 1.0f;
            }
            // The arm's skin follows the old sleeve's outline where it stays within 1.6 radii of
            // the arm (a tight sleeve is the arm's shape); beyond it, background.
            armMask = (armField <= 1.6f) & silhouette;
            cv::Mat loose;
            cv::dilate(torso, loose, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(10 * unit + 1, 10 * unit + 1)));
            const int neckHalf = int(0.45 * fw), x = fx + fw / 2;
            const cv::Rect neck = cv::Rect(x - neckHalf, int(chinY), 2 * neckHalf, std::max(1, int(0.8 * fh))) & frame;
            if (!neck.empty()) loose(neck).setTo(255);
            // (A sleeve's ring never reaches over the torso: a forearm on a hip lies over the
            // trousers' waistband, which stays.)
            zone |= (loose & aboveHem(chinY + 0.08 * fh)) | armMask | (sleeves & ~loose);
        }
        if (lowerTop >= 0) {
            for (int side = 0; side < 2; ++side) drawLimb(legMask, legs[side].joints, 3, {1.45 * legs[side].width, 1.0 * legs[side].width});
            // Between the legs too: the outline from each hip over the knee to the ankle.
            const pv_vto_arm &l = legs[0], &r = legs[1];
            // (Wider than the legs: a flared skirt's sides.)
            const std::vector<cv::Point> between = {
                rounded(point(l.joints[0].x - 1.2 * l.width, l.joints[0].y)), rounded(point(l.joints[1].x - 1.0 * l.width, l.joints[1].y)),
                rounded(point(l.joints[2].x - 0.6 * l.width, l.joints[2].y)), rounded(point(r.joints[2].x + 0.6 * r.width, r.joints[2].y)),
                rounded(point(r.joints[1].x + 1.0 * r.width, r.joints[1].y)), rounded(point(r.joints[0].x + 1.2 * r.width, r.joints[0].y))};
            cv::Mat lower = legMask.clone();
            cv::fillPoly(lower, std::vector<std::vector<cv::Point>>{between}, cv::Scalar(255));
            const double ankles = std::max(l.joints[2].y, r.joints[2].y);
            lower &= rows(lowerTop, ankles);
            // Arms and hands hanging beside the hips are not the legs' clothes.
            cv::Mat hands = cv::Mat::zeros(height, width, CV_8U);
            for (int side = 0; side < 2; ++side) drawLimb(hands, arms[side].joints + 1, 3, {1.2 * arms[side].width, 1.6 * arms[side].width});
            lower.setTo(0, hands);
            zone |= lower;
            // New trousers cover the legs: nothing between or beside them is the person's skin.
            if (trousers) trouserZone = lower;
        }
        // (With the silhouette's soft edge: a dark sleeve's last pixels would stay as a line.)
        cv::Mat edged;
        cv::dilate(silhouette, edged, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * unit + 1, 2 * unit + 1)));
        zone &= edged;
        // The hands stay as they are (their shadows are not clothes). A hand is about a face
        // long: a fingertip landmark further out (a hand in a pocket) must not make it huge.
        for (int side = 0; side < 2; ++side) {
            const pv_vto_point &wrist = arms[side].joints[2], &tip = arms[side].joints[3];
            const double length = std::hypot(tip.x - wrist.x, tip.y - wrist.y), reach = std::min(length, 1.0 * fh);
            const double t = 0.85 * reach / std::max(1e-6, length);
            const pv_vto_point palm = point(lerp(wrist.x, tip.x, t), lerp(wrist.y, tip.y, t));
            cv::circle(zone, rounded(palm), std::max(2, int(std::max(0.15 * fw, 0.35 * reach))), cv::Scalar(0), cv::FILLED);
        }
        // The face and the head stay as they are.
        const cv::Rect head = cv::Rect(fx - fw / 4, fy - fh, fw + fw / 2, int(chinY - (fy - fh)) + 1) & frame;
        if (!head.empty()) zone(head).setTo(0);

        // A body part's skin: the arms, the torso and the neck. Legs are never painted: under a
        // skirt or a dress they stay as they are (bare legs painted over trousers read as
        // painted); new trousers cover them, and old clothes between and beside their legs
        // become background.
        cv::Mat body = armMask | torso;
        {
            // The shoulders' slope from the neck to the joints, above the torso's outline.
            const double cx = fx + fw / 2.0;
            const pv_vto_point &a = arms[0].joints[0], &b = arms[1].joints[0];
            const std::vector<cv::Point> slope = {
                rounded(point(cx - 0.35 * fw, chinY)), rounded(point(a.x, a.y - 0.1 * fh)), rounded(point(a.x, a.y + 0.6 * fh)),
                rounded(point(b.x, b.y + 0.6 * fh)), rounded(point(b.x, b.y - 0.1 * fh)), rounded(point(cx + 0.35 * fw, chinY))};
            cv::Mat shoulders = cv::Mat::zeros(height, width, CV_8U);
            cv::fillPoly(shoulders, std::vector<std::vector<cv::Point>>{slope}, cv::Scalar(255));
            body |= shoulders & silhouette;
        }
        const cv::Mat keepLegs = trousers ? cv::Mat::zeros(height, width, CV_8U) : cv::Mat(legMask & ~torso);
        {
            const int neckHalf = int(0.3 * fw), x = fx + fw / 2;
            const cv::Rect neck = cv::Rect(x - neckHalf, int(chinY), 2 * neckHalf, std::max(1, int(0.8 * fh))) & frame;
            if (!neck.empty()) body(neck).setTo(255);
        }

        // Hair: its colours near the head (long hair reaches the chest, not the arms or the legs),
        // in one piece with the hair on the crown: dark clothes beside tied-up hair are not hair.
        cv::Mat hairMask = cv::Mat::zeros(height, width, CV_8U);
        if (hair.valid) {
            const int hairBottom = std::clamp(int(chinY + 2.2 * fh), 0, height), faceCentre = fx + fw / 2;
            for (int y = 0; y < hairBottom; ++y) {
                const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
                const uint8_t *in = silhouette.ptr<uint8_t>(y);
                uint8_t *h = hairMask.ptr<uint8_t>(y);
                for (int x = std::max(0, int(faceCentre - 1.3 * fw)); x < std::min(width, int(faceCentre + 1.3 * fw)); ++x) {
                    if (in[x] && hair.contains(p[x])) h[x] = 255;
                }
            }
            cv::Mat labels;
            const int count = cv::connectedComponents(hairMask, labels, 8, CV_32S);
            std::vector<uint8_t> onCrown(count, 0);
            for (int y = hair.crown.y; y < hair.crown.br().y; ++y) {
                for (int x = hair.crown.x; x < hair.crown.br().x; ++x) onCrown[labels.at<int>(y, x)] = 1;
            }
            onCrown[0] = 0;
            for (int y = 0; y < height; ++y) {
                const int *l = labels.ptr<int>(y);
                uint8_t *h = hairMask.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) h[x] = onCrown[l[x]] ? 255 : 0;
            }
        }
        // The old clothes: in the zone, not under a new garment, not smooth skin, not hair (but
        // on the arms: hair does not fall there).
        cv::Mat old = cv::Mat::zeros(height, width, CV_8U);
        for (int y = 0; y < height; ++y) {
            const uint8_t *z = zone.ptr<uint8_t>(y), *c = covered.ptr<uint8_t>(y), *a = armMask.ptr<uint8_t>(y), *legs = trouserZone.ptr<uint8_t>(y);
            const uint8_t *bare = bareArms.ptr<uint8_t>(y), *h = hairMask.ptr<uint8_t>(y);
            const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
            uint8_t *o = old.ptr<uint8_t>(y);
            for (int x = 0; x < width; ++x) {
                if (!z[x] || c[x] || (!legs[x] && (bare[x] ? skin.hasHue(p[x]) : bareSkin(y, x)))) continue;
                if (!a[x] && h[x]) continue;
                o[x] = 255;
            }
        }
        // A print's pieces are one garment; specks of shadow on skin are not clothes; seams
        // between clothes and skin are.
        const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * unit + 1, 2 * unit + 1));
        cv::morphologyEx(old, old, cv::MORPH_CLOSE, disc);
        cv::morphologyEx(old, old, cv::MORPH_OPEN, disc);
        cv::dilate(old, old, disc);
        old &= zone;
        old.setTo(0, covered);
        old.setTo(0, keepLegs);

        // A longer old top under a shorter new one shows below the new hem. It is told apart
        // from the bottoms by its colour: one of the old top's, as it shows around the new
        // garments above the hem (a strap, a sleeve). It reaches down to the first clear change of colour
        // in the rows between the hips' sides, at most a face height below the hem; without
        // such a change, or with none of the old top showing above, nothing is done.
        if (upper) {
            std::vector<cv::Vec3d> oldTop;
            for (int y = 0; y < std::min(height, int(upperBottom)); ++y) {
                const uint8_t *o = old.ptr<uint8_t>(y);
                const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
                for (int x = 0; x < width; ++x) {
                    if (o[x]) oldTop.emplace_back(p[x]);
                }
            }
            if (oldTop.size() > size_t(fw)) {
                cv::Mat between = cv::Mat::zeros(height, width, CV_8U);
                const int x0 = std::clamp(int(legs[0].joints[0].x - 0.6 * legs[0].width), 0, width);
                const int x1 = std::clamp(int(legs[1].joints[0].x + 0.6 * legs[1].width), 0, width);
                if (x1 > x0) between.colRange(x0, x1).setTo(255);
                between &= silhouette & ~covered;
                // From the hem's highest point between the hips (the band shows below a curved
                // hem's sides too).
                int hemTop = int(upperBottom);
                for (int x = x0; x < x1; ++x) {
                    const int hem = hemAt(x);
                    if (hem >= 0) hemTop = std::min(hemTop, hem);
                }
                const int start = hemTop + 1;
                const int below = oldTopEnd(lab, between, start, int(upperBottom + 1.0 * fh), unit, oldTop);
                if (below > start) {
                    midriff = between & rows(hemTop, below);
                    old |= midriff;
                }
            }
        }
        if (cv::countNonZero(old) == 0) return PV_CV_OK;

        const cv::Mat toSkin = old & (body | midriff);
        const cv::Mat toBackground = old & ~(body | midriff);

        // The tone to paint: the person's own bare skin around the hands, lit as the arms are,
        // where enough of it shows; else the face's.
        cv::Vec3d tone(skin.l, skin.a, skin.b);
        {
            std::vector<double> ls, as, bs;
            cv::Mat around = cv::Mat::zeros(height, width, CV_8U);
            for (int side = 0; side < 2; ++side) {
                for (int joint = 2; joint < 4; ++joint) cv::circle(around, rounded(arms[side].joints[joint]), std::max(2, int(0.5 * fw)), cv::Scalar(255), cv::FILLED);
            }
            for (int y = 0; y < height; ++y) {
                const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
                const uint8_t *in = silhouette.ptr<uint8_t>(y), *o = old.ptr<uint8_t>(y), *r = around.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) {
                    if (r[x] && in[x] && !o[x] && bareSkin(y, x)) {
                        ls.push_back(p[x][0]);
                        as.push_back(p[x][1]);
                        bs.push_back(p[x][2]);
                    }
                }
            }
            // (Skin seen through a sheer fabric is darker than the face: not a tone to paint with.)
            if (ls.size() > size_t(fw * fw / 10) && std::abs(medianOf(ls) - skin.l) < 25) tone = cv::Vec3d(medianOf(ls), medianOf(as), medianOf(bs));
        }
        // Skin: that tone, shaded by the photo's light (its luminance against a wide
        // blur of it, damped: fabric's own texture should not print through) and the body's
        // roundness.
        cv::Mat luminance;
        cv::extractChannel(lab, luminance, 0);
        luminance.convertTo(luminance, CV_32F);
        cv::Mat broad, fine;
        cv::GaussianBlur(luminance, broad, cv::Size(), std::max(2.0, 0.5 * fw));
        cv::GaussianBlur(luminance, fine, cv::Size(), std::max(1.0, 0.05 * fw));
        cv::Mat edgeDistance;
        cv::distanceTransform(body | midriff, edgeDistance, cv::DIST_L2, 3);
        cv::Mat painted = photo.clone();
        cv::Mat paintedLab;
        cv::cvtColor(painted, paintedLab, cv::COLOR_RGB2Lab);
        const double roundness = std::max(2.0, 0.25 * fw);
        const double armRoundness = std::max(2.0, 0.2 * (arms[0].width + arms[1].width) / 2);
        for (int y = 0; y < height; ++y) {
            const uint8_t *s = toSkin.ptr<uint8_t>(y);
            cv::Vec3b *out = paintedLab.ptr<cv::Vec3b>(y);
            for (int x = 0; x < width; ++x) {
                if (!s[x]) continue;
                const double light = std::clamp(0.35 * (fine.at<float>(y, x) - broad.at<float>(y, x)), -18.0, 12.0);
                // An arm is a cylinder: lit along its middle, darker towards its sides; the torso
                // and the neck darken only near their edges.
                const bool onArm = armMask.at<uint8_t>(y, x) != 0;
                const double edge = std::min(1.0, edgeDistance.at<float>(y, x) / (onArm ? armRoundness : roundness));
                const double round = onArm ? 4 - 26 * (1 - edge) * (1 - edge) : -22 * (1 - edge) * (1 - edge);
                const double l = tone[0] + light + round;
                out[x] = cv::Vec3b(cv::saturate_cast<uint8_t>(l), cv::saturate_cast<uint8_t>(tone[1]), cv::saturate_cast<uint8_t>(tone[2]));
            }
        }
        cv::cvtColor(paintedLab, painted, cv::COLOR_Lab2RGB);
        // Below a new top's hem the old top is hidden by the new one's extension, as a retoucher
        // lengthens a garment: each column's garment mirrored about its hem.
        if (cv::countNonZero(midriff) > 0) {
            for (int x = 0; x < width; ++x) {
                int hem = -1;
                for (int y = std::min(height - 1, int(upperBottom)); y >= 0 && y > upperBottom - 2 * fh; --y) {
                    if (covered.at<uint8_t>(y, x)) { hem = y; break; }
                }
                if (hem < 0) continue;
                for (int y = hem + 1; y < height && y <= hem + 1.5 * fh; ++y) {
                    if (!midriff.at<uint8_t>(y, x)) continue;
                    const int mirrored = 2 * hem - y;
                    if (mirrored < 0 || !covered.at<uint8_t>(mirrored, x)) continue;
                    painted.at<cv::Vec3b>(y, x) = canvas.at<cv::Vec3b>(mirrored, x);
                }
            }
        }

        // Background: the backdrop behind the person, from the backdrop around it.
        if (cv::countNonZero(toBackground) > 0) backdropBehind(canvas, toBackground | silhouette, unit).copyTo(painted, toBackground);

        // Blended in over a feathered edge, so no seam shows between skin and what stays.
        cv::Mat weight;
        old.convertTo(weight, CV_32F, 1 / 255.0);
        cv::GaussianBlur(weight, weight, cv::Size(), std::max(0.8, 0.02 * fw));
        for (int y = 0; y < height; ++y) {
            const float *w = weight.ptr<float>(y);
            const uint8_t *c = covered.ptr<uint8_t>(y);
            cv::Vec3b *dst = canvas.ptr<cv::Vec3b>(y);
            const cv::Vec3b *src = painted.ptr<cv::Vec3b>(y);
            for (int x = 0; x < width; ++x) {
                if (w[x] <= 0.002f || c[x]) continue;
                for (int k = 0; k < 3; ++k) dst[x][k] = cv::saturate_cast<uint8_t>(dst[x][k] * (1 - w[x]) + src[x][k] * w[x]);
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
