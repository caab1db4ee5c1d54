// A small pool of DNN networks read from one file: a Net keeps per-forward state, so each
// inference borrows one, and two workers run two inferences at once instead of queueing.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>

namespace pv {

class NetPool {
public:
    // Reads the first network at once, so that a bad file fails at load; others on demand, up to `limit`.
    NetPool(const std::string &path, int limit) : path_(path), limit_(limit) {
        idle_.push_back(read());
        created_ = 1;
    }

    template <typename Body>
    auto with(Body &&body) {
        std::unique_ptr<cv::dnn::Net> net = borrow();
        struct Return {
            NetPool &pool;
            std::unique_ptr<cv::dnn::Net> &net;
            ~Return() { pool.giveBack(std::move(net)); }
        } giveBack{*this, net};
        return body(*net);
    }

private:
    std::unique_ptr<cv::dnn::Net> read() const {
        auto net = std::make_unique<cv::dnn::Net>(cv::dnn::readNetFromONNX(path_));
        if (net->empty()) throw std::runtime_error("the model is empty");
        return net;
    }

    std::unique_ptr<cv::dnn::Net> borrow() {
        std::unique_lock<std::mutex> guard(lock_);
        for (;;) {
            if (!idle_.empty()) {
                auto net = std::move(idle_.back());
                idle_.pop_back();
                return net;
            }
            if (created_ < limit_) {
                ++created_;
                guard.unlock();
                try {
                    return read();
                } catch (...) {
                    std::lock_guard<std::mutex> relock(lock_);
                    --created_;
                    throw;
                }
            }
            available_.wait(guard);
        }
    }

    void giveBack(std::unique_ptr<cv::dnn::Net> net) {
        {
            std::lock_guard<std::mutex> guard(lock_);
            idle_.push_back(std::move(net));
        }
        available_.notify_one();
    }

    const std::string path_;
    const int limit_;
    int created_ = 0;
    std::vector<std::unique_ptr<cv::dnn::Net>> idle_;
    std::mutex lock_;
    std::condition_variable available_;
};

// Copies an exception's message into a caller's buffer.
inline void copyError(const std::string &message, char *error, size_t size) {
    if (!error || size == 0) return;
    const size_t length = std::min(message.size(), size - 1);
    message.copy(error, length);
    error[length] = '\0';
}

}  // namespace pv
