#!/usr/bin/env bash
# Installs the built Python module (build/python: the extension and its type stub) for one interpreter, with
# nothing downloaded: two files copied into its site-packages.
#   scripts/install-python.sh                   Debian's /usr/bin/python3 (/usr/local/lib/python3.11/dist-packages)
#   scripts/install-python.sh ~/venv/bin/python  a virtual environment of that python (same version)
# The module needs numpy at run time: Debian's python3-numpy, which a venv made with
# `python3 -m venv --system-site-packages` sees, or numpy installed in the venv. The bundled model stays in
# this checkout (Model.load("default") reads models/default here; $CADRECODE_MODEL points elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-/usr/bin/python3}
dir=${CADRECODE_PYTHON_DIR:-build/python}  # where the build put the module
shopt -s nullglob
so=("$dir"/cadrecode.*.so)
if ((${#so[@]} != 1)); then
  echo "install-python: $dir/cadrecode.*.so is not built (run scripts/build.sh first)" >&2
  exit 2
fi
if ! suffix=$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))'); then
  echo "install-python: $python does not run" >&2
  exit 2
fi
if [[ "${so[0]}" != *"$suffix" ]]; then
  echo "install-python: ${so[0]} was built for another Python than $python (which loads *$suffix);" \
    "build with -DPython3_EXECUTABLE=$python" >&2
  exit 2
fi
dest=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
sudo=""
if ! mkdir -p "$dest" 2>/dev/null || [ ! -w "$dest" ]; then sudo="sudo"; fi
$sudo mkdir -p "$dest"
$sudo install -m 644 "${so[0]}" "$dir/cadrecode.pyi" "$dest/"
# Checked from another folder, so that build/python cannot be what is imported.
(cd / && "$python" -c "import cadrecode; print('install-python: cadrecode', 'with' if cadrecode.has_model else 'without', 'the model, in', cadrecode.__file__)")
