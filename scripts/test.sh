#!/usr/bin/env bash
# Builds and runs every test. Tests that need ../shared/data report "skipped" (not passed) without it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
