# The service on Node 20, as `npm run serve` runs it. Multi-stage: the build tools and devDependencies stay in the first
# stage; the image runs as the unprivileged `node` user of the official image.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 and argon2 are native addons; these build them where no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The client package is a workspace of the lockfile; npm ci builds it, though the server never loads it.
COPY packages/client ./packages/client
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY openapi ./openapi
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
# For the zero-configuration SQLite default; on PostgreSQL nothing is written here.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "--single-threaded-gc", "dist/server.js"]
