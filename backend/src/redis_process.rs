//! A `redis-server` child process on a port of its own, with its data in a directory of its own.
//! Tests and benchmarks start one each (never touching a Redis they did not start); `make run` starts one
//! when no Redis is configured.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`; killed (and its scratch data removed) on drop.
pub struct RedisProcess {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    remove_dir: bool,
    /// Arguments before the standard ones (a configuration file must come first).
    leading: Vec<String>,
    extra: Vec<String>,
}

impl RedisProcess {
    /// Starts a throwaway server on a free loopback port with its data in a fresh temporary directory.
    pub fn start_scratch(extra: &[&str]) -> std::io::Result<RedisProcess> {
        Self::scratch(|_| extra.iter().map(|s| s.to_string()).collect())
    }

    /// Starts a throwaway server that speaks only TLS on its port, with this certificate and key (clients
    /// are not asked for certificates).
    pub fn start_scratch_tls(cert: &Path, key: &Path, ca: &Path) -> std::io::Result<RedisProcess> {
        Self::scratch(|port| {
            let path = |p: &Path| p.display().to_string();
            vec![
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port.to_string(),
                "--tls-cert-file".into(),
                path(cert),
                "--tls-key-file".into(),
                path(key),
                "--tls-ca-cert-file".into(),
                path(ca),
                "--tls-auth-clients".into(),
                "no".into(),
            ]
        })
    }

    /// A throwaway server on a free port; `extra(port)` gives its further arguments. A free port can be
    /// taken by another process between being found and being bound (tests start many servers at once),
    /// so a server that cannot bind is started again on another port, a few times.
    pub fn scratch(extra: impl Fn(u16) -> Vec<String>) -> std::io::Result<RedisProcess> {
        Self::fresh("redis", |_, port| Ok((vec![], extra(port))))
    }

    /// A throwaway process in a fresh directory on a free port, started again on another port (a few
    /// times) when the one found free was taken before it could bind. `args(dir, port)` gives the
    /// arguments before and after the standard ones.
    fn fresh(
        kind: &str,
        args: impl Fn(&Path, u16) -> std::io::Result<(Vec<String>, Vec<String>)>,
    ) -> std::io::Result<RedisProcess> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let dir = std::env::temp_dir().join(format!("exchange-{kind}-{}-{}", std::process::id(), unique()));
            std::fs::create_dir_all(&dir)?;
            let port = free_port()?;
            let (leading, extra) = args(&dir, port)?;
            let mut p = RedisProcess { child: None, port, dir, remove_dir: true, leading, extra };
            match p.spawn() {
                Ok(()) => return Ok(p),
                Err(e) if attempt < 5 && e.to_string().contains("exited early") => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts a persistent server (AOF on) whose data stays in `dir`. A server left running on the same
    /// directory by an earlier run that died is shut down first, so two never write the same files.
    pub fn start_persistent(dir: &Path, port: u16) -> std::io::Result<RedisProcess> {
        std::fs::create_dir_all(dir)?;
        stop_stale(dir);
        let mut p = RedisProcess {
            child: None,
            port,
            dir: dir.to_path_buf(),
            remove_dir: false,
            leading: vec![],
            extra: vec![
                "--appendonly".into(),
                "yes".into(),
                "--pidfile".into(),
                dir.join("redis.pid").display().to_string(),
            ],
        };
        p.spawn()?;
        Ok(p)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let mut cmd = Command::new("redis-server");
        cmd.args(&self.leading)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--daemonize", "no", "--logfile", "redis.log"])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start redis-server (is it installed?): {e}")))?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> std::io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(3).collect();
                return Err(std::io::Error::other(format!("redis-server exited early: {status}: {tail:?}")));
            }
            if self.answers_as_itself() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(std::io::Error::other("redis-server did not start listening within 10 s"))
    }

    /// Starts a Redis Sentinel watching the master on `master_port` as `mymaster` (quorum 2), quick to
    /// act: a master silent for 1 s is down. `passwords`: the master's and the Sentinel's own.
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

    /// Whether the server on the port is this child (not another process that took the port first):
    /// its `INFO server` names the child's pid.
    fn answers_as_itself(&mut self) -> bool {
        use std::io::{Read, Write};
        let Some(pid) = self.pid() else { return false };
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        if s.write_all(b"INFO server\r\n").is_err() {
            return false;
        }
        let mut buf = vec![0u8; 8192];
        let mut text = String::new();
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if text.contains("process_id:") && text.contains("run_id:") || text.starts_with('-') {
                break;
            }
        }
        // A password or TLS on the port: no INFO to read, but no other Redis's either.
        text.contains(&format!("process_id:{pid}\r")) || (!text.contains("process_id:") && self.is_running())
    }

    fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server abruptly (SIGKILL), keeping its data directory.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory.
    pub fn restart(&mut self) -> std::io::Result<()> {
        self.kill();
        self.spawn()
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        if self.remove_dir {
            self.kill();
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            // Persistent data: a clean SHUTDOWN flushes the append-only file before the process exits.
            let _ = shutdown(self.port);
            if let Some(mut child) = self.child.take() {
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Sends `SHUTDOWN` to the server on `port`.
fn shutdown(port: u16) -> std::io::Result<()> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_write_timeout(Some(Duration::from_secs(1)))?;
    s.write_all(b"SHUTDOWN\r\n")
}

/// Ends a `redis-server` still running from the pid file in `dir` (left behind by a killed run).
fn stop_stale(dir: &Path) {
    let Ok(pid) = std::fs::read_to_string(dir.join("redis.pid")) else { return };
    let pid = pid.trim();
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if cmdline.contains("redis-server") {
        let _ = Command::new("kill").arg(pid).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && Path::new(&format!("/proc/{pid}")).exists() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
