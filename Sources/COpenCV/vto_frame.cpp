// The try-on's masks and framing: where a garment may be laid, and the photo extended to an
// output's aspect ratio by continuing its backdrop.
#include "copencv_vto.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

extern "C" int pv_cv_vto_allowed(const uint8_t *silhouetteData, const uint8_t *frontData, int width, int height, double grow,
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
