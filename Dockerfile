# syntax=docker/dockerfile:1
# Kradle controller and API. bin/kradle.js runs the compiled dist/ (fast start); were it missing or older than
# src/, it would run src/ through tsx (a runtime dependency) instead.

# Production dependencies only; a lockfile install so the image is what CI tested. No scripts: `prepare`
# compiles, which is the build stage's job.
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# src/ compiled to dist/ with TypeScript (a dev dependency, so not in the image).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
RUN node scripts/build.mjs && test -f dist/BUILD.json

FROM node:20-slim AS runtime
# kradle serve binds 127.0.0.1 unless told otherwise; in a container it must listen on every interface.
ENV NODE_ENV=production KRADLE_HOST=0.0.0.0
# glibc gives each thread that allocates (libuv's pool, V8's GC and compiler threads, parse workers) an arena of
# its own and hands little of it back: at 10,000 synced resources the arenas were 130 MB of the controller's RSS,
# swinging by 50 MB from run to run. Two arenas, large blocks mapped and an earlier trim measured 399 MB against
# 442-531 MB without on a loaded machine, and 465 against 496 MB on a quiet one (bench/sync), at no cost a bench
# could see; with the controller on the compiled dist/ as here, 392-398 MB against 460 MB (malloc 69-82 MB against
# 131 MB). V8's young generation is left at its default: --max-semi-space-size=4 settled at 201 against 335 MB
# after 30 s idle, but peaked at 446-484 against 394-398 MB during the cold apply, which is what a limit must fit.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package*.json ./
COPY bin ./bin
COPY src ./src
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
# .kradle holds the embedded database (without DATABASE_URL) and the config repo cache: the one writable
# directory of the app. In Kubernetes it is an emptyDir, so the root filesystem can stay read-only.
RUN mkdir -p /app/.kradle && chown 10001:10001 /app/.kradle
USER 10001:10001
EXPOSE 3080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/kradle.js"]
CMD ["serve"]
