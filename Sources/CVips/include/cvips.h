#ifndef CVIPS_H
#define CVIPS_H
/*
 * Fixed-argument wrappers over the libvips calls the engine uses (libvips' own API is
 * variadic, which Swift cannot call). Every function returns 0 on success; on failure it
 * returns non-zero and pv_vips_last_error() says why. Buffers a function allocates are freed
 * with pv_vips_free.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Starts libvips once per process: untrusted loaders blocked, no operation cache, one thread
 * per operation (the service runs several renders side by side on its own pool). */
int pv_vips_init(void);

/* Copies the last error message into `buffer` and clears libvips' error state. */
void pv_vips_last_error(char *buffer, size_t size);

void pv_vips_free(void *pointer);

/* Reads only the header: dimensions after EXIF orientation, bands and whether it has alpha. */
int pv_vips_header(const void *data, size_t length, int *width, int *height, int *bands, int *has_alpha);

/*
 * Decodes, applies EXIF orientation, converts to 8-bit sRGB and shrinks (on load by a power of
 * two where the format allows, then lanczos, premultiplied) to fit inside max_width x
 * max_height; never enlarges. Returns 3-band RGB, or 4-band RGBA when the source has alpha;
 * *pixels is allocated.
 */
int pv_vips_decode(const void *data, size_t length, int max_width, int max_height,
                   uint8_t **pixels, int *width, int *height, int *bands);

/* Output formats. */
enum { PV_VIPS_PNG = 0, PV_VIPS_JPEG = 1, PV_VIPS_WEBP = 2 };

/* Encodes 8-bit sRGB pixels (3 or 4 bands) with every metadata block stripped; *out is allocated. */
int pv_vips_encode(const uint8_t *pixels, int width, int height, int bands, int format, int quality,
                   void **out, size_t *out_length);

/* Renders text (Pango markup allowed; `font` a Pango description with its size, e.g. "Lato Bold
 * 48", which sets the rendering's resolution) wrapped at word boundaries and scaled to the
 * largest size that fits max_width x max_height; align 0 left, 1 centre, 2 right. A one-band
 * coverage mask; *mask is allocated. */
int pv_vips_text_fit(const char *text, const char *font, int max_width, int max_height, int align,
                     uint8_t **mask, int *width, int *height);

#ifdef __cplusplus
}
#endif
#endif
