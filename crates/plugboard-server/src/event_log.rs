//! The engine's events as log lines, for front ends without a window: `plugboard-engine --log
//! plugboard_server::event_log=debug` shows every client that connects, every device that comes
//! or goes and every output change with the client that made it, so that a game developer sees
//! what their game did to each device (virtual ones included). With `--log-format json` each
//! event is one JSON object whose fields scripts can read; the field names below are kept
//! stable for them.
//!
//! | message | fields |
//! |---|---|
//! | `client connected` | `client` (id), `peer` (`in process` for a client inside the process, such as the window's controls) |
//! | `client changed` | `client`, `name`, `spec` (`v0`..`v4`), `last_error` (after the handshake, or when its last error changes) |
//! | `client disconnected` | `client` |
//! | `device added`, `device changed` | `device` (index), `name`, `outputs` (`feature:Kind` pairs, e.g. `0:Vibrate 1:Constrict`) |
//! | `device removed` | `device` |
//! | `output changed` | `device`, `feature`, `output` (Kind), `value` (step), `client` (absent when the user stopped it) |
//! | `battery` | `device`, `percent` |
//! | `hardware status` | `transport`, `status` |
//! | `engine stopped` | |
//!
//! Events go to the log at debug level only, so the default `info` log stays quiet, and an
//! engine that serves a busy game pays only the level check per event.

use plugboard_devices::DeviceEvent;
use plugboard_protocol::model::DeviceInfo;
use tokio::sync::broadcast;

use crate::{Engine, EngineEvent, EngineEvents};

/// The tracing target of these lines (`--log plugboard_server::event_log=debug`).
pub const TARGET: &str = "plugboard_server::event_log";

/// Logs the devices the engine already has (added before anyone listened), then follows its
/// events on a task of their own until the engine stops. Does nothing when the log would drop
/// the lines anyway.
pub fn spawn(engine: &Engine) -> Option<tokio::task::JoinHandle<()>> {
    if !tracing::enabled!(target: TARGET, tracing::Level::DEBUG) {
        return None;
    }
    let events = engine.events();
    for device in engine.devices() {
        log_event(&EngineEvent::Device(DeviceEvent::Added(std::sync::Arc::new(device.info.clone()))));
        for output in device.outputs.iter().filter(|output| output.value != 0) {
            log_event(&EngineEvent::Device(DeviceEvent::OutputChanged {
                device_index: device.info.index,
                feature_index: output.feature_index,
                kind: output.kind,
                value: output.value,
                owner: output.owner,
            }));
        }
    }
    Some(tokio::spawn(follow(events)))
}

async fn follow(mut events: EngineEvents) {
    loop {
        match events.recv().await {
            Ok(event) => {
                log_event(&event);
                if event == EngineEvent::Stopped {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(target: TARGET, missed, "events missed: the log fell behind");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// `0:Vibrate 1:Constrict`: each output of a device as its feature index and kind.
fn outputs(info: &DeviceInfo) -> String {
    let pairs: Vec<String> = info
        .features
        .iter()
        .flat_map(|feature| feature.outputs.iter().map(move |output| format!("{}:{:?}", feature.index, output.kind)))
        .collect();
    pairs.join(" ")
}

/// One event, one line.
fn log_event(event: &EngineEvent) {
    match event {
        EngineEvent::ClientConnected(client) => {
            let peer = client.peer.map_or_else(|| "in process".to_owned(), |peer| peer.to_string());
            tracing::debug!(target: TARGET, client = client.id, peer = %peer, "client connected");
        }
        EngineEvent::ClientChanged(client) => tracing::debug!(
            target: TARGET,
            client = client.id,
            name = client.name.as_deref().unwrap_or(""),
            spec = client.spec_version.map(|spec| spec.to_string()).unwrap_or_default(),
            last_error = client.last_error.as_deref().unwrap_or(""),
            "client changed"
        ),
        EngineEvent::ClientDisconnected { id } => {
            tracing::debug!(target: TARGET, client = id, "client disconnected");
        }
        EngineEvent::WebPagesChanged => tracing::debug!(target: TARGET, "web pages changed"),
        EngineEvent::Device(DeviceEvent::Added(info)) => {
            tracing::debug!(target: TARGET, device = info.index, name = %info.name, outputs = %outputs(info), "device added");
        }
        EngineEvent::Device(DeviceEvent::Changed(info)) => {
            tracing::debug!(target: TARGET, device = info.index, name = %info.name, outputs = %outputs(info), "device changed");
        }
        EngineEvent::Device(DeviceEvent::Removed { index }) => {
            tracing::debug!(target: TARGET, device = index, "device removed");
        }
        EngineEvent::Device(DeviceEvent::OutputChanged { device_index, feature_index, kind, value, owner }) => {
            tracing::debug!(
                target: TARGET,
                device = device_index,
                feature = feature_index,
                output = ?kind,
                value,
                client = owner,
                "output changed"
            );
        }
        EngineEvent::Device(DeviceEvent::Battery { index, percent }) => {
            tracing::debug!(target: TARGET, device = index, percent, "battery");
        }
        EngineEvent::Device(DeviceEvent::HardwareStatus { transport, status }) => {
            tracing::debug!(target: TARGET, transport, status = ?status, "hardware status");
        }
        EngineEvent::Device(DeviceEvent::ScanningFinished) => {
            tracing::debug!(target: TARGET, "scanning finished");
        }
        EngineEvent::Stopped => tracing::debug!(target: TARGET, "engine stopped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_protocol::model::{Feature, Output, OutputType, Range};

    #[test]
    fn outputs_are_listed_as_feature_and_kind() {
        let output = |kind| Output::new(kind, Range::new(0, 20));
        let info = DeviceInfo {
            index: 3,
            name: "Max".into(),
            display_name: None,
            message_gap_ms: 0,
            features: vec![
                Feature {
                    index: 0,
                    description: String::new(),
                    outputs: vec![output(OutputType::Vibrate)],
                    inputs: vec![],
                },
                Feature {
                    index: 1,
                    description: String::new(),
                    outputs: vec![output(OutputType::Constrict)],
                    inputs: vec![],
                },
                Feature { index: 2, description: String::new(), outputs: vec![], inputs: vec![] },
            ],
        };
        assert_eq!(outputs(&info), "0:Vibrate 1:Constrict");
    }
}
