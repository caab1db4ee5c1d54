#ifndef COPENCV_MODELS_H
#define COPENCV_MODELS_H
/* Learned models run through OpenCV's DNN module (models/). */
#include <stddef.h>
#include <stdint.h>

#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A salient-object model (U^2-Net style: 1x3x320x320 RGB in, a saliency map out). */
typedef struct pv_saliency_model pv_saliency_model;

/* Loads an ONNX model through OpenCV's DNN module; NULL on failure, with the reason in `error`. */
pv_saliency_model *pv_cv_saliency_load(const char *path, char *error, size_t error_size);
void pv_cv_saliency_free(pv_saliency_model *model);

/*
 * Runs the model on an RGB image and writes width*height bytes of saliency (0..255, min-max
 * normalised as U^2-Net's reference code does). Safe to call from several threads at once;
 * each call parses a network of its own and frees it afterwards.
 */
int pv_cv_saliency_run(pv_saliency_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                       uint8_t *saliency);

/*
 * A text-region detector (DB style, as PaddleOCR's PP-OCR detection: BGR in, (x - 127.5) / 127.5,
 * a per-pixel text probability out). The image is letterboxed into the network's square input.
 */
typedef struct pv_text_model pv_text_model;

/* One detected text region: its axis-aligned box in image pixels and its mean probability. */
typedef struct {
    int x, y, width, height;
    double score;
} pv_text_region;

pv_text_model *pv_cv_text_load(const char *path, int side, char *error, size_t error_size);
void pv_cv_text_free(pv_text_model *model);

/*
 * Detects text in an RGB image; writes up to `capacity` regions, largest first, and their count
 * to `count`. Safe to call from several threads at once, as pv_cv_saliency_run.
 */
int pv_cv_text_detect(pv_text_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                      pv_text_region *regions, int capacity, int *count);

#ifdef __cplusplus
}
#endif
#endif
