//! The price chart: candles of the chosen interval (read over REST, the newest kept live from the
//! feed's `candle` messages), volume bars under them, a price axis, a time axis, the last price line
//! a crosshair that reads out the candle under the pointer, and a marker at the price of each of the
//! signed-in user's open orders and pending stops in the market. Drawn as SVG by the screen's own code.

use common::{Candle, CandleInterval, CandleMessage, Dec, Market, OrderStatus, Side};
use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::axis::{axis_price, axis_ticks};
use crate::candles::{Series, SHOWN};
use crate::format::{grouped, trimmed, Places};
use crate::my_state::MyOrders;

use super::chart_width::{pointer_x, use_chart_width};

/// The drawing's width until the element is measured, and its height (CSS pixels).
const W: f64 = 720.0;
const H: f64 = 300.0;
/// The price pane's bottom, the volume pane's top and the space kept for the axes' labels.
const PRICE_BOTTOM: f64 = 220.0;
const VOLUME_TOP: f64 = 232.0;
const AXIS_W: f64 = 64.0;
const TIME_H: f64 = 16.0;
/// The least room a candle gets, and a time label.
const SLOT_MIN_W: f64 = 7.0;
const TIME_LABEL_W: f64 = 56.0;

/// The plot's width and how many candles it has room for, in a drawing `width` wide.
fn slots(width: f64) -> (f64, usize) {
    let plot_w = width - AXIS_W;
    (plot_w, ((plot_w / SLOT_MIN_W) as usize).clamp(20, SHOWN))
}

fn f(d: Dec) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

