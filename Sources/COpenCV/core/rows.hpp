// Row-parallel loops for per-pixel work that OpenCV has no single call for.
#pragma once

#include <opencv2/core.hpp>

namespace pv {

// Calls body(y) for every row, spread over OpenCV's threads. Rows must be independent.
template <typename Body>
void forEachRow(int rows, const Body &body) {
    cv::parallel_for_(cv::Range(0, rows), [&](const cv::Range &range) {
        for (int y = range.start; y < range.end; ++y) body(y);
    });
}

}  // namespace pv
