// Statistics of a corpus of CAD-Recode programs, read from their text (no execution): bodies per model,
// the share of programs using each call, workplanes, code length and number ranges. Used by
// `cadrecode stats` to compare generated data with the real CAD-Recode v1.5 programs.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cadrecode::data {

// The calls counted per program, in table order. "mode='s'" and "reset().face" are text patterns.
const std::vector<std::string>& stat_features();

struct ProgramInfo {
    int solids = 0;                         // extrude + box + cylinder calls
    int workplanes = 0;                     // `wN=cq.Workplane(...)` lines
    size_t length = 0;                      // characters
    std::map<std::string, int> uses;        // feature -> occurrences
    std::vector<std::string> planes;        // 'XY', 'ZX', 'YZ' per workplane
    double min_number = 0, max_number = 0;  // over every numeric literal (signs included)
    bool non_integer = false;               // a literal that is not an integer and not x.5
};

ProgramInfo analyze_program(std::string_view text);

struct CorpusStats {
    size_t programs = 0;
    std::map<int, size_t> solids_histogram;        // solids -> programs
    std::map<std::string, size_t> programs_using;  // feature -> programs using it at least once
    std::map<std::string, size_t> plane_counts;    // over every workplane
    std::map<int, size_t> workplanes_histogram;
    std::vector<size_t> lengths;  // sorted
    double min_number = 0, max_number = 0;
    size_t non_integer_programs = 0;

    void add(const ProgramInfo& info);
    void finish();                                   // sorts lengths
    double share(const std::string& feature) const;  // percent of programs
    double solids_share(int solids) const;           // percent; the last bucket is ">= 4"
    size_t median_length() const;
    size_t percentile_length(double p) const;
};

// A readable table; with `reference`, side by side with the difference and a pass/fail column for the
// acceptance criteria (shares within 5 percentage points, median length within 15 %).
std::string format_stats(const CorpusStats& stats, const CorpusStats* reference = nullptr,
                         const std::string& name = "corpus", const std::string& reference_name = "reference");
std::string stats_json(const CorpusStats& stats);
// True when every solids bucket and call share is within 5 pp and the median length within 15 %.
bool stats_match(const CorpusStats& stats, const CorpusStats& reference);

}  // namespace cadrecode::data
