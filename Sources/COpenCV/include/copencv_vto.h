#ifndef COPENCV_VTO_H
#define COPENCV_VTO_H
/*
 * The geometric virtual try-on (vto_person.cpp, vto_garment.cpp, vto_dress.cpp): landmarks of a
 * person's silhouette and of a garment's cutout, a thin-plate-spline warp between them, and the
 * composition of the warped garment onto the photo (occluders kept in front, the person's
 * shading carried over, edges feathered). Same conventions as copencv.h: opaque or plain-struct
 * data, every function catches every C++ exception and answers with a pv_cv_status; buffers
 * belong to the caller. "Left" and "right" are the image's: index 0 is the side nearer x = 0
 * (the person's own right side when they face the camera).
 */
#include <stddef.h>
#include <stdint.h>

#include "copencv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double x, y;
} pv_vto_point;

/* Rows sampled along a torso's or a garment body's outline. */
#define PV_VTO_OUTLINE_ROWS 24

/* Landmarks of a standing person, in the pixels of the mask passed in. */
typedef struct {
    double head_unit;          /* crown-to-chin height estimated from the face box */
    double heads_tall;         /* body height in head units used for the proportions */
    double width_factor;       /* torso widths relative to an average build (from weight and height) */
    double chin_y;
    pv_vto_point neck;         /* base of the neck, on the body's axis: where a crew collar sits */
    double neck_width;
    double shoulder_line_y;    /* the row at which the silhouette reaches shoulder width */
    double shoulder_width;     /* the silhouette's width across the shoulders (deltoid to deltoid) */
    pv_vto_point shoulder[2];  /* top of each shoulder, at the shoulder joint */
    pv_vto_point armpit[2];    /* torso edges where the arms leave it */
    pv_vto_point chest[2];     /* torso edges at the chest line */
    pv_vto_point waist[2];     /* torso edges at the narrowest row */
    pv_vto_point hip[2];       /* torso edges at the widest row below the waist */
    pv_vto_point crotch;
    /* Arms: the elbow and wrist on each arm's axis, its thickness, and its outer and inner edge
     * at the elbow. arm_seen is 1 when the arm stands apart from the torso in the silhouette
     * (else the arm is assumed to hang along the torso). */
    pv_vto_point elbow[2], wrist[2];
    pv_vto_point hand[2];      /* the hand's far end (fingertips) */
    pv_vto_point arm_outer[2], arm_inner[2];
    double arm_width[2];
    int arm_seen[2];
    /* Legs: knee and ankle centres and each leg's width at the knee; legs_seen is 1 when a gap
     * between the legs shows in the silhouette. */
    pv_vto_point knee[2], ankle[2];
    double leg_width[2];
    int legs_seen;
    /* Torso outline: edges at rows from the shoulder line down to the crotch. torso_measured[i]
     * is 1 where the edge came from the silhouette, 0 where arms merged with the torso and the
     * edge was estimated (a colour edge, else the proportions). */
    double torso_y[PV_VTO_OUTLINE_ROWS];
    double torso_left[PV_VTO_OUTLINE_ROWS];
    double torso_right[PV_VTO_OUTLINE_ROWS];
    int torso_measured[PV_VTO_OUTLINE_ROWS];
    int runs_off_bottom;       /* the silhouette reaches the frame's bottom edge (a half-body shot) */
} pv_vto_person;

/*
 * Repairs a person's cutout mask (width*height bytes, >= 128 = person) in place where it lost
 * part of the body (white clothes on a white backdrop): when the strip down the middle of the
 * torso below the face box (face_x, face_y, face_width, face_height; the box may lie partly
 * above the frame) is not all person, GrabCut runs again on the RGB image seeded with that
 * strip and the face as certain person, the old mask and a body-shaped region below the face as
 * likely person, and the frame's sides as background. *repaired is 1 when it ran.
 */
int pv_cv_vto_person_mask(const uint8_t *rgb, size_t stride, uint8_t *mask, int width, int height,
                          int face_x, int face_y, int face_width, int face_height, int *repaired);

