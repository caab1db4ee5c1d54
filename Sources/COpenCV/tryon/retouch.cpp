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

#include "core/blur.hpp"
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
// than 25 (CIELAB, 8-bit) from the band's first rows' and like less than a tenth of the old
// top's colours (`oldTop`, its pixels above the hem); `from` when no fifth of those is within 25
// of the band's first rows, or when there is no such change.
int oldTopEnd(const cv::Mat &lab, const cv::Mat &mask, int from, int to, int unit, const std::vector<cv::Vec3d> &oldTop) {
    from = std::max(0, from);
    to = std::min(lab.rows, to);
    // A row counts where the band shows across a quarter of the mask's widest row at least:
    // under a wavy hem its first rows are a few pixels between the folds.
    int widest = 0;
    for (int y = from; y < to; ++y) widest = std::max(widest, cv::countNonZero(mask.row(y)));
    const size_t fewest = size_t(std::max(4, widest / 4));
    auto median = [&](int y, cv::Vec3d &out) {
        std::vector<double> c[3];
        const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
        const uint8_t *m = mask.ptr<uint8_t>(y);
        for (int x = 0; x < lab.cols; ++x) {
            if (!m[x]) continue;
            for (int k = 0; k < 3; ++k) c[k].push_back(p[x][k]);
        }
        if (c[0].size() < fewest) return false;
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
        // (A shade of the old top, its own shadow above the waistband, is still the old top. Black
        // trousers are not, though the old top's black straps make black a fifteenth of it.)
        if (cv::norm(here - reference) > 25 && share(here) < 0.1) {
            if (++changed == 3) return y - 2;
        } else {
            changed = 0;
        }
    }
    return from;
}

// How often colours occur among some pixels: 8-bit Lab in bins of 32 lightness by 8 by 8, read
// with their neighbours (a colour a bin away is the same in other light).
class ColourHistogram {
  public:
    void add(const cv::Vec3b &p) {
        ++bins_[index(p[0] >> 5, p[1] >> 3, p[2] >> 3)];
        ++total_;
    }
    size_t total() const { return total_; }
    // The share of the pixels whose colour is within a bin of p's.
    double density(const cv::Vec3b &p) const {
        if (total_ == 0) return 0;
        const int l = p[0] >> 5, a = p[1] >> 3, b = p[2] >> 3;
        double sum = 0;
        for (int dl = -1; dl <= 1; ++dl) {
            for (int da = -1; da <= 1; ++da) {
                for (int db = -1; db <= 1; ++db) {
                    const int nl = l + dl, na = a + da, nb = b + db;
                    if (nl >= 0 && nl < 8 && na >= 0 && na < 32 && nb >= 0 && nb < 32) sum += bins_[index(nl, na, nb)];
                }
            }
        }
        return sum / double(total_);
    }

  private:
    static int index(int l, int a, int b) { return (l * 32 + a) * 32 + b; }
    std::vector<uint32_t> bins_ = std::vector<uint32_t>(8 * 32 * 32, 0);
    size_t total_ = 0;
};

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

// `values` (CV_32F) averaged by `blur` over the pixels `share` (CV_32F, 0..1) weighs in: a
// normalised convolution, so that what lies outside the mask does not bleed into the mean.
template <typename Blur>
cv::Mat maskedBlur(const cv::Mat &values, const cv::Mat &share, Blur &&blur) {
    cv::Mat sum, weight;
    blur(values.mul(share), sum);
    blur(share, weight);
    return cv::Mat(sum / cv::max(weight, 1e-3));
}

