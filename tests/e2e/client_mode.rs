//! `--websocket-client-address`: the engine dials out to an app's websocket server and serves
//! the Buttplug protocol over that connection. Here the app is a websocket server in the test
//! that speaks raw Buttplug JSON: handshake, device list, a command reaching a virtual device,
//! then a dropped connection, after which the engine stops what that app set and dials again.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use plugboard_e2e::engine_process::{native_engine, EngineProcess, Program};
use plugboard_e2e::{unused_port, wait_for_level, wait_until, EngineUnderTest, WAIT};
use plugboard_protocol::model::OutputType;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// How long the engine may take to dial (again): its first pauses are 0.5, 1 and 2 s.
const DIAL: Duration = Duration::from_secs(15);

/// The app's side of one connection the engine made.
struct Host {
    socket: WebSocketStream<TcpStream>,
}

impl Host {
    /// Waits for the engine to dial `listener` and completes the websocket upgrade.
    async fn accept(listener: &TcpListener, engine: &EngineProcess) -> Host {
        let (stream, _) = tokio::time::timeout(DIAL, listener.accept())
            .await
            .unwrap_or_else(|_| panic!("the engine did not dial within {DIAL:?}\n{}", engine.context()))
            .expect("accept");
        let socket = tokio_tungstenite::accept_async(stream).await.expect("websocket upgrade");
        Host { socket }
    }

    /// Sends one frame and returns the one message of the next frame.
    async fn ask(&mut self, text: &str) -> Value {
        self.socket.send(Message::text(text)).await.expect("send");
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("an answer in time")
                .expect("the connection is open")
                .expect("a websocket message");
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
                return frame.as_array().and_then(|messages| messages.first()).cloned().expect("a message");
            }
        }
    }

    async fn handshake(&mut self, name: &str) {
        let info = self
            .ask(&format!(
                r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}}}]"#
            ))
            .await;
        assert_eq!(info["ServerInfo"]["Id"], 1, "{info}");
        assert_eq!(info["ServerInfo"]["ProtocolVersionMajor"], 4, "{info}");
    }
}

async fn engine_dialling(port: u16) -> EngineProcess {
    EngineProcess::start(
        &Program::Native(native_engine()),
        &["--websocket-client-address", &format!("ws://127.0.0.1:{port}"), "--virtual-device", "vibrator"].map(String::from),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_serves_buttplug_over_the_connection_it_dials_and_dials_again_after_a_drop() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().unwrap().port();
    let engine = engine_dialling(port).await;

    let mut host = Host::accept(&listener, &engine).await;
    host.handshake("Host App").await;
    let list = host.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
    let devices = &list["DeviceList"]["Devices"];
    assert_eq!(devices["0"]["DeviceName"], "Virtual Vibrator", "{list}");
    let ok = host
        .ask(r#"[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#)
        .await;
    assert_eq!(ok["Ok"]["Id"], 3, "{ok}");
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    let client = wait_until("the host app among the clients", WAIT, async || engine.clients(), |clients| {
        clients.iter().any(|client| client.name.as_deref() == Some("Host App"))
    })
    .await;
    assert_eq!(client.len(), 1, "{client:?}");

    // The app goes away without a Close: what it set stops, and the engine dials again.
    drop(host);
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    let mut again = Host::accept(&listener, &engine).await;
    again.handshake("Host App, restarted").await;
    let ok = again
        .ask(r#"[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":4}}}}]"#)
        .await;
    assert_eq!(ok["Ok"]["Id"], 2, "{ok}");
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 4).await;
    assert!(
        engine.log().iter().any(|line| line.contains("dialling again") && line.contains("retry_in")),
        "the drop and the pause are logged\n{}",
        engine.context()
    );
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_is_not_up_yet_is_dialled_until_it_is() {
    let port = unused_port();
    let engine = engine_dialling(port).await;
    let failures = |log: &Vec<String>| log.iter().filter(|line| line.contains("cannot reach the websocket server")).count();
    wait_until("two failed attempts in the log", DIAL, async || engine.log(), |log| failures(log) >= 2).await;

    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind the port the engine dials");
    let mut host = Host::accept(&listener, &engine).await;
    host.handshake("Late App").await;
    engine.stop().await;
}
