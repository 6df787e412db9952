//! The screen's parts, one per file.

pub mod header;
pub mod order_book;
pub mod trades_tape;
