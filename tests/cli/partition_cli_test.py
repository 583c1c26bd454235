#!/usr/bin/python3
"""`mcmpart partition MODEL --out-dir D` end to end.

usage: partition_cli_test.py MCMPART SOURCE_DIR

On the committed Swin-T: exit 0, every file written, every chip_<c>.onnx passes onnx.checker and
strict shape inference, the chips' node names are the model's node names with none twice,
best_throughput is at least the DP's and equals `mcmpart simulate` of D/partition.json, and the
split file scores the same partition. The shipped pre-trained policy joins by default, finds
what `mcmpart eval` finds with the same seed and --temperature, and is left out by --checkpoint none or when it
addresses fewer chips than the hardware has. --budget N bounds annealing by evaluations, and with
--repair-fail-limit two runs agree exactly. A small CNN under maxload is drawn node by node; SIGINT
ends the search early and still writes the best so far. Bad input
(missing model, unknown hardware, a bad --temperature, a missing --checkpoint, an out dir that cannot be made) exits 2 and leaves no D and no
staging folder.
"""
import collections
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

import onnx

MCMPART, SOURCE = sys.argv[1], sys.argv[2]
ONNX_DIR = os.path.join(SOURCE, "tests", "data", "onnx")
SWIN = os.path.join(ONNX_DIR, "swin_t.onnx")
RESNET18 = os.path.join(ONNX_DIR, "resnet18.onnx")
HAS_DOT = any(os.access(os.path.join(d, "dot"), os.X_OK)
              for d in os.environ.get("PATH", "").split(os.pathsep))


def run(*args, timeout=300):
    return subprocess.run([MCMPART] + list(args), capture_output=True, text=True, timeout=timeout)


class PartitionCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "swin")
        cls.proc = run("partition", SWIN, "--hw", "mcm8-ring", "--time-limit-s", "3",
                       "--temperature", "1,3", "--out-dir", cls.out, "--json")
        cls.summary = json.loads(cls.proc.stdout) if cls.proc.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def test_files_and_summary(self):
        names = set(os.listdir(self.out))
        for f in ["partition.json", "partition_split.json", "trace.json", "report.md",
                  "chips.svg", "partition.dot"] + (["partition.svg"] if HAS_DOT else []):
            self.assertIn(f, names)
        self.assertEqual(sorted(self.summary["files"]), sorted(names))
        used = sorted(set(self.summary["best_partition"]))
        chips = sorted(int(f[5:-5]) for f in names if f.startswith("chip_"))
        self.assertTrue(set(chips) <= set(used), (chips, used))
        self.assertEqual(self.summary["nodes"], len(self.summary["best_partition"]))
        with open(os.path.join(self.out, "report.md")) as f:
            report = f.read()
        # The shipped pre-trained policy (models/) joins by default.
        self.assertIn("strategies: dp, policy, anneal; policy: ", report)
        self.assertTrue(self.summary["policy"].endswith("pretrained.ckpt"), self.summary["policy"])
        self.assertIn(self.summary["bottleneck"], report)
        ElementTree.parse(os.path.join(self.out, "chips.svg"))
        if HAS_DOT:
            ElementTree.parse(os.path.join(self.out, "partition.svg"))
        with open(os.path.join(self.out, "trace.json")) as f:
            self.assertTrue(json.load(f)["traceEvents"])

    def test_chip_models_hold_every_node_once(self):
        source = onnx.load(SWIN)
        names = collections.Counter()
        for path in sorted(glob.glob(os.path.join(self.out, "chip_*.onnx"))):
            model = onnx.load(path)
            onnx.checker.check_model(model)
            onnx.shape_inference.infer_shapes(model, strict_mode=True)
            names.update(n.name for n in model.graph.node)
        expected = collections.Counter(n.name for n in source.graph.node)
        self.assertEqual(names, expected)
        self.assertEqual(max(names.values()), 1)

    def test_best_is_at_least_dp_and_simulates_the_same(self):
        by_name = {s["name"]: s for s in self.summary["strategies"]}
        self.assertTrue(by_name["dp"]["valid"])
        self.assertGreaterEqual(self.summary["best_throughput"], by_name["dp"]["throughput"])
        self.assertEqual(self.summary["best_throughput"],
                         max(s["throughput"] for s in self.summary["strategies"]))
        for partition in ["partition.json", "partition_split.json"]:
            sim = run("simulate", "--graph", SWIN, "--hw", "mcm8-ring", "--partition",
                      os.path.join(self.out, partition), "--json")
            self.assertEqual(sim.returncode, 0, sim.stderr)
            self.assertAlmostEqual(json.loads(sim.stdout)["throughput"],
                                   self.summary["best_throughput"], delta=1e-9 *
                                   self.summary["best_throughput"])
        with open(os.path.join(self.out, "partition.json")) as f:
            self.assertEqual(json.load(f)["assignment"], self.summary["best_partition"])
        with open(os.path.join(self.out, "partition_split.json")) as f:
            split = json.load(f)
        from_split = [None] * len(self.summary["best_partition"])
        for chip, fpga in enumerate(split["fpgas"]):
            for v in fpga["nodes"]:
                from_split[v] = chip
        self.assertEqual(from_split, self.summary["best_partition"])


    def test_policy_strategy_is_evals_best_and_starts_annealing_when_best(self):
        by_name = {s["name"]: s for s in self.summary["strategies"]}
        policy = by_name["policy"]
        self.assertTrue(policy["valid"], policy)
        self.assertEqual(policy["evaluations"], 65)
        self.assertEqual(policy["note"], "greedy and 64 sampled decodings at temperature 1,3, repaired")
        # The same checkpoint, seed, samples and temperatures through `mcmpart eval`: the same
        # best partition.
        ev = run("eval", "--checkpoint", "pretrained", "--graph", SWIN, "--hw", "mcm8-ring",
                 "--samples", "64", "--temperature", "1,3", "--no-dp", "--json")
        self.assertEqual(ev.returncode, 0, ev.stderr)
        self.assertAlmostEqual(json.loads(ev.stdout)["best_throughput"], policy["throughput"],
                               delta=1e-9 * policy["throughput"])
        seeded = "policy" if policy["throughput"] > by_name["dp"]["throughput"] else "dp"
        self.assertEqual(by_name["anneal"]["note"], f"chains started from the {seeded} partition")


