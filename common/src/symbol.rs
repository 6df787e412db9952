//! Validated identifiers: market symbols, client order ids, usernames and passwords.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why an identifier is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(pub String);

/// A market symbol such as `BTC/USD`: two parts of 1–12 upper-case letters or digits.
/// Being this strict keeps every Redis key built from it well-formed (no `{`, `}`, `*`, `:` or spaces).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

impl Symbol {
    /// Parses `BTC/USD`, or the path-friendly `BTC-USD`.
    pub fn parse(text: &str) -> Result<Symbol, InvalidId> {
        let invalid = || InvalidId(format!("`{}` is not a market symbol like BTC/USD", shorten(text)));
        let (base, quote) = text.split_once('/').or_else(|| text.split_once('-')).ok_or_else(invalid)?;
        let part_ok =
            |p: &str| (1..=12).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if part_ok(base) && part_ok(quote) {
            Ok(Symbol(format!("{base}/{quote}")))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn base(&self) -> &str {
        self.0.split_once('/').map(|(b, _)| b).unwrap_or(&self.0)
    }

    pub fn quote(&self) -> &str {
        self.0.split_once('/').map(|(_, q)| q).unwrap_or("")
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Symbol::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Schemas of the identifiers: strings with their patterns.
#[cfg(feature = "openapi")]
mod schemas {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    fn string(pattern: &str, example: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
            .examples([serde_json::json!(example)])
            .into()
    }

    impl utoipa::PartialSchema for super::Symbol {
        fn schema() -> RefOr<Schema> {
            string("^[A-Z0-9]{1,12}[/-][A-Z0-9]{1,12}$", "BTC/USD")
        }
    }
    impl utoipa::ToSchema for super::Symbol {}

    impl utoipa::PartialSchema for super::ClientOrderId {
        fn schema() -> RefOr<Schema> {
            string("^[A-Za-z0-9_-]{1,64}$", "my-42")
        }
    }
    impl utoipa::ToSchema for super::ClientOrderId {}
}

fn shorten(text: &str) -> String {
    text.chars().take(24).filter(|c| !c.is_control()).collect()
}

fn word_chars(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A caller's own order id: 1–64 characters of `A-Z a-z 0-9 _ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientOrderId(String);

impl ClientOrderId {
    pub fn parse(text: &str) -> Result<ClientOrderId, InvalidId> {
        if (1..=64).contains(&text.len()) && word_chars(text) {
            Ok(ClientOrderId(text.to_string()))
        } else {
            Err(InvalidId("client_order_id must be 1-64 characters of A-Z a-z 0-9 _ -".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ClientOrderId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ClientOrderId::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A username: 3–32 characters of `A-Z a-z 0-9 _ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Username, InvalidId> {
        if (3..=32).contains(&text.len()) && word_chars(text) {
            Ok(Username(text.to_string()))
        } else {
            Err(InvalidId("username must be 3-32 characters of A-Z a-z 0-9 _ -".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password: 8–128 characters. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(text: &str) -> Result<Password, InvalidId> {
        if (8..=128).contains(&text.chars().count()) {
            Ok(Password(text.to_string()))
        } else {
            Err(InvalidId("password must be 8-128 characters".into()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_accept_slash_and_dash_forms() {
        assert_eq!(Symbol::parse("BTC/USD").unwrap().as_str(), "BTC/USD");
        assert_eq!(Symbol::parse("BTC-USD").unwrap().as_str(), "BTC/USD");
        assert_eq!(Symbol::parse("ETH/USD").unwrap().base(), "ETH");
    }

    #[test]
    fn symbols_built_to_break_key_names_are_refused() {
        let long = "A".repeat(10_000);
        for bad in ["", "}{", "*", "BTC:USD", "BTC/", "/USD", "btc/usd", "BTC/USD\r\n", "BTC/ÜSD", "{BTC}/USD", &long]
        {
            assert!(Symbol::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn client_order_ids_are_short_words() {
        assert!(ClientOrderId::parse("my-42_x").is_ok());
        assert!(ClientOrderId::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "a:b", "é", &"a".repeat(65)] {
            assert!(ClientOrderId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames_and_passwords_have_bounded_lengths() {
        assert!(Username::parse("al").is_err());
        assert!(Username::parse("alice").is_ok());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough").is_ok());
        assert_eq!(format!("{:?}", Password::parse("long enough").unwrap()), "Password(***)");
    }
}
