//! Accounts: the bodies of register, log in and their answers.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/auth/register` and `/login` body: a username (3-32 characters of `A-Z a-z 0-9 _ -`)
/// and a password (8-128 characters).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    #[cfg_attr(feature = "openapi", schema(example = "alice"))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(example = "correct horse battery"))]
    pub password: String,
}

/// `POST /api/v1/auth/register` answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    pub user_id: u64,
    pub username: String,
}

/// `POST /api/v1/auth/session` answer: the bearer token of the session the browser's session cookie
/// holds, and whose it is (a screen reloaded goes on signed in).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumed {
    pub username: String,
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds the token has left.
    pub expires_in: u64,
}

/// `POST /api/v1/auth/login` answer: the bearer token for `Authorization: Bearer <access_token>`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedIn {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds the token lasts.
    pub expires_in: u64,
}
