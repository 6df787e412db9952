//! The language the exchange's backend and browser app both speak: the contract's types
//! (`../shared/API.md`) with validated newtypes. No server or browser dependencies.

pub mod book;
pub mod decimal;
pub mod error;
pub mod market;
pub mod order;
pub mod symbol;
pub mod time;
pub mod ws;

pub use book::{BookLevel, BookSnapshot, BookUpdate};
pub use decimal::{Dec, DecError};
pub use error::ErrorBody;
pub use market::{GridError, Market, MAX_SAFE_INT};
pub use order::{CancelAll, NewOrder, Order, OrderStatus, OrderType, Side, TimeInForce, Trade};
pub use symbol::{ClientOrderId, InvalidId, Password, Symbol, Username};
pub use ws::{ClientMessage, ErrorData, OrderUpdateData, PublicOrderUpdate, ServerMessage};
