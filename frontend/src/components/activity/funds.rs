//! The funds tab: every asset's total, what is available and what open orders hold, and the ledger of
//! the account's movements (deposits, withdrawals, test funds, trades and fees), newest first, read
//! when the tab opens and again after each change of a balance; older pages on request.

use common::{Balance, LedgerEntry};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::cells::local_time;
use super::Older;
use crate::api;
use crate::components::still_signed_in;
use crate::format::trimmed;
use crate::my_state::PAGE;

#[component]
pub fn Funds(
    token: ReadSignal<Option<String>>,
    balances: ReadSignal<Vec<Balance>>,
    /// Whether the tab is open: the ledger is read only then.
    open: Signal<bool>,
) -> impl IntoView {
    let ledger = RwSignal::new(Vec::<LedgerEntry>::new());
    // The newest page again on opening the tab and on every change of a balance while it is open (a
    // change of a balance is a new entry); older pages read meanwhile are kept behind it.
    Effect::new(move |_| {
        balances.track();
        let Some(t) = token.get() else {
            ledger.set(Vec::new());
            return;
        };
        if !open.get() {
            return;
        }
        spawn_local(async move {
            if let Ok(page) = api::ledger(&t, PAGE, None).await {
                if still_signed_in(token, &t) {
                    ledger.update(|held| {
                        let oldest = page.last().map_or(0, |e| e.id);
                        held.retain(|e| e.id < oldest);
                        let older = std::mem::replace(held, page);
                        held.extend(older);
                    });
                }
            }
        });
    });
    let fetch =
        move |t: String| async move { api::ledger(&t, PAGE, ledger.with_untracked(|l| l.last().map(|e| e.id))).await };
    view! {
        <div class="row head funds"><span>"Asset"</span><span>"Total"</span><span>"Available"</span><span>"In orders"</span></div>
        <For each=move || balances.get() key=|b| (b.asset.clone(), b.free, b.locked) children=|b| view! {
            <div class="row funds" data-asset=b.asset.clone()>
                <span>{b.asset.clone()}</span><span class="total">{trimmed(b.total)}</span>
                <span class="free">{trimmed(b.free)}</span><span class="locked">{trimmed(b.locked)}</span>
            </div>
        } />
        <h3>"Movements"</h3>
        <Show when=move || !ledger.get().is_empty() fallback=|| view! { <p class="muted empty">"None yet."</p> }>
            <div class="row head ledger"><span>"Time"</span><span>"Asset"</span><span>"Kind"</span><span>"Amount"</span><span>"Reference"</span></div>
        </Show>
        <For each=move || ledger.get() key=|e| e.id children=|e| view! {
            <div class="row ledger" data-entry-id=e.id>
                <span class="time">{local_time(&e.timestamp)}</span><span>{e.asset.clone()}</span>
                <span class="kind">{e.kind.as_str()}</span><span class="amount">{trimmed(e.amount)}</span>
                <span class="reference">{e.reference.clone()}</span>
            </div>
        } />
        <Older name="older_movements" token shown=Signal::derive(move || ledger.with(|l| l.len() >= PAGE)) fetch keep=move |page| ledger.update(|list| list.extend(page)) />
    }
}
