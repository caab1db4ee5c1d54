#ifndef COPENCV_DETAIL_H
#define COPENCV_DETAIL_H
/*
 * Where a product photo holds the most detail (texture, print, hardware, stitching), for
 * close-up crops. Same conventions as copencv.h.
 */
#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A window in the pixels of the image passed in. */
typedef struct {
    int x, y, width, height;
    double score;    /* detail of the window, framed (see below); comparable within one call */
    double coverage; /* share of the window on the product, 0..1 */
} pv_detail_window;

/*
 * Chooses up to `count` windows of window_width x window_height, or up to `max_scale` times
 * that where a larger window frames the detail better, over an RGB image (3 bytes a
 * pixel, rows `stride` bytes apart), most detailed first, no two overlapping by an IoU of
 * `max_overlap` or more. `subject` (subject_width*subject_height bytes at any resolution,
 * 255 = product, stretched over the image; NULL for the whole frame) limits where detail counts: its outline band is left out (the silhouette against the
 * backdrop is no detail of the product) and windows mostly off the product are refused.
 *
 * Detail is the colour gradient above the product's own typical level (so print, seams and
 * hardware stand out of an even weave, and flat areas score nothing). A window scores its mean
 * detail, its central part's mean again (the detail well placed), less what its border strip
 * holds beyond its mean (a label or a buckle cut by the frame), times its coverage of the
 * product. Windows scoring under 30% of the best are left out (fewer windows rather than flat
 * ones). Deterministic. Writes the number of windows to *found.
 */
int pv_cv_detail_windows(const uint8_t *rgb, int width, int height, size_t stride,
                         const uint8_t *subject, int subject_width, int subject_height, int window_width, int window_height, double max_scale, int count, double max_overlap,
                         pv_detail_window *windows, int *found);

/* Variance of the Laplacian of an RGB image's grey: the usual sharpness measure. */
int pv_cv_laplacian_variance(const uint8_t *rgb, int width, int height, size_t stride, double *variance);

#ifdef __cplusplus
}
#endif
#endif
