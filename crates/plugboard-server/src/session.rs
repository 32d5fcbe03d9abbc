//! One task per websocket connection: handshake, then every frame decoded for the client's
//! spec version, converted, executed and answered, in order. Device changes are pushed to
//! the client in its own version. When the connection ends, for whatever reason, the
//! outputs this client set are stopped. What a connection may do (frame size, messages per
//! frame and per second, time to handshake, keepalive) is decided in [`crate::limits`].
//!
//! A session runs over any byte stream: a TCP connection the listener accepted ([`run`]) or
//! one the engine dialled itself in client mode ([`run_dialled`], see [`crate::dial_out`]).
//! Only how the connection arrives differs; what the client may do is the same.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use plugboard_devices::{ClientId, DeviceEvent};
use plugboard_protocol::convert::{self, LegacyState, Request};
use plugboard_protocol::frame::{self, RawMessage};
use plugboard_protocol::messages::{ClientMessage, IdOnly, ServerInfo, ServerMessage, Test};
use plugboard_protocol::model::{InputCommand, StopScope};
use plugboard_protocol::{DecodeError, DecodeErrorKind, Error, ErrorCode, SpecVersion};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as HttpRequest, Response as HttpResponse,
};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::access::Visibility;
use crate::admission;
use crate::approval::{self, Approval, ApprovedPeer, Held};
use crate::clients::{ClientKind, ClientSnapshot, Signals};
use crate::events::EngineEvent;
use crate::gate::{origin, Door, Verdict};
use crate::limits::{self, enabled, Keepalive, KeepaliveAction, RateLimiter};
use crate::outbox::Outbox;
use crate::shared::Shared;
use crate::subscriptions::Subscriptions;

/// The longest the websocket upgrade itself may take (less when the handshake timeout is shorter).
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);
/// The websocket read buffer (frames larger than this still arrive whole, in several reads).
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// How long sending what is left and the Close frame may take once a session ends.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// After refusing what a client sent, how long to read and discard the rest of it, so the
/// client gets to read the Error and the Close instead of a connection reset.
const LINGER: Duration = Duration::from_secs(1);
/// The most frames a session answers in one go (one write for all their answers) before it
/// lets the runtime's other tasks run: a client sending flat out cannot hold a worker thread.
const READ_BATCH: usize = 32;

/// What a session runs over: a TCP connection, or any other ordered byte stream.
pub(crate) trait Connection: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Connection for T {}

/// A websocket client's side of the connection once it is split.
type Sink<S> = SplitSink<WebSocketStream<S>, Message>;
type Stream<S> = SplitStream<WebSocketStream<S>>;

/// Serves one accepted connection: the websocket upgrade, the client registered, the session,
/// and its end.
pub(crate) async fn run<S: Connection>(shared: Arc<Shared>, stream: S, peer: SocketAddr) {
    let _counted = SessionCount::new(&shared);
    let accepted = Instant::now();
    // The handshake timeout counts from the TCP connection: the websocket upgrade is part of it.
    let handshake_deadline = enabled(shared.config.limits.handshake_timeout).map(|timeout| accepted + timeout);
    let Some((socket, origin)) = upgrade(&shared, stream, peer, accepted, handshake_deadline).await else {
        return;
    };
    serve_connection(shared, socket, peer, Arrival::Accepted { origin }, accepted, handshake_deadline).await;
}

/// Serves a websocket the engine dialled out to (client mode, [`crate::dial_out`]): the
/// client registered, the session, and its end, as for an accepted connection. Returns once
/// the connection is closed, whatever closed it.
pub(crate) async fn run_dialled<S: Connection>(shared: Arc<Shared>, socket: WebSocketStream<S>, peer: SocketAddr) {
    let _counted = SessionCount::new(&shared);
    let connected = Instant::now();
    let handshake_deadline = enabled(shared.config.limits.handshake_timeout).map(|timeout| connected + timeout);
    serve_connection(shared, socket, peer, Arrival::Dialled, connected, handshake_deadline).await;
}

/// How a connection came to the engine, which decides whether the user must allow it.
enum Arrival {
    /// A client connected to a listener and sent this Origin (a browser) or none.
    Accepted { origin: Option<String> },
    /// The engine dialled the address it was configured with: that configuration is the
    /// user's consent, so nothing waits for approval, and there is no Origin to check.
    Dialled,
}

async fn serve_connection<S: Connection>(
    shared: Arc<Shared>,
    mut socket: WebSocketStream<S>,
    peer: SocketAddr,
    arrival: Arrival,
    connected: Instant,
    handshake_deadline: Option<Instant>,
) {
    let Some((id, approval, signals)) = register(&shared, &mut socket, peer, arrival).await else { return };
    let mut session = Session::new(shared, id, peer, approval, connected, handshake_deadline);
    let (mut sink, mut stream) = socket.split();
    let closing = session.serve(&mut sink, &mut stream, signals).await;
    session.end(sink, stream, closing).await;
}

/// What every websocket of the engine may carry, accepted or dialled: frames up to the
/// configured limit (see [`crate::limits`]).
pub(crate) fn websocket_config(shared: &Shared) -> WebSocketConfig {
    let frame_limit = enabled(shared.config.limits.max_frame_bytes);
    // Buttplug frames are small: an 8 KiB read buffer instead of tungstenite's 128 KiB, which
    // it zero-fills before every read (most of a busy session's time otherwise).
    WebSocketConfig::default()
        .max_message_size(frame_limit)
        .max_frame_size(frame_limit)
        .read_buffer_size(READ_BUFFER_BYTES)
}

