#!/usr/bin/env bash
# Runs `mpirun mcmpart train` inside a Slurm allocation: resumes from the run's checkpoint, turns
# Slurm's warning signal into a clean checkpoint-and-exit, and requeues the job after it (SPEC §7).
#
# Called (exec'd) by train_single_node.sbatch and train_multi_node.sbatch; usable by hand inside
# `salloc` too. Settings come from the environment, which sbatch exports to the job:
#   MCMPART_OUT          run file (required); its checkpoint is MCMPART_OUT.ckpt. With several
#                        nodes it must be on the node of rank 0 (the batch node) or a shared file system.
#   MCMPART_BIN          mcmpart executable, same path on every node (default: build/cli/mcmpart
#                        under MCMPART_ROOT, else `mcmpart` on PATH)
#   MCMPART_ROOT         repository checkout (default: SLURM_SUBMIT_DIR)
#   MCMPART_GRAPH        --graph (default bert-base) MCMPART_HW     --hw (optional)
#   MCMPART_BUDGET       --budget (optional)        MCMPART_TRAIN_ARGS  more train flags (split on spaces)
#   MCMPART_NP           number of ranks (default SLURM_NTASKS; rank 0 learns, the rest act)
#   MCMPART_MPIRUN_ARGS  more mpirun flags (e.g. --oversubscribe, --map-by ppr:8:node)
#   MCMPART_REQUEUE      1 (default): after the time-limit warning (USR1) stopped the run, requeue it
set -uo pipefail

log() { echo "[launch_train $(date +%H:%M:%S)] $*" >&2; }

out=${MCMPART_OUT:?set MCMPART_OUT to the run file path in the environment}
root=${MCMPART_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
bin=${MCMPART_BIN:-}
if [ -z "$bin" ]; then
  if [ -x "$root/build/cli/mcmpart" ]; then bin="$root/build/cli/mcmpart"; else bin=$(command -v mcmpart || true); fi
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then log "mcmpart executable not found (set MCMPART_BIN)"; exit 2; fi
np=${MCMPART_NP:-${SLURM_NTASKS:-}}
[ -n "$np" ] || { log "no rank count: run inside a Slurm allocation or set MCMPART_NP"; exit 2; }

# A requeued job finds the checkpoint its previous run left and carries on from it.
if [ -f "$out.ckpt" ]; then
  log "checkpoint $out.ckpt found: resuming"
  train_args=(train --resume "$out")
else
  train_args=(train --graph "${MCMPART_GRAPH:-bert-base}" --out "$out")
  [ -n "${MCMPART_HW:-}" ] && train_args+=(--hw "$MCMPART_HW")
  [ -n "${MCMPART_BUDGET:-}" ] && train_args+=(--budget "$MCMPART_BUDGET")
  if [ -e "$out" ]; then
    log "$out exists without a checkpoint (killed before its first one): starting the run again"
    train_args+=(--force)
  fi
fi
# shellcheck disable=SC2206  # word splitting of the pass-through flags is intended
train_args+=(${MCMPART_TRAIN_ARGS:-})
# shellcheck disable=SC2206
mpirun_args=(-np "$np" ${MCMPART_MPIRUN_ARGS:-})

# Slurm sends USR1 (--signal=B:USR1@120) to this shell only; scancel and preemption send TERM.
# Either way the ranks get USR1 through mpirun (which forwards it), so rank 0 checkpoints and
# stops every rank. mpirun itself turns TERM into a kill of all ranks (SIGKILL after 1 s); to
# give preempted jobs the clean path too, set PreemptParameters=send_user_signal in slurm.conf.
pid=""
warned=0
forward() {
  log "got SIG$1: asking the run to checkpoint and stop"
  [ "$1" = USR1 ] && warned=1
  [ -n "$pid" ] && kill -USR1 "$pid" 2>/dev/null
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM

log "job ${SLURM_JOB_ID:-none} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-$(hostname)}: mpirun ${mpirun_args[*]} $bin ${train_args[*]}"
mpirun "${mpirun_args[@]}" "$bin" "${train_args[@]}" &
pid=$!
# `wait` returns early whenever a trapped signal arrives; keep waiting until mpirun is gone.
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
wait "$pid"
rc=$?
log "mpirun exited with status $rc"

if [ "$warned" = 1 ] && [ "$rc" = 0 ] && [ "${MCMPART_REQUEUE:-1}" = 1 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
  log "time limit near: requeueing job $SLURM_JOB_ID to resume from $out.ckpt"
  scontrol requeue "$SLURM_JOB_ID"
fi
exit "$rc"
