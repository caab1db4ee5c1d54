#include "cutout/grabcut.hpp"
#include "core/rows.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/imgproc/detail/gcgraph.hpp>

namespace pv {
namespace {

constexpr int kComponents = 5;

bool isForeground(uchar label) { return label == cv::GC_FGD || label == cv::GC_PR_FGD; }
bool isUndecided(uchar label) { return label == cv::GC_PR_BGD || label == cv::GC_PR_FGD; }

// A Gaussian mixture over RGB, as OpenCV's GrabCut models each side.
class Mixture {
public:
    // Starts from k-means clusters of the samples (N x 3, CV_32F).
    void initialise(const cv::Mat &samples) {
        // Clusters of a few thousand samples place the components as well as all of them do.
        const int stride = std::max(1, samples.rows / 4000);
        cv::Mat subset(samples.rows / stride, 3, CV_32F), clusters;
        for (int i = 0; i < subset.rows; ++i) samples.row(i * stride).copyTo(subset.row(i));
        const int k = std::min(kComponents, subset.rows);
        cv::theRNG().state = 0x9E3779B97F4A7C15ULL;
        cv::kmeans(subset, k, clusters, cv::TermCriteria(cv::TermCriteria::COUNT, 10, 0), 1, cv::KMEANS_PP_CENTERS);
        learn(subset, clusters);
    }

    // Means, covariances and weights from samples and the component each belongs to.
    void learn(const cv::Mat &samples, const cv::Mat &clusters) {
        std::array<cv::Vec3d, kComponents> sums{};
        std::array<cv::Matx33d, kComponents> products{};
        std::array<int, kComponents> counts{};
        for (int i = 0; i < samples.rows; ++i) {
            const float *s = samples.ptr<float>(i);
            const int k = clusters.at<int>(i);
            const cv::Vec3d c(s[0], s[1], s[2]);
            sums[k] += c;
            products[k] += c * c.t();
            ++counts[k];
        }
        for (int k = 0; k < kComponents; ++k) {
            Component &component = components_[k];
            component.weight = double(counts[k]) / std::max(1, samples.rows);
            if (counts[k] == 0) continue;
            const cv::Vec3d mean = sums[k] / counts[k];
            cv::Matx33d covariance = products[k] * (1.0 / counts[k]) - mean * mean.t();
            double determinant = cv::determinant(covariance);
            if (determinant <= 1e-9) {
                // A flat cluster (one exact colour): a little white noise keeps it invertible.
                for (int c = 0; c < 3; ++c) covariance(c, c) += 0.01;
                determinant = cv::determinant(covariance);
            }
            component.mean = mean;
            component.inverse = covariance.inv();
            component.scale = 1.0 / std::sqrt(determinant);
        }
    }

    // The component under which a colour is most likely.
    int nearest(const cv::Vec3d &colour) const {
        int best = 0;
        double highest = -1;
        for (int k = 0; k < kComponents; ++k) {
            const double density = components_[k].weight > 0 ? components_[k].density(colour) : 0;
            if (density > highest) {
                highest = density;
                best = k;
            }
        }
        return best;
    }

    double cost(const cv::Vec3d &colour) const {
        double likelihood = 0;
        for (const Component &component : components_) {
            if (component.weight > 0) likelihood += component.weight * component.density(colour);
        }
        return -std::log(std::max(likelihood, 1e-300));
    }

private:
    struct Component {
        double weight = 0;
        cv::Vec3d mean;
        cv::Matx33d inverse;
        double scale = 0;  // 1 / sqrt(det Σ); the shared 2π factor cancels between the sides

