#!/usr/bin/python3
"""The `mcmpart` Python module: loading, check, simulate (equal to the CLI), repair, search,
PartitionEnv, and ValueError with the command line's messages.

usage: mcmpart_module_test.py MCMPART_BINARY   (PYTHONPATH holds the module, set by ctest)
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import mcmpart

BINARY = sys.argv[1]
GRAPH = "bert:layers=2,hidden=128,heads=2,seq=32"
HW = "mcm8-ring"


def cli_error(*args):
    r = subprocess.run([BINARY] + list(args), capture_output=True, text=True)
    assert r.returncode == 2, r
    return r.stderr.strip()


class ModuleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.graph = mcmpart.load_graph(GRAPH)
        cls.hw = mcmpart.load_hardware(HW)

    def dp_partition(self):
        result = mcmpart.search(self.graph, self.hw, "dp", budget=1, seed=1, evaluator="maxload")
        return result["partition"]

    def test_load(self):
        self.assertGreater(self.graph.num_nodes, 10)
        self.assertEqual(len(self.graph.node_names()), self.graph.num_nodes)
        self.assertEqual(self.hw.num_chips, 8)
        self.assertIn("8 chiplets", self.hw.summary())

    def test_weight_bytes(self):
        fp16 = mcmpart.load_graph("llama-tiny")
        int8 = mcmpart.load_graph("llama-tiny", weight_bytes=1)
        self.assertEqual(fp16.weight_bytes_per_element, 2)
        self.assertEqual(int8.weight_bytes_per_element, 1)
        self.assertEqual(fp16.total_weight_bytes, 2 * int8.total_weight_bytes)
        with self.assertRaises(ValueError):
            mcmpart.load_graph("llama-tiny", weight_bytes=3)

    def test_dp_check_simulate_equals_cli(self):
        partition = self.dp_partition()
        self.assertEqual(len(partition), self.graph.num_nodes)
        self.assertEqual(mcmpart.check(self.graph, self.hw, partition), [])
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "p.json")
            with open(path, "w") as f:
                json.dump({"format": "mcmpart-partition", "num_chips": 8, "assignment": partition},
                          f)
            for evaluator in ("cycle", "maxload"):
                metrics = mcmpart.simulate(self.graph, self.hw, partition, evaluator=evaluator)
                r = subprocess.run([BINARY, "simulate", "--graph", GRAPH, "--hw", HW,
                                    "--partition", path, "--evaluator", evaluator, "--json"],
                                   capture_output=True, text=True, check=True)
                cli = json.loads(r.stdout)
                for key, value in metrics.items():
                    self.assertEqual(cli[key], value, key)
                self.assertGreater(metrics["throughput"], 0)

    def test_check_lists_violations(self):
        one_chip_each = [i % 8 for i in range(self.graph.num_nodes)]
        violations = mcmpart.check(self.graph, self.hw, one_chip_each)
        self.assertTrue(violations)
        self.assertTrue(all(": " in v for v in violations))
        self.assertTrue(mcmpart.check(self.graph, self.hw, [0, 1]))  # shape
        with self.assertRaises(ValueError) as e:
            mcmpart.simulate(self.graph, self.hw, one_chip_each)
        self.assertIn("partition violates", str(e.exception))

    def test_repair(self):
        proposal = [i % 8 for i in range(self.graph.num_nodes)]
        r = mcmpart.repair(self.graph, self.hw, proposal)
        self.assertIn(r["status"], ("optimal", "best_within_limit"))
        self.assertEqual(mcmpart.check(self.graph, self.hw, r["partition"]), [])
        self.assertEqual(r["changed_nodes"], sum(a != b for a, b in zip(proposal, r["partition"])))
        valid = self.dp_partition()
        r = mcmpart.repair(self.graph, self.hw, valid, weights=[1.0] * len(valid))
        self.assertEqual((r["status"], r["changed_nodes"], r["partition"]), ("unchanged", 0, valid))
        with self.assertRaises(ValueError):
            mcmpart.repair(self.graph, self.hw, valid, weights=[1.0])

    def test_search_matches_cli(self):
        result = mcmpart.search(self.graph, self.hw, "random", budget=16, seed=3)
        r = subprocess.run([BINARY, "search", "--strategy", "random", "--graph", GRAPH, "--hw", HW,
                            "--budget", "16", "--seed", "3", "--json"],
                           capture_output=True, text=True, check=True)
        cli = json.loads(r.stdout)
        self.assertEqual(result["partition"], cli["best_partition"])
        self.assertEqual(result["throughput"], cli["best_throughput"])

    def test_partition_env(self):
        env = mcmpart.PartitionEnv(self.graph, self.hw, evaluator="maxload")
        obs, info = env.reset(seed=0)
        n = self.graph.num_nodes
        self.assertEqual(info["num_nodes"], n)
        self.assertEqual(obs["node_features"].dtype, np.float32)
        self.assertEqual(obs["node_features"].shape[0], n)
        self.assertEqual(obs["edges"].shape[1], 2)
        self.assertEqual(obs["edges"].dtype, np.int64)
        self.assertEqual(obs["prior_chip"].shape, (n,))
        proposal = np.arange(n) % 8
        obs2, reward, terminated, truncated, info = env.step(proposal)
        self.assertTrue(terminated)
        self.assertFalse(truncated)
        self.assertTrue(info["valid"])
        self.assertEqual(mcmpart.check(self.graph, self.hw, info["partition"]), [])
        self.assertGreater(info["changed_nodes"], 0)
        self.assertGreater(reward, 0)
        simulated = mcmpart.simulate(self.graph, self.hw, info["partition"], evaluator="maxload")
        self.assertEqual(info["throughput"], simulated["throughput"])
        np.testing.assert_array_equal(obs2["node_features"], obs["node_features"])

    def test_errors_are_value_errors_with_cli_messages(self):
        with self.assertRaises(ValueError) as e:
            mcmpart.load_graph("bert")
        self.assertIn(str(e.exception), cli_error("simulate", "--graph", "bert", "--partition",
                                                  "x.json"))
        with self.assertRaises(ValueError) as e:
            mcmpart.load_hardware("mcm3-ring")
        self.assertIn(str(e.exception), cli_error("simulate", "--graph", GRAPH, "--hw",
                                                  "mcm3-ring", "--partition", "x.json"))
        with self.assertRaises(ValueError) as e:
            mcmpart.search(self.graph, self.hw, "magic", budget=4, seed=1)
        self.assertIn(str(e.exception), cli_error("search", "--strategy", "magic"))
        with self.assertRaises(ValueError) as e:
            mcmpart.search(self.graph, self.hw, "random", budget=0, seed=1)
        self.assertIn(str(e.exception), cli_error("search", "--budget", "0"))
        with self.assertRaises(ValueError) as e:
            mcmpart.simulate(self.graph, self.hw, self.dp_partition(), evaluator="fast")
        self.assertIn("evaluator must be maxload or cycle, got 'fast'", str(e.exception))
        with self.assertRaises(ValueError):
            mcmpart.PartitionEnv(self.graph, self.hw, evaluator="exec:./no-such-program")
        env = mcmpart.PartitionEnv(self.graph, self.hw)
        with self.assertRaises(ValueError):
            env.step([0, 1])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
