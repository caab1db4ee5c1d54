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
#include <opencv2/photo.hpp>

#include "tryon/shape.hpp"

using namespace pv::vto;

namespace {

// Local standard deviation of lightness (8-bit Lab) above which a skin-coloured pixel is a print.
constexpr float kSkinTexture = 9.0f;

cv::Point rounded(const pv_vto_point &p) { return cv::Point(int(std::lround(p.x)), int(std::lround(p.y))); }

// A limb's capsules along its joints, drawn into `mask`: `thickness[i]` between joint i and i + 1.
void drawLimb(cv::Mat &mask, const pv_vto_point *joints, int count, const std::vector<double> &thickness) {
    for (int i = 0; i + 1 < count; ++i) {
        cv::line(mask, rounded(joints[i]), rounded(joints[i + 1]), cv::Scalar(255), std::max(1, int(std::lround(thickness[i]))), cv::LINE_8);
    }
}

// The colours of the hair: the silhouette's pixels above the face box's top.
struct HairModel {
    cv::Vec3d mean;
    double spread = 0;
    bool valid = false;

    HairModel(const cv::Mat &lab, const cv::Mat &silhouette, const cv::Rect &face) {
        const cv::Rect crown = cv::Rect(face.x, face.y - face.height / 3, face.width, face.height / 3) & cv::Rect(0, 0, lab.cols, lab.rows);
        std::vector<cv::Vec3d> samples;
        for (int y = crown.y; y < crown.br().y; ++y) {
            for (int x = crown.x; x < crown.br().x; ++x) {
                if (silhouette.at<uint8_t>(y, x)) samples.push_back(cv::Vec3d(lab.at<cv::Vec3b>(y, x)));
            }
        }
        if (samples.size() < 16) return;
        for (const cv::Vec3d &s : samples) mean += s;
        mean /= double(samples.size());
        double sum = 0;
        for (const cv::Vec3d &s : samples) sum += cv::norm(s - mean);
        spread = std::max(12.0, 1.5 * sum / double(samples.size()));
        valid = true;
    }

    bool contains(const cv::Vec3b &p) const { return valid && cv::norm(cv::Vec3d(p) - mean) <= spread; }
};

}  // namespace

