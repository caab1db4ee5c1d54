// Dressing the person: a thin-plate-spline warp of the garment onto the body's landmarks, the
// occluders that stay in front of it (bare arms and hands over the torso, hair over the
// shoulders), and the composition: alpha limited to the silhouette, edge feathered, the photo's
// shading carried onto the garment.
#include "copencv_vto.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/rows.hpp"
#include "tryon/shape.hpp"

namespace {

// U(r) = r² log r², the thin-plate spline's kernel.
inline double kernel(double dx, double dy) {
    const double r2 = dx * dx + dy * dy;
    return r2 > 1e-12 ? r2 * std::log(r2) : 0.0;
}

// A thin-plate spline from `from` points to `to` points (coordinates pre-scaled to about 0..1).
struct Spline {
    std::vector<cv::Point2d> centres;
    cv::Mat weightsX, weightsY;  // n + 3 each: kernel weights, then a0, ax, ay

    Spline(const std::vector<cv::Point2d> &from, const std::vector<cv::Point2d> &to, double lambda) : centres(from) {
        const int n = int(from.size());
        cv::Mat L = cv::Mat::zeros(n + 3, n + 3, CV_64F), bx = cv::Mat::zeros(n + 3, 1, CV_64F), by = cv::Mat::zeros(n + 3, 1, CV_64F);
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) L.at<double>(i, j) = kernel(from[i].x - from[j].x, from[i].y - from[j].y);
            L.at<double>(i, i) += lambda;
            L.at<double>(i, n) = L.at<double>(n, i) = 1;
            L.at<double>(i, n + 1) = L.at<double>(n + 1, i) = from[i].x;
            L.at<double>(i, n + 2) = L.at<double>(n + 2, i) = from[i].y;
            bx.at<double>(i) = to[i].x;
            by.at<double>(i) = to[i].y;
        }
        cv::solve(L, bx, weightsX, cv::DECOMP_SVD);
        cv::solve(L, by, weightsY, cv::DECOMP_SVD);
    }

    cv::Point2d operator()(double x, double y) const {
        const int n = int(centres.size());
        double fx = weightsX.at<double>(n) + weightsX.at<double>(n + 1) * x + weightsX.at<double>(n + 2) * y;
        double fy = weightsY.at<double>(n) + weightsY.at<double>(n + 1) * x + weightsY.at<double>(n + 2) * y;
        for (int i = 0; i < n; ++i) {
            const double u = kernel(x - centres[i].x, y - centres[i].y);
            fx += weightsX.at<double>(i) * u;
            fy += weightsY.at<double>(i) * u;
        }
        return {fx, fy};
    }
};

double spread(const std::vector<cv::Point2d> &points) {
    cv::Point2d mean(0, 0);
    for (const auto &p : points) mean += p;
    mean *= 1.0 / std::max<size_t>(1, points.size());
    double sum = 0;
    for (const auto &p : points) sum += (p - mean).dot(p - mean);
    return std::sqrt(sum / std::max<size_t>(1, points.size()));
}

inline float srgbToLinear(float c) { return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f); }
inline float linearToSrgb(float c) {
    c = std::clamp(c, 0.0f, 1.0f);
    return c <= 0.0031308f ? c * 12.92f : 1.055f * std::pow(c, 1 / 2.4f) - 0.055f;
}


