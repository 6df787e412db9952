//! What the screen tells a trader when one of their orders changes (the private feed's
//! `order_update`): fills, partial fills, cancels, and why an immediate order traded nothing. Plain
//! text from an order; the toasts show it. No browser needed.

use common::{Order, OrderStatus, OrderType, Side, TimeInForce};

use crate::format::trimmed;

/// How a notice is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Neutral,
    Warning,
}

/// The notice of an order's new state; None for an order that merely rests (the form said so).
pub fn order_notice(o: &Order) -> Option<(Tone, String)> {
    let base = o.symbol.base();
    let (filled, quantity) = (trimmed(o.filled_quantity), trimmed(o.quantity));
    let kind = match (o.order_type, o.time_in_force) {
        (OrderType::StopLimit | OrderType::StopMarket, _) => "stop order",
        (OrderType::Market, _) => "market order",
        (_, TimeInForce::Fok) => "FOK order",
        (_, TimeInForce::Ioc) => "IOC order",
        _ => "order",
    };
    let nothing_traded = o.filled_quantity.0.is_zero();
    match o.status {
        OrderStatus::Open => None,
        OrderStatus::Pending => {
            let at = o.stop_price.map(|p| format!(" at {}", trimmed(p))).unwrap_or_default();
            Some((Tone::Neutral, format!("Stop order {} waits for a trade{at}", o.id)))
        }
        OrderStatus::PartiallyFilled => {
            Some((Tone::Good, format!("Order {} partly filled: {filled} of {quantity} {base}", o.id)))
        }
        OrderStatus::Filled => {
            let verb = if o.side == Side::Buy { "Bought" } else { "Sold" };
            let at = o.average_price.map(|p| format!(" at {}", trimmed(p))).unwrap_or_default();
            Some((Tone::Good, format!("{verb} {filled} {base}{at}: order {} filled", o.id)))
        }
        OrderStatus::Cancelled => Some(match (o.order_type, o.time_in_force, nothing_traded) {
            (OrderType::Limit, TimeInForce::Gtc, true) => (Tone::Neutral, format!("Order {} cancelled", o.id)),
            (_, TimeInForce::Fok, true) => (
                Tone::Warning,
                format!("{} {} could not fill in full at its price: nothing traded", capital(kind), o.id),
            ),
            (_, _, true) => {
                (Tone::Warning, format!("{} {} found nothing to trade at its price: cancelled", capital(kind), o.id))
            }
            (OrderType::Limit, TimeInForce::Gtc, false) => {
                (Tone::Neutral, format!("Order {} cancelled after {filled} of {quantity} {base} filled", o.id))
            }
            (_, _, false) => (
                Tone::Neutral,
                format!("{} {}: {filled} of {quantity} {base} filled, the rest cancelled", capital(kind), o.id),
            ),
        }),
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::{Dec, Symbol};

    fn order(status: OrderStatus, tif: TimeInForce, filled: &str) -> Order {
        let d = |s: &str| Dec::parse(s).unwrap();
        Order {
            id: 7,
            client_order_id: None,
            symbol: Symbol::parse("BTC/USD").unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            time_in_force: tif,
            post_only: false,
            price: Some(d("50000")),
            quantity: d("0.50000000"),
            filled_quantity: d(filled),
            remaining_quantity: d("0"),
            average_price: (filled != "0").then(|| d("50000.00")),
            status,
            created_at: String::new(),
            updated_at: String::new(),
            stop_price: None,
            trades: None,
        }
    }

    #[test]
    fn each_change_of_an_order_says_what_happened() {
        let say = |o: Order| order_notice(&o).map(|(_, text)| text);
        assert_eq!(say(order(OrderStatus::Open, TimeInForce::Gtc, "0")), None);
        assert_eq!(
            say(order(OrderStatus::Filled, TimeInForce::Gtc, "0.5")).unwrap(),
            "Bought 0.5 BTC at 50,000: order 7 filled"
        );
        assert_eq!(
            say(order(OrderStatus::PartiallyFilled, TimeInForce::Gtc, "0.2")).unwrap(),
            "Order 7 partly filled: 0.2 of 0.5 BTC"
        );
        assert_eq!(say(order(OrderStatus::Cancelled, TimeInForce::Gtc, "0")).unwrap(), "Order 7 cancelled");
        let (tone, text) = order_notice(&order(OrderStatus::Cancelled, TimeInForce::Fok, "0")).unwrap();
        assert_eq!(
            (tone, text.as_str()),
            (Tone::Warning, "FOK order 7 could not fill in full at its price: nothing traded")
        );
        assert_eq!(
            say(order(OrderStatus::Cancelled, TimeInForce::Ioc, "0.2")).unwrap(),
            "IOC order 7: 0.2 of 0.5 BTC filled, the rest cancelled"
        );
    }
}
