//! The contract's funds types (docs/api.md, "Funds"): balances, ledger entries, deposits and
//! withdrawals.

use serde::{Deserialize, Serialize};

use crate::decimal::Dec;

/// One asset's balance: `free` (usable) and `locked` (held for open orders).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    pub asset: String,
    pub free: Dec,
    pub locked: Dec,
    pub total: Dec,
}

/// What changed a balance.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Deposit,
    Withdrawal,
    Faucet,
    Trade,
    Fee,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Deposit => "deposit",
            LedgerKind::Withdrawal => "withdrawal",
            LedgerKind::Faucet => "faucet",
            LedgerKind::Trade => "trade",
            LedgerKind::Fee => "fee",
        }
    }

    pub fn parse(text: &str) -> Option<LedgerKind> {
        [LedgerKind::Deposit, LedgerKind::Withdrawal, LedgerKind::Faucet, LedgerKind::Trade, LedgerKind::Fee]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One change of a user's balance: `amount` is signed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: u64,
    pub asset: String,
    pub amount: Dec,
    pub kind: LedgerKind,
    /// The deposit's reference, the withdrawal's client id, or the trade's id.
    pub reference: String,
    pub timestamp: String,
}

/// `POST /api/v1/admin/deposits`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DepositRequest {
    pub username: String,
    pub asset: String,
    pub amount: Dec,
    /// Unique across the exchange: the same reference again credits nothing.
    pub reference: String,
}

/// `POST /api/v1/account/withdrawals`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WithdrawalRequest {
    pub asset: String,
    pub amount: Dec,
    /// Unique per user: the same id again debits nothing.
    pub client_withdrawal_id: String,
}

/// Fees the exchange holds in one asset (`GET /api/v1/admin/fees`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeeAmount {
    pub asset: String,
    pub amount: Dec,
}

/// Whether a deposit reference or a client withdrawal id is acceptable: 1-64 characters of
/// `A-Z a-z 0-9 _ - . :` (safe in keys and in a ledger entry).
pub fn is_reference(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
}
