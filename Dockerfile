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
COPY vendor ./vendor
COPY deploy/compile.ts ./deploy/compile.ts

# The same `deno task compile` as everywhere else: it type-checks, then bakes
# in the permissions and V8 flags of src/app/permissions.ts (their reasons are
# written there), so a compiled binary may never do more than that list says:
# network, environment, read config.yaml (here /app/config.yaml: the working
# directory is /app), data and /var/lib/tec-pipeline, write data and
# /var/lib/tec-pipeline; --no-prompt; no --allow-sys/-run/-ffi. The code cache
# stays off (--no-code-cache) so the image runs with a read-only root file
# system. The trailing `--version` runs the binary once, as a smoke test.
RUN mkdir -p /out/state \
 && chown 65532:65532 /out/state \
 && chmod 0750 /out/state \
 && install -m 0644 config.yaml /out/config.yaml \
 && deno task compile --output /out/tec-pipeline \
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
