# The application image: one image, three programs (serve, daemon, llm-sim), chosen by the
# container's command, e.g. `docker run ai-search-canary serve --host 0.0.0.0 --port 3000`.
FROM node:20-bookworm-slim

# better-sqlite3 ships prebuilt binaries for Node 20; the toolchain is only a fallback.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY package.json package-lock.json ./
# --include=dev: NODE_ENV=production (above) would otherwise leave out the build tools.
RUN npm ci --include=dev && npm cache clean --force

# The production tree CI checks (scripts/check-production-tree.sh): build dist/, then drop the dev
# dependencies (tsx, TypeScript, autocannon…); bin/canary.js runs dist/ when tsx is absent.
COPY bin ./bin
COPY src ./src
COPY rules ./rules
COPY tsconfig.json tsconfig.build.json ./
RUN npm run build && npm prune --omit=dev

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000 3100 3200
ENTRYPOINT ["node", "bin/canary.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
