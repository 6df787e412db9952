//! The order book as the screen holds it: a snapshot plus the feed's updates applied in sequence, with
//! gap detection, and the ladder (levels with cumulative totals) the screen draws. No browser needed.

use std::collections::BTreeMap;

use common::{BookSnapshot, BookUpdate, Dec};
use rust_decimal::{Decimal, RoundingStrategy};

/// A missing sequence number: the book must be fetched again.
#[derive(Debug, PartialEq, Eq)]
pub struct Gap {
    pub expected: u64,
    pub got: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Book {
    pub bids: BTreeMap<Dec, Dec>,
    pub asks: BTreeMap<Dec, Dec>,
    pub sequence: u64,
    /// Prices the last update changed, so that the screen can flash them.
    pub changed: Vec<Dec>,
}

/// One row of the ladder.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub price: Dec,
    pub quantity: Dec,
    /// Quantity from the best price down to this one.
    pub cumulative: Dec,
}

/// A depth chart's curve: (price, cumulative quantity) points.
pub type Curve = Vec<(f64, f64)>;

impl Book {
    pub fn from_snapshot(s: &BookSnapshot) -> Book {
        Book {
            bids: s.bids.iter().map(|l| (l.price, l.quantity)).collect(),
            asks: s.asks.iter().map(|l| (l.price, l.quantity)).collect(),
            sequence: s.sequence,
            changed: Vec::new(),
        }
    }

    /// Applies an update in sequence. An old one (already in the snapshot) is ignored; a missing
    /// number is a `Gap` and changes nothing.
    pub fn apply(&mut self, u: &BookUpdate) -> Result<(), Gap> {
        if u.sequence <= self.sequence {
            return Ok(());
        }
        if u.sequence != self.sequence + 1 {
            return Err(Gap { expected: self.sequence + 1, got: u.sequence });
        }
        self.changed.clear();
        for (levels, changes) in [(&mut self.bids, &u.bids), (&mut self.asks, &u.asks)] {
            for (price, quantity) in changes {
                self.changed.push(*price);
                if quantity.is_positive() {
                    levels.insert(*price, *quantity);
                } else {
                    levels.remove(price);
                }
            }
        }
        self.sequence = u.sequence;
        Ok(())
    }

    /// The best `depth` bids, best (highest) first.
    pub fn bid_rows(&self, depth: usize) -> Vec<Row> {
        rows(self.bids.iter().rev(), depth, None)
    }

    /// The best `depth` asks, best (lowest) first.
    pub fn ask_rows(&self, depth: usize) -> Vec<Row> {
        rows(self.asks.iter(), depth, None)
    }

    /// The best `depth` bid rows with levels grouped by `step` (a multiple of the tick): each bid counted
    /// at its price rounded down to a multiple of `step`, so that a row never promises a better price
    /// than its orders give.
    pub fn grouped_bid_rows(&self, depth: usize, step: Dec) -> Vec<Row> {
        rows(self.bids.iter().rev(), depth, Some((step, RoundingStrategy::ToNegativeInfinity)))
    }

    /// The best `depth` ask rows grouped by `step`, each ask at its price rounded up.
    pub fn grouped_ask_rows(&self, depth: usize, step: Dec) -> Vec<Row> {
        rows(self.asks.iter(), depth, Some((step, RoundingStrategy::ToPositiveInfinity)))
    }

    /// The depth chart's two curves, bids then asks, from the best price outwards.
    pub fn depth_curves(&self, depth: usize) -> (Curve, Curve) {
        let points =
            |rows: Vec<Row>| -> Curve { rows.iter().map(|r| (as_f64(r.price), as_f64(r.cumulative))).collect() };
        (points(self.bid_rows(depth)), points(self.ask_rows(depth)))
    }

    pub fn best_bid(&self) -> Option<Dec> {
        self.bids.keys().next_back().copied()
    }

    pub fn best_ask(&self) -> Option<Dec> {
        self.asks.keys().next().copied()
    }

