//! A small market: a market maker quoting both sides of each market around a drifting price, and a
//! taker sending market orders into it, both through the public REST API like any client. `make demo`
//! runs it beside the exchange so that a newcomer opens the UI to a live book with trades flowing.
//!
//! `cargo run --release -p tools --bin demo_bot -- [BASE_URL]` (default http://127.0.0.1:8000). With
//! `ADMIN_TOKEN` set (as `make demo` does) the bots are funded as an operator funds users, by admin
//! deposits; without it they take the demo faucet's funds.

use std::time::Duration;

use common::{Balance, Credentials, Dec, DepositRequest, LoggedIn, NewOrder, Order, Side, Symbol};
use reqwest::Client;

struct Bot {
    http: Client,
    base: String,
    name: String,
    token: String,
}

/// What a bot is topped up to, per asset, when its total falls below half of it.
const FUNDED: [(&str, &str); 3] = [("BTC", "20"), ("ETH", "200"), ("USD", "1000000")];

impl Bot {
    /// Registers the account if needed, then logs in.
    async fn login(http: &Client, base: &str, name: &str) -> Result<Bot, reqwest::Error> {
        let creds = Credentials { username: name.into(), password: format!("{name}-demo-password") };
        http.post(format!("{base}/api/v1/auth/register")).json(&creds).send().await?;
        let login = http.post(format!("{base}/api/v1/auth/login")).json(&creds).send().await?;
        let token = login.json::<LoggedIn>().await.map(|l| l.access_token).unwrap_or_default();
        Ok(Bot { http: http.clone(), base: base.to_string(), name: name.to_string(), token })
    }

    /// Places an order; the order as placed, or None when it was refused.
    async fn order(&self, order: &NewOrder) -> Option<Order> {
        let url = format!("{}/api/v1/orders/", self.base);
        let r = self.http.post(url).bearer_auth(&self.token).json(order).send().await.ok()?;
        r.json().await.ok()
    }

    /// Funds the bot (without funds its orders are refused like anyone's): with the operator's admin
    /// token, deposits bring each asset below half its `FUNDED` amount back to it, once per reference;
    /// without one, the demo faucet's funds (once a minute; `make demo` turns the faucet on).
    async fn top_up(&self, admin_token: Option<&str>, round: u64) {
        let Some(admin) = admin_token else {
            let url = format!("{}/api/v1/account/faucet", self.base);
            let _ = self.http.post(url).bearer_auth(&self.token).send().await;
            return;
        };
        let url = format!("{}/api/v1/account/balances", self.base);
        let Ok(reply) = self.http.get(url).bearer_auth(&self.token).send().await else { return };
        let balances: Vec<Balance> = reply.json().await.unwrap_or_default();
        for (asset, target) in FUNDED {
            let target = Dec::parse(target).expect("a plain decimal");
            let total = balances.iter().find(|b| b.asset == asset).map_or(Dec::ZERO, |b| b.total);
            if total.0 + total.0 >= target.0 {
                continue;
            }
            let deposit = DepositRequest {
                username: self.name.clone(),
                asset: asset.into(),
                amount: Dec::from(target.0 - total.0),
                reference: format!("demo-{}-{}-{round}-{asset}", self.name, common::time::now_ms()),
            };
            let url = format!("{}/api/v1/admin/deposits", self.base);
            let _ = self.http.post(url).bearer_auth(admin).json(&deposit).send().await;
        }
    }

    async fn cancel_all(&self, symbol: &Symbol) {
        let url = format!("{}/api/v1/orders/?symbol={}", self.base, symbol.as_str().replace('/', "-"));
        let _ = self.http.delete(url).bearer_auth(&self.token).send().await;
    }
}

/// A tiny deterministic generator (no dependency needed for a demo).
struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 1_000_000) as f64 / 1_000_000.0
    }
}

#[tokio::main]
async fn main() {
    let base = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:8000".into());
    let http = Client::new();
    let (maker, taker) = loop {
        match (Bot::login(&http, &base, "demo-maker").await, Bot::login(&http, &base, "demo-taker").await) {
            (Ok(m), Ok(t)) if !m.token.is_empty() && !t.token.is_empty() => break (m, t),
            _ => {
                eprintln!("demo: waiting for the exchange at {base} ...");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let admin_token = std::env::var("ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    println!("demo: a market maker and a taker are trading on {base} (Ctrl-C stops them)");
    let symbol = |s: &str| Symbol::parse(s).expect("a listed symbol");
    let mut markets = [(symbol("BTC/USD"), 50_000.0_f64, 5.0), (symbol("ETH/USD"), 3_000.0, 0.5)];
    // Prices and quantities with two decimals, exactly as written.
    let dec = |v: f64| Dec::parse(&format!("{v:.2}")).expect("a plain decimal");
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut trades = 0usize;
    for round in 0u64.. {
        // About once a minute (a round takes a little over 0.8 s): the bots are topped up.
        if round % 70 == 0 {
            maker.top_up(admin_token.as_deref(), round).await;
            taker.top_up(admin_token.as_deref(), round).await;
        }
        for (symbol, mid, step) in markets.iter_mut() {
            // The price drifts; the maker requotes five levels a side around it.
            *mid = (*mid * (1.0 + (rng.unit() - 0.5) * 0.002)).max(*step * 20.0);
            maker.cancel_all(symbol).await;
            for level in 1..=5 {
                for (side, sign) in [(Side::Buy, -1.0), (Side::Sell, 1.0)] {
                    let price = ((*mid + sign * *step * level as f64) / 0.01).round() * 0.01;
                    let qty = 0.01 + (rng.unit() * 10.0).round() / 100.0;
                    maker.order(&NewOrder::limit(symbol.clone(), side, dec(qty), dec(price))).await;
                }
            }
            // The taker hits one side or the other.
            let side = if rng.unit() < 0.5 { Side::Buy } else { Side::Sell };
            let qty = 0.01 + (rng.unit() * 4.0).round() / 100.0;
            if let Some(order) = taker.order(&NewOrder::market(symbol.clone(), side, dec(qty))).await {
                trades += order.trades.map_or(0, |t| t.len());
            }
        }
        if round % 10 == 0 {
            println!(
                "demo: round {round}, {trades} trades, BTC/USD mid {:.2}, ETH/USD mid {:.2}",
                markets[0].1, markets[1].1
            );
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
}
