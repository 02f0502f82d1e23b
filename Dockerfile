# opsflow's image: the watcher and the worker (one image, two commands; see k8s/deploy).
#   docker build -t <registry>/opsflow:0.1.0 .
# The sources are TypeScript run by `node --import tsx`, so tsx is a runtime dependency here: it is
# moved from devDependencies to dependencies (same pinned version) before a production install;
# no other dev tool is installed. `npm install`, not `npm ci`: package-lock.json was made on a
# registry mirror without @swc/core's optional platform packages, which `npm ci` insists on.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm pkg set "dependencies.tsx=$(node -p "require('./package.json').devDependencies.tsx")" \
 && npm pkg delete devDependencies.tsx \
 && npm install --omit=dev --no-audit --no-fund \
 && node -e "import('tsx/esm/api').then(() => console.log('tsx ok'))" \
 && npm cache clean --force

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/package.json ./package.json
COPY tsconfig.json ./
COPY src ./src
# The image's `node` user (uid 1000); the Deployments also run with a read-only root filesystem
# and an emptyDir on /tmp (tsx's compile cache).
USER 1000:1000
CMD ["node", "--import", "tsx", "src/worker/main.ts"]
