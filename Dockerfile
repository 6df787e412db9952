# The exchange in a container: the browser UI (trunk) and the backend built in one stage, served by a
# small runtime image as a non-root user. docker-compose.yml runs it next to Redis.

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
WORKDIR /src
COPY . .
RUN trunk build --release \
 && scripts/compress_ui.sh \
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
