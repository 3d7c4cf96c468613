#!/usr/bin/env python3
"""Writes the PyTorch-exported ONNX test fixtures of tests/Jimu.Onnx.Tests/Fixtures (run on demand; the files are
committed so that the tests need no PyTorch). Debian's PyTorch 1.13 and torch.onnx.export, random weights:

  torch-cnn.onnx        conv → BatchNorm2d → ReLU → max-pool → conv → BatchNorm2d → ReLU → avg-pool (padding 1,
                        count_include_pad) → x.view(x.size(0), -1) → Linear → ReLU → Dropout → Linear, opset 13,
                        the default export (eval mode: each BatchNorm folded into the conv before it)
  torch-cnn-bn.onnx     the same network exported with do_constant_folding=False and training=PRESERVE from eval
                        mode: the BatchNormalization nodes are kept, opset 11
  torch-matmul.onnx     conv → Tanh → Flatten → x @ W.T + b (MatMul + Add) → Sigmoid → Linear, opset 17
  torch-softmax.onnx    a Softmax in the middle of the network: Jimu must refuse it
  torch-*.json          {"input_shape", "input", "logits"}: a batch of inputs and PyTorch's logits for it

Usage: /usr/bin/python3 tools/make_onnx_fixtures.py [--out DIR]
       /usr/bin/python3 tools/make_onnx_fixtures.py --opsets
         exports the conv/BatchNorm/pool/view/Linear network at every opset 11–17, BatchNorm folded and kept, runs
         each through `jimu predict` (the CLI built in Release) on the same digits-like images and prints the
         largest difference from PyTorch's logits, relative to the largest logit
"""
import argparse
import json
import os

import torch
import torch.nn as nn


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.bn2 = nn.BatchNorm2d(6)
        self.pool2 = nn.AvgPool2d(2, padding=1, count_include_pad=True)
        self.fc1 = nn.Linear(6 * 3 * 3, 16)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool2(torch.relu(self.bn2(self.conv2(x))))
        x = x.view(x.size(0), -1)
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


class MatMul(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
        self.w = nn.Parameter(torch.randn(8, 3 * 5 * 5) * 0.2)
        self.b = nn.Parameter(torch.randn(8))
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = nn.Flatten()(torch.tanh(self.conv(x)))
        return self.fc(torch.sigmoid(x @ self.w.t() + self.b))


class Softmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 10 * 10, 3)

    def forward(self, x):
        return self.fc(torch.softmax(self.conv(x), dim=1).flatten(1))


def randomise_batchnorm(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)


def export(model, shape, name, out, opset, **kwargs):
    model.eval()
    x = torch.rand(*shape)
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=opset, **kwargs)
    with torch.no_grad():
        logits = model(x)
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump({"input_shape": list(shape), "input": x.flatten().tolist(), "logits": logits.flatten().tolist()}, f)
    import onnx
    ops = [n.op_type for n in onnx.load(path).graph.node]
    print(f"{path}: {' '.join(ops)}")


def check_opsets():
    import struct
    import subprocess
    import tempfile
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cli = os.path.join(root, "src", "Jimu.Cli", "bin", "Release", "net10.0", "Jimu.Cli.dll")
    torch.manual_seed(5)
    cnn = Cnn()
    randomise_batchnorm(cnn)
    cnn.eval()
    pixels = torch.randint(0, 256, (16, 12, 12), dtype=torch.uint8)
    x = pixels.to(torch.float32).div(255).unsqueeze(1)
    with torch.no_grad():
        expected = cnn(x)
    work = tempfile.mkdtemp()
    images = os.path.join(work, "images.idx")
    with open(images, "wb") as f:
        f.write(struct.pack(">IIII", 0x0803, 16, 12, 12))
        f.write(pixels.numpy().tobytes())
    worst = 0.0
    for opset in range(11, 18):
        for kept in (False, True):
            path = os.path.join(work, f"cnn-{opset}-{'kept' if kept else 'folded'}.onnx")
            kwargs = {"do_constant_folding": False, "training": torch.onnx.TrainingMode.PRESERVE} if kept else {}
            torch.onnx.export(cnn, x, path, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=opset, **kwargs)
            out = subprocess.run(["dotnet", cli, "predict", "--model", path, images, "--format", "json"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(f"opset {opset}, BatchNorm {'kept' if kept else 'folded'}: REFUSED {out.stderr.strip()}")
                worst = float("inf")
                continue
            logits = torch.tensor([r["logits"] for r in json.loads(out.stdout)])
            rel = ((logits - expected).abs().max() / expected.abs().max()).item()
            worst = max(worst, rel)
            print(f"opset {opset}, BatchNorm {'kept' if kept else 'folded'}: largest difference {rel:.2e}")
    return 0 if worst <= 1e-5 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "Jimu.Onnx.Tests", "Fixtures"))
    parser.add_argument("--opsets", action="store_true", help="check every opset 11-17 through jimu predict")
    args = parser.parse_args()
    if args.opsets:
        raise SystemExit(check_opsets())
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(12)
    cnn = Cnn()
    randomise_batchnorm(cnn)
    export(cnn, (3, 1, 12, 12), "torch-cnn", args.out, 13)
    export(cnn, (3, 1, 12, 12), "torch-cnn-bn", args.out, 11,
           do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    export(MatMul(), (2, 2, 10, 10), "torch-matmul", args.out, 17)
    export(Softmax(), (2, 1, 12, 12), "torch-softmax", args.out, 13)


if __name__ == "__main__":
    main()
