# syntax=docker/dockerfile:1
# Build stage: install everything and compile TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

# Runtime stage: production dependencies and compiled code only, as a non-root user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json config.yaml ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node features ./features
COPY --chown=node:node models ./models
COPY --chown=node:node governance ./governance
# PGlite data and the online-store snapshot live here unless DATABASE_URL/REDIS_URL are set.
RUN mkdir -p /app/.ward && chown node:node /app/.ward
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/ward.js", "serve", "--host", "0.0.0.0"]
