//! The screen's parts, one per file.

pub mod account;
pub mod balances;
pub mod depth_chart;
pub mod header;
pub mod market_stats;
pub mod my_orders;
pub mod order_book;
pub mod order_form;
pub mod trades_tape;
