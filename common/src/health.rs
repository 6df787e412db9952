//! What the service says of itself.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/health` answer: `healthy` and `connected`, or `unhealthy` and `disconnected` (503).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub redis: String,
}
