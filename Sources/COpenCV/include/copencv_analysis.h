#ifndef COPENCV_ANALYSIS_H
#define COPENCV_ANALYSIS_H
/*
 * Measurements of a product photo and its cutout mask (analysis.cpp), for the engine's photo
 * analysis. These functions only measure; the engine decides what the numbers mean. Images are
 * 8-bit sRGB with `bands` 3 (RGB) or 4 (RGBA, whose alpha is ignored), rows `stride` bytes
 * apart; masks are one byte a pixel, non-zero for product, at the image's size unless a function
 * says otherwise. Every function catches every C++ exception and answers with a pv_cv_status code.
 */
#include <stddef.h>
#include <stdint.h>

#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The pixels around the product: outside the mask grown by ~1.5% of the shorter side (so the
 * product's soft edge is not counted), or the frame's outer ring when that leaves under 5% of it. */
typedef struct {
    double area_share;        /* pixels measured over the frame's */
    int from_border;          /* 1 when the outer ring was measured instead */
    double near_white_share;  /* share with every channel >= 220: a lit white sweep, if not pure white */
    double pure_white_share;  /* share with every channel >= 250 */
    double mean_rgb[3];       /* mean sRGB value, 0..255 */
    double lab_spread;        /* sqrt of the summed CIELAB variances */
    double local_spread;      /* median CIELAB L* standard deviation in 7x7 windows: fine texture */
    double edge_density;      /* share of pixels on edges (Canny on L*) */
    double long_edge_density; /* share of pixels on edge chains longer than 6% of the shorter side */
    double colour_regions;    /* coarse CIELAB cells (10 units a side) holding >= 2% of the pixels */
} pv_background_measure;

/* How well the mask's outline follows the photo. */
typedef struct {
    double mask_share;        /* product pixels over the frame's */
    double boundary_contrast; /* median CIELAB distance between the colours just inside and just outside the outline */
    double contrasted_share;  /* share of outline pixels where that distance is above 10 */
    double boundary_on_edges; /* share of outline pixels within 2 px of a strong edge of the photo */
    double frame_contact;     /* share of the frame's outermost pixels that are product */
    double main_component;    /* the largest 8-connected component's share of the mask */
} pv_mask_measure;

/* Light on the product (the mask) and in the whole frame. */
typedef struct {
    double mean_lightness;     /* mean CIELAB L* over the product, 0..100 */
    double clipped_highlights; /* share of product pixels with every channel >= 250 */
    double clipped_shadows;    /* share of product pixels with every channel <= 5 */
    double product_low;        /* 5th percentile of the product's L* */
    double product_high;       /* 95th percentile of the product's L* */
    double frame_high;         /* 99th percentile of the whole frame's L* */
    double frame_peak;         /* 99.9th percentile of the whole frame's L*: its specular highlights */
    double frame_floor;        /* 0.1th percentile of the whole frame's L*: its deepest shadows */
} pv_exposure_measure;

/* Measures the background, the mask's fit and the light in one pass over the image. */
int pv_cv_measure_photo(const uint8_t *pixels, int width, int height, int bands, size_t stride, const uint8_t *mask,
                        pv_background_measure *background, pv_mask_measure *fit, pv_exposure_measure *exposure);

/* One colour cluster: its mean CIELAB colour and its share of the pixels clustered. */
typedef struct {
    double lab[3];
    double share;
} pv_colour_cluster;

/*
 * Clusters the product's colours: k-means (k-means++ start from a fixed seed, so the same photo
 * always gives the same clusters) in CIELAB over the mask's pixels, one pixel in from its outline
 * (edge pixels blend in the backdrop). Writes up to `k` clusters (k <= 16), largest first, and
 * their number to *count. PV_CV_NO_SUBJECT when the mask is empty.
 */
int pv_cv_colour_clusters(const uint8_t *pixels, int width, int height, int bands, size_t stride, const uint8_t *mask,
                          int k, pv_colour_cluster *clusters, int *count);

/*
 * Sharpness of the product: the variance of the 4-neighbour Laplacian of luma (0..255) over the
 * product and a 2-pixel rim around it (its outline is part of how sharp it looks), after the
 * product's bounding box has been resampled so that its longer side is `side` pixels (area
 * averaging down, bilinear up). `mask` is mask_width x mask_height and covers the whole frame
 * (any resolution); the box is found in it and mapped onto the image.
 * *reblurred is the same variance after a further Gaussian blur of sigma 1: a sharp photo loses
 * most of its Laplacian energy to it, a blurry one little.
 */
int pv_cv_sharpness(const uint8_t *pixels, int width, int height, int bands, size_t stride,
                    const uint8_t *mask, int mask_width, int mask_height, int side,
                    double *laplacian_variance, double *reblurred);

#ifdef __cplusplus
}
#endif
#endif
