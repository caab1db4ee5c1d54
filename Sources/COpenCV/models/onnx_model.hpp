// An ONNX model kept as its bytes, with a fresh network for each inference. A network holds its
// activations after a forward pass (U^2-Net-p about 160 MB, the text detector about 100 MB at
// 640x640); parsing the bytes again costs about 25 ms, so a network lives only as long as one
// inference and the memory goes back after it. Each call has a network of its own, so calls
// from several threads are safe; how many run at once is the caller's choice.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>

namespace pv {

class OnnxModel {
public:
    // Reads the file and parses it once, so that a bad file fails at load.
    explicit OnnxModel(const std::string &path) {
        std::ifstream file(path, std::ios::binary | std::ios::ate);
        if (!file) throw std::runtime_error("cannot read " + path);
        // One read of the known size: a stream iterator copied the bytes one at a time.
        bytes_.resize(size_t(file.tellg()));
        file.seekg(0);
        if (!file.read(bytes_.data(), std::streamsize(bytes_.size()))) throw std::runtime_error("cannot read " + path);
        if (parse().empty()) throw std::runtime_error("the model is empty");
    }

    template <typename Body>
    auto infer(Body &&body) const {
        cv::dnn::Net net = parse();
        return body(net);
    }

private:
    cv::dnn::Net parse() const { return cv::dnn::readNetFromONNX(bytes_.data(), bytes_.size()); }

    std::vector<char> bytes_;
};

}  // namespace pv