/// The websocket upgrade, which refuses a browser whose Origin is not allowed: the websocket
/// and the Origin the client sent. `None`: the upgrade failed or did not finish in time.
async fn upgrade<S: Connection>(
    shared: &Shared,
    stream: S,
    peer: SocketAddr,
    accepted: Instant,
    handshake_deadline: Option<Instant>,
) -> Option<(WebSocketStream<S>, Option<String>)> {
    let origin: Arc<Mutex<Option<String>>> = Arc::default();
    let origin_slot = origin.clone();
    let gate = shared;
    // The error type is tungstenite's.
    #[allow(clippy::result_large_err)]
    let read_origin = move |request: &HttpRequest, response: HttpResponse| -> Result<HttpResponse, ErrorResponse> {
        let value = request.headers().get("origin").map(|v| v.to_str().map(str::to_owned).unwrap_or_default());
        if gate.gate.verdict(Door::Websocket, value.as_deref()) == Verdict::Refuse {
            let value = value.unwrap_or_default();
            tracing::warn!(
                %peer,
                origin = ?value,
                "refused a browser client: its Origin is not an allowed origin (--allowed-origins)"
            );
            return Err(origin::refusal(&value));
        }
        *origin_slot.lock().unwrap_or_else(|p| p.into_inner()) = value;
        Ok(response)
    };
    let config = websocket_config(shared);
    let upgrade = tokio_tungstenite::accept_hdr_async_with_config(stream, read_origin, Some(config));
    let upgrade_deadline = (accepted + UPGRADE_TIMEOUT).min(handshake_deadline.unwrap_or(accepted + UPGRADE_TIMEOUT));
    let socket = match tokio::time::timeout_at(upgrade_deadline, upgrade).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "websocket upgrade failed");
            return None;
        }
        Err(_) => {
            tracing::info!(%peer, "closed a connection that did not finish the websocket upgrade in time");
            return None;
        }
    };
    let origin = origin.lock().unwrap_or_else(|p| p.into_inner()).take();
    Some((socket, origin))
}

/// Lists the client among the engine's clients (waiting for the user's approval if it comes
/// from another machine or an unapproved web page; never when the engine dialled it): its id,
/// approval and signals. `None`: the server is full, which the
/// client is told before the connection closes.
async fn register<S: Connection>(
    shared: &Shared,
    socket: &mut WebSocketStream<S>,
    peer: SocketAddr,
    arrival: Arrival,
) -> Option<(ClientId, Approval, Signals)> {
    let id = shared.next_client_id();
    let (origin, held) = match arrival {
        Arrival::Accepted { origin } => {
            let held = admission::held_for(shared, &ApprovedPeer::new(peer.ip(), origin.clone()));
            (origin, held)
        }
        Arrival::Dialled => (None, admission::HeldFor::default()),
    };
    let approval = if held.any() { Approval::Pending } else { Approval::NotNeeded };
    let snapshot = ClientSnapshot {
        id,
        kind: ClientKind::Buttplug,
        name: None,
        spec_version: None,
        peer: Some(peer),
        origin,
        connected_since: SystemTime::now(),
        messages_in: 0,
        messages_out: 0,
        last_error: None,
        approval,
    };
    let registered = shared.clients.register(snapshot.clone(), shared.config.max_clients);
    let Some(signals) = registered else {
        let error = Error::handshake(format!(
            "This server already has {} clients connected, its limit (--max-clients). Disconnect another \
             client and try again.",
            shared.config.max_clients
        ));
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            let _ = socket.send(Message::text(frame::encode_message(&error.to_message(0)))).await;
            let _ = socket.close(Some(CloseFrame { code: CloseCode::Again, reason: "server full".into() })).await;
        })
        .await;
        tracing::warn!(%peer, max = shared.config.max_clients, "refused a client: the server is full");
        return None;
    };
    tracing::info!(client = id, %peer, origin = ?snapshot.origin.as_deref().unwrap_or("-"), "client connected");
    if held.any() {
        tracing::warn!(client = id, %peer, ?held, "a client waits for the user's approval");
    }
    shared.emit(EngineEvent::ClientConnected(Box::new(snapshot)));
    Some((id, approval, signals))
}

/// Counts a running session ([`crate::Engine::session_tasks`]) until dropped.
struct SessionCount(Arc<Shared>);

impl SessionCount {
    fn new(shared: &Arc<Shared>) -> SessionCount {
        shared.sessions.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        SessionCount(shared.clone())
    }
}

