//! Mounts the trading screen on the page.

mod api;
mod app;
mod axis;
mod book;
mod candles;
mod components;
mod connection;
mod format;
mod market_feed;
mod my_state;
mod notice;
mod order_check;
mod order_guard;
mod route;
mod updates;
mod user_feed;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
    // The page's placeholder, shown while the module loaded, goes.
    if let Some(placeholder) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("loading"))
    {
        placeholder.remove();
    }
}
