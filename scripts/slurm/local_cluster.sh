#!/usr/bin/env bash
# Starts, stops or inspects a one-machine Slurm cluster (munged, slurmctld, slurmd on loopback) for tests.
#
# Usage: local_cluster.sh start|stop|status [DIR]
#   DIR (default ${MCMPART_SLURM_DIR:-/tmp/mcmpart-slurm}) holds slurm.conf, the munge key and socket,
#   state, spool and logs. After `start`, point the Slurm clients at it:
#     source DIR/env.sh            # exports SLURM_CONF
#   Environment: SLURMCTLD_PORT (default 6817), SLURMD_PORT (default 6818),
#                SLURM_NODE_CPUS (default: max(nproc, 4); the node may be oversubscribed),
#                START_TIMEOUT_S (default 60).
# Needs root (slurmd runs jobs as their submitting user) and the packages slurm-wlm and munge.
set -euo pipefail

cmd=${1:-}
dir=${2:-${MCMPART_SLURM_DIR:-/tmp/mcmpart-slurm}}
ctld_port=${SLURMCTLD_PORT:-6817}
slurmd_port=${SLURMD_PORT:-6818}
start_timeout=${START_TIMEOUT_S:-60}
host=$(hostname -s)

die() { echo "local_cluster: $*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

show_logs() {
  for f in "$dir"/log/munged.log "$dir"/log/slurmctld.log "$dir"/log/slurmd.log; do
    [ -f "$f" ] && { echo "---- tail of $f" >&2; tail -n 20 "$f" >&2; }
  done
  return 0
}

write_config() {
  local cpus=${SLURM_NODE_CPUS:-$(( $(nproc) > 4 ? $(nproc) : 4 ))}
  local mem_mb
  mem_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat > "$dir/slurm.conf" <<EOF
# One-machine test cluster written by scripts/slurm/local_cluster.sh.
ClusterName=mcmpart
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=3600
KillWait=30
InactiveLimit=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  echo "export SLURM_CONF=$dir/slurm.conf" > "$dir/env.sh"
}

start_munge() {
  mkdir -p "$dir/munge"
  chmod 700 "$dir/munge"
  if [ ! -f "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
  fi
  pid_alive "$dir/run/munged.pid" && return 0
  # --force: the state dir may sit below a world-writable /tmp.
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket.2" \
         --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
         --seed-file="$dir/munge/munged.seed" \
    || { show_logs; die "munged did not start"; }
}

node_state() {
  SLURM_CONF="$dir/slurm.conf" sinfo -h -N -n "$host" -o '%T' 2>/dev/null | head -n 1
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd launches jobs as the submitting user)"
  for b in munged slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || die "'$b' not found: install slurm-wlm and munge (scripts/setup.sh)"
  done
  mkdir -p "$dir"/{state,"spool/$host",log,run}
  write_config
  start_munge
  export SLURM_CONF="$dir/slurm.conf"
  if ! pid_alive "$dir/run/slurmctld.pid"; then
    slurmctld -f "$SLURM_CONF" -c -i || { show_logs; die "slurmctld did not start"; }
  fi
  if ! pid_alive "$dir/run/slurmd.pid"; then
    slurmd -f "$SLURM_CONF" -N "$host" || { show_logs; die "slurmd did not start"; }
  fi
  local deadline=$(( $(date +%s) + start_timeout )) state=""
  while [ "$(date +%s)" -lt "$deadline" ]; do
    state=$(node_state)
    case "$state" in
      idle|mixed|allocated) echo "local_cluster: node $host is $state; run: source $dir/env.sh"; return 0 ;;
      down*|drain*) SLURM_CONF="$dir/slurm.conf" scontrol update nodename="$host" state=resume \
                      >/dev/null 2>&1 || true ;;
    esac
    sleep 1
  done
  show_logs
  die "node $host not idle after ${start_timeout}s (state '${state:-unknown}'); logs in $dir/log"
}

stop_pid() {
  local name=$1 pidfile=$2
  pid_alive "$pidfile" || return 0
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  echo "local_cluster: $name (pid $pid) ignored SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  [ -f "$dir/slurm.conf" ] || { echo "local_cluster: nothing in $dir"; return 0; }
  if pid_alive "$dir/run/slurmctld.pid"; then
    SLURM_CONF="$dir/slurm.conf" scancel --full --quiet --partition=local 2>/dev/null || true
    for _ in $(seq 1 40); do
      [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h -t running,completing 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  stop_pid slurmd "$dir/run/slurmd.pid"
  stop_pid slurmctld "$dir/run/slurmctld.pid"
  stop_pid munged "$dir/run/munged.pid"
  echo "local_cluster: stopped ($dir)"
}

status() {
  local ok=0
  for d in munged slurmctld slurmd; do
    if pid_alive "$dir/run/$d.pid"; then echo "$d: running (pid $(cat "$dir/run/$d.pid"))"
    else echo "$d: not running"; ok=1; fi
  done
  [ -f "$dir/slurm.conf" ] && SLURM_CONF="$dir/slurm.conf" sinfo -N 2>&1 || true
  return $ok
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
