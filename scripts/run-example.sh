#!/usr/bin/env bash
# The main job on the bundled default: build, execute examples/bracket.py, write out/bracket.{step,stl}.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
mkdir -p out
./build/bin/cadrecode run examples/bracket.py --step out/bracket.step --stl out/bracket.stl
