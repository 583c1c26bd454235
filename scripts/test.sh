#!/usr/bin/env bash
# Set-up, build, then the whole test suite through ctest (unit, CLI, multi-rank MPI tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Open MPI refuses root without these; the tests oversubscribe small machines.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
