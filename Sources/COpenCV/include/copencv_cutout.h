#ifndef COPENCV_CUTOUT_H
#define COPENCV_CUTOUT_H
/* Product segmentation and edge refinement (cutout/). */
#include <stddef.h>
#include <stdint.h>

#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the segmentation learned about the image, in working-resolution pixels. */
typedef struct {
    int box_x, box_y, box_width, box_height; /* bounding box of alpha >= 128 */
    double confidence;                        /* 0..1: how trustworthy the cutout is */
    int uniform_background;                   /* 1 when the border is one smooth colour field */
    double background_noise;                  /* robust spread of the border around its model (CIELAB) */
    double shadow_strength;                   /* 0..1: how dark the strongest cast shadow is */
    double backdrop_coloured;                 /* 0..1: share of the product in the backdrop's own colour */
} pv_cutout_report;

/*
 * Refines a coarse mask into a soft alpha at a higher resolution and removes background colour
 * from edge pixels. `rgb` is the high-resolution crop (3 bytes a pixel); `coarse` is the working
 * mask, of which the rectangle (cx, cy, cw, ch) in coarse pixels maps onto the crop. Writes
 * width*height*4 RGBA bytes (straight alpha).
 */
int pv_cv_refine(const uint8_t *rgb, int width, int height, size_t stride,
                 const uint8_t *coarse, int coarse_width, int coarse_height,
                 double cx, double cy, double cw, double ch, uint8_t *rgba);

/*
 * Segments the product in an RGB image (3 bytes a pixel, rows `stride` bytes apart) at working
 * resolution, in phases so that callers can decode the product's region, or run a learned
 * model, while GrabCut runs:
 *  - create: a smooth background model fitted to the border and a distance-and-edge seed.
 *    Copies the pixels. With `drop_hands`, a hand or arm holding the product (skin reaching in
 *    from the frame's edge) is left out of the cuts; without, for photos of people.
 *  - backdrop_fit: 0..1, how well a smooth backdrop explains the border: low in rooms and on
 *    cluttered tables, where the learned prior will be wanted.
 *  - estimate: the seed's bounding box, in working pixels: where the product is expected.
 *  - finish: GrabCut initialised from the seed and clean-up (with `framing_fallback`, a
 *    centred-framing GrabCut where the border is no backdrop). Writes width*height mask bytes
 *    (255 = product). PV_CV_NO_SUBJECT when nothing stands out. Call it once.
 *  - fuse: after finish (whatever it answered), the classical cut fused with a learned saliency
 *    map (width*height bytes, 0..255), hands holding the product dropped; `text_boxes` are
 *    `text_count` (x, y, width, height) boxes of printed text that stays opaque inside the product.
 *  - printed_outline: a cut (width*height mask bytes, rewritten in place) of printed matter, a
 *    label or leaflet whose white paper the backdrop shares: where lines of text cover much of
 *    the product and span it both ways, the product becomes the sheet they are printed on (the
 *    hull of cut and text, or its rectangle). Any other cut is left as it is.
 */
typedef struct pv_segmenter pv_segmenter;

int pv_cv_segmenter_create(const uint8_t *rgb, int width, int height, size_t stride, int drop_hands, pv_segmenter **segmenter);
double pv_cv_segmenter_backdrop_fit(const pv_segmenter *segmenter);
void pv_cv_segmenter_estimate(const pv_segmenter *segmenter, int *x, int *y, int *width, int *height);
int pv_cv_segmenter_finish(pv_segmenter *segmenter, int framing_fallback, uint8_t *mask, pv_cutout_report *report);
int pv_cv_segmenter_fuse(pv_segmenter *segmenter, const uint8_t *saliency, const int *text_boxes, int text_count,
                         uint8_t *mask, pv_cutout_report *report);
int pv_cv_segmenter_printed_outline(const int *text_boxes, int text_count, int width, int height, uint8_t *mask, pv_cutout_report *report);
void pv_cv_segmenter_free(pv_segmenter *segmenter);

#ifdef __cplusplus
}
#endif
#endif
