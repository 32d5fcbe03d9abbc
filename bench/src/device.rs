//! A lean simulated Lovense Hush on a server's device-websocket port: it dials in, sends the
//! JSON handshake, answers `DeviceType;` and `Battery;`, and timestamps every `Vibrate:N;` it
//! receives the moment its frame is read.
//!
//! The bench announces a command before it sends it ([`SimDevice::expect`]): the level and
//! the send time. When the device reads `Vibrate:N;` it takes the oldest announced command of
//! that level (announced ones before it, never delivered, count as lost: a server may merge
//! commands that queue up) and records arrival minus send time. Frames nobody announced
//! (a server stopping the device when a client leaves) are only counted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The identifier the servers' user configs bind to the `lovense` protocol.
pub const IDENTIFIER: &str = "PlugboardBenchLVS";

struct Pending {
    level: u32,
    sent: Instant,
    /// Where to report this command's latency; `None` records it in `latencies`.
    waiter: Option<oneshot::Sender<Duration>>,
}

#[derive(Default)]
pub struct Shared {
    pending: Mutex<VecDeque<Pending>>,
    latencies: Mutex<Vec<Duration>>,
    /// Announced commands that arrived.
    pub matched: AtomicU64,
    /// Announced commands that never arrived (a later one did).
    pub lost: AtomicU64,
    /// Frames that matched nothing announced.
    pub unannounced: AtomicU64,
}

impl Shared {
    /// Announces a command whose latency goes into [`SimDevice::take_latencies`].
    pub fn expect_recorded(&self, level: u32, sent: Instant) {
        self.pending.lock().unwrap().push_back(Pending { level, sent, waiter: None });
    }

    fn arrived(&self, level: u32, at: Instant) {
        let mut pending = self.pending.lock().unwrap();
        let Some(position) = pending.iter().position(|p| p.level == level) else {
            self.unannounced.fetch_add(1, Ordering::Relaxed);
            return;
        };
        self.lost.fetch_add(position as u64, Ordering::Relaxed);
        pending.drain(..position);
        let entry = pending.pop_front().expect("found above");
        drop(pending);
        self.matched.fetch_add(1, Ordering::Relaxed);
        let latency = at.saturating_duration_since(entry.sent);
        match entry.waiter {
            Some(waiter) => {
                let _ = waiter.send(latency);
            }
            None => self.latencies.lock().unwrap().push(latency),
        }
    }
}

pub struct SimDevice {
    pub shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl SimDevice {
    /// Dials in (retrying until `deadline`: a server may open its device port after its client
    /// port) and sends the handshake.
    pub async fn connect(port: u16, address: &str, deadline: tokio::time::Instant) -> Result<SimDevice, String> {
        let socket = loop {
            match dial(port).await {
                Ok(socket) => break socket,
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(format!("the device cannot connect to the device-websocket port {port}: {error}"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        };
        let shared = Arc::new(Shared::default());
        let hello = serde_json::json!({"identifier": IDENTIFIER, "address": address, "version": 0}).to_string();
        let task = tokio::spawn(run(socket, hello, shared.clone()));
        Ok(SimDevice { shared, task })
    }

    /// Announces a command of `level` sent at `sent`; the receiver gets its latency.
    pub fn expect(&self, level: u32, sent: Instant) -> oneshot::Receiver<Duration> {
        let (waiter, receiver) = oneshot::channel();
        self.shared.pending.lock().unwrap().push_back(Pending { level, sent, waiter: Some(waiter) });
        receiver
    }

    /// Forgets what was announced and not delivered (between measurements).
    pub fn clear(&self) {
        self.shared.pending.lock().unwrap().clear();
        self.shared.latencies.lock().unwrap().clear();
    }

    pub fn pending(&self) -> usize {
        self.shared.pending.lock().unwrap().len()
    }

    pub fn take_latencies(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.shared.latencies.lock().unwrap())
    }

    pub fn connected(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for SimDevice {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Socket = WebSocketStream<TcpStream>;

async fn dial(port: u16) -> Result<Socket, String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (socket, _) = tokio_tungstenite::client_async_with_config(
        format!("ws://127.0.0.1:{port}/"),
        stream,
        Some(crate::small_reads()),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(socket)
}

async fn run(mut socket: Socket, hello: String, shared: Arc<Shared>) {
    if socket.send(Message::text(hello)).await.is_err() {
        return;
    }
    while let Some(Ok(message)) = socket.next().await {
        let at = Instant::now();
        let bytes: &[u8] = match &message {
            Message::Binary(bytes) => bytes,
            Message::Text(text) => text.as_bytes(),
            // Answer the server's liveness pings now, not with the next write.
            Message::Ping(_) => {
                let _ = socket.flush().await;
                continue;
            }
            Message::Close(_) => break,
            _ => continue,
        };
        let reply = match bytes {
            b"DeviceType;" => Some("Z:11:0082059AD3BD;"),
            b"Battery;" => Some("73;"),
            _ => None,
        };
        if let Some(reply) = reply {
            if socket.send(Message::text(reply)).await.is_err() {
                break;
            }
            continue;
        }
        match vibrate_level(bytes) {
            Some(level) => shared.arrived(level, at),
            None => {
                shared.unannounced.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// `Vibrate:12;` → 12.
fn vibrate_level(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.strip_prefix(b"Vibrate:")?.strip_suffix(b";")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_from_lovense_commands() {
        assert_eq!(vibrate_level(b"Vibrate:12;"), Some(12));
        assert_eq!(vibrate_level(b"Vibrate:0;"), Some(0));
        assert_eq!(vibrate_level(b"Vibrate1:3;"), None);
        assert_eq!(vibrate_level(b"Battery;"), None);
    }

    #[test]
    fn an_arrival_takes_the_oldest_announced_command_of_its_level() {
        let shared = Shared::default();
        let t = Instant::now();
        for level in [3, 4, 5] {
            shared.pending.lock().unwrap().push_back(Pending { level, sent: t, waiter: None });
        }
        shared.arrived(0, t); // a stop nobody announced
        assert_eq!(shared.unannounced.load(Ordering::Relaxed), 1);
        assert_eq!(shared.pending.lock().unwrap().len(), 3);
        shared.arrived(4, t); // 3 was merged away by the server
        assert_eq!(shared.lost.load(Ordering::Relaxed), 1);
        assert_eq!(shared.matched.load(Ordering::Relaxed), 1);
        assert_eq!(shared.pending.lock().unwrap().len(), 1);
        assert_eq!(shared.latencies.lock().unwrap().len(), 1);
    }
}
