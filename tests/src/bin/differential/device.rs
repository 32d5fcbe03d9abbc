//! The simulated device: dials in to a server's device-websocket port, announces an
//! identifier, answers the few queries it knows, and records every other frame it receives,
//! labelled with the step of the run that was current when it arrived.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// Queries a device must answer during identify/init, by the exact bytes received, with the
/// answer a real device would give. Recorded like any other write.
const REPLIES: &[(&[u8], &str)] = &[
    // Lovense: model query (a Hush, type Z, firmware 11) and battery.
    (b"DeviceType;", "Z:11:0082059AD3BD;"),
    (b"Battery;", "73;"),
];

/// One frame the device received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The step of the run when it arrived (`init`, or the command just sent).
    pub step: String,
    pub bytes: Vec<u8>,
    /// When it arrived (keepalive repeats are told apart by their timing).
    pub at: Instant,
}

/// Bytes as a quoted string when they are printable text, else as hex.
pub fn show(bytes: &[u8]) -> String {
    let text = bytes.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\n' || *b == b'\r');
    if text && !bytes.is_empty() {
        format!("{:?}", String::from_utf8_lossy(bytes))
    } else {
        bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
    }
}

/// Shared between the run (which sets the step before each command) and the device.
#[derive(Clone, Default)]
pub struct Recorder {
    step: Arc<Mutex<String>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Recorder {
    pub fn new() -> Recorder {
        let recorder = Recorder::default();
        recorder.set_step("init");
        recorder
    }

    pub fn set_step(&self, step: &str) {
        *self.step.lock().unwrap() = step.to_owned();
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn record(&self, bytes: Vec<u8>) {
        let at = Instant::now();
        let step = self.step.lock().unwrap().clone();
        self.received.lock().unwrap().push(Received { step, bytes, at });
    }
}

/// A connected simulated device; its socket task ends when this is dropped.
pub struct Device {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Device {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Device {
    /// Connects to `port` (retrying for a few seconds: the device port may open after the
    /// client port) and announces `identifier` at `address`.
    pub async fn connect(port: u16, identifier: &str, address: &str, recorder: Recorder) -> Result<Device, String> {
        let url = format!("ws://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut socket = loop {
            match tokio::time::timeout(Duration::from_secs(2), tokio_tungstenite::connect_async(url.as_str())).await {
                Ok(Ok((socket, _))) => break socket,
                Ok(Err(error)) if tokio::time::Instant::now() >= deadline => {
                    return Err(format!("the device cannot connect to the device-websocket port: {error}"))
                }
                Err(_) if tokio::time::Instant::now() >= deadline => {
                    return Err("the device-websocket port does not answer".to_owned())
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let hello = json!({"identifier": identifier, "address": address, "version": 0}).to_string();
        tokio::time::timeout(Duration::from_secs(2), socket.send(Message::text(hello)))
            .await
            .map_err(|_| "the device could not announce itself in time".to_owned())?
            .map_err(|e| format!("the device could not announce itself: {e}"))?;
        let task = tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let bytes = match message {
                    Message::Binary(bytes) => bytes.to_vec(),
                    Message::Text(text) => text.as_bytes().to_vec(),
                    Message::Close(_) => break,
                    _ => continue, // pings are answered by the socket itself
                };
                let reply = REPLIES.iter().find(|(query, _)| *query == bytes.as_slice()).map(|(_, reply)| *reply);
                recorder.record(bytes);
                if let Some(reply) = reply {
                    if socket.send(Message::text(reply)).await.is_err() {
                        break;
                    }
                }
            }
        });
        Ok(Device { task })
    }
}
