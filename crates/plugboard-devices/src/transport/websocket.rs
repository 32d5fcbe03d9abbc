//! The device-websocket transport: simulated (or bridged) devices dial in over a websocket.
//!
//! Wire-compatible with the reference engine's "device websocket server", so
//! existing device simulators work unchanged:
//!
//! - A plain (non-TLS) websocket *server*, on `127.0.0.1:54817` unless configured otherwise
//!   ([`WebsocketConfig::all_interfaces`] binds every interface). It listens from
//!   [`WebsocketTransport::start`] until the transport is shut down or dropped; scanning is a
//!   no-op because devices connect whenever they like.
//! - A device connects as a websocket client. Its first message must be a Text frame holding
//!   `{"identifier": "<name>", "address": "<unique address>", "version": <u32>}` (all three
//!   required, other fields ignored, `version` otherwise unused). Anything else closes the
//!   socket. Control frames (ping/pong) before it are allowed.
//! - The device is then reported as [`TransportEvent::Found`] with
//!   [`Discovered::Websocket`]`{ identifier }` and its address. Only one device per address may
//!   be connected; a second one is closed.
//! - The connected [`Hardware`] has name = identifier, the announced address and the endpoints
//!   `rx` and `tx`. Every write becomes one Binary frame holding exactly the written bytes (the
//!   endpoint is not transmitted). Text and Binary frames from the device become
//!   [`Notification::Data`] on [`Endpoint::Rx`], but only while `rx` is subscribed.
//! - Liveness: a Ping every [`WebsocketConfig::ping_interval`] (10 s); if no Pong arrived since
//!   the previous Ping the device is gone. A Close frame, a socket error or EOF also end it.
//!
//! Deliberate differences from the reference:
//! - Device data is reported on `rx`, not on `tx` as the reference does (a quirk there).
//!   Plugboard protocols subscribe to and listen on `rx`, as they do over BLE and serial.
//! - The websocket upgrade plus the first frame must arrive within
//!   [`WebsocketConfig::first_frame_timeout`] (10 s). The reference waits forever, so a
//!   half-open socket lingers there.
//! - When every handle to a device (its [`Connector`] and any [`Hardware`]) has been dropped,
//!   e.g. because no protocol matched, the socket is closed (code 1000, "device not in use")
//!   instead of being kept open with nobody listening. A simulator can reconnect later.
//! - Writes that the device does not drain within [`WebsocketConfig::write_timeout`] count as
//!   a lost device, so a stalled peer cannot block a device task forever.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig as SocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{ConnectPlan, Connector, EventSender, FoundDevice, HardwareStatus, Transport, TransportEvent};
use crate::config::matching::Discovered;
use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Notification, Write};

/// The transport's name in [`FoundDevice::transport`] and [`TransportEvent`]s.
pub const TRANSPORT_NAME: &str = "websocket";

/// The reference engine's default device-websocket port.
pub const DEFAULT_PORT: u16 = 54817;

/// Largest frame/message accepted from a device (device packets are a few bytes).
const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// How long a closing handshake may take before the socket is simply dropped.
const CLOSE_GRACE: Duration = Duration::from_millis(500);
/// Notifications buffered per receiver before a slow receiver starts losing them.
const NOTIFICATION_CAPACITY: usize = 256;
/// Close requests queued for one device's link task.
const CLOSE_CAPACITY: usize = 4;
/// The only endpoints a websocket device has.
const ENDPOINTS: [Endpoint; 2] = [Endpoint::Rx, Endpoint::Tx];

/// Settings of the device-websocket server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebsocketConfig {
    /// Where to listen. Default `127.0.0.1:54817`; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// How often each device is pinged; a device that has not ponged by the next ping is
    /// disconnected. Default 10 s (the reference's value).
    pub ping_interval: Duration,
    /// How long a new connection may take to upgrade and send its identification frame.
    /// Default 10 s. (The reference has no such timeout.)
    pub first_frame_timeout: Duration,
    /// How long one frame may take to be handed to the socket before the device counts as
    /// gone. Default 10 s.
    pub write_timeout: Duration,
}

impl Default for WebsocketConfig {
    fn default() -> WebsocketConfig {
        WebsocketConfig::localhost(DEFAULT_PORT)
    }
}

impl WebsocketConfig {
    /// Listen on `127.0.0.1:<port>` only (the default, `port` = [`DEFAULT_PORT`]).
    pub fn localhost(port: u16) -> WebsocketConfig {
        WebsocketConfig::on(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
    }

    /// Listen on every IPv4 interface (`0.0.0.0:<port>`), as intiface-engine does with
    /// `--device-websocket-server-port`. Only when the user asks for it: anyone on the network
    /// could then connect fake devices.
    pub fn all_interfaces(port: u16) -> WebsocketConfig {
        WebsocketConfig::on(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))
    }

