// GrabCut over the undecided pixels only.
#pragma once

#include <opencv2/core.hpp>

namespace pv {

// Rother, Kolmogorov and Blake's GrabCut with OpenCV's energy (five-component colour mixtures,
// 8-connected contrast-sensitive smoothness), initialised from `labels` (cv::GC_* values) and
// updating its undecided labels in place. Sure pixels never change, so the graph holds only
// the undecided ones, their sure neighbours folded into terminal weights: the same cut as
// cv::grabCut's, at a fraction of its cost when most of the image is decided. Reproducible:
// k-means starts from a fixed seed. Many undecided pixels are cut at half resolution first and
// only a band around that outline at full resolution.
void grabCut(const cv::Mat &image, cv::Mat &labels, int iterations);

}  // namespace pv
