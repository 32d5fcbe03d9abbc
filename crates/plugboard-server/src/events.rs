//! What front ends hear from the engine.

use plugboard_devices::{ClientId, DeviceEvent};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::clients::ClientSnapshot;

/// A change in the engine, pushed to every front end subscribed with `Engine::events`.
///
/// Client snapshots are boxed: a broadcast channel allocates every slot up front at the size
/// of the largest variant, and a snapshot is more than twice the size of any other event.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    /// A websocket connected (no handshake yet).
    ClientConnected(Box<ClientSnapshot>),
    /// A client finished its handshake, or its last error changed.
    ClientChanged(Box<ClientSnapshot>),
    ClientDisconnected {
        id: ClientId,
    },
    /// A device appeared, disappeared, or one of its outputs changed.
    Device(DeviceEvent),
    /// The web pages approved for good or waiting for the user's answer over HTTP changed
    /// (`Engine::approved_origins`, `Engine::web_pages_asking`).
    WebPagesChanged,
    /// The engine stopped; every output was stopped first.
    Stopped,
}

/// One front end's subscription to the engine's events ([`Engine::events`](crate::Engine::events)).
///
/// Output changes come with every command, so they do not pass through the engine's event
/// channel: each subscription reads them from the device manager's own channel. An engine that
/// nobody follows (a headless engine serving a game) then wakes no task for them at all, and
/// one that is followed delivers them without a task in between (docs/performance.md, "Fifth
/// round").
pub struct EngineEvents {
    events: broadcast::Receiver<EngineEvent>,
    levels: broadcast::Receiver<DeviceEvent>,
}

impl EngineEvents {
    pub(crate) fn new(events: broadcast::Receiver<EngineEvent>, levels: broadcast::Receiver<DeviceEvent>) -> Self {
        EngineEvents { events, levels }
    }

    /// The next event, as [`broadcast::Receiver::recv`] gives it: `Lagged` when this front end
    /// fell behind (it should take a fresh snapshot), `Closed` when the engine is gone.
    ///
    /// Output changes already made come first, so that the stops of a stopping engine arrive
    /// before [`EngineEvent::Stopped`], and a level before the removal of its device.
    pub async fn recv(&mut self) -> Result<EngineEvent, RecvError> {
        tokio::select! {
            biased;
            level = self.levels.recv() => level.map(EngineEvent::Device),
            event = self.events.recv() => event,
        }
    }

    /// The next event if one is waiting, without waiting, in the order of [`EngineEvents::recv`].
    pub fn try_recv(&mut self) -> Result<EngineEvent, TryRecvError> {
        match self.levels.try_recv() {
            Ok(level) => Ok(EngineEvent::Device(level)),
            Err(TryRecvError::Lagged(missed)) => Err(TryRecvError::Lagged(missed)),
            Err(TryRecvError::Empty | TryRecvError::Closed) => self.events.try_recv(),
        }
    }
}
