#!/usr/bin/python3
"""Check that Jimu computes the same numbers as PyTorch.

Usage:
    /usr/bin/python3 tools/compare_pytorch.py [--keep DIR] [--epochs N | --steps N] [--train N] [--test N]
                                              [--batch-size N] [--configs sgd,nesterov,adam] [--tol 1e-4]

Acceptance criterion checked: from the same initial weights and the same batches (--no-shuffle --dropout 0),
after several steps of SGD with momentum and weight decay (also Nesterov, and Adam with weight decay), every
saved parameter and optimizer buffer matches torch.optim to 1e-4 relative; `jimu predict` logits match
PyTorch's forward to 1e-4; and a plain PyTorch state_dict (safetensors without metadata) loads in Jimu with
--arch and gives PyTorch's logits.

What it does (in a temporary directory, or DIR with --keep):
  1. builds mnist-tf in torch (conv1, conv2, fc1, fc2) with torch.manual_seed initialisation and saves its
     state_dict as a plain safetensors file, init.safetensors;
  2. writes a small MNIST-format data directory (the first --train / --test images of data/mnist-sample);
  3. for each configuration runs `jimu train --init init.safetensors --no-shuffle --dropout 0 ...` and the same
     steps in torch (same batches in order, CrossEntropyLoss, torch.optim.SGD / Adam, train mode, dropout 0);
  4. compares every parameter and optimizer buffer of the saved model with torch's: max |a - b| / max|b|;
  5. compares `jimu predict --format json` logits with torch's eval-mode forward on the test images;
  6. saves torch's trained state_dict (no metadata) and checks `jimu predict --arch mnist-tf` on it;
  7. (batchnorm) the same for mnist-tf-bn against torch.nn.BatchNorm2d/1d from non-trivial BatchNorm state:
     parameters, running_mean, running_var and num_batches_tracked (int64 in both files) after the steps, and
     eval-mode logits, which use the running statistics.
Exit 0 when every check passes, 1 otherwise. Columns: max |a-b| and rel diff = max|a-b| / max|b| of Jimu (a)
against torch float32 (b); t32~t64 and jimu~t64: torch float32 and Jimu against the same run in float64.

Adam: its update lr*m/(sqrt(v)+eps) is ill-conditioned for elements whose gradient is near eps (1e-8): the
float32 rounding of such a gradient changes the step by a sizeable fraction of lr. Torch float32 itself is
~1e-3 (relative) away from torch float64 after one step on fc1.weight / conv2.weight, and changes by as much
with torch's thread count; after that the trajectories diverge. So the Adam trajectory tables are INFO only,
and Adam is checked step by step instead (adam_stepwise): buffers against torch float64 from Jimu's own
previous state, parameters against the Adam rule applied to Jimu's own buffers, both to the tolerance.
(Jimu keeps beta1 and beta2 in double, as torch does, so 1 - beta2 is exactly torch's.)

Momentum buffers: b = mu*b + g holds the last step's gradient almost undamped, and over repeated epochs a
max-pool window (after ReLU) whose two largest values agree to the last bit of float32 meets a different
rounding in Jimu's GEMM and in torch's, so the two can route that gradient to different pixels. The parameters,
which move by lr*b, stay within ~5e-5; the buffers of conv1/conv2 can differ by ~1e-3. Torch float32 does the
same against torch float64 (with --seed 1 and --seed 2 its own buffers are 1.1e-3 and 1.3e-3 away from float64,
while Jimu's are 2.5e-4 and 2.2e-7), so the buffer tables are INFO: shown, with their float64 columns, not checked.

Needs only Debian's python3-torch and python3-numpy (the safetensors format is read and written here) and the
.NET SDK; Jimu is built once with `dotnet build -c Release`.
"""

import argparse
import gzip
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI_DLL = os.path.join(ROOT, "src", "Jimu.Cli", "bin", "Release", "net10.0", "Jimu.Cli.dll")
SAMPLE = os.path.join(ROOT, "data", "mnist-sample")

# ---------------------------------------------------------------------------------------------- safetensors