/*
 * Landmarks of the person in `mask` (width*height bytes, >= 128 = person, e.g. the cutout's
 * working mask) whose face is the box (face_x, face_y, face_width, face_height), with the RGB
 * image of the same size (3 bytes a pixel, rows `stride` apart) for colour edges. height_cm and
 * weight_kg refine the proportions; pass 0 when unknown. Writes the cleaned silhouette (the
 * component under the face, holes filled) to `silhouette` (width*height bytes, 255 = person)
 * when it is not NULL. PV_CV_NO_SUBJECT when there is no body under the face.
 */
int pv_cv_vto_person(const uint8_t *rgb, size_t stride, const uint8_t *mask, int width, int height,
                     int face_x, int face_y, int face_width, int face_height,
                     double height_cm, double weight_kg, pv_vto_person *person, uint8_t *silhouette);

/* A person's joints from a pose model, in the pixels of the mask passed in; index 0 is the
 * image's left (the person's right). Joints the frame cuts off may lie outside the image. */
typedef struct {
    pv_vto_point shoulder[2], elbow[2], wrist[2], hand[2], hip[2], knee[2], ankle[2];
} pv_vto_skeleton;

/*
 * Landmarks of a person from a pose model's joints and a person mask (width*height bytes,
 * >= 128 = person): the joints place shoulders, elbows, wrists, hips, knees and ankles; the
 * mask gives the widths (neck, shoulders, the torso's outline with the arms taken off it along
 * their joints, arms and legs). The face box (face_x, face_y, face_width, face_height; it may
 * lie partly above the frame) sets the head unit and the chin. Same outputs as pv_cv_vto_person.
 * PV_CV_NO_SUBJECT when the joints do not describe an upright body over the mask.
 */
int pv_cv_vto_person_posed(const uint8_t *rgb, size_t stride, const uint8_t *mask, int width, int height,
                           const pv_vto_skeleton *skeleton, int face_x, int face_y, int face_width, int face_height,
                           double height_cm, double weight_kg, pv_vto_person *person, uint8_t *silhouette);

/*
 * A person whose head the frame cuts off (a fashion shot framed from the lips or the chin down):
 * when the silhouette in `mask` enters through the frame's top edge with skin there (a chin, a
 * neck), narrower than the shoulders below it, and stands tall, writes where the face would be
 * by the body's proportions (partly above the frame: face_y may be negative), sized from the
 * shoulders' width. PV_CV_NO_SUBJECT when the silhouette does not look like that.
 */
int pv_cv_vto_headless(const uint8_t *rgb, size_t stride, const uint8_t *mask, int width, int height,
                       int *face_x, int *face_y, int *face_width, int *face_height);

typedef enum {
    PV_VTO_TOP = 0,
    PV_VTO_BOTTOM = 1,
    PV_VTO_DRESS = 2,
    PV_VTO_OUTERWEAR = 3,
} pv_vto_category;

/* Landmarks of a garment laid flat or on a form, in the pixels of the mask passed in. */
typedef struct {
    int category;              /* pv_vto_category: the shape's verdict (or the one forced) */
    /* The shape's evidence, for the verdict and its explanation. */
    double aspect;             /* height over the body's width */
    double leg_split;          /* share of the lower rows split into two legs around the centre */
    double sleeve_reach;       /* widest upper row over the body's width */
    double neck_dip;           /* how far the top edge dips at the centre, over the height */
    double top_coverage;       /* share of the body's width the top row spans (a waistband spans it all) */
    double strap_share;        /* share of the top rows that are thin separate straps */
    double centre_opening;     /* share of rows with a vertical edge on the centre line (zip, buttons) */
    int has_sleeves, long_sleeves, two_legs;
    /* Tops, dresses, outerwear. */
    pv_vto_point collar;       /* centre of the neckline */
    pv_vto_point neck[2];      /* where the neckline meets the shoulders (or the straps' tops) */
    pv_vto_point shoulder[2];  /* shoulder seams (outer end of the straps when sleeveless) */
    pv_vto_point armpit[2];    /* where sleeve or armhole meets the body's side */
    pv_vto_point sleeve_outer[2], sleeve_inner[2]; /* cuff corners: away from and towards the armpit */
    pv_vto_point hem[2];       /* hem corners */
    /* Bottoms (and a dress's waist). */
    pv_vto_point waist[2];     /* waistband corners; the waist's edges for dresses */
    pv_vto_point crotch;
    pv_vto_point leg_outer[2], leg_inner[2]; /* leg hem corners */
    /* Body outline: edges at rows from the armpits (tops) or waistband (bottoms) to the hem;
     * for trousers, the outer edges of the legs. */
    double body_y[PV_VTO_OUTLINE_ROWS];
    double body_left[PV_VTO_OUTLINE_ROWS];
    double body_right[PV_VTO_OUTLINE_ROWS];
} pv_vto_garment;

