#!/usr/bin/env bash
# Fuzzes Jimu's parsers with afl++ through SharpFuzz, one target at a time, each for a given time.
#
#   tools/fuzz.sh "TARGET..."|all [SECONDS=600]   (SECONDS per target)
#
# Targets: safetensors, idx, architecture, image, model (see fuzz/Jimu.Fuzz/FuzzTargets.cs).
# Needs afl++ (Debian: apt-get install afl++) and the SharpFuzz tool (`dotnet tool restore` installs it from
# dotnet-tools.json). Seeds come from fuzz/corpus/TARGET; afl's output goes to fuzz/findings/TARGET
# (crashes/, hangs/, fuzzer_stats). A crash is any exception other than the library's own JimuException /
# ShapeException, a hang (over 5 s: the machine is shared) or an allocation past the 1 GiB heap limit set below.
# Replay a finding outside afl: dotnet fuzz/out/Jimu.Fuzz.dll TARGET FILE
# The machine is shared: run it under `nice -n 19`, one target at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: tools/fuzz.sh TARGET|all [SECONDS]}
seconds=${2:-600}
targets=(safetensors idx architecture image model)
[[ $target == all ]] || read -r -a targets <<< "$target"

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
dotnet tool restore >/dev/null

# Build once into fuzz/out and instrument the assemblies that parse input (not the harness, not the framework).
out=fuzz/out
rm -rf "$out"
dotnet publish fuzz/Jimu.Fuzz/Jimu.Fuzz.csproj -c Release -o "$out" --nologo -v quiet
for dll in Jimu.dll Jimu.Cli.dll Jimu.Onnx.dll Google.Protobuf.dll StbImageSharp.dll; do
  dotnet tool run sharpfuzz "$out/$dll" >/dev/null
done

export AFL_SKIP_BIN_CHECK=1          # the binary is `dotnet`; the instrumentation is inside the assemblies
export AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export DOTNET_GCHeapHardLimit=0x40000000   # 1 GiB: an allocation not bounded by the input is an OutOfMemoryException
export DOTNET_TieredCompilation=0

printf '%-13s %10s %8s %8s %6s %6s\n' target executions execs/s paths crashes hangs
for t in "${targets[@]}"; do
  findings=fuzz/findings/$t
  rm -rf "$findings"
  mkdir -p "$findings"
  afl-fuzz -i "fuzz/corpus/$t" -o "$findings" -t 5000 -m none -V "$seconds" -- dotnet "$out/Jimu.Fuzz.dll" "$t" \
    >"$findings/afl.log" 2>&1 || { echo "$t: afl-fuzz failed, see $findings/afl.log" >&2; tail -20 "$findings/afl.log" >&2; continue; }
  stats=$findings/default/fuzzer_stats
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  printf '%-13s %10s %8s %8s %6s %6s\n' "$t" "$(get execs_done)" "$(get execs_per_sec)" "$(get corpus_count)" "$(get saved_crashes)" "$(get saved_hangs)"
done
