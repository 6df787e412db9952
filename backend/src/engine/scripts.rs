//! The Lua scripts of `lua/`, each prefixed with the shared `engine_lib.lua`, loaded once per process.
//! `redis::Script` runs them by EVALSHA and reloads them by itself after a `SCRIPT FLUSH` or a restart.

use std::sync::LazyLock;

use redis::Script;

const LIB: &str = include_str!("../../../lua/engine_lib.lua");

fn with_lib(body: &str) -> Script {
    Script::new(&format!("{LIB}\n{body}"))
}

pub static PLACE_ORDERS: LazyLock<Script> = LazyLock::new(|| with_lib(include_str!("../../../lua/place_orders.lua")));
pub static CANCEL_ORDER: LazyLock<Script> = LazyLock::new(|| with_lib(include_str!("../../../lua/cancel_order.lua")));
pub static CANCEL_ALL: LazyLock<Script> = LazyLock::new(|| with_lib(include_str!("../../../lua/cancel_all.lua")));
pub static BOOK_SNAPSHOT: LazyLock<Script> = LazyLock::new(|| with_lib(include_str!("../../../lua/book_snapshot.lua")));
pub static GET_ORDERS: LazyLock<Script> = LazyLock::new(|| with_lib(include_str!("../../../lua/get_orders.lua")));
pub static LIST_ORDERS: LazyLock<Script> = LazyLock::new(|| with_lib(include_str!("../../../lua/list_orders.lua")));
pub static UPGRADE_LAYOUT: LazyLock<Script> =
    LazyLock::new(|| with_lib(include_str!("../../../lua/upgrade_layout.lua")));

/// Every script, for loading them all at once.
pub static ALL: [&LazyLock<Script>; 6] =
    [&PLACE_ORDERS, &CANCEL_ORDER, &CANCEL_ALL, &BOOK_SNAPSHOT, &GET_ORDERS, &LIST_ORDERS];
