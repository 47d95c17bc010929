# syntax=docker/dockerfile:1
# One image for both roles: `sluice jobmanager` (default) and `sluice taskmanager`.
# The CLI runs TypeScript through tsx (a runtime dependency), so there is no compile step.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: full install, then a smoke check that the CLI's module graph loads ------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN node bin/sluice.js --help > /dev/null && rm -rf node_modules

# --- production dependencies only ---------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
# Sources (what .dockerignore lets through: runtime/, functions/, local/, bin/ …), then only
# the production dependencies on top.
COPY --from=build --chown=node:node /app ./
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
# The official image's unprivileged user (uid 1000); nothing runs as root.
USER node
# 8081 REST + dashboard (JobManager), 6121 data (TaskManager), 6123 RPC (JobManager)
EXPOSE 8081 6121 6123
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["jobmanager"]
