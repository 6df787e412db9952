//! Exact decimals as the contract carries them: read from a JSON number's or string's text (never through
//! a binary float), written as a JSON number with no exponent.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Longest decimal text accepted.
const MAX_TEXT_LEN: usize = 40;
/// Most significant digits accepted (as written: from the first non-zero digit), what rust_decimal
/// holds whatever the digits (it holds some of 29 too, which the contract does not promise).
const MAX_SIGNIFICANT_DIGITS: usize = 28;

/// An exact decimal value (price, quantity, …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec(pub Decimal);

/// Why a text is not a plain decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecError {
    #[error("`{0}` is not a plain decimal number (digits with an optional sign and decimal point)")]
    Malformed(String),
    #[error("`{0}` has more digits than can be represented exactly")]
    TooLarge(String),
}

impl Dec {
    pub const ZERO: Dec = Dec(Decimal::ZERO);

    /// Parses a plain decimal: optional `-`, digits, optional `.` and digits. No exponent, no whitespace,
    /// no `+`, no hex, no `NaN`/`Infinity`, no underscores.
    pub fn parse(text: &str) -> Result<Dec, DecError> {
        let malformed = || DecError::Malformed(truncate(text));
        let body = text.strip_prefix('-').unwrap_or(text);
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
            return Err(malformed());
        }
        let significant = int.bytes().chain(frac.unwrap_or("").bytes()).skip_while(|&b| b == b'0').count();
        if text.len() > MAX_TEXT_LEN || significant > MAX_SIGNIFICANT_DIGITS {
            return Err(DecError::TooLarge(truncate(text)));
        }
        Decimal::from_str_exact(text).map(|d| Dec(d.normalize())).map_err(|_| DecError::TooLarge(truncate(text)))
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_positive(&self) -> bool {
        self.0 > Decimal::ZERO
    }

    /// Exact text with no exponent and no trailing zeros; integral values keep one `.0` so that clients
    /// reading JSON into floats (the original design's Python clients) still see a float.
    pub fn to_json_text(&self) -> String {
        let text = self.0.normalize().to_string();
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(32).collect()
}

impl From<Decimal> for Dec {
    fn from(d: Decimal) -> Self {
        Dec(d.normalize())
    }
}

impl FromStr for Dec {
    type Err = DecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dec::parse(s)
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.normalize().to_string())
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // With serde_json's arbitrary_precision a Number keeps its text, so this is written verbatim.
        let number = serde_json::Number::from_str(&self.to_json_text()).map_err(serde::ser::Error::custom)?;
        number.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecVisitor)
    }
}

struct DecVisitor;

impl<'de> Visitor<'de> for DecVisitor {
    type Value = Dec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal number or a string holding one")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dec, E> {
        Dec::parse(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dec, E> {
        Ok(Dec(Decimal::from(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dec, E> {
        Ok(Dec(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Dec, E> {
        // Only reached by a deserializer that already went through a binary float: refuse, never guess.
        Err(E::custom("a decimal must be read from its text, not from a binary float"))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Dec, A::Error> {
        // serde_json with arbitrary_precision hands numbers over as a one-entry map holding the text.
        let number = serde_json::Number::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Dec::parse(&number.to_string()).map_err(de::Error::custom)
    }
}

/// In the OpenAPI document a decimal is a JSON number (a string holding one is accepted on input).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Dec {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some(
                "An exact decimal: written as a JSON number without exponent; read from a number or a string.",
            ))
            .examples([serde_json::json!(50000.5)])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Dec {}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json(json: &str) -> Result<Dec, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn tricky_numbers_are_read_exactly_from_their_text() {
        for (json, text) in [
            ("0.1", "0.1"),
            ("0.00000001", "0.00000001"),
            ("99999999.99999999", "99999999.99999999"),
            ("\"0.1\"", "0.1"),
            ("\"99999999.99999999\"", "99999999.99999999"),
            ("50000.10", "50000.1"),
            ("-2.5", "-2.5"),
            ("12345678901234567890.12345678", "12345678901234567890.12345678"),
        ] {
            assert_eq!(from_json(json).unwrap().to_string(), text, "{json}");
        }
    }

    #[test]
    fn exponents_nan_infinity_hex_and_whitespace_are_refused() {
        for json in [
            "1e3",
            "\"1e3\"",
            "1E-2",
            "\"NaN\"",
            "\"nan\"",
            "\"Infinity\"",
            "\"-Infinity\"",
            "\"0x10\"",
            "\" 1\"",
            "\"1 \"",
            "\"+1\"",
            "\"1_000\"",
            "\"\"",
            "\".5\"",
            "\"5.\"",
            "\"1.2.3\"",
            "true",
            "null",
            "[1]",
        ] {
            assert!(from_json(json).is_err(), "{json} should be refused");
        }
    }

    #[test]
    fn huge_values_are_refused_instead_of_rounded() {
        assert!(matches!(Dec::parse("123456789012345678901234567890"), Err(DecError::TooLarge(_))));
        assert!(matches!(Dec::parse(&"9".repeat(60)), Err(DecError::TooLarge(_))));
        // 29 significant digits, which rust_decimal could hold: refused, as the contract says; 28 taken.
        assert!(matches!(Dec::parse("1.2345678901234567890123456789"), Err(DecError::TooLarge(_))));
        assert!(Dec::parse("1.234567890123456789012345678").is_ok());
        assert!(Dec::parse("0.0000000000000000000000000001").is_ok(), "leading zeros are not significant");
        assert!(from_json("1000000000000000000000000000000000").is_err());
    }

    #[test]
    fn output_is_an_exact_json_number_without_exponent() {
        let three_tenths = Dec::parse("0.1").unwrap().0 * Decimal::from(3);
        assert_eq!(serde_json::to_string(&Dec(three_tenths)).unwrap(), "0.3");
        assert_eq!(serde_json::to_string(&Dec::parse("0.00000001").unwrap()).unwrap(), "0.00000001");
        assert_eq!(serde_json::to_string(&Dec::parse("50000").unwrap()).unwrap(), "50000.0");
        assert_eq!(serde_json::to_string(&Dec::parse("99999999.99999999").unwrap()).unwrap(), "99999999.99999999");
        assert_eq!(serde_json::to_string(&Dec::parse("1.500").unwrap()).unwrap(), "1.5");
    }

    #[test]
    fn a_value_survives_a_json_round_trip() {
        for text in ["0.1", "0.00000001", "99999999.99999999", "10000000", "0"] {
            let d = Dec::parse(text).unwrap();
            let back: Dec = from_json(&serde_json::to_string(&d).unwrap()).unwrap();
            assert_eq!(back, d);
        }
    }
}
