#include "cadrecode/data/program-stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cadrecode::data {
namespace {

size_t count_of(std::string_view text, std::string_view pat) {
    size_t n = 0;
    for (size_t p = text.find(pat); p != std::string_view::npos; p = text.find(pat, p + 1)) ++n;
    return n;
}

std::string fmt(const char* f, double a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, a);
    return buf;
}

constexpr int kSolidBuckets = 4;  // 1, 2, 3, >= 4

}  // namespace

const std::vector<std::string>& stat_features() {
    static const std::vector<std::string> f = {"segment", "arc",      "push",   "mode='s'",     "circle",
                                               "moveTo",  "cylinder", "rect",   "reset().face", "box",
                                               "close",   "union",    "sketch", "extrude",      "w1"};
    return f;
}

ProgramInfo analyze_program(std::string_view text) {
    ProgramInfo info;
    info.length = text.size();
    for (const std::string& f : stat_features()) {
        int n = 0;
        if (f == "mode='s'" || f == "reset().face")
            n = int(count_of(text, f));
        else if (f == "w1")
            n = int(count_of(text, "w1=cq.Workplane"));
        else
            n = int(count_of(text, "." + f + "("));
        info.uses[f] = n;
    }
    info.solids = info.uses["extrude"] + info.uses["box"] + info.uses["cylinder"];
    for (size_t p = text.find("=cq.Workplane('"); p != std::string_view::npos;
         p = text.find("=cq.Workplane('", p + 1)) {
        info.workplanes++;
        info.planes.emplace_back(text.substr(p + 15, 2));
    }
    // Numeric literals after the import line (a '-' right before a number is its sign).
    size_t start = text.find('\n');
    bool first = true;
    for (size_t i = start == std::string_view::npos ? 0 : start; i < text.size(); ++i) {
        char c = text[i];
        if (!std::isdigit(static_cast<unsigned char>(c))) continue;
        char prev = i > 0 ? text[i - 1] : ' ';
        if (std::isalpha(static_cast<unsigned char>(prev)) || prev == '_') {  // part of a name like w1
            while (i < text.size() && std::isalnum(static_cast<unsigned char>(text[i]))) ++i;
            continue;
        }
        size_t j = i;
        while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
        double v = std::strtod(std::string(text.substr(i, j - i)).c_str(), nullptr);
        if (prev == '-') v = -v;
        if (std::fabs(v * 2 - std::round(v * 2)) > 1e-9) info.non_integer = true;
        if (first || v < info.min_number) info.min_number = v;
        if (first || v > info.max_number) info.max_number = v;
        first = false;
        i = j;
    }
    return info;
}

void CorpusStats::add(const ProgramInfo& info) {
    ++programs;
    solids_histogram[std::min(info.solids, kSolidBuckets)]++;
    for (const auto& [f, n] : info.uses)
        if (n > 0) programs_using[f]++;
    for (const auto& p : info.planes) plane_counts[p]++;
    workplanes_histogram[info.workplanes]++;
    lengths.push_back(info.length);
    if (programs == 1 || info.min_number < min_number) min_number = info.min_number;
    if (programs == 1 || info.max_number > max_number) max_number = info.max_number;
    if (info.non_integer) non_integer_programs++;
}

void CorpusStats::finish() {
    std::sort(lengths.begin(), lengths.end());
}

double CorpusStats::share(const std::string& feature) const {
    auto it = programs_using.find(feature);
    return programs == 0 || it == programs_using.end() ? 0.0 : 100.0 * double(it->second) / double(programs);
}

double CorpusStats::solids_share(int solids) const {
    auto it = solids_histogram.find(solids);
    return programs == 0 || it == solids_histogram.end() ? 0.0 : 100.0 * double(it->second) / double(programs);
}

size_t CorpusStats::percentile_length(double p) const {
    if (lengths.empty()) return 0;
    size_t k = static_cast<size_t>(std::floor(p / 100.0 * double(lengths.size() - 1) + 0.5));
    return lengths[std::min(k, lengths.size() - 1)];
}

size_t CorpusStats::median_length() const {
    return percentile_length(50);
}

bool stats_match(const CorpusStats& s, const CorpusStats& r) {
    for (int k = 0; k <= kSolidBuckets; ++k)
        if (std::fabs(s.solids_share(k) - r.solids_share(k)) > 5.0) return false;
    for (const auto& f : stat_features())
        if (std::fabs(s.share(f) - r.share(f)) > 5.0) return false;
    double m = double(r.median_length());
    return m > 0 && std::fabs(double(s.median_length()) - m) <= 0.15 * m;
}

