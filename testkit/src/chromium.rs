//! chromedriver and headless Chromium, as the browser tests (`backend/tests/browser`) and the first-load
//! figure (`tools/src/bin/ui_load.rs`) start them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::free_port;

/// chromedriver on a port, and the browsers it started: dropped, it kills them all and removes their
/// profiles, so that a failed run (whose sessions were never closed) leaves no Chromium running.
/// (Chromium leaves chromedriver's process group; its profile directory, named after the driver, finds
/// it.)
pub struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port and waits until it answers.
    pub async fn start() -> ChromeDriver {
        let port = free_port();
        // Owned by the guard at once, so that it is killed on every path, a failed start included.
        let driver = ChromeDriver {
            child: Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver is installed (make test installs it)"),
            port,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not start");
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let prefix = profile_prefix(self.port);
        let _ = Command::new("pkill").args(["-KILL", "-f", &prefix]).status();
        // And their profiles: nothing of a run is left behind.
        let profiles = std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten();
        for profile in profiles.filter(|p| p.file_name().to_string_lossy().starts_with(&prefix)) {
            let _ = std::fs::remove_dir_all(profile.path());
        }
    }
}

/// The start of the profile directories of the browsers of the chromedriver on `driver_port`.
fn profile_prefix(driver_port: u16) -> String {
    format!("exchange-chromium-{}-{driver_port}-", std::process::id())
}

/// A new, empty profile directory (a cold cache, no cookies) for a browser of the chromedriver on
/// `driver_port`.
pub fn new_profile(driver_port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("{}{}", profile_prefix(driver_port), free_port()))
}

/// The `goog:chromeOptions` of a headless Chromium with `profile`, fetching nothing in the background,
/// its window `width` × `height`; below a window's least width (about 500 px) it is emulated as a
/// phone, with touch.
pub fn chromium_options(profile: &Path, width: u32, height: u32) -> Value {
    let mut options = json!({
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 format!("--user-data-dir={}", profile.display()), format!("--window-size={width},{height}")]
    });
    if width < 500 {
        options["mobileEmulation"] =
            json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0, "touch": true}});
    }
    options
}
