//! What front ends hear from the engine.

use plugboard_devices::{ClientId, DeviceEvent};

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
