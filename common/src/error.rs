//! The contract's error body.

use serde::{Deserialize, Serialize};

/// `{"detail": "<human readable sentence>", "code": "<machine_code>"}`
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub detail: String,
    pub code: String,
}
