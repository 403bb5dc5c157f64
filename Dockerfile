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
# tsx runs the TypeScript sources directly (bin/canary.js), so it stays installed.
RUN npm ci --omit=dev && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY rules ./rules
COPY tsconfig.json ./

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000 3100 3200
ENTRYPOINT ["node", "bin/canary.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
