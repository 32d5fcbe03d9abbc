//! A simulated Lovense dials into the device-websocket server, as DIY devices and simulators
//! of the reference engine do, and real clients drive it: the bytes it receives are checked
//! exactly. Also allow and deny.

use std::path::Path;

use futures_util::{SinkExt, StreamExt};
use plugboard_protocol::model::OutputType;
use plugboard_server::{Engine, EngineConfig};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

use crate::raw::{Raw, WAIT};
use crate::toy::{dial, Socket};

/// A Lovense Hush as a websocket device: answers `DeviceType;` and `Battery;`, records the rest.
pub(crate) struct FakeLovense {
    received: mpsc::UnboundedReceiver<String>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeLovense {
    pub(crate) async fn connect(engine: &Engine, identifier: &str, address: &str) -> FakeLovense {
        let socket = dial(engine, identifier, address).await;
        let (sender, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(Self::run(socket, sender));
        FakeLovense { received, task }
    }

    async fn run(mut socket: Socket, sender: mpsc::UnboundedSender<String>) {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Binary(bytes) = message else { continue };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let reply = match text.as_str() {
                "DeviceType;" => Some("Z:11:0082059AD3BD;"),
                "Battery;" => Some("73;"),
                _ => None,
            };
            match reply {
                Some(reply) => socket.send(Message::text(reply)).await.unwrap(),
                None => {
                    let _ = sender.send(text);
                }
            }
        }
    }

    /// The next command the toy received.
    pub(crate) async fn next(&mut self) -> String {
        tokio::time::timeout(WAIT, self.received.recv())
            .await
            .expect("the toy got a command in time")
            .expect("toy running")
    }

    /// Waits until the engine closed the toy's link (it was turned away).
    async fn closed_by_the_engine(&mut self) {
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("the engine closed the toy's link in time")
            .expect("the toy's task ran to its end");
    }

    /// The toy vanishes without a Close frame.
    fn vanish(self) {
        self.task.abort();
    }
}

pub(crate) fn user_config(dir: &Path, text: serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("user-device-config.json");
    std::fs::write(&path, text.to_string()).unwrap();
    path
}

pub(crate) async fn start_engine(own_config: std::path::PathBuf) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.own_user_config_path = Some(own_config);
    Engine::start(config).await.expect("engine starts")
}

