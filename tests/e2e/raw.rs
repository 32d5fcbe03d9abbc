//! Raw JSON conversations over a real websocket: the shapes and behaviours the official
//! clients rely on, checked byte for byte where the protocol fixes them.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::{wait_for_clients, wait_for_level};
use plugboard_protocol::model::OutputType;
use plugboard_protocol::SpecVersion;
use plugboard_server::{Engine, EngineConfig};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) use plugboard_e2e::WAIT;

pub(crate) struct Raw {
    pub(crate) socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The rest of a frame that held several messages, to be returned one by one.
    pending: std::collections::VecDeque<Value>,
}

impl Raw {
    pub(crate) async fn connect(engine: &Engine) -> Raw {
        Raw::connect_to(engine.port()).await
    }

    pub(crate) async fn connect_to(port: u16) -> Raw {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}")).await.expect("connect");
        Raw::over(socket)
    }

    pub(crate) fn over(socket: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Raw {
        Raw { socket, pending: Default::default() }
    }

    pub(crate) async fn send(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.expect("send");
    }

    /// The next message, however long it takes (the caller bounds the wait). The server sends
    /// one message per frame, except a run of the same Error (messages over the rate limit),
    /// which shares one frame: those are returned one by one.
    pub(crate) async fn recv_patiently(&mut self) -> Value {
        if let Some(message) = self.pending.pop_front() {
            return message;
        }
        loop {
            let message = self.socket.next().await.expect("open").expect("ok");
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
                let array = frame.as_array().expect("an array");
                assert!(!array.is_empty(), "an empty frame");
                if array.len() > 1 {
                    let text_of = |message: &Value| message.pointer("/Error/ErrorMessage").cloned();
                    let first = text_of(&array[0]);
                    assert!(
                        first.is_some() && array.iter().all(|message| text_of(message) == first),
                        "one message per frame, or a run of the same Error: {frame}"
                    );
                }
                self.pending.extend(array[1..].iter().cloned());
                return array[0].clone();
            }
        }
    }

    /// The next message, as the one element of its frame, within [`WAIT`].
    pub(crate) async fn recv(&mut self) -> Value {
        tokio::time::timeout(WAIT, self.recv_patiently()).await.expect("a reply in time")
    }

    pub(crate) async fn ask(&mut self, text: &str) -> Value {
        self.send(text).await;
        self.recv().await
    }

    /// A client speaking spec v4, named `name`, that has shaken hands with the server on
    /// `port` (message Id 1).
    pub(crate) async fn v4_client(port: u16, name: &str) -> Raw {
        let mut client = Raw::connect_to(port).await;
        let hello = json!([{"RequestServerInfo": {"Id": 1, "ClientName": name,
                                                  "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}]);
        let info = client.ask(&hello.to_string()).await;
        assert!(info.get("ServerInfo").is_some(), "a v4 handshake: {info}");
        client
    }

    /// A game speaking spec v4, named `name`, connected to the server on `port`: it has shaken
    /// hands and asked for the device list (message Id 2), which is returned with it.
    pub(crate) async fn v4_game(port: u16, name: &str) -> (Raw, Value) {
        let mut game = Raw::v4_client(port, name).await;
        let list = game.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
        (game, list)
    }

    /// Waits for the server's Close frame (or the end of the stream).
    pub(crate) async fn closed(&mut self) -> bool {
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await {
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }
}

/// The DeviceIndex of the device named `name` in a spec v4 DeviceList (its Devices are an object
/// keyed by index); panics, showing the list, when no device has that name.
pub(crate) fn device_index(list: &Value, name: &str) -> Value {
    let devices = list["DeviceList"]["Devices"].as_object();
    let device = devices.and_then(|devices| devices.values().find(|device| device["DeviceName"] == name));
    device.map(|device| device["DeviceIndex"].clone()).unwrap_or_else(|| panic!("no device named {name} in {list}"))
}

async fn engine_with(kinds: &[VirtualKind], tweak: impl FnOnce(&mut EngineConfig)) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices = kinds.iter().map(|k| VirtualDeviceSpec::new(*k)).collect();
    tweak(&mut config);
    Engine::start(config).await.expect("engine starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v0_conversation() {
    let engine = engine_with(&[VirtualKind::DualVibrator, VirtualKind::Rotator], |_| {}).await;
    let mut client = Raw::connect(&engine).await;
    let info = client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"old"}}]"#).await;
    assert_eq!(
        info,
        json!({"ServerInfo":{"BuildVersion":0,"Id":1,"MajorVersion":0,"MaxPingTime":0,"MessageVersion":0,"MinorVersion":0,"ServerName":"Plugboard"}})
    );
    let list = client.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
    assert_eq!(
        list,
        json!({"DeviceList":{"Id":2,"Devices":[
            {"DeviceIndex":0,"DeviceName":"Virtual Dual Vibrator","DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"]},
            {"DeviceIndex":1,"DeviceName":"Virtual Rotator","DeviceMessages":["StopDeviceCmd","VorzeA10CycloneCmd"]}]}})
    );
    assert_eq!(
        client.ask(r#"[{"SingleMotorVibrateCmd":{"Id":3,"DeviceIndex":0,"Speed":0.5}}]"#).await,
        json!({"Ok":{"Id":3}})
    );
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    wait_for_level(&engine, 0, 1, OutputType::Vibrate, 10).await;
    assert_eq!(
        client.ask(r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":1,"Speed":99,"Clockwise":false}}]"#).await,
        json!({"Ok":{"Id":4}})
    );
    wait_for_level(&engine, 1, 0, OutputType::Rotate, -20).await;
    assert_eq!(client.ask(r#"[{"StopAllDevices":{"Id":5}}]"#).await, json!({"Ok":{"Id":5}}));
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    wait_for_level(&engine, 1, 0, OutputType::Rotate, 0).await;
    let clients = engine.clients();
    assert_eq!((clients[0].name.as_deref(), clients[0].spec_version), (Some("old"), Some(SpecVersion::V0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_conversation() {
    let engine = engine_with(&[VirtualKind::DualVibrator, VirtualKind::LovenseMax], |_| {}).await;
    let mut client = Raw::connect(&engine).await;
    let info = client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"two","MessageVersion":2}}]"#).await;
    assert_eq!(info, json!({"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":2,"ServerName":"Plugboard"}}));
    let list = client.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
    assert_eq!(
        list,
        json!({"DeviceList":{"Id":2,"Devices":[
            {"DeviceIndex":0,"DeviceName":"Virtual Dual Vibrator","DeviceMessages":{"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2,"StepCount":[20,20]}}},
            {"DeviceIndex":1,"DeviceName":"Virtual Lovense Max","DeviceMessages":{"BatteryLevelCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[20]}}}]}})
    );
    let vibrate =
        r#"[{"VibrateCmd":{"Id":3,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.25},{"Index":1,"Speed":1.0}]}}]"#;
    assert_eq!(client.ask(vibrate).await, json!({"Ok":{"Id":3}}));
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 5).await;
    wait_for_level(&engine, 0, 1, OutputType::Vibrate, 20).await;
    assert_eq!(
        client.ask(r#"[{"BatteryLevelCmd":{"Id":4,"DeviceIndex":1}}]"#).await,
        json!({"BatteryLevelReading":{"Id":4,"DeviceIndex":1,"BatteryLevel":0.8}})
    );
    assert_eq!(client.ask(r#"[{"StopAllDevices":{"Id":5}}]"#).await, json!({"Ok":{"Id":5}}));
    wait_for_level(&engine, 0, 1, OutputType::Vibrate, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_newer_than_the_server_is_refused_then_closed() {
    let engine = engine_with(&[], |_| {}).await;
    for handshake in [
        r#"[{"RequestServerInfo":{"Id":7,"ClientName":"future","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#,
        r#"[{"RequestServerInfo":{"Id":7,"ClientName":"future","MessageVersion":9}}]"#,
        // A newer client may carry fields this server does not know.
        r#"[{"RequestServerInfo":{"Id":7,"ClientName":"future","ProtocolVersionMajor":6,"ProtocolVersionMinor":1,"Features":[]}}]"#,
    ] {
        let mut client = Raw::connect(&engine).await;
        let error = client.ask(handshake).await;
        assert_eq!(error["Error"]["Id"], 7, "{error}");
        assert_eq!(error["Error"]["ErrorCode"], 1, "{error}");
        assert!(error["Error"]["ErrorMessage"].as_str().unwrap().contains("v0 to v4"), "{error}");
        assert!(client.closed().await, "the server closes the socket");
    }
    // --max-spec-version makes v3 "newer than the server".
    let old_server = engine_with(&[], |c| c.max_spec_version = SpecVersion::V2).await;
    let mut client = Raw::connect(&old_server).await;
    let error = client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":3}}]"#).await;
    assert_eq!(error["Error"]["ErrorCode"], 1);
    assert!(error["Error"]["ErrorMessage"].as_str().unwrap().contains("v0 to v2"), "{error}");
    assert!(client.closed().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_before_the_handshake_get_error_code_1_and_the_session_goes_on() {
    let engine = engine_with(&[VirtualKind::Vibrator], |_| {}).await;
    let mut client = Raw::connect(&engine).await;
    for (frame, id) in [(r#"[{"Ping":{"Id":3}}]"#, 3), (r#"[{"RequestDeviceList":{"Id":4}}]"#, 4)] {
        let error = client.ask(frame).await;
        assert_eq!(
            (error["Error"]["Id"].as_u64(), error["Error"]["ErrorCode"].as_u64()),
            (Some(id), Some(1)),
            "{error}"
        );
    }
    let info = client.ask(r#"[{"RequestServerInfo":{"Id":5,"ClientName":"late","MessageVersion":3}}]"#).await;
    assert_eq!(info["ServerInfo"]["MessageVersion"], 3);
    let again = client.ask(r#"[{"RequestServerInfo":{"Id":6,"ClientName":"late","MessageVersion":3}}]"#).await;
    assert_eq!((again["Error"]["Id"].as_u64(), again["Error"]["ErrorCode"].as_u64()), (Some(6), Some(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_answered_and_the_session_stays_usable() {
    let engine = engine_with(&[VirtualKind::Vibrator], |_| {}).await;
    let mut client = Raw::connect(&engine).await;
    client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":3}}]"#).await;
    for (frame, id, code) in [
        ("this is not json", 0, 3),
        (r#"{"Ping":{"Id":2}}"#, 0, 3),
        ("[]", 0, 3),
        (r#"[{"Frobnicate":{"Id":3}}]"#, 3, 3),
        (r#"[{"OutputCmd":{"Id":4,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}}]"#, 4, 3),
        (r#"[{"Ping":{"Id":5,"Extra":true}}]"#, 5, 3),
        (r#"[{"Ping":{"Id":0}}]"#, 0, 3),
        (
            r#"[{"ScalarCmd":{"Id":6,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.5,"ActuatorType":"Vibrate"}]}}]"#,
            6,
            3,
        ),
        (
            r#"[{"ScalarCmd":{"Id":7,"DeviceIndex":9,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            7,
            4,
        ),
        (
            r#"[{"ScalarCmd":{"Id":8,"DeviceIndex":0,"Scalars":[{"Index":4,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            8,
            4,
        ),
    ] {
        let error = client.ask(frame).await;
        assert_eq!(error["Error"]["Id"], id, "{frame}: {error}");
        assert_eq!(error["Error"]["ErrorCode"], code, "{frame}: {error}");
    }
    client.socket.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(client.recv().await["Error"]["ErrorCode"], 3);
    // Several messages in one frame, one bad: each answered, in order.
    client.send(r#"[{"Ping":{"Id":10}},{"Nope":{"Id":11}},{"ScalarCmd":{"Id":12,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#).await;
    assert_eq!(client.recv().await, json!({"Ok":{"Id":10}}));
    assert_eq!(client.recv().await["Error"]["Id"], 11);
    assert_eq!(client.recv().await, json!({"Ok":{"Id":12}}));
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    assert!(engine.clients()[0].last_error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_versions_at_once_and_an_abrupt_drop_stops_only_its_own_outputs() {
    let engine = engine_with(&[VirtualKind::Vibrator, VirtualKind::DualVibrator, VirtualKind::Rotator], |_| {}).await;
    let mut v1 = Raw::connect(&engine).await;
    let mut v3 = Raw::connect(&engine).await;
    let mut v4 = Raw::connect(&engine).await;
    v1.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"one","MessageVersion":1}}]"#).await;
    v3.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"three","MessageVersion":3}}]"#).await;
    v4.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"four","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#)
        .await;
    let mut versions: Vec<_> =
        engine.clients().into_iter().map(|c| (c.name.unwrap(), c.spec_version.unwrap())).collect();
    versions.sort();
    assert_eq!(
        versions,
        vec![("four".into(), SpecVersion::V4), ("one".into(), SpecVersion::V1), ("three".into(), SpecVersion::V3)]
    );

    // v1 drives the vibrator; v3 and v4 share the dual vibrator; v4 also drives the rotator.
    assert_eq!(
        v1.ask(r#"[{"VibrateCmd":{"Id":2,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#).await,
        json!({"Ok":{"Id":2}})
    );
    assert_eq!(
        v3.ask(
            r#"[{"ScalarCmd":{"Id":2,"DeviceIndex":1,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#
        )
        .await,
        json!({"Ok":{"Id":2}})
    );
    assert_eq!(
        v4.ask(r#"[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":1,"Command":{"Vibrate":{"Value":15}}}}]"#).await,
        json!({"Ok":{"Id":2}})
    );
    assert_eq!(
        v4.ask(r#"[{"OutputCmd":{"Id":3,"DeviceIndex":2,"FeatureIndex":0,"Command":{"Rotate":{"Value":-7}}}}]"#).await,
        json!({"Ok":{"Id":3}})
    );
    // The latest command wins per feature: v3 takes feature 1 of the dual vibrator over.
    assert_eq!(
        v3.ask(
            r#"[{"ScalarCmd":{"Id":3,"DeviceIndex":1,"Scalars":[{"Index":1,"Scalar":0.1,"ActuatorType":"Vibrate"}]}}]"#
        )
        .await,
        json!({"Ok":{"Id":3}})
    );
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    wait_for_level(&engine, 1, 0, OutputType::Vibrate, 10).await;
    wait_for_level(&engine, 1, 1, OutputType::Vibrate, 2).await;
    wait_for_level(&engine, 2, 0, OutputType::Rotate, -7).await;

    // v3 vanishes without a Close frame: its outputs stop, nobody else's do.
    let Raw { socket, .. } = v3;
    let MaybeTlsStream::Plain(tcp) = socket.into_inner() else { unreachable!("plain ws") };
    let std_tcp = tcp.into_std().unwrap();
    std_tcp.shutdown(std::net::Shutdown::Both).unwrap();
    drop(std_tcp);
    wait_for_clients(&engine, 2).await;
    wait_for_level(&engine, 1, 0, OutputType::Vibrate, 0).await;
    wait_for_level(&engine, 1, 1, OutputType::Vibrate, 0).await;
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(10), "v1's vibrator keeps going");
    assert_eq!(engine.output_level(2, 0, OutputType::Rotate), Some(-7), "v4's rotator keeps going");

    // v1's StopAllDevices stops only what v1 set.
    assert_eq!(v1.ask(r#"[{"StopAllDevices":{"Id":4}}]"#).await, json!({"Ok":{"Id":4}}));
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    assert_eq!(engine.output_level(2, 0, OutputType::Rotate), Some(-7));
    // v4's StopCmd on everything stops its rotator.
    assert_eq!(v4.ask(r#"[{"StopCmd":{"Id":4}}]"#).await, json!({"Ok":{"Id":4}}));
    wait_for_level(&engine, 2, 0, OutputType::Rotate, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_changes_reach_every_client_in_its_version() {
    let engine = engine_with(&[VirtualKind::Vibrator], |_| {}).await;
    let mut v3 = Raw::connect(&engine).await;
    let mut v4 = Raw::connect(&engine).await;
    v3.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"three","MessageVersion":3}}]"#).await;
    v4.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"four","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#)
        .await;
    let index = engine.add_virtual_device(VirtualDeviceSpec::named(VirtualKind::Rotator, "Spinner")).await;
    assert_eq!(index, 1);
    let added = v3.recv().await;
    assert_eq!(added["DeviceAdded"]["DeviceName"], "Spinner");
    assert_eq!(added["DeviceAdded"]["Id"], 0);
    let list = v4.recv().await;
    assert_eq!(list["DeviceList"]["Id"], 0);
    assert_eq!(list["DeviceList"]["Devices"]["1"]["DeviceName"], "Spinner");
    assert!(engine.remove_device(1).await);
    assert_eq!(v3.recv().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":1}}));
    let list = v4.recv().await;
    assert!(list["DeviceList"]["Devices"].get("1").is_none(), "{list}");
    // The user's STOP ALL stops everything, whoever set it.
    v3.ask(r#"[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.0,"ActuatorType":"Vibrate"}]}}]"#)
        .await;
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 20).await;
    engine.stop_all().await;
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_timeout_stops_the_clients_outputs_and_closes() {
    let engine = engine_with(&[VirtualKind::Vibrator], |c| c.max_ping_time_ms = 300).await;
    let mut client = Raw::connect(&engine).await;
    let info = client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":3}}]"#).await;
    assert_eq!(info["ServerInfo"]["MaxPingTime"], 300);
    client
        .ask(
            r#"[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.0,"ActuatorType":"Vibrate"}]}}]"#,
        )
        .await;
    // Pinging every 150 ms, within MaxPingTime: the pauses are the timing under test.
    for id in 3..6 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(client.ask(&format!(r#"[{{"Ping":{{"Id":{id}}}}}]"#)).await, json!({"Ok":{"Id":id}}));
    }
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(20), "pinging keeps it alive");
    let error = client.recv().await;
    assert_eq!((error["Error"]["Id"].as_u64(), error["Error"]["ErrorCode"].as_u64()), (Some(0), Some(2)), "{error}");
    assert!(client.closed().await);
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_with_ping_off_is_ok_and_v4_disconnect_closes() {
    let engine = engine_with(&[VirtualKind::Vibrator], |_| {}).await;
    let mut client = Raw::connect(&engine).await;
    client
        .ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#)
        .await;
    assert_eq!(client.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
    client.ask(r#"[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":20}}}}]"#).await;
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 20).await;
    assert_eq!(client.ask(r#"[{"Disconnect":{"Id":4}}]"#).await, json!({"Ok":{"Id":4}}));
    assert!(client.closed().await);
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    wait_for_clients(&engine, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_limit_is_explained_and_the_window_can_disconnect_a_client() {
    let engine = engine_with(&[VirtualKind::Vibrator], |c| c.max_clients = 1).await;
    let mut first = Raw::connect(&engine).await;
    first.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"first","MessageVersion":3}}]"#).await;
    let mut second = Raw::connect(&engine).await;
    let refusal = second.recv().await;
    assert_eq!(refusal["Error"]["ErrorCode"], 1);
    assert!(refusal["Error"]["ErrorMessage"].as_str().unwrap().contains("limit"), "{refusal}");
    assert!(second.closed().await);
    let id = engine.clients()[0].id;
    assert_eq!(engine.clients()[0].origin, None);
    assert!(engine.disconnect_client(id).await);
    assert!(first.closed().await);
    wait_for_clients(&engine, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_explained() {
    let engine = engine_with(&[], |_| {}).await;
    let error = Engine::start(EngineConfig::loopback(engine.port())).await.err().expect("the port is taken");
    let text = error.to_string();
    assert!(text.contains(&engine.port().to_string()) && text.contains("--websocket-port"), "{text}");
}
