//! Funds put straight into users' sub-accounts in a market, for tests and benchmarks that drive the
//! engine itself rather than the API: by the engine's own step of a transfer into a market
//! (`move_funds`), as if from the users' wallets.

use std::sync::atomic::{AtomicU64, Ordering};

use backend::engine::library::MOVE_FUNDS;
use backend::engine::MarketKeys;
use common::Symbol;
use redis::aio::ConnectionLike;

/// The last transfer id used: a sub-account applies only a transfer newer than its last, so the ids
/// grow across every call of the process.
static LAST_TRANSFER: AtomicU64 = AtomicU64::new(0);

/// Credits each user's sub-account in the market with `base` units of its base asset and `quote` of its
/// quote asset, in one pipeline (the engine's library must be loaded).
pub async fn fund_subaccounts<C: ConnectionLike>(
    conn: &mut C,
    symbol: &Symbol,
    users: impl IntoIterator<Item = u64>,
    base: u64,
    quote: u64,
) {
    let seq = MarketKeys::new(symbol).seq();
    let mut pipe = redis::pipe();
    for user in users {
        for (side, units) in [("base", base), ("quote", quote)] {
            let id = LAST_TRANSFER.fetch_add(1, Ordering::Relaxed) + 1;
            let mut call = MOVE_FUNDS.key(&seq);
            call.arg(user).arg(id).arg("in").arg(side).arg(units);
            pipe.add_command(call.cmd()).ignore();
        }
    }
    let _: () = pipe.query_async(conn).await.expect("the sub-accounts are funded");
}
