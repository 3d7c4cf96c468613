#!/usr/bin/env bash
# Adds every public symbol that the build reports as undeclared (RS0016) to its project's PublicAPI.Unshipped.txt,
# in the analyzer's own notation. Review the diff: a symbol listed there is a promise to users.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build Jimu.sln -c Release 2>&1 \
  | sed -n "s/^.* error RS0016: Symbol '\(.*\)' is not part of the declared public API .*\[\(.*\)\/[^/]*\.csproj\]$/\2\t\1/p" \
  | sort -u | while IFS=$'\t' read -r dir symbol; do printf '%s\n' "$symbol" >> "$dir/PublicAPI.Unshipped.txt"; done
for f in src/*/PublicAPI.Unshipped.txt; do { head -n 1 "$f"; tail -n +2 "$f" | sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"; done