class PartitionCliSmall(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.blocker = os.path.join(self.dir, "file")

    def tearDown(self):
        self.tmp.cleanup()

    def test_small_cnn_is_drawn_node_by_node(self):
        out = os.path.join(self.dir, "a", "b")  # missing parents are made
        proc = run("partition", RESNET18, "--hw", "mcm4x4-mesh", "--evaluator", "maxload",
                   "--time-limit-s", "1", "--out-dir", out, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        summary = json.loads(proc.stdout)
        with open(os.path.join(out, "partition.dot")) as f:
            dot = f.read()
        self.assertEqual(dot.count("fillcolor="), summary["nodes"])
        partition = summary["best_partition"]
        with open(os.path.join(out, "partition.json")) as f:
            self.assertEqual(json.load(f)["assignment"], partition)
        self.assertEqual(dot.count("color=red"), dot.count("penwidth=2.5"))
        self.assertEqual(sorted(os.listdir(os.path.dirname(out))), ["b"])
        # A second run into the same folder replaces its files.
        again = run("partition", RESNET18, "--hw", "mcm4x4-mesh", "--evaluator", "maxload",
                    "--time-limit-s", "1", "--out-dir", out, "--json")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(sorted(os.listdir(out)), sorted(json.loads(again.stdout)["files"]))

    def test_interrupt_keeps_the_best_so_far(self):
        out = os.path.join(self.dir, "stopped")
        proc = subprocess.Popen([MCMPART, "partition", RESNET18, "--hw", "mcm8-ring",
                                 "--time-limit-s", "300", "--out-dir", out, "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:  # plain progress lines: not a terminal
            if "anneal" in line:
                break
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, stderr)
        self.assertIn("stopped early", stderr)
        summary = json.loads(stdout)
        self.assertLess(summary["strategies"][-1]["seconds"], 300)
        self.assertEqual(sorted(os.listdir(out)), sorted(summary["files"]))

    def test_budget_bounds_annealing_and_repeats_exactly(self):
        # --budget N: annealing runs N evaluations, with no time limit; with a failure-bounded
        # repair the whole search, the pre-trained policy's samples included, repeats exactly.
        runs = []
        for name in ["budget1", "budget2"]:
            out = os.path.join(self.dir, name)
            proc = run("partition", RESNET18, "--hw", "mcm8-ring", "--budget", "150",
                       "--repair-fail-limit", "4000", "--seed", "5", "--out-dir", out, "--json")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            summary = json.loads(proc.stdout)
            self.assertEqual((summary["anneal_budget"], summary["time_limit_s"]), (150, 0))
            self.assertEqual([(s["name"], s["evaluations"]) for s in summary["strategies"]],
                             [("dp", 1), ("policy", 65), ("anneal", 150)])
            with open(os.path.join(out, "report.md")) as f:
                self.assertIn("search within an annealing budget of 150 evaluations", f.read())
            runs.append([(s["throughput"], s["evaluations"]) for s in summary["strategies"]] +
                        [summary["best_partition"]])
        self.assertEqual(runs[0], runs[1])

    def test_checkpoint_none_leaves_the_policy_out(self):
        out = os.path.join(self.dir, "nopolicy")
        proc = run("partition", RESNET18, "--hw", "mcm8-ring", "--checkpoint", "none",
                   "--time-limit-s", "1", "--out-dir", out, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        summary = json.loads(proc.stdout)
        self.assertEqual([s["name"] for s in summary["strategies"]], ["dp", "anneal"])
        self.assertIn("--checkpoint none", summary["policy"])

    def test_policy_that_cannot_address_the_chips_is_a_note(self):
        out = os.path.join(self.dir, "k20")
        hw = os.path.join(self.dir, "k20.toml")
        with open(hw, "w") as f:
            f.write('name = "k20"\nnum_chips = 20\ntopology = "ring"\n')
        proc = run("partition", RESNET18, "--hw", hw, "--time-limit-s", "1",
                   "--out-dir", out, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        summary = json.loads(proc.stdout)
        self.assertEqual([s["name"] for s in summary["strategies"]], ["dp", "anneal"])
        self.assertIn("addresses at most 16 chips", summary["policy"])

    def assert_bad_input(self, args, out, word):
        proc = run("partition", *args, "--out-dir", out, "--time-limit-s", "1")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(word, proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertTrue(os.path.isfile(out) if out == self.blocker else not os.path.exists(out))
        self.assertFalse([f for f in os.listdir(self.dir) if "partial" in f])

    def test_bad_input_leaves_nothing(self):
        out = os.path.join(self.dir, "d")
        self.assert_bad_input([os.path.join(self.dir, "missing.onnx"), "--hw", "mcm8-ring"], out,
                              "missing.onnx")
        self.assert_bad_input([RESNET18, "--hw", "no-such-hw"], out, "no-such-hw")
        self.assert_bad_input([RESNET18, "--hw", "mcm8-ring", "--temperature", "1,0"], out,
                              "--temperature 0 must be in [0.01, 100]")
        self.assert_bad_input([RESNET18, "--hw", "mcm8-ring", "--checkpoint",
                               os.path.join(self.dir, "missing.ckpt")], out, "missing.ckpt")
        with open(self.blocker, "w") as f:
            f.write("not a folder\n")
        self.assert_bad_input([RESNET18, "--hw", "mcm8-ring"], os.path.join(self.blocker, "d"),
                              "--out-dir")
        self.assert_bad_input([RESNET18, "--hw", "mcm8-ring"], self.blocker, "--out-dir")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
