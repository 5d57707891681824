#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by .clang-format (Debian 12's clang-format 14; other
# versions lay some constructs out differently). `scripts/check-format.sh --fix` formats them in place.
# Exit codes: 0 formatted, 1 some file is not (each is listed with its first differences), 77 cannot check
# (no clang-format 14, or not a git checkout), as ctest's SKIP_RETURN_CODE.
set -uo pipefail
cd "$(dirname "$0")/.."
fmt=""
for c in clang-format-14 clang-format; do
  if command -v "$c" > /dev/null && "$c" --version | grep -q "version 14\."; then fmt="$c"; break; fi
done
if [ -z "$fmt" ]; then
  echo "check-format: skipped: clang-format 14 not found (Debian 12: apt-get install clang-format)"
  exit 77
fi
if ! files=$(git ls-files '*.cpp' '*.h' '*.hpp' '*.cc' 2> /dev/null); then
  echo "check-format: skipped: $(pwd) is not a git checkout (the tracked files are the ones checked)"
  exit 77
fi
files=$(echo "$files" | grep -v '^tests/data/')
if [[ " $* " == *" --fix "* ]]; then
  echo "$files" | xargs "$fmt" -i
  exit 0
fi
if ! out=$(echo "$files" | xargs "$fmt" --dry-run -Werror 2>&1); then
  echo "$out" | head -60
  echo "check-format: $(echo "$out" | grep -c 'error:') places in $(echo "$out" | grep 'error:' | cut -d: -f1 | sort -u | wc -l) files differ from .clang-format; fix with scripts/check-format.sh --fix"
  exit 1
fi
echo "check-format: $(echo "$files" | wc -l) files formatted"
