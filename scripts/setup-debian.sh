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
)

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
