//! A raw-JSON spec v4 client: one message per frame, replies matched to requests by Id, every
//! wait bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a request may wait for its reply.
const REPLY: Duration = Duration::from_secs(3);

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub struct Client {
    sink: SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>,
    pending: Pending,
    next_id: u64,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Client {
    /// Connects and completes the spec v4 handshake.
    pub async fn connect(port: u16) -> Result<Client, String> {
        let url = format!("ws://127.0.0.1:{port}");
        let (socket, _) = tokio::time::timeout(REPLY, tokio_tungstenite::connect_async(url.as_str()))
            .await
            .map_err(|_| "the client could not connect in time".to_owned())?
            .map_err(|e| format!("the client could not connect: {e}"))?;
        let (sink, mut stream) = socket.split();
        let pending: Pending = Arc::default();
        let replies = pending.clone();
        // Messages with Id 0 (DeviceList updates, ScanningFinished) are not needed: the run
        // polls RequestDeviceList instead, which works the same on both servers.
        let reader = tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else { continue };
                let Ok(Value::Array(messages)) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                for message in messages {
                    let id = message.as_object().and_then(|m| m.values().next()).and_then(|body| body["Id"].as_u64());
                    if let Some(waiter) = id.and_then(|id| replies.lock().unwrap().remove(&id)) {
                        let _ = waiter.send(message);
                    }
                }
            }
        });
        let mut client = Client { sink, pending, next_id: 1, reader };
        let info = client
            .ask(
                "RequestServerInfo",
                json!({"ClientName": "plugboard-differential", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}),
            )
            .await?;
        if info.get("ServerInfo").is_none() {
            return Err(format!("handshake refused: {info}"));
        }
        Ok(client)
    }

    /// Closes the connection as a client that leaves does: a websocket Close, then the socket.
    pub async fn disconnect(mut self) {
        let _ = tokio::time::timeout(REPLY, self.sink.send(Message::Close(None))).await;
        let _ = tokio::time::timeout(REPLY, self.sink.close()).await;
    }

    /// Sends `{name: body + Id}` and returns the reply with that Id.
    pub async fn ask(&mut self, name: &str, mut body: Value) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        body["Id"] = json!(id);
        let (sender, receiver) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, sender);
        let frame = json!([{ name: body }]).to_string();
        tokio::time::timeout(REPLY, self.sink.send(Message::text(frame)))
            .await
            .map_err(|_| format!("{name}: could not send in time"))?
            .map_err(|e| format!("{name}: {e}"))?;
        match tokio::time::timeout(REPLY, receiver).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(format!("{name}: the connection closed")),
            Err(_) => {
                self.pending.lock().unwrap().remove(&id);
                Err(format!("{name}: no reply within {REPLY:?}"))
            }
        }
    }
}
