//! Client mode (`--websocket-client-address`): the engine dials out to an app's websocket server
//! and serves the Buttplug protocol over that connection. Here the app is a websocket server in
//! the test that speaks raw Buttplug JSON. Checked: a toy gets the bytes the app's commands
//! ask for; a dropped connection stops what the app ran; the engine dials again and a new
//! session works; the engine stops at once while it waits to dial again; an address it cannot
//! dial is refused with a sentence that says what to give.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use plugboard_e2e::engine_process::{native_engine, EngineProcess, Program};
use plugboard_e2e::{unused_port, wait_for_level, wait_until, WAIT};
use plugboard_protocol::model::OutputType;
use plugboard_server::{ClientKind, Engine, EngineConfig, StartError};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::device_websocket::{binding, user_config, FakeLovense};

/// How long the engine may take to dial (again): its pauses grow 0.5, 1, 2, 4 s.
const DIAL: Duration = Duration::from_secs(15);

/// The app's side of one connection the engine made.
struct HostApp {
    socket: WebSocketStream<TcpStream>,
}

impl HostApp {
    /// Waits for the engine to dial `listener` and completes the websocket upgrade.
    async fn accept(listener: &TcpListener, context: impl Fn() -> String) -> HostApp {
        let (stream, _) = tokio::time::timeout(DIAL, listener.accept())
            .await
            .unwrap_or_else(|_| panic!("the engine did not dial within {DIAL:?}\n{}", context()))
            .expect("accept");
        let socket = tokio_tungstenite::accept_async(stream).await.expect("websocket upgrade");
        HostApp { socket }
    }

    /// Sends one frame and returns the answer to the message with Id `id`, passing over what
    /// the engine pushes meanwhile (device lists and other events have Id 0).
    async fn ask(&mut self, id: u32, text: &str) -> Value {
        self.socket.send(Message::text(text)).await.expect("send");
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to message {id} within {WAIT:?}"))
                .expect("the connection is open")
                .expect("a websocket message");
            let Message::Text(text) = message else { continue };
            let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
            let [message] = frame.as_array().expect("an array").as_slice() else {
                panic!("one message per frame: {frame}")
            };
            let answered =
                message.as_object().and_then(|body| body.values().next()).and_then(|body| body["Id"].as_u64());
            if answered == Some(id.into()) {
                return message.clone();
            }
        }
    }

    /// The spec v4 handshake.
    async fn handshake(&mut self, name: &str) {
        let info = self
            .ask(
                1,
                &format!(
                    r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}}}]"#
                ),
            )
            .await;
        assert_eq!(info["ServerInfo"]["ProtocolVersionMajor"], 4, "{info}");
    }

    /// The spec v3 handshake (v3 has StopAllDevices; v4 has StopCmd instead).
    async fn handshake_v3(&mut self, name: &str) {
        let request = format!(r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","MessageVersion":3}}}}]"#);
        let info = self.ask(1, &request).await;
        assert_eq!(info["ServerInfo"]["MessageVersion"], 3, "{info}");
    }

    /// Spec v3: sets the first vibrator of device `index` to `scalar` (0.0 to 1.0).
    async fn scalar(&mut self, id: u32, index: u64, scalar: f64) {
        let command = format!(
            r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{index},"Scalars":[{{"Index":0,"Scalar":{scalar},"ActuatorType":"Vibrate"}}]}}}}]"#
        );
        assert_eq!(self.ask(id, &command).await, json!({"Ok":{"Id":id}}));
    }

    /// Spec v4: sets the first feature of device `index` vibrating at `value` (hardware steps).
    async fn vibrate(&mut self, id: u32, index: u64, value: u32) {
        let command = format!(
            r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}]"#
        );
        assert_eq!(self.ask(id, &command).await, json!({"Ok":{"Id":id}}));
    }
}

