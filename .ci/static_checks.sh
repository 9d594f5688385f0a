#!/usr/bin/env bash
# Static checks of the deployment files (no Docker engine, no running systemd
# needed). Run from the repository root:  bash .ci/static_checks.sh
#
#   compose     docker-compose (Debian's 1.29) validates compose.yaml using only
#               .env.example values, plus structural rules (no `version:`, no
#               published postgres port, no container_name, loopback health
#               port, service_healthy dependency, pg_isready, no DROP; pgadmin
#               pinned, only in profile `pgadmin`, on 127.0.0.1 only, pointed
#               at the postgres service); then docker-compose 1.29's own
#               project code (it knows `profiles:`, Compose >= 1.28) says which
#               services `up` starts with and without `--profile pgadmin`,
#               with a stand-in client (no engine needed)
#   systemd     systemd-analyze verify on a copy of the unit (ExecStart ->
#               /bin/true, EnvironmentFile -> a temp file), plus required
#               hardening lines and an offline `systemd-analyze security` score
#   shell       bash -n and shellcheck on deploy/install.sh and .ci/*.sh
#   dockerfile  rule checks (distroless nonroot runtime, HEALTHCHECK, baked
#               permissions); hadolint is not obtainable here (not in Debian
#               12's archive or on npm), so a parser-based lint uses npm's
#               dockerfile-utils when npm can fetch it
#   env         .env.example complete and placeholder-only; .env git-ignored
#
# Installs missing tools quietly with apt-get (CI runs as root). Prints one
# PASS/FAIL line per check; exits 1 if any check failed.
set -euo pipefail

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

FAILED=0
RESULTS=()
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { RESULTS+=("PASS  $1"); printf 'PASS  %s\n' "$1"; }
fail() { RESULTS+=("FAIL  $1"); printf 'FAIL  %s\n' "$1"; FAILED=1; }
skip() { RESULTS+=("SKIP  $1"); printf 'SKIP  %s\n' "$1"; }

# check NAME COMMAND...: run it, output shown only on failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass "$name"
  else
    fail "$name"
    printf '%s\n' "$out" | sed 's/^/      /'
  fi
}

APT_UPDATED=0
apt_install() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

ensure_tool() { # COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "static_checks: $1 missing and cannot apt-get install $2 (not root or no apt)" >&2
    return 1
  fi
  apt_install "$2" || { echo "static_checks: apt-get install $2 failed" >&2; return 1; }
  command -v "$1" >/dev/null 2>&1
}

TOOLS_OK=1
for pair in docker-compose:docker-compose shellcheck:shellcheck systemd-analyze:systemd python3:python3; do
  ensure_tool "${pair%%:*}" "${pair#*:}" || TOOLS_OK=0
done
if [[ $TOOLS_OK -eq 1 ]]; then
  pass "tools: docker-compose, shellcheck, systemd-analyze, python3"
else
  fail "tools: docker-compose, shellcheck, systemd-analyze, python3"
fi

# ------------------------------------------------------------------ compose
compose_config() {
  # A scratch project directory holding compose.yaml and .env = .env.example,
  # so `env_file: .env` and ${VAR:?} interpolation see only the template.
  mkdir -p "$TMP/compose" || return 1
  cp compose.yaml "$TMP/compose/compose.yaml" || return 1
  cp .env.example "$TMP/compose/.env" || return 1
  docker-compose -f "$TMP/compose/compose.yaml" --project-directory "$TMP/compose" \
    --env-file "$TMP/compose/.env" config -q || return 1
  docker-compose -f "$TMP/compose/compose.yaml" --project-directory "$TMP/compose" \
    --env-file "$TMP/compose/.env" config >"$TMP/compose/resolved.yaml"
}

