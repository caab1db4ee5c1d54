// Scene painting for the styles: backdrops, procedural surfaces, shadows, reflections, shapes,
// text blending and recolouring. Canvases are interleaved 8-bit, 3 (RGB) or 4 (RGBA) bands.
#include "copencv_compose.h"
#include "core/blur.hpp"
#include "core/rows.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace {

cv::Mat canvasOf(uint8_t *canvas, int width, int height, int bands) {
    return cv::Mat(height, width, bands == 4 ? CV_8UC4 : CV_8UC3, canvas);
}

cv::Vec3f colourOf(const uint8_t *rgb) { return cv::Vec3f(rgb[0], rgb[1], rgb[2]); }

// Writes a colour into a canvas pixel, opaque.
inline void put(uint8_t *pixel, int bands, const cv::Vec3f &colour) {
    for (int c = 0; c < 3; ++c) pixel[c] = cv::saturate_cast<uchar>(colour[c]);
    if (bands == 4) pixel[3] = 255;
}

// Blends a colour over a canvas pixel with coverage `a` in [0, 1].
inline void blend(uint8_t *pixel, int bands, const cv::Vec3f &colour, float a) {
    if (a <= 0) return;
    if (bands == 3) {
        for (int c = 0; c < 3; ++c) pixel[c] = cv::saturate_cast<uchar>(pixel[c] * (1 - a) + colour[c] * a);
        return;
    }
    const float below = pixel[3] / 255.0f;
    const float out = a + below * (1 - a);
    for (int c = 0; c < 3; ++c) pixel[c] = cv::saturate_cast<uchar>((colour[c] * a + pixel[c] * below * (1 - a)) / std::max(out, 1e-4f));
    pixel[3] = cv::saturate_cast<uchar>(out * 255);
}

// Smooth value noise with octaves (fractal Brownian motion), reproducible from a seed.
class Noise {
public:
    explicit Noise(uint64_t seed) : lattice_(kSize * kSize) {
        uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        for (float &value : lattice_) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            value = float((state >> 40) & 0xFFFFFF) / float(0xFFFFFF);
        }
    }

    // In [0, 1]; `x` and `y` in lattice cells.
    float value(float x, float y) const {
        const int x0 = int(std::floor(x)), y0 = int(std::floor(y));
        const float fx = smooth(x - x0), fy = smooth(y - y0);
        const float a = at(x0, y0), b = at(x0 + 1, y0), c = at(x0, y0 + 1), d = at(x0 + 1, y0 + 1);
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }

    float fractal(float x, float y, int octaves) const {
        float sum = 0, amplitude = 0.5f, total = 0;
        for (int octave = 0; octave < octaves; ++octave) {
            sum += amplitude * value(x, y);
            total += amplitude;
            x = x * 2.03f + 17.1f;
            y = y * 2.03f + 31.7f;
            amplitude *= 0.5f;
        }
        return sum / total;
    }

private:
    static constexpr int kSize = 256;
    std::vector<float> lattice_;  // 256 KB: on the heap, not a pool thread's stack
    static float smooth(float t) { return t * t * (3 - 2 * t); }
    float at(int x, int y) const { return lattice_[((y & (kSize - 1)) * kSize) + (x & (kSize - 1))]; }
};

