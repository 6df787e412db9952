//! The keyboard shortcuts' help: `?` (or its button) shows the list, Esc or the button closes it. The
//! shortcuts themselves belong to the parts they act on (the order form's: B, S, F, Esc).

use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;

/// The shortcuts, as the list shows them.
pub const SHORTCUTS: [(&str, &str); 5] = [
    ("B", "buy: the order form's side"),
    ("S", "sell: the order form's side"),
    ("F", "go to the quantity"),
    ("Esc", "clear the order form (in a field too)"),
    ("?", "show or hide this list"),
];

/// Whether the trader is typing in a field (where letters are text, not shortcuts).
pub fn typing() -> bool {
    document().active_element().is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"))
}

/// Whether a key press is a plain one (no Ctrl, Alt or Meta: those are the browser's).
pub fn plain(ev: &leptos::ev::KeyboardEvent) -> bool {
    !(ev.ctrl_key() || ev.alt_key() || ev.meta_key())
}

#[component]
pub fn Shortcuts() -> impl IntoView {
    let (open, set_open) = signal(false);
    let listener = window_event_listener(leptos::ev::keydown, move |ev| match ev.key().as_str() {
        "?" if plain(&ev) && !typing() => set_open.update(|o| *o = !*o),
        "Escape" => set_open.set(false),
        _ => {}
    });
    on_cleanup(move || listener.remove());
    view! {
        <button class="small help" name="shortcuts" aria-haspopup="dialog" aria-expanded=move || open.get().to_string()
            title="Keyboard shortcuts (?)" on:click=move |_| set_open.update(|o| *o = !*o)>"Keys"</button>
        <Show when=move || open.get()>
            <div class="shortcuts panel" role="dialog" aria-label="Keyboard shortcuts">
                <h2>"Keyboard shortcuts"</h2>
                <dl>
                    {SHORTCUTS.map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> })}
                </dl>
                <button type="button" name="close_shortcuts" on:click=move |_| set_open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
