#!/usr/bin/env bash
# The ARM64 leg of CI, on an x86 machine: the test project (xunit v3 builds an executable) and the CLI are published
# self-contained for linux-arm64 (the runtime packs come from NuGet) and run under qemu-aarch64-static.
#   1. the kernel, layer and loss tests (every fast path against its reference, the finite-difference gradient
#      checks) run on ARM64, where the kernels take their 128-bit (NEON) paths: JIMU_EXPECT_KERNELS=Vector128 makes
#      Kernels.CpuPathTests fail if another path ran;
#   2. `jimu train --epochs 1` on the first 320 training and 64 test images of the bundled sample gives the same
#      train and test loss under qemu as on this machine, to 1e-5.
# Needs qemu-user-static, libc6:arm64, libstdc++6:arm64 and libssl3:arm64 (xunit hashes test IDs with OpenSSL);
# .ci/run installs them. Takes a few minutes. Usage: tools/arm64-leg.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$(mktemp -d /tmp/jimu-arm64.XXXXXX)
trap 'rm -rf "$out"' EXIT

# .NET's write-xor-execute double mapping of JIT code is not followed by qemu-user: without this, reflection and
# attribute reads fail at random inside the emulator ("'AllowMultiple' property specified was not found").
export DOTNET_EnableWriteXorExecute=0
qemu=qemu-aarch64-static

# Its own artifacts folder, so that the linux-arm64 restore and build leave the x86 build's bin/ and obj/ alone.
publish() {
  dotnet publish "$1" -c Release -r linux-arm64 --self-contained -o "$2" --artifacts-path "$out/artifacts" \
    >"$out/publish.log" 2>&1 || { cat "$out/publish.log"; exit 1; }
}

echo "arm64: publishing the tests and the CLI for linux-arm64"
publish tests/Jimu.Tests "$out/tests"
publish src/Jimu.Cli "$out/cli"

echo "arm64: kernel, layer and loss tests under qemu"
JIMU_EXPECT_KERNELS=Vector128 "$qemu" "$out/tests/Jimu.Tests" -noColor -noLogo \
  -namespace 'Jimu.Tests.Kernels' -namespace 'Jimu.Tests.Layers' -namespace 'Jimu.Tests.Losses'

echo "arm64: jimu train --epochs 1 on a 320-image subset (qemu emulates NEON arithmetic in software), x86 and under qemu"
python3 - "$root/data/mnist-sample" "$out/data" <<'EOF'
import gzip, os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
def cut(name, n, header):
    with gzip.open(os.path.join(src, name + '.gz'), 'rb') as f: data = f.read()
    magic, count = struct.unpack('>II', data[:8])
    per = (len(data) - header) // count
    with open(os.path.join(dst, name), 'wb') as f:
        f.write(struct.pack('>II', magic, n) + data[8:header] + data[header:header + n * per])
cut('train-images-idx3-ubyte', 320, 16); cut('train-labels-idx1-ubyte', 320, 8)
cut('t10k-images-idx3-ubyte', 64, 16); cut('t10k-labels-idx1-ubyte', 64, 8)
EOF
cli=src/Jimu.Cli/bin/Release/net10.0/Jimu.Cli
[ "${1:-}" = "--no-build" ] || dotnet build src/Jimu.Cli -c Release >/dev/null
args=(train --epochs 1 --data "$out/data" --threads 2)
"$cli" "${args[@]}" --out "$out/x86.safetensors" --log "$out/x86.jsonl" >/dev/null
"$qemu" "$out/cli/Jimu.Cli" "${args[@]}" --out "$out/arm64.safetensors" --log "$out/arm64.jsonl"
python3 - "$out/x86.jsonl" "$out/arm64.jsonl" <<'EOF'
import json, sys
x86, arm = (json.loads(open(p).read().splitlines()[-1]) for p in sys.argv[1:3])
bad = False
for key in ('train_loss', 'test_loss'):
    diff = abs(x86[key] - arm[key])
    print(f"arm64: {key} x86 {x86[key]:.9f}  arm64 {arm[key]:.9f}  |diff| {diff:.2e}")
    bad |= not diff <= 1e-5
sys.exit("arm64: the losses differ by more than 1e-5" if bad else 0)
EOF
echo "arm64: passed"
