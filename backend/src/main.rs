//! `backend`: reads the configuration, builds the application and serves it.

use backend::config::{self, Config};
use backend::startup::{self, Application};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("--variables") {
        // The configuration variables, one per line (the compose file check reads them).
        config::VARIABLES.iter().for_each(|v| println!("{v}"));
        return;
    }
    // The configuration first: it loads `.env`, which may set RUST_LOG.
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            std::process::exit(2);
        }
    };
    if std::env::args().nth(1).as_deref() == Some("--health") {
        // The container's health check (the Dockerfile's HEALTHCHECK): exit 0 when the server answers.
        if let Err(e) = startup::health_probe(config.host, config.port) {
            eprintln!("unhealthy: {e}");
            std::process::exit(1);
        }
        return;
    }
    tracing_subscriber::fmt().with_env_filter(log_filter()).init();
    match startup::raise_open_files_limit() {
        Ok(limit) => tracing::info!(limit, "open files"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("cannot start: {e}");
            std::process::exit(1);
        }
    };
    println!("exchange running at http://{}/", app.local_addr());
    if let Err(e) = app.run().await {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}

/// RUST_LOG's filter, with the libraries that would log message bodies, headers or commands (and so
/// tokens and passwords) held at `info` whatever RUST_LOG says: no secret is ever written to a log.
fn log_filter() -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    for target in ["tungstenite", "tokio_tungstenite", "hyper", "hyper_util", "h2", "redis", "rustls"] {
        filter = filter.add_directive(format!("{target}=info").parse().expect("a valid directive"));
    }
    filter
}