compose_rules() {
  python3 - compose.yaml "$TMP/compose/resolved.yaml" <<'PY'
import json, re, sys, yaml
src_path, resolved_path = sys.argv[1], sys.argv[2]
src = yaml.safe_load(open(src_path))
res = yaml.safe_load(open(resolved_path))
errors = []
if "version" in src:
    errors.append("compose.yaml has a `version:` key (Compose spec files need none)")
svcs = res.get("services", {})
for name in ("postgres", "tec-pipeline"):
    if name not in svcs:
        errors.append(f"service {name} missing")
pg = svcs.get("postgres", {})
app = svcs.get("tec-pipeline", {})
if pg.get("ports"):
    errors.append("postgres publishes ports: it must not")
if not str(pg.get("image", "")).startswith("postgres:"):
    errors.append("postgres image is not postgres:<major>")
hc = pg.get("healthcheck", {}).get("test", [])
if "pg_isready" not in " ".join(hc if isinstance(hc, list) else [hc]):
    errors.append("postgres healthcheck does not use pg_isready")
if not any("/var/lib/postgresql" in str(v) for v in pg.get("volumes", [])):
    errors.append("postgres has no volume for its data")
for n, s in svcs.items():
    if "container_name" in s:
        errors.append(f"{n} sets container_name (breaks --scale)")
dep = app.get("depends_on", {})
if not (isinstance(dep, dict) and dep.get("postgres", {}).get("condition") == "service_healthy"):
    errors.append("tec-pipeline must depend on postgres with condition service_healthy")
if app.get("restart") != "unless-stopped":
    errors.append("tec-pipeline restart is not unless-stopped")
if "build" not in app:
    errors.append("tec-pipeline is not built from the Dockerfile")
env = app.get("environment", {})
if env.get("DB_HOST") != "postgres":
    errors.append("tec-pipeline DB_HOST is not postgres")
for p in app.get("ports", []):
    p = str(p)
    if not p.startswith("127.0.0.1:"):
        errors.append(f"tec-pipeline publishes {p}: bind to 127.0.0.1 by default")
if not any("/var/lib/tec-pipeline" in str(v) for v in app.get("volumes", [])):
    errors.append("tec-pipeline has no volume for /var/lib/tec-pipeline")
if "healthcheck" in app and app["healthcheck"].get("disable"):
    errors.append("tec-pipeline disables the image healthcheck")
# pgAdmin: optional, pinned, loopback only, credentials from .env, aimed at postgres.
pga = svcs.get("pgadmin")
if pga is None:
    errors.append("service pgadmin missing")
else:
    if pga.get("profiles") != ["pgadmin"]:
        errors.append(f"pgadmin must be only in profile pgadmin, has profiles {pga.get('profiles')}")
    if not re.fullmatch(r"dpage/pgadmin4:\d+(\.\d+)+", str(pga.get("image", ""))):
        errors.append(f"pgadmin image must be dpage/pgadmin4:<pinned version>, is {pga.get('image')}")
    if not pga.get("ports"):
        errors.append("pgadmin publishes no port")
    for p in pga.get("ports", []):
        host = p.get("host_ip") if isinstance(p, dict) else str(p).split(":")[0]
        if host != "127.0.0.1":
            errors.append(f"pgadmin publishes {p}: only on 127.0.0.1")
    src_env = src.get("services", {}).get("pgadmin", {}).get("environment", {})
    for k in ("PGADMIN_DEFAULT_EMAIL", "PGADMIN_DEFAULT_PASSWORD"):
        # From .env, with no default value (a plain `up` must not need them:
        # pgAdmin's entrypoint refuses to start without them instead).
        if not re.fullmatch(r"\$\{[A-Z_]+:-\}", str(src_env.get(k, ""))):
            errors.append(f"pgadmin {k} must come from .env as ${{VAR:-}}")
    entry = " ".join(src.get("services", {}).get("pgadmin", {}).get("entrypoint", []))
    if "PGADMIN_DEFAULT_EMAIL" not in entry or "change-me" not in entry:
        errors.append("pgadmin entrypoint must refuse an unset email and an unset or placeholder password")
    try:
        servers = json.loads(pga.get("environment", {}).get("TEC_PGADMIN_SERVERS", ""))["Servers"]
        if not servers or any(v.get("Host") != "postgres" or v.get("Port") != 5432 for v in servers.values()):
            errors.append("pgadmin's servers must be the postgres service on port 5432")
        if any("Password" in v for v in servers.values()):
            errors.append("pgadmin's server list must not hold a password")
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        errors.append(f"pgadmin TEC_PGADMIN_SERVERS is not a servers.json document: {e}")
for n, s in svcs.items():
    if n != "pgadmin" and "pgadmin" in (s.get("depends_on") or {}):
        errors.append(f"{n} depends on pgadmin (would pull the optional profile in)")
text = open(src_path).read()
code = "\n".join(l.split("#", 1)[0] if not l.lstrip().startswith("--") else "" for l in text.splitlines())
if re.search(r"\bdrop\s+(table|database|schema|role|owned|user)\b", code, re.I):
    errors.append("compose.yaml contains a DROP statement")
if re.search(r"\bSUPERUSER\b", code.replace("NOSUPERUSER", "")):
    errors.append("compose.yaml grants SUPERUSER")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY
}

