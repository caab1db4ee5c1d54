#include "cvips_region.h"
#include "cvips.h"

#include <string.h>
#include <vips/vips.h>

/* Replaces *image with `result`; returns `failed`. */
static int replace(VipsImage **image, int failed, VipsImage *result) {
    g_object_unref(*image);
    *image = result;
    return failed;
}

/* 8-bit sRGB, 3 bands or 4 with alpha, as pv_vips_decode delivers. Takes ownership. */
static int to_srgb(VipsImage **image) {
    VipsImage *next = NULL;
    if (vips_image_get_interpretation(*image) == VIPS_INTERPRETATION_CMYK && vips_image_get_typeof(*image, VIPS_META_ICC_NAME)) {
        if (vips_icc_transform(*image, &next, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, NULL) == 0) {
            g_object_unref(*image);
            *image = next;
        } else {
            vips_error_clear();
        }
    }
    if (vips_image_get_interpretation(*image) != VIPS_INTERPRETATION_sRGB || vips_image_get_format(*image) != VIPS_FORMAT_UCHAR) {
        if (replace(image, vips_colourspace(*image, &next, VIPS_INTERPRETATION_sRGB, NULL), next)) return -1;
        if (vips_image_get_format(*image) != VIPS_FORMAT_UCHAR && replace(image, vips_cast_uchar(*image, &next, NULL), next)) return -1;
    }
    int wanted = vips_image_hasalpha(*image) ? 4 : 3;
    if (vips_image_get_bands(*image) != wanted && replace(image, vips_extract_band(*image, &next, 0, "n", wanted, NULL), next))
        return -1;
    return 0;
}

int pv_vips_decode_region(const void *data, size_t length, int shrink, int *left, int *top, int *width, int *height,
                          uint8_t **pixels, int *bands) {
    if (pv_vips_init() != 0) return -1;
    if (shrink != 1 && shrink != 2 && shrink != 4 && shrink != 8) {
        vips_error("prodvisual", "shrink must be 1, 2, 4 or 8, not %d", shrink);
        return -1;
    }
    VipsImage *image = vips_image_new_from_buffer(data, length, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                                  "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    if (!image) return -1;
    const char *loader = NULL;
    if (vips_image_get_typeof(image, VIPS_META_LOADER)) vips_image_get_string(image, VIPS_META_LOADER, &loader);
    int on_load = shrink > 1 && loader && (strcmp(loader, "jpegload_buffer") == 0 || strcmp(loader, "webpload_buffer") == 0);
    VipsImage *next = NULL;
    if (on_load) {
        int failed = strcmp(loader, "jpegload_buffer") == 0
            ? vips_jpegload_buffer((void *)data, length, &next, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL,
                                   "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL)
            : vips_webpload_buffer((void *)data, length, &next, "scale", 1.0 / shrink, "access", VIPS_ACCESS_SEQUENTIAL,
                                   "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
        if (replace(&image, failed, next)) return -1;
    }
    if (replace(&image, vips_autorot(image, &next, NULL), next)) return -1;

    /* The rectangle in the pixels of the image as loaded: shrunk already, or still full size. */
    int factor = on_load ? 1 : shrink;
    int x = *left * factor, y = *top * factor, w = *width * factor, h = *height * factor;
    int x1 = VIPS_MIN(image->Xsize, x + w), y1 = VIPS_MIN(image->Ysize, y + h);
    x = VIPS_MAX(0, x);
    y = VIPS_MAX(0, y);
    if (x1 - x < factor || y1 - y < factor) {
        g_object_unref(image);
        vips_error("prodvisual", "the region lies outside the image");
        return -1;
    }
    if (replace(&image, vips_extract_area(image, &next, x, y, x1 - x, y1 - y, NULL), next)) return -1;
    if (factor > 1) {
        /* Premultiplied, so that transparent pixels lend no colour to the edge. */
        int alpha = vips_image_hasalpha(image);
        if (alpha && replace(&image, vips_premultiply(image, &next, NULL), next)) return -1;
        if (replace(&image, vips_shrink(image, &next, (double)factor, (double)factor, NULL), next)) return -1;
        if (alpha && replace(&image, vips_unpremultiply(image, &next, NULL), next)) return -1;
        if (alpha && replace(&image, vips_cast_uchar(image, &next, NULL), next)) return -1;
    }
    if (to_srgb(&image)) return -1;
    size_t size = 0;
    void *memory = vips_image_write_to_memory(image, &size);
    if (!memory) {
        g_object_unref(image);
        return -1;
    }
    *pixels = memory;
    *left = x / factor;
    *top = y / factor;
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    *bands = vips_image_get_bands(image);
    g_object_unref(image);
    return 0;
}
