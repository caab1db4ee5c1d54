#ifndef CVIPS_REGION_H
#define CVIPS_REGION_H
/*
 * Decoding one rectangle of a photo at a chosen shrink, for crops that must stay sharp: only
 * that region's pixels are kept, at the largest resolution the crop needs. Same conventions as
 * cvips.h (0 on success, pv_vips_last_error for the reason, buffers freed with pv_vips_free).
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Decodes the rectangle (left, top, width, height) of the oriented image shrunk by `shrink`
 * (1, 2, 4 or 8; coordinates are in the shrunk image's pixels), as 8-bit sRGB: 3 bands, or 4
 * when the source has alpha. JPEG and WebP shrink on load; other formats are cropped first and
 * then reduced (box filter), so the result is the same region either way. The rectangle is
 * clipped to the image; *left and *top are updated to where the result really starts and
 * *width and *height to its size. *pixels is allocated.
 */
int pv_vips_decode_region(const void *data, size_t length, int shrink, int *left, int *top, int *width, int *height,
                          uint8_t **pixels, int *bands);

#ifdef __cplusplus
}
#endif
#endif
