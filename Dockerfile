# The exchange in a container: the browser UI (trunk) and the backend built in one stage, served by a
# small runtime image as a non-root user. docker-compose.yml runs it next to Redis.

# ---- builder: the Rust toolchain, the wasm target, trunk and the pinned wasm-bindgen-cli ----
FROM rust:1.95-bookworm AS builder
ARG TRUNK_VERSION=0.21.14
ARG WASM_BINDGEN_VERSION=0.2.100
RUN rustup target add wasm32-unknown-unknown \
 && cargo install trunk --version "${TRUNK_VERSION}" --locked \
 && cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}" --locked
WORKDIR /src
COPY . .
RUN trunk build --release \
 && cargo build --release -p backend --bin backend

# ---- runtime: the binary, the UI and the CA certificates (for rediss://), nothing else ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin exchange
WORKDIR /app
COPY --from=builder /src/target/release/backend /usr/local/bin/backend
COPY --from=builder /src/dist /app/dist
ENV HOST=0.0.0.0 \
    PORT=8000 \
    STATIC_DIR=/app/dist
USER exchange
EXPOSE 8000
CMD ["backend"]
