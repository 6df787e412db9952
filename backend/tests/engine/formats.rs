//! One definition of every format: the Lua library (`lua/engine_lib.lua`, "Formats") and the Rust side
//! (`backend/src/engine/wire.rs`) agree on every layout, flag, code and constant they share. The
//! library reports its own through its `engine_format` function.

use std::collections::BTreeMap;

use backend::engine::{library, wire, MarketKeys};
use common::Symbol;

use crate::helpers::*;

#[tokio::test]
async fn the_lua_library_and_the_rust_side_agree_on_every_format_and_code() {
    let mut t = spawn_bare_engine(Deployment::Single, EngineSettings::default()).await;
    let seq_key = MarketKeys::new(&Symbol::parse(SYMBOL).unwrap()).seq();
    let pairs: Vec<String> = library::ENGINE_FORMAT.key(seq_key).invoke_async(&mut t.conn).await.unwrap();
    assert!(pairs.len().is_multiple_of(2), "name, value pairs: {pairs:?}");
    let lua: BTreeMap<String, String> = pairs.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    let rust: BTreeMap<String, String> = wire::description().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    assert_eq!(lua.len() * 2, pairs.len(), "each name once");
    for name in lua.keys().chain(rust.keys()) {
        assert_eq!(
            lua.get(name),
            rust.get(name),
            "{name}: Lua says {:?}, Rust says {:?}",
            lua.get(name),
            rust.get(name)
        );
    }
}
