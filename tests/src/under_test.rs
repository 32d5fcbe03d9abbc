//! The engine a test drives: one in this process ([`plugboard_server::Engine`]), or a
//! `plugboard-engine` program in a process of its own ([`crate::engine_process::EngineProcess`];
//! the Windows build under Wine is one). A test written against [`EngineUnderTest`] runs against
//! both, so the Windows build is held to the very checks the Linux build passes.

use std::net::SocketAddr;

use plugboard_protocol::model::OutputType;
use plugboard_protocol::SpecVersion;
use plugboard_server::Engine;

/// A client connected over the websocket as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientView {
    pub id: u64,
    /// The ClientName of its RequestServerInfo; `None` before the handshake.
    pub name: Option<String>,
    /// The negotiated spec version; `None` before the handshake.
    pub spec_version: Option<SpecVersion>,
    pub peer: SocketAddr,
}

/// What a test needs of the engine it drives: where games connect, what the engine recorded
/// for each output, and who is connected.
pub trait EngineUnderTest: Sync {
    /// The websocket port games connect to (on 127.0.0.1 and [::1]).
    fn port(&self) -> u16;

    /// The name clients see in ServerInfo.
    fn server_name(&self) -> String;

    /// The level the engine records for one output: `None` for an output the device lacks (or a
    /// device it does not have).
    fn output_level(&self, device: u32, feature: u32, kind: OutputType) -> Option<i32>;

    /// Every connected client, handshake done or not.
    fn clients(&self) -> Vec<ClientView>;

    /// The websocket URL over IPv4 loopback, as games type it.
    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port())
    }
}

impl EngineUnderTest for Engine {
    fn port(&self) -> u16 {
        Engine::port(self)
    }

    fn server_name(&self) -> String {
        self.config().server_name.clone()
    }

    fn output_level(&self, device: u32, feature: u32, kind: OutputType) -> Option<i32> {
        Engine::output_level(self, device, feature, kind)
    }

    fn clients(&self) -> Vec<ClientView> {
        // Clients inside the process (the window's controls) have no peer and are left out, as
        // a plugboard-engine process has none.
        Engine::clients(self)
            .into_iter()
            .filter_map(|client| {
                Some(ClientView {
                    id: client.id,
                    name: client.name,
                    spec_version: client.spec_version,
                    peer: client.peer?,
                })
            })
            .collect()
    }
}