    /// Best ask minus best bid, and the mid price, when both sides exist.
    pub fn spread_and_mid(&self) -> Option<(Dec, Dec)> {
        let (bid, ask) = (self.best_bid()?, self.best_ask()?);
        Some((Dec::from(ask.0 - bid.0), Dec::from((ask.0 + bid.0) / Decimal::TWO)))
    }
}

/// The depth chart's curves cut to the prices near the touch: within `within` (a fraction) of the mid
/// (of the best price when one side is empty), each side's best price kept whatever its distance, so that
/// an order far away does not flatten everything near the spread into a line at the chart's edge.
pub fn near_the_touch(bids: Curve, asks: Curve, within: f64) -> (Curve, Curve) {
    let centre = match (bids.first(), asks.first()) {
        (Some(b), Some(a)) => (b.0 + a.0) / 2.0,
        (Some(only), None) | (None, Some(only)) => only.0,
        (None, None) => return (bids, asks),
    };
    let keep = |curve: Curve| -> Curve {
        curve
            .into_iter()
            .enumerate()
            .filter(|(i, p)| *i == 0 || (p.0 - centre).abs() <= centre * within)
            .map(|(_, p)| p)
            .collect()
    };
    (keep(bids), keep(asks))
}

/// The quantity a side's depth curve holds out to `price`: bids at or above it, asks at or below it
/// (0 on the other side of the spread).
pub fn depth_at(curve: &[(f64, f64)], price: f64, bids: bool) -> f64 {
    let reached = |p: f64| if bids { p >= price } else { p <= price };
    curve.iter().take_while(|(p, _)| reached(*p)).last().map_or(0.0, |(_, total)| *total)
}

