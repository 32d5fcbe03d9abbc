//! The routes that show devices and scan for them: `GET /devices`, `GET /devices/{index}`,
//! `GET /devices/{index}/features`, `GET /devices/{index}/features/{feature}`, and
//! `GET /start-scanning`, `GET /stop-scanning` (GET, as intiface-engine has them; the Origin
//! gate keeps web pages from calling them with a link or an image).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::api::{index, Api};
use super::error::RestError;
use super::json;
use super::segments::Segments;

/// `GET /devices`: every device the REST API may use, keyed by index.
pub async fn list(State(api): State<Arc<Api>>) -> Json<Value> {
    Json(json::devices(&api.devices()))
}

/// `GET /devices/{index}`.
pub async fn one(
    State(api): State<Arc<Api>>,
    Segments((device,)): Segments<(String,)>,
) -> Result<Json<Value>, RestError> {
    let device = api.device(index("device", &device)?)?;
    Ok(Json(json::device(&device)))
}

/// `GET /devices/{index}/features`: its features keyed by feature index.
pub async fn features(
    State(api): State<Arc<Api>>,
    Segments((device,)): Segments<(String,)>,
) -> Result<Json<Value>, RestError> {
    let device = api.device(index("device", &device)?)?;
    Ok(Json(json::features(&device)))
}

/// `GET /devices/{index}/features/{feature}`.
pub async fn feature(
    State(api): State<Arc<Api>>,
    Segments((device, feature)): Segments<(String, String)>,
) -> Result<Json<Value>, RestError> {
    let (device, feature) = api.feature(index("device", &device)?, index("feature", &feature)?)?;
    Ok(Json(json::feature(&device, &feature)))
}

/// `GET /start-scanning`: looks for devices until `stop-scanning` (scans are counted per
/// client, so another client's scan goes on).
pub async fn start_scanning(State(api): State<Arc<Api>>) -> Json<Value> {
    api.shared.devices.start_scanning(api.client.id()).await;
    Json(json!({ "scanning": true }))
}

/// `GET /stop-scanning`.
pub async fn stop_scanning(State(api): State<Arc<Api>>) -> Json<Value> {
    api.shared.devices.stop_scanning(api.client.id()).await;
    Json(json!({ "scanning": false }))
}
