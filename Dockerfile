# One image for every aims-flow process (api, worker, migrations); docker-compose.yml picks the command.
# The TypeScript runs with tsx, as in development, so there is no build step to drift from the source.
FROM node:20-slim

WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Dependencies first, so a source change reuses this layer. tsx is a devDependency, hence the full tree.
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force

COPY . .
# The only directory the processes write to: scripts/seed.ts keeps demo credentials in .local/.
RUN mkdir -p .local && chown node:node .local

ENV NODE_ENV=production
USER node
EXPOSE 3000
CMD ["npx", "tsx", "api/main.ts"]
