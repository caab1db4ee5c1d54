#ifndef COPENCV_COMPOSE_H
#define COPENCV_COMPOSE_H
/* Compositing and scene painting for the styles (compose/). */
#include <stddef.h>
#include <stdint.h>

#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Composites RGBA `layer` (straight alpha) at (x, y) onto `canvas`, which has `bands` 3 (RGB,
 * opaque) or 4 (RGBA, straight alpha). Parts of the layer outside the canvas are clipped.
 */
int pv_cv_composite(uint8_t *canvas, int width, int height, int bands,
                    const uint8_t *layer, int layer_width, int layer_height, int x, int y);

/*
 * Marks where an RGBA `layer` placed at (x, y) covers a one-band `coverage` map of the canvas's
 * size: each pixel keeps the larger of its value and the layer's alpha. Clipped to the map.
 */
int pv_cv_cover(uint8_t *coverage, int width, int height,
                const uint8_t *layer, int layer_width, int layer_height, int x, int y);

/*
 * Tiles a one-band text mask diagonally across the canvas (bands 3 or 4), blending dark grey at
 * `opacity` with a light outline, so the mark stays visible on light and dark areas.
 */
int pv_cv_watermark(uint8_t *canvas, int width, int height, int bands,
                    const uint8_t *text_mask, int mask_width, int mask_height, double opacity);


/* ---- Scene painting for the styles (scene.cpp). Canvases have 3 (RGB) or 4 (RGBA) bands. ---- */

/* Fills the canvas with a gradient from `from` to `to` (RGB): radial from (cx, cy), fractions of
 * the canvas, or linear along `angle_degrees` (90 = top to bottom). Dithered against banding. */
int pv_cv_fill_gradient(uint8_t *canvas, int width, int height, int bands,
                        const uint8_t *from, const uint8_t *to, int radial,
                        double cx, double cy, double angle_degrees);

typedef enum {
    PV_SURFACE_MARBLE = 0,
    PV_SURFACE_WOOD = 1,
    PV_SURFACE_LINEN = 2,
    PV_SURFACE_CONCRETE = 3,
} pv_surface_kind;

/* Paints a procedural surface into a region, reproducible from `seed`. With `horizon_squeeze`
 * below 1 it recedes in perspective: the region's top edge is that fraction of the bottom's
 * width. `scale` is the texture's feature size in pixels. */
int pv_cv_fill_surface(uint8_t *canvas, int width, int height, int bands,
                       int x, int y, int region_width, int region_height, int kind,
                       const uint8_t *base, const uint8_t *accent, uint64_t seed,
                       double horizon_squeeze, double scale);

typedef enum {
    PV_SHADE_VIGNETTE = 0,
    PV_SHADE_LIGHT_POOL = 1,
} pv_shade_kind;

/* Darkens towards the edges (vignette) or brightens towards (cx, cy) (a pool of light), over
 * `radius` of the canvas diagonal, by `strength`. */
int pv_cv_shade(uint8_t *canvas, int width, int height, int bands, int kind,
                double cx, double cy, double radius, double strength);

/* Gaussian blur of a region, in place (depth of field). */
int pv_cv_blur_region(uint8_t *canvas, int width, int height, int bands,
                      int x, int y, int region_width, int region_height, double sigma);

/* Shadows of an RGBA product layer placed at (x, y) and standing on the line `base_y`: a contact
 * shadow of strength `contact` and a cast shadow laid behind it of strength `cast`, leaning
 * `cast_angle_degrees`; `softness` scales the blurs. Multiplied into the canvas. */
int pv_cv_shadow(uint8_t *canvas, int width, int height, int bands,
                 const uint8_t *layer, int layer_width, int layer_height, int x, int y,
                 int base_y, double contact, double cast, double cast_angle_degrees, double softness);

/* A drop shadow: the layer's silhouette at (x + dx, y + dy), blurred by `blur` pixels, of
 * strength `strength`, multiplied into the canvas (a product lying on, or floating above, it). */
int pv_cv_drop_shadow(uint8_t *canvas, int width, int height, int bands,
                      const uint8_t *layer, int layer_width, int layer_height, int x, int y,
                      double dx, double dy, double blur, double strength);

/* The product layer mirrored below `base_y` (a glossy floor), fading from `opacity` to nothing
 * over `fade` of its height. */
int pv_cv_reflection(uint8_t *canvas, int width, int height, int bands,
                     const uint8_t *layer, int layer_width, int layer_height, int x, int base_y,
                     double opacity, double fade);

typedef enum {
    PV_SHAPE_ROUNDED_RECT = 0, /* (x1, y1)-(x2, y2), corner radius `size` */
    PV_SHAPE_ELLIPSE = 1,      /* inscribed in (x1, y1)-(x2, y2) */
    PV_SHAPE_LINE = 2,         /* from (x1, y1) to (x2, y2), `size` thick */
    PV_SHAPE_ARROW = 3,        /* a line with heads at both ends */
} pv_shape_kind;

/* Draws an anti-aliased shape in an RGB colour at `opacity`. */
int pv_cv_draw(uint8_t *canvas, int width, int height, int bands, int shape,
               double x1, double y1, double x2, double y2, double size,
               const uint8_t *rgb, double opacity);

/* Blends a one-band coverage mask (text) at (x, y) in an RGB colour at `opacity`. */
int pv_cv_blend_mask(uint8_t *canvas, int width, int height, int bands,
                     const uint8_t *mask, int mask_width, int mask_height, int x, int y,
                     const uint8_t *rgb, double opacity);

/* Recolours an RGBA product layer in place: its main material (the largest colour cluster)
 * takes the target's hue and chroma, keeping its shading; other parts keep their colours. */
int pv_cv_recolour(uint8_t *rgba, int width, int height, const uint8_t *target);

#ifdef __cplusplus
}
#endif
#endif
