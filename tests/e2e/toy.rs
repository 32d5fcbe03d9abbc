//! A simulated Lovense that dials into the device-websocket server, scriptable for the fault
//! and soak tests: what it answers (or garbage), raw frames sent on demand, vanishing without a
//! Close frame, and every command it received.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use plugboard_server::Engine;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Dials into `engine`'s device-websocket server as a toy and says hello: the identifier the
/// engine matches against its device config, and the address it remembers the toy by.
pub(crate) async fn dial(engine: &Engine, identifier: &str, address: &str) -> Socket {
    let port = engine.device_websocket_address().expect("device-websocket server runs").port();
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}")).await.expect("the toy connects");
    let hello = json!({"identifier": identifier, "address": address, "version": 0}).to_string();
    socket.send(Message::text(hello)).await.expect("the toy says hello");
    socket
}

/// What the toy answers to a query.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    Text(&'static str),
    Binary(Vec<u8>),
    /// A level the test changes as it goes (a battery that drains), answered as `NN;`.
    Level(std::sync::Arc<std::sync::atomic::AtomicU8>),
}

/// How the toy behaves.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub device_type: Reply,
    pub battery: Reply,
    /// Drop the connection (no Close frame) this long after answering `DeviceType;`.
    pub vanish_after_identify: Option<Duration>,
}

impl Script {
    /// A Lovense Hush: `Z:11:...` and a battery at 73 %.
    pub(crate) fn hush() -> Script {
        Script {
            device_type: Reply::Text("Z:11:0082059AD3BD;"),
            battery: Reply::Text("73;"),
            vanish_after_identify: None,
        }
    }
}

pub(crate) struct Toy {
    received: mpsc::UnboundedReceiver<String>,
    outgoing: mpsc::UnboundedSender<Message>,
    /// Becomes true once the engine asks the toy to identify itself (`DeviceType;`).
    asked_to_identify: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Toy {
    /// Connects to the device-websocket server on `port` and says hello.
    pub(crate) async fn connect(port: u16, identifier: &str, address: &str, script: Script) -> Toy {
        let (socket, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}")).await.expect("the toy connects");
        let hello = json!({"identifier": identifier, "address": address, "version": 0}).to_string();
        let (sender, received) = mpsc::unbounded_channel();
        let (outgoing, to_send) = mpsc::unbounded_channel();
        let (asked, asked_to_identify) = watch::channel(false);
        let task = tokio::spawn(run(socket, hello, script, sender, to_send, asked));
        Toy { received, outgoing, asked_to_identify, task }
    }

    /// Waits until the engine took the toy on (asked it to identify itself: true) or turned it
    /// away (ended its link first: false); panics after `wait`.
    pub(crate) async fn taken_on(&mut self, wait: Duration) -> bool {
        let answer = self.asked_to_identify.wait_for(|&asked| asked);
        // The link's task holds the sender: an error means it ended before being asked.
        tokio::time::timeout(wait, answer).await.expect("the engine took the toy on or turned it away in time").is_ok()
    }

    /// The next command the toy received (queries it answers are not commands).
    pub(crate) async fn next(&mut self, wait: Duration) -> String {
        tokio::time::timeout(wait, self.received.recv())
            .await
            .expect("the toy got a command in time")
            .expect("the toy's link is still open")
    }

    /// Every command received so far, without waiting.
    pub(crate) fn drain(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.received.try_recv().ok()).collect()
    }

    /// Sends a raw frame to the server.
    pub(crate) fn send(&self, message: Message) {
        let _ = self.outgoing.send(message);
    }

    /// Waits until the server ended the link (true) or `wait` passed (false).
    pub(crate) async fn closed_by_server(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, async { while self.received.recv().await.is_some() {} }).await.is_ok()
    }

    /// The link is still up.
    pub(crate) fn is_connected(&self) -> bool {
        !self.task.is_finished()
    }

    /// The toy vanishes: its TCP connection ends without a websocket Close frame.
    pub(crate) fn vanish(self) {
        self.task.abort();
    }

    /// The toy says goodbye properly (Close frame) and waits for the server's.
    pub(crate) async fn close(self) {
        let _ = self.outgoing.send(Message::Close(None));
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

async fn run(
    mut socket: Socket,
    hello: String,
    script: Script,
    commands: mpsc::UnboundedSender<String>,
    mut to_send: mpsc::UnboundedReceiver<Message>,
    asked_to_identify: watch::Sender<bool>,
) {
    if socket.send(Message::text(hello)).await.is_err() {
        return;
    }
    loop {
        let message = tokio::select! {
            outgoing = to_send.recv() => {
                let Some(message) = outgoing else { return };
                let closing = matches!(message, Message::Close(_));
                if socket.send(message).await.is_err() {
                    return;
                }
                if closing {
                    // Read until the server's Close arrives or the link ends.
                    while let Some(Ok(_)) = socket.next().await {}
                    return;
                }
                continue;
            }
            incoming = socket.next() => match incoming {
                Some(Ok(message)) => message,
                _ => return,
            },
        };
        let Message::Binary(bytes) = message else { continue };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let reply = match text.as_str() {
            "DeviceType;" => {
                asked_to_identify.send_replace(true);
                &script.device_type
            }
            "Battery;" => &script.battery,
            _ => {
                let _ = commands.send(text);
                continue;
            }
        };
        let sent = match reply {
            Reply::Text(text) => socket.send(Message::text(*text)).await,
            Reply::Binary(bytes) => socket.send(Message::binary(bytes.clone())).await,
            Reply::Level(level) => {
                let level = level.load(std::sync::atomic::Ordering::SeqCst);
                socket.send(Message::text(format!("{level};"))).await
            }
        };
        if sent.is_err() {
            return;
        }
        if let (Some(delay), "DeviceType;") = (script.vanish_after_identify, text.as_str()) {
            // The script's timing: how long after identifying the toy vanishes.
            tokio::time::sleep(delay).await;
            return; // the socket is dropped: no Close frame
        }
    }
}
