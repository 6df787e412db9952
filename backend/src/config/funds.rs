//! Settings of funds: the admin token, the demo faucet, the ledger's length.

use std::time::Duration;

use common::Dec;

use super::env::ConfigError;

/// How funds are administered and what the demo faucet gives.
#[derive(Clone, Debug)]
pub struct FundsSettings {
    /// The bearer token of the admin endpoints (deposits, fees); without one they answer 404.
    pub admin_token: Option<String>,
    /// Whether `POST /account/faucet` credits demo funds (on in `make run` and the demo, off otherwise).
    pub faucet: bool,
    /// What the faucet credits of each asset; an asset not named gets `FAUCET_OTHER`.
    pub faucet_amounts: Vec<(String, Dec)>,
    /// How long a user waits between two faucet credits.
    pub faucet_rest: Duration,
    /// Wallet ledger entries kept per user (older ones drop out of the ledger's listing).
    pub ledger_kept: u32,
}

/// What the faucet credits of an asset `FAUCET_AMOUNTS` does not name.
pub const FAUCET_OTHER: &str = "1000";

impl Default for FundsSettings {
    fn default() -> Self {
        FundsSettings {
            admin_token: None,
            faucet: false,
            faucet_amounts: parse_faucet_amounts("BTC:1;ETH:10;USD:100000").expect("valid defaults"),
            faucet_rest: Duration::from_secs(60),
            ledger_kept: 10_000,
        }
    }
}

impl FundsSettings {
    /// What the faucet credits of `asset`.
    pub fn faucet_amount(&self, asset: &str) -> Dec {
        self.faucet_amounts
            .iter()
            .find(|(a, _)| a == asset)
            .map(|(_, d)| *d)
            .unwrap_or_else(|| Dec::parse(FAUCET_OTHER).expect("a decimal"))
    }
}

/// `ASSET:amount;ASSET:amount` (the `FAUCET_AMOUNTS` variable).
pub fn parse_faucet_amounts(text: &str) -> Result<Vec<(String, Dec)>, ConfigError> {
    let fail = |reason: String| ConfigError { name: "FAUCET_AMOUNTS", reason };
    text.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let (asset, amount) =
                entry.split_once(':').ok_or_else(|| fail(format!("`{entry}`: expected ASSET:amount")))?;
            let amount = Dec::parse(amount.trim()).map_err(|e| fail(e.to_string()))?;
            if !amount.is_positive() {
                return Err(fail(format!("`{entry}`: the amount must be positive")));
            }
            Ok((asset.trim().to_string(), amount))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faucet_amounts_are_read_and_default_for_assets_not_named() {
        let s =
            FundsSettings { faucet_amounts: parse_faucet_amounts("USD:500; BTC:0.5").unwrap(), ..Default::default() };
        assert_eq!(s.faucet_amount("BTC").to_string(), "0.5");
        assert_eq!(s.faucet_amount("SOL").to_string(), FAUCET_OTHER);
        assert!(parse_faucet_amounts("USD").is_err());
        assert!(parse_faucet_amounts("USD:-1").is_err());
    }
}
