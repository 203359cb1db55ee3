# hookgate image: compile the TypeScript in a build stage, run on the slim
# image with production dependencies and compiled code only. Neither stage has
# a compiler: better-sqlite3 13 ships prebuilt N-API binaries in its npm
# package, which work on every Node of an ABI-stable N-API (no node-gyp).

# The Node.js major only: the base image is the newest Node of that major, so
# security releases arrive with a rebuild. 24 (Maintenance LTS to 2028-04)
# rather than 26 (Active LTS since 2026-10-28): CI runs every suite, the
# reliability and container ones included, on 24, and 26 only the unit suite.
ARG NODE_MAJOR=24
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script here (better-sqlite3
# loads its prebuild; esbuild is tsx's, a dev tool), and npm 10 in the image
# does not know package.json's allowScripts, so it would run better-sqlite3's
# implicit node-gyp step, which needs python and a compiler.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
# npm run build emits dist/src and dist/providers only; tests and benchmarks
# are not even in the context (.dockerignore). Then drop dev dependencies, and
# better-sqlite3's C sources and the prebuilds of other operating systems.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src binding.gyp prebuilds/darwin-* prebuilds/win32-*

FROM node:${NODE_MAJOR}-bookworm-slim
ENV NODE_ENV=production \
    HOOKGATE_CONFIG=/etc/hookgate/config.yaml
WORKDIR /app
# Code and dependencies belong to root and are read-only for the node user
# that runs the gateway: only /data is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/providers ./dist/providers
COPY migrations ./migrations
COPY examples/container/config.yaml /etc/hookgate/config.yaml
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
# No curl in the slim image: node itself asks the readiness endpoint, which
# answers 200 only while the database is writable. A config that listens
# elsewhere sets HOOKGATE_PORT for both (the default config reads it too).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HOOKGATE_PORT || 8080) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and gets no default signal handling there; the gateway traps
# SIGTERM itself, drains and exits 0 (test/container/run.sh checks it).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js", "start"]
