#!/usr/bin/env python3
"""Load test for `jimu serve` (on demand; not part of the unit tests).

    python3 tools/serve_load_test.py [--model FILE] [--seconds 30] [--concurrency 32] [--images 100]

1. Writes --images real MNIST test digits from data/mnist-sample as PNG files (28x28 grey).
2. Starts `jimu serve` on a free loopback port and checks that POST /predict answers exactly what
   `jimu predict --format json` prints for the same files (class and every logit, bit for bit), for each file.
3. Runs `hey` (Debian package hey) for --seconds at concurrency 1 and at --concurrency, POSTing one PNG, and
   `wrk` (Debian package wrk) at --concurrency cycling through all the PNGs; prints requests/s, p50 and p99
   latency and the count of non-200 answers, which must be zero.
4. Stops the server with SIGTERM and checks that it exits with 0.
With --batch-window MS the server batches requests dynamically; answers are then checked by class only (a batched
image's logits may differ from a lone one's in the last bits).

Without --model it trains the default model (jimu train, about a minute on 2 cores) into a temporary directory.
The figures depend on the machine; the load generator runs on the same cores as the server.
"""
import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def png(width, height, grey):
    """A minimal 8-bit greyscale PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + grey[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def write_digits(directory, count):
    with gzip.open(os.path.join(ROOT, "data", "mnist-sample", "t10k-images-idx3-ubyte.gz"), "rb") as f:
        data = f.read()
    magic, n, h, w = struct.unpack(">IIII", data[:16])
    assert magic == 0x803, "not an IDX images file"
    paths = []
    for i in range(min(count, n)):
        path = os.path.join(directory, f"digit-{i:03d}.png")
        with open(path, "wb") as f:
            f.write(png(w, h, data[16 + i * h * w:16 + (i + 1) * h * w]))
        paths.append(path)
    return paths


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, path):
    with open(path, "rb") as f:
        request = urllib.request.Request(url, data=f.read(), headers={"Content-Type": "image/png"})
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def post_batch(url, paths):
    boundary = "jimu-load-test-boundary"
    body = b""
    for p in paths:
        with open(p, "rb") as f:
            body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"images\"; filename=\"{p}\"\r\n"
                     f"Content-Type: image/png\r\n\r\n").encode() + f.read() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def hey(url, body, seconds, concurrency):
    out = subprocess.run(["hey", "-z", f"{seconds}s", "-c", str(concurrency), "-m", "POST", "-T", "image/png", "-D", body, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1)) * 1000
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1)) * 1000
    codes = dict((int(c), int(n)) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out))
    errors = sum(n for c, n in codes.items() if c != 200) + len(re.findall(r"^Error distribution", out, re.M))
    return {"requests_per_second": rps, "p50_ms": p50, "p99_ms": p99, "responses": codes, "errors": errors, "raw": out}


def wrk(url, bodies, seconds, concurrency, directory):
    script = os.path.join(directory, "bodies.lua")
    with open(script, "w") as f:
        f.write("local bodies = {}\n")
        for b in bodies:
            f.write(f'do local h = io.open("{b}", "rb"); bodies[#bodies + 1] = h:read("*a"); h:close() end\n')
        f.write('local i = 0\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "image/png"\n'
                "request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n")
    threads = min(4, concurrency)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout

    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = ms(re.search(r"99%\s+(\S+)", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"requests_per_second": rps, "p50_ms": p50, "p99_ms": p99, "errors": non2xx + socket_errors, "raw": out}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="model file (default: train mnist-tf with the default settings)")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--batch-window", type=float, default=0, help="jimu serve --batch-window MS (dynamic batching; 0: off)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    for tool in ("hey", "wrk", "dotnet"):
        if shutil.which(tool) is None:
            sys.exit(f"error: {tool} is not installed (Debian: apt-get install {tool})")

    subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "Jimu.Cli"), "-c", "Release", "-v", "q", "-nologo"], check=True,
                   stdout=subprocess.DEVNULL)
    jimu = ["dotnet", os.path.join(ROOT, "src", "Jimu.Cli", "bin", "Release", "net10.0", "Jimu.Cli.dll")]
    work = tempfile.mkdtemp(prefix="jimu-load-")
    model = args.model
    if model is None:
        model = os.path.join(work, "mnist-tf.safetensors")
        print("training mnist-tf (jimu train) ...", flush=True)
        subprocess.run(jimu + ["train", "--out", model], check=True, stdout=subprocess.DEVNULL)
    images = write_digits(work, args.images)

    port = free_port()
    url = f"http://127.0.0.1:{port}/predict"
    server = subprocess.Popen(jimu + ["serve", "--model", model, "--port", str(port), "--batch-window", str(args.batch_window)],
                              stdout=subprocess.PIPE, text=True)
    try:
        print(server.stdout.readline().strip(), flush=True)
        # Answers equal `jimu predict`: one image at a time bit for bit; the whole set through /predict/batch bit for
        # bit against one `jimu predict` of all files (the same batch); every single answer's class equal to it.
        # (A batch of 100 and a batch of 1 may differ in the last bits: the kernels block the work by batch size.)
        expected = json.loads(subprocess.run(jimu + ["predict", "--model", model, "--format", "json"] + images,
                                             capture_output=True, text=True, check=True).stdout)
        batch = post_batch(url + "/batch", images)
        for e, b in zip(expected, batch) if args.batch_window == 0 else []:
            if (b["class_index"], b["logits"], b["probabilities"]) != (e["class_index"], e["logits"], e["probabilities"]):
                sys.exit(f"error: /predict/batch differs from jimu predict for {e['input']}: {b['logits']} vs {e['logits']}")
        for i, e in enumerate(expected):
            got = post(url, e["input"])
            if got["class_index"] != e["class_index"]:
                sys.exit(f"error: /predict reads {e['input']} as {got['class_index']}, jimu predict as {e['class_index']}")
            if i < 10 and args.batch_window == 0:
                alone = json.loads(subprocess.run(jimu + ["predict", "--model", model, "--format", "json", e["input"]],
                                                  capture_output=True, text=True, check=True).stdout)[0]
                if (got["logits"], got["probabilities"]) != (alone["logits"], alone["probabilities"]):
                    sys.exit(f"error: /predict differs from jimu predict for {e['input']}: {got['logits']} vs {alone['logits']}")
        print(f"/predict/batch equals jimu predict for all {len(expected)} PNGs (class, logits, probabilities); /predict gives the "
              f"same classes for all, and the same logits as jimu predict of the file alone for the first 10", flush=True)

        results = {}
        for _ in range(200):  # warm-up: the runtime's first tiers, connection set-up
            post(url, images[0])
        results["hey c=1"] = hey(url, images[0], args.seconds, 1)
        results[f"hey c={args.concurrency}"] = hey(url, images[0], args.seconds, args.concurrency)
        results[f"wrk c={args.concurrency}, {len(images)} PNGs"] = wrk(url, images, args.seconds, args.concurrency, work)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
        tail = server.stdout.read().strip()
    print(f"server stopped by SIGTERM with exit code {code}: {tail}")

    print(f"\n{'run':<28} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:<28} {r['requests_per_second']:>11.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>7}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({k: {x: v for x, v in r.items() if x != "raw"} for k, r in results.items()}, f, indent=2)
    failed = code != 0 or any(r["errors"] for r in results.values())
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