    /// Listen on `bind`, other settings default.
    pub fn on(bind: SocketAddr) -> WebsocketConfig {
        WebsocketConfig {
            bind,
            ping_interval: Duration::from_secs(10),
            first_frame_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the device-websocket server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "cannot listen for websocket devices on {addr}: the address is already in use (is \
         Intiface, intiface-engine or another Plugboard running?). Stop the other program or \
         choose another device websocket port"
    )]
    AddressInUse { addr: SocketAddr },
    #[error("cannot listen for websocket devices on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The device-websocket server (see the module docs). Listens from [`WebsocketTransport::start`]
/// until [`WebsocketTransport::shutdown`] or drop; both also end every device connection.
pub struct WebsocketTransport {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    listener: JoinHandle<()>,
}

impl std::fmt::Debug for WebsocketTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebsocketTransport").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl WebsocketTransport {
    /// Binds `config.bind` and starts accepting devices, reporting them on `events`. Must be
    /// called inside a tokio runtime.
    pub async fn start(config: WebsocketConfig, events: EventSender) -> Result<WebsocketTransport, StartError> {
        let addr = config.bind;
        let listener = TcpListener::bind(addr).await.map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => StartError::AddressInUse { addr },
            _ => StartError::Bind { addr, source },
        })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind { addr, source })?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let context =
            Arc::new(Context { config, events, addresses: Mutex::new(HashSet::new()), shutdown: shutdown_rx });
        let listener = tokio::spawn(accept_loop(context, listener));
        tracing::info!(%local_addr, "device websocket server listening");
        Ok(WebsocketTransport { local_addr, shutdown, listener })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops listening and closes every device connection (each connected device reports
    /// [`Notification::Disconnected`]). Dropping the transport does the same.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl Drop for WebsocketTransport {
    fn drop(&mut self) {
        self.shutdown();
        // Frees the port right away; connection tasks see the shutdown (or the dropped
        // sender) and close their sockets themselves.
        self.listener.abort();
    }
}

impl Transport for WebsocketTransport {
    fn name(&self) -> &'static str {
        TRANSPORT_NAME
    }

    /// Nothing to do: devices dial in whenever they like, scanning or not.
    fn start_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async { Ok(()) })
    }

    /// Nothing to look for, so a scan never waits for this transport to finish.
    fn scans(&self) -> bool {
        false
    }

    fn stop_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async { Ok(()) })
    }

    fn status(&self) -> HardwareStatus {
        if *self.shutdown.borrow() || self.listener.is_finished() {
            HardwareStatus::Unavailable {
                reason: format!("the device websocket server on {} has stopped", self.local_addr),
                remedy: "restart Plugboard".into(),
            }
        } else {
            HardwareStatus::Ready
        }
    }
}

/// What the listener and every connection task share.
struct Context {
    config: WebsocketConfig,
    events: EventSender,
    /// Addresses of the devices currently connected (announced and not yet gone).
    addresses: Mutex<HashSet<String>>,
    shutdown: watch::Receiver<bool>,
}

/// Resolves when the transport is shut down or dropped.
async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    // `Err` means the sender (the transport) is gone: that is a shutdown too.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn accept_loop(context: Arc<Context>, listener: TcpListener) {
    let mut shutdown = context.shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown_requested(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_device(context.clone(), stream, peer));
                }
                Err(error) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!(%error, "device websocket server: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    tracing::debug!("device websocket server stopped listening");
}

type Socket = WebSocketStream<TcpStream>;

/// The identification frame a device sends first.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hello {
    identifier: String,
    address: String,
    #[allow(dead_code)] // required on the wire, otherwise unused (as in the reference)
    version: u32,
}

/// Parses the identification frame; the error says what is wrong, for the log and the close
/// reason.
fn parse_hello(text: &str) -> Result<Hello, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| format!("identification is not JSON: {error}"))?;
    let object = value.as_object().ok_or("identification is not a JSON object")?;
    let string = |key: &str| {
        object
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("identification needs a string \"{key}\""))
    };
    let identifier = string("identifier")?;
    let address = string("address")?;
    let version = object
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .and_then(|version| u32::try_from(version).ok())
        .ok_or("identification needs an unsigned 32-bit integer \"version\"")?;
    Ok(Hello { identifier, address, version })
}

/// Upgrades the connection and reads the identification frame.
async fn handshake(stream: TcpStream, peer: SocketAddr) -> Option<(Socket, Hello)> {
    // Device frames are a few bytes: an 8 KiB read buffer instead of tungstenite's 128 KiB,
    // which it zero-fills before every read.
    let config = SocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .read_buffer_size(8 * 1024);
    let mut socket = match tokio_tungstenite::accept_async_with_config(stream, Some(config)).await {
        Ok(socket) => socket,
        Err(error) => {
            tracing::debug!(%peer, %error, "websocket device: upgrade failed");
            return None;
        }
    };
    loop {
        let problem = match socket.next().await {
            Some(Ok(Message::Text(text))) => match parse_hello(text.as_str()) {
                Ok(hello) => return Some((socket, hello)),
                Err(problem) => problem,
            },
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Binary(_))) => "the first message must be a Text frame with the identification".into(),
            Some(Ok(Message::Close(_))) | None => {
                tracing::debug!(%peer, "websocket device left before identifying");
                return None;
            }
            Some(Ok(Message::Frame(_))) => continue,
            Some(Err(error)) => {
                tracing::debug!(%peer, %error, "websocket device: error before identification");
                return None;
            }
        };
        tracing::warn!(%peer, %problem, "websocket device refused");
        close(&mut socket, CloseCode::Policy, &problem).await;
        return None;
    }
}

