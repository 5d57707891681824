#!/usr/bin/env bash
# How models/default was made: generate the data, train on this CPU, copy the result into models/default.
# Re-running it reproduces the data byte for byte (same seeds) and the training up to the machine's floating
# point (bf16 autocast on one libtorch thread). Takes about an hour on 2 cores; interruptible: run it again
# and generation and training resume where they stopped.
#
#   ./scripts/train-default-model.sh [RUN_DIR]      (default: runs/default, not committed)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
run="${1:-runs/default}"
mkdir -p "$run"
bin=./build/bin/cadrecode
$bin generate --count 16000 --per-shard 1000 --seed 100 -j "$(nproc)" --out "$run/data" --resume
$bin generate --count 300 --per-shard 300 --seed 101 --out "$run/val" --resume
resume=""
if [ -d "$run/run/checkpoint" ]; then resume="--resume"; fi
$bin train --config models/default/train-config.json --data "$run/data" --val "$run/val" --out "$run/run" $resume
cp "$run/run/model/"{config.json,model.safetensors,tokenizer.json,training.json} models/default/
cp "$run/run/loss.svg" models/default/loss.svg
echo "models/default updated from $run/run/model"
