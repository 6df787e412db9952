//! Settlement latency as a counterparty sees it: the private feeds of many users, each fill where the
//! user was the maker timed from the trade (its timestamp) to the next `balance` message on that feed.
//! The server sends a fill's message before any balance read after it (`backend/src/http/ws/user.rs`),
//! so the next balance message is the first that can show the fill.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::time::{now_ms, parse_millis};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Listeners on private feeds, gathering settlement latencies (ms) until `finish`.
pub struct SettlementProbe {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<Vec<u64>>>,
}

impl SettlementProbe {
    /// Signs in on `ws_base/ws/user` (e.g. `ws://127.0.0.1:8000/api/v1`) once per token; returns when
    /// every feed is authenticated.
    pub async fn start(ws_base: &str, tokens: &[String]) -> SettlementProbe {
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for token in tokens {
            let (mut ws, _) = tokio_tungstenite::connect_async(format!("{ws_base}/ws/user"))
                .await
                .expect("the private feed connects");
            let auth = serde_json::json!({"type": "auth", "token": token}).to_string();
            ws.send(Message::Text(auth.into())).await.expect("auth is sent");
            while let Some(Ok(m)) = ws.next().await {
                if matches!(&m, Message::Text(t) if t.contains("authenticated")) {
                    break;
                }
            }
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                let (mut latencies, mut waiting) = (Vec::new(), Vec::<u64>::new());
                while !stop.load(Ordering::Relaxed) {
                    let Ok(next) = tokio::time::timeout(Duration::from_millis(100), ws.next()).await else { continue };
                    let Some(Ok(Message::Text(text))) = next else { break };
                    let Ok(m) = serde_json::from_str::<Value>(&text) else { continue };
                    match m["type"].as_str() {
                        Some("fill") if m["data"]["liquidity"] == "maker" => {
                            waiting.extend(m["data"]["timestamp"].as_str().and_then(parse_millis));
                        }
                        Some("balance") => {
                            let now = now_ms();
                            latencies.extend(waiting.drain(..).map(|traded| now.saturating_sub(traded)));
                        }
                        _ => {}
                    }
                }
                latencies
            }));
        }
        SettlementProbe { stop, tasks }
    }

    /// Stops listening; every latency measured, in ms.
    pub async fn finish(self) -> Vec<u64> {
        // (A balance may still be on its way for the last fills.)
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for t in self.tasks {
            all.extend(t.await.unwrap_or_default());
        }
        all
    }
}
