// Seeded mutation fuzzing of the executor with the real CAD-Recode v1.5 programs as seeds. Each mutant is
// one to three byte- or token-level edits of a real program (deletions, insertions, duplications, swaps,
// extreme or ordinary numbers, swapped method names, inserted calls, truncation, splices of two programs),
// so that it reaches deep into the interpreter and OpenCASCADE instead of stopping at the first character.
// Whatever a mutant does, the executor must return a verdict: never throw, never crash, explain every
// rejection, place every script error in the text, and never call a result valid that has no volume.
// The mutants are fixed by the seed for one standard library (the <random> distributions are not portable),
// which is all a regression check needs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cadrecode/cad/executor.h"
#include "cadrecode/util/files.h"
#include "test-util.h"

namespace fs = std::filesystem;
using namespace cadrecode;

namespace {

// 10000 mutants take about 40 s on a 2-core machine (most fail fast; the valid ones run real booleans).
// For a longer campaign set CADRECODE_FUZZ_MUTANTS and CADRECODE_FUZZ_SEED; CADRECODE_FUZZ_LAST=path writes
// each mutant to path before running it, so that one that kills the process is left behind to reproduce.
constexpr int kMutants = 10000;
constexpr unsigned kSeed = 0xCAD5EED;

long env_number(const char* name, long fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtol(v, nullptr, 0) : fallback;
}

std::vector<std::string> load_seeds(const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".py") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());  // directory order differs between machines; the seed must not
    std::vector<std::string> out;
    for (const std::string& f : files) out.push_back(util::read_file(f));
    return out;
}

// Numbers that sit on the edges of what the interpreter and OpenCASCADE accept: zeros, denormals, the
// double range, beyond it (inf, nan), beyond the 1e6 guard, and expressions that fail in Python itself.
const std::vector<std::string>& extreme_numbers() {
    static const std::vector<std::string> v = {
        "0",         "-0",       "0.0",    "-0.0",     "1e308",      "-1e308",
        "1e-308",    "-1e-308",  "5e-324", "1e400",    "-1e400",     "(1e400-1e400)",
        "(1e400*0)", "1e6",      "1e7",    "999999.5", "1/0",        "0.0/0",
        "10**400",   "2**53",    "2**54",  "1e-9",     "0x7fffffff", "123456789012345678901234567890",
        "(-1)**0.5", "1e308*10", "-1",     "0.5",      "True",       "None",
        "'7'",       "(1,2)",    "[]"};
    return v;
}

// Methods of the subset on Workplane and Sketch, plus CadQuery methods outside it; swapping among them
// makes calls with the wrong receiver, the wrong arity and the wrong argument types.
const std::vector<std::string>& method_names() {
    static const std::vector<std::string> v = {
        "workplane", "moveTo",   "move",  "center",   "pushPoints", "box",           "cylinder", "sphere",
        "extrude",   "cutBlind", "union", "cut",      "intersect",  "clean",         "sketch",   "lineTo",
        "line",      "hLine",    "vLine", "hLineTo",  "vLineTo",    "threePointArc", "close",    "wire",
        "circle",    "rect",     "add",   "val",      "end",        "push",          "reset",    "face",
        "assemble",  "segment",  "arc",   "finalize", "fillet",     "chamfer",       "revolve",  "translate"};
    return v;
}

// Fragments that are meaningful to the lexer and parser.
const std::vector<std::string>& tokens() {
    static const std::vector<std::string> v = {"(",  ")",  "[",     "]",        ",",     ".",     "'", "\"", "=",  "-",
                                               "**", "//", "\n",    "\n ",      "\\\n",  "#",     ";", " ",  "\t", "\r",
                                               "r=", "cq", "(0,0)", "mode='s'", "tag=1", "1e308", "0", "\0"};
    return v;
}

