//! `GET /devices/{index}/features/{feature}/inputs/{type}`: reads an input (a battery level,
//! a signal strength) of one feature, now. intiface-engine's REST API has no input route;
//! this one follows the shape of its output routes.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use plugboard_protocol::model::InputCommand;
use serde_json::Value;

use super::api::{index, Api};
use super::error::RestError;
use super::json;
use super::segments::Segments;
use super::values;

pub async fn read(
    State(api): State<Arc<Api>>,
    Segments((device, feature, kind)): Segments<(String, String, String)>,
) -> Result<Json<Value>, RestError> {
    let device = index("device", &device)?;
    let feature = index("feature", &feature)?;
    let kind = values::input_type(&kind)?;
    let (_, found) = api.feature(device, feature)?;
    match found.input(kind) {
        Some(input) if input.can(InputCommand::Read) => {}
        Some(_) => {
            return Err(RestError::bad_input_type(format!(
                "The {} input of feature {feature} of device {device} cannot be read on demand.",
                json::input_name(kind)
            )))
        }
        None => {
            return Err(RestError::bad_input_type(format!(
                "Feature {feature} of device {device} has no {} input. GET /api/v1/devices/{device}/features lists \
                 the inputs of every feature.",
                json::input_name(kind)
            )))
        }
    }
    match api.client.read(device, feature, kind).await {
        Ok(reading) => Ok(Json(json::reading(device, feature, kind, reading))),
        Err(error) if error.code() == plugboard_protocol::ErrorCode::Message => {
            Err(RestError::from_client_error(device, &error))
        }
        Err(error) => Err(RestError::device_failed(format!(
            "Device {device} did not give its {} reading: {}",
            json::input_name(kind),
            error.text()
        ))),
    }
}
