# relayq worker image: dist/ built in the first stage, run on plain Node in the second (no
# TypeScript, tsx or other dev dependencies in the image). Build: docker build -t relayq .
# Run: docker run --rm -e REDIS_URL=redis://host:6379 -v ./config:/app/config:ro relayq worker

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json cli.ts index.ts ./
COPY scripts ./scripts
COPY src ./src
COPY jobs ./jobs
COPY config ./config
RUN npm run build

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin/relayq.js ./bin/relayq.js
COPY config/relayq.example.yaml config/simulator.example.yaml ./config/
COPY examples ./examples
USER node
# Healthy = the config loads and the configured Redis answers relayq's queries.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15s --retries=3 \
  CMD ["node", "bin/relayq.js", "batches", "--limit", "1", "--json"]
ENTRYPOINT ["node", "bin/relayq.js"]
CMD ["worker"]