// Whole calls to splice into a chain, with arguments that fit: they reach the Workplane drawing calls and
// the stack operations that the v1.5 programs never use (wire() without edges, close() twice, end(n) past
// the root, extrude of a bare workplane).
const std::vector<std::string>& calls() {
    static const std::vector<std::string> v = {".wire()",
                                               ".close()",
                                               ".end()",
                                               ".end(3)",
                                               ".val()",
                                               ".add(w0)",
                                               ".workplane()",
                                               ".workplane(offset=-3)",
                                               ".union()",
                                               ".finalize()",
                                               ".reset()",
                                               ".assemble()",
                                               ".assemble(mode='s')",
                                               ".lineTo(0,0)",
                                               ".lineTo(3,4)",
                                               ".line(1,0)",
                                               ".hLine(2)",
                                               ".vLineTo(5)",
                                               ".rect(4,2)",
                                               ".circle(5)",
                                               ".moveTo(1,1)",
                                               ".center(1,2)",
                                               ".pushPoints([(0,0),(5,5)])",
                                               ".threePointArc((1,1),(2,0))",
                                               ".extrude(5)",
                                               ".extrude(-2,both=True)",
                                               ".cutBlind(3)",
                                               ".box(2,3,4)",
                                               ".cylinder(3,1)",
                                               ".sphere(2)",
                                               ".sketch()",
                                               ".push([(1,1)])",
                                               ".segment((9,9))",
                                               ".arc((0,9),(9,0))",
                                               ".face(cq.Sketch().rect(1,1))",
                                               ".clean()",
                                               ".cut(w0.box(1,1,1))",
                                               ".intersect(w0.box(8,8,8))"};
    return v;
}

class Mutator {
public:
    Mutator(const std::vector<std::string>& seeds, unsigned seed) : seeds_(seeds), rng_(seed) {}

