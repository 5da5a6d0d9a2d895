# One image for every process of the project, chosen by argument:
#   docker run IMAGE                                        → backend   (dist/cmd/stringsvc.js)
#   docker run IMAGE dist/cmd/stringsvc.js --proxy=a:8080    → frontend
#   docker run IMAGE dist/cmd/countersvc.js                  → counter service
# Node 24 LTS, pinned by major; Debian slim keeps glibc for prebuilt native packages.
# No `# syntax=` line: BuildKit's built-in frontend (Docker 20.10 and later) has all this file uses,
# and the line would make every build fetch a frontend image from a registry, so offline builds fail.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: all dependencies (TypeScript included), then compile src/ to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed from the same lockfile; no install scripts run.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime: node, the production node_modules and dist/. Nothing is writable by the app user
# (the chart also mounts the root filesystem read-only, with an emptyDir at /tmp).
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# Under a memory limit V8 sizes its young generation from the limit: at the chart's 256 MiB a
# semi-space is 1 MiB, a request's garbage fills it every few dozen requests, and the services
# spend a third of their CPU scavenging. 16 MiB is what V8 picks without a limit; the new space
# then takes 32 MiB of the pod's memory. Overridable, like any NODE_OPTIONS.
ENV NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's `node` user, numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself; the services drain on it.
ENTRYPOINT ["node"]
CMD ["dist/cmd/stringsvc.js"]
