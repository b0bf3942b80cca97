# wfhub in a container: the server, the web UI and the CLI, as `npm start` runs them.
# docker/docker-compose.yml runs it beside PostgreSQL and Ollama; docs/deployment.md explains it.
#
#   docker build -t wfhub .
#   docker run --rm -p 127.0.0.1:8002:8002 -e WFHUB_TOKEN=... --hostname wfhub \
#     -v wfhub-data:/data -v wfhub-workspaces:/workspaces wfhub
#
# test/deploy/deployment-files.test.ts reads this file against the real start path.

# The Node.js major version (package.json engines: >=20.19). 20 is what the test suite and the
# benchmarks run on; 22 is what pg-boss prefers: `docker build --build-arg NODE_VERSION=22 .`
ARG NODE_VERSION=20

# ---- build: every dependency, the TypeScript checks, the web UI and the bundled CLI ----------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app

# Dependencies first, so changing the source reuses this layer. --ignore-scripts: `npm ci` would
# otherwise run the package's own `prepare` (= the build) before the source is here; no runtime
# dependency has an install script (ripgrep comes as a platform package, esbuild works without its
# optional postinstall).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY . .
# NODE_ENV stays unset here: `production` would make npm skip the devDependencies the build needs.
RUN npm run build \
    && test -f dist/wfhub.mjs && test -f dist/web/index.html \
    && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node.js, the production dependencies and what the agent's tools call ----------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime

# git: runs record, commit and undo with it; ripgrep: the agent's grep and glob (the npm package's
# binary is used first, this one when it is missing); bubblewrap: the sandbox for agent commands
# (it needs user namespaces: see docs/deployment.md); tini: PID 1, forwards signals and reaps the
# agents' processes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap ca-certificates git ripgrep tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# What `npm start` needs: bin/wfhub.js loads dist/wfhub.mjs; migrations/ and package.json are read
# at start (the package root is found by them); node_modules holds the packages kept out of the
# bundle (PGlite, pino-pretty, swagger-ui's files). Owned by root: the app cannot change itself.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/dist ./dist

# The data dir (database when DATABASE_URL is unset, attachments, worktrees, secret.key) and the
# workspaces, owned by the unprivileged `node` user (uid 1000) of the base image; a new named
# volume takes this ownership.
RUN mkdir -p /data /workspaces && chown node:node /data /workspaces
VOLUME ["/data", "/workspaces"]

# Listening on every address inside the container makes wfhub refuse to start without
# WFHUB_TOKEN (src/server/start-server.ts, checkExposure): pass one at `docker run`.
ENV WFHUB_HOST=0.0.0.0 \
    WFHUB_PORT=8002 \
    WFHUB_DATA_DIR=/data \
    WFHUB_WORKSPACES_DIR=/workspaces

USER node
EXPOSE 8002

# /health is public (no token) and answers while the process is up; node does the probe, so the
# image needs no curl. It calls 127.0.0.1, which answers while WFHUB_HOST is 0.0.0.0 (as here) or loopback.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WFHUB_PORT || process.env.PORT || 8002) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# `npm start` is `exec node bin/wfhub.js serve`: the same command, without npm in between.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/wfhub.js", "serve"]
