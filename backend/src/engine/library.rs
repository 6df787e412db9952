//! The engine's Lua (`lua/`), loaded into Redis as one Function library: `engine_lib.lua` and
//! `matching.lua` are its shared part and each operation's file the body of one function. A library
//! is loaded once (`FUNCTION LOAD`, on every master of a cluster) and its shared part runs then, not
//! on every call as a script's prelude would (what that cost: docs/engine-performance.md).
//!
//! The library and its functions are named with a hash of the code (`exchange_<hash>`,
//! `place_orders_<hash>`), so backends of different versions can share a Redis (while they keep their
//! data the same way: not across the move to level buckets, docs/api.md "Redis key layout"). A function
//! that is not there (Redis restarted without persistence, `FUNCTION FLUSH`) is loaded and the call sent
//! again.

use std::sync::LazyLock;

use redis::aio::ConnectionLike;
use redis::{Cmd, FromRedisValue, RedisError, RedisResult, ToRedisArgs};

/// The library's shared part: the parts in order, one Lua chunk.
const LIB: [&str; 8] = [
    include_str!("../../../lua/engine_lib.lua"),
    include_str!("../../../lua/amounts.lua"),
    include_str!("../../../lua/funds.lua"),
    include_str!("../../../lua/subaccounts.lua"),
    include_str!("../../../lua/settlement.lua"),
    include_str!("../../../lua/matching.lua"),
    include_str!("../../../lua/stops.lua"),
    include_str!("../../../lua/matching_call.lua"),
];

/// The library's functions, each defined once: a `Function` static with its name, its body, whether
/// it writes (a read-only one is flagged `no-writes`, so Redis still runs it when over `maxmemory`)
/// and whose keys it serves (a market's: `begin`; a user's: `begin_user`, engine_lib.lua), and its
/// place in `FUNCTIONS`, the list the library is made of.
macro_rules! functions {
    ($($static:ident = $name:literal, writes: $writes:literal, on: $on:ident;)*) => {
        $(
            pub static $static: Function = Function {
                name: $name,
                body: include_str!(concat!("../../../lua/", $name, ".lua")),
                writes: $writes,
                prelude: Serves::$on.prelude(),
            };
        )*
        const FUNCTIONS: &[&Function] = &[$(&$static),*];
    };
}

/// Whose keys a function serves.
enum Serves {
    Market,
    User,
}

impl Serves {
    const fn prelude(self) -> &'static str {
        match self {
            Serves::Market => "begin",
            Serves::User => "begin_user",
        }
    }
}

functions! {
    PLACE_ORDERS = "place_orders", writes: true, on: Market;
    AMEND_ORDER = "amend_order", writes: true, on: Market;
    CANCEL_ORDER = "cancel_order", writes: true, on: Market;
    CANCEL_ALL = "cancel_all", writes: true, on: Market;
    BOOK_SNAPSHOT = "book_snapshot", writes: false, on: Market;
    GET_ORDERS = "get_orders", writes: false, on: Market;
    LIST_ORDERS = "list_orders", writes: false, on: Market;
    ENGINE_FORMAT = "engine_format", writes: false, on: Market;
    TRIGGER_STOPS = "trigger_stops", writes: true, on: Market;
    FOLD_CANDLES = "fold_candles", writes: true, on: Market;
    MIGRATE_LEVELS = "migrate_levels", writes: true, on: Market;
    DEPOSIT = "deposit", writes: true, on: User;
    WITHDRAW = "withdraw", writes: true, on: User;
    FAUCET = "faucet", writes: true, on: User;
    TRANSFER_START = "transfer_start", writes: true, on: User;
    MOVE_FUNDS = "move_funds", writes: true, on: Market;
    TRANSFER_FINISH = "transfer_finish", writes: true, on: User;
    TRANSFER_UNMARK = "transfer_unmark", writes: true, on: User;
    AMOUNT_CHECK = "amount_check", writes: false, on: User;
}

