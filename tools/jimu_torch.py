#!/usr/bin/env python3
"""The PyTorch bridge: a Jimu model file becomes a torch.nn.Sequential and back (run on demand with Debian's
python3-torch; not used by the tests).

  to_torch(path)            -> (nn.Sequential, info): the network built from the file's architecture JSON
                               (__metadata__["jimu.architecture"]), its tensors loaded with load_state_dict(strict=True)
  save_jimu(model, info, path)  writes the model back as a Jimu .safetensors file (same names, architecture,
                               class names, normalisation; no optimizer state), atomically

The torch network computes what Jimu computes: TensorFlow's asymmetric "same" padding and [top, bottom, left, right]
padding pad explicitly (zeros for conv and average pooling, -inf for max pooling: padding never wins a max), average
pooling divides by the full window, the model's normalisation (if any) runs first as a module without state, so the
network takes [0, 1] pixels as `jimu predict` does. Dropout is active in train() mode only.

Commands:
  /usr/bin/python3 tools/jimu_torch.py roundtrip MODEL.safetensors [--out FILE]
        Jimu -> PyTorch -> Jimu; checks that every tensor and metadata entry comes back bit for bit, and that
        PyTorch's logits on the bundled test digits match `jimu predict`'s (needs the CLI built in Release).
  torchrun --nproc_per_node 2 tools/jimu_torch.py train --model MODEL.safetensors --out OUT.safetensors
        [--data DIR] [--epochs N] [--batch-size N] [--lr X] [--momentum X] [--weight-decay X] [--seed N]
        continues training a Jimu model with DistributedDataParallel (gloo backend, CPU) on an MNIST-format folder
        (default: data/mnist-sample), each process a shard of every epoch; rank 0 writes OUT, which `jimu eval`
        and every other command read.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI_DLL = os.path.join(ROOT, "src", "Jimu.Cli", "bin", "Release", "net10.0", "Jimu.Cli.dll")
SAMPLE = os.path.join(ROOT, "data", "mnist-sample")
ARCHITECTURE_KEY = "jimu.architecture"
# Metadata that describes the model itself and survives the trip through PyTorch; the optimizer state does not.
KEPT_METADATA = ("format", ARCHITECTURE_KEY, "jimu.classes", "jimu.normalization", "jimu.data")

# ------------------------------------------------------------------------------------------------ safetensors

_TORCH = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
_NAMES = {v: k for k, v in _TORCH.items()}


def read_safetensors(path):
    """({name: tensor}, metadata) of a safetensors file, each tensor in its stored dtype."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    base, tensors = 8 + n, {}
    for name, spec in header.items():
        begin, end = spec["data_offsets"]
        dtype = _TORCH[spec["dtype"]]
        data = bytearray(raw[base + begin:base + end])
        t = torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(spec["shape"]).clone()
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} (float32 or int64, little-endian, names sorted) and metadata; atomically."""
    header, blobs, offset = {"__metadata__": dict(metadata)}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise

# ------------------------------------------------------------------------------------------------ layers


def pair(v, default=None):
    if v is None:
        return default
    return (v, v) if isinstance(v, int) else (v[0], v[0]) if len(v) == 1 else (v[0], v[1])


def resolve_padding(padding, size, kernel, stride):
    """[top, bottom, left, right] for an input of size (H, W), as Jimu's Padding.Resolve (TensorFlow's same/valid)."""
    if padding is None:
        return [0, 0, 0, 0]
    if isinstance(padding, str) and padding.lower() in ("same", "valid"):
        if padding.lower() == "valid":
            return [0, 0, 0, 0]
        out = []
        for i in range(2):
            o = -(-size[i] // stride[i])
            total = max((o - 1) * stride[i] + kernel[i] - size[i], 0)
            out += [total // 2, total - total // 2]
        return out
    if isinstance(padding, str):
        padding = [int(p) for p in padding.split(",")]
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return list(padding)


class Conv2d(nn.Conv2d):
    """nn.Conv2d with Jimu's padding [top, bottom, left, right] (asymmetric for TensorFlow's "same")."""

    def __init__(self, cin, cout, kernel, stride, pads, bias):
        super().__init__(cin, cout, kernel, stride=stride, padding=0, bias=bias)
        self.pads = pads

    def forward(self, x):
        t, b, l, r = self.pads
        return super().forward(F.pad(x, (l, r, t, b)) if any(self.pads) else x)


class Pool2d(nn.Module):
    """Max or average pooling with Jimu's padding: -inf for max (padding never wins), zeros counted for average."""

    def __init__(self, kind, kernel, stride, pads):
        super().__init__()
        self.kind, self.kernel, self.stride, self.pads = kind, kernel, stride, pads

    def forward(self, x):
        t, b, l, r = self.pads
        if any(self.pads):
            x = F.pad(x, (l, r, t, b), value=float("-inf") if self.kind == "max" else 0.0)
        pool = F.max_pool2d if self.kind == "max" else F.avg_pool2d
        return pool(x, self.kernel, self.stride)

    def extra_repr(self):
        return f"{self.kind}, kernel={self.kernel}, stride={self.stride}, pads={self.pads}"