// A procedural surface in texture coordinates (u, v in pixels of a `scale`-wide tile).
cv::Vec3f surface(int kind, const Noise &noise, float u, float v, float scale, const cv::Vec3f &base, const cv::Vec3f &accent) {
    const float x = u / scale, y = v / scale;
    switch (kind) {
    case PV_SURFACE_MARBLE: {
        // Veins: a sine of a turbulent diagonal, sharpened into thin lines, a few of them strong
        // and most faint (a second noise fades them in and out), over soft clouding.
        const float turbulence = noise.fractal(x * 1.6f, y * 1.6f, 4);
        const float vein = std::abs(std::sin((x * 0.9f + y * 0.5f + turbulence * 4.0f) * 3.14159f));
        const float presence = std::clamp((noise.fractal(x * 0.8f + 9, y * 0.8f, 2) - 0.42f) * 3.0f, 0.0f, 1.0f);
        const float line = std::pow(1 - vein, 14.0f) * presence * 0.6f + std::pow(1 - vein, 4.0f) * 0.08f;
        const float cloud = noise.fractal(x * 2.5f + 40, y * 2.5f, 3) - 0.5f;
        return base * (1 + 0.07f * cloud) * (1 - line) + accent * line;
    }
    case PV_SURFACE_WOOD: {
        // Planks along u, rings from a warped distance, fine grain streaks.
        const float plank = std::floor(y * 2.2f);
        const float warp = noise.fractal(x * 0.6f, y * 4 + plank * 7, 4) * 6;
        const float rings = 0.5f + 0.5f * std::sin((y * 2.2f - plank) * 26 + warp * 3);
        const float grain = noise.fractal(x * 40, y * 2 + plank * 3, 3);
        const float seam = std::min(1.0f, std::abs(y * 2.2f - std::round(y * 2.2f)) * 60);
        const float plankTone = 0.9f + 0.2f * noise.value(plank * 3.7f, 1.3f);
        cv::Vec3f colour = base * plankTone * (0.86f + 0.14f * rings) * (0.93f + 0.14f * grain);
        colour = colour * (0.7f + 0.3f * seam) + accent * 0.0f;
        return colour;
    }
    case PV_SURFACE_LINEN: {
        const float weave = 0.5f + 0.25f * std::sin(u * 1.9f) + 0.25f * std::sin(v * 1.9f);
        const float slub = noise.fractal(x * 20, y * 3, 3);
        return base * (0.94f + 0.05f * weave + 0.05f * slub);
    }
    case PV_SURFACE_CONCRETE:
    default: {
        const float mottling = noise.fractal(x * 4, y * 4, 4);
        const float pores = noise.value(u * 0.9f, v * 0.9f) > 0.93f ? 0.9f : 1.0f;
        return (base * (0.88f + 0.24f * mottling) + accent * 0.0f) * pores;
    }
    }
}

}  // namespace

