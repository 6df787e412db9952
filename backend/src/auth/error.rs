//! What can go wrong with accounts and sessions.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("username taken")]
    UsernameTaken,
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failed logins of this username lately: try again after the wait.
    #[error("too many failed logins; wait {0:?}")]
    LoginLocked(Duration),
    /// Too many password hashes queued on this instance.
    #[error("too many logins at once")]
    Busy,
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{0}")]
    Internal(String),
}