/*
 * Classifies the garment in `mask` (width*height bytes, >= 128 = garment) and finds its
 * landmarks; `rgb` (3 bytes a pixel, rows `stride` apart) is used for the centre opening.
 * `forced_category` is a pv_vto_category, or -1 to decide from the shape. Writes the cleaned
 * mask to `cleaned` when not NULL. PV_CV_NO_SUBJECT when no garment-sized shape is found.
 */
int pv_cv_vto_garment(const uint8_t *rgb, size_t stride, const uint8_t *mask, int width, int height,
                      int forced_category, pv_vto_garment *garment, uint8_t *cleaned);

/*
 * Warps straight-alpha RGBA `source` (width*height*4) with the thin-plate spline that takes
 * each source point to its target point (n pairs, interleaved x, y), smoothed by
 * `regularization` (0 interpolates exactly), into out_width*out_height*4 RGBA bytes. Pixels
 * that map outside the source are transparent.
 */
int pv_cv_vto_warp(const uint8_t *source, int width, int height, const double *source_points,
                   const double *target_points, int n, double regularization,
                   uint8_t *out, int out_width, int out_height);

/* An arm as the occluders see it: shoulder, elbow, wrist and the hand's end, its thickness, and
 * how far down it (from the shoulder, along the joints) a sleeve of the garment covers it. */
typedef struct {
    pv_vto_point joints[4];
    double width;
    double sleeve;
} pv_vto_arm;

/*
 * Pixels of the person that stay in front of a garment: the arms where no sleeve covers them
 * (silhouette pixels along each arm's joints, outside the torso and below `arms_from_y`), bare
 * skin reaching over the torso from outside it (skin that matches the face's colours: a
 * forearm, a hand on a hip), and hair falling over the shoulders (hair-coloured pixels
 * connected to the hair above the face), and the neck's skin above `neckline` (where the
 * garment's neckline centre lands; y < 0 for none) within `neck_half_width` of it, which hides
 * the garment's inside back. `rgb` is the photo, `silhouette` the person's mask,
 * `torso` the torso's outline as a mask, all width*height; `garment` the warped garment (RGBA,
 * width*height*4): only where its alpha is at least half is anything kept in front. `arms`
 * holds the image-left and image-right arm. Writes 0..255 to `front`.
 */
int pv_cv_vto_occluders(const uint8_t *rgb, size_t stride, const uint8_t *silhouette, const uint8_t *torso,
                        const uint8_t *garment, int width, int height,
                        int face_x, int face_y, int face_width, int face_height,
                        const pv_vto_arm *arms, double arms_from_y, pv_vto_point neckline, double neck_half_width,
                        uint8_t *front);

/*
 * Hides what the newly laid garments leave showing of the person's own clothes. Pixels of the
 * silhouette (width*height, >= 128 = person) that no garment covers (`coverage`, 0..255, all
 * garments together), that are not the person's skin (the face box's colours) and not hair
 * (the colours above the face, except on the arms), become skin where a body part is (each
 * arm's capsule along shoulder, elbow, wrist; each leg's in `legs` along hip, knee, ankle, with
 * `width` at the knee; the `torso` mask; the neck under `chin_y`), with the photo's shading, and
 * background (inpainted) elsewhere; legs are never painted. Only within the zones the garments replace: the upper body
 * from under `chin_y` to `upper_bottom` with the arms (none when upper_bottom is above the chin),
 * and the lower body from `lower_top` to the ankles (none when lower_top < 0), the legs
 * themselves only when the new lower garment is `trousers` (1). `canvas` (RGB,
 * in place) holds the dressed image, `photo` the untouched one, both `stride` bytes a row.
 */
