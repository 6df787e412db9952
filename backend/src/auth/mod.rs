//! Accounts and sessions: argon2 password hashes (computed a bounded number at once, `hashing`), random
//! bearer tokens kept in Redis with a TTL (only their SHA-256 is stored, so a copy of Redis holds no
//! usable token), cached per instance (`sessions`), at most `max_sessions_per_user` live per user.
//! Usernames are unique regardless of case: an account is stored under its lower-case name. Failed
//! logins of one username past a few cost a growing wait (`failed_logins`).

mod error;
pub mod failed_logins;
pub mod hashing;
pub mod sessions;

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use common::{Password, Username};
use failed_logins::FailedLogins;
use hashing::Hashing;
use redis::aio::ConnectionLike;
use redis::Script;
use sha2::{Digest, Sha256};

pub use error::AuthError;
pub use sessions::SessionCache;

use crate::config::AuthSettings;

static REGISTER_USER: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../../lua/accounts/register_user.lua")));

/// Deletes a session and announces it on the revocation channel in one atomic step (a script rather
/// than MULTI: it runs the same on one server and on a Redis Cluster).
static END_SESSION: LazyLock<Script> =
    LazyLock::new(|| Script::new("redis.call('DEL', KEYS[1]); redis.call('PUBLISH', ARGV[1], KEYS[1]); return 1"));

