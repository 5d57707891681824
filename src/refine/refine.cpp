// The search of test-time refinement (cadrecode/refine/refine.h).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "cadrecode/refine/refine.h"

namespace cadrecode::refine {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxStepUnits = 32;      // the largest step, in units of the resolution
constexpr int kMaxRestarts = 3;        // step resets of a converged state
constexpr size_t kMaxGrafts = 32;      // graft variants tried per structural step
constexpr size_t kMaxRepairs = 400;    // variants of an invalid program tried to repair it
constexpr size_t kRepairChecks = 5;    // of those valid in the cheap evaluation, judged exactly
constexpr size_t kRepairSources = 3;   // invalid programs tried when none is valid
constexpr size_t kFallbackDepth = 64;  // a final program that fails the exact judgement: the trail looked back

// A direction of the pattern search: one number, or several moving together (a body translated along an
// axis, or scaled), each by its coefficient times the step.
struct Direction {
    std::string kind;  // "number", "move body", "scale body"
    std::vector<std::pair<size_t, double>> coeffs;
};

// A program under refinement: its text, its numbers as parameters, and a step per direction.
struct State {
    std::string text;
    edit::Parametrized par;
    std::vector<double> values;
    std::vector<Direction> dirs;
    std::vector<int> steps;     // per direction, in units of the resolution; 0: this direction has converged
    double score = kInf;        // the cheap objective
    double first_score = kInf;  // at the start
    bool structural_done = false;
    size_t next_param = 0;  // round-robin position
    int start = -1;
    size_t evaluations = 0;
    int restarts = 0;  // times the steps were reset to their first sizes after converging
    // The programs accepted before `text`, oldest first: the cheap evaluation skips BRepCheck, so the final
    // program can fail the exact judgement; the latest of these that passes it is kept then.
    std::vector<std::string> trail;
    bool numbers_converged() const {
        return std::all_of(steps.begin(), steps.end(), [](int s) { return s == 0; });
    }
    bool converged() const { return structural_done && numbers_converged(); }
};

bool is_extrusion_depth(const edit::Parameter& p) {
    return p.role.rfind("depth of the extrusion", 0) == 0;
}

// The index of the lowest score below `current`; scores.size() when none improves.
size_t best_improvement(const std::vector<double>& scores, double current) {
    size_t best = scores.size();
    for (size_t k = 0; k < scores.size(); ++k)
        if (scores[k] < current && (best == scores.size() || scores[k] < scores[best])) best = k;
    return best;
}

class Search {
public:
    Search(Scorer& scorer, const RefineOptions& o, const ProgressFn& progress)
        : scorer_(scorer), o_(o), progress_(progress), t0_(Clock::now()) {
        res_ = o_.resolution > 0 ? o_.resolution : 1.0;
    }

    double elapsed() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

    bool out_of_budget() const {
        if (cancelled_) return true;
        if (o_.max_evaluations > 0) return evaluations_ >= o_.max_evaluations;
        return elapsed() >= o_.seconds;
    }

