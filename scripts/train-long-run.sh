#!/bin/sh
# The long training run of issue 12 (docs/training.md, "The long run"): the size the scaling study chose
# (hidden 256, 4 layers: 3.26M parameters) on 300,000+ unique generated programs for 1.2e15 model FLOPs, about
# 2.5 hours of this 2-core machine. Stop it at any time (Ctrl-C, a killed session): running the script again
# resumes bit-exactly from the last checkpoint (at most 100 steps, about 2 minutes, are redone). Data and run
# folder are reproducible from the seeds below.
#   scripts/train-long-run.sh [RUN_DIR] [DATA_DIR]      (defaults: runs/long, data)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build/bin/cadrecode"
run=${1:-runs/long}
data=${2:-data}
mkdir -p "$data" "$(dirname "$run")"
# 150 shards of 2000; seed 300 (the scaling study used 200, validation 301, the held-out test shapes 102).
# Removing programs and shapes repeated across shards left 285,734 of them: 20,000 more from seed 303, then
# one corpus in which every program and shape occurs once (a later duplicate of an earlier one dropped).
# Once the merged corpus exists (renamed into place whole), the sources are not read again: verifying 30 GB
# of shards costs about 5 minutes per restart. train verifies every shard it loads.
if [ ! -d "$data/c300k-unique" ]; then
  "$bin" generate --count 300000 --per-shard 2000 --seed 300 -j "$(nproc)" --out "$data/c300k" --resume
  "$bin" generate --count 20000 --per-shard 2000 --seed 303 -j "$(nproc)" --out "$data/c300k-extra" --resume
  rm -rf "$data/c300k-unique.tmp"
  "$bin" generate --merge "$data/c300k" "$data/c300k-extra" --out "$data/c300k-unique.tmp"
  mv "$data/c300k-unique.tmp" "$data/c300k-unique"
fi
"$bin" generate --count 1000 --per-shard 1000 --seed 301 --out "$data/val1k" --resume
resume=""
[ -d "$run/checkpoint" ] || [ -d "$run/checkpoint.old" ] && resume="--resume"
exec "$bin" train --data "$data/c300k-unique" --val "$data/val1k" --out "$run" $resume \
  --preset small --hidden-size 256 --layers 4 --heads 4 --kv-heads 2 --intermediate-size 768 --vocab-size 1024 \
  --lr 1e-3 --min-lr 1e-4 --warmup 200 --iterations 7500 --batch 16 --grad-accum 1 \
  --points 256 --dense-points 4096 --max-tokens 640 --dtype bf16 --seed 1 \
  --log-every 10 --val-every 500 --val-batches 16 --recon-every 2500 --recon-samples 8 --checkpoint-every 100 \
  --flops-budget 1.2e15
