//! A `redis-server` child process on a port of its own, with its files in a directory of its own:
//! `make run` starts one (AOF on) when no Redis is configured. The test kit builds its throwaway
//! servers on the same launcher.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`. Dropped while it runs, it is shut down cleanly (`SHUTDOWN` writes out the
/// append-only file), and killed if it has not stopped within 10 s.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    /// Arguments before the standard ones (a configuration file must come first).
    leading: Vec<String>,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts a server on `port` (127.0.0.1) with its files in `dir`, which must exist: `leading`
    /// arguments first, then the standard ones (no RDB snapshots, log in `dir/redis.log`), then `extra`.
    /// Fails with "exited early" when the process ends before it answers (its port was taken, say).
    pub fn start(dir: &Path, port: u16, leading: Vec<String>, extra: Vec<String>) -> std::io::Result<RedisServer> {
        let mut server = RedisServer { child: None, port, dir: dir.to_path_buf(), leading, extra };
        server.spawn()?;
        Ok(server)
    }

    /// Starts a persistent server (AOF on) whose data stays in `dir`. A server left running on the same
    /// directory by an earlier run that died is shut down first, so two never write the same files.
    pub fn start_persistent(dir: &Path, port: u16, maxmemory: &str) -> std::io::Result<RedisServer> {
        std::fs::create_dir_all(dir)?;
        stop_stale(dir);
        let pidfile = dir.join("redis.pid").display().to_string();
        let extra = [
            "--appendonly",
            "yes",
            "--pidfile",
            &pidfile,
            "--maxmemory",
            maxmemory,
            "--maxmemory-policy",
            "noeviction",
        ]
        .map(String::from)
        .to_vec();
        RedisServer::start(dir, port, Vec::new(), extra)
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
                self.child = None;
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

    /// The directory holding the server's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server abruptly (SIGKILL), keeping its files.
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

impl Drop for RedisServer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = shutdown(self.port);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
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