    // The kill limit of one worker request: what is left of a time budget (at least 0.2 s); none (0) with a
    // budget in evaluations.
    double hard_limit() const { return o_.max_evaluations == 0 ? std::max(0.2, o_.seconds - elapsed() + 0.1) : 0; }
    // A time budget is also a deadline for a whole batch: the kill limit is per program, so a batch started
    // near the end used to run every program to its own limit and overran a 15 s budget by up to 3 s.
    Clock::time_point deadline() const {
        if (o_.max_evaluations > 0) return Clock::time_point::max();
        return t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.seconds + 0.1));
    }

    // Cheap scores, +inf for invalid programs; programs seen before are not evaluated again.
    std::vector<double> quick(const std::vector<std::string>& texts, State* owner) {
        std::vector<std::string> todo;  // distinct texts not in the cache
        for (const std::string& t : texts)
            if (!cache_.count(t) && std::find(todo.begin(), todo.end(), t) == todo.end()) todo.push_back(t);
        if (!todo.empty()) {
            const double hard = hard_limit();
            const auto scores = scorer_.quick(todo, hard, deadline());
            evaluations_ += todo.size();
            if (owner) owner->evaluations += todo.size();
            for (size_t k = 0; k < todo.size(); ++k) {
                const double v = scores[k].valid() ? scores[k].objective : kInf;
                invalid_ += !scores[k].valid();
                cache_[todo[k]] = v;
            }
        }
        std::vector<double> out;
        for (const std::string& t : texts) out.push_back(cache_.at(t));
        return out;
    }

    // The index of the best improvement below `current` that also passes BRepCheck (which the cheap
    // evaluation skips: a sketch whose edges came to overlap meshes and scores well, but is no valid solid);
    // the ones that fail are scored +inf from then on. scores.size() when none is left.
    size_t checked_improvement(const std::vector<std::string>& texts, std::vector<double>& scores, double current) {
        for (;;) {
            const size_t best = best_improvement(scores, current);
            if (best == scores.size() || !o_.check_accepted) return best;
            auto it = checked_.find(texts[best]);
            if (it == checked_.end()) {
                it = checked_.emplace(texts[best], scorer_.check({texts[best]}, hard_limit(), deadline())[0].valid())
                         .first;
                ++checks_;
            }
            if (it->second) return best;
            ++failed_checks_;
            scores[best] = kInf;
            cache_[texts[best]] = kInf;
        }
    }

    void report(const State& s) {
        best_now_ = std::min(best_now_, s.score);
        if (!progress_) return;
        Progress p;
        p.elapsed_s = elapsed();
        p.budget_s = o_.seconds;
        p.evaluations = evaluations_;
        p.max_evaluations = o_.max_evaluations;
        p.best_before = best_before_;
        p.best_now = best_now_;
        p.start = s.start;
        if (!progress_(p)) cancelled_ = true;
    }

    // Steps back to their first sizes: a converged pattern search often finds more from a wider look.
    void reset_steps(State& s) const {
        s.steps.clear();
        for (const Direction& d : s.dirs) {
            double mag = 0;
            for (const auto& [i, c] : d.coeffs) {
                const edit::Parameter& p = s.par.parameters[i];
                mag = std::max(mag, std::max(std::fabs(s.values[i]), p.positive ? 4.0 : 8.0));
            }
            if (d.kind != "number") mag = 16;
            s.steps.push_back(std::clamp(int(std::lround(mag / 4.0 / res_)), 1, 16));
        }
        s.structural_done = false;
    }

    // Every number alone; then, per body with more than one number, its coordinates translated along each
    // axis together, and all its numbers scaled about the origin of its plane (the largest moving by the step).
    static std::vector<Direction> directions(const edit::Parametrized& par, const std::vector<double>& values) {
        std::vector<Direction> out;
        for (size_t i = 0; i < par.parameters.size(); ++i) out.push_back({"number", {{i, 1.0}}});
        std::map<std::string, std::vector<size_t>> groups;
        for (size_t i = 0; i < par.parameters.size(); ++i)
            if (par.parameters[i].group != "workplanes") groups[par.parameters[i].group].push_back(i);
        for (const auto& [g, members] : groups) {
            if (members.size() < 2) continue;
            for (char axis : {'x', 'y'}) {
                Direction d{"move body", {}};
                for (size_t i : members)
                    if (par.parameters[i].axis == axis) d.coeffs.push_back({i, 1.0});
                if (d.coeffs.size() >= 2) out.push_back(d);
            }
            double m = 0;
            for (size_t i : members) m = std::max(m, std::fabs(values[i]));
            if (m <= 0) continue;
            Direction d{"scale body", {}};
            for (size_t i : members)
                if (values[i] != 0 && (par.parameters[i].axis || par.parameters[i].positive))
                    d.coeffs.push_back({i, values[i] / m});
            if (d.coeffs.size() >= 2) out.push_back(d);
        }
        return out;
    }

    // A state for program text (its numbers parsed); score not yet known.
    State make_state(const std::string& text, int start) const {
        State s;
        s.start = start;
        try {
            s.par = edit::parametrize(text);
        } catch (const std::exception&) {
            s.par = edit::Parametrized{};
            s.par.source = text;
        }
        for (const auto& p : s.par.parameters) s.values.push_back(p.value);
        s.dirs = directions(s.par, s.values);
        reset_steps(s);
        s.text = s.par.parameters.empty() ? text : render_numbers(s.par, s.values);
        return s;
    }

    // One step of the pattern search on a few directions: try +-step along each, keep the best improvement.
    void number_step(State& s) {
        const size_t n = s.dirs.size();
        const size_t per_batch = size_t(std::max(1, scorer_.options().workers / 2));
        std::vector<size_t> dirs;
        for (size_t k = 0; k < n && dirs.size() < per_batch; ++k) {
            const size_t d = (s.next_param + k) % n;
            if (s.steps[d] > 0) dirs.push_back(d);
        }
        if (dirs.empty()) return;
        s.next_param = (dirs.back() + 1) % n;
        struct Move {
            size_t dir;
            std::vector<double> values;
        };
        std::vector<Move> moves;
        std::vector<std::string> texts;
        for (size_t d : dirs) {
            for (int sign : {1, -1}) {
                std::vector<double> vals = s.values;
                bool changed = false;
                for (const auto& [i, c] : s.dirs[d].coeffs) {
                    double v = s.values[i] + sign * s.steps[d] * res_ * c;
                    v = std::round(v / res_) * res_;
                    if (s.par.parameters[i].positive && v < res_) v = res_;
                    changed |= v != s.values[i];
                    vals[i] = v;
                }
                if (!changed) continue;
                texts.push_back(render_numbers(s.par, vals));
                moves.push_back({d, std::move(vals)});
            }
        }
        if (texts.empty()) {
            for (size_t d : dirs) s.steps[d] = 0;
            return;
        }
        std::vector<double> scores = quick(texts, &s);
        for (const Move& m : moves) stats_[s.dirs[m.dir].kind].tried++;
        const size_t best = checked_improvement(texts, scores, s.score);
        std::map<size_t, bool> improved;
        for (size_t k = 0; k < texts.size(); ++k) improved[moves[k].dir] |= scores[k] < s.score;
        for (size_t d : dirs) {
            if (best < texts.size() && moves[best].dir == d) {
                s.steps[d] = std::min(kMaxStepUnits, s.steps[d] * 2);
            } else if (!improved[d]) {
                s.steps[d] /= 2;
            }
        }
        if (best < texts.size()) {
            MoveStats& st = stats_[s.dirs[moves[best].dir].kind];
            st.accepted++;
            st.gain += s.score - scores[best];
            s.values = moves[best].values;
            s.trail.push_back(s.text);
            s.text = texts[best];
            s.score = scores[best];
        }
    }

    // Structural moves, once the numbers have converged; the best improving one replaces the program.
    void structural_step(State& s) {
        std::vector<std::pair<std::string, std::string>> variants;
        if (o_.structural) {
            variants = structural_variants(s.text);
            if (o_.graft) {
                // Bodies of the other programs: the other starts as refined so far, then the valid candidates.
                std::vector<std::string> donors;
                if (states_)
                    for (const State& other : *states_)
                        if (&other != &s && std::isfinite(other.score)) donors.push_back(other.text);
                donors.insert(donors.end(), donors_.begin(), donors_.end());
                auto grafts = graft_variants(s.text, donors);
                if (grafts.size() > kMaxGrafts) grafts.resize(kMaxGrafts);
                variants.insert(variants.end(), grafts.begin(), grafts.end());
            }
            for (size_t i = 0; i < s.par.parameters.size(); ++i) {
                if (!is_extrusion_depth(s.par.parameters[i]) || s.values[i] == 0) continue;
                std::vector<double> vals = s.values;
                vals[i] = -vals[i];
                variants.emplace_back("flip extrusion", render_numbers(s.par, vals));
            }
        }
        s.structural_done = true;
        if (variants.empty()) return;
        std::vector<std::string> texts;
        for (const auto& v : variants) texts.push_back(v.second);
        std::vector<double> scores = quick(texts, &s);
        for (const auto& v : variants) stats_[v.first].tried++;
        const size_t best = checked_improvement(texts, scores, s.score);
        if (best == texts.size()) return;
        MoveStats& st = stats_[variants[best].first];
        st.accepted++;
        st.gain += s.score - scores[best];
        State next = make_state(texts[best], s.start);
        next.evaluations = s.evaluations;
        next.first_score = s.first_score;
        next.restarts = s.restarts;
        next.score = scores[best];
        if (next.text != texts[best]) next.score = quick({next.text}, &next)[0];
        if (!(next.score <= scores[best])) {  // re-rendering changed the numbers' text and lost: keep the variant
            next.text = texts[best];
            next.par = edit::Parametrized{};
            next.par.source = texts[best];
            next.values.clear();
            next.dirs.clear();
            next.steps.clear();
            next.score = scores[best];
        }
        next.trail = std::move(s.trail);
        next.trail.push_back(s.text);
        s = std::move(next);
    }

    // Programs one move away from an invalid one (a structural drop, or one number moved by 1, 2, 4 or 8
    // steps), the valid ones best first: the ways to repair it.
    std::vector<std::string> repairs(const std::string& text) {
        const State s = make_state(text, -1);
        std::vector<std::string> texts;
        for (const auto& v : structural_variants(text)) texts.push_back(v.second);
        for (int mag : {1, 2, 4, 8})
            for (size_t i = 0; i < s.par.parameters.size(); ++i)
                for (int sign : {1, -1}) {
                    std::vector<double> vals = s.values;
                    vals[i] += sign * mag * res_;
                    if (s.par.parameters[i].positive && vals[i] <= 0) continue;
                    texts.push_back(render_numbers(s.par, vals));
                }
        if (texts.size() > kMaxRepairs) texts.resize(kMaxRepairs);
        MoveStats& st = stats_["repair"];
        st.tried += texts.size();
        const std::vector<double> scores = quick(texts, nullptr);
        std::vector<size_t> idx;
        for (size_t k = 0; k < texts.size(); ++k)
            if (std::isfinite(scores[k])) idx.push_back(k);
        std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
        std::vector<std::string> out;
        for (size_t k : idx) out.push_back(texts[k]);
        return out;
    }

    // Refines s until it converges, the budget runs out, or `stop` says so.
    template <class Stop>
    void run(State& s, const Stop& stop) {
        while (!s.converged() && !out_of_budget() && !stop()) {
            if (!s.numbers_converged())
                number_step(s);
            else
                structural_step(s);
            report(s);
        }
    }

    Scorer& scorer_;
    RefineOptions o_;
    ProgressFn progress_;
    Clock::time_point t0_;
    double res_ = 1.0;
    size_t evaluations_ = 0, invalid_ = 0;
    bool cancelled_ = false;
    double best_before_ = -1, best_now_ = kInf;
    std::unordered_map<std::string, double> cache_;
    std::unordered_map<std::string, bool> checked_;  // BRepCheck verdicts of improvements
    size_t checks_ = 0, failed_checks_ = 0;
    std::vector<std::string> donors_;             // valid candidates, for grafts
    const std::vector<State>* states_ = nullptr;  // every start under refinement, for grafts
    std::map<std::string, MoveStats> stats_;
};

}  // namespace

