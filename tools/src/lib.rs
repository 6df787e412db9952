//! What the benchmarks and tools share: their figures (`figures`: command-line options, medians, CPU
//! time and memory of processes, the JSON `scripts/bench.py` merges), their order flow (`flow`), the
//! WebSocket benchmark's lean client (`feed_client`) and the settlement latency probe (`settlement`).

pub mod feed_client;
pub mod figures;
pub mod flow;
pub mod settlement;
