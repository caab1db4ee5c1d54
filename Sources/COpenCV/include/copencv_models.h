#ifndef COPENCV_MODELS_H
#define COPENCV_MODELS_H
/* Learned models run through OpenCV's DNN module (models/). */
#include <stddef.h>
#include <stdint.h>

#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A user-supplied salient-object model (U^2-Net style: 1x3x320x320 RGB in, a saliency map out). */
typedef struct pv_saliency_model pv_saliency_model;

/* Loads an ONNX model through OpenCV's DNN module; NULL on failure, with the reason in `error`. */
pv_saliency_model *pv_cv_saliency_load(const char *path, char *error, size_t error_size);
void pv_cv_saliency_free(pv_saliency_model *model);

/*
 * Runs the model on an RGB image and writes width*height bytes of saliency (0..255, min-max
 * normalised as U^2-Net's reference code does). Safe to call from several threads at once.
 */
int pv_cv_saliency_run(pv_saliency_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                       uint8_t *saliency);

#ifdef __cplusplus
}
#endif
#endif
