// The try-on's masks and framing: where a garment may be laid, and the photo extended to an
// output's aspect ratio by continuing its backdrop.
#include "copencv_vto.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

extern "C" int pv_cv_vto_allowed(const uint8_t *silhouetteData, const uint8_t *frontData, int width, int height, double grow, double bridgeFromY,
                                 int fx, int fy, int fw, int fh, double chinY, uint8_t *allowedOut) {
    if (!silhouetteData || !allowedOut || width < 1 || height < 1 || grow < 0) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat silhouette(height, width, CV_8U, const_cast<uint8_t *>(silhouetteData));
        cv::Mat allowed(height, width, CV_8U, allowedOut);
        if (grow >= 1) {
            const int side = 2 * int(std::lround(grow)) + 1;
            cv::Mat grown;
            cv::dilate(silhouette, grown, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(side, side)));
            // A soft rim rather than a step at the grown edge.
            cv::GaussianBlur(grown, grown, cv::Size(), std::max(0.8, grow / 3));
            cv::max(grown, silhouette, allowed);
        } else {
            silhouette.copyTo(allowed);
        }
        // A skirt hangs across the gap between the legs.
        if (bridgeFromY >= 0) {
            for (int y = int(std::ceil(bridgeFromY)); y < height; ++y) {
                uint8_t *row = allowed.ptr<uint8_t>(y);
                int left = 0, right = width - 1;
                while (left < width && row[left] < 128) ++left;
                while (right > left && row[right] < 128) --right;
                for (int x = left; x <= right; ++x) row[x] = 255;
            }
        }
        if (frontData) {
            const cv::Mat front(height, width, CV_8U, const_cast<uint8_t *>(frontData));
            cv::Mat inverse = 255 - front;
            cv::multiply(allowed, inverse, allowed, 1.0 / 255);
        }
        if (fw > 0 && fh > 0) {
            const cv::Rect frame(0, 0, width, height);
            const cv::Rect face = cv::Rect(fx - fw / 10, fy - fh / 10, fw + fw / 5, fh + fh / 5) & frame;
            if (!face.empty()) allowed(face).setTo(0);
            const int bandLeft = fx - fw * 3 / 4, bandRight = fx + fw + fw * 3 / 4;
            const cv::Rect head = cv::Rect(bandLeft, 0, bandRight - bandLeft, std::max(0, int(std::ceil(chinY)))) & frame;
            if (!head.empty()) allowed(head).setTo(0);
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_extend(const uint8_t *rgb, int width, int height, uint8_t *out, int outWidth, int outHeight, int x, int y) {
    if (!rgb || !out || width < 1 || height < 1 || outWidth < 1 || outHeight < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t *>(rgb));
        cv::Mat canvas(outHeight, outWidth, CV_8UC3, out);
        // Each edge's colours, averaged over a strip a little into the photo and smoothed along
        // the edge, carried outwards; corners take the nearer edge's colour. Then the fill is
        // blended a little so the seams between sides vanish.
        const int strip = std::max(2, std::min(width, height) / 100);
        cv::Mat smoothRows, smoothCols;
        {
            cv::Mat left, right, top, bottom;
            cv::reduce(image.colRange(0, std::min(width, strip)), left, 1, cv::REDUCE_AVG, CV_32FC3);
            cv::reduce(image.colRange(std::max(0, width - strip), width), right, 1, cv::REDUCE_AVG, CV_32FC3);
            cv::reduce(image.rowRange(0, std::min(height, strip)), top, 0, cv::REDUCE_AVG, CV_32FC3);
            cv::reduce(image.rowRange(std::max(0, height - strip), height), bottom, 0, cv::REDUCE_AVG, CV_32FC3);
            const double sigma = std::max(2.0, std::max(width, height) / 60.0);
            cv::GaussianBlur(left, left, cv::Size(1, 0), 0, sigma, cv::BORDER_REPLICATE);
            cv::GaussianBlur(right, right, cv::Size(1, 0), 0, sigma, cv::BORDER_REPLICATE);
            cv::GaussianBlur(top, top, cv::Size(0, 1), sigma, 0, cv::BORDER_REPLICATE);
            cv::GaussianBlur(bottom, bottom, cv::Size(0, 1), sigma, 0, cv::BORDER_REPLICATE);
            cv::hconcat(left, right, smoothRows);    // height x 2
            cv::vconcat(top, bottom, smoothCols);    // 2 x width
        }
        cv::Mat fill(outHeight, outWidth, CV_32FC3);
        for (int oy = 0; oy < outHeight; ++oy) {
            const int iy = std::clamp(oy - y, 0, height - 1);
            auto *f = fill.ptr<cv::Vec3f>(oy);
            for (int ox = 0; ox < outWidth; ++ox) {
                const int ix = std::clamp(ox - x, 0, width - 1);
                const int dx = ox - x < 0 ? x - ox : ox - x >= width ? ox - x - width + 1 : 0;
                const int dy = oy - y < 0 ? y - oy : oy - y >= height ? oy - y - height + 1 : 0;
                if (dx == 0 && dy == 0) {
                    const cv::Vec3b p = image.at<cv::Vec3b>(iy, ix);
                    f[ox] = cv::Vec3f(p[0], p[1], p[2]);
                    continue;
                }
                if (dx >= dy) f[ox] = smoothRows.at<cv::Vec3f>(iy, ox - x < 0 ? 0 : 1);
                else f[ox] = smoothCols.at<cv::Vec3f>(oy - y < 0 ? 0 : 1, ix);
            }
        }
        cv::GaussianBlur(fill, fill, cv::Size(), std::max(2.0, std::max(outWidth, outHeight) / 200.0));
        fill.convertTo(canvas, CV_8UC3);
        const cv::Rect inside = cv::Rect(x, y, width, height) & cv::Rect(0, 0, outWidth, outHeight);
        if (!inside.empty()) image(cv::Rect(inside.x - x, inside.y - y, inside.width, inside.height)).copyTo(canvas(inside));
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_cut(const uint8_t *rgba, int width, int height, const double *polygon, int n, double centreX,
                             uint8_t *bodyOut, uint8_t *leftOut, uint8_t *rightOut) {
    if (!rgba || !polygon || n < 3 || !bodyOut || !leftOut || !rightOut || width < 1 || height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        cv::Mat inside = cv::Mat::zeros(height, width, CV_8U);
        std::vector<cv::Point> points(n);
        for (int i = 0; i < n; ++i) points[i] = cv::Point(int(std::lround(polygon[2 * i])), int(std::lround(polygon[2 * i + 1])));
        cv::fillPoly(inside, std::vector<std::vector<cv::Point>>{points}, cv::Scalar(255), cv::LINE_8);
        // The body's own soft edge stays with it.
        const int grow = std::max(1, std::max(width, height) / 300);
        cv::dilate(inside, inside, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * grow + 1, 2 * grow + 1)));
        const size_t bytes = size_t(width) * height * 4;
        std::fill(bodyOut, bodyOut + bytes, 0);
        std::fill(leftOut, leftOut + bytes, 0);
        std::fill(rightOut, rightOut + bytes, 0);
        for (int y = 0; y < height; ++y) {
            const uint8_t *in = inside.ptr<uint8_t>(y);
            for (int x = 0; x < width; ++x) {
                const size_t o = (size_t(y) * width + x) * 4;
                if (rgba[o + 3] == 0) continue;
                uint8_t *target = in[x] ? bodyOut : x < centreX ? leftOut : rightOut;
                std::copy(rgba + o, rgba + o + 4, target + o);
            }
        }
        // A sleeve is one piece: slivers of the body's edge left outside the outline go back.
        for (uint8_t *sleeve : {leftOut, rightOut}) {
            cv::Mat alpha(height, width, CV_8U);
            for (size_t i = 0; i < size_t(width) * height; ++i) alpha.data[i] = sleeve[i * 4 + 3] > 64 ? 255 : 0;
            cv::Mat labels, stats, centroids;
            const int count = cv::connectedComponentsWithStats(alpha, labels, stats, centroids, 8, CV_32S);
            int largest = 0;
            for (int i = 1; i < count; ++i) {
                if (largest == 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(largest, cv::CC_STAT_AREA)) largest = i;
            }
            cv::Mat keep = labels == largest;
            cv::dilate(keep, keep, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
            for (size_t i = 0; i < size_t(width) * height; ++i) {
                if (sleeve[i * 4 + 3] == 0 || (largest > 0 && keep.data[i])) continue;
                std::copy(sleeve + i * 4, sleeve + i * 4 + 4, bodyOut + i * 4);
                std::fill(sleeve + i * 4, sleeve + i * 4 + 4, 0);
            }
            // A seam allowance: the body's pixels next to the sleeve go with it too. The sleeve
            // is laid turned and under the body, so this is hidden where the seams meet and fills
            // the wedge that would open between them where they do not.
            if (largest > 0) {
                const int allowance = std::max(2, std::max(width, height) / 25);
                cv::Mat reach;
                cv::dilate(keep, reach, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * allowance + 1, 2 * allowance + 1)));
                const bool left = sleeve == leftOut;
                for (int y = 0; y < height; ++y) {
                    for (int x = 0; x < width; ++x) {
                        const size_t i = size_t(y) * width + x;
                        if (!reach.data[i] || sleeve[i * 4 + 3] != 0 || bodyOut[i * 4 + 3] == 0 || (x < centreX) != left) continue;
                        std::copy(bodyOut + i * 4, bodyOut + i * 4 + 4, sleeve + i * 4);
                    }
                }
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_vto_place(const uint8_t *rgba, int width, int height, const double *from, const double *to,
                               uint8_t *canvasData, int canvasWidth, int canvasHeight, int under) {
    if (!rgba || !from || !to || !canvasData || width < 1 || height < 1 || canvasWidth < 1 || canvasHeight < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        // The similarity through two pairs, as a complex-number map z -> a z + b.
        const std::complex<double> p0(from[0], from[1]), p1(from[2], from[3]), q0(to[0], to[1]), q1(to[2], to[3]);
        if (std::abs(p1 - p0) < 1e-6) return PV_CV_INVALID_ARGUMENT;
        const std::complex<double> a = (q1 - q0) / (p1 - p0), b = q0 - a * p0;
        const cv::Mat transform = (cv::Mat_<double>(2, 3) << a.real(), -a.imag(), b.real(), a.imag(), a.real(), b.imag());
        cv::Mat premultiplied;
        cv::Mat(height, width, CV_8UC4, const_cast<uint8_t *>(rgba)).convertTo(premultiplied, CV_32FC4, 1.0 / 255);
        for (int y = 0; y < height; ++y) {
            auto *p = premultiplied.ptr<cv::Vec4f>(y);
            for (int x = 0; x < width; ++x) for (int c = 0; c < 3; ++c) p[x][c] *= p[x][3];
        }
        const double scale = std::abs(a);
        if (scale < 0.7) {
            // Shrink first so the placement does not alias; the transform scales up to match.
            const double shrink = std::max(scale / 0.85, 8.0 / std::max(width, height));
            cv::resize(premultiplied, premultiplied, cv::Size(), shrink, shrink, cv::INTER_AREA);
            cv::Mat adjusted = transform.clone();
            adjusted.at<double>(0, 0) /= shrink; adjusted.at<double>(0, 1) /= shrink;
            adjusted.at<double>(1, 0) /= shrink; adjusted.at<double>(1, 1) /= shrink;
            cv::Mat placed;
            cv::warpAffine(premultiplied, placed, adjusted, cv::Size(canvasWidth, canvasHeight), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
            premultiplied = placed;
        } else {
            cv::Mat placed;
            cv::warpAffine(premultiplied, placed, transform, cv::Size(canvasWidth, canvasHeight), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
            premultiplied = placed;
        }
        cv::Mat canvas(canvasHeight, canvasWidth, CV_8UC4, canvasData);
        for (int y = 0; y < canvasHeight; ++y) {
            const auto *s = premultiplied.ptr<cv::Vec4f>(y);
            auto *d = canvas.ptr<cv::Vec4b>(y);
            for (int x = 0; x < canvasWidth; ++x) {
                const float sa = s[x][3];
                if (sa <= 1e-4f) continue;
                const float da = d[x][3] / 255.0f;
                // Premultiplied "over", the sleeve below or above what is there.
                cv::Vec4f top, bottom;
                const cv::Vec4f existing(d[x][0] / 255.0f * da, d[x][1] / 255.0f * da, d[x][2] / 255.0f * da, da);
                if (under) { top = existing; bottom = s[x]; } else { top = s[x]; bottom = existing; }
                const cv::Vec4f out = top + bottom * (1 - top[3]);
                const float oa = out[3];
                for (int c = 0; c < 3; ++c) d[x][c] = cv::saturate_cast<uchar>(oa > 1e-4f ? out[c] / oa * 255.0f : 0.0f);
                d[x][3] = cv::saturate_cast<uchar>(oa * 255.0f);
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