#[component]
pub fn PriceChart(
    market: Memo<Option<Market>>,
    interval: RwSignal<CandleInterval>,
    live: ReadSignal<Option<CandleMessage>>,
    places: Memo<Places>,
    /// The signed-in user's orders: markers at the prices of those open in this market.
    mine: ReadSignal<MyOrders>,
) -> impl IntoView {
    let svg = NodeRef::new();
    // (price, class, label) of each marker: a resting order at its limit, a pending stop at its trigger.
    let marks = Memo::new(move |_| {
        let Some(symbol) = market.get().map(|m| m.symbol) else { return Vec::new() };
        mine.with(|m| {
            m.open()
                .into_iter()
                .filter(|o| o.symbol == symbol)
                .filter_map(|o| {
                    let side = if o.side == Side::Buy { "buy" } else { "sell" };
                    let left = trimmed(o.remaining_quantity);
                    match (o.status, o.stop_price, o.price) {
                        (OrderStatus::Pending, Some(stop), _) => {
                            Some((stop, format!("marker stop {side}"), format!("stop {side} {left}")))
                        }
                        (OrderStatus::Pending, None, _) | (_, _, None) => None,
                        (_, _, Some(p)) => Some((p, format!("marker {side}"), format!("{side} {left}"))),
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    let width = use_chart_width(svg, W);
    let (series, set_series) = signal(Series::default());
    let (hover, set_hover) = signal(None::<usize>);
    // Candles over REST whenever the market or the interval changes.
    Effect::new(move |_| {
        let (Some(m), asked) = (market.get(), interval.get()) else { return };
        set_series.set(Series::default());
        let path = format!(
            "/api/v1/markets/{}/candles?interval={}&limit={SHOWN}",
            m.symbol.as_str().replace('/', "-"),
            asked.name()
        );
        spawn_local(async move {
            if let Ok(response) = Request::get(&path).send().await {
                // Only if the choice is still the one asked for (a quick switch can answer out of order).
                let current = market.with_untracked(|n| n.as_ref().map(|n| n.symbol.clone()) == Some(m.symbol.clone()))
                    && interval.get_untracked() == asked;
                if let (true, Ok(candles)) = (current, response.json::<Vec<Candle>>().await) {
                    set_series.set(Series::new(candles));
                }
            }
        });
    });
    // The live candle, when it is of the market and interval shown.
    Effect::new(move |_| {
        let Some(c) = live.get() else { return };
        let shown = market.with_untracked(|m| m.as_ref().is_some_and(|m| m.symbol == c.symbol));
        if shown && c.interval == interval.get_untracked() {
            set_series.update(|s| s.take(&c));
        }
    });
    let drawing = move || {
        let (plot_w, slots) = slots(width.get());
        let s = series.with(|s| s.newest(slots));
        let places = places.get();
        let Some((lo, hi, vmax)) = s.ranges() else {
            return view! { <text x={plot_w / 2.0} y={H / 2.0} class="empty" text-anchor="middle">"No trades in this market yet"</text> }.into_any();
        };
        // My orders within 10 % of the last price widen the range to show them; farther ones would
        // flatten the candles, and are left out.
        let last_close = s.candles.last().map_or(hi, |c| f(c.close));
        let near = move |p: f64| (p - last_close).abs() <= last_close * 0.1;
        let (lo, hi) = marks.with(|m| {
            m.iter().map(|(p, _, _)| f(*p)).filter(|p| near(*p)).fold((lo, hi), |(lo, hi), p| (lo.min(p), hi.max(p)))
        });
        let pad = ((hi - lo) * 0.08).max(hi.abs() * 1e-6);
        let (lo, hi) = (lo - pad, hi + pad);
        let y = move |p: f64| (hi - p) / (hi - lo) * PRICE_BOTTOM;
        let slot = plot_w / slots as f64;
        let first = slots - s.candles.len();
        let x = move |i: usize| (first + i) as f64 * slot + slot / 2.0;
        let candles = s
            .candles
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (o, cl) = (f(c.open), f(c.close));
                let class = if cl >= o { "candle up" } else { "candle down" };
                let top = y(o.max(cl));
                let height = (y(o.min(cl)) - top).max(1.0);
                let vh = if vmax > 0.0 { f(c.volume) / vmax * (H - TIME_H - VOLUME_TOP) } else { 0.0 };
                view! {
                    <g class=class>
                        <line x1={x(i)} x2={x(i)} y1={y(f(c.high))} y2={y(f(c.low))} />
                        <rect x={x(i) - slot * 0.35} y=top width={slot * 0.7} height=height />
                        <rect class="volume" x={x(i) - slot * 0.35} y={H - TIME_H - vh} width={slot * 0.7} height=vh />
                    </g>
                }
            })
            .collect_view();
        // Axis labels the last price's label would cover are left out.
        let last_y = s.candles.last().map(|c| y(f(c.close)));
        let prices = axis_ticks(lo, hi, 5)
            .into_iter()
            .filter(|p| last_y.is_none_or(|l| (y(*p) - l).abs() > 12.0))
            .map(|p| {
                let label = axis_price(p, places.price);
                view! {
                    <line class="grid" x1=0 x2=plot_w y1={y(p)} y2={y(p)} />
                    <text class="axis" x={plot_w + 4.0} y={y(p) + 4.0}>{label}</text>
                }
            })
            .collect_view();
        // A time label every so many slots counted from the newest, far enough apart to read.
        let every = (TIME_LABEL_W / slot).ceil().max(1.0) as usize;
        let times = s
            .candles
            .iter()
            .enumerate()
            .filter(|(i, _)| (slots - 1 - (first + i)) % every == 0 && x(*i) > TIME_LABEL_W / 2.0)
            .map(|(i, c)| {
                let label = if interval.get_untracked() == CandleInterval::D1 {
                    c.open_time.get(5..10).unwrap_or("").to_string()
                } else {
                    c.open_time.get(11..16).unwrap_or("").to_string()
                };
                view! { <text class="axis" x={x(i)} y={H - 3.0} text-anchor="middle">{label}</text> }
            })
            .collect_view();
        let last = s.candles.last().map(|c| {
            let p = f(c.close);
            view! {
                <line class="last-line" x1=0 x2=plot_w y1={y(p)} y2={y(p)} />
                <text class="last-label" x={plot_w + 4.0} y={y(p) + 4.0}>{grouped(c.close, places.price)}</text>
            }
        });
        let crosshair = hover.get().and_then(|i| s.candles.get(i).map(|c| (i, c.clone()))).map(|(i, c)| {
            let read_out = format!(
                "{}  O {}  H {}  L {}  C {}  V {}",
                c.open_time.get(..16).unwrap_or("").replace('T', " "),
                grouped(c.open, places.price),
                grouped(c.high, places.price),
                grouped(c.low, places.price),
                grouped(c.close, places.price),
                grouped(c.volume, places.quantity)
            );
            view! {
                <line class="crosshair" x1={x(i)} x2={x(i)} y1=0 y2={H - TIME_H} />
                <text class="read-out" x=4 y=12>{read_out}</text>
            }
        });
        // My orders' and stops' prices, where they fall on the chart.
        let mine = marks
            .get()
            .into_iter()
            .filter(|(p, _, _)| (lo..=hi).contains(&f(*p)))
            .map(|(p, class, label)| {
                view! {
                    <g class=class>
                        <line x1=0 x2=plot_w y1={y(f(p))} y2={y(f(p))} />
                        <text x=4 y={y(f(p)) - 3.0}>{format!("{label} @ {}", grouped(p, places.price))}</text>
                    </g>
                }
            })
            .collect_view();
        view! { {prices}{times}{candles}{mine}{last}{crosshair} }.into_any()
    };
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some(at) = pointer_x(&ev) else { return };
        let (plot_w, slots) = slots(width.get_untracked());
        let n = series.with_untracked(|s| s.candles.len().min(slots));
        let slot = (at / (plot_w / slots as f64)).floor() as isize - (slots - n) as isize;
        set_hover.set((0..n as isize).contains(&slot).then_some(slot as usize));
    };
    view! {
        <section class="panel price-chart">
            <h2>
                "Price"
                <span class="intervals">
                    {CandleInterval::ALL
                        .into_iter()
                        .map(|i| view! {
                            <button class="small" class:active={move || interval.get() == i} name={format!("interval-{}", i.name())}
                                on:click=move |_| interval.set(i)>{i.name()}</button>
                        })
                        .collect_view()}
                </span>
            </h2>
            <svg node_ref=svg viewBox=move || format!("0 0 {} {H}", width.get()) class="candles" on:mousemove=on_move on:mouseleave=move |_| set_hover.set(None)>
                {drawing}
            </svg>
        </section>
    }
}
