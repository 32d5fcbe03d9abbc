//! Repeater mode (`--repeater`): every local client's websocket is forwarded, frame for frame,
//! to a remote Buttplug server and back, so a game on this machine can reach a server on
//! another (a friend's, a phone's). No Buttplug message is read or changed here; the remote
//! server runs the session.
//!
//! A client always learns why its connection ends: when the remote server cannot be reached,
//! or closes, or the connection to it is lost, the local websocket is closed with a code and a
//! reason that say so (a Close reason holds at most 123 bytes, so the details go to the log).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::error::StartError;
use crate::listener;

/// How long the remote server may take to accept the websocket before the client is told it
/// cannot be reached.
const REMOTE_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the websocket upgrade of a local client may take.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long closing one side may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A running repeater; [`Repeater::stop`] closes every forwarded connection.
pub struct Repeater {
    address: SocketAddr,
    remote: String,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Repeater {
    /// Listens on `listen` and forwards each client to `remote` (a `ws://` URL: the websocket client is built without TLS).
    pub async fn start(listen: SocketAddr, remote: String) -> Result<Repeater, StartError> {
        let listener = listener::bind(&[listen]).await?.remove(0);
        let address = listener.local_addr().map_err(|source| StartError::Bind { address: listen, source })?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, remote.clone(), shutdown_rx));
        tracing::info!(%address, %remote, "repeater listening; every client is forwarded to the remote server");
        Ok(Repeater { address, remote, shutdown, task })
    }

    /// The address games connect to, such as `ws://127.0.0.1:12345`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.address)
    }

    /// Where clients are forwarded to.
    pub fn remote(&self) -> &str {
        &self.remote
    }

    /// Closes every forwarded connection (both sides) and stops listening.
    pub async fn stop(self) {
        self.shutdown.send_replace(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(listener: TcpListener, remote: String, mut shutdown: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = crate::raised(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(forward(stream, peer, remote.clone(), shutdown.clone()));
                }
                Err(error) => tracing::warn!(%error, "repeater: accepting a connection failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    while connections.join_next().await.is_some() {}
}

/// Why a forwarded connection ended, as the local client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    /// The local client closed; the remote side is closed the same way.
    ClientClosed(Option<CloseFrame>),
    /// The remote server closed with this code and reason.
    RemoteClosed(Option<CloseFrame>),
    /// The connection to the remote server broke without a Close.
    RemoteLost,
    /// The repeater is stopping.
    Stopping,
}

async fn forward(stream: TcpStream, peer: SocketAddr, remote: String, mut shutdown: watch::Receiver<bool>) {
    let mut local = match tokio::time::timeout(UPGRADE_TIMEOUT, tokio_tungstenite::accept_async(stream)).await {
        Ok(Ok(local)) => local,
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "repeater: websocket upgrade failed");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "repeater: closed a connection that did not finish the websocket upgrade in time");
            return;
        }
    };
    let connecting = tokio::time::timeout(REMOTE_CONNECT_TIMEOUT, tokio_tungstenite::connect_async(remote.as_str()));
    let remote_socket = match connecting.await {
        Ok(Ok((socket, _response))) => socket,
        Ok(Err(error)) => {
            tracing::warn!(%peer, %remote, %error, "repeater: the remote Buttplug server cannot be reached; closing the client");
            close(&mut local, CloseCode::Again, "the remote Buttplug server cannot be reached").await;
            return;
        }
        Err(_) => {
            tracing::warn!(%peer, %remote, timeout = ?REMOTE_CONNECT_TIMEOUT, "repeater: the remote Buttplug server did not answer in time; closing the client");
            close(&mut local, CloseCode::Again, "the remote Buttplug server did not answer in time").await;
            return;
        }
    };
    tracing::info!(%peer, %remote, "repeater: client connected and forwarded");

    let (mut local_tx, mut local_rx) = local.split();
    let (mut remote_tx, mut remote_rx) = remote_socket.split();
    let end = loop {
        tokio::select! {
            _ = crate::raised(&mut shutdown) => break End::Stopping,
            incoming = local_rx.next() => match incoming {
                Some(Ok(Message::Close(frame))) => break End::ClientClosed(frame),
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    if remote_tx.send(message).await.is_err() {
                        break End::RemoteLost;
                    }
                }
                Some(Ok(_)) => {} // websocket Ping/Pong: each side's own websocket layer answers
                Some(Err(_)) | None => break End::ClientClosed(None),
            },
            incoming = remote_rx.next() => match incoming {
                Some(Ok(Message::Close(frame))) => break End::RemoteClosed(frame),
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    if local_tx.send(message).await.is_err() {
                        break End::ClientClosed(None);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break End::RemoteLost,
            },
        }
    };

    let (to_client, to_remote) = match &end {
        End::ClientClosed(frame) => (None, Some(frame.clone().unwrap_or_else(|| normal("the client disconnected")))),
        End::RemoteClosed(frame) => (Some(remote_closed(frame.as_ref())), None),
        End::RemoteLost => {
            (Some(frame(CloseCode::Error, "the connection to the remote Buttplug server was lost")), None)
        }
        End::Stopping => (
            Some(frame(CloseCode::Away, "the repeater is stopping")),
            Some(frame(CloseCode::Away, "the repeater is stopping")),
        ),
    };
    tracing::info!(%peer, %remote, ?end, "repeater: connection ended");
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        if let Some(frame) = to_client {
            let _ = local_tx.send(Message::Close(Some(frame))).await;
            let _ = local_tx.close().await;
        }
        if let Some(frame) = to_remote {
            let _ = remote_tx.send(Message::Close(Some(frame))).await;
            let _ = remote_tx.close().await;
        }
    })
    .await;
}