int pv_cv_vto_retouch(uint8_t *canvas, const uint8_t *photo, size_t stride, int width, int height,
                      const uint8_t *silhouette, const uint8_t *coverage, const uint8_t *torso,
                      int face_x, int face_y, int face_width, int face_height, double chin_y,
                      const pv_vto_arm *arms, const pv_vto_arm *legs,
                      double upper_bottom, double lower_top, int trousers);

/*
 * Lays the warped garment (RGBA, width*height*4, straight alpha) onto the RGB canvas in place:
 * its alpha is limited to `allowed` (0..255: the silhouette grown a little, the face and the
 * occluders cut out), its edge feathered by `feather` pixels, and the person's shading (the
 * illumination of `photo`, the untouched person photo of the same size, under it: its luminance
 * with the edges between colours taken out, so folds and the body's roundness rather than prints
 * or the clothes' own colours) carried onto it with strength `shading` (0 none, 1 full). Writes
 * the coverage actually laid (0..255) to `coverage` when not NULL.
 */
int pv_cv_vto_lay(uint8_t *canvas, const uint8_t *photo, size_t stride, int width, int height, const uint8_t *garment,
                  const uint8_t *allowed, double feather, double shading, uint8_t *coverage);

/*
 * Where a garment may be laid: the soft silhouette (0..255) grown by `grow` pixels, less the
 * occluders in `front` (0..255, may be NULL), and nothing on the head: the face box grown by a
 * tenth, and above `chin_y` within a band around the face. From row `bridge_from_y` down (a
 * skirt or a dress; negative for none) the gaps between the silhouette's parts in a row (between
 * the legs) are allowed too. Writes width*height bytes.
 */
int pv_cv_vto_allowed(const uint8_t *silhouette, const uint8_t *front, int width, int height, double grow, double bridge_from_y,
                      int face_x, int face_y, int face_width, int face_height, double chin_y, uint8_t *allowed);

/*
 * Places the RGB image (width*height) at (x, y) on an RGB canvas of out_width*out_height and
 * fills the rest by extending the image's edge colours, smoothed along the edge, so a studio
 * backdrop continues. Parts of the image outside the canvas are cut.
 */
int pv_cv_vto_extend(const uint8_t *rgb, int width, int height, uint8_t *out, int out_width, int out_height, int x, int y);

/*
 * Cuts a garment's sleeves off its body: pixels of the straight-alpha RGBA `rgba` (width*height*4)
 * inside `polygon` (n points, interleaved x, y: the body's outline, shoulders, armpits and sides)
 * go to `body`, the others to `left` when left of `centre_x`, else to `right`; each sleeve also
 * gets a copy of the body's pixels within 4% of the image's long side of it (a seam allowance
 * that fills the wedge opening between a turned sleeve and the body). Each output is
 * width*height*4 RGBA, transparent elsewhere.
 */
int pv_cv_vto_cut(const uint8_t *rgba, int width, int height, const double *polygon, int n, double centre_x,
                  uint8_t *body, uint8_t *left, uint8_t *right);

/*
 * Lays straight-alpha RGBA `rgba` (width*height*4) onto the RGBA canvas (canvas_width*
 * canvas_height*4, straight alpha) under the similarity (rotation, uniform scale, shift) that
 * takes the two points `from` (x0, y0, x1, y1) to `to`, the canvas over it when `under` is 1
 * (a sleeve goes under the garment's body), else over the canvas.
 */
int pv_cv_vto_place(const uint8_t *rgba, int width, int height, const double *from, const double *to,
                    uint8_t *canvas, int canvas_width, int canvas_height, int under);

/* Fills the polygon (n points, interleaved x, y) with 255 in a width*height mask (others 0). */
int pv_cv_vto_polygon_mask(const double *points, int n, int width, int height, uint8_t *mask);

#ifdef __cplusplus
}
#endif
#endif
