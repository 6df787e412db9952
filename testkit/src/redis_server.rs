//! A throwaway `redis-server`: a free port, a fresh temporary directory, removed with everything in it
//! when dropped. Tests never touch a Redis they did not start. Built on the backend's own launcher.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};

use backend::redis::RedisServer;

use crate::ports::{free_port, unique};

/// A running throwaway server; killed and its directory removed on drop. Derefs to the backend's
/// `RedisServer` for `kill`, `restart`, `port`, `pid` and `url`.
pub struct RedisProcess {
    server: RedisServer,
    dir: PathBuf,
}

impl RedisProcess {
    /// A server with these further arguments.
    pub fn start(extra: &[&str]) -> std::io::Result<RedisProcess> {
        Self::with_args(|_| extra.iter().map(|s| s.to_string()).collect())
    }

    /// A server that speaks only TLS on its port, with this certificate and key (clients are not asked
    /// for certificates).
    pub fn start_tls(cert: &Path, key: &Path, ca: &Path) -> std::io::Result<RedisProcess> {
        Self::with_args(|port| {
            let path = |p: &Path| p.display().to_string();
            let mut args = vec!["--port".into(), "0".into(), "--tls-port".into(), port.to_string()];
            for (flag, file) in [("--tls-cert-file", cert), ("--tls-key-file", key), ("--tls-ca-cert-file", ca)] {
                args.extend([flag.to_string(), path(file)]);
            }
            args.extend(["--tls-auth-clients".into(), "no".into()]);
            args
        })
    }

    /// A server whose further arguments depend on its port (`extra(port)`).
    pub fn with_args(extra: impl Fn(u16) -> Vec<String>) -> std::io::Result<RedisProcess> {
        Self::fresh("redis", |_, port| Ok((vec![], extra(port))))
    }

    /// A Redis Sentinel watching the master on `master_port` as `mymaster` (quorum 2), quick to act: a
    /// master silent for 1 s is down. `passwords`: the master's and the Sentinel's own.
    pub fn start_sentinel(master_port: u16, passwords: Option<(&str, &str)>) -> std::io::Result<RedisProcess> {
        Self::fresh("sentinel", |dir, _| {
            let conf = dir.join("sentinel.conf");
            let mut text = format!(
                "sentinel monitor mymaster 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds mymaster 1000\n\
                 sentinel failover-timeout mymaster 5000\n\
                 sentinel parallel-syncs mymaster 1\n"
            );
            if let Some((master, own)) = passwords {
                text += &format!("sentinel auth-pass mymaster {master}\nrequirepass {own}\n");
            }
            std::fs::write(&conf, text)?;
            Ok((vec![conf.display().to_string(), "--sentinel".into()], vec![]))
        })
    }

    /// A process in a fresh directory on a free port. A port found free can be taken by another process
    /// before the server binds it (tests start many servers at once), so a server that exits early is
    /// started again on another port, a few times. `args(dir, port)` gives the arguments before and
    /// after the standard ones.
    fn fresh(
        kind: &str,
        args: impl Fn(&Path, u16) -> std::io::Result<(Vec<String>, Vec<String>)>,
    ) -> std::io::Result<RedisProcess> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let dir = std::env::temp_dir().join(format!("exchange-{kind}-{}-{}", std::process::id(), unique()));
            std::fs::create_dir_all(&dir)?;
            let port = free_port();
            let (leading, extra) = args(&dir, port)?;
            match RedisServer::start(&dir, port, leading, extra) {
                Ok(server) => return Ok(RedisProcess { server, dir }),
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    if attempt >= 5 || !e.to_string().contains("exited early") {
                        return Err(e);
                    }
                }
            }
        }
    }
}

impl Deref for RedisProcess {
    type Target = RedisServer;
    fn deref(&self) -> &RedisServer {
        &self.server
    }
}

impl DerefMut for RedisProcess {
    fn deref_mut(&mut self) -> &mut RedisServer {
        &mut self.server
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        // Killed, not shut down: nothing of a throwaway server is kept.
        self.server.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
