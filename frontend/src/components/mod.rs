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

use leptos::prelude::*;

/// Whether `signed_in` is `token`, the one an answer was read with: the answer is kept only then (not if
/// the user signed out, or another signed in, while it was on its way).
pub fn still_signed_in(signed_in: ReadSignal<Option<String>>, token: &str) -> bool {
    signed_in.with_untracked(|t| t.as_deref() == Some(token))
}
