// Evaluation summaries: the paper's table in Markdown, per-sample CSV and JSON, SVG histograms.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cadrecode/eval/evaluate.h"
#include "cadrecode/util/files.h"
#include "result-json.h"

namespace cadrecode::eval {

namespace {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
    return q + "\"";
}

// A histogram as a self-contained SVG: `bins` bars over [lo, hi], values outside clamped to the ends.
std::string histogram_svg(const std::vector<double>& values, double lo, double hi, int bins, const std::string& title,
                          const std::string& xlabel) {
    std::vector<int> counts(bins, 0);
    for (double v : values) {
        int b = hi > lo ? static_cast<int>((v - lo) / (hi - lo) * bins) : 0;
        counts[std::clamp(b, 0, bins - 1)]++;
    }
    int top = std::max(1, *std::max_element(counts.begin(), counts.end()));
    const double W = 640, H = 360, L = 60, R = 20, T = 40, B = 50;
    const double pw = W - L - R, ph = H - T - B;
    std::ostringstream s;
    s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
      << "' font-family='sans-serif' font-size='12'>\n";
    s << "<rect width='100%' height='100%' fill='white'/>\n";
    s << "<text x='" << W / 2 << "' y='22' text-anchor='middle' font-size='15'>" << title << " (n=" << values.size()
      << ")</text>\n";
    for (int b = 0; b < bins; ++b) {
        double h = ph * counts[b] / top;
        s << "<rect x='" << L + pw * b / bins + 1 << "' y='" << T + ph - h << "' width='" << pw / bins - 2
          << "' height='" << h << "' fill='#4c72b0'><title>" << counts[b] << "</title></rect>\n";
    }
    s << "<line x1='" << L << "' y1='" << T + ph << "' x2='" << L + pw << "' y2='" << T + ph << "' stroke='black'/>\n";
    s << "<line x1='" << L << "' y1='" << T << "' x2='" << L << "' y2='" << T + ph << "' stroke='black'/>\n";
    for (int k = 0; k <= 4; ++k) {
        double x = L + pw * k / 4;
        s << "<text x='" << x << "' y='" << T + ph + 18 << "' text-anchor='middle'>"
          << fmt("%.3g", lo + (hi - lo) * k / 4) << (k == 4 ? "+" : "") << "</text>\n";
        double y = T + ph - ph * k / 4;
        s << "<text x='" << L - 6 << "' y='" << y + 4 << "' text-anchor='end'>" << fmt("%.0f", top * k / 4.0)
          << "</text>\n";
    }
    s << "<text x='" << L + pw / 2 << "' y='" << H - 10 << "' text-anchor='middle'>" << xlabel << "</text>\n";
    s << "<text x='16' y='" << T + ph / 2 << "' text-anchor='middle' transform='rotate(-90 16 " << T + ph / 2
      << ")'>samples</text>\n";
    s << "</svg>\n";
    return s.str();
}

}  // namespace

std::string summary_markdown(const std::vector<SampleResult>& results) {
    Summary o = summarize(results, Selection::Oracle);
    Summary in = summarize(results, Selection::ByInput);
    std::ostringstream s;
    s << "| selection | samples | mean CD (x1000) | median CD (x1000) | IoU (%) | IR (%) |\n";
    s << "|---|---:|---:|---:|---:|---:|\n";
    // No CD where nothing was scored: a table must not show 0.000 for samples without a valid program.
    auto cd = [](const Summary& x, double v) { return x.invalid < x.samples ? fmt("%.3f", v) : std::string("n/a"); };
    s << "| best of k by CD to ground truth (oracle, published protocol) | " << o.samples << " | " << cd(o, o.cd_mean)
      << " | " << cd(o, o.cd_median) << " | " << (o.iou_count ? fmt("%.2f", o.iou_mean) : std::string("n/a")) << " | "
      << fmt("%.2f", o.ir) << " |\n";
    s << "| best of k by CD to the input point cloud (deployable) | " << in.samples << " | " << cd(in, in.cd_mean)
      << " | " << cd(in, in.cd_median) << " | " << (in.iou_count ? fmt("%.2f", in.iou_mean) : std::string("n/a"))
      << " | " << fmt("%.2f", in.ir) << " |\n";
    s << "| metric floor: ground truth against itself, two samplings | " << o.samples << " | "
      << fmt("%.3f", o.floor_mean) << " | " << fmt("%.3f", o.floor_median) << " | | |\n";
    s << "\nCandidates valid: " << fmt("%.2f", o.candidates_valid)
      << " %. CD and IoU average over the samples with a valid candidate; IR counts the others. CD is the "
         "published metric (x1000, 8192 samples, each solid in its own unit cube unless --no-renormalize); "
         "`reconstruct`, `refine` and `view` print \"CD to the input\", measured in the input's frame.\n";
    if (!o.candidate_verdicts.empty()) {
        s << "\nCandidates by verdict:";
        const char* sep = " ";
        for (const auto& [verdict, count] : o.candidate_verdicts) {
            s << sep << cad::verdict_name(verdict) << " " << count;
            sep = ", ";
        }
        s << ".";
        if (o.unscored) s << " Samples that could not be scored at all: " << o.unscored << ".";
        s << "\n";
    }
    return s.str();
}