class GlobalAvgPool2d(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class Normalize(nn.Module):
    """(x − mean[c]) · (1 / std[c]) exactly as Jimu computes it; buffers not persistent: not in the state_dict."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("inv", (1 / torch.tensor(std, dtype=torch.float32)).view(1, -1, 1, 1), persistent=False)

    def forward(self, x):
        return (x - self.mean) * self.inv


PREFIX = {"conv2d": "conv", "linear": "fc", "maxpool2d": "pool", "avgpool2d": "pool", "batchnorm2d": "bn",
          "batchnorm1d": "bn", "globalavgpool2d": "gap"}


def build(architecture, normalization=None):
    """nn.Sequential of a Jimu architecture (dict), its modules named as Jimu names its layers."""
    shape = list(architecture["input"])  # C, H, W (or features after flatten)
    modules, counts = OrderedDict(), {}
    if normalization:
        modules["normalization"] = Normalize(normalization["mean"], normalization["std"])
    for spec in architecture["layers"]:
        kind = spec["type"].lower()
        prefix = PREFIX.get(kind, kind)
        name = spec.get("name")
        if name is None:
            counts[prefix] = counts.get(prefix, 0) + 1
            name = f"{prefix}{counts[prefix]}"
        if kind == "conv2d":
            k = pair(spec["kernel"])
            s = pair(spec.get("stride"), (1, 1))
            pads = resolve_padding(spec.get("padding"), shape[1:], k, s)
            m = Conv2d(shape[0], spec["out_channels"], k, s, pads, spec.get("bias", True))
            shape = [spec["out_channels"], (shape[1] + pads[0] + pads[1] - k[0]) // s[0] + 1,
                     (shape[2] + pads[2] + pads[3] - k[1]) // s[1] + 1]
        elif kind in ("maxpool2d", "avgpool2d"):
            k = pair(spec["kernel"])
            s = pair(spec.get("stride"), k)
            pads = resolve_padding(spec.get("padding"), shape[1:], k, s)
            m = Pool2d("max" if kind == "maxpool2d" else "avg", k, s, pads)
            shape = [shape[0], (shape[1] + pads[0] + pads[1] - k[0]) // s[0] + 1,
                     (shape[2] + pads[2] + pads[3] - k[1]) // s[1] + 1]
        elif kind == "linear":
            m = nn.Linear(shape[0], spec["out_features"], bias=spec.get("bias", True))
            shape = [spec["out_features"]]
        elif kind == "flatten":
            m = nn.Flatten()
            shape = [int(torch.tensor(shape).prod())]
        elif kind == "batchnorm2d":
            m = nn.BatchNorm2d(shape[0], eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1))
        elif kind == "batchnorm1d":
            m = nn.BatchNorm1d(shape[0], eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1))
        elif kind == "globalavgpool2d":
            m = GlobalAvgPool2d()
            shape = [shape[0]]
        elif kind == "relu":
            m = nn.ReLU()
        elif kind == "leakyrelu":
            m = nn.LeakyReLU(spec.get("negative_slope", 0.01))
        elif kind == "sigmoid":
            m = nn.Sigmoid()
        elif kind == "tanh":
            m = nn.Tanh()
        elif kind == "dropout":
            m = nn.Dropout(spec.get("p", 0.5))
        else:
            raise SystemExit(f"error: layer type '{spec['type']}' has no PyTorch counterpart in this bridge")
        modules[name] = m
    return nn.Sequential(modules)


def to_torch(path):
    """(nn.Sequential in eval mode with the file's weights, info) for a Jimu .safetensors model file."""
    tensors, metadata = read_safetensors(path)
    if ARCHITECTURE_KEY not in metadata:
        raise SystemExit(f"error: {path} holds no Jimu architecture (jimu.architecture); it is not a Jimu model file")
    architecture = json.loads(metadata[ARCHITECTURE_KEY])
    normalization = json.loads(metadata["jimu.normalization"]) if "jimu.normalization" in metadata else None
    model = build(architecture, normalization)
    state = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, {"architecture": architecture, "metadata": metadata, "dtypes": {k: v.dtype for k, v in state.items()}}


def save_jimu(model, info, path):
    """Writes a torch model built by to_torch as a Jimu model file. Any module whose state_dict has Jimu's names and
    shapes works too, with info = {"architecture": <the Jimu architecture as a dict>, "metadata": {}}."""
    state = model.state_dict()
    tensors = {k: (v.to(torch.int64) if k.endswith("num_batches_tracked") else v.to(torch.float32)) for k, v in state.items()}
    metadata = {k: v for k, v in info["metadata"].items() if k in KEPT_METADATA}
    metadata.setdefault("format", "pt")
    metadata[ARCHITECTURE_KEY] = json.dumps(info["architecture"], separators=(",", ":"))
    write_safetensors(path, tensors, metadata)

# ------------------------------------------------------------------------------------------------ data


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    (magic,) = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def load_split(directory, split):
    def find(kind):
        for suffix in ("", ".gz"):
            p = os.path.join(directory, f"{split}-{kind}-idx{3 if kind == 'images' else 1}-ubyte{suffix}")
            if os.path.exists(p):
                return p
        raise SystemExit(f"error: {directory} has no {split}-{kind} IDX file")
    images = read_idx(find("images")).to(torch.float32).div_(255).unsqueeze(1)
    labels = read_idx(find("labels")).to(torch.int64)
    return images, labels

# ------------------------------------------------------------------------------------------------ commands


def jimu_predict_logits(model_path, images_path):
    out = subprocess.run(["dotnet", CLI_DLL, "predict", "--model", model_path, images_path, "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    return torch.tensor([r["logits"] for r in json.loads(out)], dtype=torch.float32)


def roundtrip(args):
    model, info = to_torch(args.model)
    out = args.out or os.path.join(tempfile.mkdtemp(), "roundtrip.safetensors")
    save_jimu(model, info, out)
    a, meta_a = read_safetensors(args.model)
    b, meta_b = read_safetensors(out)
    a = {k: v for k, v in a.items() if not k.startswith("optimizer.")}
    same = sorted(a) == sorted(b) and all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
                                          and a[k].view(-1).view(torch.uint8).equal(b[k].view(-1).view(torch.uint8))
                                          for k in a)
    kept = {k: v for k, v in meta_a.items() if k in KEPT_METADATA}
    print(f"tensors: {len(a)}, every one bit for bit: {same}; metadata kept: {kept == {k: v for k, v in meta_b.items() if k in KEPT_METADATA}}")
    if os.path.exists(CLI_DLL) and info["architecture"]["input"][0] == 1:
        images = os.path.join(SAMPLE, "t10k-images-idx3-ubyte.gz")
        jimu = jimu_predict_logits(args.model, images)
        x, _ = load_split(SAMPLE, "t10k")
        with torch.no_grad():
            torch_logits = model(x)
        rel = ((torch_logits - jimu).abs().max() / jimu.abs().max()).item()
        agree = (torch_logits.argmax(1) == jimu.argmax(1)).float().mean().item()
        print(f"PyTorch vs jimu predict on {len(x)} test digits: largest logit difference {rel:.2e} of the largest logit, argmax agrees on {agree:.2%}")
    print(f"wrote {out}")
    return 0 if same else 1


def train(args):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    model, info = to_torch(args.model)
    x, y = load_split(args.data, "train")
    tx, ty = load_split(args.data, "t10k")
    if x.shape[1:] != tuple(info["architecture"]["input"]):
        raise SystemExit(f"error: the data's images are {list(x.shape[1:])} but the model takes {info['architecture']['input']}")
    net = DistributedDataParallel(model) if distributed else model
    sampler = DistributedSampler(TensorDataset(x, y), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size // world, sampler=sampler)
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        net.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        model.eval()
        with torch.no_grad():
            acc = (model(tx).argmax(1) == ty).float().mean().item()
        if rank == 0:
            print(f"epoch {epoch + 1}: {world} process(es), train loss {total / count:.4f} (rank 0's shard), test accuracy {acc:.2%}", flush=True)
    if rank == 0:
        save_jimu(model, info, args.out)
        print(f"wrote {args.out}; evaluate it with: jimu eval --model {args.out}")
    if distributed:
        dist.destroy_process_group()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("roundtrip", help="Jimu -> PyTorch -> Jimu, checked bit for bit")
    r.add_argument("model")
    r.add_argument("--out")
    t = sub.add_parser("train", help="continue training under torchrun (DDP, gloo, CPU) and write a Jimu model")
    t.add_argument("--model", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--data", default=SAMPLE)
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--batch-size", type=int, default=64, help="global batch, split over the processes")
    t.add_argument("--lr", type=float, default=0.01)
    t.add_argument("--momentum", type=float, default=0.9)
    t.add_argument("--weight-decay", type=float, default=5e-4)
    t.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return roundtrip(args) if args.command == "roundtrip" else train(args)


if __name__ == "__main__":
    sys.exit(main())