RefineResult refine(const std::vector<std::string>& given, Scorer& scorer, const RefineOptions& options,
                    const ProgressFn& progress, const std::vector<Score>* exact_scores) {
    RefineResult out;
    const auto t0 = Clock::now();
    std::vector<std::string> programs = given;  // plus a repaired program, when one is made
    std::vector<int> origin(given.size());      // programs[i] came from given[origin[i]]
    std::iota(origin.begin(), origin.end(), 0);
    std::vector<Score> exact;
    if (exact_scores && exact_scores->size() == programs.size())
        exact = *exact_scores;
    else
        exact = scorer.exact(programs);
    // The starts: the best valid programs by exact score (ties by index).
    std::vector<int> order;
    for (size_t i = 0; i < programs.size(); ++i)
        if (exact[i].valid()) order.push_back(int(i));
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return exact[size_t(a)].cd < exact[size_t(b)].cd; });
    Search search(scorer, options, progress);
    if (order.empty() && options.repair) {
        // No valid start: the first few invalid programs that differ, each by its best valid neighbours.
        std::vector<int> sources;  // indices into given
        for (size_t i = 0; i < given.size() && sources.size() < kRepairSources; ++i)
            if (std::find(given.begin(), given.begin() + long(i), given[i]) == given.begin() + long(i))
                sources.push_back(int(i));
        for (size_t k = 0; k < sources.size() && order.empty() && !search.out_of_budget(); ++k) {
            std::vector<std::string> fixes = search.repairs(given[size_t(sources[k])]);
            if (fixes.size() > kRepairChecks) fixes.resize(kRepairChecks);
            const std::vector<Score> judged = scorer.exact(fixes);
            size_t best = fixes.size();  // the closest valid fix (the first of equals)
            for (size_t j = 0; j < fixes.size(); ++j)
                if (judged[j].valid() && (best == fixes.size() || judged[j].cd < judged[best].cd)) best = j;
            if (best == fixes.size()) continue;
            programs.push_back(fixes[best]);
            exact.push_back(judged[best]);
            origin.push_back(sources[k]);
            order.push_back(int(programs.size() - 1));
        }
        if (!order.empty()) {
            out.repaired = true;
            search.stats_["repair"].accepted++;
        }
    }
    if (order.empty()) {
        out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        return out;
    }
    // Two starts with the same text are one.
    std::vector<int> starts, later;  // refined from the start; refined when the others have converged
    for (int i : order) {
        bool dup = false;
        for (int j : starts) dup |= programs[size_t(j)] == programs[size_t(i)];
        for (int j : later) dup |= programs[size_t(j)] == programs[size_t(i)];
        if (dup) continue;
        (int(starts.size()) < std::max(1, options.starts) ? starts : later).push_back(i);
    }
    out.start = origin[size_t(starts[0])];
    out.program = programs[size_t(starts[0])];
    out.cd_before = out.cd_after = exact[size_t(starts[0])].cd;
    out.objective_before = out.objective_after = exact[size_t(starts[0])].objective;

    search.best_before_ = out.cd_before;
    std::vector<State> states;
    states.reserve(programs.size());  // stable addresses: the search reads the other states for grafts
    search.states_ = &states;
    for (int i : order) search.donors_.push_back(programs[size_t(i)]);
    // Adds states for programs[i] of `which`, scored in one batch, and their reports. A start whose own
    // text fails the cheap evaluation (rare: the coarse mesh) is not searched.
    auto add_starts = [&](const std::vector<int>& which) {
        const size_t first = states.size();
        std::vector<std::string> texts;
        for (int i : which) {
            states.push_back(search.make_state(programs[size_t(i)], i));
            texts.push_back(states.back().text);
        }
        const auto scores = search.quick(texts, which.size() == 1 ? &states.back() : nullptr);
        for (size_t k = first; k < states.size(); ++k) {
            State& s = states[k];
            s.score = s.first_score = scores[k - first];
            if (!std::isfinite(s.score)) {
                s.steps.assign(s.steps.size(), 0);
                s.structural_done = true;
            }
            StartReport r;
            r.program = origin[size_t(s.start)];
            r.exact_before = exact[size_t(s.start)].cd;
            r.quick_before = std::isfinite(s.score) ? s.score : -1;
            out.starts.push_back(r);
        }
    };
    add_starts(starts);
    // Phase 1: each start gets an equal share of the first part of the budget.
    const double share = std::clamp(options.first_share, 0.0, 1.0) / double(states.size());
    for (State& s : states) {
        const size_t e0 = search.evaluations_;
        const double t_start = search.elapsed();
        search.run(s, [&] {
            if (options.max_evaluations > 0)
                return double(search.evaluations_ - e0) >= share * double(options.max_evaluations);
            return search.elapsed() - t_start >= share * options.seconds;
        });
    }
    // Phase 2: the best unconverged state continues until the budget runs out. When every state has
    // converged, the next valid candidate starts; when none is left, the best state's steps are reset.
    size_t next_later = 0;
    for (;;) {
        if (search.out_of_budget()) break;
        State* best = nullptr;
        for (State& s : states)
            if (!s.converged() && std::isfinite(s.score) && (!best || s.score < best->score)) best = &s;
        if (!best && next_later < later.size()) {
            add_starts({later[next_later++]});
            continue;
        }
        if (!best) {
            for (State& s : states)
                if (std::isfinite(s.score) && (!best || s.score < best->score)) best = &s;
            if (!best || best->restarts >= kMaxRestarts) break;
            best->restarts++;
            search.reset_steps(*best);
        }
        search.run(*best, [] { return false; });
    }
    // Judge every start's result exactly; keep the best, never worse than the best start.
    std::vector<std::string> finals;
    std::vector<size_t> which;
    for (size_t k = 0; k < states.size(); ++k) {
        // Only a state that the search improved is judged again (a start that failed the cheap evaluation,
        // a runaway program say, is never run a second time).
        if (states[k].text == programs[size_t(states[k].start)] || !(states[k].score < states[k].first_score)) {
            out.starts[k].exact_after = exact[size_t(states[k].start)].cd;
            continue;
        }
        finals.push_back(states[k].text);
        which.push_back(k);
    }
    const auto judged = scorer.exact(finals);
    std::vector<double> objective_after(states.size(), kInf);
    std::vector<std::string> final_text(states.size());
    std::vector<std::string> fallbacks;  // earlier programs of the states whose final one failed, judged together
    std::vector<size_t> fallback_of;
    for (size_t j = 0; j < judged.size(); ++j) {
        const size_t k = which[j];
        out.starts[k].exact_after = judged[j].valid() ? judged[j].cd : -1;
        if (judged[j].valid()) {
            objective_after[k] = judged[j].objective;
            final_text[k] = finals[j];
            continue;
        }
        // The newest programs of its trail, 1, 2, 4, ... acceptances back (the start itself excluded).
        const std::vector<std::string>& trail = states[k].trail;
        for (size_t back = 1; back <= trail.size() && back <= kFallbackDepth; back *= 2) {
            const std::string& t = trail[trail.size() - back];
            if (t == programs[size_t(states[k].start)]) break;
            fallbacks.push_back(t);
            fallback_of.push_back(k);
        }
    }
    const auto fallback_scores = scorer.exact(fallbacks);
    for (size_t j = 0; j < fallbacks.size(); ++j) {
        const size_t k = fallback_of[j];
        if (!fallback_scores[j].valid() || !(fallback_scores[j].objective < objective_after[k])) continue;
        if (final_text[k].empty()) out.fallbacks++;
        objective_after[k] = fallback_scores[j].objective;
        out.starts[k].exact_after = fallback_scores[j].cd;
        final_text[k] = fallbacks[j];
    }
    for (size_t k = 0; k < states.size(); ++k) {
        out.starts[k].quick_after = std::isfinite(states[k].score) ? states[k].score : -1;
        out.starts[k].evaluations = states[k].evaluations;
        out.starts[k].converged = states[k].converged();
        // The best exact objective wins, but never a program farther from the input than the best start.
        const double cd = out.starts[k].exact_after;
        if (cd >= 0 && cd <= out.cd_before && objective_after[k] < out.objective_after) {
            out.cd_after = cd;
            out.objective_after = objective_after[k];
            out.program = final_text[k];
            out.start = origin[size_t(states[k].start)];
        }
    }
    out.evaluations = search.evaluations_;
    out.invalid_evaluations = search.invalid_;
    out.checks = search.checks_;
    out.failed_checks = search.failed_checks_;
    out.worker_restarts = scorer.restarts();
    out.cancelled = search.cancelled_;
    for (auto& [kind, st] : search.stats_) {
        MoveStats m = st;
        m.kind = kind;
        out.moves.push_back(m);
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return out;
}