// `image` (8-bit, three channels) where `known`, and elsewhere the weighted mean of the known
// pixels nearest: a normalised convolution from `sigma` on, widened until it reaches every pixel.
cv::Mat spreadFrom(const cv::Mat &image, const cv::Mat &known, double sigma) {
    cv::Mat colour, weight, weight3;
    image.convertTo(colour, CV_32FC3);
    known.convertTo(weight, CV_32F, 1 / 255.0);
    cv::merge(std::vector<cv::Mat>{weight, weight, weight}, weight3);
    const cv::Mat weighted = colour.mul(weight3);
    cv::Mat plate(image.size(), CV_32FC3, cv::Scalar::all(0)), done = known.clone();
    colour.copyTo(plate, known);
    for (; sigma < 2.0 * std::max(image.cols, image.rows) && cv::countNonZero(done) < int(done.total()); sigma *= 2) {
        cv::Mat sum, share;
        pv::wideGaussianBlur(weighted, sum, sigma);
        pv::wideGaussianBlur(weight, share, sigma);
        for (int y = 0; y < image.rows; ++y) {
            for (int x = 0; x < image.cols; ++x) {
                const float w = share.at<float>(y, x);
                if (done.at<uint8_t>(y, x) || w < 1e-3f) continue;
                plate.at<cv::Vec3f>(y, x) = sum.at<cv::Vec3f>(y, x) / w;
                done.at<uint8_t>(y, x) = 255;
            }
        }
    }
    plate.convertTo(plate, CV_8UC3);
    return plate;
}

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
    cv::Mat full;
    cv::resize(spreadFrom(small, backdrop, 2), full, canvas.size(), 0, 0, cv::INTER_LINEAR);
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
        // (Under a garment's lace or soft edge the photo shows through: its clothes there go too.)
        const cv::Mat opaque = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(coverageData)) >= 250;
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
        // It is measured within the person only: an arm's outline against the backdrop is not
        // a print on the arm.
        cv::Mat texture;
        {
            cv::Mat l, inside, detail;
            cv::extractChannel(lab, l, 0);
            l.convertTo(l, CV_32F);
            silhouette.convertTo(inside, CV_32F, 1 / 255.0);
            const auto fine = [&](const cv::Mat &in, cv::Mat &out) { cv::GaussianBlur(in, out, cv::Size(), std::max(1.0, unit / 2.0)); };
            const auto local = [&](const cv::Mat &in, cv::Mat &out) { cv::blur(in, out, cv::Size(4 * unit + 1, 4 * unit + 1)); };
            detail = l - maskedBlur(l, inside, fine);
            cv::sqrt(maskedBlur(detail.mul(detail), inside, local), texture);
        }
        auto bareSkin = [&](int y, int x) { return skin.contains(lab.at<cv::Vec3b>(y, x)) && texture.at<float>(y, x) < kSkinTexture; };
        // The share of the person's pixels along one bone of an arm (from joint `bone`, between
        // the shares `from` and `to` of its length) that are skin.
        auto armSkin = [&](const pv_vto_arm &arm, int bone, double from, double to) {
            const pv_vto_point &start = arm.joints[bone], &end = arm.joints[bone + 1];
            const pv_vto_point axis[] = {point(lerp(start.x, end.x, from), lerp(start.y, end.y, from)),
                                         point(lerp(start.x, end.x, to), lerp(start.y, end.y, to))};
            const double radii[] = {0.35 * arm.width, 0.35 * arm.width};
            const cv::Mat near = (limbField(width, height, axis, radii, 2) <= 1.0f) & silhouette;
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
        // The silhouette with its soft edge, where a dark garment's last pixels lie.
        cv::Mat edged;
        cv::dilate(silhouette, edged, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * unit + 1, 2 * unit + 1)));
        cv::Mat zone = cv::Mat::zeros(height, width, CV_8U);
        cv::Mat armMask = cv::Mat::zeros(height, width, CV_8U), legMask = cv::Mat::zeros(height, width, CV_8U);
        cv::Mat armField(height, width, CV_32F, cv::Scalar(1e9f));
        cv::Mat trouserZone = cv::Mat::zeros(height, width, CV_8U), midriff = cv::Mat::zeros(height, width, CV_8U);
        cv::Mat besideLegs = cv::Mat::zeros(height, width, CV_8U), cuffReach = cv::Mat::zeros(height, width, CV_8U);
        cv::Mat skirtZone = cv::Mat::zeros(height, width, CV_8U);
        auto rows = [&](double from, double to) {
            cv::Mat band = cv::Mat::zeros(height, width, CV_8U);
            const int top = std::clamp(int(from), 0, height), bottom = std::clamp(int(to), 0, height);
            if (bottom > top) band.rowRange(top, bottom).setTo(255);
            return band;
        };
        // The columns between the hips' sides, where bands of old clothes round the waist are
        // looked for (below a new top's hem, above new bottoms' waistband).
        const int hipsX0 = std::clamp(int(legs[0].joints[0].x - 0.6 * legs[0].width), 0, width);
        const int hipsX1 = std::clamp(int(legs[1].joints[0].x + 0.6 * legs[1].width), 0, width);
        // The lowest row a new garment covers between the hips, from row `from` up; -1 for none.
        auto lowestBetweenHips = [&](int from) {
            for (int y = std::min(from, height - 1); y >= 0; --y) {
                const uint8_t *c = covered.ptr<uint8_t>(y);
                if (std::any_of(c + hipsX0, c + hipsX1, [](uint8_t v) { return v != 0; })) return y;
            }
            return -1;
        };
        // The upper garments' body's hem, which long sleeves hanging beside the hips can reach below.
        const int hemBetweenHips = lowestBetweenHips(int(upperBottom));
        const double bodyBottom = hemBetweenHips >= 0 ? hemBetweenHips : upperBottom;
        // The upper garments' own hem in a column: their lowest pixel there when they reach down
        // near their body's lowest row (a slanted or curved hem), else -1.
        auto hemAt = [&](int x) {
            const int last = std::clamp(int(upperBottom), 0, height - 1), near = std::max(0, int(bodyBottom - 0.5 * fh));
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
        const bool sleeveless = std::max(armSkin(arms[0], 0, 0.1, 0.45), armSkin(arms[1], 0, 0.1, 0.45)) >= 0.3;
        // Bare forearms: no sleeve hangs beside the hips.
        const bool bareForearms = std::max(armSkin(arms[0], 1, 0.2, 0.8), armSkin(arms[1], 1, 0.2, 0.8)) >= 0.3;
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
                // Further out along the forearm, and over the wrist, a loose cuff is told from
                // what the hand is at by its colours.
                const double cuff[] = {2.0 * w, 1.2 * w, 0.9 * w, 0.9 * w};
                cuffReach |= limbField(width, height, joints, cuff, 4) <= 1.0f;
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
            else skirtZone = lower;
            // Beside new bottoms or a dress, as far as the person reaches (a flared skirt, wide
            // jeans), what has the old bottoms' colours is theirs too. (There a skirt is told from
            // an arm and a sleeve by its colours.)
            // (With the silhouette's soft edge: an old skirt's dark rim stayed as a line.)
            besideLegs = rows(lowerTop, ankles) & edged & ~lower & ~zone;
        }
        // (With the silhouette's soft edge: a dark sleeve's last pixels would stay as a line.)
        zone &= edged;
        // The hands stay as they are (their shadows are not clothes). A hand is about a face
        // long: a fingertip landmark further out (a hand in a pocket) must not make it huge.
        cv::Mat palms = cv::Mat::zeros(height, width, CV_8U);
        for (int side = 0; side < 2; ++side) {
            const pv_vto_point &wrist = arms[side].joints[2], &tip = arms[side].joints[3];
            const double length = std::hypot(tip.x - wrist.x, tip.y - wrist.y), reach = std::min(length, 1.0 * fh);
            const double t = 0.85 * reach / std::max(1e-6, length);
            const pv_vto_point palm = point(lerp(wrist.x, tip.x, t), lerp(wrist.y, tip.y, t));
            cv::circle(palms, rounded(palm), std::max(2, int(std::max(0.15 * fw, 0.35 * reach))), cv::Scalar(255), cv::FILLED);
        }
        // A long sleeve's cuff reaches over the wrist to the hand: there the colours tell the
        // cuff from the hand and what it holds.
        const cv::Mat cuffs = (cuffReach & silhouette & ~zone) | (palms & zone & armMask);
        zone.setTo(0, palms);
        // (Beside new bottoms or a dress the colours tell a hand from a skirt.)
        zone |= besideLegs | cuffs;
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
        const int faceCentre = fx + fw / 2;
        const cv::Rect hairReach = cv::Rect(cv::Point(int(faceCentre - 1.3 * fw), 0), cv::Point(int(faceCentre + 1.3 * fw), int(chinY + 2.2 * fh))) & frame;
        if (hair.valid) {
            for (int y = hairReach.y; y < hairReach.br().y; ++y) {
                const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
                const uint8_t *in = silhouette.ptr<uint8_t>(y);
                uint8_t *h = hairMask.ptr<uint8_t>(y);
                for (int x = hairReach.x; x < hairReach.br().x; ++x) {
                    if (in[x] && hair.contains(p[x])) h[x] = 255;
                }
            }
            cv::Mat crown = cv::Mat::zeros(height, width, CV_8U);
            crown(hair.crown).setTo(255);
            hairMask = piecesTouching(hairMask, crown);
        }
        // The colours of the person's clothes (what the new garments cover of the torso, skin and
        // hair left out) and of their bare skin: skin in shade, darker and redder than any skin
        // the skin test accepts, is told from clothes of the skin's hue by which it is more like.
        // The old bottoms' colours are those under the new trousers, skirt or dress (bare legs
        // below a skirt's hem among them: a colour the bottoms show much more often than the
        // skin is clothes).
        // What the person wears over the hips, from the legs' cores between hips and knees: an
        // arm's zone reaches over it beside the hips.
        cv::Mat hipCores = cv::Mat::zeros(height, width, CV_8U);
        for (int side = 0; side < 2; ++side) drawLimb(hipCores, legs[side].joints, 2, {0.7 * legs[side].width});
        // What the legs show below a new skirt's or dress's hem, above the ankles (legColours): an
        // old skirt there is one piece with what lies between the legs, which then stays too
        // (clearing only between the legs would cut a stripe of backdrop through it). Not beside
        // the new garment, nor the shoes: a black dress showing beside a new one took its own
        // black for the legs' and stayed.
        const int legsFrom = lowestBetweenHips(height - 1) + 1;
        const double anklesTop = std::min(legs[0].joints[2].y, legs[1].joints[2].y);
        ColourHistogram clothesColours, skinColours, bottomsColours, topColours, hipColours, hairColours, legColours;
        for (int y = hair.crown.y; y < hair.crown.br().y; ++y) {
            for (int x = hair.crown.x; x < hair.crown.br().x; ++x) {
                if (hairMask.at<uint8_t>(y, x)) hairColours.add(lab.at<cv::Vec3b>(y, x));
            }
        }
        for (int y = 0; y < height; ++y) {
            const bool aboveBottoms = y > chinY && (lowerTop < 0 || y < lowerTop);
            const uint8_t *in = silhouette.ptr<uint8_t>(y), *t = torso.ptr<uint8_t>(y), *c = covered.ptr<uint8_t>(y), *h = hairMask.ptr<uint8_t>(y);
            const uint8_t *legs = trouserZone.ptr<uint8_t>(y), *beside = besideLegs.ptr<uint8_t>(y), *k = keepLegs.ptr<uint8_t>(y);
            const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
            for (int x = 0; x < width; ++x) {
                if (!in[x]) continue;
                // (Skin as the skin test sees it away from the bottoms: a yellow skirt passes it.)
                const bool bare = bareSkin(y, x);
                if (bare && !legs[x] && !beside[x]) skinColours.add(p[x]);
                else if (t[x] && c[x] && !h[x]) clothesColours.add(p[x]);
                if ((legs[x] || skirtZone.at<uint8_t>(y, x)) && c[x]) bottomsColours.add(p[x]);
                if (!bare && hipCores.at<uint8_t>(y, x)) hipColours.add(p[x]);
                if (!bare && aboveBottoms && t[x] && !h[x]) topColours.add(p[x]);
                if (!bare && k[x] && !c[x] && y >= legsFrom && y < anklesTop) legColours.add(p[x]);
            }
        }
        // Hair lighter or darker than the crown's (sunlit ends, highlights) is outside the crown's
        // colour spread: it joins the hair where it is in one piece with it and its colour is one
        // the crown shows and far more the hair's than the clothes' or the skin's (ends lying
        // over a white top were painted as skin, and the hair looked cut).
        if (hair.valid && hairColours.total() >= size_t(fw)) {
            cv::Mat reach = hairMask.clone();
            for (int y = hairReach.y; y < hairReach.br().y; ++y) {
                const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
                const uint8_t *in = silhouette.ptr<uint8_t>(y);
                uint8_t *r = reach.ptr<uint8_t>(y);
                for (int x = hairReach.x; x < hairReach.br().x; ++x) {
                    if (!in[x] || bareSkin(y, x)) continue;
                    const double share = hairColours.density(p[x]);
                    if (share >= 0.02 && share >= 2 * clothesColours.density(p[x]) && share >= skinColours.density(p[x])) r[x] = 255;
                }
            }
            hairMask = piecesTouching(reach, hairMask);
        }
        const bool tellsShade = clothesColours.total() >= size_t(fw) && skinColours.total() >= size_t(fw);
        // (A colour the skin hardly shows, a red collar, is not skin in shade.)
        auto skinInShade = [&](const cv::Vec3b &p) {
            return tellsShade && skin.hasHue(p) && skinColours.density(p) >= std::max(0.005, clothesColours.density(p));
        };
        // Hair-coloured pixels in one piece with the crown's hair are hair unless their colour is
        // far more the clothes' than the crown's (a black strap touching dark brown hair).
        auto hairLike = [&](const cv::Vec3b &p) {
            return !tellsShade || hairColours.total() < size_t(fw) || 2 * hairColours.density(p) >= clothesColours.density(p);
        };
        // On a bare arm the skin's hue is enough, unless the hue is unsure (faint, or in a very
        // dark pixel) and the colour far more the clothes' than the skin's: a white top in warm
        // light, a black strap, have a little of the skin's hue.
        auto bareArmSkin = [&](const cv::Vec3b &p) {
            if (!skin.hasHue(p)) return false;
            const bool unsure = std::hypot(p[1] - 128.0, p[2] - 128.0) < 0.5 * skin.chroma || p[0] < 0.35 * skin.l;
            return !unsure || !tellsShade || 2 * skinColours.density(p) >= clothesColours.density(p);
        };
        // Skin, as far as the tests tell: on a bare arm by hue, elsewhere the skin test or skin in shade.
        auto skinAt = [&](int y, int x, bool onBareArm) {
            const cv::Vec3b &p = lab.at<cv::Vec3b>(y, x);
            return onBareArm ? bareArmSkin(p) : bareSkin(y, x) || skinInShade(p);
        };
        // Beside the hips, a colour the hips show half as often again as the old top does is
        // the bottoms' (a skirt's side beside a hand), not a sleeve's.
        const int hipsTop = int(std::min(legs[0].joints[0].y, legs[1].joints[0].y) - 0.5 * fh);
        auto hipsLike = [&](int y, const cv::Vec3b &p) {
            return y >= hipsTop && hipColours.total() >= size_t(fw) && hipColours.density(p) > 1.5 * clothesColours.density(p);
        };
        // (A colour a fiftieth of the old top shows, twice as often as the skin does.)
        auto sleeveLike = [&](const cv::Vec3b &p) {
            const double share = clothesColours.density(p);
            return tellsShade && share >= 0.02 && share >= 2 * skinColours.density(p);
        };
        // (A colour a fiftieth of the bottoms show, twice as often as the skin does, and, unless
        // the forearms are bare, twice as often as the top: a sleeve of the bottoms' colour beside
        // a hip stays, but a sleeveless black top does not keep black trousers beside new ones.)
        auto bottomsLike = [&](const cv::Vec3b &p) {
            const double share = bottomsColours.density(p);
            return bottomsColours.total() >= size_t(fw) && share >= 0.02 && share >= 2 * skinColours.density(p) &&
                   (bareForearms || share >= 2 * topColours.density(p));
        };
        // The old clothes: in the zone, not under a new garment's opaque part, not skin, not hair
        // (but on the arms: hair does not fall there).
        cv::Mat old = cv::Mat::zeros(height, width, CV_8U), bottomsBeside = cv::Mat::zeros(height, width, CV_8U);
        for (int y = 0; y < height; ++y) {
            const uint8_t *z = zone.ptr<uint8_t>(y), *c = opaque.ptr<uint8_t>(y), *a = armMask.ptr<uint8_t>(y), *legs = trouserZone.ptr<uint8_t>(y);
            const uint8_t *bare = bareArms.ptr<uint8_t>(y), *h = hairMask.ptr<uint8_t>(y), *beside = besideLegs.ptr<uint8_t>(y);
            const uint8_t *cuff = cuffs.ptr<uint8_t>(y);
            const cv::Vec3b *p = lab.ptr<cv::Vec3b>(y);
            uint8_t *o = old.ptr<uint8_t>(y);
            for (int x = 0; x < width; ++x) {
                if (!z[x] || c[x]) continue;
                // (A yellow skirt can pass for skin; beside the legs the colours tell.)
                if (beside[x]) {
                    if (bottomsLike(p[x])) o[x] = 255;
                    continue;
                }
                if (skirtZone.at<uint8_t>(y, x) && legColours.total() >= size_t(fw) && legColours.density(p[x]) >= 0.02) continue;
                if (!legs[x] && hipsLike(y, p[x])) {
                    bottomsBeside.at<uint8_t>(y, x) = 255;
                    continue;
                }
                if (cuff[x]) {
                    if (sleeveLike(p[x])) o[x] = 255;
                    continue;
                }
                if (!legs[x] && skinAt(y, x, bare[x])) continue;
                if (!a[x] && h[x] && hairLike(p[x])) continue;
                o[x] = 255;
            }
        }
        // A cuff is not among the bottoms' colours: the sleeve's colours in a print beside the
        // hand (a leopard skirt's black spots) are the print's, unless they continue the sleeve
        // itself in one piece (its last rim at the wrist).
        {
            cv::Mat nearBottoms;
            cv::dilate(bottomsBeside, nearBottoms, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(4 * unit + 1, 4 * unit + 1)));
            const cv::Mat doubtful = nearBottoms & cuffs & old;
            if (cv::countNonZero(doubtful) > 0) {
                // The sleeve followed through the cuff's pixels, up to a face height on.
                cv::Mat sleeve = old & ~cuffs;
                const cv::Mat step = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
                for (int i = 0; i < fh; ++i) {
                    cv::Mat next;
                    cv::dilate(sleeve, next, step);
                    next &= old;
                    if (cv::countNonZero(next != sleeve) == 0) break;
                    sleeve = next;
                }
                old.setTo(0, doubtful & ~sleeve);
            }
        }
        // A print's pieces are one garment; specks of shadow on skin are not clothes; seams
        // between clothes and skin are.
        const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * unit + 1, 2 * unit + 1));
        cv::morphologyEx(old, old, cv::MORPH_CLOSE, disc);
        // (But a skirt's print beside a hand is not joined to the sleeve: of it, only spots in
        // the sleeve's colours were taken, and they go with the specks.)
        old.setTo(0, bottomsBeside);
        cv::morphologyEx(old, old, cv::MORPH_OPEN, disc);
        cv::dilate(old, old, disc);
        old &= zone;
        old.setTo(0, opaque);
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
                const int x0 = hipsX0, x1 = hipsX1;
                if (x1 > x0) between.colRange(x0, x1).setTo(255);
                between &= silhouette & ~covered;
                // (Nor are the forearms hanging beside the hips: their colour would be taken for
                // the old top's below the hem, and they would be painted over with the new one.)
                for (int side = 0; side < 2; ++side) {
                    const double radii[] = {0.6 * arms[side].width, 0.6 * arms[side].width, 0.6 * arms[side].width};
                    between.setTo(0, limbField(width, height, arms[side].joints + 1, radii, 3) <= 1.0f);
                }
                // From the hem's highest point between the hips (the band shows below a curved
                // hem's sides too).
                int hemTop = int(upperBottom);
                for (int x = x0; x < x1; ++x) {
                    const int hem = hemAt(x);
                    if (hem >= 0) hemTop = std::min(hemTop, hem);
                }
                const int start = hemTop + 1;
                // (A unit on into the next garment: the rows where the old top's hem fades into
                // it stayed as a light line.)
                const int end = oldTopEnd(lab, between, start, int(upperBottom + 1.0 * fh), unit, oldTop);
                const int below = end > start ? end + unit : end;
                if (below > start) {
                    midriff = between & rows(hemTop, below);
                    old |= midriff;
                    // Beside the hips, in those rows, what is not skin is the old top's too.
                    const cv::Mat beside = silhouette & ~covered & ~between & rows(hemTop, below);
                    for (int y = std::max(0, hemTop); y < std::min(height, below); ++y) {
                        const uint8_t *b = beside.ptr<uint8_t>(y), *bare = bareArms.ptr<uint8_t>(y);
                        uint8_t *o = old.ptr<uint8_t>(y);
                        for (int x = 0; x < width; ++x) {
                            if (b[x] && !skinAt(y, x, bare[x])) o[x] = 255;
                        }
                    }
                }
            }
        }
        // Old clothes in a band beyond a new garment's edge, `direction` rows on from it (+1 below,
        // -1 above), in the columns [x0, x1). A column's edge is the garment's last covered row
        // that way, within a face height of row `near`; the run from it, within half a face
        // height, goes on while `step` does not stop it, and counts when at least half of it is
        // `alike`. One line for all columns (a ragged edge of single columns reads as drips): the
        // median of the runs' far ends, when at least `quorum` columns have one. The band is the
        // silhouette from each column's edge to that line.
        enum class Step { stop, alike, unlike };
        struct Band {
            cv::Mat mask;
            int line = -1;
        };
        auto bandBeyond = [&](int x0, int x1, double near, int direction, double quorum, const auto &step) {
            Band band{cv::Mat::zeros(height, width, CV_8U)};
            std::vector<int> edges(width, -1);
            std::vector<double> ends;
            for (int x = x0; x < x1; ++x) {
                // Coming from beyond the garment, the first covered row is its edge.
                for (int y = int(near + direction * fh); std::abs(y - near) <= fh; y -= direction) {
                    if (y >= 0 && y < height && covered.at<uint8_t>(y, x)) { edges[x] = y; break; }
                }
                const int edge = edges[x];
                if (edge < 0) continue;
                int far = edge, length = 0, alike = 0;
                for (int y = edge + direction; y >= 0 && y < height && std::abs(y - edge) <= 0.5 * fh; y += direction) {
                    const Step next = step(y, x);
                    if (next == Step::stop) break;
                    ++length;
                    alike += next == Step::alike;
                    far = y;
                }
                if (length > 0 && 2 * alike >= length) ends.push_back(far);
            }
            if (ends.empty() || double(ends.size()) < quorum) return band;
            band.line = int(medianOf(ends));
            for (int x = x0; x < x1; ++x) {
                if (edges[x] < 0) continue;
                for (int y = edges[x] + direction; direction * (band.line - y) >= 0; y += direction) {
                    if (silhouette.at<uint8_t>(y, x)) band.mask.at<uint8_t>(y, x) = 255;
                }
            }
            return band;
        };
        // Longer old bottoms under new trousers show below their hems (a patterned cuff over the
        // shoes). Round each ankle, the run down from the hem to the ankle's skin is theirs when
        // half of it has their colours (a print's light parts are not all the bottoms' colours);
        // the new trousers' extension covers the band, as it covers an old top below a new one's
        // hem. (One line per leg, where a third of the leg's columns show such a run.)
        cv::Mat belowHems = cv::Mat::zeros(height, width, CV_8U);
        if (trousers) {
            for (int side = 0; side < 2; ++side) {
                const pv_vto_point &ankle = legs[side].joints[2];
                const int x0 = std::clamp(int(ankle.x - 1.5 * legs[side].width), 0, width);
                const int x1 = std::clamp(int(ankle.x + 1.5 * legs[side].width), 0, width);
                belowHems |= bandBeyond(x0, x1, ankle.y, +1, legs[side].width / 3, [&](int y, int x) {
                    if (!silhouette.at<uint8_t>(y, x) || skinAt(y, x, false)) return Step::stop;
                    return bottomsLike(lab.at<cv::Vec3b>(y, x)) ? Step::alike : Step::unlike;
                }).mask;
            }
            old |= belowHems;
        }
        // Old bottoms whose waistband sits higher than the new bottoms' show as a band between
        // the person's own top and the new waistband (a tucked tee over high-waisted trousers):
        // between the hips, the run of their colours up from the new garment's top, where a third
        // of the columns show one. The top above is lengthened over it, mirrored about the band's
        // upper line, as it would hang untucked.
        cv::Mat aboveBand = cv::Mat::zeros(height, width, CV_8U);
        int bandTop = -1;
        if (lowerTop >= 0 && !upper) {
            const Band band = bandBeyond(hipsX0, hipsX1, lowerTop, -1, std::max(1.0, (hipsX1 - hipsX0) / 3.0), [&](int y, int x) {
                return silhouette.at<uint8_t>(y, x) && bottomsLike(lab.at<cv::Vec3b>(y, x)) ? Step::alike : Step::stop;
            });
            aboveBand = band.mask;
            bandTop = band.line;
            old |= aboveBand;
        }
        if (cv::countNonZero(old) == 0) return PV_CV_OK;

        // Old clothes between an arm and the torso, with the person on both sides of them in the
        // row, are the body's side the arm hides from the backdrop (the landmarks' torso is
        // narrower than the body where an arm lies against it): skin, not a hole of backdrop.
        cv::Mat skinArea = body | midriff | belowHems | aboveBand;
        {
            cv::Mat nearArms = cv::Mat::zeros(height, width, CV_8U);
            for (int side = 0; side < 2; ++side) {
                const double radii[] = {0.75 * arms[side].width, 0.75 * arms[side].width, 0.6 * arms[side].width};
                nearArms |= limbField(width, height, arms[side].joints, radii, 3) <= 1.0f;
            }
            // (Beside new bottoms or a dress, old bottoms are backdrop, whatever is beside them.)
            const cv::Mat outside = old & ~skinArea & ~trouserZone & ~besideLegs;
            const int longest = int(1.5 * std::max(arms[0].width, arms[1].width));
            // (The person or a new garment, which may reach beyond the person, on both sides.)
            const cv::Mat filled = silhouette | covered;
            for (int y = 0; y < height; ++y) {
                const uint8_t *o = outside.ptr<uint8_t>(y), *in = filled.ptr<uint8_t>(y), *a = nearArms.ptr<uint8_t>(y);
                uint8_t *s = skinArea.ptr<uint8_t>(y);
                for (int x = 0; x < width;) {
                    if (!o[x]) { ++x; continue; }
                    int end = x;
                    while (end < width && o[end]) ++end;
                    const int left = x - 1, right = end;
                    const bool enclosed = left >= 0 && right < width && in[left] && in[right] && (a[left] || a[right]) && end - x <= longest;
                    if (enclosed) std::fill(s + x, s + end, uint8_t(255));
                    x = end;
                }
            }
        }
        const cv::Mat toSkin = old & skinArea;
        const cv::Mat toBackground = old & ~skinArea;

        // The tone to paint: the person's own bare skin nearest, so that painted skin meets
        // the skin beside it without a seam and takes its shade (an arm in shadow stays in
        // shadow), else the face's. Skin seen through a sheer fabric fails the skin test, so it
        // does not darken the tone.
        cv::Mat tone, bare = cv::Mat::zeros(height, width, CV_8U);
        {
            const double shrink = 0.25;
            cv::Mat smallLab, known;
            cv::resize(lab, smallLab, cv::Size(), shrink, shrink, cv::INTER_AREA);
            for (int y = 0; y < height; ++y) {
                const uint8_t *in = silhouette.ptr<uint8_t>(y), *o = old.ptr<uint8_t>(y);
                uint8_t *b = bare.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) b[x] = in[x] && !o[x] && bareSkin(y, x) ? 255 : 0;
            }
            cv::erode(bare, bare, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
            cv::resize(bare, known, smallLab.size(), 0, 0, cv::INTER_AREA);
            known = known >= 192;
            if (cv::countNonZero(known) < 16) {
                smallLab.setTo(cv::Scalar(skin.l, skin.a, skin.b));
                known.setTo(255);
            }
            cv::resize(spreadFrom(smallLab, known, std::max(1.0, shrink * 0.5 * (arms[0].width + arms[1].width) / 2)), tone, lab.size(), 0, 0,
                       cv::INTER_LINEAR);
        }
        // Skin: that tone, shaded by the photo's light (its luminance against a wide
        // blur of it, damped: fabric's own texture should not print through) and the body's
        // roundness. Both blurs are of the old clothes alone: a light top beside a dark arm is
        // no light falling on the body (painted over, it came out lighter than the arm).
        cv::Mat luminance;
        cv::extractChannel(lab, luminance, 0);
        luminance.convertTo(luminance, CV_32F);
        cv::Mat oldShare;
        old.convertTo(oldShare, CV_32F, 1 / 255.0);
        const auto gaussian = [](double sigma) { return [sigma](const cv::Mat &in, cv::Mat &out) { pv::wideGaussianBlur(in, out, sigma); }; };
        const cv::Mat broad = maskedBlur(luminance, oldShare, gaussian(std::max(2.0, 0.5 * fw)));
        const cv::Mat fine = maskedBlur(luminance, oldShare, gaussian(std::max(1.0, 0.05 * fw)));
        // (The body's roundness shows towards its outline, not where painted skin meets skin.)
        cv::Mat edgeDistance, fromSkin;
        cv::distanceTransform(silhouette, edgeDistance, cv::DIST_L2, 3);
        // Near the person's own skin the tone already holds the light: the light and roundness
        // drawn in grow with the distance from it (a strap's width is painted flat, an arm not).
        cv::distanceTransform(~bare, fromSkin, cv::DIST_L2, 3);
        const double shadeReach = std::max(2.0, 0.25 * (arms[0].width + arms[1].width) / 2);
        cv::Mat painted = photo.clone();
        cv::Mat paintedLab;
        cv::cvtColor(painted, paintedLab, cv::COLOR_RGB2Lab);
        const double roundness = std::max(2.0, 0.25 * fw);
        const double armRoundness = std::max(2.0, 0.2 * (arms[0].width + arms[1].width) / 2);
        for (int y = 0; y < height; ++y) {
            const uint8_t *s = toSkin.ptr<uint8_t>(y);
            const cv::Vec3b *t = tone.ptr<cv::Vec3b>(y);
            cv::Vec3b *out = paintedLab.ptr<cv::Vec3b>(y);
            for (int x = 0; x < width; ++x) {
                if (!s[x]) continue;
                const double light = std::clamp(0.35 * (fine.at<float>(y, x) - broad.at<float>(y, x)), -18.0, 12.0);
                // An arm is a cylinder: lit along its axis, darker across towards both sides (its
                // inner side against the torso too) and at its outline; the torso and the neck
                // darken only near their edges.
                const bool onArm = armMask.at<uint8_t>(y, x) != 0;
                const double edge = std::min(1.0, edgeDistance.at<float>(y, x) / (onArm ? armRoundness : roundness));
                const double across = onArm ? std::min(1.6f, armField.at<float>(y, x)) : 0;
                const double round = onArm ? std::max(-35.0, 6 - 12 * across * across - 20 * (1 - edge) * (1 - edge)) : -22 * (1 - edge) * (1 - edge);
                const double drawn = std::min(1.0, fromSkin.at<float>(y, x) / shadeReach);
                const double l = t[x][0] + drawn * (light + round);
                // (Shade takes colour with the light: a darker skin at the same chroma reads red.)
                const double keep = std::clamp(l / std::max(1.0, double(t[x][0])), 0.6, 1.0);
                out[x] = cv::Vec3b(cv::saturate_cast<uint8_t>(l), cv::saturate_cast<uint8_t>(128 + keep * (t[x][1] - 128.0)),
                                   cv::saturate_cast<uint8_t>(128 + keep * (t[x][2] - 128.0)));
            }
        }
        cv::cvtColor(paintedLab, painted, cv::COLOR_Lab2RGB);
        // Below a new garment's hem its extension hides the old one, as a retoucher lengthens a
        // garment: in each column, the garment mirrored about its hem (the nearest covered row
        // above).
        const cv::Mat extended = midriff | belowHems;
        if (cv::countNonZero(extended) > 0) {
            for (int x = 0; x < width; ++x) {
                int hem = -1;
                for (int y = 0; y < height; ++y) {
                    if (covered.at<uint8_t>(y, x)) hem = y;
                    if (!extended.at<uint8_t>(y, x) || hem < 0 || y - hem > 1.5 * fh) continue;
                    const int mirrored = 2 * hem - y;
                    if (mirrored < 0 || !covered.at<uint8_t>(mirrored, x)) continue;
                    painted.at<cv::Vec3b>(y, x) = canvas.at<cv::Vec3b>(mirrored, x);
                }
            }
        }

        // Above new bottoms, the person's own top is lengthened down over the old waistband.
        if (bandTop >= 1) {
            for (int y = bandTop; y < std::min(height, int(lowerTop + fh)); ++y) {
                const int mirrored = 2 * bandTop - 1 - y;
                if (mirrored < 0) break;
                for (int x = 0; x < width; ++x) {
                    if (aboveBand.at<uint8_t>(y, x)) painted.at<cv::Vec3b>(y, x) = photo.at<cv::Vec3b>(mirrored, x);
                }
            }
        }

        // Background: the backdrop behind the person, from the backdrop around it.
        if (cv::countNonZero(toBackground) > 0) backdropBehind(canvas, toBackground | silhouette, unit).copyTo(painted, toBackground);

        // Blended in over a feathered edge, so no seam shows between skin and what stays. Under a
        // new garment's soft edge the photo shows through in part: there the painting replaces
        // the photo's part only (else an old skirt's colour fringes new trousers).
        cv::Mat weight;
        old.convertTo(weight, CV_32F, 1 / 255.0);
        cv::GaussianBlur(weight, weight, cv::Size(), std::max(0.8, 0.02 * fw));
        const cv::Mat coverage(height, width, CV_8U, const_cast<uint8_t *>(coverageData));
        for (int y = 0; y < height; ++y) {
            const float *w = weight.ptr<float>(y);
            const uint8_t *c = coverage.ptr<uint8_t>(y);
            cv::Vec3b *dst = canvas.ptr<cv::Vec3b>(y);
            const cv::Vec3b *src = painted.ptr<cv::Vec3b>(y), *before = photo.ptr<cv::Vec3b>(y);
            for (int x = 0; x < width; ++x) {
                const float share = w[x] * (1 - c[x] / 255.0f);
                if (share <= 0.002f) continue;
                for (int k = 0; k < 3; ++k) dst[x][k] = cv::saturate_cast<uint8_t>(dst[x][k] + share * (float(src[x][k]) - float(before[x][k])));
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