/// Sends a Close frame and waits (briefly) for the peer's reply; errors are irrelevant here.
async fn close(socket: &mut Socket, code: CloseCode, reason: &str) {
    let frame = close_frame(code, reason);
    if let Ok(Ok(())) = tokio::time::timeout(CLOSE_GRACE, socket.close(Some(frame))).await {
        let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = socket.next().await {} }).await;
    }
}

/// A Close frame; its reason cut to what the websocket standard allows (123 bytes).
fn close_frame(code: CloseCode, reason: &str) -> CloseFrame {
    // Ours are ASCII, cut on a char boundary anyway.
    let mut end = reason.len().min(120);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame { code, reason: reason[..end].to_owned().into() }
}

/// Holds a device's address in [`Context::addresses`] while it is connected.
struct AddressClaim {
    context: Arc<Context>,
    address: String,
}

impl AddressClaim {
    fn claim(context: &Arc<Context>, address: &str) -> Option<AddressClaim> {
        let mut addresses = context.addresses.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        addresses
            .insert(address.to_owned())
            .then(|| AddressClaim { context: context.clone(), address: address.to_owned() })
    }
}

impl Drop for AddressClaim {
    fn drop(&mut self) {
        self.context.addresses.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.address);
    }
}

/// One device connection, from accept to close.
async fn serve_device(context: Arc<Context>, stream: TcpStream, peer: SocketAddr) {
    let mut shutdown = context.shutdown.clone();
    let (mut socket, hello) = tokio::select! {
        _ = shutdown_requested(&mut shutdown) => return,
        result = tokio::time::timeout(context.config.first_frame_timeout, handshake(stream, peer)) => match result {
            Ok(Some(accepted)) => accepted,
            Ok(None) => return,
            Err(_) => {
                tracing::warn!(%peer, "websocket device did not identify itself in time; closing");
                return;
            }
        },
    };
    let Some(_claim) = AddressClaim::claim(&context, &hello.address) else {
        tracing::warn!(%peer, address = ?hello.address, "websocket device refused: a device with this address is already connected");
        close(&mut socket, CloseCode::Policy, "a device with this address is already connected").await;
        return;
    };
    tracing::info!(%peer, identifier = ?hello.identifier, address = ?hello.address, "websocket device connected");

    let (writer, mut reader) = socket.split();
    let shared = Arc::new(Shared {
        name: hello.identifier.clone(),
        address: hello.address.clone(),
        connected: AtomicBool::new(true),
        rx_subscribed: AtomicBool::new(false),
        notifications: broadcast::channel(NOTIFICATION_CAPACITY).0,
        writer: tokio::sync::Mutex::new(Some(writer)),
        write_timeout: context.config.write_timeout,
        write_failed: Notify::new(),
    });
    let (closes, close_rx) = mpsc::channel(CLOSE_CAPACITY);
    let connector = WebsocketConnector { shared: shared.clone(), closes, hardware: OnceLock::new() };
    let found = FoundDevice {
        transport: TRANSPORT_NAME,
        address: hello.address.clone(),
        discovered: Discovered::Websocket { identifier: hello.identifier.clone() },
        connector: Arc::new(connector),
    };
    if context.events.send(TransportEvent::Found(found)).is_err() {
        // Nobody is listening for devices any more.
        shared.mark_gone();
        close_link(&shared, &mut reader, CloseCode::Away, "server shutting down").await;
        shared.release_socket().await;
        return;
    }
    run_link(&context.config, reader, &shared, close_rx, shutdown).await;
    tracing::info!(identifier = ?hello.identifier, address = ?hello.address, "websocket device disconnected");
}

/// A request to close a device's socket; answered once it is closed.
type CloseRequest = oneshot::Sender<()>;

