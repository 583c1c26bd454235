#!/usr/bin/python3
"""E4's --reuse keeps finished run files of the same settings and runs only what is missing."""
import os
import subprocess
import sys
import tempfile

SCRIPT, MCMPART = sys.argv[1], sys.argv[2]


def run(out, *extra):
    subprocess.run(["/usr/bin/python3", SCRIPT, "--quick", "--mcmpart", MCMPART, "--out", out, *extra],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "e4.log")) as f:
        lines = f.read().splitlines()
    ran = [l for l in lines if l.startswith("+ ")]
    reused = [l for l in lines if l.startswith("reused ")]
    with open(os.path.join(out, "e4.md")) as f:
        return ran, reused, f.read()


def check(cond, what):
    if not cond:
        sys.exit("FAILED: " + what)


with tempfile.TemporaryDirectory() as out:
    ran, reused, md = run(out)
    check(len(ran) == 8 and not reused, "first run: 2 graphs x (dp, greedy, random, anneal) run, got %d" % len(ran))
    ran, reused, md2 = run(out, "--reuse")
    check(not ran and len(reused) == 8, "same settings: all 8 reused, %d run" % len(ran))
    check(md2 == md, "a reused run reports the same table")
    ran, reused, _ = run(out, "--reuse", "--seeds", "2")
    check(len(reused) == 8 and len(ran) == 4 and all("--seed 2" in l for l in ran),
          "--seeds 2: seed-1 runs reused, only the 4 seed-2 runs made (%d run)" % len(ran))
    ran, reused, _ = run(out, "--reuse", "--budget", "200")
    check(len(ran) == 8 and not reused, "another budget: nothing reused (%d reused)" % len(reused))
print("ok")
