//! `floor-relay`: the least work any server could do for the bench's traffic, so the report
//! can say how close a real server is to the limit of this machine, websocket library and
//! load generator.
//!
//! It accepts clients and simulated devices on the same ports and flags as the engines
//! (`--websocket-port`, `--device-websocket-server-port`; other flags are ignored), takes every
//! device that dials in as a Lovense Hush (no identification, no config), and per client frame
//! looks only for what it needs: `OutputCmd` → the `Value`, `ScalarCmd` → `ceil(20 × Scalar)`,
//! then writes `Vibrate:<n>;` to the device and answers `Ok`. The handshake and device list
//! are answered minimally, in v3 or v4 shape; everything else gets `Ok`. No JSON parser, no
//! validation, no per-device task, no deduplication, one message per frame, an 8 KiB websocket
//! read buffer. Not a server to use.

use std::sync::{Arc, RwLock};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;
type Devices = Arc<RwLock<Vec<Arc<Mutex<Sink>>>>>;

fn main() {
    let mut port = 12345u16;
    let mut device_port = 54817u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--websocket-port" => port = args.next().and_then(|v| v.parse().ok()).expect("--websocket-port N"),
            "--device-websocket-server-port" => {
                device_port = args.next().and_then(|v| v.parse().ok()).expect("--device-websocket-server-port N")
            }
            "--user-device-config-file" | "--log" | "--server-name" => {
                args.next();
            }
            "--version" => {
                println!("floor-relay {}", env!("CARGO_PKG_VERSION"));
                return;
            }
            _ => {}
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        let devices: Devices = Arc::default();
        let device_listener = TcpListener::bind(("127.0.0.1", device_port)).await.expect("device port");
        let client_listener = TcpListener::bind(("127.0.0.1", port)).await.expect("client port");
        let for_devices = devices.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = device_listener.accept().await {
                tokio::spawn(device(stream, for_devices.clone()));
            }
        });
        while let Ok((stream, _)) = client_listener.accept().await {
            tokio::spawn(client(stream, devices.clone()));
        }
    });
}

/// A device: its first text frame is the handshake; it then gets the next index.
async fn device(stream: TcpStream, devices: Devices) {
    let _ = stream.set_nodelay(true);
    let Ok(socket) = tokio_tungstenite::accept_async_with_config(stream, Some(small_reads())).await else { return };
    let (sink, mut stream) = socket.split();
    match stream.next().await {
        Some(Ok(Message::Text(_))) => {}
        _ => return,
    }
    devices.write().unwrap().push(Arc::new(Mutex::new(sink)));
    // Read (and drop) what the device says, so its socket keeps flowing.
    while let Some(Ok(_)) = stream.next().await {}
}

async fn client(stream: TcpStream, devices: Devices) {
    let _ = stream.set_nodelay(true);
    let Ok(mut socket) = tokio_tungstenite::accept_async_with_config(stream, Some(small_reads())).await else { return };
    let mut v4 = true;
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        let text = text.as_str();
        let id = number_after(text, "\"Id\":").unwrap_or(0.0) as u64;
        let level = if text.contains("\"OutputCmd\"") {
            number_after(text, "\"Value\":").map(|v| v as i64)
        } else if text.contains("\"ScalarCmd\"") {
            number_after(text, "\"Scalar\":").map(|s| (s * 20.0).ceil() as i64)
        } else {
            None
        };
        let reply = if let Some(level) = level {
            let index = number_after(text, "\"DeviceIndex\":").unwrap_or(-1.0);
            let sink = (index >= 0.0).then(|| devices.read().unwrap().get(index as usize).cloned()).flatten();
            match sink {
                Some(sink) => {
                    let _ = sink.lock().await.send(Message::binary(format!("Vibrate:{level};").into_bytes())).await;
                    ok(id)
                }
                None => format!(r#"[{{"Error":{{"Id":{id},"ErrorCode":4,"ErrorMessage":"no such device"}}}}]"#),
            }
        } else if text.contains("\"RequestServerInfo\"") {
            v4 = text.contains("ProtocolVersionMajor");
            if v4 {
                format!(
                    r#"[{{"ServerInfo":{{"Id":{id},"MaxPingTime":0,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"ServerName":"floor"}}}}]"#
                )
            } else {
                format!(r#"[{{"ServerInfo":{{"Id":{id},"MaxPingTime":0,"MessageVersion":3,"ServerName":"floor"}}}}]"#)
            }
        } else if text.contains("\"RequestDeviceList\"") {
            device_list(id, devices.read().unwrap().len(), v4)
        } else {
            ok(id)
        };
        if socket.send(Message::text(reply)).await.is_err() {
            break;
        }
    }
}

/// tungstenite zero-fills its whole read buffer (128 KiB by default) before every read, even one
/// that finds nothing; a small buffer is the cheapest setting any server could choose.
fn small_reads() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(8 * 1024)
}

fn ok(id: u64) -> String {
    format!(r#"[{{"Ok":{{"Id":{id}}}}}]"#)
}

fn device_list(id: u64, count: usize, v4: bool) -> String {
    let entries: Vec<String> = (0..count)
        .map(|i| {
            if v4 {
                format!(
                    r#""{i}":{{"DeviceName":"Lovense Hush","DeviceIndex":{i},"DeviceMessageTimingGap":0,"DeviceFeatures":{{"0":{{"FeatureDescription":"Vibrator","FeatureIndex":0,"Output":{{"Vibrate":{{"Value":[0,20]}}}}}}}}}}"#
                )
            } else {
                format!(
                    r#"{{"DeviceName":"Lovense Hush","DeviceIndex":{i},"DeviceMessageTimingGap":0,"DeviceMessages":{{"ScalarCmd":[{{"FeatureDescriptor":"Vibrator","ActuatorType":"Vibrate","StepCount":20}}],"StopDeviceCmd":{{}}}}}}"#
                )
            }
        })
        .collect();
    if v4 {
        format!(r#"[{{"DeviceList":{{"Id":{id},"Devices":{{{}}}}}}}]"#, entries.join(","))
    } else {
        format!(r#"[{{"DeviceList":{{"Id":{id},"Devices":[{}]}}}}]"#, entries.join(","))
    }
}

/// The number right after the first `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<f64> {
    let rest = text[text.find(key)? + key.len()..].trim_start();
    let end =
        rest.find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_found_after_their_keys() {
        let v3 = r#"[{"ScalarCmd":{"Id":17,"DeviceIndex":3,"Scalars":[{"Index":0,"Scalar":0.475,"ActuatorType":"Vibrate"}]}}]"#;
        assert_eq!(number_after(v3, "\"Id\":"), Some(17.0));
        assert_eq!(number_after(v3, "\"DeviceIndex\":"), Some(3.0));
        assert_eq!((number_after(v3, "\"Scalar\":").unwrap() * 20.0).ceil(), 10.0);
        let v4 = r#"[{"OutputCmd":{"Id":9,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":12}}}}]"#;
        assert_eq!(number_after(v4, "\"Value\":"), Some(12.0));
        assert_eq!(number_after(v4, "\"Nope\":"), None);
    }

    #[test]
    fn device_lists_are_json() {
        for v4 in [false, true] {
            let list: serde_json::Value = serde_json::from_str(&device_list(5, 3, v4)).unwrap();
            assert_eq!(list[0]["DeviceList"]["Id"], 5);
        }
    }
}