/// An engine in this process that listens nowhere: it dials `app` and takes toys on its
/// device-websocket server.
async fn engine_dialling_with_toys(app: SocketAddr, own_config: std::path::PathBuf) -> Engine {
    let mut config = EngineConfig { listen: Vec::new(), ..EngineConfig::default() };
    config.websocket_client_address = Some(format!("ws://{app}"));
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.own_user_config_path = Some(own_config);
    Engine::start(config).await.expect("the engine starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_app_drives_a_toy_over_the_connection_the_engine_dials_and_a_drop_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let own = user_config(
        dir.path(),
        json!({"format": "plugboard-user-device-config", "version": 1, "websocket_devices": binding()}),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let app = listener.local_addr().unwrap();
    let engine = engine_dialling_with_toys(app, own).await;
    assert!(engine.local_addresses().is_empty(), "nothing asked it to listen: {:?}", engine.local_addresses());

    let mut host = HostApp::accept(&listener, String::new).await;
    host.handshake_v3("Host App").await;
    // One client like any other, known by the address the engine dialled.
    let clients = wait_until(
        "the host app among the clients",
        WAIT,
        async || engine.clients(),
        |clients| clients.iter().any(|client| client.name.as_deref() == Some("Host App")),
    )
    .await;
    assert_eq!(clients.len(), 1, "{clients:?}");
    assert_eq!((clients[0].kind, clients[0].peer), (ClientKind::Buttplug, Some(app)), "{clients:?}");

    assert_eq!(host.ask(2, r#"[{"StartScanning":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
    let mut toy = FakeLovense::connect(&engine, "FakeLVS", "AABBCCDDEE01").await;
    plugboard_e2e::wait_for_devices(&engine, 1).await;
    let list = host.ask(3, r#"[{"RequestDeviceList":{"Id":3}}]"#).await;
    let [device] = list["DeviceList"]["Devices"].as_array().expect("a device array").as_slice() else {
        panic!("the toy alone is listed: {list}")
    };
    assert_eq!(device["DeviceName"], "Lovense Hush", "{list}");
    let index = device["DeviceIndex"].as_u64().expect("an index");

    host.scalar(4, index, 0.5).await;
    assert_eq!(toy.next().await, "Vibrate:10;");
    assert_eq!(host.ask(5, r#"[{"StopAllDevices":{"Id":5}}]"#).await, json!({"Ok":{"Id":5}}));
    assert_eq!(toy.next().await, "Vibrate:0;");
    host.scalar(6, index, 1.0).await;
    assert_eq!(toy.next().await, "Vibrate:20;");

    // The app goes away without a Close frame while the toy runs: the toy stops.
    drop(host);
    assert_eq!(toy.next().await, "Vibrate:0;");
    plugboard_e2e::wait_for_clients(&engine, 0).await;

    // The engine dials again, and the new session drives the toy.
    let mut again = HostApp::accept(&listener, String::new).await;
    again.handshake("Host App, restarted").await;
    again.vibrate(2, index, 5).await;
    assert_eq!(toy.next().await, "Vibrate:5;");
    assert_eq!(again.ask(3, r#"[{"StopCmd":{"Id":3}}]"#).await, json!({"Ok":{"Id":3}}));
    assert_eq!(toy.next().await, "Vibrate:0;");
    again.vibrate(4, index, 6).await;
    assert_eq!(toy.next().await, "Vibrate:6;");
    let clients = plugboard_e2e::wait_for_clients(&engine, 1).await;
    assert_eq!(clients[0].name.as_deref(), Some("Host App, restarted"));

    // Stopping the engine stops the toy first.
    engine.stop().await;
    assert_eq!(toy.next().await, "Vibrate:0;");
}

/// A `plugboard-engine` process dialling `port` on this machine, with a virtual vibrator. It
/// listens too (the harness gives it --websocket-port), which client mode allows.
async fn engine_process_dialling(port: u16) -> EngineProcess {
    let args = ["--websocket-client-address", &format!("ws://127.0.0.1:{port}"), "--virtual-device", "vibrator"];
    EngineProcess::start(&Program::Native(native_engine()), &args.map(String::from)).await
}

/// The log lines of attempts that could not reach the app.
fn failed_attempts(log: &[String]) -> Vec<&String> {
    log.iter().filter(|line| line.contains("cannot reach the websocket server")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugboard_engine_dials_again_after_a_drop_and_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let app = listener.local_addr().unwrap();
    let engine = engine_process_dialling(app.port()).await;

    let mut host = HostApp::accept(&listener, || engine.context()).await;
    host.handshake("Host App").await;
    let list = host.ask(2, r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
    assert_eq!(list["DeviceList"]["Devices"]["0"]["DeviceName"], "Virtual Vibrator", "{list}");
    host.vibrate(3, 0, 10).await;
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    let clients = plugboard_e2e::wait_for_client_named(&engine, "Host App").await;
    assert_eq!(clients.peer, app);

    drop(host);
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    let mut again = HostApp::accept(&listener, || engine.context()).await;
    again.handshake("Host App, restarted").await;
    again.vibrate(2, 0, 4).await;
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 4).await;
    let log = engine.log();
    assert!(
        log.iter()
            .any(|line| line.contains("the connection to the websocket server ended") && line.contains("retry_in")),
        "the drop and the pause before dialling again are logged\n{}",
        engine.context()
    );
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_is_not_up_yet_is_dialled_until_it_is() {
    let port = unused_port();
    let engine = engine_process_dialling(port).await;
    let log = wait_until(
        "two failed attempts in the log",
        DIAL,
        async || engine.log(),
        |log| failed_attempts(log).len() >= 2,
    )
    .await;
    let failure = failed_attempts(&log)[0];
    assert!(failure.contains("cannot connect") && failure.contains("retry_in"), "says why and when next: {failure}");

    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind the port the engine dials");
    let mut host = HostApp::accept(&listener, || engine.context()).await;
    host.handshake("Late App").await;
    host.vibrate(2, 0, 7).await;
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 7).await;
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_the_engine_waits_to_dial_again_stops_it_at_once() {
    let engine = engine_process_dialling(unused_port()).await;
    // The pauses grow 0.5, 1, 2, 4 s: wait for the 4-second one to begin.
    let pause = Duration::from_secs(4);
    wait_until(
        "a failed attempt followed by a 4 s pause",
        DIAL,
        async || engine.log(),
        |log| failed_attempts(log).iter().any(|line| line.contains(r#""retry_in":"4s""#)),
    )
    .await;
    let asked = Instant::now();
    engine.stop().await;
    let took = asked.elapsed();
    assert!(took < pause / 2, "the engine took {took:?} to stop; it must not sit out its {pause:?} pause");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_cannot_be_dialled_is_refused_with_what_to_give() {
    let engine = native_engine();
    assert!(
        engine.is_file(),
        "{} is missing: build it first (cargo build -p plugboard-server --bin plugboard-engine)",
        engine.display()
    );
    for (address, expected) in [
        ("127.0.0.1:12345", "ws://HOST:PORT"),
        ("http://127.0.0.1:12345", "ws://HOST:PORT"),
        ("wss://127.0.0.1:12345", "plain ws://"),
    ] {
        let output = Command::new(&engine).args(["--websocket-client-address", address]).output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{address}: {stderr}");
        assert!(stderr.contains("--websocket-client-address") && stderr.contains(expected), "{address}: {stderr}");
        assert!(output.stdout.is_empty(), "no engine started for {address}");
    }

    // The library refuses it too, before it starts anything.
    let config =
        EngineConfig { websocket_client_address: Some("127.0.0.1:12345".to_owned()), ..EngineConfig::loopback(0) };
    match Engine::start(config).await {
        Err(error @ StartError::WebsocketClientAddress(_)) => {
            assert!(error.to_string().contains("ws://HOST:PORT"), "{error}");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("an engine started with an address it cannot dial"),
    }
}

#[test]
fn help_documents_the_flag() {
    let output = Command::new(native_engine()).arg("--help").output().expect("run plugboard-engine --help");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    assert!(help.contains("--websocket-client-address <URL>"), "{help}");
    assert!(help.contains("ws://HOST:PORT"), "{help}");
}
