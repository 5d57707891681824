#!/usr/bin/env bash
# The main job on the bundled defaults: build, then reverse-engineer examples/part.stl (a mesh in millimetres)
# with the bundled model (models/default), and write the program, the rebuilt solid and a page to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
# `import cadrecode` for Debian's python3 (scripts/install-python.sh: two files into its site-packages).
if compgen -G "build/python/cadrecode.*.so" > /dev/null; then ./scripts/install-python.sh; fi
mkdir -p out
./build/bin/cadrecode reconstruct examples/part.stl -o out/part.py --step out/part.step --stl out/part.stl
./build/bin/cadrecode view examples/part.stl out/part.py -o out/part.html
echo "program: out/part.py; solid: out/part.step, out/part.stl (in the input's frame); open out/part.html"
