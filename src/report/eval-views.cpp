// View pages and their index for an evaluation report (cadrecode/report/eval-views.h).
#include "cadrecode/report/eval-views.h"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cadrecode/util/files.h"

namespace cadrecode::report {

namespace {

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '&')
            o += "&amp;";
        else if (c == '<')
            o += "&lt;";
        else if (c == '>')
            o += "&gt;";
        else if (c == '"')
            o += "&quot;";
        else
            o += c;
    }
    return o;
}

std::string num(double v, const char* f) {
    if (v < 0) return "";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// A sample id as a file name: anything outside [A-Za-z0-9._-] becomes '_'.
std::string file_stem(const std::string& id) {
    std::string s;
    for (char c : id) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
    return s.empty() || s[0] == '.' ? "_" + s : s;
}

}  // namespace

void write_eval_views(const std::vector<eval::Sample>& samples, const std::vector<eval::SampleResult>& results,
                      const std::string& dir, const ViewOptions& options,
                      const std::function<void(size_t, size_t)>& progress) {
    namespace fs = std::filesystem;
    fs::create_directories(fs::path(dir) / "views");
    std::ostringstream idx;
    idx << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cadrecode eval: views</title>\n"
        << "<style>body{font-family:sans-serif;margin:16px}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px}"
        << "table{border-collapse:collapse}</style></head><body>\n<h1>cadrecode eval: one view per sample</h1>\n"
        << "<p>Scores of the candidate chosen by CD to the ground truth (the oracle). See summary.md for the "
           "table.</p>\n"
        << "<table><tr><th>sample</th><th>program</th><th>CD x1000</th><th>IoU (%)</th><th>view</th></tr>\n";
    for (size_t i = 0; i < samples.size(); ++i) {
        const eval::Sample& s = samples[i];
        const eval::SampleResult* r = nullptr;
        for (const auto& x : results)
            if (x.id == s.id) r = &x;
        int pick = r && r->oracle >= 0 ? r->oracle : 0;
        std::string program = pick < static_cast<int>(s.candidates.size()) ? s.candidates[pick] : "";
        std::string cd, iou;
        if (r && r->oracle >= 0 && r->oracle < static_cast<int>(r->candidates.size())) {
            cd = num(r->candidates[r->oracle].cd, "%.4f");
            iou = num(r->candidates[r->oracle].iou * 100, "%.2f");
        }
        idx << "<tr><td>" << esc(s.id) << "</td><td>"
            << esc(program.empty() ? "(no candidate)" : fs::path(program).filename().string()) << "</td><td>" << cd
            << "</td><td>" << iou << "</td><td>";
        if (!program.empty()) {
            std::string page = "views/" + file_stem(s.id) + ".html";
            try {
                ViewData d = make_view(s.gt_path, program, options);
                d.title = s.id + ": " + fs::path(program).filename().string();
                if (!cd.empty()) d.metrics.push_back({"eval: CD x1000 (oracle choice)", cd});
                if (!iou.empty()) d.metrics.push_back({"eval: IoU % (oracle choice)", iou});
                util::write_file_atomic((fs::path(dir) / page).string(), view_html(d));
                idx << "<a href=\"" << esc(page) << "\">view</a>";
            } catch (const std::exception& e) {
                idx << "error: " << esc(e.what());
            }
        }
        idx << "</td></tr>\n";
        if (progress) progress(i + 1, samples.size());
    }
    idx << "</table></body></html>\n";
    util::write_file_atomic((fs::path(dir) / "index.html").string(), idx.str());
}

}  // namespace cadrecode::report
