#!/usr/bin/env bash
# Set-up, build, then a short real training run: mpirun with 1 learner + 2 actors partitions
# BERT-base onto the 8-chiplet ring preset and writes out/demo.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p out
mpirun -np 3 --oversubscribe build/cli/mcmpart train \
  --graph bert-base --hw mcm8-ring --budget "${BUDGET:-1536}" --time-limit-s 150 \
  --seed "${SEED:-1}" --out out/demo.h5 --force "$@"