/// The library's version: FNV-1a (64 bits) of all its code, in hex.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in LIB.into_iter().chain(FUNCTIONS.iter().map(|f| f.body)) {
        for byte in part.bytes().chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
});

/// The library's code as `FUNCTION LOAD` takes it: each body becomes a function that first sets the
/// call's keys, arguments and market (`begin` in engine_lib.lua).
pub static LIBRARY: LazyLock<String> = LazyLock::new(|| {
    let v = &*VERSION;
    let mut code = format!("#!lua name=exchange_{v}\n{}\n", LIB.join("\n"));
    for &&Function { name, body, writes, prelude } in FUNCTIONS {
        let flags = if writes { "{}" } else { "{'no-writes'}" };
        code.push_str(&format!(
            "redis.register_function{{\n  function_name = '{name}_{v}',\n  flags = {flags},\n  \
             callback = function(keys, args)\n{prelude}(keys, args)\n{body}\nend}}\n"
        ));
    }
    code
});

/// One function of the library: its name without the version (its body is `lua/<name>.lua`).
pub struct Function {
    name: &'static str,
    body: &'static str,
    writes: bool,
    prelude: &'static str,
}

impl Function {
    /// Its name in Redis, with the library's version.
    pub fn name(&self) -> String {
        format!("{}_{}", self.name, *VERSION)
    }

    /// A call of this function, to be given its keys and arguments.
    pub fn prepare_invoke(&self) -> Invocation {
        Invocation { name: self.name(), keys: Vec::new(), args: Vec::new() }
    }

    /// A call with this first key.
    pub fn key<T: ToRedisArgs>(&self, key: T) -> Invocation {
        let mut call = self.prepare_invoke();
        call.key(key);
        call
    }
}

/// A call of a library function: `FCALL name numkeys keys... args...`.
#[derive(Clone)]
pub struct Invocation {
    name: String,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl Invocation {
    pub fn key<T: ToRedisArgs>(&mut self, key: T) -> &mut Self {
        self.keys.extend(key.to_redis_args());
        self
    }

    pub fn arg<T: ToRedisArgs>(&mut self, arg: T) -> &mut Self {
        self.args.extend(arg.to_redis_args());
        self
    }

    /// The command, for a pipeline (load the library first: a pipeline does not reload it).
    pub fn cmd(&self) -> Cmd {
        let mut cmd = redis::cmd("FCALL");
        cmd.arg(&self.name).arg(self.keys.len()).arg(&self.keys).arg(&self.args);
        cmd
    }

    /// Runs the call; when Redis does not have the library, loads it and runs the call again.
    pub async fn invoke_async<T: FromRedisValue>(&self, conn: &mut impl ConnectionLike) -> RedisResult<T> {
        match self.cmd().query_async(conn).await {
            Err(e) if is_missing_function(&e) => {
                load(conn).await?;
                self.cmd().query_async(conn).await
            }
            other => other,
        }
    }
}

/// Loads (or replaces) the library; on a cluster every master gets it.
pub async fn load(conn: &mut impl ConnectionLike) -> RedisResult<()> {
    let _: String = redis::cmd("FUNCTION").arg("LOAD").arg("REPLACE").arg(&*LIBRARY).query_async(conn).await?;
    Ok(())
}

/// Whether an error says the function is not there (Redis restarted without persistence, flushed).
pub fn is_missing_function(e: &RedisError) -> bool {
    e.to_string().contains("Function not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_names_its_version_and_every_function() {
        let code = &*LIBRARY;
        assert!(code.starts_with(&format!("#!lua name=exchange_{}\n", *VERSION)));
        assert_eq!(code.matches("redis.register_function{").count(), FUNCTIONS.len());
        assert!(code.contains(&format!("'{}'", PLACE_ORDERS.name())));
        assert_eq!(VERSION.len(), 16);
    }
}
