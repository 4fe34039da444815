# syntax=docker/dockerfile:1
# Kradle controller and API. No build step: bin/kradle.js registers tsx (a runtime dependency) and runs src/ as is.

# Production dependencies only; a lockfile install so the image is what CI tested.
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-slim AS runtime
# kradle serve binds 127.0.0.1 unless told otherwise; in a container it must listen on every interface.
ENV NODE_ENV=production KRADLE_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package*.json ./
COPY bin ./bin
COPY src ./src
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
