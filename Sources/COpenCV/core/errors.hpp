// How the facade's load calls report failure: NULL, with the reason in the caller's buffer.
#pragma once

#include <algorithm>
#include <exception>
#include <string>

#include <opencv2/core.hpp>

namespace pv {

// Copies a message into a caller's buffer of `size` bytes, always terminated.
inline void copyError(const std::string &message, char *error, size_t size) {
    if (!error || size == 0) return;
    const size_t length = std::min(message.size(), size - 1);
    message.copy(error, length);
    error[length] = '\0';
}

// What `make` builds, or NULL with the reason of whatever it threw in `error`.
template <typename Make>
auto loadOrReport(Make &&make, char *error, size_t error_size) -> decltype(make()) {
    try {
        return make();
    } catch (const cv::Exception &exception) {
        copyError(exception.msg, error, error_size);
    } catch (const std::exception &exception) {
        copyError(exception.what(), error, error_size);
    } catch (...) {
        copyError("unknown error", error, error_size);
    }
    return nullptr;
}

}  // namespace pv
