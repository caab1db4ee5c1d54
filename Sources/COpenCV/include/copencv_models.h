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

/*
 * The person models of MediaPipe (converted to ONNX at install time): body landmarks with a
 * person mask (BlazePose full), a person mask alone (selfie segmentation) and faces (BlazeFace
 * short range). Safe to call from several threads at once, as pv_cv_saliency_run.
 */
#define PV_POSE_LANDMARKS 33

/* One body landmark in image pixels (it may lie outside the image, where the model expects a
 * joint the frame cuts off), with the model's visibility and presence (0..1). MediaPipe's order:
 * 0 nose, 1-6 eyes, 7-8 ears, 9-10 mouth, 11-12 shoulders, 13-14 elbows, 15-16 wrists, 17-22
 * hands, 23-24 hips, 25-26 knees, 27-28 ankles, 29-32 feet; odd indices are the person's left. */
typedef struct {
    double x, y, visibility, presence;
} pv_pose_landmark;

typedef struct pv_pose_model pv_pose_model;
pv_pose_model *pv_cv_pose_load(const char *path, char *error, size_t error_size);
void pv_cv_pose_free(pv_pose_model *model);

/*
 * Landmarks of the one person in an RGB image (letterboxed into the model's 256x256 input, and,
 * where the frame cuts the legs off, run again on the square round the whole body that the
 * landmarks call for, as MediaPipe's tracking does):
 * writes PV_POSE_LANDMARKS landmarks, the probability that a person is there to `score`, and,
 * when `mask` is not NULL, the model's person mask (width*height bytes, 0..255). Below
 * `person_score` a pass sees no one: only a person the first pass sees is refined.
 */
int pv_cv_pose_run(pv_pose_model *model, const uint8_t *rgb, int width, int height, size_t stride, double person_score,
                   pv_pose_landmark *landmarks, double *score, uint8_t *mask);

typedef struct pv_person_mask_model pv_person_mask_model;
pv_person_mask_model *pv_cv_person_mask_load(const char *path, char *error, size_t error_size);
void pv_cv_person_mask_free(pv_person_mask_model *model);

/* The probability of person at each pixel of an RGB image: width*height bytes, 0..255. */
int pv_cv_person_mask_run(pv_person_mask_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                          uint8_t *mask);

/* A face: its box in image pixels, the detector's score (0..1) and six keypoints (x, y): the
 * person's right eye, left eye, nose tip, mouth centre, right ear, left ear. */
typedef struct {
    double x, y, width, height, score;
    double keypoints[12];
} pv_face_detection;

typedef struct pv_face_model pv_face_model;
pv_face_model *pv_cv_face_model_load(const char *path, char *error, size_t error_size);
void pv_cv_face_model_free(pv_face_model *model);

/* Faces in an RGB image (letterboxed into the model's 128x128 input: faces from about a tenth
 * of the image's long side up), most confident first; at most `capacity`, their count to `count`. */
int pv_cv_face_model_detect(pv_face_model *model, const uint8_t *rgb, int width, int height, size_t stride,
                            pv_face_detection *faces, int capacity, int *count);

#ifdef __cplusplus
}
#endif
#endif
