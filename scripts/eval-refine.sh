#!/usr/bin/env bash
# The fixed evaluation of test-time refinement (docs/refinement.md): the bundled model, 10 candidates, on
# every real CAD-Recode v1.5 mesh of ../shared/data and on 50 held-out generated shapes (the sets of
# scripts/eval-default-model.sh), scored before (the best candidate) and after refinement.
# The budget is a number of evaluations, so the result is the same on a loaded or a quiet machine;
# 1200 evaluations take about 15 s per shape on the 2-core project machine when it is quiet.
#
#   ./scripts/eval-refine.sh [RUN_DIR] [EVALUATIONS] [V15_COUNT] [TEST_COUNT]    (default: runs/refine 1200 258 50)
set -euo pipefail
cd "$(dirname "$0")/.."
run="${1:-runs/refine}"
evals="${2:-1200}"
n_v15="${3:-258}"
n_test="${4:-50}"
bin="${CADRECODE_BIN:-./build/bin/cadrecode}"
# Another model than the bundled one (a run's model/ folder, e.g. runs/long/model): CADRECODE_EVAL_MODEL.
model="${CADRECODE_EVAL_MODEL:-default}"
mkdir -p "$run"
# The held-out generated shapes: seed 102, as scripts/eval-default-model.sh (the training data used 100, 101).
if [ "$n_test" -gt 0 ] && [ ! -d "$run/gt-test" ]; then
  $bin generate --count 100 --per-shard 100 --seed 102 --out "$run/test-gen" --py
  mkdir -p "$run/gt-test"
  for f in "$run"/test-gen/py/*/*.py; do
    $bin run "$f" --stl "$run/gt-test/t$(basename "$f" .py).stl" > /dev/null
  done
fi
mkdir -p "$run/gt-v15-$n_v15"
for f in $(ls ../shared/data/cadrecode-v1.5/*.stl | sort | head -n "$n_v15"); do ln -sf "$(readlink -f "$f")" "$run/gt-v15-$n_v15/"; done
sets=("v15-$n_v15")
if [ "$n_test" -gt 0 ]; then
  mkdir -p "$run/gt-test-$n_test"
  for f in $(ls "$run"/gt-test/*.stl | sort | head -n "$n_test"); do ln -sf "$(readlink -f "$f")" "$run/gt-test-$n_test/"; done
  sets+=("test-$n_test")
fi
for set in "${sets[@]}"; do
  echo "== $set: 10 candidates, refinement $evals evaluations"
  $bin eval --gt "$run/gt-$set" --model "$model" --candidates 10 --refine-evaluations "$evals" \
    --pred "$run/pred-$set" -j 2 --report "$run/report-$set"
done
# Seconds per shape spent refining, from the per-shape reports.
python3 - "$run" <<'PY' || true
import glob, json, statistics, sys
for d in sorted(glob.glob(sys.argv[1] + "/pred-*")):
    s = [json.load(open(f)).get("refine", {}).get("seconds") for f in glob.glob(d + "/*.json")]
    s = [x for x in s if x is not None]
    if s:
        print(f"{d}: refine seconds per shape: median {statistics.median(s):.1f}, max {max(s):.1f} ({len(s)} shapes)")
PY
