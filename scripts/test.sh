#!/usr/bin/env bash
# Builds and runs every test. Tests that need ../shared/data report "skipped" (not passed) without it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh --test         # the tests also need headless chromium (the HTML view test) and clang-format
./scripts/build.sh
./scripts/setup-tokenizer-reference.sh  # the tokenizer goldens' reference vocabulary (npm); tests skip without it
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
