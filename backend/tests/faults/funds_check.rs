//! The funds invariants, checked over the API after crashes and their repair (docs/funds.md): per asset,
//! the users' totals and the fee account add up to what was deposited; no user's locks differ from what
//! its open orders may still spend; each user's fills are exactly its trades, each once; each user's
//! ledger sums to its totals.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use reqwest::Client;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::helpers::*;

/// A decimal field of the API's JSON, exactly (from its text, as the server wrote it).
fn dec(v: &Value) -> Decimal {
    v.to_string().trim_matches('"').parse().unwrap_or_else(|_| panic!("a decimal: {v}"))
}

async fn get(http: &Client, url: String, token: &str) -> Value {
    let r = http.get(&url).bearer_auth(token).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

/// Every page of a listing paged by `before=<key>` (newest first).
async fn all_pages(http: &Client, base: &str, path: &str, token: &str, key: &str) -> Vec<Value> {
    let (mut out, mut before) = (Vec::new(), None::<u64>);
    loop {
        let page = before.map_or(String::new(), |b| format!("&before={b}"));
        let list = get(http, format!("{base}{path}?limit=1000{page}"), token).await;
        let list = list.as_array().unwrap().clone();
        let full = list.len() == 1000;
        before = list.last().map(|e| e[key].as_u64().unwrap());
        out.extend(list);
        if !full {
            return out;
        }
    }
}

/// Checks the invariants for the users of `tokens`, who are the exchange's only users and were each
/// deposited `deposited` of every asset (nothing withdrawn). Trades only in BTC/USD. Waits up to 10 s
/// for the reconciler to finish transfers a crash left under way (conservation holds throughout: the
/// balances count a transfer under way once).
pub async fn check_funds(http: &Client, base: &str, tokens: &[String], deposited: &str) {
    let deposited: Decimal = deposited.parse().unwrap();
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    let trades = get(http, format!("{base}/orders/trades/BTC-USD?limit=1000"), &tokens[0]).await;
    let trades = trades.as_array().unwrap().clone();
    assert!(trades.len() < 1000, "every trade is in the listing");
    let fees = get(http, format!("{base}/admin/fees"), ADMIN_TOKEN).await;
    for f in fees.as_array().unwrap() {
        *totals.entry(f["asset"].as_str().unwrap().to_string()).or_default() += dec(&f["amount"]);
    }
    for (u, token) in tokens.iter().enumerate() {
        let balances = get(http, format!("{base}/account/balances"), token).await;
        let mut free_locked = HashMap::new();
        for b in balances.as_array().unwrap() {
            let (free, locked, total) = (dec(&b["free"]), dec(&b["locked"]), dec(&b["total"]));
            assert!(free >= Decimal::ZERO && locked >= Decimal::ZERO, "user {u}: {b}");
            assert_eq!(free + locked, total, "user {u}: {b}");
            *totals.entry(b["asset"].as_str().unwrap().to_string()).or_default() += total;
            free_locked.insert(b["asset"].as_str().unwrap().to_string(), (locked, total));
        }
        // Locks: an open buy holds price × remaining of USD, an open sell its remaining BTC.
        let orders = all_pages(http, base, "/orders/", token, "id").await;
        let (mut usd, mut btc) = (Decimal::ZERO, Decimal::ZERO);
        for o in orders.iter().filter(|o| matches!(o["status"].as_str(), Some("open" | "partially_filled"))) {
            match o["side"].as_str() {
                Some("buy") => usd += dec(&o["price"]) * dec(&o["remaining_quantity"]),
                _ => btc += dec(&o["remaining_quantity"]),
            }
        }
        assert_eq!(free_locked["USD"].0, usd, "user {u}: USD locked is what the open buys may spend");
        assert_eq!(free_locked["BTC"].0, btc, "user {u}: BTC locked is what the open sells may spend");
        // Fills: exactly the user's trades, each once.
        let mine: BTreeSet<u64> = orders.iter().map(|o| o["id"].as_u64().unwrap()).collect();
        let traded: BTreeSet<u64> = trades
            .iter()
            .filter(|t| ["maker_order_id", "taker_order_id"].iter().any(|k| mine.contains(&t[*k].as_u64().unwrap())))
            .map(|t| t["id"].as_u64().unwrap())
            .collect();
        let fills = all_pages(http, base, "/account/fills", token, "trade_id").await;
        let filled: Vec<u64> = fills.iter().map(|f| f["trade_id"].as_u64().unwrap()).collect();
        assert_eq!(filled.len(), filled.iter().collect::<BTreeSet<_>>().len(), "user {u}: a fill listed twice");
        assert_eq!(filled.into_iter().collect::<BTreeSet<_>>(), traded, "user {u}: fills are the user's trades");
        // The ledger sums to each total.
        let ledger = all_pages(http, base, "/account/ledger", token, "id").await;
        let mut sums: HashMap<String, Decimal> = HashMap::new();
        for e in &ledger {
            *sums.entry(e["asset"].as_str().unwrap().to_string()).or_default() += dec(&e["amount"]);
        }
        for (asset, (_, total)) in &free_locked {
            assert_eq!(
                sums.get(asset).copied().unwrap_or_default(),
                *total,
                "user {u}: {asset} ledger sums to its total"
            );
        }
    }
    eprintln!("funds whole: {} users, {} trades, totals and fees per asset {totals:?}", tokens.len(), trades.len());
    let users = Decimal::from(tokens.len());
    for (asset, total) in &totals {
        assert_eq!(*total, deposited * users, "{asset}: users' totals and fees are what was deposited");
    }
}

/// Waits until no transfer is under way for any user (the reconciler has finished what crashes left).
pub async fn wait_transfers_done(redis_url: &str) {
    let client = redis::Client::open(redis_url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let pending: u64 = redis::cmd("ZCARD").arg("transfers:pending").query_async(&mut conn).await.unwrap();
        if pending == 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{pending} transfers still under way after 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