extern "C" int pv_cv_fill_gradient(uint8_t *canvas, int width, int height, int bands,
                                   const uint8_t *from, const uint8_t *to, int radial,
                                   double cx, double cy, double angle_degrees) {
    if (!canvas || !from || !to || width < 1 || height < 1 || (bands != 3 && bands != 4)) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Vec3f a = colourOf(from), b = colourOf(to);
        const double radians = angle_degrees * CV_PI / 180.0;
        const double dx = std::cos(radians), dy = std::sin(radians);
        // Linear: position projected on the direction, 0 at one corner, 1 at the other.
        const double span = std::abs(dx) * width + std::abs(dy) * height;
        const double origin = std::min(0.0, dx * width) + std::min(0.0, dy * height);
        const double reach = std::hypot(std::max(cx, 1 - cx) * width, std::max(cy, 1 - cy) * height);
        pv::forEachRow(height, [&](int y) {
            uint8_t *pixel = canvas + size_t(y) * width * bands;
            for (int x = 0; x < width; ++x, pixel += bands) {
                double t = radial ? std::hypot(x - cx * width, y - cy * height) / reach
                                  : (x * dx + y * dy - origin) / span;
                t = std::clamp(t, 0.0, 1.0);
                t = t * t * (3 - 2 * t);  // eased, so the ends do not band
                // A touch of noise dithers 8-bit banding away on wide, gentle gradients.
                const float dither = (float((x * 1103515245u + y * 12345u) >> 16 & 255) / 255.0f - 0.5f) * 1.2f;
                put(pixel, bands, a * float(1 - t) + b * float(t) + cv::Vec3f(dither, dither, dither));
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_fill_surface(uint8_t *canvas, int width, int height, int bands,
                                  int x, int y, int region_width, int region_height, int kind,
                                  const uint8_t *base, const uint8_t *accent, uint64_t seed,
                                  double horizon_squeeze, double scale) {
    if (!canvas || !base || !accent || (bands != 3 && bands != 4) || region_width < 1 || region_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Rect region = cv::Rect(x, y, region_width, region_height) & cv::Rect(0, 0, width, height);
        if (region.empty()) return PV_CV_OK;
        const Noise noise(seed);
        const cv::Vec3f baseColour = colourOf(base), accentColour = colourOf(accent);
        // Perspective: rows near the top of the region (the far edge) are squeezed towards the
        // vanishing point; `horizon_squeeze` is the far edge's width relative to the near one.
        const float squeeze = float(std::clamp(horizon_squeeze, 0.05, 1.0));
        // Large regions are evaluated at half resolution and scaled up: the noise is the cost,
        // and its finest grain is a few pixels wide.
        const int step = region.area() > 500000 ? 2 : 1;
        cv::Mat texture((region.height + step - 1) / step, (region.width + step - 1) / step, CV_8UC3);
        pv::forEachRow(texture.rows, [&](int textureRow) {
            const float row = float(textureRow * step);
            const float depth = region.height > 1 ? row / (region.height - 1) : 1.0f;  // 0 far, 1 near
            const float widthScale = squeeze + (1 - squeeze) * depth;
            // Distance along the floor grows quickly towards the horizon (1/z).
            const float v = float(region.height) * (1 / std::max(0.05f, widthScale) - 1) * 0.6f + row;
            auto *pixel = texture.ptr<cv::Vec3b>(textureRow);
            for (int column = 0; column < texture.cols; ++column) {
                const float u = (float(column * step) - region.width / 2.0f) / widthScale + region.width / 2.0f;
                const cv::Vec3f colour = surface(kind, noise, u, v, float(scale), baseColour, accentColour);
                pixel[column] = cv::Vec3b(cv::saturate_cast<uchar>(colour[0]), cv::saturate_cast<uchar>(colour[1]), cv::saturate_cast<uchar>(colour[2]));
            }
        });
        if (step > 1) cv::resize(texture, texture, region.size(), 0, 0, cv::INTER_LINEAR);
        cv::Mat target = canvasOf(canvas, width, height, bands)(region);
        if (bands == 4) cv::cvtColor(texture, texture, cv::COLOR_RGB2RGBA);
        texture.copyTo(target);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_shade(uint8_t *canvas, int width, int height, int bands, int kind,
                           double cx, double cy, double radius, double strength) {
    if (!canvas || (bands != 3 && bands != 4)) return PV_CV_INVALID_ARGUMENT;
    try {
        const double reach = radius * std::hypot(width, height);
        pv::forEachRow(height, [&](int y) {
            uint8_t *pixel = canvas + size_t(y) * width * bands;
            for (int x = 0; x < width; ++x, pixel += bands) {
                const double dx = x - cx * width, dy = y - cy * height;
                const double d = std::min(1.0, std::sqrt(dx * dx + dy * dy) / reach);
                // Vignette darkens away from the centre; a light pool brightens towards it.
                const double factor = kind == PV_SHADE_VIGNETTE ? 1 - strength * d * d : 1 + strength * (1 - d) * (1 - d);
                for (int c = 0; c < 3; ++c) pixel[c] = cv::saturate_cast<uchar>(pixel[c] * factor);
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_blur_region(uint8_t *canvas, int width, int height, int bands,
                                 int x, int y, int region_width, int region_height, double sigma) {
    if (!canvas || (bands != 3 && bands != 4) || sigma <= 0) return PV_CV_INVALID_ARGUMENT;
    try {
        cv::Mat image = canvasOf(canvas, width, height, bands);
        const cv::Rect region = cv::Rect(x, y, region_width, region_height) & cv::Rect(0, 0, width, height);
        if (region.empty()) return PV_CV_OK;
        cv::Mat blurred;
        pv::wideGaussianBlur(image(region), blurred, sigma);
        blurred.copyTo(image(region));
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

namespace {

// Multiplies a shadow map (coverage 0..1 over `region`, at any resolution) into the canvas, so
// the shadow takes the floor's own colour and texture.
void darken(uint8_t *canvas, int width, int bands, const cv::Rect &region, const cv::Mat &map) {
    cv::Mat shadow;
    cv::resize(map, shadow, region.size(), 0, 0, cv::INTER_LINEAR);
    pv::forEachRow(region.height, [&](int row) {
        const float *s = shadow.ptr<float>(row);
        uint8_t *pixel = canvas + (size_t(region.y + row) * width + region.x) * bands;
        for (int column = 0; column < region.width; ++column, pixel += bands) {
            if (s[column] <= 0.002f) continue;
            const float keep = 1 - std::min(0.92f, s[column]);
            for (int c = 0; c < 3; ++c) pixel[c] = cv::saturate_cast<uchar>(pixel[c] * keep);
            if (bands == 4) pixel[3] = std::max<uint8_t>(pixel[3], cv::saturate_cast<uchar>(255 * s[column]));
        }
    });
}

// A layer's alpha at 1/`cell` scale, as floats: shadows are soft, so they are computed on a
// coarse grid and only the final map is scaled back up.
cv::Mat coarseAlpha(const uint8_t *layer, int layer_width, int layer_height, double cell) {
    const cv::Mat rgba(layer_height, layer_width, CV_8UC4, const_cast<uint8_t *>(layer));
    cv::Mat alpha, small;
    cv::extractChannel(rgba, alpha, 3);
    cv::resize(alpha, small, cv::Size(std::max(1, int(std::lround(layer_width / cell))), std::max(1, int(std::lround(layer_height / cell)))), 0, 0, cv::INTER_AREA);
    small.convertTo(small, CV_32F, 1.0 / 255);
    return small;
}

}  // namespace

extern "C" int pv_cv_shadow(uint8_t *canvas, int width, int height, int bands,
                            const uint8_t *layer, int layer_width, int layer_height, int x, int y,
                            int base_y, double contact, double cast, double cast_angle_degrees, double softness) {
    if (!canvas || !layer || (bands != 3 && bands != 4) || layer_width < 1 || layer_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const int productHeight = std::max(1, base_y - y);
        const double squash = 0.28;
        const double shear = std::tan(cast_angle_degrees * CV_PI / 180.0) * 0.6;
        // The region the shadows can reach, and a grid on which the product is ~240 cells tall.
        const double blur = std::max(1.0, softness * productHeight * 0.05);
        const int margin = int(3 * blur + std::abs(shear) * squash * productHeight + 4);
        const cv::Rect region = cv::Rect(x - margin, y - margin, layer_width + 2 * margin, base_y - y + 2 * margin) & cv::Rect(0, 0, width, height);
        if (region.empty()) return PV_CV_OK;
        const double cell = std::max(1.0, productHeight / 240.0);
        const cv::Mat alpha = coarseAlpha(layer, layer_width, layer_height, cell);
        const cv::Size grid(std::max(1, int(std::ceil(region.width / cell))), std::max(1, int(std::ceil(region.height / cell))));
        cv::Mat shadow = cv::Mat::zeros(grid, CV_32F);
        // Canvas (cx, cy) -> grid ((cx - region.x) / cell, (cy - region.y) / cell); layer pixels are cells already.
        const double ox = (x - region.x) / cell, baseLine = (base_y - region.y) / cell, rise = (base_y - y) / cell;

        // Cast shadow: the silhouette laid on the floor behind the product, away from a light in
        // front; squashed, sheared, softened.
        if (cast > 0) {
            const cv::Mat map = (cv::Mat_<double>(2, 3) << 1, -shear * squash, ox + shear * squash * rise, 0, squash, baseLine - squash * rise);
            cv::Mat laid;
            cv::warpAffine(alpha, laid, map, grid, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
            cv::GaussianBlur(laid, laid, cv::Size(), std::max(0.8, blur / cell));
            shadow = cv::max(shadow, laid * cast);
        }
        // Contact shadow: it hugs the silhouette's bottom contour (each column's lowest opaque
        // pixel), so a rounded base sits on the floor instead of hovering over a flat ellipse;
        // a tight dark core and a wider, fainter occlusion.
        if (contact > 0) {
            cv::Mat foot = cv::Mat::zeros(grid, CV_32F);
            const int thickness = std::max(1, int(std::lround(productHeight * 0.015 / cell)));
            const double top = y / cell;
            for (int column = 0; column < alpha.cols; ++column) {
                const int gx = int(std::lround(ox + column));
                if (gx < 0 || gx >= grid.width) continue;
                int bottom = -1;
                for (int row = alpha.rows - 1; row >= 0; --row) {
                    if (alpha.at<float>(row, column) > 0.5f) {
                        bottom = row;
                        break;
                    }
                }
                // Only the lower part of the silhouette touches the floor.
                if (bottom < 0 || top + bottom < base_y / cell - rise * 0.12) continue;
                const int gy = int(std::lround((y - region.y) / cell + bottom));
                for (int k = -thickness; k <= thickness / 2 + 1; ++k) {
                    if (gy + k >= 0 && gy + k < grid.height) foot.at<float>(gy + k, gx) = 1;
                }
            }
            cv::Mat tight, wide;
            cv::GaussianBlur(foot, tight, cv::Size(), std::max(0.7, softness * productHeight * 0.01 / cell));
            cv::GaussianBlur(foot, wide, cv::Size(), std::max(1.0, softness * productHeight * 0.05 / cell));
            cv::Mat occlusion = cv::min(tight * 1.5, 1.0) * 0.7 + cv::min(wide * 3.0, 1.0) * 0.4;
            shadow = cv::max(shadow, cv::min(occlusion, 1.0) * contact);
        }
        darken(canvas, width, bands, region, shadow);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_reflection(uint8_t *canvas, int width, int height, int bands,
                                const uint8_t *layer, int layer_width, int layer_height, int x, int base_y,
                                double opacity, double fade) {
    if (!canvas || !layer || (bands != 3 && bands != 4) || layer_width < 1 || layer_height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Mat rgba(layer_height, layer_width, CV_8UC4, const_cast<uint8_t *>(layer));
        cv::Mat flipped;
        cv::flip(rgba, flipped, 0);
        cv::GaussianBlur(flipped, flipped, cv::Size(), 1.2);
        // The mirrored product hangs below the base line, fading out over `fade` of its height.
        const int fadeRows = std::max(1, int(fade * layer_height));
        for (int row = 0; row < layer_height; ++row) {
            const int canvasY = base_y + row;
            if (canvasY < 0 || canvasY >= height) continue;
            const float strength = float(opacity) * std::max(0.0f, 1 - float(row) / fadeRows);
            if (strength <= 0) break;
            const auto *source = flipped.ptr<cv::Vec4b>(row);
            uint8_t *pixel = canvas + (size_t(canvasY) * width) * bands;
            for (int column = 0; column < layer_width; ++column) {
                const int canvasX = x + column;
                if (canvasX < 0 || canvasX >= width) continue;
                const float a = source[column][3] / 255.0f * strength;
                blend(pixel + size_t(canvasX) * bands, bands, cv::Vec3f(source[column][0], source[column][1], source[column][2]), a);
            }
        }
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_draw(uint8_t *canvas, int width, int height, int bands, int shape,
                          double x1, double y1, double x2, double y2, double size,
                          const uint8_t *rgb, double opacity) {
    if (!canvas || !rgb || (bands != 3 && bands != 4)) return PV_CV_INVALID_ARGUMENT;
    try {
        // Shapes are drawn as a coverage mask at 4x sub-pixel precision, then blended: smooth
        // edges at any opacity. The mask covers only the shape's bounds.
        const double pad = size * 2 + 4;
        const cv::Rect bounds = cv::Rect(cv::Point(int(std::floor(std::min(x1, x2) - pad)), int(std::floor(std::min(y1, y2) - pad))),
                                         cv::Point(int(std::ceil(std::max(x1, x2) + pad)), int(std::ceil(std::max(y1, y2) + pad))))
                              & cv::Rect(0, 0, width, height);
        if (bounds.empty()) return PV_CV_OK;
        cv::Mat coverage = cv::Mat::zeros(bounds.height, bounds.width, CV_8U);
        constexpr int shift = 2;
        const auto point = [&](double px, double py) {
            return cv::Point(int(std::lround((px - bounds.x) * 4)), int(std::lround((py - bounds.y) * 4)));
        };
        switch (shape) {
        case PV_SHAPE_ROUNDED_RECT: {
            const double r = std::min({size, (x2 - x1) / 2, (y2 - y1) / 2});
            cv::rectangle(coverage, point(x1 + r, y1), point(x2 - r, y2), 255, cv::FILLED, cv::LINE_AA, shift);
            cv::rectangle(coverage, point(x1, y1 + r), point(x2, y2 - r), 255, cv::FILLED, cv::LINE_AA, shift);
            for (const auto &corner : {point(x1 + r, y1 + r), point(x2 - r, y1 + r), point(x1 + r, y2 - r), point(x2 - r, y2 - r)}) {
                cv::circle(coverage, corner, int(r * 4), 255, cv::FILLED, cv::LINE_AA, shift);
            }
            break;
        }
        case PV_SHAPE_ELLIPSE:
            cv::ellipse(coverage, point((x1 + x2) / 2, (y1 + y2) / 2), cv::Size(int((x2 - x1) * 2), int((y2 - y1) * 2)), 0, 0, 360, 255,
                        cv::FILLED, cv::LINE_AA, shift);
            break;
        case PV_SHAPE_LINE:
        case PV_SHAPE_ARROW: {
            const int thickness = std::max(1, int(std::lround(size)));
            cv::line(coverage, point(x1, y1), point(x2, y2), 255, thickness, cv::LINE_AA, shift);
            if (shape == PV_SHAPE_ARROW) {
                // Heads at both ends: a measurement.
                const double length = std::max(1.0, std::hypot(x2 - x1, y2 - y1));
                const double ux = (x2 - x1) / length, uy = (y2 - y1) / length, head = size * 4;
                for (int end = 0; end < 2; ++end) {
                    const double tx = end ? x2 : x1, ty = end ? y2 : y1, sign = end ? -1 : 1;
                    const cv::Point tip = point(tx, ty);
                    const cv::Point wing1 = point(tx + sign * head * ux - head * 0.5 * uy, ty + sign * head * uy + head * 0.5 * ux);
                    const cv::Point wing2 = point(tx + sign * head * ux + head * 0.5 * uy, ty + sign * head * uy - head * 0.5 * ux);
                    const cv::Point triangle[] = {tip, wing1, wing2};
                    cv::fillConvexPoly(coverage, triangle, 3, 255, cv::LINE_AA, shift);
                }
            }
            break;
        }
        default:
            return PV_CV_INVALID_ARGUMENT;
        }
        const cv::Vec3f colour = colourOf(rgb);
        pv::forEachRow(bounds.height, [&](int row) {
            const uchar *c = coverage.ptr<uchar>(row);
            uint8_t *pixel = canvas + (size_t(bounds.y + row) * width + bounds.x) * bands;
            for (int column = 0; column < bounds.width; ++column, pixel += bands) {
                if (c[column]) blend(pixel, bands, colour, float(opacity) * c[column] / 255.0f);
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_blend_mask(uint8_t *canvas, int width, int height, int bands,
                                const uint8_t *mask, int mask_width, int mask_height, int x, int y,
                                const uint8_t *rgb, double opacity) {
    if (!canvas || !mask || !rgb || (bands != 3 && bands != 4)) return PV_CV_INVALID_ARGUMENT;
    try {
        const cv::Vec3f colour = colourOf(rgb);
        const cv::Rect target = cv::Rect(x, y, mask_width, mask_height) & cv::Rect(0, 0, width, height);
        pv::forEachRow(target.height, [&](int offset) {
            const int row = target.y + offset;
            const uint8_t *m = mask + size_t(row - y) * mask_width + (target.x - x);
            uint8_t *pixel = canvas + (size_t(row) * width + target.x) * bands;
            for (int column = 0; column < target.width; ++column, pixel += bands) {
                if (m[column]) blend(pixel, bands, colour, float(opacity) * m[column] / 255.0f);
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_recolour(uint8_t *rgba, int width, int height, const uint8_t *target) {
    if (!rgba || !target || width < 1 || height < 1) return PV_CV_INVALID_ARGUMENT;
    try {
        cv::Mat image(height, width, CV_8UC4, rgba);
        cv::Mat rgb, lab;
        cv::cvtColor(image, rgb, cv::COLOR_RGBA2RGB);
        rgb.convertTo(rgb, CV_32FC3, 1.0 / 255);
        cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
        cv::Mat targetPixel(1, 1, CV_32FC3, cv::Scalar(target[0] / 255.0, target[1] / 255.0, target[2] / 255.0)), targetLab;
        cv::cvtColor(targetPixel, targetLab, cv::COLOR_RGB2Lab);
        const cv::Vec3f goal = targetLab.at<cv::Vec3f>(0, 0);

        // The product's main material: the largest colour cluster of its opaque pixels. Only
        // that is recoloured, so labels, trims and hardware keep their own colours.
        std::vector<cv::Vec3f> samples;
        const int step = std::max(1, int(std::sqrt(double(width) * height / 20000.0)));
        for (int y = 0; y < height; y += step) {
            for (int x = 0; x < width; x += step) {
                if (image.at<cv::Vec4b>(y, x)[3] > 200) samples.push_back(lab.at<cv::Vec3f>(y, x));
            }
        }
        if (samples.size() < 16) return PV_CV_OK;
        cv::Mat labels, centres;
        cv::theRNG().state = 0x9E3779B97F4A7C15ULL;
        const int clusters = std::min<int>(3, int(samples.size()));
        cv::kmeans(cv::Mat(int(samples.size()), 3, CV_32F, samples.data()), clusters, labels,
                   cv::TermCriteria(cv::TermCriteria::COUNT, 10, 0), 1, cv::KMEANS_PP_CENTERS, centres);
        std::vector<int> counts(clusters, 0);
        for (int i = 0; i < labels.rows; ++i) ++counts[labels.at<int>(i)];
        const int main = int(std::max_element(counts.begin(), counts.end()) - counts.begin());
        const cv::Vec3f material(centres.at<float>(main, 0), centres.at<float>(main, 1), centres.at<float>(main, 2));
        // How far the material spreads: pixels within it are fully recoloured, fading beyond.
        double spread = 0;
        for (int i = 0; i < labels.rows; ++i) {
            if (labels.at<int>(i) == main) spread += cv::norm(samples[i] - material);
        }
        const float reach = float(std::max(18.0, 2.5 * spread / std::max(1, counts[main])));

        // Hue and chroma become the target's, shading is kept: lightness moves by the target's
        // offset from the material's, so folds and highlights survive.
        const float shift = goal[0] - material[0];
        pv::forEachRow(height, [&](int row) {
            auto *pixel = lab.ptr<cv::Vec3f>(row);
            for (int column = 0; column < width; ++column) {
                const cv::Vec3f original = pixel[column];
                const float d = float(cv::norm(original - material)) / reach;
                const float weight = d < 1 ? 1.0f : std::exp(-(d - 1) * (d - 1) * 4.0f);
                const cv::Vec3f recoloured(std::clamp(original[0] + shift * 0.85f, 0.0f, 100.0f),
                                           goal[1] + 0.3f * (original[1] - material[1]), goal[2] + 0.3f * (original[2] - material[2]));
                pixel[column] = original * (1 - weight) + recoloured * weight;
            }
        });
        cv::cvtColor(lab, rgb, cv::COLOR_Lab2RGB);
        pv::forEachRow(height, [&](int row) {
            const auto *source = rgb.ptr<cv::Vec3f>(row);
            auto *pixel = image.ptr<cv::Vec4b>(row);
            for (int column = 0; column < width; ++column) {
                for (int c = 0; c < 3; ++c) pixel[column][c] = cv::saturate_cast<uchar>(source[column][c] * 255.0f);
            }
        });
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}

extern "C" int pv_cv_drop_shadow(uint8_t *canvas, int width, int height, int bands,
                                 const uint8_t *layer, int layer_width, int layer_height, int x, int y,
                                 double dx, double dy, double blur, double strength) {
    if (!canvas || !layer || (bands != 3 && bands != 4) || layer_width < 1 || layer_height < 1 || blur < 0) return PV_CV_INVALID_ARGUMENT;
    try {
        const int margin = int(3 * blur + std::abs(dx) + std::abs(dy) + 4);
        const cv::Rect region = cv::Rect(x - margin, y - margin, layer_width + 2 * margin, layer_height + 2 * margin) & cv::Rect(0, 0, width, height);
        if (region.empty()) return PV_CV_OK;
        const double cell = std::max(1.0, blur / 3);
        const cv::Mat alpha = coarseAlpha(layer, layer_width, layer_height, cell);
        const cv::Size grid(std::max(1, int(std::ceil(region.width / cell))), std::max(1, int(std::ceil(region.height / cell))));
        cv::Mat shadow;
        const cv::Mat offset = (cv::Mat_<double>(2, 3) << 1, 0, (x + dx - region.x) / cell, 0, 1, (y + dy - region.y) / cell);
        cv::warpAffine(alpha * strength, shadow, offset, grid, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
        if (blur > 0) cv::GaussianBlur(shadow, shadow, cv::Size(), std::max(0.5, blur / cell));
        darken(canvas, width, bands, region, shadow);
        return PV_CV_OK;
    } catch (...) {
        return PV_CV_FAILED;
    }
}