/// For drawing only: exact values stay decimals everywhere else.
fn as_f64(d: Dec) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// The ladder's rows from the best level outwards; with a grouping, levels whose prices round to the same
/// multiple of the step make one row (levels come in price order, so a group's levels are consecutive).
fn rows<'a>(
    levels: impl Iterator<Item = (&'a Dec, &'a Dec)>,
    depth: usize,
    grouping: Option<(Dec, RoundingStrategy)>,
) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut total = Decimal::ZERO;
    for (price, quantity) in levels {
        let price = match grouping {
            Some((step, rounding)) if step.is_positive() => {
                Dec::from((price.0 / step.0).round_dp_with_strategy(0, rounding) * step.0)
            }
            _ => *price,
        };
        total += quantity.0;
        let full = out.len() == depth;
        match out.last_mut() {
            Some(row) if row.price == price => {
                row.quantity = Dec::from(row.quantity.0 + quantity.0);
                row.cumulative = Dec::from(total);
            }
            _ if full => break,
            _ => out.push(Row { price, quantity: *quantity, cumulative: Dec::from(total) }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_depth_chart_keeps_the_prices_near_the_touch() {
        let bids = vec![(100.0, 1.0), (99.0, 2.0), (50.0, 102.0)];
        let asks = vec![(101.0, 1.0), (1000.0, 6.0)];
        assert_eq!(near_the_touch(bids, asks, 0.05), (vec![(100.0, 1.0), (99.0, 2.0)], vec![(101.0, 1.0)]));
        // The best prices stay, however far apart.
        let (bids, asks) = near_the_touch(vec![(10.0, 1.0)], vec![(1000.0, 1.0), (1001.0, 2.0)], 0.05);
        assert_eq!((bids.len(), asks.len()), (1, 1));
        // One side only: around its best price.
        assert_eq!(near_the_touch(vec![(100.0, 1.0), (90.0, 2.0)], vec![], 0.05).0, vec![(100.0, 1.0)]);
    }

    use super::*;
    use common::{BookLevel, Symbol};

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    fn snapshot() -> Book {
        let level = |p: &str, q: &str| BookLevel { price: d(p), quantity: d(q), order_count: 1 };
        Book::from_snapshot(&BookSnapshot {
            symbol: Symbol::parse("BTC/USD").unwrap(),
            bids: vec![level("100", "1"), level("99", "2")],
            asks: vec![level("101", "0.5"), level("102", "1.5")],
            sequence: 10,
            timestamp: String::new(),
        })
    }

    fn update(seq: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> BookUpdate {
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(p, q)| (d(p), d(q))).collect();
        BookUpdate {
            symbol: Symbol::parse("BTC/USD").unwrap(),
            sequence: seq,
            bids: pairs(bids),
            asks: pairs(asks),
            timestamp: String::new(),
        }
    }

    #[test]
    fn updates_in_sequence_change_levels_and_zero_removes_one() {
        let mut book = snapshot();
        book.apply(&update(11, &[("100", "3")], &[("101", "0")])).unwrap();
        assert_eq!(book.bids[&d("100")], d("3"));
        assert!(!book.asks.contains_key(&d("101")));
        assert_eq!(book.sequence, 11);
        assert_eq!(book.changed, vec![d("100"), d("101")], "the changed levels, to flash");
        assert_eq!(book.best_ask(), Some(d("102")));
    }

    #[test]
    fn a_missing_sequence_is_a_gap_and_changes_nothing() {
        let mut book = snapshot();
        let before = book.clone();
        assert_eq!(book.apply(&update(13, &[("98", "1")], &[])), Err(Gap { expected: 11, got: 13 }));
        assert_eq!(book, before);
        assert_eq!(book.apply(&update(9, &[("98", "1")], &[])), Ok(()), "an update already in the snapshot");
        assert_eq!(book, before);
    }

    #[test]
    fn the_ladder_accumulates_from_the_best_price() {
        let book = snapshot();
        let bids = book.bid_rows(10);
        assert_eq!(
            bids.iter().map(|r| (r.price, r.cumulative)).collect::<Vec<_>>(),
            vec![(d("100"), d("1")), (d("99"), d("3"))]
        );
        assert_eq!(book.ask_rows(1).len(), 1);
        assert_eq!(book.spread_and_mid(), Some((d("1"), d("100.5"))));
        let (bids, asks) = book.depth_curves(10);
        assert_eq!(bids, vec![(100.0, 1.0), (99.0, 3.0)]);
        assert_eq!(asks, vec![(101.0, 0.5), (102.0, 2.0)]);
    }

    #[test]
    fn grouping_rounds_bids_down_and_asks_up_and_adds_up_each_group() {
        let mut book = snapshot();
        book.apply(&update(11, &[("89.5", "4"), ("80", "1")], &[("110", "2"), ("110.5", "1")])).unwrap();
        let rows = |r: Vec<Row>| r.into_iter().map(|r| (r.price, r.quantity, r.cumulative)).collect::<Vec<_>>();
        assert_eq!(
            rows(book.grouped_bid_rows(10, d("10"))),
            vec![(d("100"), d("1"), d("1")), (d("90"), d("2"), d("3")), (d("80"), d("5"), d("8"))],
            "100 alone, 99 down to 90, 89.5 and 80 down to 80"
        );
        assert_eq!(
            rows(book.grouped_ask_rows(10, d("10"))),
            vec![(d("110"), d("4"), d("4")), (d("120"), d("1"), d("5"))],
            "101, 102 and 110 up to 110; 110.5 up to 120"
        );
        assert_eq!(book.grouped_bid_rows(2, d("10")).len(), 2, "depth counts rows, not levels");
        assert_eq!(rows(book.grouped_ask_rows(10, d("0.5"))), rows(book.ask_rows(10)), "a step every level sits on");
    }

    #[test]
    fn depth_at_counts_the_levels_out_to_the_price() {
        let bids = [(100.0, 1.0), (99.0, 3.0), (97.0, 4.0)];
        assert_eq!(depth_at(&bids, 101.0, true), 0.0, "above the best bid: nothing");
        assert_eq!(depth_at(&bids, 99.0, true), 3.0);
        assert_eq!(depth_at(&bids, 98.0, true), 3.0);
        assert_eq!(depth_at(&bids, 10.0, true), 4.0);
        let asks = [(101.0, 2.0), (105.0, 5.0)];
        assert_eq!(depth_at(&asks, 100.0, false), 0.0);
        assert_eq!(depth_at(&asks, 104.0, false), 2.0);
        assert_eq!(depth_at(&asks, 105.0, false), 5.0);
    }
}
