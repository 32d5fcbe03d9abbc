//! Shared helpers for Plugboard's end-to-end tests (filled as the engine and app land).
//!
//! The `wait_*` helpers take any [`EngineUnderTest`]: an engine in this process, or a
//! `plugboard-engine` program ([`engine_process`], the Windows build under Wine among them).

pub mod engine_process;
pub mod under_test;

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub use plugboard_devices::testing::wait_until;
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_protocol::model::OutputType;
use plugboard_server::{Engine, EngineConfig};
pub use under_test::{ClientView, EngineUnderTest};

/// How long the helpers wait for something asynchronous (a command reaching a device, a
/// client appearing in the registry) before failing the test.
pub const WAIT: Duration = Duration::from_secs(5);

/// Starts an engine on a free loopback port with one virtual device per kind, indexes
/// assigned in the order given (0, 1, 2, ...).
pub async fn start_engine(kinds: &[VirtualKind]) -> Engine {
    start_engine_with(kinds, |_| {}).await
}

/// Like [`start_engine`], with a chance to adjust the configuration first
/// (e.g. `config.max_spec_version = SpecVersion::V2`).
pub async fn start_engine_with(kinds: &[VirtualKind], tweak: impl FnOnce(&mut EngineConfig)) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices.extend(kinds.iter().map(|kind| VirtualDeviceSpec::new(*kind)));
    tweak(&mut config);
    Engine::start(config).await.expect("the engine starts")
}

/// The websocket URL of an engine, over IPv4 loopback, as games type it.
pub fn ws_url(engine: &impl EngineUnderTest) -> String {
    engine.url()
}

/// What a [`wait_until`] waits for, and context (a client's transcript, an engine's log) that is
/// built and shown only when the wait fails, so it is as of the failure.
pub struct WithContext<F: Fn() -> String>(pub String, pub F);

impl<F: Fn() -> String> std::fmt::Display for WithContext<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n{}", self.0, (self.1)())
    }
}

/// Waits until the engine records `value` for output `kind` of feature `feature` of device
/// `device` (commands are executed asynchronously).
pub async fn wait_for_level(engine: &impl EngineUnderTest, device: u32, feature: u32, kind: OutputType, value: i32) {
    wait_until(
        format!("device {device} feature {feature} {kind:?} to be at level {value}"),
        WAIT,
        async || engine.output_level(device, feature, kind),
        |level| *level == Some(value),
    )
    .await;
}

/// Waits until the engine holds exactly `count` devices.
pub async fn wait_for_devices(engine: &Engine, count: usize) {
    wait_until(format!("{count} device(s)"), WAIT, async || engine.devices(), |devices| devices.len() == count).await;
}

/// Waits until the engine's client registry holds exactly `count` clients, and returns them.
pub async fn wait_for_clients(engine: &impl EngineUnderTest, count: usize) -> Vec<ClientView> {
    wait_until(
        format!("{count} connected client(s)"),
        WAIT,
        async || engine.clients(),
        |clients| clients.len() == count,
    )
    .await
}

/// Waits until the registry lists a client with this name that has finished its handshake.
pub async fn wait_for_client_named(engine: &impl EngineUnderTest, name: &str) -> ClientView {
    let clients = wait_until(
        format!("a client named {name:?} with a spec version"),
        WAIT,
        async || engine.clients(),
        |clients| clients.iter().any(|c| c.name.as_deref() == Some(name) && c.spec_version.is_some()),
    )
    .await;
    clients.into_iter().find(|c| c.name.as_deref() == Some(name)).expect("just seen")
}

/// A loopback port nothing listens on, for a server a test starts later.
///
/// The port comes from below the kernel's range of ephemeral ports (32768 and up on Linux,
/// 49152 and up on Windows): a port there is never handed to a program that binds port 0, as
/// WebKitWebDriver does, so none can take it between this check and the test's use of it (one
/// did, and the app then found its port in use). Each process starts at its own place in the
/// range, and each call moves on, so parallel tests do not pick the same port either.
pub fn unused_port() -> u16 {
    const FIRST: u32 = 21_000;
    const COUNT: u32 = 9_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7_919) % COUNT;
    for _ in 0..COUNT {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(FIRST + (start + offset) % COUNT).expect("below 30000");
        if free_on_loopback(port) {
            return port;
        }
    }
    panic!("no free loopback port between {FIRST} and {}", FIRST + COUNT);
}

/// Whether `port` is free on 127.0.0.1 and on ::1 (the engine listens on both for localhost);
/// a machine without IPv6 counts as free there.
fn free_on_loopback(port: u16) -> bool {
    let in_use = |result: std::io::Result<std::net::TcpListener>| matches!(result, Err(error) if error.kind() == std::io::ErrorKind::AddrInUse);
    let v4 = std::net::TcpListener::bind(("127.0.0.1", port));
    v4.is_ok() && !in_use(std::net::TcpListener::bind(("::1", port)))
}

/// This machine's address on its default route (a UDP "connect" sends nothing). A client that
/// connects to it is a real non-loopback peer of the engine.
///
/// Fails the test on a machine that has no such address: `scripts/test.sh` runs the tests in a
/// private network namespace that has one (`scripts/with-test-network.sh`).
pub fn non_loopback_address() -> std::net::IpAddr {
    let address = || {
        let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
        socket.connect("192.0.2.1:9").ok()?;
        let address = socket.local_addr().ok()?.ip();
        (!address.is_loopback() && !address.is_unspecified()).then_some(address)
    };
    address().expect(
        "this machine has no network address besides loopback, so no client can come from another \
         machine; run the tests with scripts/with-test-network.sh (as scripts/test.sh does), which \
         gives them a private network namespace with one",
    )
}

/// Runs `future` with a [`WAIT`]-long deadline, panicking with `what` if it does not finish.
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(WAIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {WAIT:?}: {what}"),
    }
}