pub(crate) fn binding() -> serde_json::Value {
    json!([{"identifier": "FakeLVS", "protocol": "lovense"}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_lovense_gets_exactly_the_bytes_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let own = user_config(
        dir.path(),
        json!({"format": "plugboard-user-device-config", "version": 1, "websocket_devices": binding()}),
    );
    let engine = start_engine(own.clone()).await;
    let mut client = Raw::connect(&engine).await;
    client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"game","MessageVersion":3}}]"#).await;
    assert_eq!(client.ask(r#"[{"StartScanning":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));

    let mut toy = FakeLovense::connect(&engine, "FakeLVS", "AABBCCDDEE01").await;
    // The toy, identified by its DeviceType answer as a Hush, reaches the client. The scan
    // stays open: the device-websocket server has nothing to look for, so it never finishes a
    // pass (the next message is the device, not ScanningFinished).
    let added = client.recv().await;
    assert!(added.get("DeviceAdded").is_some(), "{added}");
    assert_eq!(added["DeviceAdded"]["DeviceName"], "Lovense Hush");
    let index = added["DeviceAdded"]["DeviceIndex"].as_u64().unwrap();

    let vibrate = |id: u32, speed: f64| {
        format!(
            r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{index},"Scalars":[{{"Index":0,"Scalar":{speed},"ActuatorType":"Vibrate"}}]}}}}]"#
        )
    };
    assert_eq!(client.ask(&vibrate(3, 0.5)).await, json!({"Ok":{"Id":3}}));
    assert_eq!(toy.next().await, "Vibrate:10;");
    assert_eq!(client.ask(&vibrate(4, 0.5)).await, json!({"Ok":{"Id":4}}));
    // A repeat is dropped: the toy's link is ordered, so its bytes would come before the stop's
    // "Vibrate:0;" below.
    let battery = client
        .ask(&format!(
            r#"[{{"SensorReadCmd":{{"Id":5,"DeviceIndex":{index},"SensorIndex":0,"SensorType":"Battery"}}}}]"#
        ))
        .await;
    assert_eq!(battery["SensorReading"]["Data"], json!([73]));
    assert_eq!(
        client.ask(&format!(r#"[{{"StopDeviceCmd":{{"Id":6,"DeviceIndex":{index}}}}}]"#)).await,
        json!({"Ok":{"Id":6}})
    );
    assert_eq!(toy.next().await, "Vibrate:0;");
    assert_eq!(client.ask(&vibrate(7, 1.0)).await, json!({"Ok":{"Id":7}}));
    assert_eq!(toy.next().await, "Vibrate:20;");

    // The client's socket drops abruptly: the toy stops.
    let MaybeTlsStream::Plain(tcp) = client.socket.into_inner() else { unreachable!() };
    tcp.into_std().unwrap().shutdown(std::net::Shutdown::Both).unwrap();
    assert_eq!(toy.next().await, "Vibrate:0;");

    // The index is remembered for this address.
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&own).unwrap()).unwrap();
    assert_eq!(saved["devices"]["AABBCCDDEE01"]["index"], index);

    // A second client sees the toy vanish without a Close frame.
    let mut watcher = Raw::v4_client(engine.port(), "watcher").await;
    toy.vanish();
    let list = watcher.recv().await;
    assert_eq!(list, json!({"DeviceList":{"Id":0,"Devices":{}}}));
    plugboard_e2e::wait_for_devices(&engine, 0).await;

    // It comes back on its own, at the same index.
    let mut toy = FakeLovense::connect(&engine, "FakeLVS", "AABBCCDDEE01").await;
    let list = watcher.recv().await;
    assert_eq!(list["DeviceList"]["Devices"][index.to_string()]["DeviceName"], "Lovense Hush");
    watcher.ask(&format!(r#"[{{"OutputCmd":{{"Id":2,"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":5}}}}}}}}]"#)).await;
    assert_eq!(toy.next().await, "Vibrate:5;");
    // Engine stop stops every output first.
    engine.stop().await;
    assert_eq!(toy.next().await, "Vibrate:0;");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_devices_never_connect_and_an_allow_list_admits_only_its_devices() {
    let dir = tempfile::tempdir().unwrap();
    let own = user_config(
        dir.path(),
        json!({"format": "plugboard-user-device-config", "version": 1, "websocket_devices": binding(),
               "devices": {"DENIED01": {"allow": false, "deny": true}}}),
    );
    let engine = start_engine(own).await;
    let mut denied = FakeLovense::connect(&engine, "FakeLVS", "DENIED01").await;
    let _other = FakeLovense::connect(&engine, "FakeLVS", "OTHER01").await;
    // Turned away, its link is closed: it can never connect later.
    denied.closed_by_the_engine().await;
    plugboard_e2e::wait_for_devices(&engine, 1).await;
    let addresses: Vec<String> = engine.devices().into_iter().map(|d| d.address).collect();
    assert_eq!(addresses, ["OTHER01"], "the denied toy stays out");
    engine.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let own = user_config(
        dir.path(),
        json!({"format": "plugboard-user-device-config", "version": 1, "websocket_devices": binding(),
               "devices": {"ALLOWED01": {"allow": true, "deny": false}}}),
    );
    let engine = start_engine(own).await;
    let mut stranger = FakeLovense::connect(&engine, "FakeLVS", "STRANGER01").await;
    let _allowed = FakeLovense::connect(&engine, "FakeLVS", "ALLOWED01").await;
    stranger.closed_by_the_engine().await;
    plugboard_e2e::wait_for_devices(&engine, 1).await;
    let addresses: Vec<String> = engine.devices().into_iter().map(|d| d.address).collect();
    assert_eq!(addresses, ["ALLOWED01"], "only the allowed toy connects");
    let state = engine.device_manager().user_config();
    assert!(state.devices["ALLOWED01"].index.is_some());
    assert!(state.devices.get("STRANGER01").is_none_or(|d| d.index.is_none()));
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_device_database_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let mut config = EngineConfig::loopback(0);
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.device_config_file = Some(broken);
    config.devices.own_user_config_path = Some(dir.path().join("user.json"));
    let error = Engine::start(config).await.err().expect("refused");
    assert!(error.to_string().contains("broken.json"), "{error}");
    let _ = OutputType::Vibrate;
}

/// Kiiroo v2.1 devices bound to websocket names in an Intiface user config, as intiface-engine
/// reads it (`user_configs.protocols.<name>.communication[].websocket.name`): a device announcing
/// a model's identifier is that model and is driven; one announcing any other name connects too,
/// with the protocol's defaults, which have no outputs (as on the reference server). Both used
/// to stay away when the name was none of the models.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiiroo_v21_devices_bound_in_an_intiface_user_config_connect() {
    let dir = tempfile::tempdir().unwrap();
    let intiface = dir.path().join("buttplug-user-device-config-v5.json");
    let websocket = |name: &str| json!({"websocket": {"name": name}});
    let protocols = json!({
        "kiiroo-v21": {"communication": [websocket("MyKiiroo"), websocket("Pearl2.1")]},
        "kiiroo-v21-initialized": {"communication": [websocket("MyStroker")]},
    });
    let text = json!({"version": {"major": 5, "minor": 0}, "user_configs": {"protocols": protocols}});
    std::fs::write(&intiface, text.to_string()).unwrap();
    let mut config = EngineConfig::loopback(0);
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.user_device_config_file = Some(intiface);
    config.devices.own_user_config_path = Some(dir.path().join("user-device-config.json"));
    let engine = Engine::start(config).await.expect("engine starts");

    let _unknown = FakeLovense::connect(&engine, "MyKiiroo", "KIIROO01").await;
    let mut pearl = FakeLovense::connect(&engine, "Pearl2.1", "KIIROO02").await;
    let _stroker = FakeLovense::connect(&engine, "MyStroker", "KIIROO03").await;
    plugboard_e2e::wait_for_devices(&engine, 3).await;
    let devices = engine.devices();
    let named = |address: &str| devices.iter().find(|d| d.address == address).expect(address).clone();
    let (unknown, known, stroker) = (named("KIIROO01"), named("KIIROO02"), named("KIIROO03"));
    assert_eq!((unknown.info.name.as_str(), unknown.protocol.as_str()), ("Kiiroo V2.1 Device", "kiiroo-v21"));
    assert!(unknown.outputs.is_empty(), "the defaults have no outputs: {unknown:?}");
    assert_eq!(stroker.info.name, "Kiiroo V2.1 Initialized Device");
    assert_eq!(known.info.name, "Kiiroo Pearl 2.1");

    let mut client = Raw::v4_client(engine.port(), "game").await;
    let index = known.info.index;
    let vibrate = format!(
        r#"[{{"OutputCmd":{{"Id":2,"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":50}}}}}}}}]"#
    );
    assert_eq!(client.ask(&vibrate).await, json!({"Ok":{"Id":2}}));
    assert_eq!(pearl.next().await, String::from_utf8_lossy(&[0x01, 50]), "the Pearl 2.1 vibrates at 50");
    for device in [unknown.info.index, stroker.info.index] {
        let stop = format!(r#"[{{"StopCmd":{{"Id":3,"DeviceIndex":{device}}}}}]"#);
        assert_eq!(client.ask(&stop).await, json!({"Ok":{"Id":3}}), "a device with nothing to drive takes a stop");
    }
    engine.stop().await;
}
