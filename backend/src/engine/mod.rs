//! The matching engine's Rust face: typed functions over its Lua library (`lua/`) — place, amend, cancel,
//! cancel-all, stops left for later, book snapshots, recent trades, orders by id and a user's orders. Orders are checked
//! against the market's grid here (`check`), so the scripts only ever see integers on the grid; what
//! the scripts store, send and publish is defined once, in `wire`.
//!
//! Within the module, imports point one way: `wire` and `keys` (formats and names) → `error`,
//! `reply`, `check`, `library` → `handle` → `orders`, `reads`, `candles`, `event`, `stops` → `amend`,
//! `batcher`.

mod amend;
pub mod batcher;
pub mod candles;
mod check;
mod error;
pub mod event;
mod handle;
pub mod keys;
pub mod library;
mod orders;
mod reads;
mod reply;
mod stops;
pub mod wire;

pub use amend::{read_amend, Amended, Change};
pub use candles::Folded;
pub use check::{check_order, CheckedOrder};
pub use error::EngineError;
pub use handle::Engine;
pub use keys::MarketKeys;
pub use orders::{read_placements, BatchOrder, Placed};
pub use reads::StatusFilter;
pub use stops::STOP_TICK;
pub use wire::{Event, RawOrder};
