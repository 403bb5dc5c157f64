# The application image: one image, three programs (serve, daemon, llm-sim), chosen by the
# container's command, e.g. `docker run ai-search-canary serve --host 0.0.0.0 --port 3000`.
# Two stages: `build` holds the toolchain and the dev dependencies, `runtime` only the built JS
# (dist/) and the production dependencies, and runs as the unprivileged `node` user.
# The rule files are not in the image: mount them (docker-compose.yml mounts ./rules into the
# daemon and into Prometheus, so both read the same files).

# Both stages use the same base: better-sqlite3 is a native addon, so the runtime must have the
# libc (glibc, Debian bookworm) and the Node ABI it was built against.
FROM node:20-bookworm-slim AS build

# better-sqlite3 downloads a prebuilt binary when one matches; otherwise it compiles, which needs
# python3, make and g++. They stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Build with the dev dependencies (tsc), then drop them: what is left in node_modules is exactly
# what `npm ci --omit=dev` would install, with the native addon already built.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force


FROM node:20-bookworm-slim AS runtime

# CANARY_USE_DIST=1: bin/canary.js runs dist/, even where tsx is installed (there are no
# TypeScript sources in this stage for it to run).
ENV NODE_ENV=production DATA_DIR=/data CANARY_USE_DIST=1
WORKDIR /app
# Owned by root and read-only to the `node` user: the program cannot rewrite itself; /data is the
# only place it writes.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The PostgreSQL flag store's SQL migrations, read at start-up (FLAGS_URL).
COPY migrations ./migrations

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000 3100 3200

# The default command is the search service: alive (/healthz) and able to serve (/readyz: database
# open, flags loaded). docker-compose.yml gives the daemon and the simulator their own probes.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "bin/healthcheck.js", "http://127.0.0.1:3000/healthz", "http://127.0.0.1:3000/readyz"]

ENTRYPOINT ["node", "bin/canary.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
