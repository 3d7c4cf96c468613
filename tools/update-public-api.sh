#!/usr/bin/env bash
# Adds every public symbol that the build reports as undeclared (RS0016) to its project's PublicAPI.Unshipped.txt, and
# records every declared symbol that no longer exists (RS0017): removed from Unshipped if it was added there, else
# marked *REMOVED* (a shipped symbol), and unmarks a removed symbol that is back, in the analyzer's own notation. Review the diff: a symbol is a promise to users.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(dotnet build Jimu.sln -c Release --no-incremental 2>&1 || true)
sed -n "s/^.* error RS0016: Symbol '\(.*\)' is not part of the declared public API .*\[\(.*\)\/[^/]*\.csproj\]$/\2\t\1/p" <<<"$log" \
  | sort -u | while IFS=$'\t' read -r dir symbol; do printf '%s\n' "$symbol" >> "$dir/PublicAPI.Unshipped.txt"; done
sed -n "s/^.* error RS0017: Symbol '\(.*\)' is part of the declared API, but is either not public or could not be found .*\[\(.*\)\/[^/]*\.csproj\]$/\2\t\1/p" <<<"$log" \
  | sort -u | while IFS=$'\t' read -r dir symbol; do
      f="$dir/PublicAPI.Unshipped.txt"
      if grep -qxF -- "$symbol" "$f"; then grep -vxF -- "$symbol" "$f" > "$f.tmp" || true; mv "$f.tmp" "$f"
      else printf '*REMOVED*%s\n' "$symbol" >> "$f"; fi
    done
# RS0050: a symbol marked *REMOVED* that exists again (shipped as it is now): the mark goes.
sed -n "s/^\(.*\)\/PublicAPI.Unshipped.txt([0-9]*,[0-9]*): error RS0050: Symbol '\(.*\)' is marked as removed but it isn't deleted in source code .*$/\1\t\2/p" <<<"$log" \
  | sort -u | while IFS=$'\t' read -r dir symbol; do
      f="$dir/PublicAPI.Unshipped.txt"; grep -vxF -- "*REMOVED*$symbol" "$f" > "$f.tmp" || true; mv "$f.tmp" "$f"
    done
for f in src/*/PublicAPI.Unshipped.txt; do { head -n 1 "$f"; tail -n +2 "$f" | sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"; done