        double density(const cv::Vec3d &colour) const {
            const cv::Vec3d d = colour - mean;
            return scale * std::exp(-0.5 * d.dot(inverse * d));
        }
    };
    std::array<Component, kComponents> components_;
};

// The image's colours split by side, for learning each side's mixture.
struct Samples {
    cv::Mat background, foreground;  // N x 3, CV_32F
};

Samples collect(const cv::Mat &image, const cv::Mat &labels) {
    Samples samples;
    std::vector<float> background, foreground;
    for (int y = 0; y < image.rows; ++y) {
        const auto *pixel = image.ptr<cv::Vec3b>(y);
        const uchar *label = labels.ptr<uchar>(y);
        for (int x = 0; x < image.cols; ++x) {
            auto &values = isForeground(label[x]) ? foreground : background;
            values.insert(values.end(), {float(pixel[x][0]), float(pixel[x][1]), float(pixel[x][2])});
        }
    }
    samples.background = cv::Mat(int(background.size() / 3), 3, CV_32F, background.data()).clone();
    samples.foreground = cv::Mat(int(foreground.size() / 3), 3, CV_32F, foreground.data()).clone();
    return samples;
}

// Each sample's nearest component under the mixture.
cv::Mat assign(const Mixture &mixture, const cv::Mat &samples) {
    cv::Mat clusters(samples.rows, 1, CV_32S);
    pv::forEachRow(samples.rows, [&](int i) {
        const float *s = samples.ptr<float>(i);
        clusters.at<int>(i) = mixture.nearest(cv::Vec3d(s[0], s[1], s[2]));
    });
    return clusters;
}

// The four backward neighbours of a pixel (left, up-left, up, up-right) and their distances.
constexpr std::array<std::array<int, 2>, 4> kNeighbours{{{-1, 0}, {-1, -1}, {0, -1}, {1, -1}}};

void cutUndecided(const cv::Mat &image, cv::Mat &labels, int iterations) {
    const int w = image.cols, h = image.rows;

    // Contrast sensitivity: beta from the mean squared colour step between neighbours.
    double squaredSteps = 0;
    long steps = 0;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const cv::Vec3d colour = image.at<cv::Vec3b>(y, x);
            for (const auto &offset : kNeighbours) {
                const int nx = x + offset[0], ny = y + offset[1];
                if (nx < 0 || ny < 0 || nx >= w) continue;
                const cv::Vec3d step = colour - cv::Vec3d(image.at<cv::Vec3b>(ny, nx));
                squaredSteps += step.dot(step);
                ++steps;
            }
        }
    }
    const double beta = squaredSteps > 1e-9 ? 1.0 / (2.0 * squaredSteps / std::max(1L, steps)) : 0;
    constexpr double gamma = 50;
    // Smoothness weight of each pixel to each backward neighbour (0 where there is none).
    std::vector<std::array<double, 4>> smoothness(size_t(w) * h, {0, 0, 0, 0});
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const cv::Vec3d colour = image.at<cv::Vec3b>(y, x);
            for (size_t n = 0; n < kNeighbours.size(); ++n) {
                const int nx = x + kNeighbours[n][0], ny = y + kNeighbours[n][1];
                if (nx < 0 || ny < 0 || nx >= w) continue;
                const cv::Vec3d step = colour - cv::Vec3d(image.at<cv::Vec3b>(ny, nx));
                const double distance = (kNeighbours[n][0] != 0 && kNeighbours[n][1] != 0) ? std::sqrt(2.0) : 1.0;
                smoothness[size_t(y) * w + x][n] = gamma / distance * std::exp(-beta * step.dot(step));
            }
        }
    }

    Samples samples = collect(image, labels);
    if (samples.background.rows < kComponents || samples.foreground.rows < kComponents) return;
    Mixture background, foreground;
    background.initialise(samples.background);
    foreground.initialise(samples.foreground);

    // Graph nodes: the undecided pixels only.
    std::vector<int> node(size_t(w) * h, -1);
    std::vector<int> pixelOf;
    for (int i = 0; i < w * h; ++i) {
        if (!isUndecided(labels.data[i])) continue;
        node[i] = int(pixelOf.size());
        pixelOf.push_back(i);
    }
    const int undecided = int(pixelOf.size());
    if (undecided == 0) return;

    for (int iteration = 0; iteration < iterations; ++iteration) {
        if (iteration > 0) {
            samples = collect(image, labels);
            if (samples.background.rows < kComponents || samples.foreground.rows < kComponents) return;
        }
        background.learn(samples.background, assign(background, samples.background));
        foreground.learn(samples.foreground, assign(foreground, samples.foreground));

        cv::detail::GCGraph<float> graph(undecided, 8 * undecided);
        std::vector<double> source(undecided), sink(undecided);
        pv::forEachRow(undecided, [&](int v) {
            const cv::Vec3d colour = image.at<cv::Vec3b>(pixelOf[v] / w, pixelOf[v] % w);
            source[v] = background.cost(colour);
            sink[v] = foreground.cost(colour);
        });
        for (int v = 0; v < undecided; ++v) graph.addVtx();
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) {
                const int p = y * w + x;
                for (size_t n = 0; n < kNeighbours.size(); ++n) {
                    const double weight = smoothness[p][n];
                    if (weight <= 0) continue;
                    const int q = (y + kNeighbours[n][1]) * w + x + kNeighbours[n][0];
                    if (node[p] >= 0 && node[q] >= 0) {
                        graph.addEdges(node[p], node[q], weight, weight);
                    } else if (node[p] >= 0) {
                        // A sure neighbour is tied to its terminal: cutting p from it costs the edge.
                        (isForeground(labels.data[q]) ? source : sink)[node[p]] += weight;
                    } else if (node[q] >= 0) {
                        (isForeground(labels.data[p]) ? source : sink)[node[q]] += weight;
                    }
                }
            }
        }
        for (int v = 0; v < undecided; ++v) graph.addTermWeights(v, source[v], sink[v]);
        graph.maxFlow();
        for (int i = 0; i < w * h; ++i) {
            if (node[i] >= 0) labels.data[i] = graph.inSourceSegment(node[i]) ? cv::GC_PR_FGD : cv::GC_PR_BGD;
        }
    }
}

