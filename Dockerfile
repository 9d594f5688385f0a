# tec-pipeline container image: a `deno compile` single binary on distroless.
#
#   docker build -t tec-pipeline .          (or: docker compose build)
#   docker run --rm tec-pipeline --version
#
# The runtime image holds exactly two files of ours (the binary and config.yaml),
# runs as the distroless `nonroot` user (65532), has no shell, no package manager
# and no curl: the container health check is the binary's own `healthcheck`
# subcommand, which GETs /healthz on HEALTH_ADDR.

############################ build stage ############################
FROM denoland/deno:2.9.6 AS build

# The official image may default to its unprivileged `deno` user; the build
# stage writes /out and chowns the data directory, so it runs as root. Nothing
# from this stage runs in production except the compiled binary.
USER root
WORKDIR /src

# Dependencies first so this layer is cached until deno.json/deno.lock change.
# --frozen: fail instead of silently rewriting the lockfile.
COPY deno.json deno.lock ./
RUN deno install --frozen

COPY config.yaml ./
COPY sql ./sql
COPY src ./src

# Permissions baked into the binary (a compiled binary ignores --allow-* given
# at run time, so this list is the whole of what the program may ever do):
#
#   --allow-net    DB (postgres.js over node:net/node:tls), the https source
#                  (API_URL / sources[].base_url, configurable at run time, so
#                  it cannot be narrowed to hosts here), the health listener
#                  (HEALTH_ADDR) and `healthcheck`'s GET of it.
#   --allow-env    configuration comes from the environment (DB_*, DATABASE_URL,
#                  LOG_*, API_URL, HEALTH_ADDR, DATA_DIR, TEC_CONFIG) and
#                  postgres.js reads PGHOST/PGPORT/PGUSER/PGUSERNAME/PGPASSWORD/
#                  PGDATABASE/PGAPPNAME/PGTARGETSESSIONATTRS (+ USER/LOGNAME)
#                  while parsing its options; without --allow-env it fails with
#                  "NotCapable: Requires env access to PGPORT".
#   --allow-read   only /app/config.yaml and the data directory. The working
#                  directory is /app, so the program's default `config.yaml`
#                  resolves to /app/config.yaml (mount a custom config there,
#                  not elsewhere, or the read is refused). Nothing else needs
#                  a read grant:
#                    * npm packages and our modules live in the binary's
#                      embedded virtual file system, which a compiled binary
#                      may always read;
#                    * SQL migrations and the built-in defaults are imported
#                      as text (`import x from "./f.sql" with { type: "text" }`)
#                      and so are part of the module graph, not files read at
#                      run time. If migrations were ever read with
#                      Deno.readTextFile instead, they would need `--include
#                      sql` plus a read grant on the embedded path: keep them
#                      as imports;
#                    * TLS roots: Deno ships the Mozilla roots (webpki) in the
#                      binary; DNS (/etc/resolv.conf, /etc/hosts), time zones
#                      (ICU data inside V8) and the binary itself are read by
#                      the runtime, outside the permission model;
#                    * postgres.js's only file access is sql.file(), which the
#                      program does not use; os.userInfo() (its fallback when
#                      no user is configured) is denied without --allow-sys and
#                      postgres.js catches that and falls back to $USER.
#                  Unix-socket DB connections (DB_HOST=/run/postgresql) would
#                  need read+write on the socket path; the container uses TCP.
#   --allow-write  only the data directory (raw archive; temporary files must
#                  be created inside it, not in /tmp).
#   not granted:   --allow-sys, --allow-run, --allow-ffi, --allow-import.
#   --no-prompt    a missing permission is an immediate NotCapable error, never
#                  an interactive prompt (e.g. under `docker run -it`).
#   --no-code-cache  otherwise the runtime writes a V8 code cache to
#                  $TMPDIR/deno-compile-tec-pipeline.cache on first start
#                  (outside the permission model). In a container it is lost
#                  with the container anyway, and without it the image runs
#                  with a read-only root file system.
# Paths are absolute on purpose: relative paths in baked permissions are
# resolved against the working directory at run time.
# The trailing `--version` runs the binary once, as a smoke test that it starts.
RUN mkdir -p /out/state \
 && chown 65532:65532 /out/state \
 && chmod 0750 /out/state \
 && install -m 0644 config.yaml /out/config.yaml \
 && deno compile \
      --frozen \
      --no-prompt \
      --no-code-cache \
      --v8-flags=--max-old-space-size=64,--max-semi-space-size=8 \
      --allow-net \
      --allow-env \
      --allow-read=/app/config.yaml,/var/lib/tec-pipeline \
      --allow-write=/var/lib/tec-pipeline \
      --output /out/tec-pipeline \
      src/main.ts \
 && chmod 0755 /out/tec-pipeline \
 && /out/tec-pipeline --version

############################ runtime stage ##########################
# cc = glibc + libgcc/libstdc++ (what the Deno runtime links against) + CA
# certificates + tzdata; `:nonroot` sets USER 65532 and has no shell.
FROM gcr.io/distroless/cc-debian12:nonroot

WORKDIR /app
# Owned by root and not writable by the runtime user: the process cannot
# modify its own binary or configuration.
# (Modes are set in the build stage rather than with COPY --chmod, which the
# classic, non-BuildKit builder rejects.)
COPY --from=build --chown=0:0 /out/tec-pipeline /app/tec-pipeline
COPY --from=build --chown=0:0 /out/config.yaml /app/config.yaml
# Created in the build stage owned by nonroot so that a fresh named volume
# mounted here is initialised from it and is writable by 65532.
COPY --from=build --chown=65532:65532 /out/state /var/lib/tec-pipeline

ENV HEALTH_ADDR=0.0.0.0:8080 \
    DATA_DIR=/var/lib/tec-pipeline

# nonroot = 65532:65532 in distroless. (Kubernetes `runAsNonRoot` needs a
# numeric user: set securityContext.runAsUser: 65532 there.)
USER nonroot
VOLUME /var/lib/tec-pipeline
EXPOSE 8080

# /healthz answers 200 while the daemon is alive; `healthcheck` exits 0/1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/app/tec-pipeline", "healthcheck"]

# Exec form: the binary is PID 1 and receives SIGTERM directly (graceful
# shutdown takes up to 30 s: give `docker stop` a longer timeout, compose sets
# stop_grace_period: 45s).
ENTRYPOINT ["/app/tec-pipeline"]