/// A hash that no password matches, verified against when the username is unknown so that a login
/// takes as long for a missing user as for a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password"));

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
pub fn session_key(token: &str) -> String {
    "session:".to_string() + &hex(&Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The key of an account: its username in lower case, so that `Alice` and `alice` are one account.
fn account_key(username: &str) -> String {
    format!("user:name:{}", username.to_lowercase())
}

/// Where an account made before names were unique regardless of case may be: under its name as written.
/// Only a name with capitals can have one; it is looked at when the lower-case key holds no account.
fn legacy_account_key(username: &str) -> Option<String> {
    username.chars().any(|c| c.is_ascii_uppercase()).then(|| format!("user:name:{username}"))
}

/// The sorted set of a user's live sessions (session key, scored by expiry in ms).
fn sessions_of(user_id: u64) -> String {
    format!("sessions:user:{user_id}")
}

/// Accounts and sessions over a Redis connection, with this instance's cache of sessions.
#[derive(Clone)]
pub struct Accounts<C> {
    conn: C,
    settings: Arc<AuthSettings>,
    sessions: Arc<SessionCache>,
    hashing: Arc<Hashing>,
    failed_logins: Arc<FailedLogins>,
}

impl<C: ConnectionLike + Clone + Send + Sync> Accounts<C> {
    pub fn new(conn: C, settings: AuthSettings, sessions: Arc<SessionCache>) -> Accounts<C> {
        let hashing = Arc::new(Hashing::new(settings.max_concurrent_hashes));
        let failed_logins = Arc::new(FailedLogins::new(settings.free_failed_logins, settings.max_login_backoff));
        Accounts { conn, settings: Arc::new(settings), sessions, hashing, failed_logins }
    }

    pub fn token_ttl_secs(&self) -> u64 {
        self.settings.token_ttl_secs
    }

    /// The session cache, for the feeds that close a socket when its session ends.
    pub fn sessions(&self) -> &Arc<SessionCache> {
        &self.sessions
    }

    /// Creates an account; the password is hashed off the async threads (argon2 is slow on purpose). A
    /// taken name is refused before anything is hashed or any id is taken (only two registrations of
    /// one name racing each other spend an id on the loser).
    pub async fn register(&self, username: &Username, password: &Password) -> Result<u64, AuthError> {
        let mut conn = self.conn.clone();
        let key = account_key(username.as_str());
        // (One key per EXISTS: on a Cluster the two may live in different slots.)
        for existing in std::iter::once(key.clone()).chain(legacy_account_key(username.as_str())) {
            let taken: bool = redis::cmd("EXISTS").arg(&existing).query_async(&mut conn).await?;
            if taken {
                return Err(AuthError::UsernameTaken);
            }
        }
        let pw = password.expose().to_string();
        let hash = self.hashing.run(move || hash_password(&pw)).await?;
        let id: u64 = redis::cmd("INCR").arg("next_user_id").query_async(&mut conn).await?;
        let created: u64 = REGISTER_USER
            .key(&key)
            .arg(id)
            .arg(hash)
            .arg(common::time::now_ms())
            .arg(username.as_str())
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
        for key in std::iter::once(account_key(username)).chain(legacy_account_key(username)) {
            let (id, hash): (Option<u64>, Option<String>) =
                redis::cmd("HMGET").arg(key).arg("id").arg("password").query_async(&mut conn).await?;
            if let Some(account) = id.zip(hash) {
                return Ok(Some(account));
            }
        }
        Ok(None)
    }

    /// The id of the account with this username (any case), if there is one.
    pub async fn user_id_of(&self, username: &str) -> Result<Option<u64>, AuthError> {
        Ok(self.account(username).await?.map(|(id, _)| id))
    }

    /// Checks the credentials and opens a session; returns its token. While the username's logins are
    /// locked after failures, nothing is checked: the answer is the wait.
    pub async fn login(&self, username: &str, password: &str) -> Result<String, AuthError> {
        if let Some(wait) = self.failed_logins.wait(username, Instant::now()) {
            return Err(AuthError::LoginLocked(wait));
        }
        let (id, hash) = self.account(username).await?.unzip();
        let known = hash.is_some();
        let (pw, hash) = (password.to_string(), hash.unwrap_or_else(|| DUMMY_HASH.clone()));
        let ok = self.hashing.run(move || verify_password(&pw, &hash)).await?;
        let (true, true, Some(id)) = (known, ok, id) else {
            let wait = self.failed_logins.failed(username, Instant::now());
            if !wait.is_zero() {
                tracing::info!(wait_ms = wait.as_millis() as u64, "failed logins of one username: its logins wait");
            }
            return Err(AuthError::WrongCredentials);
        };
        self.failed_logins.succeeded(username);
        self.open_session(id).await
    }

    /// A new session of `user_id`, listed in the user's sessions first (so that no session exists that
    /// the cap does not see; a crash between the two leaves only a name that expires), then stored;
    /// past the cap the oldest are ended.
    async fn open_session(&self, user_id: u64) -> Result<String, AuthError> {
        let mut conn = self.conn.clone();
        let token = new_token();
        let key = session_key(&token);
        let ttl = self.settings.token_ttl_secs;
        let now = common::time::now_ms();
        let list = sessions_of(user_id);
        let (live,): (u64,) = redis::pipe()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&list)
            .arg("-inf")
            .arg(now)
            .ignore()
            .cmd("ZADD")
            .arg(&list)
            .arg(now + ttl * 1000)
            .arg(&key)
            .ignore()
            .cmd("EXPIRE")
            .arg(&list)
            .arg(ttl)
            .ignore()
            .cmd("ZCARD")
            .arg(&list)
            .query_async(&mut conn)
            .await?;
        let _: () = redis::cmd("SET").arg(&key).arg(user_id).arg("EX").arg(ttl).query_async(&mut conn).await?;
        let cap = u64::from(self.settings.max_sessions_per_user);
        if live > cap {
            let oldest: Vec<String> =
                redis::cmd("ZRANGE").arg(&list).arg(0).arg(live - cap - 1).query_async(&mut conn).await?;
            for old in oldest {
                self.end_session(user_id, &old).await?;
            }
        }
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

    /// How long the session stored under `key` lasts, asked of Redis (not of the cache); None when it
    /// has ended.
    pub async fn session_left(&self, key: &str) -> Result<Option<Duration>, AuthError> {
        let ttl_ms: i64 = redis::cmd("PTTL").arg(key).query_async(&mut self.conn.clone()).await?;
        Ok(match ttl_ms {
            -2 => None,
            ms if ms < 0 => Some(Duration::MAX),
            ms => Some(Duration::from_millis(ms as u64)),
        })
    }

    /// Ends a session at once, on every instance.
    pub async fn logout(&self, user_id: u64, token: &str) -> Result<(), AuthError> {
        self.end_session(user_id, &session_key(token)).await
    }

    /// Deletes a session and announces it in one atomic step, then drops it from the user's list.
    async fn end_session(&self, user_id: u64, key: &str) -> Result<(), AuthError> {
        let mut conn = self.conn.clone();
        let _: u8 = END_SESSION.key(key).arg(sessions::REVOKED_CHANNEL).invoke_async(&mut conn).await?;
        self.sessions.revoke(key);
        let _: () = redis::cmd("ZREM").arg(sessions_of(user_id)).arg(key).query_async(&mut conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_ignore_case() {
        assert_eq!(account_key("Alice"), account_key("aLICE"));
        assert_eq!(legacy_account_key("Alice").as_deref(), Some("user:name:Alice"));
        assert_eq!(legacy_account_key("alice"), None);
    }

    #[test]
    fn session_keys_are_the_hex_sha256_of_the_token() {
        // sha256("abc"), the FIPS 180-2 example.
        assert_eq!(session_key("abc"), "session:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
