#!/usr/bin/env bash
# ctest test_python_install: scripts/install-python.sh puts the module into a fresh virtual environment
# (offline), where it imports from site-packages and runs a program; a mismatched interpreter is refused.
# Exits 77 (skipped) without python3-venv.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${1:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$python" -m venv --system-site-packages --without-pip "$tmp/venv" 2>/dev/null; then
  echo "test_python_install: skipped, $python cannot make a virtual environment (Debian: python3-venv)"
  exit 77
fi
"$root/scripts/install-python.sh" "$tmp/venv/bin/python"
site=$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
ls "$site"/cadrecode.*.so "$site"/cadrecode.pyi > /dev/null
cd "$tmp"
got=$(env -u PYTHONPATH "$tmp/venv/bin/python" -c "
import cadrecode
assert cadrecode.__file__.startswith('$site'), cadrecode.__file__
print(round(cadrecode.run(\"import cadquery as cq\nr=cq.Workplane('XY').box(2,3,4)\").volume, 9))")
[ "$got" = "24.0" ] || { echo "expected volume 24.0, got $got"; exit 1; }
# An interpreter whose extension suffix differs is refused with exit 2 and a message.
printf '#!/bin/sh\necho .cpython-99-x86_64-linux-gnu.so\n' > "$tmp/fakepython"
chmod +x "$tmp/fakepython"
set +e
msg=$("$root/scripts/install-python.sh" "$tmp/fakepython" 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] && [[ "$msg" == *"built for another Python"* ]] || { echo "mismatch not refused: rc $rc: $msg"; exit 1; }
echo "test_python_install: passed (volume $got from $site)"
