//! Toasts: short notices in a corner of the screen — an order's fills, cancels and refusals — each
//! gone after a few seconds, and read out by screen readers (a polite live region). They take no
//! clicks: what is under them stays usable.

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::notice::Tone;

/// How long a toast stays, and how many are shown at once (the oldest go first).
const SHOWN_MS: u32 = 6_000;
const AT_ONCE: usize = 4;

#[derive(Clone, Debug, PartialEq)]
struct Toast {
    id: u64,
    tone: Tone,
    text: String,
}

/// Where notices are sent; shown by `Toasts`.
#[derive(Clone, Copy)]
pub struct Toaster {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toaster {
    pub fn new() -> Toaster {
        Toaster { list: RwSignal::new(Vec::new()), next: StoredValue::new(0) }
    }

    pub fn show(&self, tone: Tone, text: String) {
        let id = self.next.get_value() + 1;
        self.next.set_value(id);
        self.list.update(|list| {
            list.push(Toast { id, tone, text });
            let over = list.len().saturating_sub(AT_ONCE);
            list.drain(..over);
        });
        let list = self.list;
        spawn_local(async move {
            TimeoutFuture::new(SHOWN_MS).await;
            list.update(|l| l.retain(|t| t.id != id));
        });
    }
}

#[component]
pub fn Toasts(toaster: Toaster) -> impl IntoView {
    let list = toaster.list;
    view! {
        <div class="toasts" aria-live="polite">
            <For each=move || list.get() key=|t| t.id children=move |t| {
                let tone = match t.tone {
                    Tone::Good => "toast good",
                    Tone::Neutral => "toast",
                    Tone::Warning => "toast warning",
                };
                view! { <div class=tone>{t.text}</div> }
            } />
        </div>
    }
}
