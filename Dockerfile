# syntax=docker/dockerfile:1
# vmta image: one image for every role (listener, delivery, all); the role is a command-line
# flag, the configuration is mounted at /etc/vmta (see docker-compose.yml and README "Deploy").
#
#   docker build -t vmta .
#   docker run --rm -e REDIS_URL=redis://redis:6379 -v "$PWD/config/docker:/etc/vmta:ro" vmta \
#       start --role listener --config /etc/vmta/vmta.conf
#
# There is no redis-server in the image: set REDIS_URL (without it `vmta start` would try to
# start a private redis-server and fail).

# Debian (glibc): pnpm installs the linux-x64-gnu (or arm64-gnu) binary of @toondepauw/node-zstd (zstd
# bodies); an Alpine image gets its musl binary the same way (both are in pnpm-lock.yaml, by libc).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- base: node + pnpm (corepack)
FROM ${NODE_IMAGE} AS base
# pnpm comes from the "packageManager" field of package.json through corepack. Old corepacks
# do not know pnpm's current signing keys ("No compatible signature found"): skip the check,
# as .ci/run does. No prompt: a build has no stdin.
ENV COREPACK_INTEGRITY_KEYS=0 \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    CI=true
RUN corepack enable
WORKDIR /app

# ---------------------------------------------------------------- manifests: package.json files only
# Every packages/*/package.json at its place and nothing else, so the dependency layers below
# are rebuilt only when a manifest changes (not on every source edit), and a new workspace
# package needs no change here. BuildKit compares the copied content, so this stage running
# again after a source edit still hits the cache of the COPY --from below.
FROM base AS manifests
COPY packages ./packages
RUN find packages -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

# ---------------------------------------------------------------- build: all deps, compile
FROM base AS build
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY --from=manifests /app/packages ./packages
# Dependencies only (--ignore-scripts: the root "prepare" = `tsc -b` needs the sources,
# which are not here yet). The pnpm store is a cache mount: not part of any layer.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --store-dir /pnpm/store --frozen-lockfile --ignore-scripts
COPY tsconfig*.json ./
COPY packages ./packages
# `pnpm install` compiles the workspace: the root "prepare" script runs `tsc -b` (it runs
# even when the dependencies are already up to date).
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --store-dir /pnpm/store --frozen-lockfile \
 && test -f packages/cli/dist/main.js
# Compiled output (dist/, without tsc's .tsbuildinfo) of exactly the packages the runtime
# needs: @vmta/cli and the workspace packages it depends on, in a tree the runtime stage
# copies in one step.
RUN mkdir -p /dist \
 && for dir in $(pnpm -s -r --filter '@vmta/cli...' --filter '!@vmta/testing' exec pwd); do \
      rel="${dir#/app/}"; mkdir -p "/dist/$rel" && cp -a "$dir/dist" "/dist/$rel/"; \
    done \
 && find /dist -name '*.tsbuildinfo' -delete \
 && test -f /dist/packages/cli/dist/main.js

# ---------------------------------------------------------------- prod-deps: runtime node_modules
# Production dependencies of @vmta/cli and the workspace packages it uses, nothing else: no
# typescript or vitest, and not @vmta/testing (which "@vmta/cli..." selects through
# devDependencies; its optional testcontainers would double the size). pnpm 10's
# `pnpm deploy` would need inject-workspace-packages=true (or --legacy) and flattens the
# package into /out, which changes the packages/cli/dist/main.js layout: a filtered
# production install keeps the layout.
FROM base AS prod-deps
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY --from=manifests /app/packages ./packages
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --store-dir /pnpm/store --frozen-lockfile --prod --ignore-scripts --filter '@vmta/cli...' --filter '!@vmta/testing'

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# Code and dependencies belong to root and are read-only for the user that runs them.
# node_modules of pnpm are symlinks into node_modules/.pnpm; COPY keeps them.
COPY --from=prod-deps /app/package.json ./package.json
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=prod-deps /app/packages ./packages
COPY --from=build /dist/packages ./packages
# Run as the unprivileged "node" user of the base image (uid 1000). Ports below 1024 inside
# the container: Docker 20.10+ sets net.ipv4.ip_unprivileged_port_start=0 in a container's
# own network namespace (docker-compose.yml sets it explicitly too). With network_mode: host
# that sysctl does not apply: only the delivery role belongs there, and the only port it
# listens on is the management HTTP port (8080, unprivileged).
USER node
# SMTP (25), submission (587), SMTPS (465), management HTTP (http-mgmt-port 8080 in
# config/docker/vmta.conf).
EXPOSE 25 587 465 8080
# Healthy = the SMTP listener answers with its 220 greeting (plain port; VMTA_HEALTH_PORT,
# default 587). Only node, no curl or nc. Right for --role listener and all; docker-compose.yml
# overrides it for --role delivery, which listens on nothing (`show queues --json`: Redis
# reachable from this container).
ENV VMTA_HEALTH_PORT=587
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const s=require('node:net').connect(+process.env.VMTA_HEALTH_PORT||587,'127.0.0.1');s.setTimeout(4000);s.once('data',d=>{s.destroy();process.exit(/^220[ -]/.test(String(d))?0:1)});s.on('timeout',()=>process.exit(1));s.on('error',()=>process.exit(1))"]
ENTRYPOINT ["node", "packages/cli/dist/main.js"]
CMD ["start", "--config", "/etc/vmta/vmta.conf"]
