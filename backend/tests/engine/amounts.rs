//! The engine's amount arithmetic (`lua/amounts.lua`: amounts to 2^62 as two 32-bit halves in Lua's
//! doubles) against exact integers: products, fees rounded in the exchange's favour, sums, differences
//! and the decimal text of wallets, at random and at the edges.

use backend::engine::library::AMOUNT_CHECK;
use proptest::prelude::*;
use testkit::Deployment;

use crate::helpers::*;

const MAX_AMOUNT: u128 = (1 << 62) - 1;

/// What `amount_check` answers for `args`.
async fn lua(t: &mut TestEngine, args: &[String]) -> Vec<String> {
    let mut call = AMOUNT_CHECK.key("{u:1}:wallet");
    for a in args {
        call.arg(a);
    }
    call.invoke_async(&mut t.conn).await.unwrap()
}

/// The exact answers: "" for past the maximum.
fn text(n: u128) -> String {
    if n > MAX_AMOUNT {
        String::new()
    } else {
        n.to_string()
    }
}

fn fee(amount: u128, num: i64, places: u32) -> (u128, bool) {
    let d = 10u128.pow(places);
    let product = amount * num.unsigned_abs() as u128;
    if num >= 0 {
        (product.div_ceil(d), false)
    } else {
        (product / d, num < 0)
    }
}

/// Each case: the operation's arguments and the exact answer.
fn cases(a: u64, b: u64, amount: u64, other: u64, num: i64, places: u32) -> Vec<(Vec<String>, Vec<String>)> {
    let (amount, other) = (amount as u128 & MAX_AMOUNT, other as u128 & MAX_AMOUNT);
    let (f, rebate) = fee(amount, num, places);
    let less = amount < other;
    vec![
        (vec!["mul".into(), a.to_string(), b.to_string()], vec![text(a as u128 * b as u128)]),
        (
            vec!["fee".into(), amount.to_string(), num.to_string(), 10u64.pow(places).to_string()],
            vec![f.to_string(), if rebate { "1" } else { "0" }.into()],
        ),
        (
            vec!["add".into(), amount.to_string(), other.to_string()],
            vec![text(amount + other), if less { "1" } else { "0" }.into()],
        ),
        (
            vec!["sub".into(), amount.to_string(), other.to_string()],
            vec![if less { String::new() } else { (amount - other).to_string() }, if less { "1" } else { "0" }.into()],
        ),
        (vec!["text".into(), amount.to_string()], vec![amount.to_string()]),
    ]
}

/// Factors below 2^53, spread over their magnitudes, and amounts likewise up to 2^62.
fn factor() -> impl Strategy<Value = u64> {
    (0u32..=53, any::<u64>()).prop_map(|(bits, r)| if bits == 0 { 0 } else { r % (1 << bits) })
}

fn amount() -> impl Strategy<Value = u64> {
    (0u32..=62, any::<u64>()).prop_map(|(bits, r)| if bits == 0 { 0 } else { r % (1 << bits) })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn amounts_in_lua_are_exact(
        batch in prop::collection::vec((factor(), factor(), amount(), amount(), -999_999i64..=999_999, 0u32..=6), 64),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mut t = spawn_bare_engine(Deployment::Single, EngineSettings::default()).await;
            for (a, b, x, y, num, places) in batch {
                // A rate's numerator is below its denominator.
                let num = num % 10i64.pow(places).max(1);
                for (args, expected) in cases(a, b, x, y, num, places) {
                    prop_assert_eq!(lua(&mut t, &args).await, expected, "{:?}", args);
                }
            }
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn amounts_at_the_edges_are_exact() {
    let mut t = spawn_bare_engine(Deployment::Single, EngineSettings::default()).await;
    let max53 = (1u64 << 53) - 1;
    let edges = [
        0,
        1,
        999_999_999,
        1_000_000_000,
        (1 << 32) - 1,
        1 << 32,
        (1 << 52) - 1,
        1 << 52,
        max53,
        1 << 53,
        1 << 62,
        (1 << 62) - 1,
    ];
    for &x in &edges {
        for &y in &edges {
            let (a, b) = (x.min(max53), y.min(max53));
            for (args, expected) in cases(a, b, x, y, 999_999, 6).into_iter().chain(cases(a, b, x, y, -1, 6)) {
                assert_eq!(lua(&mut t, &args).await, expected, "{args:?}");
            }
        }
    }
    // Past the maximum, or not an amount at all.
    assert_eq!(lua(&mut t, &["text".into(), (1u64 << 62).to_string()]).await, [""]);
    assert_eq!(lua(&mut t, &["text".into(), "12a".into()]).await, [""]);
    assert_eq!(lua(&mut t, &["text".into(), "99999999999999999999".into()]).await, [""]);
}
