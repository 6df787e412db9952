//! Accounts and sessions: argon2 password hashes, random bearer tokens kept in Redis with a TTL (only
//! their SHA-256 is stored, so a copy of Redis holds no usable token), cached per instance (`sessions`).

pub mod sessions;

use std::sync::{Arc, LazyLock};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use common::{Password, Username};
use redis::aio::ConnectionLike;
use redis::Script;
use sha2::{Digest, Sha256};

pub use sessions::SessionCache;

static REGISTER_USER: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("../../../lua/register_user.lua")));

/// Deletes a session and announces it on the revocation channel in one atomic step (a script rather
/// than MULTI: it runs the same on one server and on a Redis Cluster).
static END_SESSION: LazyLock<Script> =
    LazyLock::new(|| Script::new("redis.call('DEL', KEYS[1]); redis.call('PUBLISH', ARGV[1], KEYS[1]); return 1"));

/// A hash that no password matches, verified against when the username is unknown so that a login
/// takes as long for a missing user as for a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password"));

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("username taken")]
    UsernameTaken,
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{0}")]
    Internal(String),
}

/// An argon2 hash of a password, with a fresh salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashes any password").to_string()
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Lower-case hex of some bytes (on every authenticated request, so without `format!`).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// The key a session is stored under: the SHA-256 of its token, hex.
fn session_key(token: &str) -> String {
    "session:".to_string() + &hex(&Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Accounts and sessions over a Redis connection, with this instance's cache of sessions.
#[derive(Clone)]
pub struct Accounts<C> {
    conn: C,
    token_ttl_secs: u64,
    sessions: Arc<SessionCache>,
}

impl<C: ConnectionLike + Clone + Send + Sync> Accounts<C> {
    pub fn new(conn: C, token_ttl_secs: u64, sessions: Arc<SessionCache>) -> Accounts<C> {
        Accounts { conn, token_ttl_secs, sessions }
    }

    pub fn token_ttl_secs(&self) -> u64 {
        self.token_ttl_secs
    }

    /// Creates an account; the password is hashed off the async threads (argon2 is slow on purpose).
    pub async fn register(&self, username: &Username, password: &Password) -> Result<u64, AuthError> {
        let pw = password.expose().to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let mut conn = self.conn.clone();
        let id: u64 = redis::cmd("INCR").arg("next_user_id").query_async(&mut conn).await?;
        let created: u64 = REGISTER_USER
            .key(format!("user:name:{}", username.as_str()))
            .arg(id)
            .arg(hash)
            .arg(common::time::now_ms())
            .invoke_async(&mut conn)
            .await?;
        if created == 0 {
            return Err(AuthError::UsernameTaken);
        }
        Ok(id)
    }

    /// The user id and password hash of an account.
    async fn account(&self, username: &str) -> Result<Option<(u64, String)>, AuthError> {
        let mut conn = self.conn.clone();
        let key = format!("user:name:{username}");
        let (id, hash): (Option<u64>, Option<String>) =
            redis::cmd("HMGET").arg(&key).arg("id").arg("password").query_async(&mut conn).await?;
        Ok(id.zip(hash))
    }

    /// Checks the credentials and opens a session; returns its token.
    pub async fn login(&self, username: &str, password: &str) -> Result<String, AuthError> {
        let mut conn = self.conn.clone();
        let (id, hash) = self.account(username).await?.unzip();
        let known = hash.is_some();
        let (pw, hash) = (password.to_string(), hash.unwrap_or_else(|| DUMMY_HASH.clone()));
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let (true, true, Some(id)) = (known, ok, id) else {
            return Err(AuthError::WrongCredentials);
        };
        let token = new_token();
        let _: () = redis::cmd("SET")
            .arg(session_key(&token))
            .arg(id)
            .arg("EX")
            .arg(self.token_ttl_secs)
            .query_async(&mut conn)
            .await?;
        Ok(token)
    }

    /// The user a token belongs to, while its session lasts.
    pub async fn user_of(&self, token: &str) -> Result<Option<u64>, AuthError> {
        let key = session_key(token);
        if let Some(user_id) = self.sessions.get(&key) {
            return Ok(Some(user_id));
        }
        let epoch = self.sessions.epoch();
        let (user_id, ttl_ms): (Option<u64>, i64) =
            redis::pipe().cmd("GET").arg(&key).cmd("PTTL").arg(&key).query_async(&mut self.conn.clone()).await?;
        if let Some(user_id) = user_id {
            self.sessions.insert(key, user_id, ttl_ms, epoch);
        }
        Ok(user_id)
    }

    /// Ends a session at once, on every instance: deleted and announced in one atomic step.
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        let key = session_key(token);
        let _: u8 = END_SESSION.key(&key).arg(sessions::REVOKED_CHANNEL).invoke_async(&mut self.conn.clone()).await?;
        self.sessions.revoke(&key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_keys_are_the_hex_sha256_of_the_token() {
        // sha256("abc"), the FIPS 180-2 example.
        assert_eq!(session_key("abc"), "session:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
