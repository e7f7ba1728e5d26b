# syntax=docker/dockerfile:1
# The demo services (gateway, worker, inventory), the load generator and the Alertmanager webhook
# receiver, built from this repository for docker-compose.yml. The Node and pnpm versions are the
# ones scripts/env.sh installs for the tests (test/compose.test.ts checks they agree).
FROM node:24.21.0-bookworm-slim AS build
RUN npm install --global --no-audit --no-fund pnpm@10.34.8
WORKDIR /repo
# Manifests first, so a source change does not re-run the install.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/errors/package.json packages/errors/
COPY packages/node/package.json packages/node/
COPY packages/grpc/package.json packages/grpc/
COPY packages/http/package.json packages/http/
COPY packages/resilience/package.json packages/resilience/
COPY packages/stack/package.json packages/stack/
COPY packages/demo/package.json packages/demo/
COPY grafana/package.json grafana/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm --filter @faultline/demo... build \
 && pnpm deploy --filter @faultline/demo --prod --legacy /app

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app ./
COPY --from=build /repo/packages/demo/dist ./dist
COPY --from=build /repo/packages/demo/proto ./proto
USER node
# Each compose service names its own command (node --require @faultline/node/register dist/…).
CMD ["node", "dist/loadgen.js", "--help"]
