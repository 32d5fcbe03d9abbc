//! The routes that move devices: set an output (`PUT .../outputs/{type}/{level}`) of every
//! feature that has it or of one feature, and stop one device or every device
//! (`PUT .../stop`). Each is one command of the REST API's client, so several outputs set
//! together reach the device as one write, and a stop is one write per device
//! (docs/architecture.md, Safety).
//!
//! A stop stops what the REST API runs (and outputs nobody owns), never another client's
//! (docs/architecture.md, Clients and ownership). When another client's outputs keep running
//! on the devices the stop names, the answer is 409 naming them: a script must not believe a
//! device is still when it is not.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::Json;
use plugboard_protocol::model::{FeatureCommand, Output, OutputCommand, OutputType};
use serde_json::{json, Value};

use super::api::{index, Api};
use super::error::RestError;
use super::json;
use super::segments::Segments;
use super::values;

/// `PUT /devices/{index}/outputs/{type}/{level}`: every feature of the device that has an
/// output of this type, at this level.
pub async fn set_device_output(
    State(api): State<Arc<Api>>,
    Segments((device, kind, level)): Segments<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, RestError> {
    let device = index("device", &device)?;
    let kind = values::output_type(&kind)?;
    let info = api.device(device)?;
    let targets: Vec<(u32, Output)> = info
        .features
        .iter()
        .filter_map(|feature| {
            let output = feature.outputs.iter().find(|output| values::is_of_type(output, kind))?;
            Some((feature.index, output.clone()))
        })
        .collect();
    if targets.is_empty() {
        return Err(RestError::bad_output_type(format!(
            "Device {device} ({}) has no {} output. GET /api/v1/devices/{device}/features lists what it has.",
            info.name,
            kind.v4_name()
        )));
    }
    set(&api, device, kind, &targets, &level, query.as_deref())
}

/// `PUT /devices/{index}/features/{feature}/outputs/{type}/{level}`: one output.
pub async fn set_feature_output(
    State(api): State<Arc<Api>>,
    Segments((device, feature, kind, level)): Segments<(String, String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, RestError> {
    let device = index("device", &device)?;
    let feature = index("feature", &feature)?;
    let kind = values::output_type(&kind)?;
    let (_, found) = api.feature(device, feature)?;
    let Some(output) = found.outputs.iter().find(|output| values::is_of_type(output, kind)) else {
        return Err(RestError::bad_output_type(format!(
            "Feature {feature} of device {device} has no {} output. GET /api/v1/devices/{device}/features/{feature} \
             shows what it has.",
            kind.v4_name()
        )));
    };
    set(&api, device, kind, &[(feature, output.clone())], &level, query.as_deref())
}

/// Sets every target to `level` in one command, and answers with the outputs as set.
fn set(
    api: &Api,
    device: u32,
    kind: OutputType,
    targets: &[(u32, Output)],
    level: &str,
    query: Option<&str>,
) -> Result<Json<Value>, RestError> {
    let duration_ms = values::duration(kind, duration_parameter(query))?;
    let mut commands = Vec::with_capacity(targets.len());
    for (feature_index, output) in targets {
        let value = values::steps(values::level(level, output.range)?, output);
        commands.push(FeatureCommand {
            feature_index: *feature_index,
            command: OutputCommand { kind: output.kind, value, duration_ms },
        });
    }
    api.client.set_outputs(device, &commands).map_err(|error| RestError::from_client_error(device, &error))?;
    let outputs: Vec<Value> = targets
        .iter()
        .zip(&commands)
        .map(|((feature, output), command)| {
            json::output(device, *feature, output.kind, command.command.value, Some(output.range))
        })
        .collect();
    Ok(Json(json!({ "outputs": outputs })))
}

/// The `duration` parameter of a query string, if there is one.
fn duration_parameter(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|pair| pair.strip_prefix("duration="))
}

/// `PUT /devices/{index}/stop`: stops what the REST API runs on the device.
pub async fn stop_device(
    State(api): State<Arc<Api>>,
    Segments((device,)): Segments<(String,)>,
) -> Result<Json<Value>, RestError> {
    let device = index("device", &device)?;
    api.device(device)?;
    api.client.stop_device(device).map_err(|error| RestError::from_client_error(device, &error))?;
    others_still_running(&api, Some(device))?;
    Ok(Json(json!({ "stopped": [device] })))
}

/// `PUT /devices/stop`: stops what the REST API runs on every device.
pub async fn stop_all(State(api): State<Arc<Api>>) -> Result<Json<Value>, RestError> {
    api.client.stop();
    others_still_running(&api, None)?;
    let stopped: Vec<u32> = api.devices().iter().map(|device| device.index).collect();
    Ok(Json(json!({ "stopped": stopped })))
}

/// 409 when outputs another client set keep running on `device` (every device: `None`).
fn others_still_running(api: &Api, device: Option<u32>) -> Result<(), RestError> {
    let own = api.client.id();
    let mut running = Vec::new();
    for snapshot in api.shared.devices.snapshot() {
        if device.is_some_and(|wanted| wanted != snapshot.info.index) || !api.sees(&snapshot.address) {
            continue;
        }
        for level in &snapshot.outputs {
            let Some(owner) = level.owner.filter(|&owner| owner != own) else { continue };
            if level.value != 0 && level.kind.stops_at_zero() {
                running.push(format!(
                    "{} of device {} (feature {}, set by {})",
                    level.kind.v4_name(),
                    snapshot.info.index,
                    level.feature_index,
                    api.client_name(owner)
                ));
            }
        }
    }
    if running.is_empty() {
        return Ok(());
    }
    Err(RestError::owned_by_others(format!(
        "The REST API stopped what it runs, but another client's outputs keep running: {}. The REST API stops only \
         what it started; that client's own stop, or STOP ALL in Plugboard's window, stops the rest.",
        running.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::duration_parameter;

    #[test]
    fn the_duration_is_read_from_the_query() {
        assert_eq!(duration_parameter(Some("duration=500")), Some("500"));
        assert_eq!(duration_parameter(Some("x=1&duration=20")), Some("20"));
        assert_eq!(duration_parameter(None), None);
        assert_eq!(duration_parameter(Some("x=1")), None);
    }
}