/// How a link ended.
enum End {
    /// The device is gone (close frame, error, EOF, missed pong, a failed write); say goodbye
    /// briefly.
    Lost(String),
    /// We end it: send a Close frame with this code and reason, then acknowledge.
    Close(CloseCode, &'static str, Option<CloseRequest>),
}

/// Reads one identified device's socket and pings it until the link ends; marks the device
/// gone on the way out. Writes do not pass through here: the device task writes to the socket
/// itself ([`WebsocketHardware::write`]).
async fn run_link(
    config: &WebsocketConfig,
    mut reader: Reader,
    shared: &Shared,
    mut closes: mpsc::Receiver<CloseRequest>,
    mut shutdown: watch::Receiver<bool>,
) {
    let period = config.ping_interval.max(Duration::from_millis(1));
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut awaiting_pong = false;

    let end = loop {
        tokio::select! {
            _ = shutdown_requested(&mut shutdown) => break End::Close(CloseCode::Away, "server shutting down", None),
            request = closes.recv() => match request {
                None => break End::Close(CloseCode::Normal, "device not in use", None),
                Some(ack) => break End::Close(CloseCode::Normal, "disconnected by the server", Some(ack)),
            },
            () = shared.write_failed.notified() => break End::Lost("a write failed".into()),
            frame = reader.next() => match frame {
                Some(Ok(Message::Text(text))) => shared.deliver(text.as_str().as_bytes()),
                Some(Ok(Message::Binary(bytes))) => shared.deliver(&bytes),
                Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                // Pings are answered by tungstenite itself.
                Some(Ok(Message::Ping(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) => break End::Lost("the device closed the connection".into()),
                Some(Err(error)) => break End::Lost(format!("socket error: {error}")),
                None => break End::Lost("the connection ended".into()),
            },
            _ = pings.tick() => {
                if awaiting_pong {
                    break End::Lost("no pong since the previous ping".into());
                }
                awaiting_pong = true;
                if let Err(problem) = shared.send(Message::Ping(Default::default())).await {
                    break End::Lost(problem);
                }
            }
        }
    };

    // Writes fail from here on, and receivers learn it before we spend time closing.
    shared.mark_gone();
    match end {
        End::Lost(problem) => {
            tracing::debug!(address = %shared.address, %problem, "websocket device lost");
            // Completes the closing handshake if the device started it; otherwise a goodbye
            // the device may never read.
            let goodbye = async {
                if let Some(writer) = shared.writer.lock().await.as_mut() {
                    let _ = writer.close().await;
                }
            };
            let _ = tokio::time::timeout(CLOSE_GRACE, goodbye).await;
            shared.release_socket().await;
        }
        End::Close(code, reason, ack) => {
            close_link(shared, &mut reader, code, reason).await;
            shared.release_socket().await;
            if let Some(ack) = ack {
                let _ = ack.send(());
            }
        }
    }
}

/// [`close`] for a socket split into its shared writer and the link task's reader.
async fn close_link(shared: &Shared, reader: &mut Reader, code: CloseCode, reason: &str) {
    let frame = close_frame(code, reason);
    let sent = tokio::time::timeout(CLOSE_GRACE, async {
        match shared.writer.lock().await.as_mut() {
            Some(writer) => writer.send(Message::Close(Some(frame))).await.map_err(|_| ()),
            None => Err(()),
        }
    });
    if let Ok(Ok(())) = sent.await {
        let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = reader.next().await {} }).await;
    }
}

/// Sends one frame; the error (socket error or `limit` exceeded) means the device is gone.
async fn send(writer: &mut Writer, message: Message, limit: Duration) -> Result<(), String> {
    match tokio::time::timeout(limit, writer.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("socket error: {error}")),
        Err(_) => Err("the device stopped accepting data".to_owned()),
    }
}

/// The half of a device's socket that writes: shared by the device task's writes and the link
/// task's Pings and Close frame.
type Writer = SplitSink<Socket, Message>;
/// The half that reads, owned by the link task.
type Reader = SplitStream<Socket>;

/// State shared by a device's link task, its connector and its hardware.
struct Shared {
    name: String,
    address: String,
    connected: AtomicBool,
    rx_subscribed: AtomicBool,
    notifications: broadcast::Sender<Notification>,
    /// The device task writes here itself, so a command reaches the socket without passing
    /// through another task (docs/performance.md). `None` once the link has ended: the socket
    /// closes when the link task drops its reader and this, whoever still holds the hardware.
    writer: tokio::sync::Mutex<Option<Writer>>,
    write_timeout: Duration,
    /// A write found the device gone: the link task ends the link.
    write_failed: Notify,
}

impl Shared {
    /// Sends one frame (a write, a Ping); the error means the device is gone.
    async fn send(&self, message: Message) -> Result<(), String> {
        match self.writer.lock().await.as_mut() {
            Some(writer) => send(writer, message, self.write_timeout).await,
            None => Err("the link has ended".to_owned()),
        }
    }

    /// Lets go of the socket's writing half, once the link has ended.
    async fn release_socket(&self) {
        self.writer.lock().await.take();
    }

    fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Bytes from the device: a notification on `rx` if subscribed, else dropped.
    fn deliver(&self, bytes: &[u8]) {
        if self.is_connected() && self.rx_subscribed.load(Ordering::SeqCst) {
            let _ = self.notifications.send(Notification::Data { endpoint: Endpoint::Rx, bytes: bytes.to_vec() });
        }
    }

    /// Marks the device gone; broadcasts [`Notification::Disconnected`] the first time only.
    fn mark_gone(&self) {
        if self.connected.swap(false, Ordering::SeqCst) {
            let _ = self.notifications.send(Notification::Disconnected);
        }
    }
}

/// Hands out the device's [`WebsocketHardware`] (the same one on every call). The link task
/// closes the socket once the connector and every hardware handle are dropped (their close
/// senders with them).
struct WebsocketConnector {
    shared: Arc<Shared>,
    closes: mpsc::Sender<CloseRequest>,
    hardware: OnceLock<Arc<WebsocketHardware>>,
}

