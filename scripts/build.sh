#!/usr/bin/env bash
# Installs what is missing, then configures and builds cadrecode in ./build (Release, Ninja).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
# The Python module is built for Debian's interpreter, whose numpy and pytest setup-debian.sh installs (a
# python3 earlier on PATH, such as a pyenv shim, may lack them).
python=()
if [ -x /usr/bin/python3 ]; then python=(-DPython3_EXECUTABLE=/usr/bin/python3); fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${python[@]}" "$@"
cmake --build build -j "$(nproc)"
