// The loss curves of a run as a small self-contained SVG (no plotting library): training loss per logged
// step (light), its moving average (dark) and validation loss (dots), on a log-scaled loss axis.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "cadrecode/train/train.h"
#include "cadrecode/util/files.h"

namespace cadrecode::train {

namespace {

struct Point {
    double step, loss;
};

std::string polyline(const std::vector<Point>& pts, const std::function<double(double)>& x,
                     const std::function<double(double)>& y, const char* style) {
    std::ostringstream s;
    s << "<polyline fill=\"none\" " << style << " points=\"";
    for (const Point& p : pts) s << x(p.step) << ',' << y(p.loss) << ' ';
    s << "\"/>\n";
    return s.str();
}

}  // namespace

void plot_losses(const std::string& log_path, const std::string& svg_path) {
    std::vector<Point> train, val;
    std::istringstream in(util::read_file(log_path));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception&) {
            continue;
        }
        if (!j.is_object() || !j.contains("step") || !j.at("step").is_number()) continue;
        const double step = j.at("step").get<double>();
        if (j.contains("loss") && j.at("loss").is_number()) train.push_back({step, j.at("loss").get<double>()});
        if (j.value("event", "") == "val" && j.contains("val_loss") && j.at("val_loss").is_number())
            val.push_back({step, j.at("val_loss").get<double>()});
    }
    const double W = 720, H = 400, L = 64, R = 16, T = 24, B = 40;
    double max_step = 1, lo = 1e9, hi = -1e9;
    for (const auto* v : {&train, &val})
        for (const Point& p : *v) {
            max_step = std::max(max_step, p.step);
            if (p.loss > 0) {
                lo = std::min(lo, p.loss);
                hi = std::max(hi, p.loss);
            }
        }
    if (lo > hi) lo = 0.1, hi = 10;
    const double llo = std::floor(std::log10(lo) * 4) / 4, lhi = std::ceil(std::log10(hi) * 4) / 4 + 1e-9;
    auto x = [&](double s) { return L + (W - L - R) * s / max_step; };
    auto y = [&](double l) { return T + (H - T - B) * (lhi - std::log10(std::max(l, 1e-12))) / (lhi - llo); };

    // A moving average over about 2 % of the points smooths the noisy per-step loss.
    std::vector<Point> smooth;
    const size_t w = std::max<size_t>(1, train.size() / 50);
    double acc = 0;
    for (size_t i = 0; i < train.size(); ++i) {
        acc += train[i].loss;
        if (i >= w) acc -= train[i - w].loss;
        smooth.push_back({train[i].step, acc / double(std::min(i + 1, w))});
    }

    std::ostringstream s;
    s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    for (double e = std::ceil(llo * 4) / 4; e <= lhi; e += 0.25) {
        const double v = std::pow(10.0, e);
        s << "<line x1=\"" << L << "\" x2=\"" << W - R << "\" y1=\"" << y(v) << "\" y2=\"" << y(v)
          << "\" stroke=\"#eee\"/><text x=\"" << L - 6 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">" << v
          << "</text>\n";
    }
    for (int k = 0; k <= 4; ++k) {
        const double st = max_step * k / 4;
        s << "<text x=\"" << x(st) << "\" y=\"" << H - B + 16 << "\" text-anchor=\"middle\">" << std::llround(st)
          << "</text>\n";
    }
    s << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 6 << "\" text-anchor=\"middle\">step</text>\n";
    s << "<text x=\"14\" y=\"" << (T + H - B) / 2 << "\" transform=\"rotate(-90 14 " << (T + H - B) / 2
      << ")\" text-anchor=\"middle\">loss (token NLL, log scale)</text>\n";
    s << polyline(train, x, y, "stroke=\"#9ecae1\" stroke-width=\"1\"");
    s << polyline(smooth, x, y, "stroke=\"#08519c\" stroke-width=\"2\"");
    for (const Point& p : val)
        s << "<circle cx=\"" << x(p.step) << "\" cy=\"" << y(p.loss) << "\" r=\"3.5\" fill=\"#d94801\"/>\n";
    s << "<text x=\"" << W - R << "\" y=\"" << T - 6 << "\" text-anchor=\"end\"><tspan fill=\"#08519c\">train"
      << "</tspan>  <tspan fill=\"#d94801\">validation</tspan></text>\n</svg>\n";
    util::write_file_atomic(svg_path, s.str());
}

}  // namespace cadrecode::train
