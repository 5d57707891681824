#!/usr/bin/env bash
# The numbers of models/default in README.md: a held-out generated test set and the real CAD-Recode v1.5
# meshes of ../shared/data, reconstructed with 10 candidates; the 1-candidate figures score candidate 0 of
# the same run (it is exactly what a 1-candidate run produces: same seed, same first point cloud).
#
#   ./scripts/eval-default-model.sh [RUN_DIR] [TEST_COUNT] [V15_COUNT]     (default: runs/eval 50 60)
set -euo pipefail
cd "$(dirname "$0")/.."
run="${1:-runs/eval}"
n_test="${2:-50}"
n_v15="${3:-60}"
bin="${CADRECODE_BIN:-./build/bin/cadrecode}"
# Another model than the bundled one (a run's model/ folder, e.g. runs/long/model): CADRECODE_EVAL_MODEL.
model="${CADRECODE_EVAL_MODEL:-default}"
mkdir -p "$run"

# Held-out generated shapes: another seed than the training data (102 vs 100 and 101). Checked once by
# searching the training shards for each program's text: 1 of the 100 occurs there (t6), not among the
# first 50 that the default evaluates.
if [ ! -d "$run/gt-test" ]; then
  $bin generate --count 100 --per-shard 100 --seed 102 --out "$run/test-gen" --py
  mkdir -p "$run/gt-test"
  for f in "$run"/test-gen/py/*/*.py; do
    $bin run "$f" --stl "$run/gt-test/t$(basename "$f" .py).stl" > /dev/null
  done
fi
mkdir -p "$run/gt-test-$n_test" "$run/gt-v15-$n_v15"
for f in $(ls "$run"/gt-test/*.stl | sort | head -n "$n_test"); do ln -sf "$(readlink -f "$f")" "$run/gt-test-$n_test/"; done
for f in $(ls ../shared/data/cadrecode-v1.5/*.stl | sort | head -n "$n_v15"); do ln -sf "$(readlink -f "$f")" "$run/gt-v15-$n_v15/"; done

for set in "test-$n_test" "v15-$n_v15"; do
  echo "== $set: 10 candidates"
  $bin eval --gt "$run/gt-$set" --model "$model" --candidates 10 --pred "$run/pred-$set" -j 2 --report "$run/report-$set"
  echo "== $set: 1 candidate (candidate 0 of the same run)"
  $bin eval --gt "$run/gt-$set" --pred "$run/pred-$set" --candidates-pattern '{id}.c0.py' -j 2
done
