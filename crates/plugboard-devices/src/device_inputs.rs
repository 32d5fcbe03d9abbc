//! What a device task knows of its device's inputs: which are subscribed, the last reading of
//! each, and battery reads waiting for a device that reports its level by itself.
//!
//! The device manager decides who listens (several clients may subscribe to one input); the
//! task subscribes the hardware endpoint an input needs ([`DeviceHandler::input_endpoint`])
//! while the manager wants that input, decodes every notification with the protocol
//! ([`DeviceHandler::decode_input`], pure) and hands the readings that changed to the manager.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use plugboard_protocol::model::{InputType, Reading};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::hardware::{Endpoint, Hardware};
use crate::protocols::{DeviceHandler, ProtocolError};

/// How long a battery read waits for a device that pushes its level, when it has not pushed
/// one since connecting.
pub const PUSHED_BATTERY_WAIT: Duration = Duration::from_secs(2);

/// Where a device task sends the readings of subscribed inputs: (feature index, reading).
pub type ReadingSink = Box<dyn Fn(u32, Reading) + Send + Sync>;

/// A battery read waiting for the device to report.
type BatteryReply = oneshot::Sender<Result<u8, ProtocolError>>;

/// The input side of one device task.
#[derive(Default)]
pub(crate) struct Inputs {
    subscribed: BTreeSet<(u32, InputType)>,
    last: BTreeMap<(u32, InputType), Reading>,
    sink: Option<ReadingSink>,
    /// Battery reads of a device that pushes its level, with when they give up.
    waiting: Vec<(Instant, BatteryReply)>,
}

impl Inputs {
    pub(crate) fn set_sink(&mut self, sink: ReadingSink) {
        self.sink = Some(sink);
    }

    /// Starts delivering readings of input `kind` of feature `feature_index`, subscribing its
    /// endpoint unless another subscribed input already did.
    pub(crate) async fn subscribe(
        &mut self,
        hardware: &dyn Hardware,
        handler: &dyn DeviceHandler,
        feature_index: u32,
        kind: InputType,
    ) -> Result<(), ProtocolError> {
        let endpoint = handler.input_endpoint(feature_index, kind).ok_or_else(|| {
            ProtocolError::Unsupported(format!("subscribing to the {kind:?} input of feature {feature_index}"))
        })?;
        if self.subscribed.contains(&(feature_index, kind)) {
            return Ok(());
        }
        if !self.endpoint_in_use(handler, endpoint) {
            hardware.subscribe(endpoint).await?;
        }
        self.subscribed.insert((feature_index, kind));
        Ok(())
    }

    /// Stops delivering readings of an input, unsubscribing its endpoint when no other
    /// subscribed input needs it. A failed unsubscribe is logged: the readings stop either way.
    pub(crate) async fn unsubscribe(
        &mut self,
        hardware: &dyn Hardware,
        handler: &dyn DeviceHandler,
        feature_index: u32,
        kind: InputType,
    ) {
        if !self.subscribed.remove(&(feature_index, kind)) {
            return;
        }
        let Some(endpoint) = handler.input_endpoint(feature_index, kind) else { return };
        if !self.endpoint_in_use(handler, endpoint) {
            if let Err(error) = hardware.unsubscribe(endpoint).await {
                tracing::debug!(device = hardware.address(), %endpoint, %error, "unsubscribing failed");
            }
        }
    }

    fn endpoint_in_use(&self, handler: &dyn DeviceHandler, endpoint: Endpoint) -> bool {
        self.subscribed.iter().any(|&(feature, kind)| handler.input_endpoint(feature, kind) == Some(endpoint))
    }

    /// A notification arrived: keeps its readings, sends subscribers the ones that changed,
    /// and answers battery reads waiting for a report.
    pub(crate) fn notified(&mut self, handler: &dyn DeviceHandler, endpoint: Endpoint, bytes: &[u8]) {
        for (feature_index, reading) in handler.decode_input(endpoint, bytes) {
            let key = (feature_index, reading.input_type());
            let changed = self.last.insert(key, reading) != Some(reading);
            if changed && self.subscribed.contains(&key) {
                if let Some(sink) = &self.sink {
                    sink(feature_index, reading);
                }
            }
            if let Reading::Battery(percent) = reading {
                for (_, reply) in self.waiting.drain(..) {
                    let _ = reply.send(Ok(percent));
                }
            }
        }
    }

    /// A battery read of a device that pushes its level: the last level it reported, or the
    /// next one within [`PUSHED_BATTERY_WAIT`].
    pub(crate) fn pushed_battery(&mut self, reply: BatteryReply) {
        let last = self.last.iter().find_map(|(_, reading)| match reading {
            Reading::Battery(percent) => Some(*percent),
            _ => None,
        });
        match last {
            Some(percent) => {
                let _ = reply.send(Ok(percent));
            }
            None => {
                self.waiting.retain(|(_, waiting)| !waiting.is_closed());
                self.waiting.push((Instant::now() + PUSHED_BATTERY_WAIT, reply));
            }
        }
    }

    /// When the next waiting battery read gives up.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.waiting.iter().map(|(deadline, _)| *deadline).min()
    }

    /// Answers the battery reads whose wait is over.
    pub(crate) fn expire(&mut self, now: Instant) {
        let (over, waiting): (Vec<_>, Vec<_>) = self.waiting.drain(..).partition(|(deadline, _)| *deadline <= now);
        self.waiting = waiting;
        for (_, reply) in over {
            let _ = reply.send(Err(ProtocolError::Timeout("the device to report its battery level")));
        }
    }
}
