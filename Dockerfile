# syntax=docker/dockerfile:1
# Baton's gateway image. Two stages: `build` installs every dependency and builds the two web pages
# (the end user's web chat and the agent's Copilot workspace); the runtime stage installs the production
# dependencies only and copies the built pages in. The CLI runs the TypeScript sources through tsx (a
# production dependency), so there is no compile step for the server. docs/operations.md describes how to
# run it; compose.yaml runs two of them with PostgreSQL, Redis and the 8x8 simulator.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web && npm run build:copilot

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY simulator ./simulator
COPY flows ./flows
COPY knowledge ./knowledge
COPY --from=build /app/dist/web ./dist/web
# The operator page (/admin/) is served as written, without a build step.
COPY web/admin ./web/admin
# The embedded store (pglite://…) needs a writable directory; /data is the one to mount a volume on.
RUN mkdir -p /data /etc/baton && chown node:node /data
# The `node` user of the official image (uid 1000): nothing in the image is writable by it but /data.
USER node
EXPOSE 3000
# /healthz answers while the process serves; readiness (store and bus reachable) is /readyz, which an
# orchestrator's readiness probe should use instead. node:20-slim has no curl, so node asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.BATON_HEALTH_PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/baton.js"]
CMD ["serve", "--config", "/etc/baton/baton.yaml"]
