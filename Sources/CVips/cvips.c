#include "cvips.h"

#include <pthread.h>
#include <string.h>
#include <vips/vips.h>

static pthread_once_t started = PTHREAD_ONCE_INIT;
static int start_status = -1;

static void start(void) {
    start_status = VIPS_INIT("prodvisual");
    if (start_status != 0) return;
    /* Only the three loaders the engine asks for by format may ever run on user bytes. */
    vips_block_untrusted_set(TRUE);
    /* Every render is different: caching operations only holds memory. */
    vips_cache_set_max(0);
    vips_concurrency_set(1);
}

int pv_vips_init(void) {
    pthread_once(&started, start);
    return start_status;
}

void pv_vips_last_error(char *buffer, size_t size) {
    if (size == 0) return;
    const char *message = vips_error_buffer();
    strncpy(buffer, message ? message : "", size - 1);
    buffer[size - 1] = '\0';
    size_t length = strlen(buffer);
    while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == ' ')) buffer[--length] = '\0';
    vips_error_clear();
}

void pv_vips_free(void *pointer) { g_free(pointer); }

int pv_vips_header(const void *data, size_t length, int *width, int *height, int *bands, int *has_alpha) {
    /* Opening from a buffer reads the header only; pixels are decoded on demand. */
    VipsImage *image = vips_image_new_from_buffer(data, length, "", NULL);
    if (!image) return -1;
    int swap = vips_image_get_orientation_swap(image);
    *width = swap ? vips_image_get_height(image) : vips_image_get_width(image);
    *height = swap ? vips_image_get_width(image) : vips_image_get_height(image);
    *bands = vips_image_get_bands(image);
    *has_alpha = vips_image_hasalpha(image);
    g_object_unref(image);
    return 0;
}

/* Takes ownership of `image`; on success *pixels holds its bytes. */
static int write_pixels(VipsImage *image, uint8_t **pixels, int *width, int *height, int *bands) {
    size_t size = 0;
    void *memory = vips_image_write_to_memory(image, &size);
    if (!memory) {
        g_object_unref(image);
        return -1;
    }
    *pixels = memory;
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    *bands = vips_image_get_bands(image);
    g_object_unref(image);
    return 0;
}

int pv_vips_decode(const void *data, size_t length, int max_width, int max_height,
                   uint8_t **pixels, int *width, int *height, int *bands) {
    VipsImage *image = NULL;
    /* thumbnail: shrink-on-load for JPEG and WebP, EXIF orientation applied, ICC to sRGB. A
     * truncated file is an error rather than a grey-filled image. */
    if (vips_thumbnail_buffer((void *)data, length, &image, max_width,
                              "height", max_height, "size", VIPS_SIZE_DOWN,
                              "option_string", "fail_on=truncated", NULL))
        return -1;
    if (vips_image_get_interpretation(image) != VIPS_INTERPRETATION_sRGB ||
        vips_image_get_format(image) != VIPS_FORMAT_UCHAR) {
        VipsImage *converted = NULL;
        int failed = vips_colourspace(image, &converted, VIPS_INTERPRETATION_sRGB, NULL);
        g_object_unref(image);
        if (failed) return -1;
        image = converted;
        if (vips_image_get_format(image) != VIPS_FORMAT_UCHAR) {
            VipsImage *cast = NULL;
            failed = vips_cast_uchar(image, &cast, NULL);
            g_object_unref(image);
            if (failed) return -1;
            image = cast;
        }
    }
    /* sRGB has 3 colour bands; anything beyond the first alpha is dropped. */
    int wanted = vips_image_hasalpha(image) ? 4 : 3;
    if (vips_image_get_bands(image) != wanted) {
        VipsImage *trimmed = NULL;
        int failed = vips_extract_band(image, &trimmed, 0, "n", wanted, NULL);
        g_object_unref(image);
        if (failed) return -1;
        image = trimmed;
    }
    return write_pixels(image, pixels, width, height, bands);
}

int pv_vips_encode(const uint8_t *pixels, int width, int height, int bands, int format, int quality,
                   void **out, size_t *out_length) {
    VipsImage *raw = vips_image_new_from_memory(pixels, (size_t)width * height * bands, width, height, bands,
                                                VIPS_FORMAT_UCHAR);
    if (!raw) return -1;
    VipsImage *image = NULL;
    int failed = vips_copy(raw, &image, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(raw);
    if (failed) return -1;
    switch (format) {
    case PV_VIPS_PNG:
        failed = vips_pngsave_buffer(image, out, out_length, "compression", 6, "strip", TRUE, NULL);
        break;
    case PV_VIPS_JPEG:
        failed = vips_jpegsave_buffer(image, out, out_length, "Q", quality, "optimize_coding", TRUE,
                                      "strip", TRUE, NULL);
        break;
    case PV_VIPS_WEBP:
        failed = vips_webpsave_buffer(image, out, out_length, "Q", quality, "effort", 4, "strip", TRUE, NULL);
        break;
    default:
        vips_error("prodvisual", "unknown output format %d", format);
        failed = -1;
    }
    g_object_unref(image);
    return failed;
}

int pv_vips_text_mask(const char *text, const char *font, int dpi, uint8_t **mask, int *width, int *height) {
    VipsImage *image = NULL;
    if (vips_text(&image, text, "font", font, "dpi", dpi, NULL)) return -1;
    int bands = 0;
    return write_pixels(image, mask, width, height, &bands);
}
