//! The screen's parts, one per file.

pub mod account;
pub mod activity;
pub mod balances;
pub mod chart_width;
pub mod depth_chart;
pub mod header;
pub mod market_stats;
pub mod order_book;
pub mod order_form;
pub mod phone;
pub mod price_chart;
pub mod shortcuts;
pub mod toasts;
pub mod trades_tape;
