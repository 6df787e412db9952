//! What the benchmark programs share: each writes its figures, one value per run, to a JSON file that
//! `scripts/bench.py` merges into `target/bench/results.json`; and the CPU time processes used during a
//! scenario, which says where the time went.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use testkit::process::{cpu_seconds, rss_mb};

/// The value of `--name <value>` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// The value of `--name <value>` read as a `T`, or `default` when absent or unreadable.
pub fn arg_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Figures by name, one value per run, written as JSON to the `--json` path when one is given.
#[derive(Default)]
pub struct Figures(BTreeMap<String, Vec<f64>>);

impl Figures {
    pub fn push(&mut self, name: &str, value: f64) {
        self.0.entry(name.to_string()).or_default().push(value);
    }

    /// A figure's values so far, one per run.
    pub fn runs(&self, name: &str) -> Vec<f64> {
        self.0.get(name).cloned().unwrap_or_default()
    }

    /// The median of a figure's runs so far.
    pub fn median(&self, name: &str) -> Option<f64> {
        self.0.get(name).map(|v| median(v))
    }

    /// Writes the figures to the `--json` path, if there is one.
    pub fn write(&self) {
        let Some(path) = arg("--json").map(PathBuf::from) else { return };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the figures' directory can be created");
        }
        let text = serde_json::to_string_pretty(&self.0).expect("figures serialise");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

/// The median of some values (the upper one of an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// CPU used by named processes over a scenario: `start` before it, `per_op` after it.
pub struct CpuMeter {
    procs: Vec<(&'static str, u32, f64)>,
}

impl CpuMeter {
    pub fn start(procs: &[(&'static str, u32)]) -> CpuMeter {
        CpuMeter { procs: procs.iter().map(|&(name, pid)| (name, pid, cpu_seconds(pid))).collect() }
    }

    /// Microseconds of CPU per operation for each process since `start`, e.g. "backend 41 us, redis 28 us".
    pub fn per_op(&self, ops: usize) -> Vec<(&'static str, f64)> {
        self.procs
            .iter()
            .map(|&(name, pid, before)| (name, (cpu_seconds(pid) - before) * 1e6 / ops.max(1) as f64))
            .collect()
    }
}

/// "backend 41.0 us, redis 28.1 us, load client 35.2 us".
pub fn describe_cpu(per_op: &[(&str, f64)]) -> String {
    per_op.iter().map(|(name, us)| format!("{name} {us:.1} us")).collect::<Vec<_>>().join(", ")
}
