//! The trade history tab: the signed-in user's fills, newest first, each with its value, its fee (in
//! the asset received) and whether the order made or took liquidity; older pages read on request.

use common::{Dec, Fill, Liquidity};
use leptos::prelude::*;

use super::cells::{local_time, side_class, side_name, Prices};
use super::Older;
use crate::api;
use crate::format::trimmed;
use crate::my_state::{merge_older_fills, PAGE};

#[component]
pub fn TradeHistory(
    token: ReadSignal<Option<String>>,
    fills: RwSignal<Vec<Fill>>,
    shown: Memo<Vec<Fill>>,
    prices: Prices,
) -> impl IntoView {
    let fetch = move |t: String| async move {
        api::my_fills(&t, PAGE, fills.with_untracked(|l| l.last().map(|f| f.trade_id))).await
    };
    view! {
        <Show when=move || !shown.get().is_empty() fallback=move || view! {
            <p class="muted empty">{move || if token.get().is_some() { "No trades yet." } else { "" }}</p>
        }>
            <div class="row head orders fill">
                <span>"Time"</span><span>"Market"</span><span>"Side"</span><span>"Price"</span><span>"Quantity"</span>
                <span>"Value"</span><span>"Fee"</span><span>"Role"</span>
            </div>
        </Show>
        <For each=move || shown.get() key=|f| f.trade_id children=move |f| {
            let fee = format!("{} {}", trimmed(f.fee), f.fee_asset);
            let value = trimmed(Dec::from(f.price.0 * f.quantity.0));
            let role = if f.liquidity == Liquidity::Maker { "Maker" } else { "Taker" };
            view! {
                <div class=format!("row orders fill {}", side_class(f.side)) data-trade-id=f.trade_id>
                    <span class="time">{local_time(&f.timestamp)}</span><span>{f.symbol.to_string()}</span>
                    <span class="side">{side_name(f.side)}</span><span class="price">{prices.show(&f.symbol, f.price)}</span>
                    <span>{trimmed(f.quantity)}</span><span class="value">{value}</span>
                    <span class="fee">{fee}</span><span class="role">{role}</span>
                </div>
            }
        } />
        <Older name="older_trades" token shown=Signal::derive(move || fills.with(|l| l.len() >= PAGE)) fetch keep=move |page| fills.update(|list| merge_older_fills(list, page)) />
    }
}
