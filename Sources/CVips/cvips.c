#include "cvips.h"
#include "cvips_metadata.h"

#include <pthread.h>
#include <math.h>
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

/* Replaces *image with the result of an operation on it; 0 on success. */
static int step(VipsImage **image, int failed, VipsImage *result) {
    g_object_unref(*image);
    *image = result;
    return failed;
}

int pv_vips_decode(const void *data, size_t length, int max_width, int max_height,
                   uint8_t **pixels, int *width, int *height, int *bands) {
    /* A truncated file is an error rather than a grey-filled image. */
    VipsImage *image = vips_image_new_from_buffer(data, length, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                                  "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    if (!image) return -1;
    int swap = vips_image_get_orientation_swap(image);
    double source_width = swap ? image->Ysize : image->Xsize;
    double source_height = swap ? image->Xsize : image->Ysize;
    double scale = VIPS_MIN(1.0, VIPS_MIN(max_width / source_width, max_height / source_height));

    /* JPEG and WebP shrink on load by powers of two at a fraction of a full decode's cost. Like
     * vips_thumbnail, leave at least a factor of two to the lanczos resize, which filters
     * better than the scaled IDCT; unlike it, take a shrink that lands on the target exactly
     * (the engine asks for such sizes), where thumbnail would decode 4x the pixels. */
    const char *loader = NULL;
    if (vips_image_get_typeof(image, VIPS_META_LOADER)) vips_image_get_string(image, VIPS_META_LOADER, &loader);
    int shrink = 1;
    while (shrink < 8 && 4.0 * shrink * scale <= 1.0) shrink *= 2;
    for (int exact = 8; exact > shrink; exact /= 2) {
        if (fabs(exact * scale - 1.0) < 0.01) {
            shrink = exact;
            break;
        }
    }
    if (shrink > 1 && loader && (strcmp(loader, "jpegload_buffer") == 0 || strcmp(loader, "webpload_buffer") == 0)) {
        VipsImage *shrunk = NULL;
        int failed = strcmp(loader, "jpegload_buffer") == 0
            ? vips_jpegload_buffer((void *)data, length, &shrunk, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL,
                                   "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL)
            : vips_webpload_buffer((void *)data, length, &shrunk, "scale", 1.0 / shrink, "access", VIPS_ACCESS_SEQUENTIAL,
                                   "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
        if (step(&image, failed, shrunk)) return -1;
    }
    VipsImage *next = NULL;
    if (step(&image, vips_autorot(image, &next, NULL), next)) return -1;
    /* CMYK needs its profile to become RGB at all; RGB profiles are taken as sRGB, as
     * vips_thumbnail does by default. */
    if (vips_image_get_interpretation(image) == VIPS_INTERPRETATION_CMYK && vips_image_get_typeof(image, VIPS_META_ICC_NAME)) {
        if (vips_icc_transform(image, &next, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, NULL) == 0) {
            g_object_unref(image);
            image = next;
        } else {
            vips_error_clear(); /* a broken profile: the plain colourspace conversion below */
        }
    }
    double remaining = VIPS_MIN(1.0, VIPS_MIN(max_width / (double)image->Xsize, max_height / (double)image->Ysize));
    if (remaining < 1.0) {
        /* Premultiplied, so that transparent pixels lend no colour to the edge. */
        int alpha = vips_image_hasalpha(image);
        if (alpha && step(&image, vips_premultiply(image, &next, NULL), next)) return -1;
        if (step(&image, vips_resize(image, &next, remaining, NULL), next)) return -1;
        if (alpha && step(&image, vips_unpremultiply(image, &next, NULL), next)) return -1;
        if (alpha && step(&image, vips_cast_uchar(image, &next, NULL), next)) return -1;
    }
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
        /* zlib level 4: half the time of the default 6 for files about 7% larger. */
        failed = vips_pngsave_buffer(image, out, out_length, "compression", 4, "strip", TRUE, NULL);
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

/* Renders at one fixed font size and scales the bitmap, rather than letting vips search for a
 * size: every new size makes Pango build and later free font patterns on a thread of its own,
 * racing with the next rendering (libvips #3660); with one size the patterns are built once. */
static VipsImage *render_text(const char *text, const char *font, int wrap_width, int align) {
    VipsImage *image = NULL;
    if (vips_text(&image, text, "font", font, "width", VIPS_MAX(1, wrap_width), "dpi", 72, "align", align,
                  "wrap", VIPS_TEXT_WRAP_WORD, NULL))
        return NULL;
    return image;
}

int pv_vips_text_fit(const char *text, const char *font, int max_width, int max_height, int align,
                     uint8_t **mask, int *width, int *height) {
    /* The largest scale at which the text, wrapped at max_width / scale, fits the box. */
    double low = 0.01, high = 8.0;
    for (int step = 0; step < 14; ++step) {
        double scale = sqrt(low * high);
        VipsImage *image = render_text(text, font, (int)(max_width / scale), align);
        if (!image) return -1;
        int fits = image->Xsize * scale <= max_width && image->Ysize * scale <= max_height;
        g_object_unref(image);
        if (fits) low = scale;
        else high = scale;
    }
    VipsImage *image = render_text(text, font, (int)(max_width / low), align);
    if (!image) return -1;
    VipsImage *scaled = NULL;
    int failed = vips_resize(image, &scaled, low, NULL);
    g_object_unref(image);
    if (failed) return -1;
    int bands = 0;
    return write_pixels(scaled, mask, width, height, &bands);
}


static void append_record(GByteArray *buffer, const char *name, const void *value, size_t value_length) {
    const uint32_t name_length = (uint32_t)strlen(name), length = (uint32_t)value_length;
    g_byte_array_append(buffer, (const guint8 *)&name_length, sizeof name_length);
    g_byte_array_append(buffer, (const guint8 *)name, name_length);
    g_byte_array_append(buffer, (const guint8 *)&length, sizeof length);
    g_byte_array_append(buffer, (const guint8 *)value, length);
}

int pv_vips_text_fields(const void *data, size_t length, uint8_t **out, size_t *out_length) {
    *out = NULL;
    *out_length = 0;
    VipsImage *image = vips_image_new_from_buffer(data, length, "", NULL);
    if (!image) return -1;
    GByteArray *buffer = g_byte_array_new();
    gchar **fields = vips_image_get_fields(image);
    for (int i = 0; fields[i]; ++i) {
        const char *name = fields[i];
        const GType type = vips_image_get_typeof(image, name);
        if (type == G_TYPE_STRING || type == VIPS_TYPE_REF_STRING) {
            char *value = NULL;
            if (vips_image_get_as_string(image, name, &value) == 0 && value) append_record(buffer, name, value, strlen(value));
            g_free(value);
        } else if (type == VIPS_TYPE_BLOB && (strcmp(name, "xmp-data") == 0 || strcmp(name, "iptc-data") == 0)) {
            const void *blob = NULL;
            size_t size = 0;
            if (vips_image_get_blob(image, name, &blob, &size) == 0 && blob) append_record(buffer, name, blob, size);
        }
    }
    g_strfreev(fields);
    g_object_unref(image);
    vips_error_clear();
    *out_length = buffer->len;
    *out = buffer->len > 0 ? g_byte_array_free(buffer, FALSE) : (g_byte_array_free(buffer, TRUE), NULL);
    return 0;
}