impl Connector for WebsocketConnector {
    /// The plan is ignored: a websocket device has just `rx` and `tx`, nothing to map.
    fn connect(&self, _plan: ConnectPlan) -> BoxFuture<'_, Result<Arc<dyn Hardware>, HardwareError>> {
        let result = if self.shared.is_connected() {
            let hardware = self.hardware.get_or_init(|| {
                Arc::new(WebsocketHardware { shared: self.shared.clone(), closes: self.closes.clone() })
            });
            Ok(hardware.clone() as Arc<dyn Hardware>)
        } else {
            Err(HardwareError::Disconnected)
        };
        Box::pin(async move { result })
    }
}

/// A device connected over the device websocket.
pub struct WebsocketHardware {
    shared: Arc<Shared>,
    closes: mpsc::Sender<CloseRequest>,
}

impl WebsocketHardware {
    fn check(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        if !self.shared.is_connected() {
            Err(HardwareError::Disconnected)
        } else if !ENDPOINTS.contains(&endpoint) {
            Err(HardwareError::NoEndpoint(endpoint))
        } else {
            Ok(())
        }
    }
}

impl Hardware for WebsocketHardware {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn address(&self) -> &str {
        &self.shared.address
    }

    fn endpoints(&self) -> &[Endpoint] {
        &ENDPOINTS
    }

