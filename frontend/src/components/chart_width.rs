//! A chart's drawing width kept equal to its element's width in CSS pixels, so that the SVG is drawn
//! 1:1 (labels at their real size, no empty bands beside a scaled drawing) and a pointer's offset from
//! the element's left edge is a drawing coordinate.

use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The width of the SVG element `node` refers to, measured when it mounts and on every window resize
/// (`fallback` until then).
pub fn use_chart_width(node: NodeRef<leptos::svg::Svg>, fallback: f64) -> ReadSignal<f64> {
    let (width, set_width) = signal(fallback);
    let measure = move || {
        let Some(svg) = node.get_untracked() else { return };
        let measured = svg.get_bounding_client_rect().width();
        if measured > 0.0 && measured != width.get_untracked() {
            set_width.set(measured);
        }
    };
    Effect::new(move |_| {
        if node.get().is_some() {
            measure();
        }
    });
    let listener = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || listener.remove());
    width
}

/// The pointer's offset from the left edge of the element the handler is on, in CSS pixels.
pub fn pointer_x(ev: &leptos::ev::MouseEvent) -> Option<f64> {
    let element = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    Some(f64::from(ev.client_x()) - element.get_bounding_client_rect().left())
}
