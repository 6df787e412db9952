//! The test kit: everything the tests, benchmarks and tools start and throw away — `redis-server`s on
//! free ports, Redis Clusters and Sentinel groups, the backend in-process or as a process of its own —
//! and what they inspect (keyspace dumps). The server itself never uses it.

pub mod app;
pub mod backend_process;
pub mod chromium;
pub mod deployments;
pub mod keyspace;
pub mod ports;
pub mod process;
pub mod redis_server;
pub mod subaccounts;
pub mod ws_client;

pub use app::{
    assert_error, fund, register_and_login, spawn_app, spawn_app_at, spawn_app_on, spawn_app_with, status_json,
    TestApp, ADMIN_TOKEN,
};
pub use backend_process::BackendProcess;
pub use chromium::ChromeDriver;
pub use deployments::{cli, cli_as, Deployment, RedisCluster, RedisSentinels, TestRedis};
pub use keyspace::{connect_nodes, dump_keyspace, restore_keyspace, KeyDump};
pub use ports::free_port;
pub use redis_server::RedisProcess;
pub use subaccounts::fund_subaccounts;
