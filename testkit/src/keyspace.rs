//! The whole keyspace of a deployment, key by key with `DUMP`: to prove that a refused command wrote
//! nothing (compare before and after), or to put a deployment back to an earlier state (`RESTORE`).

use redis::aio::MultiplexedConnection;

/// One key of one node: its `DUMP` and its time to live.
#[derive(Clone, Debug)]
pub struct KeyDump {
    /// The node's place in the list of URLs the dump was taken from.
    pub node: usize,
    pub key: String,
    pub value: Vec<u8>,
    /// Milliseconds left, for a key that expires.
    pub ttl_ms: Option<u64>,
}

/// Equal when the same key holds the same value on the same node and both expire or neither does (a
/// time to live shrinks between two dumps).
impl PartialEq for KeyDump {
    fn eq(&self, other: &KeyDump) -> bool {
        (self.node, &self.key, &self.value, self.ttl_ms.is_some())
            == (other.node, &other.key, &other.value, other.ttl_ms.is_some())
    }
}

/// A plain connection to each of these nodes.
pub async fn connect_nodes(urls: &[String]) -> Vec<MultiplexedConnection> {
    let mut conns = Vec::new();
    for url in urls {
        let client = redis::Client::open(url.as_str()).expect("a Redis URL");
        conns.push(client.get_multiplexed_async_connection().await.expect("the node answers"));
    }
    conns
}

/// Every key of every node (`urls`: one server's, or every node of a cluster), node by node, keys in
/// order.
pub async fn dump_keyspace(urls: &[String]) -> Vec<KeyDump> {
    let mut out = Vec::new();
    for (node, mut conn) in connect_nodes(urls).await.into_iter().enumerate() {
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut conn).await.unwrap();
        keys.sort();
        for key in keys {
            let value: Vec<u8> = redis::cmd("DUMP").arg(&key).query_async(&mut conn).await.unwrap();
            let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await.unwrap();
            out.push(KeyDump { node, key, value, ttl_ms: u64::try_from(ttl).ok() });
        }
    }
    out
}

/// Puts every node back as `dump` found it: each node emptied, then each key restored with what was
/// left of its time to live. (What a failover that lost the writes since the dump leaves behind.)
pub async fn restore_keyspace(urls: &[String], dump: &[KeyDump]) {
    let mut nodes = connect_nodes(urls).await;
    for conn in &mut nodes {
        let _: () = redis::cmd("FLUSHALL").query_async(conn).await.unwrap();
    }
    for k in dump {
        let restore = redis::cmd("RESTORE").arg(&k.key).arg(k.ttl_ms.unwrap_or(0)).arg(k.value.as_slice()).clone();
        let _: () = restore.query_async(&mut nodes[k.node]).await.unwrap();
    }
}
