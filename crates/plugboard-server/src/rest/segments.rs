//! Path segments as a route names them, with a JSON error instead of axum's plain-text
//! rejection when the path cannot be read.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::RestError;

/// The segments of a route's path (`{index}`, `{type}`, ...), as text each route parses.
pub struct Segments<T>(pub T);

impl<S, T> FromRequestParts<S> for Segments<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, RestError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(segments)) => Ok(Segments(segments)),
            Err(rejection) => Err(RestError {
                status: StatusCode::BAD_REQUEST,
                code: "bad-path",
                message: format!("The path cannot be read: {}.", rejection.body_text().trim_end_matches('.')),
            }),
        }
    }
}
