#!/bin/sh
# The scaling study of docs/training.md: model sizes trained for the same compute (model FLOPs, counted by
# the trainer) on the same data, their loss curves on one plot.
#   scripts/scaling-study.sh [RUNS_DIR] [BUDGET_FLOPS] [SIZES...]
# A size is NAME:HIDDEN:LAYERS:HEADS:KV_HEADS:MLP. Each run's schedule (cosine over `iterations`) is sized so
# that it ends near the budget, which stops it exactly. Re-running resumes unfinished runs and skips done ones.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build/bin/cadrecode"
runs=${1:-runs/scaling}
budget=${2:-1.2e14}
shift 2 2>/dev/null || shift $#
sizes=${*:-"s1.4m:192:3:3:1:576 s3.3m:256:4:4:2:768 s10m:384:6:6:2:1152"}
data=${SCALING_DATA:-data/scale24k}
val=${SCALING_VAL:-data/val1k}
points=256
batch=16
mean_tokens=156  # code tokens per program with the compact tokenizer (the bundled model's training log)

mkdir -p "$runs" "$(dirname "$data")"
"$bin" generate --count 24000 --per-shard 1000 --seed 200 -j "$(nproc)" --out "$data" --resume
"$bin" generate --count 1000 --per-shard 1000 --seed 301 --out "$val" --resume

for s in $sizes; do
  IFS=: read -r name hidden layers heads kv mlp <<EOS
$s
EOS
  # FLOPs per step as Qwen2Config::training_flops counts them, with the mean program length.
  iters=$(awk -v C="$hidden" -v L="$layers" -v H="$heads" -v K="$kv" -v I="$mlp" -v P=$points -v T=$mean_tokens \
              -v B=$batch -v V=392 -v budget="$budget" 'BEGIN {
    kvd = K * C / H; m = 2*C*C + 2*C*kvd + 3*C*I; n = P + T;
    row = 6 * (L*m*n + 51*C*P + V*C*T) + 12*L*C*n*n;
    printf "%d", budget / (B * row) + 1 }')
  if [ -f "$runs/$name/model/training.json" ]; then echo "$name: done"; continue; fi
  resume=""
  [ -d "$runs/$name/checkpoint" ] || [ -d "$runs/$name/checkpoint.old" ] && resume="--resume"
  echo "$name: hidden $hidden, $layers layers, $heads heads ($kv KV), MLP $mlp: $iters steps planned"
  "$bin" train --data "$data" --val "$val" --out "$runs/$name" $resume \
    --preset small --hidden-size "$hidden" --layers "$layers" --heads "$heads" --kv-heads "$kv" \
    --intermediate-size "$mlp" --vocab-size 1024 --lr 1e-3 --min-lr 1e-4 --warmup 50 --iterations "$iters" \
    --batch $batch --grad-accum 1 --points $points --max-tokens 640 --dtype bf16 --seed 1 \
    --log-every 5 --val-every $((iters / 8 + 1)) --val-batches 16 --recon-every 0 --checkpoint-every 100 \
    --flops-budget "$budget"
done
"$bin" plot-runs $(for s in $sizes; do echo "$runs/${s%%:*}"; done) -o "$runs/scaling.svg"
