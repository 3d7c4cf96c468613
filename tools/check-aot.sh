#!/usr/bin/env bash
# NativeAOT check: publishes the jimu command as one native file (warnings are errors), then runs `jimu predict` on a
# PNG with it and with the JIT build and requires the same answer. Needs clang and zlib1g-dev (Debian); where clang is
# missing it says so and skips (exit 0). Takes about 2-3 minutes on 2 cores. Usage: tools/check-aot.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang >/dev/null 2>&1; then
  echo "check-aot: SKIPPED: clang is not installed (NativeAOT links with it: apt-get install clang zlib1g-dev)"
  exit 0
fi
out=${1:-$(mktemp -d /tmp/jimu-aot-XXXXXX)}
log="$out.publish.log"
start=$(date +%s)
# -warnaserror: the trimming and AOT analysers' warnings (IL2xxx, IL3xxx) fail the publish, ILC's included.
if ! dotnet publish src/Jimu.Cli -c Release -r linux-x64 -p:PublishAot=true -p:IlcTreatWarningsAsErrors=true -warnaserror -o "$out" >"$log" 2>&1; then
  tail -40 "$log"; echo "check-aot: FAILED: the NativeAOT publish failed (log: $log)"; exit 1
fi
if grep -E "warning (IL|AOT)" "$log"; then echo "check-aot: FAILED: trimming/AOT warnings (log: $log)"; exit 1; fi
[ -x "$out/jimu" ] || { ls -la "$out"; echo "check-aot: FAILED: no native $out/jimu"; exit 1; }
[ "$(head -c 4 "$out/jimu" | od -An -c | tr -d ' \n')" = '177ELF' ] || { echo "check-aot: FAILED: $out/jimu is not a native executable"; exit 1; }
model=tests/Jimu.Tests/Models/fixtures/every-layer-f0baf0c.safetensors
png=fuzz/corpus/image/grey.png
native=$("$out/jimu" predict --model "$model" --format json --top 3 --invert "$png")
jit=$(dotnet src/Jimu.Cli/bin/Release/net10.0/Jimu.Cli.dll predict --model "$model" --format json --top 3 --invert "$png")
# The native file may run other vector paths than the JIT on this CPU (it targets the portable x64 baseline):
# the same class and top 3, logits within 1e-5.
python3 - "$native" "$jit" <<'PY'
import json, sys
a, b = (json.loads(s)[0] for s in sys.argv[1:3])
assert a["class"] == b["class"] and [t["class"] for t in a["top"]] == [t["class"] for t in b["top"]], (a, b)
diff = max(abs(x - y) for x, y in zip(a["logits"], b["logits"]))
assert diff <= 1e-5, f"logits differ by {diff}"
print(f"check-aot: native and JIT agree: class {a['class']}, largest logit difference {diff:.2e}")
PY
# A user error is a one-line error and exit 1 in the native file too (typed exceptions, no reflection).
set +e; err=$("$out/jimu" predict --model /nonexistent.safetensors "$png" 2>&1); code=$?; set -e
[ "$code" = 1 ] && grep -q "^error: " <<<"$err" || { echo "$err"; echo "check-aot: FAILED: a missing model gave exit $code"; exit 1; }
echo "check-aot: OK: $(du -h "$out/jimu" | cut -f1) native jimu, published and checked in $(( $(date +%s) - start )) s"