/// The Close a local client gets when the remote server closed: its code when a peer may send
/// it, and its reason after ours.
fn remote_closed(remote: Option<&CloseFrame>) -> CloseFrame {
    let code = remote.map(|frame| frame.code).filter(|code| code.is_allowed()).unwrap_or(CloseCode::Normal);
    let reason = match remote.map(|frame| frame.reason.as_str()).filter(|reason| !reason.is_empty()) {
        Some(reason) => format!("the remote Buttplug server closed: {reason}"),
        None => "the remote Buttplug server closed the connection".to_owned(),
    };
    CloseFrame { code, reason: truncate_reason(reason).into() }
}

fn normal(reason: &'static str) -> CloseFrame {
    frame(CloseCode::Normal, reason)
}

fn frame(code: CloseCode, reason: &'static str) -> CloseFrame {
    CloseFrame { code, reason: reason.into() }
}

/// A Close frame's reason may hold 123 bytes; longer ones are cut at a character boundary.
fn truncate_reason(mut reason: String) -> String {
    const MAX: usize = 123;
    if reason.len() > MAX {
        let mut end = MAX;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

async fn close(socket: &mut WebSocketStream<TcpStream>, code: CloseCode, reason: &'static str) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(Some(frame(code, reason)))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_close_is_passed_on_with_its_reason_after_ours() {
        let passed = remote_closed(Some(&CloseFrame { code: CloseCode::Again, reason: "server full".into() }));
        assert_eq!(passed.code, CloseCode::Again);
        assert_eq!(passed.reason.as_str(), "the remote Buttplug server closed: server full");
        let bare = remote_closed(None);
        assert_eq!(bare.code, CloseCode::Normal);
        assert_eq!(bare.reason.as_str(), "the remote Buttplug server closed the connection");
    }

    #[test]
    fn long_reasons_fit_a_close_frame() {
        let reason = truncate_reason(format!("the remote Buttplug server closed: {}", "é".repeat(100)));
        assert!(reason.len() <= 123 && reason.starts_with("the remote"), "{reason}");
    }
}
