//! The Plugboard engine: a Buttplug server that many clients of any spec version (v0 to v4)
//! can use at once.
//!
//! Front ends (the desktop app, the `plugboard-engine` CLI) hold an [`Engine`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), plugboard_server::StartError> {
//! use plugboard_server::{Engine, EngineConfig};
//! let engine = Engine::start(EngineConfig::loopback(12345)).await?;
//! println!("paste {} into your game", engine.url());
//! let mut events = engine.events();       // clients and devices as they change
//! let clients = engine.clients();         // name, spec version, address, Origin, counts...
//! engine.stop_all().await;                // the user's STOP ALL
//! engine.stop().await;                    // stops every output, then closes everything
//! # Ok(()) }
//! ```
//!
//! What a front end shows comes from the engine too, so the window and the CLI show the same
//! truth: [`Engine::devices`] joined with [`Engine::user_device_config`] gives each device as
//! a [`DeviceView`] (with the remembered devices that are not connected; a stopped engine's
//! are read with [`UserDeviceConfig::load`]), [`list_serial_ports`] the ports to bind, and the
//! model types a front end needs are re-exported here, so that it depends on this crate alone.
//!
//! Who gets in and what they see: every door a browser can reach goes through one Origin gate
//! ([`gate`]): `EngineConfig::allowed_origins` lets listed web pages in, and with
//! `EngineConfig::web_pages` asking, other web pages wait for the user, as a client from
//! another machine does with `EngineConfig::remote_clients` asking: after its handshake, until
//! the front end calls `Engine::allow_client` or `Engine::refuse_client` (the `approval`
//! module). HTTP surfaces call `Engine::check_http` before anything else. And
//! `Engine::set_device_access` limits clients, by name, to chosen devices (the `access` module).
//!
//! Inside, one task accepts connections on each listening address (and, in client mode, one
//! task dials `EngineConfig::websocket_client_address`), and one task per connection runs a
//! session ([`session`]): handshake, frames decoded for the client's
//! version, legacy commands converted to canonical ones, executed by the device manager,
//! and answered in order. The device manager records which client set each output, so a
//! client's stop or disconnect stops only its own outputs.

mod access;
mod admission;
mod approval;
pub mod catalog;
mod clients;
mod config;
pub mod database_update;
mod device_views;
mod dial_out;
mod engine;
mod error;
pub mod event_log;
mod events;
pub mod files;
pub mod gate;
mod hardware;
mod http_server;
mod limits;
mod listener;
mod local_client;
mod lovense;
pub mod mdns;
mod outbox;
mod paths;
pub mod repeater;
mod rest;
mod serial_ports;
mod session;
mod shared;
mod subscriptions;
/// The Lovense API's request reader and what a command runs over time, as pure functions:
/// for the fuzz target and its corpus replay (fuzz/README.md), which feed it any bytes.
pub mod lovense_request {
    pub use crate::lovense::action::{Action, Function, Level};
    pub use crate::lovense::answer::ApiError;
    pub use crate::lovense::program::{Move, PatternSpec, PositionScript, Program, Step};
    pub use crate::lovense::request::{from_get, from_json, Command, PatternV2, Toys};
}
/// Test helpers (the `testing` feature), for the tests of crates that reach the engine through
/// this crate alone: the one polling helper every test suite uses.
#[cfg(feature = "testing")]
pub mod testing {
    pub use plugboard_devices::testing::wait_until;
}

pub use access::AccessRules;
pub use approval::{is_loopback, Approval, ApprovedPeer, RemoteClients, DEFAULT_APPROVAL_TIMEOUT};
pub use clients::{ClientKind, ClientSnapshot};
pub use config::{
    DeviceOptions, EngineConfig, LovenseApiOptions, WebPages, DEFAULT_DEVICE_WEBSOCKET_PORT,
    DEFAULT_LOVENSE_API_HTTPS_PORT, DEFAULT_LOVENSE_API_PORT, DEFAULT_MAX_CLIENTS, DEFAULT_SERVER_NAME,
    DEFAULT_WEBSOCKET_PORT,
};
pub use device_views::{DeviceView, InputView, OutputView, UserDeviceConfig};
pub use dial_out::DialAddress;
pub use engine::Engine;
pub use error::{InvalidSetting, StartError};
pub use events::{EngineEvent, EngineEvents};
pub use gate::Remembered;
pub use limits::{
    Limits, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_MESSAGES_PER_FRAME,
    DEFAULT_MAX_MESSAGES_PER_SECOND, DEFAULT_WEBSOCKET_PING_INTERVAL, DEFAULT_WEBSOCKET_PONG_TIMEOUT,
};
pub use local_client::LocalClient;
pub use lovense::LovenseApi;
pub use paths::{
    default_config_dir, default_downloaded_database_path, default_user_config_path, DOWNLOADED_DATABASE_FILE_NAME,
};
pub use rest::RestApi;
pub use serial_ports::{list_serial_ports, SerialPort};

// The model types front ends need, so that they depend on this crate alone.
pub use plugboard_devices::transport::HardwareStatus;
pub use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
pub use plugboard_devices::{ClientId, DeviceEvent, DeviceSnapshot, OutputLevel};
pub use plugboard_protocol::model::{DeviceInfo, InputType, OutputType, Range, Reading};
/// What a client's command gets when it cannot be done (a [`LocalClient`]'s too).
pub use plugboard_protocol::Error as ClientError;
pub use plugboard_protocol::SpecVersion;

/// Resolves once a stop flag is raised (or its sender is gone). The guard `wait_for` returns
/// is dropped here, so callers stay `Send`.
pub(crate) async fn raised(flag: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = flag.wait_for(|raised| *raised).await;
}

/// Lets the device tasks a command just woke write before the caller answers. They run next on
/// this worker thread, after the caller's task; yielding once puts the toy's write ahead of the
/// answer's, so that the write which wakes the client is not on the way to the toy
/// (docs/performance.md, fifth round of issue 21 and the Lovense section). An order the runtime
/// prefers, not one it guarantees.
pub(crate) async fn let_woken_devices_write() {
    tokio::task::yield_now().await;
}
