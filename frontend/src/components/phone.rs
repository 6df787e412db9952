//! The phone's layout (narrow screens only; the stylesheet hides it elsewhere): tabs choosing which of
//! the chart, the book, the trades and the order form fills the screen, and a Buy and Sell bar that
//! stays at the bottom and opens the order form on that side.

use common::Side;
use leptos::prelude::*;

/// What the phone shows above the activity tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneView {
    Chart,
    Book,
    Trades,
    Trade,
}

impl PhoneView {
    const ALL: [PhoneView; 4] = [PhoneView::Chart, PhoneView::Book, PhoneView::Trades, PhoneView::Trade];

    /// As the screen's `data-view` names it (the stylesheet shows the matching part).
    pub fn name(self) -> &'static str {
        match self {
            PhoneView::Chart => "chart",
            PhoneView::Book => "book",
            PhoneView::Trades => "trades",
            PhoneView::Trade => "trade",
        }
    }

    fn label(self) -> &'static str {
        match self {
            PhoneView::Chart => "Chart",
            PhoneView::Book => "Book",
            PhoneView::Trades => "Trades",
            PhoneView::Trade => "Trade",
        }
    }
}

#[component]
pub fn PhoneTabs(view: RwSignal<PhoneView>) -> impl IntoView {
    view! {
        <nav class="phone-tabs" aria-label="Show">
            {PhoneView::ALL.map(|v| view! {
                <button name=format!("show-{}", v.name()) class:active=move || view.get() == v
                    aria-pressed=move || (view.get() == v).to_string() on:click=move |_| view.set(v)>{v.label()}</button>
            })}
        </nav>
    }
}

#[component]
pub fn PhoneBar(view: RwSignal<PhoneView>, side: RwSignal<Side>) -> impl IntoView {
    let open_form = move |s: Side| {
        side.set(s);
        view.set(PhoneView::Trade);
        // The form is at the top of the screen's parts: go there.
        window().scroll_to_with_x_and_y(0.0, 0.0);
    };
    view! {
        <nav class="phone-bar" aria-label="Trade">
            <button class="primary buy" name="phone-buy" on:click=move |_| open_form(Side::Buy)>"Buy"</button>
            <button class="primary sell" name="phone-sell" on:click=move |_| open_form(Side::Sell)>"Sell"</button>
        </nav>
    }
}
