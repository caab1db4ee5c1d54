#ifndef CVIPS_METADATA_H
#define CVIPS_METADATA_H
/* Metadata reading for the photo analysis, beside cvips.h's conventions: 0 on success, else
 * non-zero with the reason in pv_vips_last_error(); buffers freed with pv_vips_free. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The metadata a title may be kept in, read from the header alone (no pixel is decoded): every
 * text field as libvips names and formats it (EXIF tags as "exif-ifd0-ImageDescription", PNG
 * text chunks as "png-comment-N-Title", ...) and the raw "xmp-data" and "iptc-data" blocks.
 * Written to *out as records of [uint32 name length][name][uint32 value length][value] in the
 * machine's byte order, without terminators; *out is allocated (NULL when there is none).
 */
int pv_vips_text_fields(const void *data, size_t length, uint8_t **out, size_t *out_length);

#ifdef __cplusplus
}
#endif
#endif