# Which services `docker-compose up` would start, by docker-compose 1.29's own
# Project code run with its own interpreter. Its client is only asked whether
# networks and volumes exist; the stand-in says "not yet" (a fresh host).
compose_profiles() {
  local shebang interp
  shebang=$(head -n 1 "$(command -v docker-compose)")
  read -ra interp <<<"${shebang#\#!}"
  [[ ${#interp[@]} -gt 0 && -x ${interp[0]} ]] || { echo "cannot find docker-compose's python ($shebang)"; return 1; }
  "${interp[@]}" - "$TMP/compose" <<'PY'
import sys
from docker.errors import NotFound
from compose.config import config
from compose.config.environment import Environment
from compose.project import Project

class NoEngine:
    def __getattr__(self, name):
        def missing(*args, **kwargs):
            raise NotFound(f"{name}: static check, no engine")
        return missing

d = sys.argv[1]
cfg = config.load(config.find(d, [f"{d}/compose.yaml"], Environment.from_env_file(d)))
want = {(): ["postgres", "tec-pipeline"], ("pgadmin",): ["pgadmin", "postgres", "tec-pipeline"]}
bad = 0
for profiles, expected in want.items():
    p = Project.from_config("tec", cfg, NoEngine(), enabled_profiles=list(profiles))
    got = sorted(s.name for s in p.get_services())
    if got != expected:
        flag = " ".join(f"--profile {x}" for x in profiles) or "no profile"
        print(f"up with {flag} starts {got}, expected {expected}")
        bad = 1
sys.exit(bad)
PY
}

if command -v docker-compose >/dev/null 2>&1; then
  check "compose: docker-compose config -q with .env.example values" compose_config
  if [[ -s $TMP/compose/resolved.yaml ]]; then
    check "compose: structure (no version, postgres unpublished, no container_name, healthy dependency, loopback ports, pgadmin pinned in its profile, no DROP)" compose_rules
    check "compose: docker-compose 1.29 profiles: up starts postgres + tec-pipeline; --profile pgadmin adds pgadmin" compose_profiles
  else
    fail "compose: structure (config did not resolve)"
  fi
else
  fail "compose: docker-compose not available"
fi

# ------------------------------------------------------------------ systemd
UNIT=deploy/tec-pipeline.service
systemd_verify() {
  mkdir -p "$TMP/unit" || return 1
  : >"$TMP/unit/tec-pipeline.env" || return 1
  sed -e 's#^ExecStart=/usr/local/bin/tec-pipeline#ExecStart=/bin/true#' \
    -e "s#^EnvironmentFile=.*#EnvironmentFile=$TMP/unit/tec-pipeline.env#" \
    "$UNIT" >"$TMP/unit/tec-pipeline.service" || return 1
  grep -q '^ExecStart=/bin/true ' "$TMP/unit/tec-pipeline.service" || { echo "ExecStart not rewritten"; return 1; }
  local out
  out=$(systemd-analyze verify "$TMP/unit/tec-pipeline.service" 2>&1) || { echo "$out"; return 1; }
  # verify exits 0 on some warnings; treat any line about our unit as a failure.
  if grep -i 'tec-pipeline' <<<"$out"; then return 1; fi
}

systemd_rules() {
  local missing=0 line
  for line in \
    'ExecStart=/usr/local/bin/tec-pipeline --config /etc/tec-pipeline/config.yaml' \
    'EnvironmentFile=/etc/tec-pipeline/tec-pipeline.env' \
    'Environment=DATA_DIR=%S/tec-pipeline' \
    'StateDirectory=tec-pipeline' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
    'Restart=on-failure' 'TimeoutStopSec=45' 'KillSignal=SIGTERM' \
    'ProtectKernelTunables=yes' 'ProtectControlGroups=yes' \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'LockPersonality=yes' \
    'RestrictRealtime=yes' 'SystemCallArchitectures=native' 'CapabilityBoundingSet=' \
    'After=network-online.target postgresql.service' 'Wants=network-online.target'; do
    grep -qxF "$line" "$UNIT" || { echo "missing: $line"; missing=1; }
  done
  grep -q '^RestartSec=' "$UNIT" || { echo "missing: RestartSec="; missing=1; }
  if grep -q '^MemoryDenyWriteExecute=' "$UNIT"; then
    echo "MemoryDenyWriteExecute must not be set (V8 JIT needs W+X pages)"
    missing=1
  fi
  return "$missing"
}

systemd_security() {
  # Offline exposure score (0 = locked down, 10 = unprotected); fail above 3.
  systemd-analyze security --offline=yes --threshold=30 --no-pager \
    "$TMP/unit/tec-pipeline.service" | tail -n 1
  local rc=${PIPESTATUS[0]}
  return "$rc"
}

if command -v systemd-analyze >/dev/null 2>&1; then
  check "systemd: systemd-analyze verify $UNIT (copy, ExecStart=/bin/true)" systemd_verify
  check "systemd: required directives present, no MemoryDenyWriteExecute" systemd_rules
  if [[ -f $TMP/unit/tec-pipeline.service ]]; then
    if out=$(systemd_security 2>&1); then
      pass "systemd: offline security exposure <= 3.0 (${out##*: })"
    else
      fail "systemd: offline security exposure > 3.0"
      printf '%s\n' "$out" | sed 's/^/      /'
    fi
  fi
else
  fail "systemd: systemd-analyze not available"
fi

# ------------------------------------------------------------------ shell
SHELL_FILES=(deploy/install.sh .ci/*.sh)
for f in "${SHELL_FILES[@]}"; do
  [[ -f $f ]] || continue
  check "shell: bash -n $f" bash -n "$f"
  if command -v shellcheck >/dev/null 2>&1; then
    check "shell: shellcheck $f" shellcheck -x "$f"
  else
    fail "shell: shellcheck not available ($f)"
  fi
done
check "shell: install.sh --help exits 0" bash deploy/install.sh --help
install_noninteractive_refuses() {
  # Without an action and without a terminal it must not install anything.
  if bash deploy/install.sh </dev/null >/dev/null 2>&1; then
    echo "install.sh without an action on a non-terminal stdin exited 0"
    return 1
  fi
}
check "shell: install.sh without action and without a terminal refuses" install_noninteractive_refuses

# ------------------------------------------------------------------ dockerfile
dockerfile_rules() {
  python3 - Dockerfile <<'PY'
import re, sys
text = open(sys.argv[1]).read()
# Join continuation lines, drop comments.
lines, cur = [], ""
for raw in text.splitlines():
    s = raw.strip()
    if not cur and (not s or s.startswith("#")):
        continue
    if s.startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append(cur + s)
    cur = ""
if cur:
    lines.append(cur)
instr = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if len(l.split(None, 1)) > 1 else "") for l in lines]
errors = []
froms = [i for i, (k, _) in enumerate(instr) if k == "FROM"]
if len(froms) < 2:
    errors.append("not a multi-stage build")
else:
    first = instr[froms[0]][1]
    if not re.match(r"denoland/deno:2\.9\.6\b", first):
        errors.append(f"build stage is {first!r}, expected denoland/deno:2.9.6")
    final_from = instr[froms[-1]][1].split()[0]
    if final_from != "gcr.io/distroless/cc-debian12:nonroot":
        errors.append(f"runtime stage is {final_from!r}, expected gcr.io/distroless/cc-debian12:nonroot")
    final = instr[froms[-1] + 1:]
    kinds = [k for k, _ in final]
    users = [a.strip() for k, a in final if k == "USER"]
    if not users or users[-1] not in ("nonroot", "nonroot:nonroot", "65532", "65532:65532"):
        errors.append(f"runtime USER is {users[-1] if users else None!r}, expected nonroot")
    hc = [a for k, a in final if k == "HEALTHCHECK"]
    if not hc or "healthcheck" not in hc[-1] or "NONE" in hc[-1].upper().split():
        errors.append("runtime stage has no HEALTHCHECK running `tec-pipeline healthcheck`")
    ep = [a for k, a in final if k == "ENTRYPOINT"]
    if not ep or not ep[-1].strip().startswith("["):
        errors.append("runtime ENTRYPOINT missing or not in exec form")
    if not any(k == "VOLUME" and "/var/lib/tec-pipeline" in a for k, a in final):
        errors.append("no VOLUME /var/lib/tec-pipeline")
    if not any(k == "EXPOSE" and "8080" in a for k, a in final):
        errors.append("no EXPOSE 8080")
    env = " ".join(a for k, a in final if k == "ENV")
    for kv in ("HEALTH_ADDR=0.0.0.0:8080", "DATA_DIR=/var/lib/tec-pipeline"):
        if kv not in env:
            errors.append(f"runtime ENV lacks {kv}")
    copies = [a for k, a in final if k == "COPY"]
    if not all("--from=" in a for a in copies):
        errors.append("runtime stage copies from the build context (only the build stage's output belongs there)")
    if not any("--chown=65532:65532" in a and "/var/lib/tec-pipeline" in a for a in copies):
        errors.append("data directory is not copied with --chown=65532:65532")
    if any(k in ("RUN", "ADD") for k in kinds):
        errors.append("runtime stage has RUN/ADD (distroless has no shell)")
compile_cmd = " ".join(a for k, a in instr if k == "RUN" and "deno task compile" in a)
if not compile_cmd:
    errors.append("no `deno task compile` step (the one compile everyone runs)")
elif "--output /out/tec-pipeline" not in compile_cmd:
    errors.append("deno task compile must write /out/tec-pipeline")
if any(k == "RUN" and re.search(r"deno\s+compile", a) for k, a in instr):
    errors.append("a bare `deno compile` step: use `deno task compile`, whose flags are defined once")
if not any(k == "COPY" and "deploy/compile.ts" in a for k, a in instr):
    errors.append("deploy/compile.ts is not copied into the build stage")
# The grant itself lives in src/app/permissions.ts: keep it minimal.
perms = open("src/app/permissions.ts").read()
def listed(name):
    m = re.search(name + r": readonly string\[\] = Object\.freeze\(\[(.*?)\]\)", perms, re.S)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else None
write = listed("WRITE_PATHS")
read = listed("READ_PATHS")
if write is None or set(write) != {"data", "/var/lib/tec-pipeline"}:
    errors.append(f"WRITE_PATHS must be exactly data, /var/lib/tec-pipeline, got {write}")
if read is None or not set(read) <= {"config.yaml", "data", "/etc/tec-pipeline/config.yaml", "/var/lib/tec-pipeline"}:
    errors.append(f"READ_PATHS grants more than config and data: {read}")
for bad in ("--allow-all", '"-A"', "--allow-run", "--allow-ffi", "--allow-sys", '"--allow-write"', '"--allow-read"'):
    if bad in perms:
        errors.append(f"src/app/permissions.ts grants {bad}")
if "--no-prompt" not in perms:
    errors.append("src/app/permissions.ts lacks --no-prompt")
if re.search(r"^\s*ADD\s+https?://", text, re.M | re.I):
    errors.append("ADD from a URL")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY
}
check "dockerfile: multi-stage, distroless cc-debian12:nonroot runtime, USER nonroot, HEALTHCHECK, deno task compile with the minimal grant of src/app/permissions.ts" dockerfile_rules

dockerignore_rules() {
  local rc=0 p
  for p in .git .env node_modules data dist; do
    # With an allow-list (`*` first) these are excluded unless re-included.
    if ! grep -qxF '*' .dockerignore && ! grep -qE "^(\*\*/)?/?${p//./\\.}/?$" .dockerignore; then
      echo ".dockerignore does not exclude $p"
      rc=1
    fi
    if grep -qE "^!(\*\*/)?/?${p//./\\.}/?$" .dockerignore; then
      echo ".dockerignore re-includes $p"
      rc=1
    fi
  done
  grep -qE '^(\*\*/)?\.env$' .dockerignore || { echo ".dockerignore lacks an explicit **/.env"; rc=1; }
  # Every build-context path the Dockerfile COPYs must be let in by the allow-list.
  local src
  while read -r src; do
    if grep -qxF '*' .dockerignore && ! grep -qxE "!${src%/}/?" .dockerignore; then
      echo ".dockerignore keeps out $src, which the Dockerfile copies"
      rc=1
    fi
  done < <(awk '/^COPY / && !/--from=/ { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' Dockerfile)
  return "$rc"
}
check "dockerfile: .dockerignore excludes .git, .env, node_modules, data, dist; lets in what is copied" dockerignore_rules

DFU_VERSION=0.16.3
dockerfile_lint() {
  local dir=$TMP/dfu
  mkdir -p "$dir"
  (cd "$dir" && npm install --silent --no-audit --no-fund --no-save \
    "dockerfile-utils@$DFU_VERSION" >/dev/null 2>&1) || return 2
  local out
  out=$("$dir/node_modules/.bin/dockerfile-utils" lint Dockerfile 2>&1) || { echo "$out"; return 1; }
  # It prints diagnostics and still exits 0.
  if [[ -n $out ]]; then echo "$out"; return 1; fi
}
if command -v hadolint >/dev/null 2>&1; then
  check "dockerfile: hadolint" hadolint Dockerfile
elif command -v npm >/dev/null 2>&1; then
  set +e
  out=$(dockerfile_lint 2>&1)
  rc=$?
  set -e
  case $rc in
    0) pass "dockerfile: dockerfile-utils@$DFU_VERSION lint (hadolint not obtainable from apt/npm)" ;;
    2) skip "dockerfile: dockerfile-utils lint (npm could not fetch it; hadolint not obtainable from apt/npm)" ;;
    *) fail "dockerfile: dockerfile-utils@$DFU_VERSION lint"; printf '%s\n' "$out" | sed 's/^/      /' ;;
  esac
