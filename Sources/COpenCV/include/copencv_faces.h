#ifndef COPENCV_FACES_H
#define COPENCV_FACES_H
/*
 * Face detection with OpenCV's Haar cascades (frontal default, frontal alt2, profile both ways),
 * for reframing model shots below the chin. Same conventions as copencv.h: every function
 * catches every C++ exception and answers with a pv_cv_status.
 */
#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cascades, loaded once and shared: calls from several threads each borrow a set of their
 * own (a cascade keeps per-call state), loading another only when every set is in use. */
typedef struct pv_face_detector pv_face_detector;

/* Loads haarcascade_frontalface_default.xml, haarcascade_frontalface_alt2.xml and
 * haarcascade_profileface.xml from `directory`; NULL on failure, with the reason in `error`. */
pv_face_detector *pv_cv_faces_load(const char *directory, char *error, size_t error_size);
void pv_cv_faces_free(pv_face_detector *detector);

/* One face, in the pixels of the image passed in. */
typedef struct {
    int x, y, width, height;
    int frontal_hits;  /* neighbours of the best frontal detection (either frontal cascade) */
    int profile_hits;  /* neighbours of the best profile detection (either direction) */
    int passes;        /* how many of the eight detection passes found it */
    int strong;        /* 1: the cascades alone are sure; 0: confirm with pv_cv_faces_on_subject */
} pv_face;

/*
 * Finds faces in an RGB image (3 bytes a pixel, rows `stride` bytes apart), scale-invariant from
 * `min_side` pixels up. Each cascade runs on the grey image and on its histogram-equalised copy
 * (backlit and silhouetted faces), the profile cascade also mirrored and only when the frontal
 * ones are sure of no face (it costs twice as much); detections of one face are merged. Faces the cascades are sure of come with `strong` set; weaker ones (a silhouette, a
 * profile; but also a textured print now and then) without, for the caller to confirm. Writes at
 * most `capacity` faces, largest first, and their number to *count.
 */
int pv_cv_faces_detect(pv_face_detector *detector, const uint8_t *rgb, int width, int height, size_t stride,
                       int min_side, pv_face *faces, int capacity, int *count);

/*
 * Whether the subject mask (width*height bytes, 255 = the photo's subject, as the cutout found
 * it) has a head at the face (x, y, face_width, face_height), in the mask's pixels: the subject
 * covers the face, nothing of it rises more than a face height above (or the frame ends), it is
 * about a face wide there, wider a little below (shoulders), and continues downwards. *head is
 * 1 or 0.
 */
int pv_cv_faces_on_subject(const uint8_t *subject, int width, int height, int x, int y, int face_width,
                           int face_height, int *head);

#ifdef __cplusplus
}
#endif
#endif