// Above this many undecided pixels the cut is found at half resolution first: max-flow's time
// grows much faster than the pixel count where both sides look alike (a page of text on white
// had 200,000 undecided pixels and took a second; coarse to fine, a fifth of that). Below it the
// full-size cut is affordable, and kept: where colours are ambiguous (a bare arm on a pale wall)
// the coarse cut can decide a whole region differently.
constexpr int kDirectCut = 120000;

void cutCoarseToFine(const cv::Mat &image, cv::Mat &labels, int iterations) {
    const cv::Mat open = (labels == cv::GC_PR_BGD) | (labels == cv::GC_PR_FGD);
    if (cv::countNonZero(open) <= kDirectCut || std::min(image.cols, image.rows) < 64) {
        cutUndecided(image, labels, iterations);
        return;
    }
    cv::Mat smallImage, smallLabels, coarse;
    cv::resize(image, smallImage, cv::Size((image.cols + 1) / 2, (image.rows + 1) / 2), 0, 0, cv::INTER_AREA);
    cv::resize(labels, smallLabels, smallImage.size(), 0, 0, cv::INTER_NEAREST);
    cutCoarseToFine(smallImage, smallLabels, iterations);
    cv::resize(smallLabels, coarse, image.size(), 0, 0, cv::INTER_NEAREST);
    // Away from the coarse outline its answer stands; a band of two pixels either side is cut
    // again at full resolution, with mixtures learned from the whole image.
    const cv::Mat foreground = (coarse == cv::GC_FGD) | (coarse == cv::GC_PR_FGD);
    cv::Mat grown, shrunk;
    const cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5));
    cv::dilate(foreground, grown, disc);
    cv::erode(foreground, shrunk, disc);
    const cv::Mat band = grown & ~shrunk & open;
    cv::Mat pinned = labels.clone();
    pinned.setTo(cv::GC_FGD, open & ~band & foreground);
    pinned.setTo(cv::GC_BGD, open & ~band & ~foreground);
    pinned.setTo(cv::GC_PR_FGD, band & foreground);
    pinned.setTo(cv::GC_PR_BGD, band & ~foreground);
    cutUndecided(image, pinned, 1);
    // The caller's sure pixels stay sure; every undecided one gets its answer as a probable label.
    const cv::Mat answer = (pinned == cv::GC_FGD) | (pinned == cv::GC_PR_FGD);
    labels.setTo(cv::GC_PR_FGD, open & answer);
    labels.setTo(cv::GC_PR_BGD, open & ~answer);
}

}  // namespace

void grabCut(const cv::Mat &image, cv::Mat &labels, int iterations) {
    CV_Assert(image.type() == CV_8UC3 && labels.type() == CV_8U && image.size() == labels.size());
    cutCoarseToFine(image, labels, iterations);
}
}  // namespace pv
