//! A user's funds keys and the ledger entry's text form (the one definition of it on this side;
//! `lua/funds.lua` writes it).

use common::time::format_millis;
use common::{Asset, LedgerEntry, LedgerKind};

/// Ledger entry ids per count of the order id counter: a wallet change takes one count and numbers its
/// entries within it; a trade's entries are numbered within its trade id the same way.
pub const LEDGER_IDS_PER_COUNT: u64 = 4096;

/// The keys of one user's funds, all in the user's slot (hash tag `{u:<uid>}`).
pub struct UserKeys {
    pub wallet: String,
    pub ledger: String,
    pub refs: String,
    pub faucet: String,
    /// The user's transfer under way between the wallet and a market, if any.
    pub xfer: String,
}

impl UserKeys {
    pub fn new(user_id: u64) -> UserKeys {
        let tag = format!("{{u:{user_id}}}");
        UserKeys {
            wallet: format!("{tag}:wallet"),
            ledger: format!("{tag}:ledger"),
            refs: format!("{tag}:refs"),
            faucet: format!("{tag}:faucet"),
            xfer: format!("{tag}:xfer"),
        }
    }
}

/// Users who may have a transfer under way, scored by the start (ms) of their latest: what the
/// reconciler looks through.
pub const TRANSFERS_PENDING: &str = "transfers:pending";

/// The exchange-wide claim of a deposit reference.
pub fn deposit_claim_key(reference: &str) -> String {
    format!("deposit:{reference}")
}

/// `id|time ms|kind|asset|signed units|reference` as an entry; None when malformed or of an unlisted
/// asset.
pub fn parse_entry<'a>(text: &str, asset_of: impl Fn(&str) -> Option<&'a Asset>) -> Option<LedgerEntry> {
    let mut parts = text.splitn(6, '|');
    let id = parts.next()?.parse().ok()?;
    let time: u64 = parts.next()?.parse().ok()?;
    let kind = LedgerKind::parse(parts.next()?)?;
    let asset = asset_of(parts.next()?)?;
    let units: i128 = parts.next()?.parse().ok()?;
    let reference = parts.next()?.to_string();
    Some(LedgerEntry {
        id,
        asset: asset.asset.clone(),
        amount: asset.amount_of(units),
        kind,
        reference,
        timestamp: format_millis(time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_with_its_signed_amount_and_any_reference() {
        let usd = Asset { asset: "USD".into(), scale: 10 };
        let e = parse_entry("4096|1700000000000|withdrawal|USD|-12500000000|w|1", |_| Some(&usd)).unwrap();
        assert_eq!(
            (e.id, e.amount.to_string(), e.kind, e.reference.as_str()),
            (4096, "-1.25".into(), LedgerKind::Withdrawal, "w|1")
        );
        assert!(parse_entry("x|1|deposit|USD|1|r", |_| Some(&usd)).is_none());
        assert!(parse_entry("1|1|gift|USD|1|r", |_| Some(&usd)).is_none());
    }
}
