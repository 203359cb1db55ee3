# hookgate image: build with the tools better-sqlite3's native addon needs,
# run on the slim image with production dependencies and compiled code only.

# Node 24.18.1, not the newest 24.x: from 24.19 node::ObjectWrap registers an
# environment cleanup hook in its inline constructor and destructor, and
# better-sqlite3 12 (an ObjectWrap addon, compiled here against these
# headers) then aborts the process whenever V8 collects a Statement outside a
# JS context: 5 of 12 gateways died at boot on 24.21.0, none of 21 on 24.18.1
# (test/container/run.sh boots several to catch it; WiseLibs/better-sqlite3
# #1515). Unpin once better-sqlite3 is on 13.x (node-addon-api, no ObjectWrap).
ARG NODE_VERSION=24.18.1
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# better-sqlite3 compiles from source against the Node headers in the image:
# no prebuilt binary is downloaded (the build may run without internet beyond
# the npm registry, and a binary built here matches this exact Node ABI).
ENV npm_config_build_from_source=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --foreground-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY providers ./providers
# npm run build emits dist/src and dist/providers only; tests and benchmarks
# are not even in the context (.dockerignore). Then drop dev dependencies, and
# keep better-sqlite3's compiled addon without its C sources and object files.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src \
 && mkdir -p build/Release \
 && mv /tmp/better_sqlite3.node build/Release/

FROM node:${NODE_VERSION}-bookworm-slim
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
