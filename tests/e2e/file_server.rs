//! A small HTTP/1.1 server on loopback for the device database updates: each path answers
//! with a whole file, a file cut off in the middle of the transfer, or an error status.
//! Written on plain sockets so that it can misbehave the way a broken connection does.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a path answers.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// 200 with this body.
    File(String),
    /// 200 announcing the whole body's length, but the connection closes halfway through it.
    CutOffInTransfer(String),
    /// This status, empty body.
    Status(u16),
}

pub(crate) struct FileServer {
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl FileServer {
    pub(crate) async fn start(routes: impl IntoIterator<Item = (&'static str, Answer)>) -> FileServer {
        let routes: Arc<BTreeMap<&'static str, Answer>> = Arc::new(routes.into_iter().collect());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(answer(socket, routes.clone()));
            }
        });
        FileServer { port, task }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request head and answers it; the connection closes after every answer.
async fn answer(mut socket: TcpStream, routes: Arc<BTreeMap<&'static str, Answer>>) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let (status, body, sent) = match routes.get(path) {
        Some(Answer::File(body)) => (200, body.as_bytes(), body.len()),
        Some(Answer::CutOffInTransfer(body)) => (200, body.as_bytes(), body.len() / 2),
        Some(Answer::Status(status)) => (*status, &b""[..], 0),
        None => (404, &b""[..], 0),
    };
    let reason = if status == 200 { "OK" } else { "Error" };
    let response_head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = socket.write_all(response_head.as_bytes()).await;
    let _ = socket.write_all(&body[..sent]).await;
    let _ = socket.shutdown().await;
}

/// The built-in device database with more Lovense models, as a newer database would bring
/// them: `(type letters, name)`. The Lovense protocol identifies a toy by the letters of its
/// `DeviceType;` answer.
pub(crate) fn database_with_lovense_models(models: &[(&str, &str)]) -> String {
    let mut database: Value = serde_json::from_str(plugboard_devices::config::database::BUILTIN_DATABASE_JSON)
        .expect("the built-in database");
    let list = database["protocols"]["lovense"]["models"].as_array_mut().expect("Lovense models");
    for (letters, name) in models {
        list.push(json!({"identifiers": [letters], "name": name}));
    }
    serde_json::to_string_pretty(&database).unwrap()
}

/// A port on loopback that nothing listens on.
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
