//! The language the exchange's backend, browser app, tools and tests all speak: the contract's types
//! (`docs/api.md`) with validated newtypes. No server or browser dependencies.

pub mod asset;
pub mod auth;
pub mod book;
pub mod candle;
pub mod decimal;
pub mod error;
pub mod fill;
pub mod funds;
pub mod health;
pub mod market;
pub mod order;
pub mod symbol;
pub mod time;
pub mod ws;

pub use asset::{AmountError, Asset, MarketUnits, MAX_AMOUNT};
pub use auth::{Credentials, LoggedIn, Registered, Resumed};
pub use book::{BookLevel, BookSnapshot, BookUpdate};
pub use candle::{Candle, CandleInterval, CandleMessage, ServerTime, Ticker};
pub use decimal::{Dec, DecError};
pub use error::ErrorBody;
pub use fill::{Fill, FillMessage, Liquidity};
pub use funds::{Balance, DepositRequest, FeeAmount, LedgerEntry, LedgerKind, WithdrawalRequest};
pub use health::Health;
pub use market::{GridError, Market, MAX_SAFE_INT};
pub use order::{
    CancelAll, Field, NewOrder, Order, OrderChange, OrderChangeRequest, OrderRequest, OrderStatus, OrderType,
    RequestError, Side, TimeInForce, Trade,
};
pub use symbol::{ClientOrderId, InvalidId, Password, Symbol, Username};
pub use ws::{ClientMessage, ErrorData, OrderUpdateData, PublicOrderUpdate, ServerMessage};
