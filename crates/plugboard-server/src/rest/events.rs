//! `GET /events`: what happens to the devices, as Server-Sent Events whose `data` is JSON
//! (intiface-engine's REST API sends debug text there). Each event's name says what it is:
//!
//! - `devices` first, once: every device, as `GET /devices` shows them, so a script knows
//!   where it starts (and knows, when it gets it, that it hears everything after it);
//! - `device-added` (the device), `device-removed` (`{"index"}`), `device-changed` (renamed);
//! - `output-changed`: one output's new steps and level, and `owner`, the client that set it
//!   last (a stop leaves the owner as it was; `null` when no client has set it);
//! - `battery`: a new battery reading; `scanning-finished`;
//! - `lagged` when the script fell so far behind that events were lost (fetch the devices
//!   again), and `server-stopped` before the stream ends.
//!
//! Devices the user keeps from the REST API (device access by client name) are left out.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use plugboard_devices::DeviceEvent;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::api::Api;
use super::json;
use crate::events::{EngineEvent, EngineEvents};

pub async fn stream(State(api): State<Arc<Api>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribed before the first event is made: nothing falls between the two.
    let events = api.shared.follow_events();
    let devices = api.devices();
    let first = event("devices", json::devices(&devices));
    let shutdown = api.shared.shutdown.clone();
    let visible = devices.iter().map(|device| device.index).collect();
    let listener = Listener { visible, api, events, shutdown, ended: false };
    let rest = futures_util::stream::unfold(listener, |mut listener| async move {
        let event = listener.next().await?;
        Some((Ok(event), listener))
    });
    let stream = futures_util::StreamExt::chain(futures_util::stream::iter([Ok(first)]), rest);
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn event(name: &'static str, data: Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// One script's subscription.
struct Listener {
    api: Arc<Api>,
    events: EngineEvents,
    /// The devices this script has been told about, so that it hears of their removal.
    visible: BTreeSet<u32>,
    /// Raised when the engine stops: the stream says so, then ends.
    shutdown: tokio::sync::watch::Receiver<bool>,
    ended: bool,
}

impl Listener {
    /// The next event for the script; `None` once the engine has stopped.
    async fn next(&mut self) -> Option<Event> {
        if self.ended {
            return None;
        }
        loop {
            // Events already sent (the stops of a stopping engine) go first.
            let received = tokio::select! {
                biased;
                received = self.events.recv() => received,
                _ = crate::raised(&mut self.shutdown) => Ok(EngineEvent::Stopped),
            };
            let engine_event = match received {
                Ok(engine_event) => engine_event,
                Err(RecvError::Lagged(missed)) => {
                    let message = "Events were lost while this script was not reading; GET /api/v1/devices for the \
                                   state now.";
                    return Some(event("lagged", json!({ "missed": missed, "message": message })));
                }
                Err(RecvError::Closed) => return None,
            };
            if let Some(event) = self.translate(engine_event) {
                return Some(event);
            }
        }
    }

    fn translate(&mut self, engine_event: EngineEvent) -> Option<Event> {
        let device_event = match engine_event {
            EngineEvent::Device(device_event) => device_event,
            EngineEvent::Stopped => {
                self.ended = true;
                return Some(event("server-stopped", json!({})));
            }
            _ => return None,
        };
        match device_event {
            DeviceEvent::Added(info) | DeviceEvent::Changed(info) if self.sees(info.index) => {
                let name = if self.visible.insert(info.index) { "device-added" } else { "device-changed" };
                Some(event(name, json::device(&info)))
            }
            DeviceEvent::Removed { index } if self.visible.remove(&index) => {
                Some(event("device-removed", json!({ "index": index })))
            }
            DeviceEvent::OutputChanged { device_index, feature_index, kind, value, owner }
                if self.visible.contains(&device_index) =>
            {
                let range = self.api.shared.devices.with_lookup(|devices| {
                    Some(devices.device(device_index)?.feature(feature_index)?.output(kind)?.range)
                });
                let mut data = json::output(device_index, feature_index, kind, value, range);
                data["owner"] = json!(owner.map(|owner| self.api.client_name(owner)));
                Some(event("output-changed", data))
            }
            DeviceEvent::Battery { index, percent } if self.visible.contains(&index) => {
                Some(event("battery", json!({ "device": index, "percent": percent })))
            }
            DeviceEvent::ScanningFinished => Some(event("scanning-finished", json!({}))),
            _ => None,
        }
    }

    fn sees(&self, index: u32) -> bool {
        self.api.shared.devices.address_of(index).is_some_and(|address| self.api.sees(&address))
    }
}