impl Drop for SessionCount {
    fn drop(&mut self) {
        self.0.sessions.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Sends the Close frame, ends our side of the connection and reads (and discards) what the
/// client still sends for a moment: closing with unread data would make the kernel reset the
/// connection, and the client could lose the Error and the Close before reading them.
async fn close_and_linger<S: Connection>(mut socket: WebSocketStream<S>, frame: CloseFrame) {
    let _ = socket.send(Message::Close(Some(frame))).await;
    // Past the websocket layer, which may be mid-frame in what the client sent: on a TCP
    // connection, shutting down the write half sends FIN.
    let connection = socket.get_mut();
    let _ = connection.shutdown().await;
    let deadline = Instant::now() + LINGER;
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(Ok(read)) = tokio::time::timeout_at(deadline, connection.read(&mut buffer)).await {
        if read == 0 {
            break;
        }
    }
}

/// How and why a session ends.
#[derive(Debug, Clone, Copy)]
struct Closing {
    code: CloseCode,
    reason: &'static str,
    /// Send what is waiting and a Close frame (not when the connection is already gone).
    send_close: bool,
    /// Discard what the client still sends before closing (after refusing a frame).
    linger: bool,
}

impl Closing {
    fn normal(reason: &'static str) -> Closing {
        Closing::with_code(CloseCode::Normal, reason)
    }

    fn with_code(code: CloseCode, reason: &'static str) -> Closing {
        Closing { code, reason, send_close: true, linger: false }
    }

    fn gone(reason: &'static str) -> Closing {
        Closing { code: CloseCode::Abnormal, reason, send_close: false, linger: false }
    }
}

struct Session {
    shared: Arc<Shared>,
    id: ClientId,
    version: Option<SpecVersion>,
    legacy: LegacyState,
    /// When RequestServerInfo must have arrived by (handshake timeout on only).
    handshake_deadline: Option<Instant>,
    /// When the client must have pinged by (MaxPingTime > 0 only).
    ping_deadline: Option<Instant>,
    rate: RateLimiter,
    /// The Error for a message over the rate, made once.
    rate_exceeded: Error,
    keepalive: Keepalive,
    /// Messages waiting to be sent.
    outbox: Outbox,
    /// Messages received and not yet counted in the client's snapshot (counted once per batch).
    received: u64,
    /// A websocket Ping is waiting to be sent.
    websocket_ping: bool,
    /// Set when the session must end after sending the outbox.
    close: Option<Closing>,
    /// This client asked for a scan that has not finished.
    scanning: bool,
    /// The text last put in the client's snapshot (a flood of one error updates it once).
    last_error: Option<String>,
    peer: SocketAddr,
    /// Whether the user must allow this client first (see [`crate::approval`]).
    approval: Approval,
    /// When a pending client is refused for want of an answer.
    approval_deadline: Option<Instant>,
    /// What a pending client sent after its handshake.
    held: Held,
    /// Which devices this client sees (see [`crate::access`]).
    visibility: Visibility,
    /// The inputs this client is subscribed to.
    subscriptions: Subscriptions,
    /// This batch handed commands to device tasks, which should write before the answers go.
    commanded: bool,
}

impl Session {
    /// The session of a client just registered as `id`.
    fn new(
        shared: Arc<Shared>,
        id: ClientId,
        peer: SocketAddr,
        approval: Approval,
        accepted: Instant,
        handshake_deadline: Option<Instant>,
    ) -> Session {
        let now = Instant::now();
        let limits = &shared.config.limits;
        let rate = RateLimiter::new(limits.max_messages_per_second, now);
        let rate_exceeded = limits::rate_exceeded(limits.max_messages_per_second);
        let keepalive = Keepalive::new(limits.websocket_ping_interval, limits.websocket_pong_timeout, now);
        let approval_deadline =
            (approval == Approval::Pending).then(|| accepted + shared.config.remote_clients.timeout);
        Session {
            shared,
            id,
            version: None,
            legacy: LegacyState::default(),
            handshake_deadline,
            ping_deadline: None,
            rate,
            rate_exceeded,
            keepalive,
            outbox: Outbox::default(),
            received: 0,
            websocket_ping: false,
            close: None,
            scanning: false,
            last_error: None,
            peer,
            approval,
            approval_deadline,
            held: Held::default(),
            visibility: Visibility::default(),
            subscriptions: Subscriptions::default(),
            commanded: false,
        }
    }

    /// Serves the client until the session ends: frames in and answered, device events and
    /// readings out, deadlines kept. How it ended.
    async fn serve<S: Connection>(&mut self, sink: &mut Sink<S>, stream: &mut Stream<S>, signals: Signals) -> Closing {
        let Signals { mut kicked, mut answer } = signals;
        let shared = self.shared.clone();
        let limits = &shared.config.limits;
        let mut device_events = shared.devices.subscribe();
        let mut access_changes = shared.access.subscribe();
        let mut shutdown = shared.shutdown.clone();
        // A client that does not read what it is sent for this long is as dead as one that does
        // not answer a websocket Ping.
        let write_timeout = enabled(limits.websocket_pong_timeout).unwrap_or(limits::DEFAULT_WEBSOCKET_PONG_TIMEOUT);
        // One timer for the handshake, MaxPingTime and keepalive deadlines, reset only when the
        // nearest of them changes.
        let timer = tokio::time::sleep_until(Instant::now() + Duration::from_secs(86_400));
        tokio::pin!(timer);
        let mut timer_at = None;

        loop {
            let next = self.next_deadline();
            if next != timer_at {
                if let Some(at) = next {
                    timer.as_mut().reset(at);
                }
                timer_at = next;
            }
            tokio::select! {
                biased;
                _ = crate::raised(&mut kicked) => break Closing::normal("disconnected by the server"),
                _ = crate::raised(&mut shutdown) => break Closing::normal("server stopping"),
                () = &mut timer, if timer_at.is_some() => {
                    // Re-armed next time round, even for the same deadline.
                    timer_at = None;
                    self.timer_fired(Instant::now());
                }
                Ok(()) = answer.changed(), if self.approval == Approval::Pending => {
                    let answer = *answer.borrow_and_update();
                    self.answered(answer).await;
                }
                Ok(()) = access_changes.changed() => self.access_changed(),
                incoming = stream.next() => {
                    if let Some(closing) = self.read_batch(incoming, stream).await {
                        break closing;
                    }
                },
                event = device_events.recv() => match event {
                    Ok(event) => self.device_event(event),
                    Err(broadcast::error::RecvError::Lagged(missed)) => self.resync(missed),
                    Err(broadcast::error::RecvError::Closed) => break Closing::normal("server stopping"),
                },
                reading = self.subscriptions.next() => match reading {
                    Ok(event) => self.input_event(&event),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(client = self.id, missed, "client fell behind on input readings");
                    }
                    Err(broadcast::error::RecvError::Closed) => break Closing::normal("server stopping"),
                },
            }
            // Counted before sending: a client that does not read shows as messages in with
            // replies owed.
            self.count_received();
            if self.has_output() {
                if let Err(closing) = self.send_waiting(sink, write_timeout, &mut kicked, &mut shutdown).await {
                    break closing;
                }
            }
            if let Some(closing) = self.close.take() {
                break closing;
            }
        }
    }

    /// Handles `first`, then every frame the client has sent that can be read without waiting,
    /// up to [`READ_BATCH`], so that their answers go out in one write. `Some`: the session ends.
    async fn read_batch<S: Connection>(
        &mut self,
        first: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
        stream: &mut Stream<S>,
    ) -> Option<Closing> {
        let mut incoming = first;
        for read in 1.. {
            let now = Instant::now();
            self.keepalive.heard(now);
            match incoming {
                Some(Ok(Message::Text(text))) => self.handle_frame(text.as_str(), now).await,
                Some(Ok(Message::Binary(_))) => self.binary_frame(now),
                Some(Ok(Message::Close(_))) | None => return Some(Closing::normal("connection closed by the client")),
                Some(Ok(_)) => {} // websocket ping/pong: answered by the websocket layer
                Some(Err(error)) => return Some(self.websocket_error(&error)),
            }
            if self.close.is_some() {
                return None;
            }
            if read == READ_BATCH {
                // More may be waiting: the other tasks first.
                self.commanded = false;
                tokio::task::yield_now().await;
                return None;
            }
            incoming = match std::future::poll_fn(|cx| Poll::Ready(stream.poll_next_unpin(cx))).await {
                Poll::Ready(next) => next,
                Poll::Pending => {
                    self.let_devices_write_first().await;
                    return None;
                }
            };
        }
        None
    }

    /// When this batch handed commands to device tasks, lets them write before the answers
    /// are: the toy hears a command before the client hears `Ok`.
    async fn let_devices_write_first(&mut self) {
        if std::mem::take(&mut self.commanded) {
            crate::let_woken_devices_write().await;
        }
    }

    /// Whatever ended the session, the outputs this client set stop, and its scan ends; then,
    /// if the connection still stands, the client gets what is waiting and a Close frame.
    async fn end<S: Connection>(mut self, mut sink: Sink<S>, stream: Stream<S>, closing: Closing) {
        let shared = self.shared.clone();
        let id = self.id;
        let _ = shared.devices.stop(Some(id), StopScope::EVERYTHING);
        shared.devices.stop_scanning(id).await;
        shared.clients.remove(id);
        shared.emit(EngineEvent::ClientDisconnected { id });
        if closing.send_close {
            let goodbye = async {
                let _ = self.flush(&mut sink).await;
                let frame = CloseFrame { code: closing.code, reason: closing.reason.into() };
                if closing.linger {
                    if let Ok(socket) = sink.reunite(stream) {
                        close_and_linger(socket, frame).await;
                    }
                } else {
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    let _ = sink.close().await;
                }
            };
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, goodbye).await;
        }
        tracing::info!(client = id, reason = closing.reason, code = u16::from(closing.code), "client disconnected");
    }

