#ifndef COPENCV_MARKS_H
#define COPENCV_MARKS_H
/*
 * Printed marks on a product (logos, brand names, short lines of text) found and removed, so
 * that the product can be shown unbranded. Same conventions as copencv.h.
 */
#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One mark, in the pixels of the image it was found in. */
typedef struct {
    int x, y, width, height;
    double contrast; /* mean CIELAB distance of its pixels from the surface around them */
} pv_mark;

/*
 * Finds marks on the product in an RGB image (3 bytes a pixel, rows `stride` bytes apart).
 * `subject` (subject_width*subject_height bytes at any resolution, 255 = product, stretched over
 * the image; NULL for the whole frame) says where the product is; its outline band is left out.
 *
 * Candidates are pixels far, in CIELAB, from the product's surface beyond its own texture, at
 * two scales: strokes (top-hat and black-hat of each channel: letters, thin graphics) and
 * solid areas (against a wide median: badges, discs). Long thin pieces (rules, creases, rims)
 * and pieces touching the outline go; the rest are grouped into words and graphics. A group is
 * a mark when it stands out clearly (fainter only as a row of letters on a smooth surface), is
 * small beside the product and off the frame's edge, is no bar or band (the product's seams,
 * straps, zip tapes), and sits on one surface: the ring around it is one colour. Marks side by
 * side on a line are merged; two lines of text or more together (a label's copy, a name over
 * two lines) stay, as do specks smaller than a letter.
 *
 * Writes at most `capacity` marks, largest first, their number to *count, and, when `mask` is
 * not NULL, width*height bytes: 255 over each mark (its convex hull), what a removal fills.
 */
int pv_cv_marks_find(const uint8_t *rgb, int width, int height, size_t stride,
                     const uint8_t *subject, int subject_width, int subject_height,
                     pv_mark *marks, int capacity, int *count, uint8_t *mask);

/*
 * Removes marks from an image in place (3 or 4 bands, rows `stride` bytes apart; alpha is left
 * as it is). `mask` (mask_width*mask_height bytes, 255 = mark, as pv_cv_marks_find wrote it at
 * its own resolution) is stretched over the image; `marks` are in the mask's pixels. `subject`
 * as for pv_cv_marks_find, or NULL.
 *
 * Each mark is filled by inpainting (Telea) at a working resolution where it is at most a few
 * hundred pixels across, scaled back, and given the surface's own fine texture, copied from the
 * nearest stretch of product beside it that holds no mark, so that the fill is no smooth blob.
 * The fill is blended in with a feathered edge; pixels away from the marks are not touched.
 */
int pv_cv_marks_remove(uint8_t *pixels, int width, int height, int bands, size_t stride,
                       const uint8_t *mask, int mask_width, int mask_height, const pv_mark *marks, int count,
                       const uint8_t *subject, int subject_width, int subject_height);

#ifdef __cplusplus
}
#endif
#endif
