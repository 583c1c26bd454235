#!/usr/bin/env python3
"""scripts/export_models.py end to end: --help, --list, small models exported and imported.

Usage: export_models_test.py MCMPART_BINARY. Exits 77 (skipped) without torch/torchvision.
"""
import json
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts",
                      "export_models.py")


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def main():
    binary = sys.argv[1]
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"skipped: {e}")
        return 77
    help_text = run([sys.executable, SCRIPT, "--help"])
    for word in ("--out", "--only", "--list", "--test-data", "export_params=False"):
        assert word in help_text, f"--help does not mention {word}:\n{help_text}"
    names = run([sys.executable, SCRIPT, "--list"]).split()
    assert len(names) >= 26 and "swin_t" in names and "bert_large" in names, names
    bad = subprocess.run([sys.executable, SCRIPT, "--only", "no_such_model"], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "no_such_model" in bad.stderr, bad
    with tempfile.TemporaryDirectory() as tmp:
        run([sys.executable, SCRIPT, "--out", tmp, "--only", "bert_tiny"])
        path = os.path.join(tmp, "bert_tiny.onnx")
        assert os.path.getsize(path) < 100_000, "weights were exported"
        summary = json.loads(run([binary, "import", path, "--json"]).strip().splitlines()[-1])
        # 2 layers, hidden h = 128, sequence s = 128: per layer s·(4h² + 2sh + 8h²) (projections,
        # attention, feed-forward); the pooler reads the first token only (h²).
        s, h = 128, 128
        layer_macs = s * (4 * h * h + 2 * s * h + 8 * h * h)
        assert summary["total_macs"] == 2 * layer_macs + h * h, summary
        assert summary["unknown_nodes"] == 0 and summary["nodes"] > 50, summary
        # 4.4 M parameters (embeddings 30522·128 + 512·128 dominate), 4 bytes each.
        assert 4 * 4.3e6 < summary["weight_bytes"] < 4 * 4.5e6, summary
        # The exported Llama decoder against the built-in generator of the same shape: two
        # independent descriptions of one model give the same multiply-accumulates.
        run([sys.executable, SCRIPT, "--out", tmp, "--only", "llama_small"])
        onnx_summary = json.loads(run([binary, "import", os.path.join(tmp, "llama_small.onnx"),
                                       "--json"]).strip().splitlines()[-1])
        spec = "llama:layers=8,hidden=512,heads=8,kv_heads=2,ffn=1408,seq=128,phase=prefill"
        built = json.loads(run([binary, "import", spec, "--json"]).strip().splitlines()[-1])
        assert onnx_summary["unknown_nodes"] == 0, onnx_summary
        assert onnx_summary["total_macs"] == built["total_macs"], (onnx_summary, built)
        # The same decoder exported in slices of 3 layers and joined: the same model.
        chunked = os.path.join(tmp, "chunked")
        run([sys.executable, SCRIPT, "--out", chunked, "--only", "llama_small", "--chunk-layers", "3"])
        joined = json.loads(run([binary, "import", os.path.join(chunked, "llama_small.onnx"),
                                 "--json"]).strip().splitlines()[-1])
        for key in ("nodes", "edges", "total_macs", "weight_bytes", "unknown_nodes"):
            assert joined[key] == onnx_summary[key], (key, joined, onnx_summary)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
