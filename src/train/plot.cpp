// The loss curves of a run as a small self-contained SVG (no plotting library): training loss per logged
// step (light), its moving average (dark) and validation loss (dots), on a log-scaled loss axis.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "cadrecode/model/config.h"
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

// The mean loss over the last `w` points at each point (fewer at the start, where fewer exist).
std::vector<Point> moving_average(const std::vector<Point>& pts, size_t w) {
    std::vector<Point> out;
    double acc = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
        acc += pts[i].loss;
        if (i >= w) acc -= pts[i - w].loss;
        out.push_back({pts[i].step, acc / double(std::min(i + 1, w))});
    }
    return out;
}

// Calls f with every line of a log.jsonl that is a JSON object; other lines (a torn last line) are skipped.
void for_each_log_object(const std::string& log_path, const std::function<void(const nlohmann::json&)>& f) {
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
        if (j.is_object()) f(j);
    }
}

}  // namespace

void plot_losses(const std::string& log_path, const std::string& svg_path) {
    std::vector<Point> train, val;
    for_each_log_object(log_path, [&](const nlohmann::json& j) {
        if (!j.contains("step") || !j.at("step").is_number()) return;
        const double step = j.at("step").get<double>();
        if (j.contains("loss") && j.at("loss").is_number()) train.push_back({step, j.at("loss").get<double>()});
        if (j.value("event", "") == "val" && j.contains("val_loss") && j.at("val_loss").is_number())
            val.push_back({step, j.at("val_loss").get<double>()});
    });
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
    const std::vector<Point> smooth = moving_average(train, std::max<size_t>(1, train.size() / 50));

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

RunCurves read_run_curves(const std::string& run_dir) {
    namespace fs = std::filesystem;
    RunCurves rc;
    rc.name = fs::path(run_dir).lexically_normal().filename().string();
    if (rc.name.empty()) rc.name = fs::path(run_dir).lexically_normal().parent_path().filename().string();
    for (const char* sub : {"model/config.json", "checkpoint/model/config.json"}) {
        const fs::path p = fs::path(run_dir) / sub;
        if (fs::exists(p)) {
            rc.parameters = model::read_config(p.string()).parameter_count();
            break;
        }
    }
    for_each_log_object((fs::path(run_dir) / "log.jsonl").string(), [&](const nlohmann::json& j) {
        if (!j.contains("flops") || !j.at("flops").is_number()) return;
        CurvePoint p;
        p.flops = j.at("flops").get<double>();
        p.seconds = j.value("seconds", 0.0);
        if (j.value("event", "") == "val" && j.contains("val_loss") && j.at("val_loss").is_number()) {
            p.loss = j.at("val_loss").get<double>();
            rc.val.push_back(p);
        } else if (j.contains("loss") && j.at("loss").is_number()) {
            p.loss = j.at("loss").get<double>();
            rc.train.push_back(p);
        }
    });
    return rc;
}

void plot_runs(const std::vector<RunCurves>& runs, const std::string& svg_path, const std::string& x_axis) {
    if (x_axis != "flops" && x_axis != "seconds")
        throw std::invalid_argument("plot: x axis: expected flops or seconds, got " + x_axis);
    const bool by_flops = x_axis == "flops";
    auto xv = [&](const CurvePoint& p) { return by_flops ? p.flops : p.seconds; };
    double xlo = 1e300, xhi = 0, lo = 1e300, hi = 0;
    for (const RunCurves& r : runs)
        for (const auto* v : {&r.train, &r.val})
            for (const CurvePoint& p : *v)
                if (xv(p) > 0 && p.loss > 0) {
                    xlo = std::min(xlo, xv(p));
                    xhi = std::max(xhi, xv(p));
                    lo = std::min(lo, p.loss);
                    hi = std::max(hi, p.loss);
                }
    if (xlo > xhi) xlo = 1, xhi = 10, lo = 0.1, hi = 10;
    const double W = 760, H = 440, L = 64, R = 16, T = 24, B = 44;
    const double ex_lo = std::floor(std::log10(xlo)), ex_hi = std::ceil(std::log10(xhi) + 1e-9);
    const double ey_lo = std::floor(std::log10(lo) * 4) / 4, ey_hi = std::ceil(std::log10(hi) * 4) / 4 + 1e-9;
    auto x = [&](double v) { return L + (W - L - R) * (std::log10(std::max(v, 1e-300)) - ex_lo) / (ex_hi - ex_lo); };
    auto y = [&](double l) { return T + (H - T - B) * (ey_hi - std::log10(std::max(l, 1e-12))) / (ey_hi - ey_lo); };
    static const char* const colours[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"};

    std::ostringstream s;
    s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    for (double e = std::ceil(ey_lo * 4) / 4; e <= ey_hi; e += 0.25) {
        const double v = std::pow(10.0, e);
        s << "<line x1=\"" << L << "\" x2=\"" << W - R << "\" y1=\"" << y(v) << "\" y2=\"" << y(v)
          << "\" stroke=\"#eee\"/><text x=\"" << L - 6 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">"
          << std::round(v * 100) / 100 << "</text>\n";
    }
    for (double e = ex_lo; e <= ex_hi + 1e-9; e += 1) {
        const double v = std::pow(10.0, e);
        s << "<line x1=\"" << x(v) << "\" x2=\"" << x(v) << "\" y1=\"" << T << "\" y2=\"" << H - B
          << "\" stroke=\"#eee\"/><text x=\"" << x(v) << "\" y=\"" << H - B + 16 << "\" text-anchor=\"middle\">1e"
          << int(e) << "</text>\n";
    }
    s << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 8 << "\" text-anchor=\"middle\">"
      << (by_flops ? "model FLOPs (training, log scale)" : "training seconds (log scale)") << "</text>\n";
    s << "<text x=\"14\" y=\"" << (T + H - B) / 2 << "\" transform=\"rotate(-90 14 " << (T + H - B) / 2
      << ")\" text-anchor=\"middle\">loss (token NLL, log scale)</text>\n";
    double legend_y = T + 8;
    for (size_t k = 0; k < runs.size(); ++k) {
        const RunCurves& r = runs[k];
        const char* c = colours[k % (sizeof colours / sizeof *colours)];
        // Whole windows only: on a log axis the first, noisiest steps would otherwise take much of the width.
        std::vector<Point> raw, smooth, val;
        for (const CurvePoint& p : r.train) raw.push_back({xv(p), p.loss});
        const size_t w = std::max<size_t>(1, raw.size() / 40);
        const std::vector<Point> averaged = moving_average(raw, w);
        for (size_t i = w - 1; i < averaged.size(); ++i)
            if (averaged[i].step > 0) smooth.push_back(averaged[i]);
        for (const CurvePoint& p : r.val)
            if (xv(p) > 0) val.push_back({xv(p), p.loss});
        const std::string stroke = std::string("stroke=\"") + c + "\" stroke-width=\"1.5\" stroke-opacity=\"0.6\"";
        s << polyline(smooth, x, y, stroke.c_str());
        const std::string vstroke = std::string("stroke=\"") + c + "\" stroke-width=\"2\"";
        s << polyline(val, x, y, vstroke.c_str());
        for (const Point& p : val)
            s << "<circle cx=\"" << x(p.step) << "\" cy=\"" << y(p.loss) << "\" r=\"3.5\" fill=\"" << c << "\"/>\n";
        std::ostringstream label;
        label << r.name;
        if (r.parameters > 0) label << " (" << std::round(double(r.parameters) / 1e4) / 100 << "M)";
        if (!r.val.empty()) label << ": validation " << std::round(r.val.back().loss * 1000) / 1000;
        s << "<text x=\"" << W - R - 4 << "\" y=\"" << legend_y << "\" text-anchor=\"end\" fill=\"" << c << "\">"
          << label.str() << "</text>\n";
        legend_y += 16;
    }
    s << "<text x=\"" << L + 4 << "\" y=\"" << H - B - 6
      << "\" fill=\"#666\">lines: training loss (moving average); dots: validation loss</text>\n</svg>\n";
    util::write_file_atomic(svg_path, s.str());
}

double PowerLaw::at(double flops) const {
    return e + a * std::pow(flops, -alpha);
}

PowerLaw fit_validation_curve(const RunCurves& run) {
    PowerLaw best;
    if (run.val.empty()) return best;
    const double last = run.val.back().flops;
    std::vector<CurvePoint> pts;
    for (const CurvePoint& p : run.val)
        if (p.flops >= 0.2 * last && p.flops > 0) pts.push_back(p);
    if (pts.size() < 3) return best;
    double best_sse = std::numeric_limits<double>::infinity();
    for (int k = 1; k <= 300; ++k) {
        const double alpha = 0.005 * k;
        // Least squares for L = E + A x with x = (C / last)^-alpha (scaled so x is near 1).
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        const double n = double(pts.size());
        for (const CurvePoint& p : pts) {
            const double x = std::pow(p.flops / last, -alpha);
            sx += x, sy += p.loss, sxx += x * x, sxy += x * p.loss;
        }
        const double det = n * sxx - sx * sx;
        if (!(std::abs(det) > 1e-18)) continue;
        double a = (n * sxy - sx * sy) / det, e = (sy - a * sx) / n;
        if (e < 0) e = 0, a = sxy / sxx;  // the constrained optimum on the boundary E = 0
        if (a < 0) continue;
        double sse = 0;
        for (const CurvePoint& p : pts) {
            const double r = p.loss - (e + a * std::pow(p.flops / last, -alpha));
            sse += r * r;
        }
        if (sse < best_sse) {
            best_sse = sse;
            best.e = e;
            best.a = a * std::pow(last, alpha);  // back to L = E + A C^-alpha in absolute FLOPs
            best.alpha = alpha;
            best.points = int(pts.size());
            best.rms = std::sqrt(sse / n);
        }
    }
    return best;
}

}  // namespace cadrecode::train