    async fn handle_frame(&mut self, text: &str, now: Instant) {
        let limits = &self.shared.config.limits;
        let max_messages = enabled(limits.max_messages_per_frame).unwrap_or(usize::MAX);
        // A client over its rate has every message of this frame refused, but for stops: only the
        // Ids are read (a flood costs little, docs/performance.md, "Fourth round"); a frame with
        // a stop in it is read whole, below.
        if !self.rate.has_room(now) {
            if let Some(ids) = frame::message_ids(text, max_messages) {
                self.received += ids.len() as u64;
                let admission = self.rate.admit(ids.len(), now);
                self.note_dropping(admission);
                return self.refuse_over_rate(ids);
            }
        }
        let messages = match frame::split_frame_limited(text, max_messages) {
            Ok(messages) => messages,
            Err(too_many) => {
                tracing::warn!(
                    client = self.id,
                    max = too_many.max,
                    counted = too_many.counted,
                    "refused a frame with too many messages"
                );
                return self.reply_error(0, limits::too_many_messages(too_many));
            }
        };
        let count = messages.len();
        self.received += count as u64;
        let admission = self.rate.admit(count, now);
        self.note_dropping(admission);
        for (position, message) in messages.into_iter().enumerate() {
            if self.close.is_some() {
                return;
            }
            // Over the rate, a message is refused, but for a stop: a client that floods and then
            // stops must be obeyed (docs/architecture.md, "Safety"). It still counted above.
            let is_stop = matches!(&message, Ok(raw) if frame::is_stop(&raw.name));
            if position >= admission.admitted && !is_stop {
                self.refuse_over_rate([message_id(&message)]);
                continue;
            }
            if self.version.is_some() && self.approval == Approval::Pending {
                // Nothing beyond the handshake until the user allows this client.
                if let Err(message) = self.held.hold(message) {
                    self.reply_error(message_id(&message), approval::too_many_waiting());
                }
                continue;
            }
            self.dispatch(message).await;
        }
    }

    /// Logs the start of a run of messages dropped for the rate (once per run).
    fn note_dropping(&self, admission: limits::Admission) {
        if admission.started_dropping {
            tracing::warn!(
                client = self.id,
                per_second = self.shared.config.limits.max_messages_per_second,
                "client exceeds the message rate; dropping the excess"
            );
        }
    }

    /// Answers each of these messages with the rate's Error: one frame for a run of them.
    fn refuse_over_rate(&mut self, ids: impl IntoIterator<Item = u32>) {
        if self.last_error.as_deref() != Some(self.rate_exceeded.text()) {
            self.note_error(&self.rate_exceeded.clone());
        }
        for id in ids {
            self.outbox.refuse(id, &self.rate_exceeded);
        }
    }

    async fn dispatch(&mut self, message: Result<RawMessage, DecodeError>) {
        match message {
            Err(error) => self.reply_decode_error(error),
            Ok(raw) => match self.version {
                None => self.handshake(&raw),
                Some(version) => match raw.decode_client(version) {
                    Ok(message) => self.execute(message).await,
                    Err(error) => self.reply_decode_error(error),
                },
            },
        }
    }

    /// The user answered (or a remembered approval matched): in, with what waited, or out.
    async fn answered(&mut self, answer: Approval) {
        match answer {
            Approval::Allowed => {
                tracing::info!(client = self.id, peer = %self.peer, "the user allowed a waiting client");
                self.set_approval(Approval::Allowed);
                self.approval_deadline = None;
                if self.version.is_some() {
                    self.start_ping_deadline();
                }
                for message in self.held.take() {
                    if self.close.is_some() {
                        return;
                    }
                    self.dispatch(message).await;
                }
            }
            Approval::Refused => {
                tracing::warn!(client = self.id, peer = %self.peer, "the user refused a waiting client");
                self.turn_away(
                    admission::turned_away(&self.shared, self.id, self.peer.ip(), None),
                    "refused by the user",
                );
            }
            Approval::Pending | Approval::NotNeeded => {}
        }
    }

    /// Ends a pending client: an Error for each waiting message (one at least), then close.
    fn turn_away(&mut self, error: Error, reason: &'static str) {
        self.set_approval(Approval::Refused);
        self.approval_deadline = None;
        let held = self.held.take();
        if held.is_empty() {
            self.reply_error(0, error.clone());
        }
        for message in held {
            self.reply_error(message_id(&message), error.clone());
        }
        self.close = Some(Closing::with_code(CloseCode::Policy, reason));
    }

    fn set_approval(&mut self, approval: Approval) {
        self.approval = approval;
        if let Some(snapshot) = self.shared.clients.update(self.id, |client| client.approval = approval) {
            self.shared.emit(EngineEvent::ClientChanged(Box::new(snapshot)));
        }
    }

    fn start_ping_deadline(&mut self) {
        let max_ping_time_ms = self.shared.config.max_ping_time_ms;
        if max_ping_time_ms > 0 {
            self.ping_deadline = Some(Instant::now() + Duration::from_millis(max_ping_time_ms.into()));
        }
    }

    fn binary_frame(&mut self, now: Instant) {
        if self.rate.admit(1, now).admitted == 0 {
            return self.reply_error(0, limits::rate_exceeded(self.shared.config.limits.max_messages_per_second));
        }
        self.reply_decode_error(DecodeError::new(0, DecodeErrorKind::BinaryFrame));
    }

