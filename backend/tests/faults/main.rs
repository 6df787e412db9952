//! Fault injection: each test builds the deployment it breaks — Redis killed under load (AOF), the
//! backend killed under retrying clients, Sentinel and Cluster failovers, scale-out over a Cluster,
//! Redis full, Redis restarted, TLS, clients that never read — and proves that nothing acknowledged is
//! lost and nothing is half-written, and that the funds invariants hold after the repair.

mod backend_crash;
mod durability;
mod failover;
mod funds_check;
mod health_probe;
mod helpers;
mod redis_memory;
mod redis_outage;
mod scale_out;
mod secrets;
mod slow_clients;
mod tls;
