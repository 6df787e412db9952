//! Funds (docs/funds.md): each user's wallet in the user's own slot (`wallet`), their sub-accounts in
//! the markets' slots and the transfers between the two (`transfers`), moving funds to where an order
//! needs them (`cover`), the exchange's fee account (`fees`), the keys and ledger entries (`ledger`), a
//! user's fills and whole ledger (`history`), and why a change did not happen (`error`).
//!
//! Within the module, imports point one way: `error`, `ledger` → `wallet` → `transfers` → `cover`;
//! `wallet` → `fees`, `history`.

mod cover;
mod error;
mod fees;
mod history;
mod ledger;
mod transfers;
mod wallet;

pub use error::FundsError;
pub use ledger::LEDGER_IDS_PER_COUNT;
pub use transfers::{Direction, Units};
pub use wallet::{Applied, Funds};
