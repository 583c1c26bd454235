#!/usr/bin/python3
"""Exports the ONNX graph corpus (weights left out) and the small ONNX files the tests use.

    /usr/bin/python3 scripts/export_models.py                         # the corpus, to out/onnx
    /usr/bin/python3 scripts/export_models.py --out /tmp/corpus --only resnet50 bert_base
    /usr/bin/python3 scripts/export_models.py --test-data tests/data/onnx  # committed test set
    /usr/bin/python3 scripts/export_models.py --list                  # the corpus names
    for f in out/onnx/*.onnx; do build/cli/mcmpart import "$f" --json; done

The corpus: 25 torchvision classifiers across families (AlexNet, VGG, SqueezeNet, GoogLeNet,
Inception-v3, ResNet/ResNeXt/Wide-ResNet, DenseNet, MobileNetV2/V3, ShuffleNetV2, MnasNet,
EfficientNet, RegNet, ConvNeXt, ViT, Swin) and six BERT encoders built from torch.nn (tiny,
mini, small, medium, base, large; sequence length 128), 4 KB to 1.3 MB per file, about ten
minutes on two cores (vit_b_16 and bert_large take the longest: building the modules
initialises their weights).

Needs Debian's python3-torch, python3-torchvision and python3-onnx (scripts/setup.sh).
Models are exported with export_params=False, so parameters become graph inputs and a file
holds only the graph; `mcmpart import` charges those inputs as weights. (The exporter merges
parameters with identical values, e.g. freshly initialised zero biases, into one input read
through Identity nodes; the importer charges such a tensor to every node reading it, so the
totals are unchanged.) Batch size 1, fixed input sizes (no dynamic axes), so ONNX shape
inference gives every tensor a static shape. Exports run with gradients enabled: under no_grad
torch 1.13 lowers nn.MultiheadAttention (ViT) to a fused op that has no ONNX export.
"""
import argparse
import math
import os
import sys
import time

import torch
from torch import nn

OPSET = 14

# torchvision classification models across families: name -> input resolution.
TORCHVISION = {
    "alexnet": 224, "vgg11": 224, "vgg16": 224, "squeezenet1_0": 224, "googlenet": 224,
    "inception_v3": 299, "resnet18": 224, "resnet50": 224, "resnet101": 224,
    "resnext50_32x4d": 224, "wide_resnet50_2": 224, "densenet121": 224, "mobilenet_v2": 224,
    "mobilenet_v3_small": 224, "mobilenet_v3_large": 224, "shufflenet_v2_x1_0": 224,
    "mnasnet1_0": 224, "efficientnet_b0": 224, "efficientnet_b3": 300, "regnet_x_400mf": 224,
    "regnet_y_800mf": 224, "convnext_tiny": 224, "vit_b_16": 224, "vit_b_32": 224,
    "swin_t": 224,
}

# BERT family sizes (Turc et al., 2019): layers, hidden, heads. Sequence length 128.
BERT = {
    "bert_tiny": (2, 128, 2), "bert_mini": (4, 256, 4), "bert_small": (4, 512, 8),
    "bert_medium": (8, 512, 8), "bert_base": (12, 768, 12), "bert_large": (24, 1024, 16),
}
SEQ_LEN = 128

# Decoder-only (Llama-style) models: layers, hidden, heads, kv_heads, ffn. llama_deep is a
# narrow, 512-layer decoder: about 50k ONNX nodes, the import-scaling case (`bench import`).
LLAMA = {
    "llama_small": (8, 512, 8, 2, 1408), "llama_deep": (512, 64, 4, 2, 172),
}


class EncoderLayer(nn.Module):
    """Post-LN BERT layer (Devlin et al., 2019), the same ops as common/bert.cc's MakeBert."""

    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.output = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden)
        self.ff1 = nn.Linear(hidden, 4 * hidden)
        self.ff2 = nn.Linear(4 * hidden, hidden)
        self.ln2 = nn.LayerNorm(hidden)

    def forward(self, x):
        s, h = x.shape[1], x.shape[2]
        dh = h // self.heads

        def split(t):
            return t.view(1, s, self.heads, dh).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh)
        ctx = torch.matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).reshape(1, s, h)
        x = self.ln1(self.output(ctx) + x)
        return self.ln2(self.ff2(nn.functional.gelu(self.ff1(x))) + x)