    // A mutant of a random seed program, and a short description of the edits for failure messages.
    std::string next(std::string& how) {
        std::string s = seeds_[pick(seeds_.size())];
        // Mostly one edit, so that many mutants still parse and reach OpenCASCADE.
        int edits = std::discrete_distribution<int>({0, 3, 2, 1})(rng_);
        how.clear();
        for (int k = 0; k < edits; ++k) mutate(s, how);
        return s;
    }

private:
    size_t pick(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
    size_t pos_in(const std::string& s) { return pick(s.size() + 1); }
    // Ranges are mostly short (a token or two) and sometimes long (a whole call or line).
    size_t range_len() { return pick(4) == 0 ? 1 + pick(120) : 1 + pick(8); }

    void mutate(std::string& s, std::string& how) {
        // Weights: byte-level edits test the lexer and parser; the number and method edits keep the program
        // parseable and so test the interpreter, the argument checks and the kernel.
        static const std::vector<double> weights = {1, 1, 1, 1, 2, 1, 2, 0.5, 1, 1.5, 3, 2};
        switch (std::discrete_distribution<int>(weights.begin(), weights.end())(rng_)) {
            case 0: {  // delete a byte range
                size_t a = pos_in(s), n = std::min(range_len(), s.size() - std::min(a, s.size()));
                s.erase(a, n);
                how += "delete;";
                break;
            }
            case 1: {  // insert a token, or random bytes (mostly printable)
                size_t a = pos_in(s);
                std::string ins;
                if (pick(3) != 0) {
                    ins = tokens()[pick(tokens().size())];
                } else {
                    for (size_t n = 1 + pick(6); n-- > 0;)
                        ins += static_cast<char>(pick(4) == 0 ? pick(256) : 32 + pick(95));
                }
                s.insert(a, ins);
                how += "insert;";
                break;
            }
            case 2: {  // duplicate a byte range in place (repeats a call, an argument, a bracket)
                size_t a = pos_in(s), n = std::min(range_len(), s.size() - std::min(a, s.size()));
                s.insert(a, s.substr(a, n));
                how += "duplicate;";
                break;
            }
            case 3: {  // swap two non-overlapping byte ranges
                size_t a = pos_in(s), b = pos_in(s);
                if (a > b) std::swap(a, b);
                size_t n = std::min({range_len(), b - a, s.size() - b});
                if (n == 0) break;
                std::string x = s.substr(a, n), y = s.substr(b, n);
                s.replace(b, n, x);
                s.replace(a, n, y);
                how += "swap;";
                break;
            }
            case 4:
            case 5: {  // replace a number with an extreme value
                std::vector<std::pair<size_t, size_t>> nums = numbers(s);
                if (nums.empty()) break;
                auto [a, n] = nums[pick(nums.size())];
                s.replace(a, n, extreme_numbers()[pick(extreme_numbers().size())]);
                how += "number;";
                break;
            }
            case 6: {  // call another method in place of one
                std::vector<std::pair<size_t, size_t>> calls = method_calls(s);
                if (calls.empty()) break;
                auto [a, n] = calls[pick(calls.size())];
                s.replace(a, n, method_names()[pick(method_names().size())]);
                how += "method;";
                break;
            }
            case 7: {  // truncate
                s.resize(pos_in(s));
                how += "truncate;";
                break;
            }
            case 8: {  // splice: the head of this program and the tail of another
                const std::string& other = seeds_[pick(seeds_.size())];
                s = s.substr(0, pos_in(s)) + other.substr(pick(other.size() + 1));
                how += "splice;";
                break;
            }
            case 9: {  // drop or repeat a whole line
                std::vector<size_t> starts{0};
                for (size_t i = 0; i < s.size(); ++i)
                    if (s[i] == '\n') starts.push_back(i + 1);
                size_t l = pick(starts.size());
                size_t b = l + 1 < starts.size() ? starts[l + 1] : s.size();
                std::string line = s.substr(starts[l], b - starts[l]);
                if (pick(2) == 0)
                    s.erase(starts[l], b - starts[l]);
                else
                    s.insert(b, (line.empty() || line.back() != '\n') ? "\n" + line : line);
                how += "line;";
                break;
            }
            case 10: {  // replace a number with an ordinary one (CAD-Recode's range): coincident points,
                        // self-intersecting loops, faces that vanish, booleans of touching solids
                std::vector<std::pair<size_t, size_t>> nums = numbers(s);
                if (nums.empty()) break;
                auto [a, n] = nums[pick(nums.size())];
                int v = static_cast<int>(pick(201)) - 100;
                s.replace(a, n, pick(4) == 0 ? std::to_string(v) + ".5" : std::to_string(v));
                how += "value;";
                break;
            }
            case 11: {  // insert a whole call before one of the chain's calls
                std::vector<std::pair<size_t, size_t>> at = method_calls(s);
                if (at.empty()) break;
                s.insert(at[pick(at.size())].first - 1, calls()[pick(calls().size())]);
                how += "call;";
                break;
            }
        }
    }

    static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

    // Spans of number literals (digits, '.', exponents) not inside a name.
    static std::vector<std::pair<size_t, size_t>> numbers(const std::string& s) {
        std::vector<std::pair<size_t, size_t>> out;
        for (size_t i = 0; i < s.size(); ++i) {
            if (!std::isdigit(static_cast<unsigned char>(s[i])) || (i > 0 && name_char(s[i - 1]))) continue;
            size_t j = i;
            while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == 'e' ||
                                    ((s[j] == '-' || s[j] == '+') && j > i && s[j - 1] == 'e')))
                ++j;
            out.emplace_back(i, j - i);
            i = j;
        }
        return out;
    }

    // Spans of NAME in ".NAME(".
    static std::vector<std::pair<size_t, size_t>> method_calls(const std::string& s) {
        std::vector<std::pair<size_t, size_t>> out;
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] != '.') continue;
            size_t j = i + 1;
            while (j < s.size() && name_char(s[j])) ++j;
            if (j > i + 1 && j < s.size() && s[j] == '(') out.emplace_back(i + 1, j - i - 1);
        }
        return out;
    }

    const std::vector<std::string>& seeds_;
    std::mt19937 rng_;
};

