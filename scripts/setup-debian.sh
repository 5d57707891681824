#!/usr/bin/env bash
# Installs the Debian 12 packages that cadrecode builds with, only those that are missing.
# Uses sudo when not run as root. Everything comes from Debian's own archive; nothing else is downloaded.
set -euo pipefail

packages=(
  cmake ninja-build g++ git
  libocct-foundation-dev libocct-modeling-data-dev libocct-modeling-algorithms-dev libocct-data-exchange-dev
  libtbb-dev            # OpenCASCADE's CMake targets link libtbb.so but its -dev packages do not pull it in
  nlohmann-json3-dev libcli11-dev libnanoflann-dev
  libgtest-dev libgmock-dev
  libutf8proc-dev       # the tokenizer: NFC normalisation and Unicode general categories
  libtorch-dev          # the model (Qwen2 + point encoder); without it CMake skips the model targets
  libopenblas0-pthread  # libtorch's fp32 matrix products: about 30x faster than the reference BLAS
  libtcmalloc-minimal4  # malloc for the model programs: libtorch's big temporaries without page faults (3.6x training)
  libcurl4-openssl-dev  # `ask` and `parametrize --llm`: HTTPS to OpenAI-compatible chat-completions endpoints
  libpng-dev            # the view test decodes the headless browser's screenshot
  python3-dev           # the Python module (`import cadrecode`): the Python headers; without them CMake skips it
  pybind11-dev          # the Python module's C++ binding library (header-only)
  python3-numpy         # the Python module's arrays: meshes and points in and out as numpy arrays
  python3-pytest        # the Python module's tests (test_python skips, 77, without pytest or numpy)
)
# What only the tests need comes when asked (scripts/setup-debian.sh --test; --browser is the old name):
# the view test draws the HTML report in a real headless browser and skips (77) without one (chromium is
# about 100 MB with its libraries), check_format runs clang-format 14 over the tracked sources, and
# test_python_install makes a virtual environment (python3-venv).
# python3-nbclient and python3-ipykernel execute the example notebook headless (test_notebook skips without).
if [[ " $* " == *" --test "* || " $* " == *" --browser "* ]]; then
  packages+=(chromium clang-format python3-nbclient python3-ipykernel python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