class Bert(nn.Module):
    def __init__(self, layers, hidden, heads, vocab=30522, max_positions=512):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_positions, hidden)
        self.ln = nn.LayerNorm(hidden)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.ln(self.word(ids) + self.position(pos))
        for layer in self.layers:
            x = layer(x)
        return torch.tanh(self.pooler(x[:, 0]))


class RmsNorm(nn.Module):
    """RMSNorm (Zhang and Sennrich, 2019)."""

    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


class DecoderLayer(nn.Module):
    """Pre-norm Llama layer (Touvron et al., 2023): RMSNorm, rotary embedding, grouped-query
    attention, SwiGLU feed-forward; the same ops as common/llama.cc's prefill phase."""

    def __init__(self, hidden, heads, kv_heads, ffn):
        super().__init__()
        self.heads, self.kv_heads, self.dh = heads, kv_heads, hidden // heads
        self.q = nn.Linear(hidden, hidden, bias=False)
        self.k = nn.Linear(hidden, kv_heads * self.dh, bias=False)
        self.v = nn.Linear(hidden, kv_heads * self.dh, bias=False)
        self.o = nn.Linear(hidden, hidden, bias=False)
        self.gate = nn.Linear(hidden, ffn, bias=False)
        self.up = nn.Linear(hidden, ffn, bias=False)
        self.down = nn.Linear(ffn, hidden, bias=False)
        self.norm1, self.norm2 = RmsNorm(hidden), RmsNorm(hidden)

    def forward(self, x, cos, sin, mask):
        s, h = x.shape[1], x.shape[2]
        y = self.norm1(x)
        q = self.q(y).view(1, s, self.heads, self.dh).transpose(1, 2)
        k = self.k(y).view(1, s, self.kv_heads, self.dh).transpose(1, 2)
        v = self.v(y).view(1, s, self.kv_heads, self.dh).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        group = self.heads // self.kv_heads
        k = k[:, :, None].expand(1, self.kv_heads, group, s, self.dh).reshape(1, self.heads, s, self.dh)
        v = v[:, :, None].expand(1, self.kv_heads, group, s, self.dh).reshape(1, self.heads, s, self.dh)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh) + mask
        ctx = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(1, s, h)
        x = x + self.o(ctx)
        y = self.norm2(x)
        return x + self.down(nn.functional.silu(self.gate(y)) * self.up(y))


class Llama(nn.Module):
    """A Llama decoder; `first`/`last` make it a slice of one (the chunks of a chunked export):
    without `first` it takes hidden states instead of token ids, without `last` it returns them."""

    def __init__(self, layers, hidden, heads, kv_heads, ffn, vocab=32000, max_positions=2048,
                 first=True, last=True):
        super().__init__()
        self.first, self.last = first, last
        self.embed = nn.Embedding(vocab, hidden) if first else None
        self.layers = nn.ModuleList(DecoderLayer(hidden, heads, kv_heads, ffn) for _ in range(layers))
        self.norm = RmsNorm(hidden) if last else None
        self.lm_head = nn.Linear(hidden, vocab, bias=False) if last else None
        dh = hidden // heads
        inv_freq = 1.0 / (10000 ** (torch.arange(0, dh, 2).float() / dh))
        angles = torch.outer(torch.arange(max_positions).float(), inv_freq)
        self.register_buffer("cos", torch.cat([angles, angles], -1).cos(), persistent=False)
        self.register_buffer("sin", torch.cat([angles, angles], -1).sin(), persistent=False)

    def forward(self, x):
        s = x.shape[1]
        cos, sin = self.cos[:s], self.sin[:s]
        mask = torch.full((s, s), float("-inf")).triu(1)
        if self.first:
            x = self.embed(x)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x)) if self.last else x


# Layers per chunk of a chunked export: torch 1.13's exporter (torch::jit::ToONNX) takes time
# quadratic in the graph, so a deep decoder is exported in slices joined with onnx's own tools.
CHUNK_LAYERS = 32