    /// Sends one Binary frame with exactly `write.data`; the endpoint and the write type are
    /// not transmitted. Resolves when the frame has been handed to the socket, written by the
    /// caller's task. A failed write marks the device gone and ends its link.
    fn write(&self, write: Write) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            if !self.shared.is_connected() {
                return Err(HardwareError::Disconnected);
            }
            match self.shared.send(Message::binary(write.data)).await {
                Ok(()) => Ok(()),
                Err(problem) => {
                    tracing::debug!(address = %self.shared.address, %problem, "websocket device write failed");
                    self.shared.mark_gone();
                    self.shared.write_failed.notify_one();
                    Err(HardwareError::Disconnected)
                }
            }
        })
    }

    /// Unsupported: a websocket device only sends data on its own.
    fn read(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>> {
        let result = self.check(endpoint).and_then(|()| {
            Err(HardwareError::Unsupported(format!(
                "reading {endpoint}: websocket devices cannot be read, they only send data on their own"
            )))
        });
        Box::pin(async move { result })
    }

    /// `rx` starts delivering the device's frames; `tx` is accepted but has nothing to deliver.
    fn subscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        let result = self.check(endpoint).map(|()| {
            if endpoint == Endpoint::Rx {
                self.shared.rx_subscribed.store(true, Ordering::SeqCst);
            }
        });
        Box::pin(async move { result })
    }

    fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        let result = self.check(endpoint).map(|()| {
            if endpoint == Endpoint::Rx {
                self.shared.rx_subscribed.store(false, Ordering::SeqCst);
            }
        });
        Box::pin(async move { result })
    }

    fn notifications(&self) -> broadcast::Receiver<Notification> {
        self.shared.notifications.subscribe()
    }

    fn is_connected(&self) -> bool {
        self.shared.is_connected()
    }

    /// Closes the socket (Close frame, code 1000) and resolves when it is closed.
    fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            self.shared.mark_gone();
            let (ack, closed) = oneshot::channel();
            if self.closes.send(ack).await.is_ok() {
                let _ = closed.await;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::mpsc::UnboundedReceiver;
    use tokio::time::{timeout, Instant};

    const WAIT: Duration = Duration::from_secs(5);

    type Client = WebSocketStream<TcpStream>;

    fn local(ping_interval: Duration) -> WebsocketConfig {
        WebsocketConfig { ping_interval, ..WebsocketConfig::localhost(0) }
    }

    async fn server(config: WebsocketConfig) -> (WebsocketTransport, UnboundedReceiver<TransportEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        (WebsocketTransport::start(config, events).await.expect("bind"), rx)
    }

    async fn open(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tokio_tungstenite::client_async(format!("ws://{addr}/"), tcp).await.expect("upgrade").0
    }

    fn hello(identifier: &str, address: &str) -> Message {
        Message::text(format!(r#"{{"identifier":"{identifier}","address":"{address}","version":0}}"#))
    }

    async fn device(addr: SocketAddr, identifier: &str, address: &str) -> Client {
        let mut client = open(addr).await;
        client.send(hello(identifier, address)).await.expect("send hello");
        client
    }

    async fn found(events: &mut UnboundedReceiver<TransportEvent>) -> FoundDevice {
        match timeout(WAIT, events.recv()).await.expect("an event in time").expect("channel open") {
            TransportEvent::Found(found) => found,
            other => panic!("expected Found, got {other:?}"),
        }
    }

    async fn connected(events: &mut UnboundedReceiver<TransportEvent>) -> Arc<dyn Hardware> {
        found(events).await.connector.connect(ConnectPlan::default()).await.expect("connect")
    }

    /// The next data message the device receives (pings and pongs skipped); `None` once the
    /// server closed the socket.
    async fn receive(client: &mut Client) -> Option<Message> {
        timeout(WAIT, async {
            loop {
                match client.next().await {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
                    Some(Ok(message)) => return Some(message),
                }
            }
        })
        .await
        .expect("device socket activity in time")
    }

    async fn expect_closed(client: &mut Client) {
        assert_eq!(receive(client).await, None, "the server should have closed the socket");
    }

    /// Sends a Ping and waits for its Pong: everything the client sent before has been read by
    /// the server once this returns.
    async fn ping_barrier<S>(client: &mut S)
    where
        S: futures_util::Sink<Message>
            + futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
            + Unpin,
        <S as futures_util::Sink<Message>>::Error: std::fmt::Debug,
    {
        client.send(Message::Ping(Default::default())).await.unwrap();
        timeout(WAIT, async { while !matches!(client.next().await, Some(Ok(Message::Pong(_)))) {} }).await.unwrap();
    }

    async fn next_notification(rx: &mut broadcast::Receiver<Notification>) -> Notification {
        timeout(WAIT, rx.recv()).await.expect("a notification in time").expect("notification channel")
    }

    #[test]
    fn hello_parsing() {
        assert_eq!(
            parse_hello(r#"{"address":"AABBCCDDEE01","identifier":"FakeLVS","version":0}"#),
            Ok(Hello { identifier: "FakeLVS".into(), address: "AABBCCDDEE01".into(), version: 0 })
        );
        assert!(parse_hello(r#"{"identifier":"a","address":"b","version":4294967295,"extra":1}"#).is_ok());
        for bad in [
            "",
            "hello",
            "[]",
            r#""identifier""#,
            r#"{"identifier":"a","address":"b"}"#,
            r#"{"identifier":"a","version":0}"#,
            r#"{"address":"b","version":0}"#,
            r#"{"identifier":1,"address":"b","version":0}"#,
            r#"{"identifier":"a","address":null,"version":0}"#,
            r#"{"identifier":"a","address":"b","version":-1}"#,
            r#"{"identifier":"a","address":"b","version":1.5}"#,
            r#"{"identifier":"a","address":"b","version":4294967296}"#,
            r#"{"identifier":"a","address":"b","version":"0"}"#,
        ] {
            assert!(parse_hello(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_config_is_the_reference_port_on_localhost() {
        let config = WebsocketConfig::default();
        assert_eq!(config.bind, "127.0.0.1:54817".parse().unwrap());
        assert_eq!(config.ping_interval, Duration::from_secs(10));
        assert_eq!(WebsocketConfig::all_interfaces(DEFAULT_PORT).bind, "0.0.0.0:54817".parse().unwrap());
    }

    #[tokio::test]
    async fn handshake_reports_found_device() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        assert_eq!(transport.name(), "websocket");
        assert_eq!(transport.status(), HardwareStatus::Ready);
        let _client = device(transport.local_addr(), "FakeLVS", "AABBCCDDEE01").await;
        let found = found(&mut events).await;
        assert_eq!(found.transport, "websocket");
        assert_eq!(found.address, "AABBCCDDEE01");
        assert_eq!(found.discovered, Discovered::Websocket { identifier: "FakeLVS".into() });
        let hardware = found.connector.connect(ConnectPlan::default()).await.unwrap();
        assert_eq!(hardware.name(), "FakeLVS");
        assert_eq!(hardware.address(), "AABBCCDDEE01");
        assert_eq!(hardware.endpoints(), &[Endpoint::Rx, Endpoint::Tx]);
        assert!(matches!(hardware.read(Endpoint::Rx).await, Err(HardwareError::Unsupported(_))));
        assert_eq!(hardware.subscribe(Endpoint::Command).await, Err(HardwareError::NoEndpoint(Endpoint::Command)));
    }

    #[tokio::test]
    async fn bad_first_frames_are_closed() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let addr = transport.local_addr();
        let bad = [
            Message::binary(br#"{"identifier":"a","address":"b","version":0}"#.to_vec()),
            Message::text("not json"),
            Message::text(r#"{"identifier":"a","address":"b"}"#),
            Message::text(r#"{"identifier":"a","version":0}"#),
            Message::text(r#"{"address":"b","version":0}"#),
            Message::text(r#"{"identifier":"a","address":"b","version":-1}"#),
        ];
        for message in bad {
            let mut client = open(addr).await;
            client.send(message.clone()).await.unwrap();
            match timeout(WAIT, client.next()).await.expect("closed in time") {
                Some(Ok(Message::Close(Some(frame)))) => {
                    assert_eq!(frame.code, CloseCode::Policy, "{message:?}")
                }
                other => panic!("{message:?}: expected a Close frame, got {other:?}"),
            }
            expect_closed(&mut client).await;
        }
        // A good one still works afterwards, and is the only device reported.
        let _client = device(addr, "Toy", "T1").await;
        assert_eq!(found(&mut events).await.address, "T1");
        assert!(events.try_recv().is_err());
    }

    #[tokio::test]
    async fn silent_connection_times_out() {
        let config =
            WebsocketConfig { first_frame_timeout: Duration::from_millis(200), ..local(Duration::from_secs(10)) };
        let (transport, mut events) = server(config).await;
        let started = Instant::now();
        let mut client = open(transport.local_addr()).await;
        expect_closed(&mut client).await;
        assert!(started.elapsed() >= Duration::from_millis(150), "closed too early: {:?}", started.elapsed());
        assert!(events.try_recv().is_err());
    }

    #[tokio::test]
    async fn write_arrives_as_one_binary_frame() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let mut client = device(transport.local_addr(), "FakeLVS", "A1").await;
        let hardware = connected(&mut events).await;
        hardware.write(Write::without_response(Endpoint::Tx, b"Vibrate:10;".to_vec())).await.unwrap();
        hardware.write(Write::with_response(Endpoint::Rx, b"Battery;".to_vec())).await.unwrap();
        assert_eq!(receive(&mut client).await, Some(Message::binary(b"Vibrate:10;".to_vec())));
        assert_eq!(receive(&mut client).await, Some(Message::binary(b"Battery;".to_vec())));
    }

    #[tokio::test]
    async fn device_data_is_delivered_on_rx_only_after_subscribe() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let mut client = device(transport.local_addr(), "FakeLVS", "A1").await;
        let hardware = connected(&mut events).await;
        let mut notifications = hardware.notifications();

        client.send(Message::text("Z:11:0082059AD3BD;")).await.unwrap();
        // Make sure the server has read (and dropped) the frame: a round trip through it.
        hardware.write(Write::without_response(Endpoint::Tx, b"DeviceType;".to_vec())).await.unwrap();
        assert_eq!(receive(&mut client).await, Some(Message::binary(b"DeviceType;".to_vec())));
        ping_barrier(&mut client).await;
        assert!(notifications.try_recv().is_err(), "data before subscribe must be dropped");

        hardware.subscribe(Endpoint::Rx).await.unwrap();
        hardware.subscribe(Endpoint::Rx).await.unwrap();
        client.send(Message::text("Z:11:0082059AD3BD;")).await.unwrap();
        client.send(Message::binary(b"73;".to_vec())).await.unwrap();
        assert_eq!(
            next_notification(&mut notifications).await,
            Notification::Data { endpoint: Endpoint::Rx, bytes: b"Z:11:0082059AD3BD;".to_vec() }
        );
        assert_eq!(
            next_notification(&mut notifications).await,
            Notification::Data { endpoint: Endpoint::Rx, bytes: b"73;".to_vec() }
        );

        hardware.unsubscribe(Endpoint::Rx).await.unwrap();
        client.send(Message::text("dropped")).await.unwrap();
        ping_barrier(&mut client).await;
        assert!(notifications.try_recv().is_err(), "data after unsubscribe must be dropped");
    }

    #[tokio::test]
    async fn device_close_disconnects() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let mut client = device(transport.local_addr(), "FakeLVS", "A1").await;
        let hardware = connected(&mut events).await;
        let mut notifications = hardware.notifications();
        client.close(None).await.unwrap();
        assert_eq!(next_notification(&mut notifications).await, Notification::Disconnected);
        let write = Write::without_response(Endpoint::Tx, b"Vibrate:0;".to_vec());
        assert_eq!(hardware.write(write).await, Err(HardwareError::Disconnected));
        assert_eq!(hardware.subscribe(Endpoint::Rx).await, Err(HardwareError::Disconnected));
        assert_eq!(hardware.disconnect().await, Ok(()));
        assert!(notifications.try_recv().is_err(), "Disconnected is reported once");
    }

    #[tokio::test]
    async fn dropped_tcp_disconnects() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let client = device(transport.local_addr(), "FakeLVS", "A1").await;
        let hardware = connected(&mut events).await;
        let mut notifications = hardware.notifications();
        drop(client);
        assert_eq!(next_notification(&mut notifications).await, Notification::Disconnected);
    }

    #[tokio::test]
    async fn disconnect_closes_the_socket() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let mut client = device(transport.local_addr(), "FakeLVS", "A1").await;
        let hardware = connected(&mut events).await;
        let mut notifications = hardware.notifications();
        let closing = tokio::spawn(async move {
            match timeout(WAIT, client.next()).await.expect("close in time") {
                Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
                other => panic!("expected a Close frame, got {other:?}"),
            }
            expect_closed(&mut client).await;
        });
        hardware.disconnect().await.unwrap();
        assert_eq!(next_notification(&mut notifications).await, Notification::Disconnected);
        let write = Write::without_response(Endpoint::Tx, b"Vibrate:1;".to_vec());
        assert_eq!(hardware.write(write).await, Err(HardwareError::Disconnected));
        closing.await.unwrap();
    }

    /// Does the websocket upgrade by hand, identifies, and then never reads again, so it never
    /// answers a ping.
    async fn unresponsive_device(addr: SocketAddr, address: &str) -> TcpStream {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        while !response.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            assert_eq!(tcp.read(&mut byte).await.unwrap(), 1, "server closed during upgrade");
            response.push(byte[0]);
        }
        assert!(response.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&response));
        // One masked, final Text frame (client frames must be masked).
        let payload = format!(r#"{{"identifier":"Mute","address":"{address}","version":0}}"#);
        assert!(payload.len() < 126);
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        tcp.write_all(&frame).await.unwrap();
        tcp
    }

    #[tokio::test]
    async fn device_that_stops_answering_pings_is_disconnected() {
        let period = Duration::from_millis(200);
        let (transport, mut events) = server(local(period)).await;
        let _tcp = unresponsive_device(transport.local_addr(), "MUTE1").await;
        let hardware = connected(&mut events).await;
        let mut notifications = hardware.notifications();
        let started = Instant::now();
        // First ping after one period, noticed unanswered at the second: ~2 periods.
        let notification = timeout(period * 3 + Duration::from_millis(300), notifications.recv()).await;
        assert_eq!(notification.expect("disconnected within ~3 ping periods").unwrap(), Notification::Disconnected);
        assert!(started.elapsed() >= period, "disconnected before any ping was due");
    }

    #[tokio::test]
    async fn device_that_answers_pings_stays_connected() {
        let period = Duration::from_millis(100);
        let (transport, mut events) = server(local(period)).await;
        let mut client = device(transport.local_addr(), "FakeLVS", "A1").await;
        let hardware = connected(&mut events).await;
        let mut notifications = hardware.notifications();
        // tungstenite answers pings while the client reads.
        let (counted, mut seen) = tokio::sync::watch::channel(0);
        let reader = tokio::spawn(async move {
            let mut pings = 0;
            while let Some(Ok(message)) = client.next().await {
                if message.is_ping() {
                    pings += 1;
                    counted.send_replace(pings);
                }
            }
            pings
        });
        // A device that did not answer would be dropped instead of pinged a second time: three
        // pings, each one period after the last, show the answers counted.
        timeout(WAIT, seen.wait_for(|&pings| pings >= 3)).await.expect("three pings in time").unwrap();
        assert!(notifications.try_recv().is_err(), "a responsive device must stay connected");
        hardware.disconnect().await.unwrap();
        let pings = timeout(WAIT, reader).await.unwrap().unwrap();
        assert!(pings >= 3, "only {pings} pings");
    }

    #[tokio::test]
    async fn duplicate_address_is_refused() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let addr = transport.local_addr();
        let mut first = device(addr, "FakeLVS", "SAME").await;
        let hardware = connected(&mut events).await;

        let mut second = device(addr, "Other", "SAME").await;
        match timeout(WAIT, second.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Policy),
            other => panic!("expected a Close frame, got {other:?}"),
        }
        assert!(events.try_recv().is_err(), "the duplicate must not be reported");

        // The first one is unaffected...
        hardware.write(Write::without_response(Endpoint::Tx, b"Vibrate:1;".to_vec())).await.unwrap();
        assert_eq!(receive(&mut first).await, Some(Message::binary(b"Vibrate:1;".to_vec())));
        // ...and once it is gone the address is free again.
        let mut notifications = hardware.notifications();
        first.close(None).await.unwrap();
        assert_eq!(next_notification(&mut notifications).await, Notification::Disconnected);
        let _third = device(addr, "FakeLVS", "SAME").await;
        assert_eq!(found(&mut events).await.address, "SAME");
    }

    #[tokio::test]
    async fn unclaimed_device_is_closed_when_its_connector_is_dropped() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let mut client = device(transport.local_addr(), "Nobody", "N1").await;
        drop(found(&mut events).await);
        expect_closed(&mut client).await;
    }

    /// There is nothing to scan for: a scan neither waits for this transport nor is finished
    /// by it (start_scanning reports nothing, and reports synchronously if it ever does).
    #[tokio::test]
    async fn scanning_looks_for_nothing() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        assert!(!transport.scans());
        transport.start_scanning().await.unwrap();
        assert!(events.try_recv().is_err(), "no ScanningFinished: this transport never had a pass to finish");
        transport.stop_scanning().await.unwrap();
    }

    #[tokio::test]
    async fn port_in_use_is_a_clear_error() {
        let (transport, _events) = server(local(Duration::from_secs(10))).await;
        let (events, _rx) = mpsc::unbounded_channel();
        let config = WebsocketConfig::on(transport.local_addr());
        let error = WebsocketTransport::start(config, events).await.unwrap_err();
        assert!(matches!(error, StartError::AddressInUse { addr } if addr == transport.local_addr()), "{error:?}");
        assert!(error.to_string().contains("already in use"), "{error}");
    }

    #[tokio::test]
    async fn dropping_the_transport_ends_everything() {
        let (transport, mut events) = server(local(Duration::from_secs(10))).await;
        let addr = transport.local_addr();
        let mut client = device(addr, "FakeLVS", "A1").await;
        let hardware = connected(&mut events).await;
        let mut notifications = hardware.notifications();
        // A connection that has not identified yet ends too.
        let mut pending = open(addr).await;
        drop(transport);
        assert_eq!(next_notification(&mut notifications).await, Notification::Disconnected);
        expect_closed(&mut client).await;
        expect_closed(&mut pending).await;
        // The port is free again.
        let (events, _rx) = mpsc::unbounded_channel();
        let again = WebsocketTransport::start(WebsocketConfig::on(addr), events).await.expect("port released");
        assert_eq!(again.local_addr(), addr);
    }

    #[tokio::test]
    async fn shutdown_reports_unavailable() {
        let (transport, _events) = server(local(Duration::from_secs(10))).await;
        transport.shutdown();
        assert!(matches!(transport.status(), HardwareStatus::Unavailable { .. }));
    }
}
