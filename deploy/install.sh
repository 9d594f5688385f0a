#!/usr/bin/env bash
# Install tec-pipeline as a hardened systemd service on this host.
#
#   sudo deploy/install.sh                    interactive menu (on a terminal)
#   sudo deploy/install.sh --service --yes    unattended install + start
#   deploy/install.sh --help
#
# What it does (never removes or drops anything, never overwrites the env file):
#   * creates the system user `tec-pipeline` (no shell, no home) if missing;
#   * installs the compiled binary to PREFIX/bin (default /usr/local/bin), the
#     unit to /etc/systemd/system, config.yaml to /etc/tec-pipeline (an
#     existing config is kept; the new one goes to config.yaml.new);
#   * writes /etc/tec-pipeline/tec-pipeline.env (root-only, 0640) if absent,
#     with a generated database password that is never printed;
#   * on a host with a local PostgreSQL server, creates (if missing) a
#     least-privileged LOGIN role (NOSUPERUSER NOCREATEDB NOCREATEROLE) that
#     owns only its own database and schema. An existing role's password and
#     attributes are never changed.
set -euo pipefail

readonly PROG=tec-pipeline
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd -- "$SCRIPT_DIR/.." && pwd)
readonly SCRIPT_DIR REPO_DIR

readonly CONF_DIR=/etc/tec-pipeline
readonly ENV_FILE=$CONF_DIR/tec-pipeline.env
readonly CONFIG_FILE=$CONF_DIR/config.yaml
readonly UNIT_DIR=/etc/systemd/system
readonly UNIT_NAME=tec-pipeline.service
readonly SERVICE_USER=tec-pipeline
readonly STATE_DIR=/var/lib/tec-pipeline

PREFIX=/usr/local
BINARY=""
ACTION=""          # service | foreground | test | install-only
DB_SETUP=auto      # auto | yes | no
ASSUME_YES=0
# Used only when the env file is created; afterwards the env file is the truth.
DB_HOST=127.0.0.1
DB_PORT=5432
DB_NAME=tec_pipeline
DB_USER=tec_pipeline
DB_SCHEMA=staging

