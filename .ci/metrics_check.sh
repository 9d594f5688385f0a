#!/usr/bin/env bash
# Lints the Prometheus exposition of every tec-pipeline metric with a real
# Prometheus client (promtool, from Debian's prometheus package).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# --no-prompt: prom-client reads /proc/self, which Deno would otherwise ask about on a terminal.
deno run --no-prompt tests/health/promtool_check.ts | promtool check metrics
echo "PASS  promtool check metrics (sample of every metric)"
deno run --no-prompt tests/health/promtool_check.ts --empty | promtool check metrics
echo "PASS  promtool check metrics (every family before its first event)"