void write_report(const std::vector<SampleResult>& results, const EvalOptions& options, const std::string& dir) {
    std::filesystem::create_directories(dir);
    std::ostringstream csv;
    csv << "id,candidates,valid,oracle,cd,iou,by_input,cd_by_input,iou_by_input,floor_cd,error\n";
    nlohmann::json all = nlohmann::json::array();
    std::vector<double> cds, ious;
    for (const SampleResult& r : results) {
        size_t valid = 0;
        for (const auto& c : r.candidates) valid += c.cd >= 0;
        auto pick = [&](int k, auto field) { return k >= 0 ? fmt("%.6f", field(r.candidates[k])) : std::string(); };
        auto cd = [](const CandidateScore& c) { return c.cd; };
        auto iou = [](const CandidateScore& c) { return c.iou; };
        csv << csv_field(r.id) << ',' << r.candidates.size() << ',' << valid << ',' << r.oracle << ','
            << pick(r.oracle, cd) << ',' << pick(r.oracle, iou) << ',' << r.by_input << ',' << pick(r.by_input, cd)
            << ',' << pick(r.by_input, iou) << ',' << fmt("%.6f", r.floor_cd) << ',' << csv_field(r.error) << '\n';
        if (r.oracle >= 0) {
            cds.push_back(r.candidates[r.oracle].cd);
            if (r.candidates[r.oracle].iou >= 0) ious.push_back(r.candidates[r.oracle].iou * 100);
        }
        all.push_back(result_json(r));
    }
    util::write_file_atomic(dir + "/samples.csv", csv.str());
    util::write_file_atomic(dir + "/samples.json", all.dump(1) + "\n");
    std::ostringstream md;
    md << "# Evaluation\n\n"
       << summary_markdown(results) << "\nSettings: " << options.samples << " samples per mesh, seed " << options.seed
       << ", prediction "
       << (options.renormalize ? "re-normalised by its own bounding box" : "in the ground truth's frame")
       << ", time limit " << options.time_limit_s << " s per program.\n\n![CD](cd.svg) ![IoU](iou.svg)\n";
    util::write_file_atomic(dir + "/summary.md", md.str());
    double cd_hi = cds.empty() ? 1 : std::max(1.0, *std::max_element(cds.begin(), cds.end()));
    if (!cds.empty()) {
        std::vector<double> sorted = cds;
        std::sort(sorted.begin(), sorted.end());
        cd_hi = std::max(
            0.5,
            sorted[std::min(sorted.size() - 1, sorted.size() * 95 / 100)]);  // p95: keep outliers from flattening it
    }
    util::write_file_atomic(dir + "/cd.svg",
                            histogram_svg(cds, 0, cd_hi, 30, "Chamfer distance x1000, best of k (oracle)", "CD x1000"));
    util::write_file_atomic(dir + "/iou.svg", histogram_svg(ious, 0, 100, 25, "IoU %, best of k (oracle)", "IoU %"));
}

}  // namespace cadrecode::eval
