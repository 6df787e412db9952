//! Every way the backend reaches Redis: a pool of connections to one server, a Cluster or the master
//! Sentinel names; the Pub/Sub subscriptions; and the embedded `redis-server` of `make run`.

pub mod embedded;
pub mod pool;
pub mod pubsub;
pub mod sentinel;

pub use embedded::RedisServer;
pub use pool::RedisPool;
pub use pubsub::PubSubSource;
