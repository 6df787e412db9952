# The exchange in a container: the browser UI (trunk) and the backend built in one stage, served by a
# small runtime image as a non-root user. docker-compose.yml runs it next to Redis. `make test-docker`
# builds and runs it (README, "Docker compose").

# ---- builder: the Rust toolchain, the wasm target, trunk and the pinned wasm-bindgen-cli ----
FROM rust:1.95-bookworm AS builder
# The tools' versions as scripts/prereqs.sh reads them: toolchain.env, and wasm-bindgen's pin in the
# frontend's manifest. Copied on their own first, so that this layer is rebuilt only when they change.
COPY toolchain.env frontend/Cargo.toml /pins/
RUN . /pins/toolchain.env \
 && WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' /pins/Cargo.toml) \
 && rustup target add wasm32-unknown-unknown \
 && cargo install trunk --version "${TRUNK_VERSION}" --locked \
 && cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}" --locked
# brotli, for the UI's .br copies beside its .gz ones (scripts/compress_ui.sh): browsers that take brotli
# get the smaller one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends brotli \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The dependencies, built from the manifests alone (each member's sources an empty stand-in), so that
# a change to the sources rebuilds only the workspace's own crates.
COPY Cargo.toml Cargo.lock ./
COPY common/Cargo.toml common/
COPY backend/Cargo.toml backend/
COPY frontend/Cargo.toml frontend/
COPY testkit/Cargo.toml testkit/
COPY tools/Cargo.toml tools/
RUN for member in common backend frontend testkit tools; do mkdir -p $member/src && touch $member/src/lib.rs; done \
 && echo 'fn main() {}' > backend/src/main.rs \
 && echo 'fn main() {}' > frontend/src/main.rs \
 && cargo build --release --locked -p backend --bin backend \
 && cargo build --release --locked -p tools --lib \
 && cargo build --profile wasm-release --locked --target wasm32-unknown-unknown -p frontend --bin frontend \
 && rm -rf common backend frontend testkit tools
COPY . .
# (The sources are older than the stand-ins' builds: touched, so that cargo builds them.)
RUN find common backend frontend testkit tools -name '*.rs' -exec touch {} + \
 && trunk build --release \
 && scripts/compress_ui.sh \
 && cargo build --release --locked -p backend --bin backend -p tools --bin demo_bot

# ---- runtime: the binary, the UI and the CA certificates (for rediss://), and the demo market's bot
# (the compose file's `demo` service, with DEMO=true), nothing else ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin exchange
WORKDIR /app
COPY --from=builder /src/target/release/backend /src/target/release/demo_bot /usr/local/bin/
COPY --from=builder /src/dist /app/dist
ENV HOST=0.0.0.0 \
    PORT=8000 \
    STATIC_DIR=/app/dist
USER exchange
EXPOSE 8000
# The binary asks its own /api/v1/health (the image has no curl): healthy while it and Redis answer.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["backend", "--health"]
CMD ["backend"]