std::string format_stats(const CorpusStats& s, const CorpusStats* r, const std::string& name,
                         const std::string& reference_name) {
    std::string out;
    auto row = [&](const std::string& label, double a, double b, bool pct, double tol) {
        char buf[200];
        if (!r) {
            std::snprintf(buf, sizeof buf, "| %-22s | %8.1f%s |\n", label.c_str(), a, pct ? " %" : "  ");
        } else {
            bool ok = std::fabs(a - b) <= tol;
            std::snprintf(buf, sizeof buf, "| %-22s | %8.1f%s | %8.1f%s | %+7.1f | %-4s |\n", label.c_str(), a,
                          pct ? " %" : "  ", b, pct ? " %" : "  ", a - b, ok ? "ok" : "FAIL");
        }
        out += buf;
    };
    char head[300];
    if (r) {
        std::snprintf(head, sizeof head, "| %-22s | %10s | %10s | %7s | %-4s |\n|%s|%s|%s|%s|%s|\n", "statistic",
                      name.substr(0, 10).c_str(), reference_name.substr(0, 10).c_str(), "diff", "5pp",
                      "------------------------", "------------", "------------", "---------", "------");
    } else {
        std::snprintf(head, sizeof head, "| %-22s | %10s |\n|%s|%s|\n", "statistic", name.substr(0, 10).c_str(),
                      "------------------------", "------------");
    }
    out += head;
    auto val = [](const CorpusStats* c, auto f) { return c ? f(*c) : 0.0; };
    row("programs", double(s.programs), val(r, [](const CorpusStats& c) { return double(c.programs); }), false, 1e300);
    for (int k = 1; k <= kSolidBuckets; ++k) {
        std::string label = k < kSolidBuckets ? "solids = " + std::to_string(k) : "solids >= 4";
        row(label, s.solids_share(k), val(r, [k](const CorpusStats& c) { return c.solids_share(k); }), true, 5.0);
    }
    for (const auto& f : stat_features())
        row("uses " + f, s.share(f), val(r, [&f](const CorpusStats& c) { return c.share(f); }), true, 5.0);
    double rm = r ? double(r->median_length()) : 0.0;
    row("median length (chars)", double(s.median_length()), rm, false, 0.15 * rm);
    row("p10 length", double(s.percentile_length(10)),
        val(r, [](const CorpusStats& c) { return double(c.percentile_length(10)); }), false, 1e300);
    row("p90 length", double(s.percentile_length(90)),
        val(r, [](const CorpusStats& c) { return double(c.percentile_length(90)); }), false, 1e300);
    row("min number", s.min_number, val(r, [](const CorpusStats& c) { return c.min_number; }), false, 1e300);
    row("max number", s.max_number, val(r, [](const CorpusStats& c) { return c.max_number; }), false, 1e300);
    out += "\nworkplanes: ";
    for (const auto& [p, n] : s.plane_counts) out += p + " " + std::to_string(n) + "  ";
    if (r) {
        out += "(" + reference_name + ": ";
        for (const auto& [p, n] : r->plane_counts) out += p + " " + std::to_string(n) + "  ";
        out += ")";
    }
    out += "\nworkplanes per program: ";
    for (const auto& [k, n] : s.workplanes_histogram)
        out += std::to_string(k) + ": " + fmt("%.1f%%", 100.0 * double(n) / double(std::max<size_t>(1, s.programs))) +
               "  ";
    out +=
        "\nprograms with a number that is neither integer nor half-integer: " + std::to_string(s.non_integer_programs) +
        "\n";
    if (r)
        out += std::string("acceptance (each share within 5 pp, median length within 15 %): ") +
               (stats_match(s, *r) ? "PASS" : "FAIL") + "\n";
    return out;
}

std::string stats_json(const CorpusStats& s) {
    std::string o = "{\"programs\": " + std::to_string(s.programs) + ", \"solids\": {";
    bool first = true;
    for (const auto& [k, n] : s.solids_histogram) {
        o += (first ? "" : ", ") + std::string("\"") + std::to_string(k) + "\": " + std::to_string(n);
        first = false;
    }
    o += "}, \"share_percent\": {";
    first = true;
    for (const auto& f : stat_features()) {
        std::string key = f;
        if (key == "mode='s'") key = "mode_s";
        o += (first ? "" : ", ") + std::string("\"") + key + "\": " + fmt("%.3f", s.share(f));
        first = false;
    }
    o += "}, \"planes\": {";
    first = true;
    for (const auto& [p, n] : s.plane_counts) {
        o += (first ? "" : ", ") + std::string("\"") + p + "\": " + std::to_string(n);
        first = false;
    }
    o += "}, \"length\": {\"median\": " + std::to_string(s.median_length()) +
         ", \"p10\": " + std::to_string(s.percentile_length(10)) +
         ", \"p90\": " + std::to_string(s.percentile_length(90)) +
         ", \"min\": " + std::to_string(s.lengths.empty() ? 0 : s.lengths.front()) +
         ", \"max\": " + std::to_string(s.lengths.empty() ? 0 : s.lengths.back()) +
         "}, \"numbers\": {\"min\": " + fmt("%g", s.min_number) + ", \"max\": " + fmt("%g", s.max_number) +
         ", \"non_integer_programs\": " + std::to_string(s.non_integer_programs) + "}}";
    return o;
}

}  // namespace cadrecode::data
