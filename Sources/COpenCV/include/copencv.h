#ifndef COPENCV_H
#define COPENCV_H
/*
 * A C facade over the OpenCV routines the engine needs. Every function catches every C++
 * exception and answers with a status code; buffers are plain interleaved 8-bit pixels owned
 * by the caller unless a function says it allocates.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PV_CV_OK = 0,
    PV_CV_INVALID_ARGUMENT = 1,
    PV_CV_NO_SUBJECT = 2,
    PV_CV_FAILED = 3,
} pv_cv_status;

/* Resizes 8-bit RGB (rows `stride` bytes apart, so a region can be passed in place): area
 * averaging when shrinking, cubic when enlarging. */
int pv_cv_resize_rgb(const uint8_t *rgb, int width, int height, size_t stride, uint8_t *out, int out_width, int out_height);

/* Resizes straight-alpha RGBA with premultiplication, so edges keep no dark fringe. */
int pv_cv_resize_rgba(const uint8_t *rgba, int width, int height, size_t stride,
                      uint8_t *out, int out_width, int out_height);

#ifdef __cplusplus
}
#endif
#endif