    /// The websocket layer refused what the client sent (too large, not UTF-8, not the
    /// websocket protocol) or the connection broke: how the session ends.
    fn websocket_error(&mut self, error: &tokio_tungstenite::tungstenite::Error) -> Closing {
        match limits::refusal(error) {
            Some(refusal) => {
                // Not the error's text: for a fragmented message it can quote what the client sent.
                let code = u16::from(refusal.code);
                tracing::warn!(client = self.id, reason = refusal.reason, code, "refused a websocket frame; closing");
                self.reply_error(0, refusal.error);
                Closing { linger: true, ..Closing::with_code(refusal.code, refusal.reason) }
            }
            None => {
                tracing::debug!(client = self.id, %error, "websocket error");
                Closing::gone("connection lost")
            }
        }
    }

    /// The nearest deadline: handshake, approval, MaxPingTime or keepalive.
    fn next_deadline(&self) -> Option<Instant> {
        let handshake = self.handshake_deadline.filter(|_| self.version.is_none());
        [handshake, self.approval_deadline, self.ping_deadline, self.keepalive.deadline()].into_iter().flatten().min()
    }

    fn timer_fired(&mut self, now: Instant) {
        if self.approval_deadline.is_some_and(|deadline| now >= deadline) {
            let timeout = self.shared.config.remote_clients.timeout;
            let peer = self.peer;
            tracing::warn!(client = self.id, %peer, "the user did not answer in time; refusing a waiting client");
            let error = admission::turned_away(&self.shared, self.id, peer.ip(), Some(timeout));
            return self.turn_away(error, "not allowed in time");
        }
        if self.version.is_none() && self.handshake_deadline.is_some_and(|deadline| now >= deadline) {
            let timeout = self.shared.config.limits.handshake_timeout;
            tracing::warn!(client = self.id, timeout_ms = timeout.as_millis() as u64, "no handshake in time; closing");
            self.reply_error(0, limits::handshake_timed_out(timeout));
            self.close = Some(Closing::with_code(CloseCode::Policy, "no RequestServerInfo in time"));
            return;
        }
        if self.ping_deadline.is_some_and(|deadline| now >= deadline) {
            return self.ping_out();
        }
        match self.keepalive.fire(now) {
            KeepaliveAction::Nothing => {}
            KeepaliveAction::SendPing => self.websocket_ping = true,
            KeepaliveAction::Dead => {
                let timeout = self.shared.config.limits.websocket_pong_timeout;
                tracing::warn!(
                    client = self.id,
                    timeout_ms = timeout.as_millis() as u64,
                    "no answer to a websocket ping; closing"
                );
                self.close = Some(Closing::with_code(CloseCode::Away, "no answer to a websocket ping"));
            }
        }
    }

    fn handshake(&mut self, raw: &RawMessage) {
        if raw.name != "RequestServerInfo" {
            return self.reply_error(raw.id(), Error::handshake_expected());
        }
        let max = self.shared.config.max_spec_version;
        let request = match raw.decode_handshake() {
            Ok(request) => request,
            Err(error) => {
                // A newer client may add fields we do not know; still tell it plainly that
                // its version is the problem.
                if let Some(major) = requested_major(raw).filter(|major| *major > max.number()) {
                    return self.refuse_version(raw.id(), major, max);
                }
                return self.reply_decode_error(error);
            }
        };
        let version = match request.negotiate(max) {
            Ok(version) => version,
            Err(error) if error.code() == ErrorCode::Init => {
                self.reply_error(request.id, error);
                self.close = Some(Closing::normal("client speaks a newer spec version"));
                return;
            }
            Err(error) => return self.reply_error(request.id, error),
        };
        self.version = Some(version);
        if self.approval != Approval::Pending {
            self.start_ping_deadline();
        }
        let allowed = self.shared.access.allowed_for(&request.client_name);
        self.visibility.apply(allowed, &self.shared.devices.devices_with_addresses());
        let config = &self.shared.config;
        self.outbox.push(ServerMessage::ServerInfo(ServerInfo::for_version(
            version,
            request.id,
            &config.server_name,
            config.max_ping_time_ms,
        )));
        let name = request.client_name.clone();
        if let Some(snapshot) = self.shared.clients.update(self.id, |client| {
            client.name = Some(name);
            client.spec_version = Some(version);
        }) {
            tracing::info!(client = self.id, name = ?loggable(&request.client_name), %version, "handshake done");
            self.shared.emit(EngineEvent::ClientChanged(Box::new(snapshot)));
        }
    }

    fn refuse_version(&mut self, id: u32, major: u32, max: SpecVersion) {
        self.reply_error(
            id,
            Error::handshake(format!(
                "This client asks for Buttplug spec v{major}, but this server speaks spec v0 to {max}. \
                 Update the server, or use a client library for spec {max} or older."
            )),
        );
        self.close = Some(Closing::normal("client speaks a newer spec version"));
    }

