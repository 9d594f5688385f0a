#!/usr/bin/env bash
# Proves the shipped program needs nothing beside itself, under exactly the
# permissions and V8 flags the compiled binary bakes in (src/app/permissions.ts,
# printed by deploy/compile.ts): the `deno bundle` output, copied alone into an
# empty directory (no node_modules, no deno.json, no config.yaml, no sql/),
# runs --version and --help, refuses a data directory or config file outside
# its grant with one line (exit 2), loads a file from the fake ipost server
# into PostgreSQL with --once, then runs as a daemon whose /metrics passes
# promtool, whose `healthcheck` command answers 0, and which stops cleanly on
# SIGTERM. A permission the binary lacks fails here, not at a user's. The
# embedded engine cannot run from the bundle (its WASM is not in it): that it
# says so in one line is checked too.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

deno task bundle >/dev/null
work="$(mktemp -d)"
db="tec_bundle_$$"
fake_pid=""
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mapfile -t binary_flags < <(deno run --no-lock deploy/compile.ts --print-flags)
[ "${#binary_flags[@]}" -ge 4 ] || { echo "FAIL: no flags from deploy/compile.ts"; exit 1; }
echo "flags of the binary: ${binary_flags[*]}"
cp dist/tec-pipeline.js "$work/"
cd "$work"
[ "$(ls -A)" = "tec-pipeline.js" ] || { echo "FAIL: the directory is not empty besides the bundle"; exit 1; }
flags=(run --no-config --no-lock "${binary_flags[@]}")
run() { deno "${flags[@]}" tec-pipeline.js "$@"; }

version="$(run --version)"
echo "$version" | grep -Eq '^tec-pipeline [0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL: --version said: $version"; exit 1; }
echo "PASS  --version: $version"
run --help | grep -q -- '--params key=value' || { echo "FAIL: --help"; exit 1; }
echo "PASS  --help"

# Paths outside the grant: one line naming the path and what is allowed, exit 2.
outside="$(mktemp -d)"
status=0
msg="$(DATA_DIR="$outside/data" DB_PORT=1 run --once --params gasDay=2024-01-17 cycle=0 2>&1)" || status=$?
if ! { [ "$status" -eq 2 ] && [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] &&
  printf '%s' "$msg" | grep -q "outside what this program may write (allowed: $work/data"; }; then
  echo "FAIL: DATA_DIR outside the grant: exit $status: $msg"; exit 1
fi
echo "PASS  DATA_DIR outside the grant: $msg"
printf 'log:\n  level: info\n' >"$outside/config.yaml"
status=0
msg="$(run --once --config "$outside/config.yaml" 2>&1)" || status=$?
if ! { [ "$status" -eq 2 ] && printf '%s' "$msg" | grep -q "outside what this program may read"; }; then
  echo "FAIL: --config outside the grant: exit $status: $msg"; exit 1
fi
echo "PASS  --config outside the grant: $msg"
rm -rf "$outside"

# With no database configured the engine is the embedded one, whose WASM and
# data files a one-file bundle cannot carry: one line saying so, exit 1.
status=0
msg="$(unset DATABASE_URL DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD DB_ENGINE
  LOG_FORMAT=json run sql "select 1" 2>&1)" || status=$?
if ! { [ "$status" -eq 1 ] && printf '%s' "$msg" | grep -q '"event":"db.unavailable".*the one-file bundle cannot carry them'; }; then
  echo "FAIL: embedded engine from the bundle: exit $status: $msg"; exit 1
fi
echo "PASS  embedded engine from the bundle: one line, exit 1 (the compiled binary carries it)"

fixture="$repo/tests/fixtures/tw_good_8rows.csv"
deno run -A "$repo/tests/support/serve_fake.ts" "TW|2024-01-17|0=$fixture" >"$work/fake.url" &
fake_pid=$!
for _ in $(seq 1 100); do [ -s "$work/fake.url" ] && break; sleep 0.1; done
api="$(head -1 "$work/fake.url")"
psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null

export API_URL="$api" DB_HOST=127.0.0.1 DB_PORT=5432 DB_NAME="$db" DB_USER=postgres \
  DATA_DIR=data LOG_FORMAT=json
run --once --params gasDay=2024-01-17 cycle=0 2>"$work/once.log" || {
  cat "$work/once.log"; echo "FAIL: --once load"; exit 1;
}
rows="$(psql -h 127.0.0.1 -U postgres -d "$db" -tAc "SELECT count(*) FROM staging.operational_capacity WHERE gas_day = '2024-01-17' AND cycle = 'Timely'")"
[ "$rows" = "8" ] || { echo "FAIL: expected 8 rows, found $rows"; exit 1; }
echo "PASS  --once loaded $rows rows from the fake ipost server (no files beside the bundle)"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export HEALTH_ADDR="127.0.0.1:$port"
deno "${flags[@]}" tec-pipeline.js --params cycle=0 2>"$work/daemon.log" &
daemon_pid=$!
ready=""
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || { cat "$work/daemon.log"; echo "FAIL: /readyz never answered 200"; exit 1; }
echo "PASS  daemon /readyz 200"
run healthcheck || { echo "FAIL: healthcheck command"; exit 1; }
echo "PASS  healthcheck command"
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
grep -q '^tec_files_total' "$work/metrics.txt" || grep -q '^# TYPE tec_files_total counter' "$work/metrics.txt" || {
  echo "FAIL: /metrics lacks tec_files_total"; exit 1;
}
if command -v promtool >/dev/null 2>&1; then
  promtool check metrics <"$work/metrics.txt" || { echo "FAIL: promtool check metrics"; exit 1; }
  echo "PASS  promtool check metrics on the live /metrics"
else
  echo "FAIL: promtool missing (apt-get install prometheus)"; exit 1
fi
curl -fsS "http://127.0.0.1:$port/status" >"$work/status.json"
grep -q '"latest_loads"' "$work/status.json" || { echo "FAIL: /status"; exit 1; }
# The calendar runs on Temporal inside the bundle: the next posting is a real instant.
python3 - "$work/status.json" <<'PY' || { echo "FAIL: /status next_postings (Temporal in the bundle)"; exit 1; }
import json, sys
from datetime import datetime, timezone
due = json.load(open(sys.argv[1]))["next_postings"][0]["due_at"]
t = datetime.fromisoformat(due.replace("Z", "+00:00"))
assert t > datetime.now(timezone.utc), due
PY
echo "PASS  /status (next posting from the Temporal calendar: $(grep -o '"due_at":"[^"]*"' "$work/status.json" | head -1))"
kill -TERM "$daemon_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
[ "$status" -eq 0 ] || { cat "$work/daemon.log"; echo "FAIL: daemon exit $status after SIGTERM"; exit 1; }
echo "PASS  SIGTERM: daemon exit 0"
echo "bundle check: PASS"
