//! One task per websocket connection: handshake, then every frame decoded for the client's
//! spec version, converted, executed and answered, in order. Device changes are pushed to
//! the client in its own version. When the connection ends, for whatever reason, the
//! outputs this client set are stopped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::{ClientId, DeviceEvent};
use plugboard_protocol::convert::{self, LegacyState, Request};
use plugboard_protocol::frame::{self, RawMessage};
use plugboard_protocol::messages::{ClientMessage, IdOnly, ServerInfo, ServerMessage, Test};
use plugboard_protocol::model::{InputCommand, StopScope};
use plugboard_protocol::{DecodeError, Error, ErrorCode, SpecVersion};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request as HttpRequest, Response as HttpResponse};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;

use crate::clients::ClientSnapshot;
use crate::engine::Shared;
use crate::events::EngineEvent;

/// The largest websocket message a client may send.
const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// How long the websocket upgrade itself may take.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn run(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let origin: Arc<Mutex<Option<String>>> = Arc::default();
    let origin_slot = origin.clone();
    let read_origin = move |request: &HttpRequest, response: HttpResponse| -> Result<HttpResponse, ErrorResponse> {
        let value = request.headers().get("origin").and_then(|v| v.to_str().ok()).map(str::to_owned);
        *origin_slot.lock().unwrap_or_else(|p| p.into_inner()) = value;
        Ok(response)
    };
    let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE_BYTES)).max_frame_size(Some(MAX_MESSAGE_BYTES));
    let upgrade = tokio_tungstenite::accept_hdr_async_with_config(stream, read_origin, Some(config));
    let mut socket = match tokio::time::timeout(UPGRADE_TIMEOUT, upgrade).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "websocket upgrade failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "websocket upgrade timed out");
            return;
        }
    };
    let origin = origin.lock().unwrap_or_else(|p| p.into_inner()).take();

    let id = shared.next_client_id();
    let snapshot = ClientSnapshot {
        id,
        name: None,
        spec_version: None,
        peer,
        origin,
        connected_since: SystemTime::now(),
        messages_in: 0,
        messages_out: 0,
        last_error: None,
    };
    let Some(mut kicked) = shared.clients.register(snapshot.clone(), shared.config.max_clients) else {
        let error = Error::handshake(format!(
            "This server already has {} clients connected, its limit. Disconnect another client and try again.",
            shared.config.max_clients
        ));
        let _ = socket.send(Message::text(frame::encode_message(&error.to_message(0)))).await;
        let _ = socket.close(None).await;
        tracing::warn!(%peer, "refused a client: the server is full");
        return;
    };
    tracing::info!(client = id, %peer, origin = snapshot.origin.as_deref().unwrap_or("-"), "client connected");
    shared.emit(EngineEvent::ClientConnected(snapshot));

    let mut session = Session { shared: shared.clone(), id, version: None, legacy: LegacyState::default(), ping_deadline: None, outbox: Vec::new(), close: None, scanning: false };
    let mut device_events = shared.devices.subscribe();
    let mut shutdown = shared.shutdown.clone();
    let (mut sink, mut stream) = socket.split();

    let reason = loop {
        let ping_deadline = session.ping_deadline;
        tokio::select! {
            biased;
            _ = crate::raised(&mut kicked) => break "disconnected by the server",
            _ = crate::raised(&mut shutdown) => break "server stopping",
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => session.handle_frame(text.as_str()).await,
                Some(Ok(Message::Binary(_))) => session.reply_error(
                    0,
                    Error::message("Binary frames are not part of the Buttplug protocol; send JSON as a text frame."),
                ),
                Some(Ok(Message::Close(_))) | None => break "connection closed by the client",
                Some(Ok(_)) => {} // websocket ping/pong: answered by the websocket layer
                Some(Err(error)) => {
                    tracing::debug!(client = id, %error, "websocket error");
                    break "connection lost";
                }
            },
            event = device_events.recv() => match event {
                Ok(event) => session.device_event(event),
                Err(broadcast::error::RecvError::Lagged(missed)) => session.resync(missed),
                Err(broadcast::error::RecvError::Closed) => break "server stopping",
            },
            _ = sleep_until(ping_deadline) => {
                session.ping_out();
            }
        }
        if session.flush(&mut sink).await.is_err() {
            break "connection lost";
        }
        if let Some(reason) = session.close {
            break reason;
        }
    };

    // Whatever ended the session, the outputs this client set stop, and its scan ends.
    let _ = shared.devices.stop(Some(id), StopScope::EVERYTHING);
    shared.devices.stop_scanning(id).await;
    let _ = session.flush(&mut sink).await;
    let _ = sink.send(Message::Close(Some(CloseFrame { code: CloseCode::Normal, reason: reason.into() }))).await;
    let _ = sink.close().await;
    shared.clients.remove(id);
    shared.emit(EngineEvent::ClientDisconnected { id });
    tracing::info!(client = id, reason, "client disconnected");
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