def export_chunked(name, path, chunk_layers=CHUNK_LAYERS):
    """Exports LLAMA[name] as slices of CHUNK_LAYERS layers and joins them into one model: each
    slice's names get a prefix and its input is the previous slice's output."""
    import onnx
    from onnx import compose

    layers, hidden, heads, kv_heads, ffn = LLAMA[name]
    starts = list(range(0, layers, chunk_layers))
    joined, prev_out = None, None
    for i, start in enumerate(starts):
        n = min(chunk_layers, layers - start)
        first, last = i == 0, i == len(starts) - 1
        module = Llama(n, hidden, heads, kv_heads, ffn, first=first, last=last)
        example = (torch.zeros(1, SEQ_LEN, dtype=torch.long) if first
                   else torch.zeros(1, SEQ_LEN, hidden))
        export(module, example, path + ".chunk")
        part = compose.add_prefix(onnx.load(path + ".chunk"), "c%d/" % i)
        if joined is None:
            joined = part
        else:
            for node in part.graph.node:
                for k, t in enumerate(node.input):
                    if t == "c%d/input" % i:
                        node.input[k] = prev_out
            g = joined.graph
            g.input.extend(v for v in part.graph.input if v.name != "c%d/input" % i)  # weights
            g.node.extend(part.graph.node)
            g.initializer.extend(part.graph.initializer)
            g.value_info.extend(part.graph.value_info)
            del g.output[:]
            g.output.extend(part.graph.output)
        prev_out = joined.graph.output[0].name
    os.remove(path + ".chunk")
    onnx.save(joined, path)


class TinyCnn(nn.Module):
    """Small CNN for the weights-as-inputs vs initializers test (grouped conv, BN, Gemm)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.fc(x.mean(dim=(2, 3)))


class ClassToken(nn.Module):
    """ViT's class token: expand(batch, -1, -1) exports as ConstantOfShape/Equal/Where."""

    def __init__(self):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 1, 8))

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)


def build(name):
    """Returns (module, example input) for a corpus name."""
    if name in BERT:
        layers, hidden, heads = BERT[name]
        return Bert(layers, hidden, heads), torch.zeros(1, SEQ_LEN, dtype=torch.long)
    if name in LLAMA:
        return Llama(*LLAMA[name]), torch.zeros(1, SEQ_LEN, dtype=torch.long)
    import torchvision
    res = TORCHVISION[name]
    kwargs = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
    return getattr(torchvision.models, name)(**kwargs), torch.randn(1, 3, res, res)


def export(module, example, path, export_params=False):
    module.eval()
    # Gradients stay enabled: under no_grad torch 1.13 takes the fused attention fast path
    # (aten::_native_multi_head_attention), which has no ONNX export.
    torch.onnx.export(module, example, path, export_params=export_params,
                      do_constant_folding=True, opset_version=OPSET,
                      input_names=["input"], output_names=["output"])


