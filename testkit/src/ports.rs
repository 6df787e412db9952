//! Free loopback ports, and names no other test of this process uses.

use std::sync::atomic::{AtomicU64, Ordering};

/// A loopback port free at the time of asking. Another process may take it before it is bound: whatever
/// binds it must be ready to try again (`RedisProcess` is).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A number not handed out before in this process.
pub fn unique() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