int count_lines(const std::string& s) {
    int n = 1;
    for (size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n'))) ++n;
    return n;
}

// The verdicts that come from a ScriptError: each is tied to a token of the program.
bool has_position(cad::Verdict v) {
    switch (v) {
        case cad::Verdict::SyntaxError:
        case cad::Verdict::UnsupportedCall:
        case cad::Verdict::TypeError:
        case cad::Verdict::LimitError:
        case cad::Verdict::NameError:
        case cad::Verdict::ValueError:
            return true;
        default:
            return false;
    }
}

std::string excerpt(const std::string& s) {
    return s.size() <= 600 ? s : s.substr(0, 600) + "...";
}

// The time limit is cooperative: an OpenCASCADE call that never polls (ShapeUpgrade_UnifySameDomain can
// loop forever on some inputs in 7.6) cannot be stopped in-process; only the guarded runner's SIGKILL
// can. Rather than leave ctest waiting for its own timeout, the watchdog names the stuck mutant and ends
// the process, which fails the test with something to reproduce.
class Watchdog {
public:
    explicit Watchdog(double limit_s) : limit_s_(limit_s), thread_([this] { watch(); }) {}
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> l(m_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    void start(int index, const std::string& text) {
        std::lock_guard<std::mutex> l(m_);
        index_ = index;
        text_ = text;
        since_ = std::chrono::steady_clock::now();
    }

private:
    void watch() {
        std::unique_lock<std::mutex> l(m_);
        while (!cv_.wait_for(l, std::chrono::seconds(1), [this] { return stop_; })) {
            if (index_ < 0 || std::chrono::steady_clock::now() - since_ < std::chrono::duration<double>(limit_s_))
                continue;
            std::fprintf(stderr, "fuzz: mutant %d still runs after %.0f s despite the 2 s limit:\n%s\n", index_,
                         limit_s_, text_.c_str());
            std::fflush(stderr);
            std::_Exit(1);
        }
    }

    double limit_s_;
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    int index_ = -1;
    std::string text_;
    std::chrono::steady_clock::time_point since_;
    std::thread thread_;  // last: started once the members above exist
};

}  // namespace

TEST(Fuzz, MutatedRealProgramsNeverCrashAndAlwaysExplain) {
    std::string data = test::shared_data_dir();
    if (data.empty() || !fs::is_directory(data + "/cadrecode-v1.5")) GTEST_SKIP() << "../shared/data is absent";
    std::vector<std::string> seeds = load_seeds(data + "/cadrecode-v1.5");
    ASSERT_FALSE(seeds.empty());

    cad::ExecOptions options;
    options.time_limit_s = 2;
    options.tessellate = false;

    const int mutants = static_cast<int>(env_number("CADRECODE_FUZZ_MUTANTS", kMutants));
    const char* last_path = std::getenv("CADRECODE_FUZZ_LAST");
    Mutator mutator(seeds, static_cast<unsigned>(env_number("CADRECODE_FUZZ_SEED", kSeed)));
    std::map<std::string, int> counts;
    int unplaced_cad_errors = 0;
    double slowest_s = 0;
    std::string slowest;
    Watchdog watchdog(120);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < mutants; ++i) {
        std::string how;
        std::string text = mutator.next(how);
        if (last_path) std::ofstream(last_path, std::ios::binary | std::ios::trunc) << text;
        watchdog.start(i, text);
        cad::ExecResult r;
        auto t1 = std::chrono::steady_clock::now();
        try {
            r = cad::execute_program(text, options);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "mutant " << i << " (" << how << ") threw: " << e.what() << "\n" << excerpt(text);
            continue;
        }
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        if (s > slowest_s) {
            slowest_s = s;
            slowest = std::to_string(i) + " (" + cad::verdict_name(r.verdict) + ")";
        }
        ++counts[cad::verdict_name(r.verdict)];
        std::string where = "mutant " + std::to_string(i) + " (" + how + "): " + cad::verdict_name(r.verdict) + " " +
                            r.error_text() + "\n" + excerpt(text);
        if (r.valid()) {
            EXPECT_GT(r.props.volume, 0) << where;
            EXPECT_TRUE(r.message.empty()) << where;
            EXPECT_TRUE(r.shape) << where;
            continue;
        }
        EXPECT_FALSE(r.message.empty()) << where;
        if (has_position(r.verdict)) {
            EXPECT_GE(r.line, 1) << where;
            EXPECT_GE(r.col, 1) << where;
        }
        // A position, where there is one, lies inside the text.
        EXPECT_LE(r.line, count_lines(text)) << where;
        if (r.verdict == cad::Verdict::CadError && r.line == 0) ++unplaced_cad_errors;
        EXPECT_NE(r.verdict, cad::Verdict::Crashed) << where;  // only the guarded runner reports crashes
    }
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::printf("fuzz: %d mutants of %zu programs in %.1f s (slowest: mutant %s, %.2f s)\n", mutants, seeds.size(),
                total, slowest.c_str(), slowest_s);
    for (const auto& [verdict, n] : counts) std::printf("  %-17s %5d\n", verdict.c_str(), n);
    std::printf("  cad errors without a position: %d\n", unplaced_cad_errors);
    // The mutants must exercise both sides: a fuzzer whose mutants all fail to parse tests only the lexer.
    EXPECT_GT(counts["valid"], mutants / 20);
    EXPECT_GT(counts["syntax_error"], mutants / 20);
}