def write_test_data(out):
    """The committed test set: a few real exports plus hand-built edge cases (onnx.helper)."""
    import onnx
    from onnx import TensorProto, helper

    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    export(*build("bert_tiny"), os.path.join(out, "bert_tiny.onnx"))
    export(*build("resnet18"), os.path.join(out, "resnet18.onnx"))
    cnn, x = TinyCnn(), torch.randn(1, 3, 16, 16)
    export(cnn, x, os.path.join(out, "tiny_cnn_inputs.onnx"), export_params=False)
    export(cnn, x, os.path.join(out, "tiny_cnn_params.onnx"), export_params=True)
    # Real models for the invariant tests (common/onnx_import_models_test.cc).
    export(*build("mobilenet_v3_small"), os.path.join(out, "mobilenet_v3_small.onnx"))
    export(*build("swin_t"), os.path.join(out, "swin_t.onnx"))  # 6,623 ONNX nodes, 1.3 MB
    export(ClassToken(), torch.randn(1, 4, 8), os.path.join(out, "class_token.onnx"))

    def save(graph, name):
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8
        onnx.save(model, os.path.join(out, name))

    f32 = TensorProto.FLOAT
    # Conv (groups 2, bias) -> Relu -> MatMul with a weight input -> Softmax; all hand-checkable.
    save(helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", group=2, pads=[1, 1, 1, 1],
                          kernel_shape=[3, 3]),
         helper.make_node("Relu", ["c"], ["r"], name="relu"),
         helper.make_node("Reshape", ["r", "shape"], ["flat"], name="reshape"),
         helper.make_node("MatMul", ["flat", "m"], ["y"], name="matmul"),
         helper.make_node("Softmax", ["y"], ["out"], name="softmax", axis=-1)],
        "small_ops",
        [helper.make_tensor_value_info("x", f32, [1, 4, 8, 8]),
         helper.make_tensor_value_info("w", f32, [6, 2, 3, 3]),
         helper.make_tensor_value_info("b", f32, [6]),
         helper.make_tensor_value_info("m", f32, [64, 10])],
        [helper.make_tensor_value_info("out", f32, [6, 10])],
        initializer=[helper.make_tensor("shape", TensorProto.INT64, [2], [6, 64])]), "small_ops.onnx")
    # An op no schema knows, with its output shape given in value_info.
    save(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["a"], name="relu"),
         helper.make_node("FancyOp", ["a"], ["b"], name="fancy"),
         helper.make_node("Relu", ["b"], ["out"], name="relu2")],
        "unknown_op",
        [helper.make_tensor_value_info("x", f32, [2, 3])],
        [helper.make_tensor_value_info("out", f32, [2, 3])],
        value_info=[helper.make_tensor_value_info("b", f32, [2, 3])]), "unknown_op.onnx")
    # A symbolic batch dimension: no static shapes.
    save(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["out"], name="relu")], "symbolic",
        [helper.make_tensor_value_info("x", f32, ["batch", 3])],
        [helper.make_tensor_value_info("out", f32, ["batch", 3])]), "symbolic_dim.onnx")
    # Two nodes feeding each other.
    save(helper.make_graph(
        [helper.make_node("Add", ["x", "t2"], ["t1"], name="add"),
         helper.make_node("Relu", ["t1"], ["t2"], name="relu")], "cycle",
        [helper.make_tensor_value_info("x", f32, [2, 3])],
        [helper.make_tensor_value_info("t2", f32, [2, 3])]), "cycle.onnx")
    # A Reshape target chosen by Where from a bool initializer (raw bytes): only the
    # importer's folding gives the Reshape a static shape.
    save(helper.make_graph(
        [helper.make_node("Where", ["cond", "a", "b"], ["shape"], name="where"),
         helper.make_node("Reshape", ["x", "shape"], ["out"], name="reshape")], "bool_where",
        [helper.make_tensor_value_info("x", f32, [2, 3])],
        [helper.make_tensor_value_info("out", f32, ["rows", "cols"])],
        initializer=[helper.make_tensor("cond", TensorProto.BOOL, [2], b"\x01\x00", raw=True),
                     helper.make_tensor("a", TensorProto.INT64, [2], [3, -1]),
                     helper.make_tensor("b", TensorProto.INT64, [2], [6, 2])]), "bool_where.onnx")
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"wrote {len(os.listdir(out))} files to {out}, {total} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="out/onnx",
                        help="folder for the corpus (default out/onnx, ignored by git)")
    parser.add_argument("--only", nargs="*", metavar="NAME",
                        help="export only these names (see --list)")
    parser.add_argument("--list", action="store_true", help="print the corpus names")
    parser.add_argument("--test-data", metavar="DIR", help="write the committed test set to DIR")
    parser.add_argument("--chunk-layers", type=int, default=CHUNK_LAYERS, metavar="N",
                        help="decoders deeper than N layers are exported in slices of N layers, "
                             "then joined (default %(default)s)")
    args = parser.parse_args()
    names = list(TORCHVISION) + list(BERT) + list(LLAMA)
    if args.list:
        print("\n".join(names))
        return 0
    if args.test_data:
        write_test_data(args.test_data)
        return 0
    unknown = [n for n in args.only or [] if n not in names]
    if unknown:
        print(f"export_models.py: error: unknown model(s) {unknown}; see --list", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or names:
        start = time.time()
        path = os.path.join(args.out, name + ".onnx")
        if name in LLAMA and LLAMA[name][0] > args.chunk_layers:
            export_chunked(name, path + ".tmp", args.chunk_layers)
        else:
            export(*build(name), path + ".tmp")
        os.replace(path + ".tmp", path)
        print(f"{name}: {path} ({os.path.getsize(path)} bytes, {time.time() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