_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64}


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: float32 array} as safetensors (names sorted, header padded to a multiple of 8)."""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name in sorted(tensors):
        value = np.asarray(tensors[name])
        # int64 stays int64 (BatchNorm's num_batches_tracked, as torch saves it); everything else float32.
        dtype, code = ("<i8", "I64") if value.dtype == np.int64 else ("<f4", "F32")
        a = value.astype(dtype).copy(order="C")  # not ascontiguousarray: it turns a scalar (shape []) into shape [1]
        data = a.tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """Returns ({name: array}, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    base = 8 + n
    out = {}
    for name, spec in header.items():
        begin, end = spec["data_offsets"]
        dt = np.dtype(_DTYPES[spec["dtype"]]).newbyteorder("<")
        values = np.frombuffer(raw[base + begin:base + end], dtype=dt).reshape(spec["shape"])
        out[name] = values.astype(np.int64) if spec["dtype"] == "I64" else values.astype(np.float32)
    return out, metadata

# ---------------------------------------------------------------------------------------------- data


def read_idx_gz(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 | array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.tobytes())


def make_data(directory, n_train, n_test):
    os.makedirs(directory, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = read_idx_gz(os.path.join(SAMPLE, f"{split}-images-idx3-ubyte.gz"))[:n]
        labels = read_idx_gz(os.path.join(SAMPLE, f"{split}-labels-idx1-ubyte.gz"))[:n]
        if len(images) < n:
            sys.exit(f"error: {SAMPLE} has only {len(images)} {split} images, fewer than {n}")
        write_idx(os.path.join(directory, f"{split}-images-idx3-ubyte"), images)
        write_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte"), labels)
        out[split] = (images, labels)
    return out


def to_float(images, how):
    """Pixels in [0, 1] computed in float32 exactly as Jimu does: training data (IdxReader) multiplies by
    1f/255f, `predict` (ImageInput.Prepare) divides by 255f. The two differ in the last bit for some pixels."""
    x = images.astype(np.float32)
    x = x * np.float32(1.0 / 255.0) if how == "mul" else x / np.float32(255.0)
    return torch.from_numpy(x.reshape(-1, 1, 28, 28).copy())

# ---------------------------------------------------------------------------------------------- model


class MnistTf(nn.Module):
    """Jimu's built-in mnist-tf; padding 2 is TensorFlow's "same" for a 5x5 kernel at stride 1."""

    def __init__(self, dropout=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(3136, 512)
        self.fc2 = nn.Linear(512, 10)
        self.dropout = nn.Dropout(dropout)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.dropout(torch.relu(self.fc1(x)))
        return self.fc2(x)


class MnistTfBn(nn.Module):
    """Jimu's built-in mnist-tf-bn: mnist-tf with BatchNorm2d after each convolution and BatchNorm1d after fc1
    (those three layers without bias), as torch.nn.BatchNorm2d/1d (eps 1e-5, momentum 0.1)."""

    def __init__(self, dropout=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(3136, 512, bias=False)
        self.bn3 = nn.BatchNorm1d(512)
        self.fc2 = nn.Linear(512, 10)
        self.dropout = nn.Dropout(dropout)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)
        x = self.dropout(torch.relu(self.bn3(self.fc1(x))))
        return self.fc2(x)


def state_numpy(model):
    """The state_dict as numpy: float32, except int64 buffers (num_batches_tracked) kept int64."""
    return {k: v.detach().cpu().numpy() if v.dtype == torch.int64 else v.detach().cpu().numpy().astype(np.float32)
            for k, v in model.state_dict().items()}

# ---------------------------------------------------------------------------------------------- jimu


def jimu(*args, capture=True):
    cmd = ["dotnet", CLI_DLL, *args]
    r = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        sys.exit(f"error: `{' '.join(cmd)}` failed with exit code {r.returncode}")
    return r.stdout


def predict_logits(model_path, images_path, *extra):
    records = json.loads(jimu("predict", "--model", model_path, *extra, images_path, "--format", "json"))
    records.sort(key=lambda r: r["index"])
    return np.array([r["logits"] for r in records], dtype=np.float32)

# ---------------------------------------------------------------------------------------------- comparison


def rel_diff(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    abs_diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    return abs_diff, abs_diff / max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-12)


class Report:
    def __init__(self, tol):
        self.tol = tol
        self.rows = []  # (section, "PASS" | "FAIL" | "INFO", worst relative difference)

    def table(self, section, pairs, informational=False):
        """Prints a table for pairs [(name, jimu, torch float32, torch float64 or None)] and records a summary row.
        A tensor passes when rel(jimu, torch) <= tol. An informational table is printed but not checked."""
        print(f"{'tensor':<40} {'shape':<16} {'max |a-b|':>11} {'rel diff':>11} {'t32~t64':>11} {'jimu~t64':>11}  ok")
        worst, ok = 0.0, True
        for name, a, b, ref in pairs:
            if a is None or b is None or tuple(a.shape) != tuple(b.shape):
                print(f"{name:<40} {'MISSING/SHAPE':<16} {'-':>11} {'-':>11} {'-':>11} {'-':>11}  FAIL "
                      f"(jimu {None if a is None else a.shape}, torch {None if b is None else b.shape})")
                ok = False
                worst = math.inf
                continue
            abs_d, rel = rel_diff(a, b)
            t_noise = rel_diff(b, ref)[1] if ref is not None else None
            j_ref = rel_diff(a, ref)[1] if ref is not None else None
            good = rel <= self.tol
            ok &= good
            worst = max(worst, rel)
            mark = ("ok" if good else "> tol") if informational else ("ok" if good else "FAIL")
            shape = "[" + ",".join(map(str, b.shape)) + "]"
            fmt = lambda v: f"{v:11.3e}" if v is not None else f"{'-':>11}"
            print(f"{name:<40} {shape:<16} {abs_d:11.3e} {rel:11.3e} {fmt(t_noise)} {fmt(j_ref)}  {mark}")
        self.rows.append((section, "INFO" if informational else "PASS" if ok else "FAIL", worst))
        return ok

    def summary(self):
        print("\n==================== summary ====================")
        for section, verdict, worst in self.rows:
            print(f"{verdict}  {section:<56} max rel diff to torch {worst:.3e}")
        passed = all(v != "FAIL" for _, v, _ in self.rows)
        print(f"\n{'ALL PASS' if passed else 'SOME CHECKS FAILED'} (tolerance {self.tol:g} relative; "
              f"INFO rows are shown, not checked: see the docstring on Adam)")
        return passed


CONFIGS = {
    "sgd": dict(optimizer="sgd", lr=0.01, momentum=0.9, nesterov=False, weight_decay=5e-4),
    "nesterov": dict(optimizer="sgd", lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4),
    "adam": dict(optimizer="adam", lr=1e-3, momentum=0.0, nesterov=False, weight_decay=5e-4),
}


def torch_train(init_state, data, cfg, epochs, batch_size, dtype=torch.float32, net=MnistTf):
    model = net(dropout=0.0).to(dtype)
    model.load_state_dict({k: torch.from_numpy(v.copy()) if v.dtype == np.int64 else torch.from_numpy(v.copy()).to(dtype)
                           for k, v in init_state.items()})
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
                              nesterov=cfg["nesterov"], weight_decay=cfg["weight_decay"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    loss_fn = nn.CrossEntropyLoss()
    images, labels = data
    x_all = to_float(images, "mul").to(dtype)
    y_all = torch.from_numpy(labels.astype(np.int64))
    n = len(x_all)
    model.train()
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            x, y = x_all[start:start + batch_size], y_all[start:start + batch_size]
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    names = dict(model.named_parameters())
    buffers = {}
    for name, p in names.items():
        for key, value in opt.state[p].items():
            if key != "step" and torch.is_tensor(value):
                buffers[f"optimizer.{name}.{key}"] = value.detach().numpy()
    return model, buffers



def adam_stepwise(report, work, train, init_path, init_state, cfg, args):
    """Adam, one step at a time from Jimu's own state (well conditioned, unlike the trajectory comparison).

    A data set of one batch makes every epoch one step; Jimu trains 1 epoch, then `--resume`s one epoch at a
    time, saving parameters and exp_avg / exp_avg_sq after each step. For step t, torch (float64) starts from
    Jimu's state after step t-1 (or init.safetensors) and takes one torch.optim.Adam step on the batch:
    * exp_avg and exp_avg_sq must match torch's (they are linear in the gradient: checks the gradients);
    * the parameters must match the Adam rule applied, in float64, to Jimu's own previous parameters and new
      exp_avg / exp_avg_sq: theta - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). Comparing them with torch's
      parameters directly is ill-conditioned where |g| ~ eps (see the docstring)."""
    directory = os.path.join(work, "adam-steps")
    images, labels = train
    os.makedirs(directory, exist_ok=True)
    write_idx(os.path.join(directory, "train-images-idx3-ubyte"), images[:args.batch_size])
    write_idx(os.path.join(directory, "train-labels-idx1-ubyte"), labels[:args.batch_size])
    write_idx(os.path.join(directory, "t10k-images-idx3-ubyte"), images[:args.batch_size])
    write_idx(os.path.join(directory, "t10k-labels-idx1-ubyte"), labels[:args.batch_size])
    x = to_float(images[:args.batch_size], "mul").double()
    y = torch.from_numpy(labels[:args.batch_size].astype(np.int64))
    lr, wd, b1, b2, eps = cfg["lr"], cfg["weight_decay"], 0.9, 0.999, 1e-8
    prev_params, prev_buffers = init_state, None
    steps = max(2, min(args.adam_steps, 8))
    print(f"\nAdam step by step ({steps} steps on one batch; torch float64 from Jimu's previous state):", flush=True)
    for t in range(1, steps + 1):
        path = os.path.join(directory, f"step{t}.safetensors")
        common = ["--data", directory, "--no-shuffle", "--dropout", "0", "--shift", "0", "--epochs", str(t),
                  "--batch-size", str(args.batch_size), "--lr", repr(lr), "--weight-decay", repr(wd),
                  "--schedule", "constant", "--optimizer", "adam", "--out", path]
        if t == 1:
            jimu("train", "--arch", "mnist-tf", "--init", init_path, *common)
        else:
            shutil.copyfile(os.path.join(directory, f"step{t - 1}.safetensors"), path)
            jimu("train", "--resume", path, *common)
        saved, _ = load_safetensors(path)

        model = MnistTf(dropout=0.0).double()
        model.load_state_dict({k: torch.from_numpy(prev_params[k].astype(np.float64)) for k in init_state})
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
        if prev_buffers is not None:
            for name, p in model.named_parameters():
                opt.state[p] = {"step": torch.tensor(float(t - 1)),
                                "exp_avg": torch.from_numpy(prev_buffers[f"optimizer.{name}.exp_avg"].astype(np.float64)),
                                "exp_avg_sq": torch.from_numpy(prev_buffers[f"optimizer.{name}.exp_avg_sq"].astype(np.float64))}
        model.train()
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        opt.step()

        buffer_pairs, rule_pairs = [], []
        for name, p in model.named_parameters():
            for key in ("exp_avg", "exp_avg_sq"):
                k = f"optimizer.{name}.{key}"
                buffer_pairs.append((k, saved.get(k), opt.state[p][key].detach().numpy(), None))
            m = saved[f"optimizer.{name}.exp_avg"].astype(np.float64)
            v = saved[f"optimizer.{name}.exp_avg_sq"].astype(np.float64)
            rule = prev_params[name].astype(np.float64) - lr / (1 - b1 ** t) * m / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)
            rule_pairs.append((name, saved.get(name), rule, None))
        print(f"step {t}: exp_avg / exp_avg_sq (jimu vs torch float64 from the same state):")
        report.table(f"adam step {t}: exp_avg, exp_avg_sq", buffer_pairs)
        print(f"step {t}: parameters (jimu vs the Adam rule applied to jimu's previous parameters and new buffers):")
        report.table(f"adam step {t}: parameters (update rule)", rule_pairs)
        prev_params = {k: saved[k] for k in init_state}
        prev_buffers = {k: v for k, v in saved.items() if k.startswith("optimizer.")}


def batchnorm_check(report, work, data, data_dir, test_images_path, args):
    """mnist-tf-bn against torch.nn.BatchNorm2d/1d: SGD steps in train mode (batch statistics), then the
    parameters, running_mean, running_var and num_batches_tracked, and eval-mode logits (running statistics)."""
    cfg = CONFIGS["sgd"]
    print("\n==================== batchnorm: mnist-tf-bn, sgd lr 0.01 momentum 0.9 wd 0.0005 ====================", flush=True)
    torch.manual_seed(args.seed + 1)
    init = MnistTfBn()
    # Non-trivial starting statistics and affine parameters, so that every term of the update is exercised.
    with torch.no_grad():
        for bn in (init.bn1, init.bn2, init.bn3):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
            bn.running_mean.uniform_(-0.1, 0.1)
            bn.running_var.uniform_(0.5, 2.0)
            bn.num_batches_tracked.fill_(3)
    init_state = state_numpy(init)
    init_path = os.path.join(work, "init-bn.safetensors")
    save_safetensors(init_path, init_state)
    out = os.path.join(work, "jimu-bn.safetensors")
    jimu("train", "--arch", "mnist-tf-bn", "--data", data_dir, "--init", init_path, "--no-shuffle", "--dropout", "0",
         "--shift", "0", "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--lr", repr(cfg["lr"]),
         "--momentum", repr(cfg["momentum"]), "--weight-decay", repr(cfg["weight_decay"]), "--schedule", "constant",
         "--optimizer", "sgd", "--out", out)
    model, _ = torch_train(init_state, data["train"], cfg, args.epochs, args.batch_size, net=MnistTfBn)
    model64, _ = torch_train(init_state, data["train"], cfg, args.epochs, args.batch_size, torch.float64, net=MnistTfBn)
    saved, _ = load_safetensors(out)
    torch_state = state_numpy(model)
    state64 = {k: v.detach().numpy() for k, v in model64.state_dict().items()}
    print("parameters and BatchNorm buffers (running_mean, running_var, num_batches_tracked) after training:")
    report.table("batchnorm: parameters and running statistics",
                 [(k, saved.get(k), v, state64[k]) for k, v in torch_state.items()])
    check = MnistTfBn()
    check.load_state_dict({k: torch.from_numpy(saved[k].copy()) for k in torch_state})
    check.eval()
    with torch.no_grad():
        torch_logits = check(to_float(data["t10k"][0], "div")).numpy()
    print("predict logits in evaluation mode (running statistics): jimu predict vs torch eval forward, same weights:")
    report.table("batchnorm: predict logits (running statistics)",
                 [(f"logits ({args.test} test images)", predict_logits(out, test_images_path), torch_logits, None)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files (default: a temporary directory)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--steps", type=int, help="train exactly N steps (one epoch of N batches; overrides --epochs/--train)")
    ap.add_argument("--train", type=int, default=256, help="training images (default 256)")
    ap.add_argument("--test", type=int, default=256, help="test images (default 256)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed for the initial weights")
    ap.add_argument("--configs", default="sgd,nesterov,adam,batchnorm", help="comma-separated: " + ",".join(CONFIGS) + ",batchnorm")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--adam-steps", type=int, default=3, help="steps of the step-by-step Adam check (2-8, default 3)")
    ap.add_argument("--no-build", action="store_true", help="skip `dotnet build -c Release`")
    args = ap.parse_args()
    if args.steps:
        args.epochs, args.train = 1, args.steps * args.batch_size
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    configs_extra = [c for c in configs if c == "batchnorm"]
    configs = [c for c in configs if c != "batchnorm"]
    for c in configs:
        if c not in CONFIGS:
            sys.exit(f"error: unknown configuration '{c}'; choose from {', '.join(CONFIGS)}")

    torch.set_num_threads(1)  # torch float32 results depend on the thread count; keep them reproducible
    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="jimu-torchcmp-")
    os.makedirs(work, exist_ok=True)
    try:
        if not args.no_build:
            print("building Jimu (dotnet build -c Release) ...", flush=True)
            r = subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "Jimu.Cli"), "-c", "Release", "-v", "q", "-nologo"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                sys.stdout.write(r.stdout)
                sys.exit("error: dotnet build failed")

        data_dir = os.path.join(work, "data")
        data = make_data(data_dir, args.train, args.test)
        test_images_path = os.path.join(data_dir, "t10k-images-idx3-ubyte")
        steps_per_epoch = (args.train + args.batch_size - 1) // args.batch_size
        print(f"work directory: {work}")
        print(f"torch {torch.__version__}, numpy {np.__version__}; {args.train} train / {args.test} test images, "
              f"batch {args.batch_size}, {args.epochs} epoch(s) = {args.epochs * steps_per_epoch} steps")

        torch.manual_seed(args.seed)
        init_state = state_numpy(MnistTf())
        init_path = os.path.join(work, "init.safetensors")
        save_safetensors(init_path, init_state)

        report = Report(args.tol)
        x_test = to_float(data["t10k"][0], "div")
        for name in configs:
            cfg = CONFIGS[name]
            label = f"{name}: {cfg['optimizer']} lr {cfg['lr']:g}" + (
                f" momentum {cfg['momentum']:g}" if cfg["optimizer"] == "sgd" else "") + (
                " nesterov" if cfg["nesterov"] else "") + f" wd {cfg['weight_decay']:g}"
            print(f"\n==================== {label} ====================", flush=True)
            out = os.path.join(work, f"jimu-{name}.safetensors")
            train_args = ["train", "--arch", "mnist-tf", "--data", data_dir, "--init", init_path,
                          "--no-shuffle", "--dropout", "0", "--shift", "0", "--epochs", str(args.epochs),
                          "--batch-size", str(args.batch_size), "--lr", repr(cfg["lr"]),
                          "--weight-decay", repr(cfg["weight_decay"]), "--schedule", "constant",
                          "--optimizer", cfg["optimizer"], "--out", out]
            if cfg["optimizer"] == "sgd":
                train_args += ["--momentum", repr(cfg["momentum"])]
            if cfg["nesterov"]:
                train_args.append("--nesterov")
            jimu(*train_args)

            model, torch_buffers = torch_train(init_state, data["train"], cfg, args.epochs, args.batch_size)
            model64, buffers64 = torch_train(init_state, data["train"], cfg, args.epochs, args.batch_size, torch.float64)
            noisy = cfg["optimizer"] == "adam"
            saved, _ = load_safetensors(out)
            torch_params = state_numpy(model)
            params64 = {k: v.detach().numpy() for k, v in model64.state_dict().items()}
            params = [(k, saved.get(k), v, params64[k]) for k, v in torch_params.items()]
            extra = sorted(k for k in saved if not k.startswith("optimizer.") and k not in torch_params)
            params += [(k, saved[k], None, None) for k in extra]
            print(f"parameters after {args.epochs * steps_per_epoch} steps (jimu vs torch.optim float32; "
                  f"t32~t64, jimu~t64: relative to the same run in float64):")
            report.table(f"{name}: parameters" + (" (8-step trajectory)" if noisy else ""), params, informational=noisy)

            buffer_names = sorted(set(torch_buffers) | {k for k in saved if k.startswith("optimizer.")})
            print("optimizer buffers:")
            # The buffers hold the last step's gradient, which a max-pool window whose two largest values agree to
            # the last bit can route either way: see "Momentum buffers" in the docstring. INFO for that reason.
            report.table(f"{name}: optimizer buffers" + (" (8-step trajectory)" if noisy else ""),
                         [(k, saved.get(k), torch_buffers.get(k), buffers64.get(k)) for k in buffer_names], informational=True)
            if noisy:
                adam_stepwise(report, work, data["train"], init_path, init_state, cfg, args)

            # predict = forward only: Jimu's saved weights through torch's eval-mode forward.
            check = MnistTf()
            check.load_state_dict({k: torch.from_numpy(saved[k].copy()) for k in torch_params})
            check.eval()
            with torch.no_grad():
                torch_logits = check(x_test).numpy()
            print("predict logits (jimu predict on jimu's trained file vs torch eval forward with the same weights):")
            report.table(f"{name}: predict logits (jimu model file)",
                         [(f"logits ({args.test} test images)", predict_logits(out, test_images_path), torch_logits, None)])

            model.eval()
            with torch.no_grad():
                torch_logits = model(x_test).numpy()
            torch_path = os.path.join(work, f"torch-{name}.safetensors")
            save_safetensors(torch_path, torch_params)
            print("predict logits (torch's trained state_dict, no metadata, --arch mnist-tf, vs torch eval forward):")
            report.table(f"{name}: predict logits (torch state_dict)",
                         [(f"logits ({args.test} test images)",
                           predict_logits(torch_path, test_images_path, "--arch", "mnist-tf"), torch_logits, None)])

        if "batchnorm" in configs_extra:
            batchnorm_check(report, work, data, data_dir, test_images_path, args)
        passed = report.summary()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
