//! Readings from Redis itself: memory, CPU time of its main thread, per-command time.

use redis::aio::MultiplexedConnection;

pub async fn used_memory(conn: &mut MultiplexedConnection) -> i64 {
    let info: String = redis::cmd("INFO").arg("memory").query_async(conn).await.unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("INFO memory has used_memory")
}

/// Where Redis spends its time per order: each command's calls per order and total microseconds per
/// order (commands run inside scripts are counted too), from `INFO commandstats`.
pub async fn print_breakdown(conn: &mut MultiplexedConnection, orders: usize) {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await.unwrap();
    let mut rows: Vec<(String, f64, f64)> = info
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |k: &str| rest.split(',').find_map(|f| f.strip_prefix(k)).and_then(|v| v.parse::<f64>().ok());
            Some((name.to_string(), field("calls=")? / orders as f64, field("usec=")? / orders as f64))
        })
        .collect();
    rows.sort_by(|a, b| b.2.partial_cmp(&a.2).unwrap());
    println!("  where Redis's time goes, per order (fcall includes the commands it runs):");
    for (name, calls, usec) in rows.iter().take(14) {
        println!("    {name:<18} {calls:>6.2} calls  {usec:>7.2} us");
    }
}

/// Seconds of CPU Redis's main thread has used.
pub async fn redis_cpu(conn: &mut MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO").arg("cpu").query_async(conn).await.unwrap();
    let field = |k: &str| info.lines().find_map(|l| l.strip_prefix(k)).and_then(|v| v.trim().parse::<f64>().ok());
    field("used_cpu_user_main_thread:").unwrap_or(0.0) + field("used_cpu_sys_main_thread:").unwrap_or(0.0)
}