    async fn execute(&mut self, message: ClientMessage) {
        let id = message.id();
        let version = self.version.unwrap_or(SpecVersion::NEWEST);
        let visibility = &self.visibility;
        let request = self.shared.devices.with_visible_lookup(
            |address| visibility.may_use(address),
            |devices| convert::to_request(&message, devices, &mut self.legacy),
        );
        let request = match request {
            Ok(request) => request,
            Err(error) => return self.reply_error(id, error),
        };
        let devices = &self.shared.devices;
        let outcome: Result<ServerMessage, Error> = match request {
            Request::Handshake => Err(Error::handshake_already_happened()),
            Request::Ping => {
                if let Some(deadline) = self.ping_deadline.as_mut() {
                    *deadline = Instant::now() + Duration::from_millis(self.shared.config.max_ping_time_ms.into());
                }
                Ok(ServerMessage::ok(id))
            }
            Request::StartScanning => {
                // ScanningFinished arrives as a device event once every transport is done.
                self.scanning = true;
                devices.start_scanning(self.id).await;
                Ok(ServerMessage::ok(id))
            }
            Request::StopScanning => {
                self.scanning = false;
                devices.stop_scanning(self.id).await;
                Ok(ServerMessage::ok(id))
            }
            Request::RequestDeviceList => {
                let devices = devices.devices_with_addresses();
                Ok(convert::device_list(version, id, self.visibility.visible(&devices)))
            }
            Request::Disconnect => {
                let _ = devices.stop(Some(self.id), StopScope::EVERYTHING);
                self.close = Some(Closing::normal("client sent Disconnect"));
                Ok(ServerMessage::ok(id))
            }
            Request::Test(text) if text == "Error" => Err(Error::message("Test asked for an error, so here is one.")),
            Request::Test(text) => Ok(ServerMessage::Test(Test { id, test_string: text })),
            Request::Stop(scope) => {
                self.commanded = true;
                let stopped = devices.stop(Some(self.id), scope);
                if stopped.is_ok() && scope.inputs {
                    self.subscriptions.forget(scope);
                }
                stopped.map(|_| ServerMessage::ok(id))
            }
            Request::Output { device_index, commands } => {
                self.commanded = true;
                devices.command(self.id, device_index, &commands).map(|_| ServerMessage::ok(id))
            }
            Request::Input(input) => match input.command {
                InputCommand::Read => match devices.read(input.device_index, input.feature_index, input.kind).await {
                    Ok(reading) => {
                        convert::reading_message(id, input.device_index, input.feature_index, input.reply, reading)
                    }
                    Err(error) => Err(error),
                },
                InputCommand::Subscribe => {
                    self.subscriptions.subscribe(devices, self.id, &input).await.map(|()| ServerMessage::ok(id))
                }
                InputCommand::Unsubscribe => {
                    self.subscriptions.unsubscribe(devices, self.id, &input);
                    Ok(ServerMessage::ok(id))
                }
            },
        };
        match outcome {
            Ok(reply) => self.outbox.push(reply),
            Err(error) => self.reply_error(id, error),
        }
    }

    fn device_event(&mut self, event: DeviceEvent) {
        if let DeviceEvent::Removed { index } = event {
            // The device took its subscriptions with it.
            self.subscriptions.forget(StopScope::device(index));
        }
        let Some(version) = self.version else { return };
        if self.approval == Approval::Pending {
            return;
        }
        let event = match event {
            DeviceEvent::Added(info) => {
                let address = self.shared.devices.address_of(info.index);
                if !self.visibility.added(info.index, address.as_deref()) {
                    return;
                }
                DeviceEvent::Added(info)
            }
            DeviceEvent::Removed { index } if !self.visibility.removed(index) => return,
            DeviceEvent::Changed(info) if self.visibility.is_hidden(info.index) => return,
            event => event,
        };
        let message = match event {
            DeviceEvent::Added(info) if version < SpecVersion::V4 => convert::device_added(version, &info),
            DeviceEvent::Removed { index } if version < SpecVersion::V4 => convert::device_removed(version, index),
            DeviceEvent::Added(_) | DeviceEvent::Removed { .. } => Some(self.v4_device_list_event()),
            // v4 clients get the new list; older versions have no message for a change and
            // see it in their next DeviceList.
            DeviceEvent::Changed(_) if version == SpecVersion::V4 => Some(self.v4_device_list_event()),
            DeviceEvent::ScanningFinished if self.scanning => {
                self.scanning = false;
                Some(ServerMessage::ScanningFinished(IdOnly { id: 0 }))
            }
            DeviceEvent::ScanningFinished
            | DeviceEvent::Changed(_)
            | DeviceEvent::Battery { .. }
            | DeviceEvent::OutputChanged { .. }
            | DeviceEvent::HardwareStatus { .. } => None,
        };
        self.outbox.extend(message);
    }

    /// A reading of a subscribed input: to the client, if it is one of its subscriptions.
    fn input_event(&mut self, event: &plugboard_devices::InputEvent) {
        if self.approval == Approval::Pending {
            return;
        }
        if let Some(message) = self.subscriptions.message(self.id, event) {
            self.outbox.push(message);
        }
    }

    fn v4_device_list_event(&self) -> ServerMessage {
        let devices = self.shared.devices.devices_with_addresses();
        convert::device_list(SpecVersion::V4, 0, self.visibility.visible(&devices))
    }

    /// The user changed which devices clients may use: this client hears what disappeared
    /// and appeared for it, and what it ran on a device it lost stops.
    fn access_changed(&mut self) {
        let Some(version) = self.version else { return };
        let Some(name) = self.shared.clients.get(self.id).and_then(|client| client.name) else { return };
        let allowed = self.shared.access.allowed_for(&name);
        let change = self.visibility.apply(allowed, &self.shared.devices.devices_with_addresses());
        if change.hidden.is_empty() && change.shown.is_empty() {
            return;
        }
        tracing::info!(client = self.id, hidden = ?change.hidden, shown = change.shown.len(), "device access changed");
        for &index in &change.hidden {
            let _ = self.shared.devices.stop(Some(self.id), StopScope::device(index));
            self.subscriptions.forget(StopScope::device(index));
        }
        if self.approval == Approval::Pending {
            return;
        }
        if version == SpecVersion::V4 {
            let list = self.v4_device_list_event();
            return self.outbox.push(list);
        }
        let removed = change.hidden.iter().filter_map(|&index| convert::device_removed(version, index));
        let added = change.shown.iter().filter_map(|info| convert::device_added(version, info));
        let messages: Vec<ServerMessage> = removed.chain(added).collect();
        self.outbox.extend(messages);
    }

    /// Device events were missed (the client is very slow to read). v4 clients get the full
    /// list; older clients can only learn it by asking, which they do on reconnect.
    fn resync(&mut self, missed: u64) {
        tracing::warn!(client = self.id, missed, "client fell behind on device events");
        if self.version == Some(SpecVersion::V4) && self.approval != Approval::Pending {
            let list = self.v4_device_list_event();
            self.outbox.push(list);
        }
    }

    fn ping_out(&mut self) {
        tracing::warn!(client = self.id, "client did not ping in time; stopping its devices");
        let _ = self.shared.devices.stop(Some(self.id), StopScope::EVERYTHING);
        self.ping_deadline = None;
        self.reply_error(0, Error::pinged_out());
        self.close = Some(Closing::normal("ping timeout"));
    }

    fn reply_decode_error(&mut self, error: DecodeError) {
        self.reply_error(error.id, error.to_error());
    }

