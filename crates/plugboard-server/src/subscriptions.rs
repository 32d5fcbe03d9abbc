//! The inputs one client is subscribed to (v4 `InputCmd` Subscribe, v3 `SensorSubscribeCmd`)
//! and how each of their readings is worded for it.
//!
//! The device manager keeps who listens to what and has the device deliver it; a session
//! keeps the reply shape of each of its subscriptions (a v3 `SensorReading` echoes the sensor
//! index the client used) and listens to the manager's readings only while it has any.

use std::collections::HashMap;
use std::future::pending;

use plugboard_devices::{ClientId, DeviceManager, InputEvent};
use plugboard_protocol::convert::{self, InputRequest, ReadingReply};
use plugboard_protocol::messages::ServerMessage;
use plugboard_protocol::model::{InputType, StopScope};
use plugboard_protocol::Error;
use tokio::sync::broadcast;

/// (device index, feature index, input type).
type InputKey = (u32, u32, InputType);

#[derive(Default)]
pub(crate) struct Subscriptions {
    replies: HashMap<InputKey, ReadingReply>,
    /// The manager's readings, while this client is subscribed to anything.
    readings: Option<broadcast::Receiver<InputEvent>>,
}

fn key(request: &InputRequest) -> InputKey {
    (request.device_index, request.feature_index, request.kind)
}

impl Subscriptions {
    /// Subscribes `client` to the input `request` names. Subscribing again is no error.
    pub(crate) async fn subscribe(
        &mut self,
        devices: &DeviceManager,
        client: ClientId,
        request: &InputRequest,
    ) -> Result<(), Error> {
        // Listening before the device starts delivering, so that no first reading is missed.
        if self.readings.is_none() {
            self.readings = Some(devices.subscribe_readings());
        }
        let subscribed =
            devices.subscribe_input(client, request.device_index, request.feature_index, request.kind).await;
        match subscribed {
            Ok(()) => {
                self.replies.insert(key(request), request.reply);
            }
            Err(_) if self.replies.is_empty() => self.readings = None,
            Err(_) => {}
        }
        subscribed
    }

    /// Ends `client`'s subscription to the input `request` names (none: nothing to do).
    pub(crate) fn unsubscribe(&mut self, devices: &DeviceManager, client: ClientId, request: &InputRequest) {
        devices.unsubscribe_input(client, request.device_index, request.feature_index, request.kind);
        self.replies.remove(&key(request));
        self.stop_listening_if_idle();
    }

    /// Forgets the subscriptions in `scope`, which the manager ended (a stop with inputs, a
    /// device that went away or was hidden from this client).
    pub(crate) fn forget(&mut self, scope: StopScope) {
        self.replies.retain(|&(device, feature, _), _| {
            let in_scope = scope.device_index.is_none_or(|wanted| wanted == device)
                && scope.feature_index.is_none_or(|wanted| wanted == feature);
            !in_scope
        });
        self.stop_listening_if_idle();
    }

    fn stop_listening_if_idle(&mut self) {
        if self.replies.is_empty() {
            self.readings = None;
        }
    }

    /// The next reading from the manager; never resolves while nothing is subscribed.
    pub(crate) async fn next(&mut self) -> Result<InputEvent, broadcast::error::RecvError> {
        match &mut self.readings {
            Some(readings) => readings.recv().await,
            None => pending().await,
        }
    }

    /// The message that tells `client` of `event`, if it is one of its subscriptions.
    pub(crate) fn message(&self, client: ClientId, event: &InputEvent) -> Option<ServerMessage> {
        if !event.subscribers.contains(&client) {
            return None;
        }
        let reply = *self.replies.get(&(event.device_index, event.feature_index, event.reading.input_type()))?;
        match convert::reading_message(0, event.device_index, event.feature_index, reply, event.reading) {
            Ok(message) => Some(message),
            Err(error) => {
                tracing::debug!(client, %error, "a reading this client's version cannot carry");
                None
            }
        }
    }
}
