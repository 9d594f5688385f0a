#!/usr/bin/env bash
# Proves `deno task compile` (the Dockerfile's build step too) runs to the end.
# `deno compile` downloads its `denort` runtime, which this machine cannot
# reach; DENORT_BIN set to the installed `deno` stands in for it. The result
# then behaves as plain `deno`, so this proves the build (type check, module
# graph, embedding, baked flags), not the program: .ci/bundle_check.sh proves
# the program under the same flags. That the binary carries the embedded
# engine's WebAssembly and data files is checked byte for byte (.ci/carries_engine.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
DENORT_BIN="$(readlink -f "$(command -v deno)")"
export DENORT_BIN
start=$(date +%s)
deno task compile --output "$out/tec-pipeline" 2>&1 | tee "$out/compile.log"
# Test-only packages (the browser tests' driver) are not shipped: the compile's listing of embedded files names none.
if sed 's/\x1b\[[0-9;]*m//g' "$out/compile.log" | grep -q 'playwright-core'; then
  echo "FAIL: the binary embeds playwright-core, a test-only package"; exit 1
fi
size=$(stat -c %s "$out/tec-pipeline")
[ "$size" -gt 50000000 ] || { echo "FAIL: compiled file is only $size bytes"; exit 1; }
"$out/tec-pipeline" --version >/dev/null || { echo "FAIL: the compiled file does not start"; exit 1; }
# The embedded engine (PGlite) must run from the binary alone: its WASM and data files are in it.
deno run --allow-read --allow-run .ci/carries_engine.ts "$out/tec-pipeline"
echo "PASS  deno task compile ran to the end in $(($(date +%s) - start)) s: $((size / 1000000)) MB"