    fn reply_error(&mut self, id: u32, error: Error) {
        let text = loggable(error.text());
        tracing::debug!(client = self.id, id, code = ?error.code(), error = ?text, "answering with an error");
        self.note_error(&error);
        self.outbox.push(error.to_message(id));
    }

    /// Keeps `error` as the client's last error, for front ends (once per run of the same one).
    fn note_error(&mut self, error: &Error) {
        if self.last_error.as_deref() != Some(error.text()) {
            let text = error.text().to_owned();
            self.last_error = Some(text.clone());
            if let Some(snapshot) = self.shared.clients.update(self.id, |client| client.last_error = Some(text)) {
                self.shared.emit(EngineEvent::ClientChanged(Box::new(snapshot)));
            }
        }
    }

    /// Sends what is waiting. Most sends finish at once; one that has to wait is given up
    /// after `timeout` (the client does not read what it is sent), or at once when the client
    /// is disconnected or the engine stops.
    async fn send_waiting<S>(
        &mut self,
        sink: &mut S,
        timeout: Duration,
        kicked: &mut watch::Receiver<bool>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), Closing>
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        let client = self.id;
        let flush = self.flush(sink);
        tokio::pin!(flush);
        // The first poll needs no timer.
        let flushed = match std::future::poll_fn(|cx| Poll::Ready(flush.as_mut().poll(cx))).await {
            Poll::Ready(flushed) => flushed,
            Poll::Pending => tokio::select! {
                biased;
                flushed = &mut flush => flushed,
                _ = crate::raised(kicked) => return Err(Closing::gone("disconnected by the server")),
                _ = crate::raised(shutdown) => return Err(Closing::gone("server stopping")),
                () = tokio::time::sleep(timeout) => {
                    let timeout_ms = timeout.as_millis() as u64;
                    tracing::warn!(client, timeout_ms, "client stopped reading what it is sent; closing");
                    return Err(Closing::gone("the client stopped reading"));
                }
            },
        };
        flushed.map_err(|()| Closing::gone("connection lost"))
    }

    fn has_output(&self) -> bool {
        !self.outbox.is_empty() || self.websocket_ping
    }

    /// Counts the messages received since the last count in the client's snapshot.
    fn count_received(&mut self) {
        let received = std::mem::take(&mut self.received);
        if received > 0 {
            self.shared.clients.count_messages(self.id, received, 0);
        }
    }

    /// Sends every waiting message, one per frame (what every client accepts) but for a run
    /// of the same Error, which is one frame ([`Outbox`]); all in one write.
    async fn flush<S>(&mut self, sink: &mut S) -> Result<(), ()>
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        if std::mem::take(&mut self.websocket_ping) {
            sink.feed(Message::Ping(Default::default())).await.map_err(|_| ())?;
            if self.outbox.is_empty() {
                return sink.flush().await.map_err(|_| ());
            }
        }
        if self.outbox.is_empty() {
            return Ok(());
        }
        let sent = self.outbox.message_count() as u64;
        for text in self.outbox.drain_frames() {
            sink.feed(Message::text(text)).await.map_err(|_| ())?;
        }
        sink.flush().await.map_err(|_| ())?;
        self.shared.clients.count_messages(self.id, std::mem::take(&mut self.received), sent);
        Ok(())
    }
}

