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
 * resolution, in two phases so that callers can start decoding the product's region while
 * GrabCut runs:
 *  - create: a smooth background model fitted to the border and a distance-and-edge seed (or,
 *    with `saliency`, width*height bytes of a learned map, the map as the seed). Copies the
 *    pixels. PV_CV_NO_SUBJECT when nothing stands out.
 *  - estimate: the seed's bounding box, in working pixels: where the product is expected.
 *  - finish: GrabCut initialised from the seed and clean-up. Writes width*height mask bytes
 *    (255 = product). Call it once.
 */
typedef struct pv_segmenter pv_segmenter;

int pv_cv_segmenter_create(const uint8_t *rgb, int width, int height, size_t stride,
                           const uint8_t *saliency, pv_segmenter **segmenter);
void pv_cv_segmenter_estimate(const pv_segmenter *segmenter, int *x, int *y, int *width, int *height);
int pv_cv_segmenter_finish(pv_segmenter *segmenter, uint8_t *mask, pv_cutout_report *report);
void pv_cv_segmenter_free(pv_segmenter *segmenter);

#ifdef __cplusplus
}
#endif
#endif