struct Session {
    shared: Arc<Shared>,
    id: ClientId,
    version: Option<SpecVersion>,
    legacy: LegacyState,
    /// When the client must have pinged by (MaxPingTime > 0 only).
    ping_deadline: Option<Instant>,
    /// Messages waiting to be sent, one frame each.
    outbox: Vec<ServerMessage>,
    /// Set when the session must end after sending the outbox.
    close: Option<&'static str>,
    /// This client asked for a scan that has not finished.
    scanning: bool,
}

impl Session {
    async fn handle_frame(&mut self, text: &str) {
        let messages = frame::split_frame(text);
        let count = messages.len() as u64;
        self.shared.clients.update(self.id, |client| client.messages_in += count);
        for message in messages {
            if self.close.is_some() {
                break;
            }
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
                self.close = Some("client speaks a newer spec version");
                return;
            }
            Err(error) => return self.reply_error(request.id, error),
        };
        self.version = Some(version);
        let config = &self.shared.config;
        if config.max_ping_time_ms > 0 {
            self.ping_deadline = Some(Instant::now() + Duration::from_millis(config.max_ping_time_ms.into()));
        }
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
            tracing::info!(client = self.id, name = %request.client_name, %version, "handshake done");
            self.shared.emit(EngineEvent::ClientChanged(snapshot));
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
        self.close = Some("client speaks a newer spec version");
    }

    async fn execute(&mut self, message: ClientMessage) {
        let id = message.id();
        let version = self.version.unwrap_or(SpecVersion::NEWEST);
        let request = self.shared.devices.with_lookup(|devices| convert::to_request(&message, devices, &mut self.legacy));
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
            Request::RequestDeviceList => Ok(convert::device_list(version, id, devices.devices().iter().map(|d| d.as_ref()))),
            Request::Disconnect => {
                let _ = devices.stop(Some(self.id), StopScope::EVERYTHING);
                self.close = Some("client sent Disconnect");
                Ok(ServerMessage::ok(id))
            }
            Request::Test(text) if text == "Error" => Err(Error::message("Test asked for an error, so here is one.")),
            Request::Test(text) => Ok(ServerMessage::Test(Test { id, test_string: text })),
            Request::Stop(scope) => devices.stop(Some(self.id), scope).map(|_| ServerMessage::ok(id)),
            Request::Output { device_index, commands } => {
                devices.command(self.id, device_index, &commands).map(|_| ServerMessage::ok(id))
            }
            Request::Input(input) => match input.command {
                InputCommand::Read => match devices.read(input.device_index, input.feature_index, input.kind).await {
                    Ok(reading) => convert::reading_message(id, input.device_index, input.feature_index, input.reply, reading),
                    Err(error) => Err(error),
                },
                // Virtual devices have nothing to subscribe to; the conversion refused any
                // input that does not allow it. Hardware subscriptions arrive with the device layer.
                InputCommand::Subscribe | InputCommand::Unsubscribe => Ok(ServerMessage::ok(id)),
            },
        };
        match outcome {
            Ok(reply) => self.outbox.push(reply),
            Err(error) => self.reply_error(id, error),
        }
    }

    fn device_event(&mut self, event: DeviceEvent) {
        let Some(version) = self.version else { return };
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

    fn v4_device_list_event(&self) -> ServerMessage {
        let devices = self.shared.devices.devices();
        convert::device_list(SpecVersion::V4, 0, devices.iter().map(|d| d.as_ref()))
    }

    /// Device events were missed (the client is very slow to read). v4 clients get the full
    /// list; older clients can only learn it by asking, which they do on reconnect.
    fn resync(&mut self, missed: u64) {
        tracing::warn!(client = self.id, missed, "client fell behind on device events");
        if self.version == Some(SpecVersion::V4) {
            let list = self.v4_device_list_event();
            self.outbox.push(list);
        }
    }

    fn ping_out(&mut self) {
        tracing::warn!(client = self.id, "client did not ping in time; stopping its devices");
        let _ = self.shared.devices.stop(Some(self.id), StopScope::EVERYTHING);
        self.ping_deadline = None;
        self.reply_error(0, Error::pinged_out());
        self.close = Some("ping timeout");
    }

    fn reply_decode_error(&mut self, error: DecodeError) {
        self.reply_error(error.id, error.to_error());
    }

    fn reply_error(&mut self, id: u32, error: Error) {
        tracing::debug!(client = self.id, id, code = ?error.code(), %error, "answering with an error");
        let text = error.text().to_owned();
        if let Some(snapshot) = self.shared.clients.update(self.id, |client| client.last_error = Some(text)) {
            self.shared.emit(EngineEvent::ClientChanged(snapshot));
        }
        self.outbox.push(error.to_message(id));
    }

    /// Sends every waiting message, one per frame (what every client accepts).
    async fn flush<S>(&mut self, sink: &mut S) -> Result<(), ()>
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        if self.outbox.is_empty() {
            return Ok(());
        }
        let count = self.outbox.len() as u64;
        for message in self.outbox.drain(..) {
            sink.feed(Message::text(frame::encode_message(&message))).await.map_err(|_| ())?;
        }
        sink.flush().await.map_err(|_| ())?;
        self.shared.clients.update(self.id, |client| client.messages_out += count);
        Ok(())
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
