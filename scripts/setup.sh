#!/usr/bin/env bash
# Installs every Debian 12 package mcmpart needs to build, test and analyse runs (idempotent).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libgecode-dev libhdf5-dev hdf5-tools
  # LibTorch's BLAS: without it the reference BLAS runs every matrix product, ~14x slower
  # policy inference; the OpenMP build follows each thread's torch thread count.
  libopenblas0-openmp
  libopenmpi-dev openmpi-bin slurm-wlm munge
  libcxxopts-dev nlohmann-json3-dev libtomlplusplus-dev pybind11-dev python3-dev
  libgtest-dev googletest
  clang libclang-rt-14-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  python3 python3-numpy python3-h5py python3-matplotlib
  python3-torch python3-torchvision python3-onnx
  graphviz
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
