// An ONNX model kept as its bytes, and the network an inference runs. A network holds its
// activations after a forward pass (U^2-Net-p about 160 MB, the text detector about 100 MB at
// 640x640), so by default a network lives only as long as one inference and the memory goes back
// after it; each call then has a network of its own, so calls from several threads are safe and
// how many run at once is the caller's choice. Parsing costs 25-55 ms, and a fresh network's
// first forward pass is slower than the next: a small model run often (the person models, a few
// MB of activations each) keeps one network, and its calls take turns.
#pragma once

#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>

namespace pv {

class OnnxModel {
public:
    enum class Network { perInference, kept };

    // Reads the file and parses it once, so that a bad file fails at load.
    explicit OnnxModel(const std::string &path, Network network = Network::perInference) : keep_(network == Network::kept) {
        std::ifstream file(path, std::ios::binary | std::ios::ate);
        if (!file) throw std::runtime_error("cannot read " + path);
        // One read of the known size: a stream iterator copied the bytes one at a time.
        bytes_.resize(size_t(file.tellg()));
        file.seekg(0);
        if (!file.read(bytes_.data(), std::streamsize(bytes_.size()))) throw std::runtime_error("cannot read " + path);
        cv::dnn::Net parsed = parse();
        if (parsed.empty()) throw std::runtime_error("the model is empty");
        if (keep_) kept_ = parsed;
    }

    template <typename Body>
    auto infer(Body &&body) const {
        if (keep_) {
            std::lock_guard<std::mutex> turn(keptInUse_);
            return body(kept_);
        }
        cv::dnn::Net net = parse();
        return body(net);
    }

private:
    cv::dnn::Net parse() const { return cv::dnn::readNetFromONNX(bytes_.data(), bytes_.size()); }

    std::vector<char> bytes_;
    const bool keep_;
    mutable std::mutex keptInUse_;
    mutable cv::dnn::Net kept_;
};

}  // namespace pv