// The illumination part of a log-luminance image (Retinex, after Horn): its gradients with the
// sharp ones (edges between colours: prints, a top meeting a skirt) set to zero, integrated back
// by solving Poisson's equation with the DCT. What stays varies smoothly: folds, the body's
// roundness, the light's fall-off. Sizes must be even (cv::dct's limit).
cv::Mat illumination(const cv::Mat &logLuminance, float sharpGradient) {
    const int w = logLuminance.cols, h = logLuminance.rows;
    cv::Mat divergence = cv::Mat::zeros(h, w, CV_32F);
    for (int y = 0; y < h; ++y) {
        const float *l = logLuminance.ptr<float>(y);
        const float *below = y + 1 < h ? logLuminance.ptr<float>(y + 1) : nullptr;
        float *d = divergence.ptr<float>(y);
        float *dBelow = below ? divergence.ptr<float>(y + 1) : nullptr;
        for (int x = 0; x < w; ++x) {
            if (x + 1 < w) {
                const float gx = l[x + 1] - l[x];
                if (std::abs(gx) < sharpGradient) { d[x] += gx; d[x + 1] -= gx; }
            }
            if (below) {
                const float gy = below[x] - l[x];
                if (std::abs(gy) < sharpGradient) { d[x] += gy; dBelow[x] -= gy; }
            }
        }
    }
    // d above is minus the divergence: solve -Laplacian(S) = d under Neumann boundaries.
    cv::Mat spectrum;
    cv::dct(divergence, spectrum);
    for (int v = 0; v < h; ++v) {
        float *f = spectrum.ptr<float>(v);
        for (int u = 0; u < w; ++u) {
            const double eigen = 4 - 2 * std::cos(CV_PI * u / w) - 2 * std::cos(CV_PI * v / h);
            f[u] = eigen > 1e-9 ? float(f[u] / eigen) : 0.0f;
        }
    }
    cv::Mat shading;
    cv::idct(spectrum, shading);
    return shading;
}

}  // namespace