else
  skip "dockerfile: parser lint (no hadolint in apt/npm; no npm for dockerfile-utils)"
fi

# ------------------------------------------------------------------ env
env_example_rules() {
  local rc=0 v
  for v in DATABASE_URL DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD DB_SCHEMA LOG_LEVEL \
    LOG_FORMAT API_URL HEALTH_ADDR DATA_DIR TEC_CONFIG POSTGRES_PASSWORD HEALTH_PUBLISH \
    PGADMIN_EMAIL PGADMIN_PASSWORD PGADMIN_PORT; do
    grep -qE "^#? ?${v}=" .env.example || { echo ".env.example does not mention $v"; rc=1; }
  done
  # Every active password is an obvious placeholder.
  while IFS= read -r line; do
    case ${line#*=} in
      change-me*) ;;
      *) echo "non-placeholder secret in .env.example: ${line%%=*}"; rc=1 ;;
    esac
  done < <(grep -E '^[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*=' .env.example)
  return "$rc"
}
check "env: .env.example lists every variable, placeholders only" env_example_rules

gitignore_rules() {
  local rc=0 l
  for l in .env data/ dist/ /tec-pipeline node_modules/ '*.log' .bench/ coverage/; do
    grep -qxF "$l" .gitignore || { echo ".gitignore lacks $l"; rc=1; }
  done
  if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git check-ignore -q .env || { echo "git does not ignore .env"; rc=1; }
    git check-ignore -q .env.example && { echo "git ignores .env.example"; rc=1; }
    if git ls-files --error-unmatch .env >/dev/null 2>&1; then
      echo ".env is tracked by git"
      rc=1
    fi
  fi
  return "$rc"
}
check "env: .env git-ignored and untracked, .env.example not ignored" gitignore_rules

# ------------------------------------------------------------------ summary
echo
if [[ $FAILED -ne 0 ]]; then
  echo "static checks: FAIL ($(printf '%s\n' "${RESULTS[@]}" | grep -c '^FAIL') of ${#RESULTS[@]} failed)"
  exit 1
fi
echo "static checks: PASS (${#RESULTS[@]} checks)"