extern "C" int pv_cv_vto_retouch(uint8_t *canvasData, const uint8_t *photoData, size_t stride, int width, int height,
                                 const uint8_t *silhouetteData, const uint8_t *coverageData, const uint8_t *torsoData,
                                 int fx, int fy, int fw, int fh, double chinY, const pv_vto_arm *arms, const pv_vto_arm *legs,
                                 double upperTop, double upperBottom, double lowerTop) {
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

        // Where the new garments replace the person's clothes: the torso (a little wider: loose
        // clothes) and the neck from under the chin to the upper garments' hem, and the arms down
        // to the wrists; the legs and between them from the waistband down to the ankles. Hands
        // and feet keep what they hold or wear.
        cv::Mat zone = cv::Mat::zeros(height, width, CV_8U);
        cv::Mat armMask = cv::Mat::zeros(height, width, CV_8U), legMask = cv::Mat::zeros(height, width, CV_8U);
        const int unit = std::max(1, int(std::lround(0.04 * fw)));
        auto rows = [&](double from, double to) {
            cv::Mat band = cv::Mat::zeros(height, width, CV_8U);
            const int top = std::clamp(int(from), 0, height), bottom = std::clamp(int(to), 0, height);
            if (bottom > top) band.rowRange(top, bottom).setTo(255);
            return band;
        };
        if (upperBottom > upperTop) {
            // The sleeves' zone reaches wider than the arm: a loose sleeve's sides become background.
            cv::Mat sleeves = cv::Mat::zeros(height, width, CV_8U);
            for (int side = 0; side < 2; ++side) {
                drawLimb(armMask, arms[side].joints, 3, {1.1 * arms[side].width, 1.0 * arms[side].width});
                drawLimb(sleeves, arms[side].joints, 3, {2.0 * arms[side].width, 1.8 * arms[side].width});
            }
            cv::Mat loose;
            cv::dilate(torso, loose, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(10 * unit + 1, 10 * unit + 1)));
            const int neckHalf = int(0.45 * fw), x = fx + fw / 2;
            const cv::Rect neck = cv::Rect(x - neckHalf, int(chinY), 2 * neckHalf, std::max(1, int(0.8 * fh))) & frame;
            if (!neck.empty()) loose(neck).setTo(255);
            zone |= (loose & rows(std::max(upperTop, chinY + 0.08 * fh), upperBottom)) | sleeves;
        }
        if (lowerTop >= 0) {
            for (int side = 0; side < 2; ++side) drawLimb(legMask, legs[side].joints, 3, {1.45 * legs[side].width, 1.0 * legs[side].width});
            // Between the legs too: the outline from each hip over the knee to the ankle.
            const pv_vto_arm &l = legs[0], &r = legs[1];
            const std::vector<cv::Point> between = {
                rounded(point(l.joints[0].x - 0.75 * l.width, l.joints[0].y)), rounded(point(l.joints[1].x - 0.6 * l.width, l.joints[1].y)),
                rounded(point(l.joints[2].x - 0.5 * l.width, l.joints[2].y)), rounded(point(r.joints[2].x + 0.5 * r.width, r.joints[2].y)),
                rounded(point(r.joints[1].x + 0.6 * r.width, r.joints[1].y)), rounded(point(r.joints[0].x + 0.75 * r.width, r.joints[0].y))};
            cv::Mat lower = legMask.clone();
            cv::fillPoly(lower, std::vector<std::vector<cv::Point>>{between}, cv::Scalar(255));
            const double ankles = std::max(l.joints[2].y, r.joints[2].y);
            lower &= rows(lowerTop, ankles);
            // Arms and hands hanging beside the hips are not the legs' clothes.
            cv::Mat hands = cv::Mat::zeros(height, width, CV_8U);
            for (int side = 0; side < 2; ++side) drawLimb(hands, arms[side].joints + 1, 3, {1.2 * arms[side].width, 1.6 * arms[side].width});
            lower.setTo(0, hands);
            zone |= lower;
        }
        zone &= silhouette;
        // The face and the head stay as they are.
        const cv::Rect head = cv::Rect(fx - fw / 4, fy - fh, fw + fw / 2, int(chinY - (fy - fh)) + 1) & frame;
        if (!head.empty()) zone(head).setTo(0);

        // A body part's skin: the arms, the torso and the neck. The legs are left alone: bare
        // legs painted over trousers read as painted; old clothes between and beside the new
        // legs become background.
        cv::Mat body = armMask | torso;
        const cv::Mat keepLegs = legMask & ~torso;
        {
            const int neckHalf = int(0.3 * fw), x = fx + fw / 2;
            const cv::Rect neck = cv::Rect(x - neckHalf, int(chinY), 2 * neckHalf, std::max(1, int(0.8 * fh))) & frame;
            if (!neck.empty()) body(neck).setTo(255);
        }

        // Skin is smooth: a print in skin-like colours (leopard, tan stripes) is not skin.
        cv::Mat texture;
        {
            cv::Mat l, mean, square;
            cv::extractChannel(lab, l, 0);
            l.convertTo(l, CV_32F);
            const cv::Size window(4 * unit + 1, 4 * unit + 1);
            cv::blur(l, mean, window);
            cv::blur(l.mul(l), square, window);
            cv::sqrt(cv::max(square - mean.mul(mean), 0), texture);
        }
        // The old clothes: in the zone, not under a new garment, not smooth skin; not hair
        // (only near the head: long hair reaches the chest, not the arms or the legs).
        const double hairBottom = chinY + 2.2 * fh;
        cv::Mat old = cv::Mat::zeros(height, width, CV_8U);
        for (int y = 0; y < height; ++y) {
            const uint8_t *z = zone.ptr<uint8_t>(y), *c = covered.ptr<uint8_t>(y), *a = armMask.ptr<uint8_t>(y);
            const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
            const float *t = texture.ptr<float>(y);
            uint8_t *o = old.ptr<uint8_t>(y);
            for (int x = 0; x < width; ++x) {
                if (!z[x] || c[x] || (skin.contains(p[x]) && t[x] < kSkinTexture)) continue;
                if (!a[x] && y < hairBottom && hair.contains(p[x])) continue;
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
        if (cv::countNonZero(old) == 0) return PV_CV_OK;

        const cv::Mat toSkin = old & body;
        const cv::Mat toBackground = old & ~body;

        // The tone to paint: the person's own skin below the chin (arms, neck, legs) where
        // enough shows, else the face's.
        cv::Vec3d tone(skin.l, skin.a, skin.b);
        {
            std::vector<double> ls, as, bs;
            for (int y = std::clamp(int(chinY), 0, height); y < height; ++y) {
                const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
                const uint8_t *in = silhouette.ptr<uint8_t>(y), *o = old.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) {
                    if (in[x] && !o[x] && skin.contains(p[x])) { ls.push_back(p[x][0]); as.push_back(p[x][1]); bs.push_back(p[x][2]); }
                }
            }
            // (Skin seen through a sheer fabric is darker than the face: not a tone to paint with.)
            if (ls.size() > size_t(fw * fw / 4) && std::abs(medianOf(ls) - skin.l) < 20) tone = cv::Vec3d(medianOf(ls), medianOf(as), medianOf(bs));
        }
        // Skin: that tone, shaded by the photo's light (its luminance against a wide
        // blur of it, damped: fabric's own texture should not print through) and each limb's
        // roundness (darker towards its edges).
        cv::Mat luminance;
        cv::extractChannel(lab, luminance, 0);
        luminance.convertTo(luminance, CV_32F);
        cv::Mat broad, fine;
        cv::GaussianBlur(luminance, broad, cv::Size(), std::max(2.0, 0.5 * fw));
        cv::GaussianBlur(luminance, fine, cv::Size(), std::max(1.0, 0.05 * fw));
        cv::Mat edgeDistance;
        cv::distanceTransform(body, edgeDistance, cv::DIST_L2, 3);
        cv::Mat painted = photo.clone();
        cv::Mat paintedLab;
        cv::cvtColor(painted, paintedLab, cv::COLOR_RGB2Lab);
        const double roundness = std::max(2.0, 0.25 * fw);
        for (int y = 0; y < height; ++y) {
            const uint8_t *s = toSkin.ptr<uint8_t>(y);
            cv::Vec3b *out = paintedLab.ptr<cv::Vec3b>(y);
            for (int x = 0; x < width; ++x) {
                if (!s[x]) continue;
                const double light = std::clamp(0.35 * (fine.at<float>(y, x) - broad.at<float>(y, x)), -18.0, 12.0);
                const double edge = std::min(1.0, edgeDistance.at<float>(y, x) / roundness);
                const double l = tone[0] + light - 22 * (1 - edge) * (1 - edge);
                out[x] = cv::Vec3b(cv::saturate_cast<uint8_t>(l), cv::saturate_cast<uint8_t>(tone[1]), cv::saturate_cast<uint8_t>(tone[2]));
            }
        }
        cv::cvtColor(paintedLab, painted, cv::COLOR_Lab2RGB);

        // Background: inpainted from around the region, at a quarter of the size (a backdrop is
        // smooth), then brought back up.
        if (cv::countNonZero(toBackground) > 0) {
            const double shrink = 0.25;
            cv::Mat small, smallMask, filled, full;
            cv::resize(canvas, small, cv::Size(), shrink, shrink, cv::INTER_AREA);
            cv::Mat grown;
            cv::dilate(toBackground, grown, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));
            cv::resize(grown, smallMask, small.size(), 0, 0, cv::INTER_NEAREST);
            cv::inpaint(small, smallMask, filled, 5, cv::INPAINT_TELEA);
            cv::resize(filled, full, canvas.size(), 0, 0, cv::INTER_LINEAR);
            full.copyTo(painted, toBackground);
        }

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