extern "C" int pv_cv_vto_warp(const uint8_t *source, int width, int height, const double *sourcePoints,
                              const double *targetPoints, int n, double regularization,
                              uint8_t *out, int outWidth, int outHeight) {
    if (!source || !sourcePoints || !targetPoints || !out || n < 3 || width < 1 || height < 1 || outWidth < 1 || outHeight < 1) {
        return PV_CV_INVALID_ARGUMENT;
    }
    try {
        std::vector<cv::Point2d> from(n), to(n);
        for (int i = 0; i < n; ++i) {
            from[i] = {sourcePoints[2 * i], sourcePoints[2 * i + 1]};
            to[i] = {targetPoints[2 * i], targetPoints[2 * i + 1]};
        }
        // Shrink the garment first when it is laid much smaller, so the warp does not alias.
        cv::Mat rgba(height, width, CV_8UC4, const_cast<uint8_t *>(source));
        cv::Mat premultiplied;
        rgba.convertTo(premultiplied, CV_32FC4, 1.0 / 255);
        pv::forEachRow(premultiplied.rows, [&](int y) {
            auto *p = premultiplied.ptr<cv::Vec4f>(y);
            for (int x = 0; x < premultiplied.cols; ++x) {
                for (int c = 0; c < 3; ++c) p[x][c] *= p[x][3];
            }
        });
        double scale = spread(to) / std::max(1e-6, spread(from));
        double shrink = 1;
        if (scale < 0.7) {
            shrink = std::max(scale / 0.85, 16.0 / std::max(width, height));
            cv::resize(premultiplied, premultiplied, cv::Size(), shrink, shrink, cv::INTER_AREA);
        }

        // The inverse map, target to source, in coordinates scaled to about 0..1.
        const double norm = 1.0 / std::max(outWidth, outHeight);
        std::vector<cv::Point2d> toN(n), fromN(n);
        for (int i = 0; i < n; ++i) {
            toN[i] = to[i] * norm;
            fromN[i] = from[i] * shrink;
        }
        const Spline spline(toN, fromN, regularization);

        // Evaluated on a grid every few pixels, interpolated bilinearly in between.
        const int step = 4;
        const int gw = outWidth / step + 2, gh = outHeight / step + 2;
        cv::Mat gridX(gh, gw, CV_32F), gridY(gh, gw, CV_32F);
        pv::forEachRow(gh, [&](int j) {
            for (int i = 0; i < gw; ++i) {
                const cv::Point2d p = spline(i * step * norm, j * step * norm);
                gridX.at<float>(j, i) = float(p.x);
                gridY.at<float>(j, i) = float(p.y);
            }
        });
        cv::Mat mapX(outHeight, outWidth, CV_32F), mapY(outHeight, outWidth, CV_32F);
        pv::forEachRow(outHeight, [&](int y) {
            const int j = y / step;
            const float v = float(y - j * step) / step;
            float *mx = mapX.ptr<float>(y), *my = mapY.ptr<float>(y);
            for (int x = 0; x < outWidth; ++x) {
                const int i = x / step;
                const float u = float(x - i * step) / step;
                auto at = [&](const cv::Mat &g) {
                    return (1 - v) * ((1 - u) * g.at<float>(j, i) + u * g.at<float>(j, i + 1)) +
                           v * ((1 - u) * g.at<float>(j + 1, i) + u * g.at<float>(j + 1, i + 1));
                };
                mx[x] = at(gridX);
                my[x] = at(gridY);
            }
        });
        cv::Mat warped;
        cv::remap(premultiplied, warped, mapX, mapY, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
        cv::Mat target(outHeight, outWidth, CV_8UC4, out);
        pv::forEachRow(outHeight, [&](int y) {
            const auto *p = warped.ptr<cv::Vec4f>(y);
            auto *q = target.ptr<cv::Vec4b>(y);
            for (int x = 0; x < outWidth; ++x) {
                const float a = p[x][3];
                for (int c = 0; c < 3; ++c) q[x][c] = cv::saturate_cast<uchar>(a > 1e-4f ? p[x][c] / a * 255.0f : 0.0f);
                q[x][3] = cv::saturate_cast<uchar>(a * 255.0f);
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_occluders(const uint8_t *rgb, size_t stride, const uint8_t *silhouetteData, const uint8_t *torsoData,
                                   const uint8_t *garmentData, int width, int height,
                                   int fx, int fy, int fw, int fh, const pv_vto_arm *arms, double armsFromY,
                                   pv_vto_point neckline, double neckHalfWidth, uint8_t *frontOut) {
    if (!rgb || !silhouetteData || !torsoData || !garmentData || !arms || !frontOut || width < 8 || height < 8 || fw < 2 || fh < 2) {
        return PV_CV_INVALID_ARGUMENT;
    }
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb), stride);
        const cv::Mat silhouette = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(silhouetteData)) >= 128;
        const cv::Mat torso = cv::Mat(height, width, CV_8U, const_cast<uint8_t *>(torsoData)) >= 128;
        cv::Mat region;
        cv::extractChannel(cv::Mat(height, width, CV_8UC4, const_cast<uint8_t *>(garmentData)), region, 3);
        region = region >= 128;
        cv::Mat front(height, width, CV_8U, frontOut);
        front.setTo(0);
        cv::Mat lab;
        cv::cvtColor(image, lab, cv::COLOR_RGB2Lab);  // 8-bit: L 0..255, a and b offset by 128

        // Skin: the colours of the face's middle.
        const pv::vto::SkinModel model(lab, cv::Rect(fx, fy, fw, fh));
        cv::Mat skin = model.mask(lab, silhouette);
        {
            // Much darker than the face, the hue of 8-bit Lab is noise: dark clothes would pass
            // for skin in shadow and be cut out of the garment.
            cv::Mat lightness;
            cv::extractChannel(lab, lightness, 0);
            skin &= lightness > std::max(0.0, model.l - 60);
        }
        auto median = [](const std::vector<double> &v) { return pv::vto::medianOf(v); };
        auto mad = [&](const std::vector<double> &v, double m) {
            std::vector<double> d;
            d.reserve(v.size());
            for (double x : v) d.push_back(std::abs(x - m));
            return median(d);
        };
        const cv::Mat small = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3));

        // The neck in front of the garment's inside back, above where its neckline lands.
        cv::Mat neckFront(height, width, CV_8U, cv::Scalar(0));
        if (neckline.y > 0 && neckHalfWidth > 0) {
            const cv::Rect neck = cv::Rect(int(neckline.x - 1.2 * neckHalfWidth), 0, std::max(1, int(2.4 * neckHalfWidth)),
                                           std::max(0, int(neckline.y))) & cv::Rect(0, 0, width, height);
            if (!neck.empty()) {
                skin(neck).copyTo(neckFront(neck));
                neckFront &= region;
            }
        }

        // Below the armpits only: above them skin is a shoulder the garment covers.
        const int armsFrom = std::clamp(int(std::lround(armsFromY)), 0, height);
        if (armsFrom > 0) skin.rowRange(0, armsFrom).setTo(0);

        // The arms where no sleeve covers them: along their joints, outside the torso. A bare
        // arm's skin says exactly where it is (each arm on its own: one may be bare, the other
        // not).
        cv::Mat armFront(height, width, CV_8U, cv::Scalar(0));
        for (int side = 0; side < 2; ++side) {
            const pv_vto_arm &arm = arms[side];
            if (arm.width <= 0) continue;
            // The arm past the sleeve's end, and the hand (wrist to fingertips) apart: a hand is
            // skin, but the disc around it also holds what it rests on (a belt, a hip).
            cv::Mat one(height, width, CV_8U, cv::Scalar(0)), hand(height, width, CV_8U, cv::Scalar(0));
            double along = 0;
            const int thickness = std::max(2, int(std::lround(arm.width * 1.05)));
            for (int j = 1; j < 4; ++j) {
                cv::Point2d a(arm.joints[j - 1].x, arm.joints[j - 1].y), b(arm.joints[j].x, arm.joints[j].y);
                const double length = cv::norm(b - a);
                if (length < 1e-6) continue;
                // The part of this segment past the sleeve's end.
                const double start = std::clamp(arm.sleeve - along, 0.0, length);
                along += length;
                if (start >= length) continue;
                const cv::Point2d from = a + (b - a) * (start / length);
                cv::line(j == 3 ? hand : one, cv::Point(int(std::lround(from.x)), int(std::lround(from.y))),
                         cv::Point(int(std::lround(b.x)), int(std::lround(b.y))), cv::Scalar(255), j == 3 ? thickness * 3 / 2 : thickness,
                         cv::LINE_8);
            }
            const cv::Mat within = silhouette & ~torso & region;
            if (armsFrom > 0) within.rowRange(0, armsFrom).setTo(0);
            one &= within;
            hand &= within & skin;
            const int zone = cv::countNonZero(one);
            cv::Mat bare = one & skin;
            if (zone > 0 && cv::countNonZero(bare) > 0.4 * zone) {
                cv::dilate(bare, bare, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
                one &= bare;
            }
            one |= hand;
            armFront |= one;
        }

        // Skin over the torso that enters it from outside (an arm, a hand on a hip) stays in front.
        // Outside means beside it: below the torso, skin tones are the legs or a print on trousers.
        cv::Mat outsideSkin = skin & ~torso;
        {
            int lowest = -1;
            for (int y = 0; y < height; ++y) if (cv::countNonZero(torso.row(y)) > 0) lowest = y;
            if (lowest + 1 < height) outsideSkin.rowRange(lowest + 1, height).setTo(0);
        }
        const cv::Mat candidates = skin & torso & region;
        cv::Mat labels, stats, centroids;
        const int count = cv::connectedComponentsWithStats(candidates, labels, stats, centroids, 8, CV_32S);
        const double faceArea = double(fw) * fh;
        std::vector<uint8_t> keep(count, 0), outerOnly(count, 0);
        cv::Mat grown;
        cv::dilate(outsideSkin, grown, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
        std::vector<int> touching(count, 0);
        for (int y = 0; y < height; ++y) {
            const int *l = labels.ptr<int>(y);
            const uint8_t *g = grown.ptr<uint8_t>(y);
            for (int x = 0; x < width; ++x) if (l[x] > 0 && g[x]) ++touching[l[x]];
        }
        // The torso's middle and width at each row.
        std::vector<double> middle(height, NAN), half(height, NAN);
        for (int y = 0; y < height; ++y) {
            const uint8_t *t = torso.ptr<uint8_t>(y);
            int l = -1, r = -1;
            for (int x = 0; x < width; ++x) if (t[x]) { if (l < 0) l = x; r = x; }
            if (l >= 0) { middle[y] = 0.5 * (l + r); half[y] = 0.5 * (r - l + 1); }
        }
        // Within a face width of where an arm's wrist or hand is.
        auto nearAHand = [&](int i) {
            const cv::Point2d c(centroids.at<double>(i, 0), centroids.at<double>(i, 1));
            for (int side = 0; side < 2; ++side) {
                if (arms[side].width <= 0) continue;
                for (int j = 2; j < 4; ++j) {
                    if (cv::norm(c - cv::Point2d(arms[side].joints[j].x, arms[side].joints[j].y)) < fw) return true;
                }
            }
            return false;
        };
        for (int i = 1; i < count; ++i) {
            const int area = stats.at<int>(i, cv::CC_STAT_AREA);
            if (area < 12) continue;
            const int cy = std::clamp(int(centroids.at<double>(i, 1)), 0, height - 1);
            if (std::isnan(middle[cy])) continue;
            const double offAxis = std::abs(centroids.at<double>(i, 0) - middle[cy]) / std::max(1.0, half[cy]);
            const bool entering = touching[i] >= std::max(4, int(0.02 * std::sqrt(faceArea) * 4));
            if (entering && offAxis > 0.4) keep[i] = 1;
            else if (entering) outerOnly[i] = 1;
            else if (area > 0.05 * faceArea && area < 0.5 * faceArea && offAxis > 0.5 && nearAHand(i)) {
                keep[i] = 1;  // a hand whose sleeve is the garment's colour; elsewhere skin tones are a print
            }
        }
        // Skin entering the torso is an arm or a hand only along an arm: the bare waist beside an
        // arm hanging close touches it too, and is the body the garment covers.
        cv::Mat alongAnArm(height, width, CV_8U, cv::Scalar(0));
        for (int side = 0; side < 2; ++side) {
            const pv_vto_arm &arm = arms[side];
            if (arm.width <= 0) continue;
            for (int j = 1; j < 4; ++j) {
                const cv::Point a(int(std::lround(arm.joints[j - 1].x)), int(std::lround(arm.joints[j - 1].y)));
                const cv::Point b(int(std::lround(arm.joints[j].x)), int(std::lround(arm.joints[j].y)));
                // A hand spreads wider than the forearm.
                cv::line(alongAnArm, a, b, cv::Scalar(255), std::max(2, int(std::lround(arm.width * (j == 3 ? 2.0 : 1.4)))), cv::LINE_8);
            }
        }
        cv::Mat skinFront(height, width, CV_8U, cv::Scalar(0));
        for (int y = 0; y < height; ++y) {
            const int *l = labels.ptr<int>(y);
            const uint8_t *along = alongAnArm.ptr<uint8_t>(y);
            uint8_t *f = skinFront.ptr<uint8_t>(y);
            for (int x = 0; x < width; ++x) {
                const int i = l[x];
                if (i <= 0) continue;
                const bool entering = keep[i] && touching[i] > 0;
                if ((keep[i] && !entering) || (entering && along[x]) ||
                    (outerOnly[i] && along[x] && !std::isnan(middle[y]) && std::abs(x - middle[y]) > 0.75 * half[y])) {
                    f[x] = 255;
                }
            }
        }
        // A hand reaches about a face's height into the torso from where the skin enters it; skin
        // tones chained on further (a print of the same colours) are not the hand. Thin chains are
        // broken first.
        {
            const int thin = std::max(1, int(std::lround(0.06 * fw)));
            cv::Mat solid;
            cv::morphologyEx(skinFront, solid, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * thin + 1, 2 * thin + 1)));
            cv::Mat reached = grown & solid;
            const cv::Mat step = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
            for (int i = 0; i < int(1.2 * fh); ++i) {
                cv::Mat next;
                cv::dilate(reached, next, step);
                next &= solid;
                if (cv::countNonZero(next != reached) == 0) break;
                reached = next;
            }
            // Isolated hands (kept above without entering) stay as they are.
            cv::Mat isolated(height, width, CV_8U, cv::Scalar(0));
            for (int y = 0; y < height; ++y) {
                const int *l = labels.ptr<int>(y);
                uint8_t *o = isolated.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) if (l[x] > 0 && keep[l[x]] && touching[l[x]] == 0) o[x] = 255;
            }
            skinFront = (reached | isolated) & skinFront;
        }

        // Hair: the colours just above the face, followed down through the silhouette from there.
        const cv::Rect above = cv::Rect(fx + fw / 8, fy - int(0.3 * fh), std::max(1, fw * 3 / 4), std::max(1, int(0.35 * fh))) &
                               cv::Rect(0, 0, width, height);
        std::vector<double> hl, ha, hb;
        for (int y = above.y; y < above.br().y; ++y) {
            for (int x = above.x; x < above.br().x; ++x) {
                if (!silhouette.at<uint8_t>(y, x) || skin.at<uint8_t>(y, x)) continue;
                const cv::Vec3b p = lab.at<cv::Vec3b>(y, x);
                hl.push_back(p[0]);
                ha.push_back(p[1]);
                hb.push_back(p[2]);
            }
        }
        cv::Mat hairFront(height, width, CV_8U, cv::Scalar(0));
        if (hl.size() >= 30 && !above.empty()) {
            const double hairL = median(hl), hairA = median(ha), hairB = median(hb);
            // (Bounded: a band catching the parting, a sheen or the backdrop as well as the hair
            // would otherwise take light clothes at the shoulders for hair.)
            const double tolL = std::clamp(2.5 * 1.48 * mad(hl, hairL), 22.0, 40.0), tolA = std::clamp(2.5 * 1.48 * mad(ha, hairA), 7.0, 12.0),
                         tolB = std::clamp(2.5 * 1.48 * mad(hb, hairB), 8.0, 14.0);
            cv::Mat hairLike(height, width, CV_8U, cv::Scalar(0));
            // Long hair reaches the chest: about two and a half faces below the chin.
            const int lowest = std::min(height, fy + int(3.5 * fh));
            // Hair falls beside the neck and over the shoulders, not over the throat.
            const int throatLeft = fx + fw / 8, throatRight = fx + fw - fw / 8, chinRow = fy + fh;
            pv::forEachRow(lowest, [&](int y) {
                const auto *p = lab.ptr<cv::Vec3b>(y);
                const uint8_t *s = silhouette.ptr<uint8_t>(y);
                uint8_t *h = hairLike.ptr<uint8_t>(y);
                for (int x = std::max(0, fx - fw); x < std::min(width, fx + 2 * fw); ++x) {
                    if (!s[x] || (y > chinRow && x >= throatLeft && x < throatRight)) continue;
                    if (std::abs(p[x][0] - hairL) <= tolL && std::abs(p[x][1] - hairA) <= tolA && std::abs(p[x][2] - hairB) <= tolB) h[x] = 255;
                }
            });
            hairLike &= ~skin;
            // Hair is a solid mass: thin chains of its colour are a print or the sparkle of a
            // dark dress, and must not carry "hair" from the head down over the torso.
            const int thin = std::max(1, int(std::lround(0.05 * fw)));
            cv::morphologyEx(hairLike, hairLike, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * thin + 1, 2 * thin + 1)));
            // Clothes of the hair's colour would read as hair everywhere: then no hair is kept.
            const double torsoArea = std::max(1, cv::countNonZero(torso & region));
            const double hairOnTorso = cv::countNonZero(hairLike & torso & region) / torsoArea;
            if (hairOnTorso < 0.25) {
                cv::Mat seeds = cv::Mat::zeros(height, width, CV_8U);
                seeds(above).setTo(255);
                // Beside the face, too: long hair framing it.
                for (int y = fy; y < std::min(height, fy + fh); ++y) {
                    for (int x : {fx - 2, fx + fw + 1}) if (x >= 0 && x < width) seeds.at<uint8_t>(y, x) = 255;
                }
                hairFront |= pv::vto::piecesTouching(hairLike, seeds);
                hairFront &= region;
            }
        }

        cv::Mat combined = skinFront | hairFront | armFront | neckFront;
        // Skin in front of the garment is part of an arm that comes from outside it: a piece the
        // garment surrounds on all sides (the inner half of an arm hanging beside the body, under a
        // top wider than the body) would show as a hole in it.
        {
            cv::Mat labels;
            const int count = cv::connectedComponents(skinFront, labels, 8, CV_32S);
            std::vector<int> ring(count, 0), enclosed(count, 0);
            cv::Mat around;
            cv::dilate(skinFront, around, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
            // (Each ring pixel is counted for the piece it touches: the dilation's nearest label.)
            cv::Mat nearest;
            labels.convertTo(nearest, CV_32F);
            cv::dilate(nearest, nearest, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
            nearest.convertTo(nearest, CV_32S);
            for (int y = 0; y < height; ++y) {
                const int *n = nearest.ptr<int>(y);
                const uint8_t *a = around.ptr<uint8_t>(y), *f = skinFront.ptr<uint8_t>(y), *c = combined.ptr<uint8_t>(y), *r = region.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) {
                    if (!a[x] || f[x] || n[x] <= 0) continue;
                    ++ring[n[x]];
                    if (r[x] && !c[x]) ++enclosed[n[x]];
                }
            }
            for (int y = 0; y < height; ++y) {
                const int *l = labels.ptr<int>(y);
                uint8_t *c = combined.ptr<uint8_t>(y);
                for (int x = 0; x < width; ++x) {
                    if (l[x] > 0 && ring[l[x]] > 0 && enclosed[l[x]] > 0.9 * ring[l[x]] && !armFront.at<uint8_t>(y, x) && !hairFront.at<uint8_t>(y, x)) c[x] = 0;
                }
            }
        }
        cv::morphologyEx(combined, combined, cv::MORPH_CLOSE, small);
        cv::GaussianBlur(combined, combined, cv::Size(), 0.8);
        combined.copyTo(front);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_lay(uint8_t *canvas, const uint8_t *photoData, size_t stride, int width, int height,
                             const uint8_t *garmentData, const uint8_t *allowedData, double feather, double strength,
                             uint8_t *coverageOut) {
    if (!canvas || !photoData || !garmentData || !allowedData || width < 2 || height < 2 || feather < 0 || strength < 0) {
        return PV_CV_INVALID_ARGUMENT;
    }
    try {
        cv::Mat image(height, width, CV_8UC3, canvas, stride);
        const cv::Mat photo(height, width, CV_8UC3, const_cast<uint8_t *>(photoData), stride);
        const cv::Mat garment(height, width, CV_8UC4, const_cast<uint8_t *>(garmentData));
        const cv::Mat allowed(height, width, CV_8U, const_cast<uint8_t *>(allowedData));

        // Alpha: the garment's, within what is allowed, feathered inwards only.
        cv::Mat alpha(height, width, CV_32F);
        pv::forEachRow(height, [&](int y) {
            const auto *g = garment.ptr<cv::Vec4b>(y);
            const uint8_t *a = allowed.ptr<uint8_t>(y);
            float *o = alpha.ptr<float>(y);
            for (int x = 0; x < width; ++x) o[x] = g[x][3] / 255.0f * a[x] / 255.0f;
        });
        if (feather > 0) {
            cv::Mat soft;
            cv::GaussianBlur(alpha, soft, cv::Size(), feather / 2);
            alpha = cv::min(alpha, soft * 1.0f);
            // min() against the blur halves the edge: lift it back so the inside stays opaque.
            alpha = cv::min(alpha * 1.6f, 1.0f);
        }
        cv::Rect box = cv::boundingRect(alpha > 0.002f);
        if (coverageOut) {
            cv::Mat coverage(height, width, CV_8U, coverageOut);
            coverage.setTo(0);
        }
        if (box.empty()) return PV_CV_OK;
        const int margin = std::max(8, int(std::max(width, height) * 0.05));
        const cv::Rect work = cv::Rect(box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin) &
                              cv::Rect(0, 0, width, height);

        // Shading: the photo's illumination (its luminance less the edges between colours, so
        // a print or a skirt under the garment does not show through), at a fixed working scale,
        // as a ratio to its mean over the garment.
        const double side = std::max(width, height);
        const double scale = std::min(1.0, 640.0 / side);
        const cv::Size small(std::max(2, int(std::lround(work.width * scale / 2)) * 2), std::max(2, int(std::lround(work.height * scale / 2)) * 2));
        cv::Mat luminance(work.size(), CV_32F);
        for (int y = 0; y < work.height; ++y) {
            const auto *p = photo.ptr<cv::Vec3b>(work.y + y) + work.x;
            float *l = luminance.ptr<float>(y);
            for (int x = 0; x < work.width; ++x) {
                l[x] = 0.2126f * srgbToLinear(p[x][0] / 255.0f) + 0.7152f * srgbToLinear(p[x][1] / 255.0f) +
                       0.0722f * srgbToLinear(p[x][2] / 255.0f);
            }
        }
        const cv::Mat inside = alpha(work) > 0.5f;
        cv::Mat smallLuminance, logLuminance, smallWeight;
        cv::resize(luminance, smallLuminance, small, 0, 0, cv::INTER_AREA);
        cv::log(smallLuminance + 0.01f, logLuminance);
        cv::Mat shading = illumination(logLuminance, 0.12f);
        const double smallSide = side * double(small.width) / work.width;
        cv::GaussianBlur(shading, shading, cv::Size(), std::max(0.8, smallSide * 0.003));
        cv::resize(inside, smallWeight, small, 0, 0, cv::INTER_AREA);
        smallWeight.convertTo(smallWeight, CV_32F, 1.0 / 255);
        // The mean over the garment near each point, of the shading and of the luminance.
        cv::Mat broad, broadLuminance, broadWeight;
        const double reach = smallSide * 0.035;
        cv::GaussianBlur(shading.mul(smallWeight), broad, cv::Size(), reach);
        cv::GaussianBlur(smallLuminance.mul(smallWeight), broadLuminance, cv::Size(), reach);
        cv::GaussianBlur(smallWeight, broadWeight, cv::Size(), reach);
        broadWeight = cv::max(broadWeight, 1e-3f);
        cv::Mat smallRatio;
        cv::exp(shading - broad / broadWeight, smallRatio);
        // Dark clothes under the garment say little about the light: trust them less.
        cv::Mat trust = (broadLuminance / broadWeight - 0.01f) / 0.05f;
        trust = cv::min(cv::max(trust, 0.0f), 1.0f);
        smallRatio = cv::min(cv::max(smallRatio, 0.6f), 1.25f);
        smallRatio = 1.0f + (smallRatio - 1.0f).mul(trust);
        cv::Mat ratios;
        cv::resize(smallRatio, ratios, work.size(), 0, 0, cv::INTER_LINEAR);

        // Roundness: a little darker towards the garment's own edge.
        cv::Mat distance;
        cv::distanceTransform(inside, distance, cv::DIST_L2, 3);
        const float rim = float(side * 0.02);

        cv::Mat coverage;
        if (coverageOut) coverage = cv::Mat(height, width, CV_8U, coverageOut);
        pv::forEachRow(work.height, [&](int y) {
            auto *p = image.ptr<cv::Vec3b>(work.y + y) + work.x;
            const auto *g = garment.ptr<cv::Vec4b>(work.y + y) + work.x;
            const float *a = alpha.ptr<float>(work.y + y) + work.x;
            for (int x = 0; x < work.width; ++x) {
                const float alphaValue = a[x];
                if (alphaValue <= 0.002f) continue;
                const float ratio = std::pow(ratios.at<float>(y, x), float(strength));
                const float d = distance.at<float>(y, x);
                const float edge = d < rim ? 1 - 0.14f * float(strength) * (1 - d / rim) * (1 - d / rim) : 1;
                for (int c = 0; c < 3; ++c) {
                    const float lit = linearToSrgb(srgbToLinear(g[x][c] / 255.0f) * ratio * edge) * 255.0f;
                    p[x][c] = cv::saturate_cast<uchar>(p[x][c] * (1 - alphaValue) + lit * alphaValue);
                }
                if (coverageOut) coverage.at<uint8_t>(work.y + y, work.x + x) = cv::saturate_cast<uchar>(alphaValue * 255.0f);
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_polygon_mask(const double *points, int n, int width, int height, uint8_t *maskOut) {
    if (!points || !maskOut || n < 3 || width < 1 || height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        cv::Mat mask(height, width, CV_8U, maskOut);
        mask.setTo(0);
        std::vector<cv::Point> polygon(n);
        for (int i = 0; i < n; ++i) polygon[i] = cv::Point(int(std::lround(points[2 * i])), int(std::lround(points[2 * i + 1])));
        cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(255), cv::LINE_8);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
