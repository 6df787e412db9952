//! The depth chart: cumulative quantity against price, bids left of the spread in green, asks right in
//! red, as an SVG step chart with a price axis, a quantity axis and a read-out of the depth under the
//! pointer; within 5 % of the mid (an order far away would flatten the rest).

use leptos::prelude::*;

use crate::axis::{axis_price, axis_ticks, label};
use crate::book::{depth_at, near_the_touch, Book, Curve};
use crate::format::Places;

use super::chart_width::{pointer_x, use_chart_width};

/// The drawing's width until the element is measured, and its height (CSS pixels).
const W: f64 = 360.0;
const H: f64 = 170.0;
/// Space kept for the quantity labels (right) and the price labels (bottom).
const AXIS_W: f64 = 44.0;
const AXIS_H: f64 = 16.0;
const PLOT_H: f64 = H - AXIS_H;
const DEPTH: usize = 50;
/// How far from the mid the chart reaches, as a fraction of it (levels beyond are not drawn).
const NEAR: f64 = 0.05;
/// Room a price label takes across.
const PRICE_LABEL_W: f64 = 64.0;

/// An SVG path of a step curve closed down to the baseline.
fn area(points: &[(f64, f64)], x: impl Fn(f64) -> f64, y: impl Fn(f64) -> f64) -> String {
    let Some(first) = points.first() else { return String::new() };
    let mut path = format!("M{:.1},{:.1}", x(first.0), PLOT_H);
    let mut level = 0.0;
    for &(price, total) in points {
        path += &format!(" L{:.1},{:.1} L{:.1},{:.1}", x(price), y(level), x(price), y(total));
        level = total;
    }
    let last = points.last().map_or(first.0, |p| p.0);
    path += &format!(" L{:.1},{:.1} Z", x(last), PLOT_H);
    path
}

/// The curves and the scales they are drawn on: prices `lo..hi` across `0..plot_w`, quantities
/// `0..top` up.
#[derive(Clone, PartialEq)]
struct Scaled {
    plot_w: f64,
    bids: Curve,
    asks: Curve,
    lo: f64,
    hi: f64,
    top: f64,
}

impl Scaled {
    fn new(book: &Book, width: f64) -> Option<Scaled> {
        let (bids, asks) = book.depth_curves(DEPTH);
        let (bids, asks) = near_the_touch(bids, asks, NEAR);
        let prices = bids.iter().chain(asks.iter()).map(|p| p.0);
        let (lo, hi) = prices.fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p), hi.max(p)));
        // One level alone still gets a width: a percent either side.
        let (lo, hi) = if hi == lo { (lo * 0.99, hi * 1.01) } else { (lo, hi) };
        let top = bids.last().map_or(0.0, |p| p.1).max(asks.last().map_or(0.0, |p| p.1)) * 1.08;
        (hi > lo && top > 0.0).then_some(Scaled { plot_w: width - AXIS_W, bids, asks, lo, hi, top })
    }

    fn x(&self, price: f64) -> f64 {
        (price - self.lo) / (self.hi - self.lo) * self.plot_w
    }

    fn y(&self, quantity: f64) -> f64 {
        PLOT_H - quantity / self.top * PLOT_H
    }

    fn price_at(&self, x: f64) -> f64 {
        self.lo + x / self.plot_w * (self.hi - self.lo)
    }
}

#[component]
pub fn DepthChart(book: ReadSignal<Book>, places: Memo<Places>) -> impl IntoView {
    let svg = NodeRef::new();
    let width = use_chart_width(svg, W);
    let scaled = Memo::new(move |_| book.with(|b| Scaled::new(b, width.get())));
    // The pointer's place across the plot, in the drawing's units.
    let (pointer, set_pointer) = signal(None::<f64>);
    let drawing = move || {
        let Some(s) = scaled.get() else {
            return view! { <text x={(width.get() - AXIS_W) / 2.0} y={PLOT_H / 2.0} class="empty" text-anchor="middle">"No orders"</text> }
                .into_any();
        };
        let places = places.get();
        // (A label cut by the plot's edge is left out.)
        let prices = axis_ticks(s.lo, s.hi, 4)
            .into_iter()
            .filter(|p| (PRICE_LABEL_W / 2.0..=s.plot_w - PRICE_LABEL_W / 2.0).contains(&s.x(*p)))
            .map(|p| {
                view! {
                    <line class="grid" x1={s.x(p)} x2={s.x(p)} y1=0 y2=PLOT_H />
                    <text class="axis" x={s.x(p)} y={H - 3.0} text-anchor="middle">{axis_price(p, places.price)}</text>
                }
            })
            .collect_view();
        let quantities = axis_ticks(0.0, s.top, 3)
            .into_iter()
            .skip(1)
            .map(|q| {
                view! {
                    <line class="grid" x1=0 x2={s.plot_w} y1={s.y(q)} y2={s.y(q)} />
                    <text class="axis" x={s.plot_w + 4.0} y={s.y(q) + 4.0}>{label(q, places.quantity)}</text>
                }
            })
            .collect_view();
        let read_out = pointer.get().filter(|x| (0.0..=s.plot_w).contains(x)).map(|x| {
            let price = s.price_at(x);
            let mid = (s.bids.first().map_or(s.lo, |b| b.0) + s.asks.first().map_or(s.hi, |a| a.0)) / 2.0;
            let (side, total) = if price <= mid {
                ("bids at or above", depth_at(&s.bids, price, true))
            } else {
                ("asks at or below", depth_at(&s.asks, price, false))
            };
            let text = format!("{side} {:.*}: {:.*}", places.price as usize, price, places.quantity as usize, total);
            // The text keeps inside the plot: left of the pointer on the right half.
            let (anchor, at) = if x > s.plot_w / 2.0 { ("end", x - 4.0) } else { ("start", x + 4.0) };
            view! {
                <line class="crosshair" x1=x x2=x y1=0 y2=PLOT_H />
                <text class="read-out" x=at y=12 text-anchor=anchor>{text}</text>
            }
        });
        let (bids, asks) = (area(&s.bids, |p| s.x(p), |q| s.y(q)), area(&s.asks, |p| s.x(p), |q| s.y(q)));
        view! {
            {prices}{quantities}
            <path class="bids" d=bids />
            <path class="asks" d=asks />
            {read_out}
        }
        .into_any()
    };
    let on_move = move |ev: leptos::ev::MouseEvent| set_pointer.set(pointer_x(&ev));
    view! {
        <section class="panel depth">
            <h2>"Depth"</h2>
            <svg node_ref=svg viewBox=move || format!("0 0 {} {H}", width.get()) class="chart" on:mousemove=on_move on:mouseleave=move |_| set_pointer.set(None)>
                {drawing}
            </svg>
        </section>
    }
}
