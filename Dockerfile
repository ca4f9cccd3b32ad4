# One image for every aims-flow process (api, worker, migrations, namespace set-up); docker-compose.yml
# picks the command. Built in two stages: the first compiles the TypeScript and bundles the workflows,
# the second holds only the production dependencies and the compiled code, on Node 24 LTS.
FROM node:24-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:24-slim
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The only directory the processes write to: scripts/seed.js keeps demo credentials in dist/.local/.
RUN mkdir -p dist/.local && chown node:node dist/.local
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