std::string result_to_json(const RefineResult& r, int indent) {
    nlohmann::json j;
    j["start"] = r.start;
    j["cd_before"] = r.cd_before;
    j["cd_after"] = r.cd_after;
    j["objective_before"] = r.objective_before;
    j["objective_after"] = r.objective_after;
    j["evaluations"] = r.evaluations;
    j["invalid_evaluations"] = r.invalid_evaluations;
    j["worker_restarts"] = r.worker_restarts;
    j["seconds"] = r.seconds;
    j["cancelled"] = r.cancelled;
    j["repaired"] = r.repaired;
    j["fallbacks"] = r.fallbacks;
    j["checks"] = r.checks;
    j["failed_checks"] = r.failed_checks;
    j["moves"] = nlohmann::json::array();
    for (const MoveStats& m : r.moves)
        j["moves"].push_back({{"kind", m.kind}, {"tried", m.tried}, {"accepted", m.accepted}, {"gain", m.gain}});
    j["starts"] = nlohmann::json::array();
    for (const StartReport& s : r.starts)
        j["starts"].push_back({{"program", s.program},
                               {"exact_before", s.exact_before},
                               {"exact_after", s.exact_after},
                               {"quick_before", s.quick_before},
                               {"quick_after", s.quick_after},
                               {"evaluations", s.evaluations},
                               {"converged", s.converged}});
    j["program"] = r.program;
    return j.dump(indent);
}

}  // namespace cadrecode::refine
