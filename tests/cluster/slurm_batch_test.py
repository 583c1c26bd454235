#!/usr/bin/env python3
"""Submits scripts/slurm/train_single_node.sbatch to a one-machine Slurm cluster: a tiny run must
complete with every rollout row in the HDF5 file; a run sent Slurm's time-limit warning (USR1 to
the batch shell) must checkpoint, requeue itself and finish from the checkpoint without losing or
repeating a row. Uses the cluster named by $MCMPART_SLURM_CONF if it answers, else starts one with
scripts/slurm/local_cluster.sh in a temporary folder. Slurm that cannot start is a failure."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import cluster_util as cu

JOB_TIMEOUT_S = 150


def fail(msg):
    print("\n" + "=" * 78 + f"\nSLURM CLUSTER TEST FAILED: {msg}\n" + "=" * 78, file=sys.stderr, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm(env, *args, check=True):
    p = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout


def job_fields(env, job):
    out = slurm(env, "scontrol", "-o", "show", "job", job)
    return dict(re.findall(r"(\w+)=(\S*)", out))


def wait_job(env, job, log_path, until=("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
                                          "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED")):
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        fields = job_fields(env, job)
        if fields.get("JobState") in until:
            return fields
        time.sleep(0.5)
    log = open(log_path).read() if os.path.exists(log_path) else "(no job output)"
    raise AssertionError(f"job {job} not finished after {JOB_TIMEOUT_S}s: {job_fields(env, job)}\n{log}")


def submit(env, src, binary, tmp, name, budget):
    out = os.path.join(tmp, f"{name}.h5")
    job_env = dict(env, MCMPART_ROOT=src, MCMPART_BIN=binary, MCMPART_OUT=out, MCMPART_GRAPH=cu.GRAPH,
                   MCMPART_BUDGET=str(budget), MCMPART_TRAIN_ARGS=" ".join(cu.TRAIN_FLAGS + ["--seed", "5"]))
    log = os.path.join(tmp, f"{name}-%j.out")
    job = slurm(job_env, "sbatch", "--parsable", "--ntasks=3", "--time=10", f"--job-name={name}",
                f"--chdir={tmp}", f"--output={log}",
                os.path.join(src, "scripts/slurm/train_single_node.sbatch")).strip().split(";")[0]
    return job, out, log.replace("%j", job)


def tiny_run(env, src, binary, tmp):
    budget = 64
    job, out, log = submit(env, src, binary, tmp, "tiny", budget)
    fields = wait_job(env, job, log)
    text = open(log).read()
    assert fields["JobState"] == "COMPLETED" and fields["ExitCode"] == "0:0", f"{fields}\n{text}"
    assert "mpirun exited with status 0" in text, text
    cu.check_rows(out, budget, "tiny sbatch run")
    print(f"sbatch tiny run: job {job} completed, {budget} rollout rows", flush=True)


def warned_run(env, src, binary, tmp):
    budget = 800
    job, out, log = submit(env, src, binary, tmp, "warned", budget)
    # Warn once training is under way (a progress line was printed), as Slurm would 120 s early.
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        text = open(log).read() if os.path.exists(log) else ""
        if "[train] update" in text:
            break
        assert job_fields(env, job)["JobState"] in ("PENDING", "RUNNING", "CONFIGURING"), text
        time.sleep(0.2)
    else:
        raise AssertionError(f"job {job} printed no progress in {JOB_TIMEOUT_S}s")
    slurm(env, "scancel", "--batch", "--signal=USR1", job)
    # Slurm holds a requeued job for about 2 minutes (Reason=BeginTime); let it start sooner, but
    # in a later second than the requeue: slurmd refuses credentials of the second they were
    # revoked in ("already killed, do not launch batch job").
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        fields = job_fields(env, job)
        node_idle = slurm(env, "sinfo", "-h", "-N", "-o", "%T").split() == ["idle"]
        if int(fields["Restarts"]) >= 1 and fields["JobState"] == "PENDING" and \
                fields["Reason"] == "BeginTime" and node_idle:  # the first run is cleaned up
            time.sleep(2)
            slurm(env, "scontrol", "update", f"JobId={job}", "StartTime=now")
            break
        if fields["JobState"] in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"):
            break
        time.sleep(0.2)
    fields = wait_job(env, job, log)
    text = open(log).read()
    assert fields["JobState"] == "COMPLETED" and fields["ExitCode"] == "0:0", f"{fields}\n{text}"
    assert int(fields["Restarts"]) >= 1, f"job was not requeued: {fields}\n{text}"
    assert "requeueing job" in text and "resuming" in text, text
    cu.check_rows(out, budget, "warned, requeued and resumed sbatch run")
    print(f"sbatch warned run: job {job} checkpointed, requeued {fields['Restarts']}x and completed "
          f"{budget} rollout rows", flush=True)


def main():
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    env = cu.mpi_env()
    script = os.path.join(src, "scripts/slurm/local_cluster.sh")
    own_cluster = None
    given = os.environ.get("MCMPART_SLURM_CONF")
    if given:
        env["SLURM_CONF"] = given
        if subprocess.run(["sinfo"], env=env, capture_output=True).returncode != 0:
            fail(f"MCMPART_SLURM_CONF={given} names no running cluster (sinfo fails)")
    with tempfile.TemporaryDirectory(prefix="mcmpart-slurm-") as tmp:
        os.chmod(tmp, 0o755)
        if not given:
            own_cluster = os.path.join(tmp, "cluster")
            ports = set()
            while len(ports) < 2:
                ports.add(free_port())
            ctld_port, slurmd_port = sorted(ports)
            cenv = dict(env, SLURMCTLD_PORT=str(ctld_port), SLURMD_PORT=str(slurmd_port))
            p = subprocess.run(["bash", script, "start", own_cluster], env=cenv, capture_output=True,
                               text=True, timeout=120)
            if p.returncode != 0:
                fail("could not start a local Slurm cluster (needs root and the slurm-wlm and munge "
                     f"packages: scripts/setup.sh)\n{p.stdout}{p.stderr}")
            env["SLURM_CONF"] = os.path.join(own_cluster, "slurm.conf")
        try:
            tiny_run(env, src, binary, tmp)
            warned_run(env, src, binary, tmp)
        except BaseException:
            if own_cluster:
                subprocess.run(["tail", "-n", "15", os.path.join(own_cluster, "log/slurmctld.log"),
                                os.path.join(own_cluster, "log/slurmd.log")], stdout=sys.stderr)
            raise
        finally:
            if own_cluster:
                subprocess.run(["bash", script, "stop", own_cluster], env=env, timeout=120)
    print("slurm batch test: ok")


if __name__ == "__main__":
    main()
