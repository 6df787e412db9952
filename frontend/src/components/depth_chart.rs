//! The depth chart: cumulative quantity against price, bids left of the spread in green, asks right in
//! red, as an SVG step chart.

use leptos::prelude::*;

use crate::book::Book;

const W: f64 = 360.0;
const H: f64 = 140.0;
const DEPTH: usize = 50;

/// An SVG path of a step curve closed down to the baseline.
fn area(points: &[(f64, f64)], x: impl Fn(f64) -> f64, y: impl Fn(f64) -> f64) -> String {
    let Some(first) = points.first() else { return String::new() };
    let mut path = format!("M{:.1},{:.1}", x(first.0), H);
    let mut level = 0.0;
    for &(price, total) in points {
        path += &format!(" L{:.1},{:.1} L{:.1},{:.1}", x(price), y(level), x(price), y(total));
        level = total;
    }
    let last = points.last().map_or(first.0, |p| p.0);
    path += &format!(" L{:.1},{:.1} Z", x(last), H);
    path
}

#[component]
pub fn DepthChart(book: ReadSignal<Book>) -> impl IntoView {
    let paths = move || {
        let (bids, asks) = book.get().depth_curves(DEPTH);
        let prices: Vec<f64> = bids.iter().chain(asks.iter()).map(|p| p.0).collect();
        let (lo, hi) = prices.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &p| (lo.min(p), hi.max(p)));
        let top = bids.last().map_or(0.0, |p| p.1).max(asks.last().map_or(0.0, |p| p.1));
        if prices.is_empty() || hi <= lo || top <= 0.0 {
            return (String::new(), String::new());
        }
        let x = move |p: f64| (p - lo) / (hi - lo) * W;
        let y = move |q: f64| H - q / top * (H - 6.0);
        (area(&bids, x, y), area(&asks, x, y))
    };
    view! {
        <section class="panel depth">
            <h2>"Depth"</h2>
            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" class="chart">
                <path class="bids" d=move || paths().0 />
                <path class="asks" d=move || paths().1 />
            </svg>
        </section>
    }
}