/// Text a client chose (its name; an error that quotes what it sent), cut short for the log:
/// one client must not be able to fill the log with megabytes. Logged with `?`, which escapes
/// line breaks, so it cannot forge log lines either.
fn loggable(text: &str) -> &str {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The Id of a message, or of the message a decode error is about.
fn message_id(message: &Result<RawMessage, DecodeError>) -> u32 {
    match message {
        Ok(raw) => raw.id(),
        Err(error) => error.id,
    }
}

/// `ProtocolVersionMajor`, else `MessageVersion`, read loosely from a handshake that did not
/// decode.
fn requested_major(raw: &RawMessage) -> Option<u32> {
    let body: serde_json_value::Value = serde_json_value::from_str(raw.body.get()).ok()?;
    let field = body.get("ProtocolVersionMajor").or_else(|| body.get("MessageVersion"))?;
    field.as_u64().map(|v| v.min(u32::MAX as u64) as u32)
}

/// serde_json, reached through the protocol crate's re-export to avoid a second version.
mod serde_json_value {
    pub use serde_json::{from_str, Value};
}

#[cfg(test)]
mod tests {
    use plugboard_devices::DeviceManager;
    use plugboard_protocol::messages::ErrorMessage;

    use super::*;
    use crate::config::EngineConfig;

    const HANDSHAKE_V4: &str =
        r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Unit","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#;

    /// A session of a local client (no approval needed), registered as the engine's clients
    /// are, with no socket: what it would send collects in its outbox.
    fn session(config: EngineConfig) -> Session {
        let (_stop, shutdown) = watch::channel(false);
        let shared = Arc::new(Shared::new(config, DeviceManager::new(), shutdown));
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let accepted = Instant::now();
        let handshake_deadline = enabled(shared.config.limits.handshake_timeout).map(|timeout| accepted + timeout);
        Session::new(shared, 1, peer, Approval::NotNeeded, accepted, handshake_deadline)
    }

    fn errors(session: &Session) -> Vec<ErrorMessage> {
        session
            .outbox
            .messages()
            .into_iter()
            .filter_map(|message| match message {
                ServerMessage::Error(error) => Some(error),
                _ => None,
            })
            .collect()
    }

    fn oks(session: &Session) -> usize {
        session.outbox.messages().iter().filter(|message| matches!(message, ServerMessage::Ok(_))).count()
    }

    #[tokio::test]
    async fn a_handshake_is_answered_with_the_server_info_and_sets_the_version() {
        let mut session = session(EngineConfig::default());
        session.handle_frame(HANDSHAKE_V4, Instant::now()).await;
        assert_eq!(session.version, Some(SpecVersion::V4));
        assert!(matches!(session.outbox.messages().as_slice(), [ServerMessage::ServerInfo(info)] if info.id == 1));
        session.handle_frame(r#"[{"Ping":{"Id":2}}]"#, Instant::now()).await;
        assert_eq!(oks(&session), 1, "{:?}", session.outbox);
    }

    #[tokio::test]
    async fn nothing_but_a_handshake_is_answered_before_the_handshake() {
        let mut session = session(EngineConfig::default());
        session.handle_frame(r#"[{"Ping":{"Id":7}}]"#, Instant::now()).await;
        assert_eq!(session.version, None);
        let errors = errors(&session);
        assert_eq!(errors.len(), 1, "{:?}", session.outbox);
        assert_eq!(errors[0].id, 7);
        assert!(session.close.is_none(), "the client may still send its handshake");
    }

    #[tokio::test]
    async fn no_handshake_in_time_ends_the_session_with_an_error() {
        let mut session = session(EngineConfig::default());
        let deadline = session.handshake_deadline.expect("a handshake timeout by default");
        session.timer_fired(deadline - Duration::from_millis(1));
        assert!(session.close.is_none() && session.outbox.is_empty(), "not yet");
        session.timer_fired(deadline);
        assert_eq!(errors(&session).len(), 1);
        let closing = session.close.expect("the session ends");
        assert_eq!(closing.code, CloseCode::Policy);
    }

    #[tokio::test]
    async fn messages_over_the_rate_are_answered_with_errors_not_executed() {
        let mut config = EngineConfig::default();
        config.limits.max_messages_per_second = 2;
        let mut session = session(config);
        let now = Instant::now();
        session.handle_frame(HANDSHAKE_V4, now).await;
        session.outbox.clear();
        session.handle_frame(r#"[{"Ping":{"Id":2}},{"Ping":{"Id":3}},{"Ping":{"Id":4}}]"#, now).await;
        assert_eq!(oks(&session), 1, "the second message of the burst of two: {:?}", session.outbox);
        let refused: Vec<u32> = errors(&session).iter().map(|error| error.id).collect();
        assert_eq!(refused, [3, 4]);
        // Over the rate, only the Ids are read, and the Errors of a batch go out as one frame.
        session.handle_frame(r#"[{"Ping":{"Id":5}},{"Nope":{"Id":6,"x":[1]}}]"#, now).await;
        session.handle_frame(r#"[{"Ping":{"Id":7}}]"#, now).await;
        let refused: Vec<u32> = errors(&session).iter().map(|error| error.id).collect();
        assert_eq!(refused, [3, 4, 5, 6, 7]);
        let mut sent: Vec<Message> = Vec::new();
        session.flush(&mut sent).await.unwrap();
        let frames: Vec<&str> = sent.iter().map(|frame| frame.to_text().unwrap()).collect();
        assert_eq!(frames.len(), 2, "{frames:?}");
        assert_eq!(frames[0], r#"[{"Ok":{"Id":2}}]"#);
        let ids: Vec<u32> = frame::decode_server_frame(frames[1], SpecVersion::V4)
            .into_iter()
            .map(|message| match message {
                Ok(ServerMessage::Error(error)) if error.error_message.contains("--max-messages-per-second") => {
                    error.id
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ids, [3, 4, 5, 6, 7]);
        assert!(session.last_error.is_some_and(|text| text.contains("--max-messages-per-second")));
    }

    #[tokio::test]
    async fn a_binary_frame_is_answered_with_an_error() {
        let mut session = session(EngineConfig::default());
        session.binary_frame(Instant::now());
        assert_eq!(errors(&session).len(), 1, "{:?}", session.outbox);
        assert!(session.close.is_none());
    }

    #[tokio::test]
    async fn a_dialled_session_runs_over_any_byte_stream_and_its_end_stops_what_it_ran() {
        use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
        use tokio_tungstenite::tungstenite::protocol::Role;

        let (_stop, shutdown) = watch::channel(false);
        let devices = DeviceManager::new();
        devices.add_virtual(VirtualDeviceSpec::new(VirtualKind::Vibrator));
        let shared = Arc::new(Shared::new(EngineConfig::default(), devices, shutdown));
        // An in-memory pipe instead of a TCP connection: the engine's end is the websocket's
        // client side, as when it dials.
        let (engine_end, app_end) = tokio::io::duplex(64 * 1024);
        let engine_socket = WebSocketStream::from_raw_socket(engine_end, Role::Client, None).await;
        let mut app = WebSocketStream::from_raw_socket(app_end, Role::Server, None).await;
        let peer: SocketAddr = "192.0.2.7:4000".parse().unwrap();
        let session = tokio::spawn(run_dialled(shared.clone(), engine_socket, peer));

        let vibrate = r#"[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#;
        for (frame, answer) in [(HANDSHAKE_V4, r#"[{"ServerInfo""#), (vibrate, r#"[{"Ok":{"Id":2}}]"#)] {
            app.send(Message::text(frame)).await.unwrap();
            let reply = tokio::time::timeout(Duration::from_secs(5), app.next()).await.unwrap().unwrap().unwrap();
            assert!(reply.to_text().unwrap().starts_with(answer), "{reply:?}");
        }
        assert_eq!(shared.devices.output_level(0, 0, plugboard_protocol::model::OutputType::Vibrate), Some(10));
        let clients = shared.clients.snapshot();
        assert_eq!(clients.len(), 1);
        assert_eq!((clients[0].peer, clients[0].approval), (Some(peer), Approval::NotNeeded), "{clients:?}");

        drop(app);
        tokio::time::timeout(Duration::from_secs(5), session).await.expect("the session ends").unwrap();
        assert_eq!(shared.devices.output_level(0, 0, plugboard_protocol::model::OutputType::Vibrate), Some(0));
        assert!(shared.clients.snapshot().is_empty());
    }

    #[tokio::test]
    async fn waiting_messages_go_out_one_frame_each() {
        let mut session = session(EngineConfig::default());
        session.handle_frame(HANDSHAKE_V4, Instant::now()).await;
        session.handle_frame(r#"[{"Ping":{"Id":2}},{"Ping":{"Id":3}}]"#, Instant::now()).await;
        assert!(session.has_output());
        let mut sent: Vec<Message> = Vec::new();
        session.flush(&mut sent).await.unwrap();
        let frames: Vec<String> = sent.iter().map(|frame| frame.to_text().unwrap().to_owned()).collect();
        assert_eq!(frames.len(), 3, "{frames:?}");
        assert!(frames[0].starts_with(r#"[{"ServerInfo""#), "{frames:?}");
        assert_eq!(frames[1..], [r#"[{"Ok":{"Id":2}}]"#, r#"[{"Ok":{"Id":3}}]"#]);
        assert!(!session.has_output());
    }
}
