#!/usr/bin/python3
"""`mcmpart search/simulate --evaluator exec:…` with scripts/example_evaluator.py.

usage: external_evaluator_cli_test.py MCMPART SOURCE_DIR

A good evaluator drives `search --strategy anneal`: best_throughput is what the program replied
for best_partition, and `simulate` of that partition gives the same number. Broken ones
(garbage, silence, exit after some good replies) end the run with exit code 2, one message
naming the evaluator and quoting what it sent, a run file that opens without SWMR and holds the
rows so far, and no evaluator process left behind.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import h5py

MCMPART, SOURCE = sys.argv[1], sys.argv[2]
EXAMPLE = os.path.join(SOURCE, "scripts", "example_evaluator.py")
GRAPH = ["--graph", "bert:layers=2,hidden=128,heads=2,seq=32", "--hw", "mcm4x4-mesh"]


def evaluator(log, *extra):
    return "exec:/usr/bin/python3 " + " ".join([EXAMPLE, "--log", log] + list(extra))


def processes_mentioning(marker):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if marker.encode() in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


def transcript(log):
    with open(log) as f:
        return [json.loads(line) for line in f]


class ExternalEvaluatorCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_mcmpart(self, *args, timeout=120):
        return subprocess.run([MCMPART] + list(args), capture_output=True, text=True,
                              timeout=timeout)

    def test_anneal_best_is_what_the_program_replied(self):
        log, out = os.path.join(self.dir, "good.log"), os.path.join(self.dir, "good.h5")
        r = self.run_mcmpart("search", "--strategy", "anneal", *GRAPH, "--budget", "48",
                             "--evaluator", evaluator(log), "--out", out, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertTrue(summary["evaluator"].startswith("exec:"))
        replies = transcript(log)
        self.assertEqual(len(replies), 48)
        for entry in replies:
            self.assertEqual(entry["request"]["type"], "evaluate")
        best = [e for e in replies if e["request"]["partition"] == summary["best_partition"]]
        self.assertTrue(best, "best_partition was never sent to the program")
        self.assertEqual(summary["best_throughput"], best[0]["reply"]["throughput"])
        self.assertEqual(summary["best_throughput"], max(e["reply"]["throughput"] for e in replies))
        with h5py.File(out, "r") as f:
            self.assertEqual(f["rollouts/throughput"].shape[0], 48)

        partition = os.path.join(self.dir, "best.json")
        with open(partition, "w") as f:
            json.dump({"format": "mcmpart-partition", "num_chips": 16,
                       "assignment": summary["best_partition"]}, f)
        log2 = os.path.join(self.dir, "simulate.log")
        r = self.run_mcmpart("simulate", *GRAPH, "--partition", partition, "--evaluator",
                             evaluator(log2), "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["throughput"], summary["best_throughput"])
        self.assertEqual(processes_mentioning(self.dir), [])

    def check_broken(self, mode, quoted, *extra):
        log, out = os.path.join(self.dir, mode + ".log"), os.path.join(self.dir, mode + ".h5")
        r = self.run_mcmpart("search", "--strategy", "anneal", *GRAPH, "--budget", "200",
                             "--evaluator", evaluator(log, "--break", mode, "--after", "10"),
                             "--out", out, *extra)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("mcmpart search: error: evaluator 'exec:/usr/bin/python3 " + EXAMPLE,
                      lines[0])
        self.assertIn("request 10", lines[0])
        self.assertIn(quoted, lines[0])
        with h5py.File(out, "r") as f:  # closed cleanly: no SWMR flag left set
            valid = f["rollouts/valid"][:]
            self.assertEqual(int(valid.sum()), 10)
        self.assertEqual(len(transcript(log)), 10)
        self.assertEqual(processes_mentioning(self.dir), [], "evaluator left running")

    def test_garbage(self):
        self.check_broken("garbage", "is not a JSON object: 'this is not JSON'")

    def test_silence(self):
        self.check_broken("silence", "no reply within 1 s (--evaluator-timeout-s); it sent nothing",
                          "--evaluator-timeout-s", "1")

    def test_exit(self):
        self.check_broken("exit", "the program exited with status 3 before replying")

    def test_train_ends_when_one_actor_fails(self):
        # Under mpiexec, actor rank 1's evaluator exits after 5 replies, rank 2's only after
        # 105: the learner must end the whole run at rank 1's failure (not at the budget).
        log, out = os.path.join(self.dir, "train.log"), os.path.join(self.dir, "train.h5")
        ev = evaluator(log, "--break", "exit", "--after", "$((OMPI_COMM_WORLD_RANK * 100 - 95))")
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1")
        r = subprocess.run(["mpiexec", "-n", "3", MCMPART, "train", *GRAPH, "--budget", "400",
                            "--batch-size", "8", "--minibatch", "8", "--epochs", "1",
                            "--evaluator", ev, "--out", out],
                           capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        errors = [l for l in r.stderr.splitlines() if "error" in l and "mcmpart" in l]
        self.assertEqual(len(errors), 1, r.stderr)
        self.assertIn("mcmpart train: error: run file '" + out + "': actor rank 1: evaluator", errors[0])
        self.assertIn("the program exited with status 3 before replying", errors[0])
        with h5py.File(out, "r") as f:  # closed cleanly, with the rows so far
            rows = f["rollouts/valid"].shape[0]
            self.assertGreaterEqual(rows, 5)
            self.assertLess(rows, 110)
        self.assertEqual(processes_mentioning(self.dir), [], "evaluator left running")

    def test_missing_program_is_bad_input(self):
        out = os.path.join(self.dir, "none.h5")
        r = self.run_mcmpart("search", *GRAPH, "--evaluator", "exec:./no-such-evaluator",
                             "--out", out)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--evaluator: evaluator 'exec:./no-such-evaluator': program "
                      "'./no-such-evaluator' does not exist or is not executable", r.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