usage() {
  cat <<EOF
Usage: ${0##*/} [ACTION] [OPTIONS]

Actions (without one, a menu is shown when stdin is a terminal):
  --service         install, then enable and (re)start the systemd service
  --foreground      install, then run in this terminal as user $SERVICE_USER
                    (Ctrl-C stops it)
  --test            run the test suite from the source checkout (deno task test);
                    installs nothing
  --install-only    install files, user and database role; start nothing

Options:
  --db-setup        create the PostgreSQL role/database/schema; fail if impossible
  --no-db-setup     do not touch PostgreSQL
                    (default: do it when a local server and psql are present)
  --prefix DIR      install the binary to DIR/bin (default: /usr/local)
  --binary PATH     the compiled tec-pipeline binary to install (default: the
                    first of ./tec-pipeline, ./dist/tec-pipeline in the source
                    checkout, or next to this script; else the installed one)
  --db-host HOST    --db-port N  --db-name NAME  --db-user NAME  --db-schema NAME
                    values for a NEW env file (defaults: 127.0.0.1, 5432,
                    tec_pipeline, tec_pipeline, staging); an existing
                    $ENV_FILE is used as it is
  -y, --yes         do not ask for confirmation
  -h, --help        show this help

Files: $PREFIX/bin/$PROG, $UNIT_DIR/$UNIT_NAME, $CONFIG_FILE,
       $ENV_FILE (secrets, root-only), $STATE_DIR (raw archive)
Build the binary first:  deno task compile   (see README)
EOF
}

say() { printf '%s: %s\n' "$PROG-install" "$*" >&2; }
warn() { printf '%s: WARNING: %s\n' "$PROG-install" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$PROG-install" "$*" >&2; exit 1; }

need_arg() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

set_action() {
  [[ -z $ACTION || $ACTION == "$1" ]] || die "choose one action, not --$ACTION and --$1"
  ACTION=$1
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --service) set_action service ;;
      --foreground) set_action foreground ;;
      --test) set_action test ;;
      --install-only) set_action install-only ;;
      --db-setup) DB_SETUP=yes ;;
      --no-db-setup) DB_SETUP=no ;;
      --prefix) need_arg "$@"; PREFIX=$2; shift ;;
      --prefix=*) PREFIX=${1#*=} ;;
      --binary) need_arg "$@"; BINARY=$2; shift ;;
      --binary=*) BINARY=${1#*=} ;;
      --db-host) need_arg "$@"; DB_HOST=$2; shift ;;
      --db-port) need_arg "$@"; DB_PORT=$2; shift ;;
      --db-name) need_arg "$@"; DB_NAME=$2; shift ;;
      --db-user) need_arg "$@"; DB_USER=$2; shift ;;
      --db-schema) need_arg "$@"; DB_SCHEMA=$2; shift ;;
      -y | --yes) ASSUME_YES=1 ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
  done
  [[ $PREFIX == /* ]] || die "--prefix must be an absolute path: $PREFIX"
  PREFIX=${PREFIX%/}
}

is_tty() { [[ -t 0 ]]; }

# confirm QUESTION: yes without asking when --yes or when nobody can answer.
confirm() {
  [[ $ASSUME_YES -eq 1 ]] && return 0
  is_tty || return 0
  local reply
  read -r -p "$1 [y/N] " reply || return 1
  [[ $reply == [yY] || $reply == [yY][eE][sS] ]]
}

menu() {
  local choice
  while :; do
    cat >&2 <<EOF

tec-pipeline installer
  1) Install and run as a service (systemd)
  2) Install and run in the foreground
  3) Run the tests
  4) Exit
EOF
    read -r -p "Choose 1-4: " choice || exit 0
    case $choice in
      1) ACTION="service"; return ;;
      2) ACTION="foreground"; return ;;
      3) ACTION="test"; return ;;
      4 | q | Q | "") exit 0 ;;
      *) say "please answer 1, 2, 3 or 4" ;;
    esac
  done
}

# ---------------------------------------------------------------- env file

# env_get FILE KEY: the value of KEY=value (last one wins, quotes removed).
env_get() {
  local file=$1 key=$2 line val=""
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?${key}=(.*)$ ]]; then
      val=${BASH_REMATCH[2]}
    fi
  done <"$file"
  if [[ ${#val} -ge 2 && ( ($val == \"*\" && $val == *\") || ($val == \'*\' && $val == *\') ) ]]; then
    val=${val:1:${#val}-2}
  fi
  printf '%s' "$val"
}

gen_password() {
  local raw
  raw=$(head -c 48 /dev/urandom | base64 -w0)
  raw=${raw//[^A-Za-z0-9]/}
  printf '%s' "${raw:0:40}"
}

# write_env_file PASSWORD: create $ENV_FILE (0640 root:root); never replaces one.
write_env_file() {
  local pw=$1 tmp
  tmp=$(umask 077 && mktemp "$CONF_DIR/.tec-pipeline.env.XXXXXX")
  {
    printf '# tec-pipeline environment, read by systemd (EnvironmentFile=) as root.\n'
    printf '# Created by deploy/install.sh; it never overwrites this file. Keep 0640 root:root.\n'
    printf '# Variables override %s. DATA_DIR is set by the unit.\n\n' "$CONFIG_FILE"
    printf 'DB_HOST=%s\nDB_PORT=%s\nDB_NAME=%s\nDB_USER=%s\n' "$DB_HOST" "$DB_PORT" "$DB_NAME" "$DB_USER"
    if [[ -n $pw ]]; then
      printf '# Generated at install time; the role was created with it.\n'
    else
      printf '# Set the password of the existing role %s here (never changed by install.sh).\n' "$DB_USER"
    fi
    printf 'DB_PASSWORD=%s\n' "$pw"
    printf 'DB_SCHEMA=%s\n\n' "$DB_SCHEMA"
    printf '# Or a full URL instead of DB_*:\n#DATABASE_URL=postgres://user:password@host:5432/db?sslmode=require\n\n'
    printf 'LOG_LEVEL=info\nLOG_FORMAT=json\nHEALTH_ADDR=127.0.0.1:8080\n'
    printf '#API_URL=https://twtransfer.energytransfer.com\n'
  } >"$tmp"
  chmod 0640 "$tmp"
  chown root:root "$tmp"
  # -n: if a file appeared meanwhile, keep it (and drop ours).
  if ! mv -n "$tmp" "$ENV_FILE" 2>/dev/null || [[ -e $tmp ]]; then
    rm -f "$tmp"
    warn "$ENV_FILE appeared meanwhile; kept it"
  fi
}

# ---------------------------------------------------------------- binary

find_binary() {
  if [[ -n $BINARY ]]; then
    [[ -f $BINARY && -x $BINARY ]] || die "--binary $BINARY is not an executable file"
    return
  fi
  local c
  for c in "$REPO_DIR/$PROG" "$REPO_DIR/dist/$PROG" "$SCRIPT_DIR/$PROG"; do
    if [[ -f $c && -x $c ]]; then BINARY=$c; return; fi
  done
  if [[ -x $PREFIX/bin/$PROG ]]; then
    BINARY=$PREFIX/bin/$PROG
    say "no new binary found; keeping the installed $BINARY"
    return
  fi
  die "no $PROG binary found: build it (deno task compile) or pass --binary PATH"
}

find_config() {
  local c
  for c in "$REPO_DIR/config.yaml" "$SCRIPT_DIR/config.yaml" "$(dirname -- "$BINARY")/config.yaml"; do
    if [[ -f $c ]]; then printf '%s' "$c"; return; fi
  done
  printf ''
}

# ---------------------------------------------------------------- database

valid_ident() { [[ $1 =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; }

is_local_host() {
  case $1 in
    "" | localhost | 127.0.0.1 | ::1 | /*) return 0 ;;
    *) return 1 ;;
  esac
}

# psql as the postgres superuser over the local socket (peer authentication).
pg_super() {
  local host_args=()
  [[ $DB_HOST == /* ]] && host_args=(-h "$DB_HOST")
  (cd / && runuser -u postgres -- psql -X -q --no-psqlrc -v ON_ERROR_STOP=1 \
    "${host_args[@]}" -p "$DB_PORT" "$@")
}

# Escape a value for a single-quoted psql meta-command argument.
psql_quote() {
  local v=$1
  v=${v//\\/\\\\}
  v=${v//\'/\'\'}
  printf "'%s'" "$v"
}

db_setup_possible() {
  command -v psql >/dev/null 2>&1 || { echo "psql is not installed"; return 1; }
  command -v runuser >/dev/null 2>&1 || { echo "runuser is not available"; return 1; }
  id postgres >/dev/null 2>&1 || { echo "there is no local 'postgres' user"; return 1; }
  is_local_host "$DB_HOST" || { echo "DB_HOST=$DB_HOST is not this host"; return 1; }
  pg_super -d postgres -c 'SELECT 1' >/dev/null 2>&1 ||
    { echo "cannot connect to the local PostgreSQL on port $DB_PORT as postgres"; return 1; }
}

role_exists() {
  [[ $(printf "SELECT 1 FROM pg_roles WHERE rolname = :'r';\n" |
    pg_super -At -d postgres -v r="$DB_USER") == 1 ]]
}

db_exists() {
  [[ $(printf "SELECT 1 FROM pg_database WHERE datname = :'d';\n" |
    pg_super -At -d postgres -v d="$DB_NAME") == 1 ]]
}

# create_role PASSWORD: the statement, with the password, goes to psql on
# stdin (not argv) and is kept out of the server log.
create_role() {
  local pw=$1
  {
    printf '\\set pw %s\n' "$(psql_quote "$pw")"
    printf "SET log_statement = 'none';\n"
    printf "SET log_min_duration_statement = -1;\n"
    printf "SET log_min_error_statement = 'panic';\n"
    printf "SET password_encryption = 'scram-sha-256';\n"
    printf "SELECT format('CREATE ROLE %%I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %%L', :'r', :'pw')\n"
    printf " WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'r') \\\\gexec\n"
  } | pg_super -d postgres -v r="$DB_USER"
}

setup_database() {
  local why pw v
  if [[ -n $(env_get "$ENV_FILE" DATABASE_URL) ]]; then
    why="DATABASE_URL is set in $ENV_FILE"
  elif ! why=$(db_setup_possible); then
    :
  else
    why=""
  fi
  if [[ -n $why ]]; then
    [[ $DB_SETUP == yes ]] && die "database setup impossible: $why"
    say "skipping database setup: $why"
    say "create the role yourself: CREATE ROLE $DB_USER LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '...';"
    say "  CREATE DATABASE $DB_NAME OWNER $DB_USER; then in it: CREATE SCHEMA $DB_SCHEMA AUTHORIZATION $DB_USER;"
    return 0
  fi
  for v in "$DB_NAME" "$DB_USER" "$DB_SCHEMA"; do
    valid_ident "$v" || die "'$v' is not a plain lower-case SQL name; create the database objects by hand"
  done
  [[ $DB_USER != postgres ]] || die "DB_USER must not be the superuser 'postgres'"

  if role_exists; then
    say "role $DB_USER exists: its password and attributes are left unchanged"
    local attrs
    attrs=$(printf "SELECT concat_ws(' ', CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolcreaterole THEN 'CREATEROLE' END, CASE WHEN rolcreatedb THEN 'CREATEDB' END, CASE WHEN rolreplication THEN 'REPLICATION' END, CASE WHEN rolbypassrls THEN 'BYPASSRLS' END) FROM pg_roles WHERE rolname = :'r';\n" |
      pg_super -At -d postgres -v r="$DB_USER")
    if [[ -n $attrs ]]; then
      warn "role $DB_USER has $attrs; tec-pipeline needs none of these. As the superuser, run:"
      warn "  ALTER ROLE $DB_USER NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS;"
    fi
  else
    pw=$(env_get "$ENV_FILE" DB_PASSWORD)
    [[ -n $pw ]] || die "DB_PASSWORD is empty in $ENV_FILE: set it, then re-run (the role is created with it)"
    [[ $pw != *$'\n'* ]] || die "DB_PASSWORD must be one line"
    create_role "$pw"
    say "created role $DB_USER (LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; password from $ENV_FILE)"
  fi

  if db_exists; then
    local owner
    owner=$(printf "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'d';\n" |
      pg_super -At -d postgres -v d="$DB_NAME")
    if [[ $owner == "$DB_USER" ]]; then
      say "database $DB_NAME exists, owned by $DB_USER"
    else
      # Someone else's database: only add what the role needs, change nothing else.
      printf "SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %%I TO %%I', :'d', :'r') \\\\gexec\n" |
        pg_super -d postgres -v d="$DB_NAME" -v r="$DB_USER"
      say "database $DB_NAME exists (owner $owner): granted CONNECT, TEMPORARY to $DB_USER"
    fi
  else
    {
      printf "SELECT format('CREATE DATABASE %%I OWNER %%I', :'d', :'r') \\\\gexec\n"
      printf "SELECT format('REVOKE ALL ON DATABASE %%I FROM PUBLIC', :'d') \\\\gexec\n"
    } | pg_super -d postgres -v d="$DB_NAME" -v r="$DB_USER"
    say "created database $DB_NAME owned by $DB_USER (no access for other roles)"
  fi
  printf "SET client_min_messages = warning;\nSELECT format('CREATE SCHEMA IF NOT EXISTS %%I AUTHORIZATION %%I', :'s', :'r') \\\\gexec\n" |
    pg_super -d "$DB_NAME" -v s="$DB_SCHEMA" -v r="$DB_USER" ||
    die "could not create schema $DB_SCHEMA in $DB_NAME"
  say "schema $DB_NAME.$DB_SCHEMA is ready (tables are created by tec-pipeline's own migrations)"

  # Can the application log in the way the service will?
  pw=$(env_get "$ENV_FILE" DB_PASSWORD)
  if [[ -n $pw ]] && ! is_local_socket_only; then
    if PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 psql -X -q --no-psqlrc -h "${DB_HOST:-127.0.0.1}" -p "$DB_PORT" \
      -U "$DB_USER" -d "$DB_NAME" -c 'SELECT 1' >/dev/null 2>&1; then
      say "login check: $DB_USER can connect to $DB_NAME on ${DB_HOST:-127.0.0.1}:$DB_PORT"
    else
      warn "login check failed for $DB_USER on ${DB_HOST:-127.0.0.1}:$DB_PORT: check DB_PASSWORD in $ENV_FILE and pg_hba.conf (host ... scram-sha-256)"
    fi
  fi
}

is_local_socket_only() { [[ $DB_HOST == /* ]]; }

# ---------------------------------------------------------------- install

ensure_user() {
  if id "$SERVICE_USER" >/dev/null 2>&1; then return; fi
  local nologin
  nologin=$(command -v nologin || echo /usr/sbin/nologin)
  useradd --system --user-group --no-create-home --home-dir "$STATE_DIR" \
    --shell "$nologin" --comment "tec-pipeline service" "$SERVICE_USER"
  say "created system user $SERVICE_USER"
}

install_files() {
  local config_src bin_dst=$PREFIX/bin/$PROG tmp
  config_src=$(find_config)

  ensure_user
  install -d -m 0755 -o root -g root "$PREFIX/bin"
  install -d -m 0750 -o root -g "$SERVICE_USER" "$CONF_DIR"
  install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"

  if [[ $BINARY != "$bin_dst" ]]; then
    # Copy then rename: replacing a running binary in place would fail.
    install -m 0755 -o root -g root "$BINARY" "$bin_dst.new"
    mv -f "$bin_dst.new" "$bin_dst"
    say "installed $bin_dst"
  fi
  "$bin_dst" --version >/dev/null 2>&1 || warn "$bin_dst --version failed; is it a build for this machine?"

  tmp=$(mktemp)
  sed "s#^ExecStart=/usr/local/bin/$PROG #ExecStart=$bin_dst #" "$SCRIPT_DIR/$UNIT_NAME" >"$tmp"
  install -m 0644 -o root -g root "$tmp" "$UNIT_DIR/$UNIT_NAME"
  rm -f "$tmp"
  say "installed $UNIT_DIR/$UNIT_NAME"

  if [[ -z $config_src ]]; then
    [[ -f $CONFIG_FILE ]] || die "no config.yaml found next to the source checkout or this script"
  elif [[ ! -f $CONFIG_FILE ]]; then
    install -m 0640 -o root -g "$SERVICE_USER" "$config_src" "$CONFIG_FILE"
    say "installed $CONFIG_FILE"
  elif ! cmp -s "$config_src" "$CONFIG_FILE"; then
    install -m 0640 -o root -g "$SERVICE_USER" "$config_src" "$CONFIG_FILE.new"
    say "kept your $CONFIG_FILE; the shipped one is $CONFIG_FILE.new (merge by hand)"
  fi

  if [[ -f $ENV_FILE ]]; then
    say "keeping existing $ENV_FILE"
    load_db_settings_from_env_file
  else
    local pw=""
    # Generate a password unless the role already exists (its password is
    # never changed, so a new one would not match).
    if [[ $DB_SETUP != no ]] && db_setup_possible >/dev/null 2>&1 && valid_ident "$DB_USER" && role_exists; then
      warn "role $DB_USER already exists: put its password into DB_PASSWORD in $ENV_FILE"
    else
      pw=$(gen_password)
    fi
    write_env_file "$pw"
    say "wrote $ENV_FILE (0640 root:root)"
  fi
}

load_db_settings_from_env_file() {
  local k v
  for k in DB_HOST DB_PORT DB_NAME DB_USER DB_SCHEMA; do
    v=$(env_get "$ENV_FILE" "$k")
    [[ -n $v ]] && printf -v "$k" '%s' "$v"
  done
  return 0
}

systemd_running() { [[ -d /run/systemd/system ]]; }

service_active() { systemd_running && systemctl is-active --quiet "$UNIT_NAME"; }

do_install() {
  [[ $EUID -eq 0 ]] || die "installing needs root: sudo $0 ${ACTION:+--$ACTION}"
  find_binary
  say "binary: $BINARY -> $PREFIX/bin/$PROG; config: $CONF_DIR; data: $STATE_DIR; database setup: $DB_SETUP"
  confirm "Install tec-pipeline now?" || die "cancelled"
  install_files
  if [[ $DB_SETUP != no ]]; then
    setup_database
  else
    say "database setup skipped (--no-db-setup): create role $DB_USER with DB_PASSWORD from $ENV_FILE"
  fi
  if systemd_running; then
    systemctl daemon-reload
    if command -v systemd-analyze >/dev/null 2>&1; then
      systemd-analyze verify "$UNIT_DIR/$UNIT_NAME" || warn "systemd-analyze verify reported problems"
    fi
  fi
}

start_service() {
  systemd_running || die "systemd is not running on this machine; use --foreground instead"
  systemctl enable "$UNIT_NAME"
  systemctl restart "$UNIT_NAME"
  say "started; follow it with: journalctl -u $UNIT_NAME -f"
  systemctl --no-pager --lines=0 status "$UNIT_NAME" || true
}

run_foreground() {
  if service_active; then
    warn "the $UNIT_NAME service is running too; both instances would poll"
    confirm "Run a second instance in the foreground anyway?" || die "cancelled; stop it with: systemctl stop $UNIT_NAME"
  fi
  say "running $PREFIX/bin/$PROG as $SERVICE_USER (Ctrl-C to stop)"
  local line key keys=()
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)= ]] && keys+=("${BASH_REMATCH[2]}")
  done <"$ENV_FILE"
  (
    # The env file's variables are exported (so never on a command line, where
    # other users could see them in ps), as systemd's EnvironmentFile= would.
    for key in "${keys[@]}"; do
      export "$key=$(env_get "$ENV_FILE" "$key")"
    done
    export DATA_DIR=$STATE_DIR
    cd "$STATE_DIR"
    exec runuser -u "$SERVICE_USER" -- "$PREFIX/bin/$PROG" --config "$CONFIG_FILE"
  )
}

run_tests() {
  local deno_bin="" as_user=()
  if [[ ! -f $REPO_DIR/deno.json ]]; then
    say "no source checkout next to this script (no $REPO_DIR/deno.json)."
    say "Tests run from a checkout of the tec-pipeline repository: cd <checkout> && deno task test"
    return 1
  fi
  if command -v deno >/dev/null 2>&1; then
    deno_bin=$(command -v deno)
  elif [[ -x $REPO_DIR/node_modules/.bin/deno ]]; then
    deno_bin=$REPO_DIR/node_modules/.bin/deno
  fi
  if [[ -z $deno_bin ]]; then
    say "Deno is not installed. Install Deno 2.9.6 (e.g. npm install -g deno@2.9.6),"
    say "then run: cd $REPO_DIR && deno task test"
    say "(tests that need PostgreSQL read DATABASE_URL; see README)"
    return 1
  fi
  # Under sudo, run the tests as the invoking user, not root.
  if [[ $EUID -eq 0 && -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
    as_user=(runuser -u "$SUDO_USER" --)
  fi
  say "running: (cd $REPO_DIR && deno task test)"
  (cd "$REPO_DIR" && "${as_user[@]}" "$deno_bin" task test)
}

main() {
  parse_args "$@"
  if [[ -z $ACTION ]]; then
    if is_tty; then
      menu
    else
      usage >&2
      die "no action given and stdin is not a terminal: pass --service, --foreground, --test or --install-only"
    fi
  fi
  case $ACTION in
    test) run_tests ;;
    install-only) do_install; say "installed; start with: systemctl enable --now $UNIT_NAME" ;;
    service)
      systemd_running || die "systemd is not running on this machine; use --foreground or --install-only"
      do_install
      start_service
      ;;
    foreground) do_install; run_foreground ;;
  esac
}

main "$@"
