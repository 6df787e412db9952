//! The signed-in user's balances, free and locked per asset, and (on a demo exchange) the faucet's
//! "get test funds". Reloaded on every change the private feed reports and after the faucet
//! (`use_balances`, shared with the order form).

use common::{Balance, Market};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::still_signed_in;
use crate::api;
use crate::format::{amount, asset_places, trimmed};
use crate::my_state::merge_balance;
use crate::updates::Updates;

/// How long the faucet's answer stays under the panel.
const MESSAGE_SHOWN_MS: u32 = 4_000;

/// The signed-in user's balances: read on sign-in, on each (re)connection of the private feed and on
/// `reloads`, and between those kept from the feed's `balance` messages: one copy for the panel and the
/// order form.
pub fn use_balances(
    token: ReadSignal<Option<String>>,
    resyncs: ReadSignal<u64>,
    messages: Updates<Balance>,
) -> (ReadSignal<Vec<Balance>>, WriteSignal<u64>) {
    let (balances, set_balances) = signal(Vec::<Balance>::new());
    let (reloads, set_reloads) = signal(0u64);
    let seen = StoredValue::new(0);
    Effect::new(move |_| messages.each_new(seen, |b| set_balances.update(|list| merge_balance(list, b))));
    Effect::new(move |_| {
        resyncs.track();
        reloads.track();
        let Some(t) = token.get() else {
            set_balances.set(Vec::new());
            return;
        };
        spawn_local(async move {
            if let Ok(list) = api::balances(&t).await {
                if still_signed_in(token, &t) {
                    set_balances.set(list);
                }
            }
        });
    });
    (balances, set_reloads)
}

#[component]
pub fn Balances(
    token: ReadSignal<Option<String>>,
    markets: ReadSignal<Vec<Market>>,
    balances: ReadSignal<Vec<Balance>>,
    set_reloads: WriteSignal<u64>,
) -> impl IntoView {
    let (message, set_message) = signal(None::<Result<String, String>>);
    // Which answer is shown: each goes after a few seconds unless a newer one replaced it.
    let shown = StoredValue::new(0u64);
    Effect::new(move |_| {
        if token.get().is_none() {
            set_message.set(None);
        }
    });
    let faucet = move |_| {
        let Some(t) = token.get_untracked() else { return };
        spawn_local(async move {
            let answer = match api::faucet(&t).await {
                Ok(_) => Ok("Test funds credited".to_string()),
                Err(e) if e.status == 404 => Err("This exchange gives no test funds".to_string()),
                // (The faucet gives once a minute; the server's own words say only "slow down".)
                Err(e) if e.status == 429 => Err("Test funds come once a minute: try again shortly".to_string()),
                Err(e) => Err(e.detail),
            };
            let this = shown.get_value() + 1;
            shown.set_value(this);
            set_message.set(Some(answer));
            set_reloads.update(|n| *n += 1);
            TimeoutFuture::new(MESSAGE_SHOWN_MS).await;
            if shown.get_value() == this {
                set_message.set(None);
            }
        });
    };
    view! {
        <Show when=move || token.get().is_some()>
            <section class="panel balances">
                <h2>"Balances" <button class="small" name="faucet" on:click=faucet>"Get test funds"</button></h2>
                <div class="row head"><span>"Asset"</span><span>"Free"</span><span>"Locked"</span></div>
                // Each amount at the places its markets price the asset in (cut, never rounded up), the
                // exact one in its title.
                <For
                    each=move || balances.get()
                    key=|b| (b.asset.clone(), b.free, b.locked)
                    children=move |b| {
                        let places = markets.with(|list| asset_places(list, &b.asset));
                        view! {
                            <div class="row balance" data-asset=b.asset.clone()>
                                <span>{b.asset.clone()}</span>
                                <span class="free" title=trimmed(b.free)>{amount(b.free, places)}</span>
                                <span class="locked" title=trimmed(b.locked)>{amount(b.locked, places)}</span>
                            </div>
                        }
                    }
                />
                {move || message.get().map(|m| match m {
                    Ok(text) => view! { <p class="ok">{text}</p> }.into_any(),
                    Err(text) => view! { <p class="error">{text}</p> }.into_any(),
                })}
            </section>
        </Show>
    }
}
