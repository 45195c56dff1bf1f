//! `/v4/auth`: who the request acts as.

use super::error::ErrorBody;
use crate::config::Protection;
use app::actor::Actor;
use app::auth::Role;
use axum::{Extension, Json};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user name (`anonymous` for a reader who has not logged in).
    pub name: String,
    /// `null` when not logged in.
    pub role: Option<Role>,
    /// Whether this server has login at all (`PROTECTION_LEVEL` other than NONE).
    pub login: bool,
}

/// Who this request acts as: the session's user, the Basic credentials' account, the local
/// user (no login), or an anonymous reader.
#[utoipa::path(get, path = "/v4/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(Extension(actor): Extension<Actor>, Extension(protection): Extension<Protection>) -> Json<Me> {
    Json(Me { name: actor.name, role: actor.role, login: protection != Protection::None })
}
