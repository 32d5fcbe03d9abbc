//! Faults: devices that disappear in the middle of a command, transports that fail or talk
//! nonsense, and an engine that is killed outright. In every case every client hears what
//! happened to the devices in its own spec version, nothing is left behind (no device in the
//! list, no device task, an index that answers with a clear error), the device comes back by
//! itself at its index, and the engine and every other device keep working.
//!
//! The BLE disconnect lives in ble_lovense.rs (one test function per process may use the
//! fake BlueZ).

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_protocol::model::OutputType;
use plugboard_server::{Engine, EngineConfig};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::pty::{expect_bytes, pty, serial_port_config};
use crate::toy::{Reply, Script, Toy};

/// Generous: these tests run on a loaded two-core machine next to other test binaries.
pub(crate) const FAULT_WAIT: Duration = Duration::from_secs(20);
/// How long a serial device (a pty) may take to receive what the engine writes to it.
const PTY_WAIT: Duration = Duration::from_secs(5);

/// A raw Buttplug client that keeps device events aside while it waits for a reply.
pub(crate) struct Client {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    events: std::collections::VecDeque<Value>,
    next_id: u32,
}

impl Client {
    /// Connects and shakes hands in spec `version` (0 to 4).
    pub(crate) async fn connect(port: u16, name: &str, version: u32) -> Client {
        let (socket, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}")).await.expect("the client connects");
        let mut client = Client { socket, events: Default::default(), next_id: 1 };
        let body = match version {
            0 => json!({"ClientName": name}),
            1..=3 => json!({"ClientName": name, "MessageVersion": version}),
            _ => json!({"ClientName": name, "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}),
        };
        let reply = client.request("RequestServerInfo", body).await;
        assert!(reply.get("ServerInfo").is_some(), "{name}: {reply}");
        client
    }

    async fn next_message(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(FAULT_WAIT, self.socket.next())
                .await
                .expect("a message in time")
                .expect("the connection is open")
                .expect("a websocket message");
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
                let array = frame.as_array().expect("an array");
                assert_eq!(array.len(), 1, "one message per frame: {frame}");
                return array[0].clone();
            }
        }
    }

    /// Sends one message (its Id filled in) and returns the reply with that Id; device events
    /// that arrive meanwhile are kept for [`Client::event`].
    pub(crate) async fn request(&mut self, name: &str, mut body: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        body["Id"] = json!(id);
        let text = json!([{ name: body }]).to_string();
        self.socket.send(Message::text(text)).await.expect("send");
        loop {
            let message = self.next_message().await;
            let (_, inner) = message.as_object().and_then(|o| o.iter().next()).expect("a message");
            if inner["Id"] == json!(id) {
                return message;
            }
            assert_eq!(inner["Id"], json!(0), "a reply to another request: {message}");
            self.events.push_back(message);
        }
    }

    /// The next device event (ScanningFinished skipped).
    pub(crate) async fn event(&mut self) -> Value {
        loop {
            let message = match self.events.pop_front() {
                Some(message) => message,
                None => self.next_message().await,
            };
            if message.get("ScanningFinished").is_none() {
                return message;
            }
        }
    }
}

/// The user config binding the fake Lovense's identifier, plus `devices`.
pub(crate) fn user_config(dir: &Path, devices: Value) -> PathBuf {
    let path = dir.join("user-device-config.json");
    let text = json!({"format": "plugboard-user-device-config", "version": 1,
                      "websocket_devices": [{"identifier": "FakeLVS", "protocol": "lovense"}],
                      "devices": devices});
    std::fs::write(&path, text.to_string()).unwrap();
    path
}

async fn websocket_engine(own: PathBuf, virtual_devices: &[VirtualKind]) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.own_user_config_path = Some(own);
    config.virtual_devices = virtual_devices.iter().map(|kind| VirtualDeviceSpec::new(*kind)).collect();
    Engine::start(config).await.expect("the engine starts")
}

fn toy_port(engine: &Engine) -> u16 {
    engine.device_websocket_address().expect("the device-websocket server runs").port()
}

/// Waits until `probe` holds (generously); panics naming `what` otherwise.
pub(crate) async fn eventually(what: &str, mut probe: impl FnMut() -> bool) {
    plugboard_e2e::wait_until(what, FAULT_WAIT, async || probe(), |&holds| holds).await;
}

/// The engine lists no device at `address` and runs exactly `tasks` device tasks.
async fn gone_without_a_trace(engine: &Engine, address: &str, tasks: usize) {
    eventually(&format!("{address} to leave the device list"), || {
        engine.devices().iter().all(|d| d.address != address)
    })
    .await;
    eventually(&format!("{tasks} device task(s) to be left"), || engine.device_tasks() == tasks).await;
}

fn error_text(reply: &Value) -> &str {
    reply["Error"]["ErrorMessage"].as_str().unwrap_or_else(|| panic!("an Error: {reply}"))
}

/// The index of the device in a DeviceAdded (any version).
fn added_index(event: &Value) -> u64 {
    event["DeviceAdded"]["DeviceIndex"].as_u64().unwrap_or_else(|| panic!("DeviceAdded: {event}"))
}

/// The indexes in a v4 DeviceList.
fn v4_indexes(event: &Value) -> Vec<String> {
    let devices = event["DeviceList"]["Devices"].as_object().unwrap_or_else(|| panic!("DeviceList: {event}"));
    devices.keys().cloned().collect()
}

fn v2_vibrate(index: u64, speed: f64) -> Value {
    json!({"DeviceIndex": index, "Speeds": [{"Index": 0, "Speed": speed}]})
}

fn v3_vibrate(index: u64, speed: f64) -> Value {
    json!({"DeviceIndex": index, "Scalars": [{"Index": 0, "Scalar": speed, "ActuatorType": "Vibrate"}]})
}

fn v4_vibrate(index: u64, value: u32) -> Value {
    json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_device_dropped_mid_command_is_removed_for_every_client_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let engine = websocket_engine(user_config(dir.path(), json!({})), &[VirtualKind::Vibrator]).await;
    let mut old = Client::connect(engine.port(), "old game", 2).await;
    let mut new = Client::connect(engine.port(), "new game", 4).await;

    let mut toy = Toy::connect(toy_port(&engine), "FakeLVS", "FAULTWS01", Script::hush()).await;
    let index = added_index(&old.event().await);
    assert_eq!(v4_indexes(&new.event().await), ["0", &index.to_string()]);
    eventually("two device tasks (the virtual vibrator and the toy)", || engine.device_tasks() == 2).await;

    // Mid-command: the toy vibrates for one client, the virtual device for the other.
    assert_eq!(old.request("VibrateCmd", v2_vibrate(index, 0.5)).await, json!({"Ok":{"Id":2}}));
    assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:10;");
    assert!(new.request("OutputCmd", v4_vibrate(0, 7)).await.get("Ok").is_some());

    // The toy's connection drops without a Close frame.
    toy.vanish();
    assert_eq!(old.event().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":index}}));
    assert_eq!(v4_indexes(&new.event().await), ["0"]);
    gone_without_a_trace(&engine, "FAULTWS01", 1).await;
    let refused = old.request("VibrateCmd", v2_vibrate(index, 0.2)).await;
    assert!(error_text(&refused).contains(&format!("Device {index} is not connected")), "{refused}");
    let refused = new.request("OutputCmd", v4_vibrate(index, 3)).await;
    assert!(error_text(&refused).contains(&format!("Device {index} is not connected")), "{refused}");

    // The other device never noticed.
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(7));
    assert!(new.request("OutputCmd", v4_vibrate(0, 9)).await.get("Ok").is_some());
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 9).await;

    // The toy dials in again: same index, every client hears of it, and the command it was
    // running when it dropped does not come back by itself.
    let mut toy = Toy::connect(toy_port(&engine), "FakeLVS", "FAULTWS01", Script::hush()).await;
    assert_eq!(added_index(&old.event().await), index);
    assert_eq!(v4_indexes(&new.event().await), ["0", &index.to_string()]);
    eventually("the toy's device task again", || engine.device_tasks() == 2).await;
    assert_eq!(engine.output_level(index as u32, 0, OutputType::Vibrate), Some(0));
    // The next command is the barrier: the toy's link is ordered, so a command replayed on
    // reconnection would reach it first.
    assert!(old.request("VibrateCmd", v2_vibrate(index, 1.0)).await.get("Ok").is_some());
    assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:20;");

    engine.stop().await;
    assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:0;", "engine stop stops the toy");
}

/// A toy that drops its connection right after answering `DeviceType;`, while the engine is
/// still setting it up (subscribing, saving its index, starting its task), again and again:
/// whenever it had reached the clients it is removed again, and nothing of it stays behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_device_that_vanishes_while_being_connected_leaves_no_zombie() {
    let dir = tempfile::tempdir().unwrap();
    let engine = websocket_engine(user_config(dir.path(), json!({})), &[]).await;
    let mut watcher = Client::connect(engine.port(), "watcher", 3).await;
    for round in 0..30u64 {
        let script = Script { vanish_after_identify: Some(Duration::from_micros(round * 300)), ..Script::hush() };
        let address = format!("VANISH{round:02}");
        let toy = Toy::connect(toy_port(&engine), "FakeLVS", &address, script).await;
        eventually(&format!("{address}'s link to end"), || !toy.is_connected()).await;
    }
    // Every toy that got as far as the device list left it again, and no task is left: a
    // zombie would stay listed, and keep its address from ever connecting again.
    eventually("no device left", || engine.devices().is_empty()).await;
    eventually("no device task left", || engine.device_tasks() == 0).await;
    let mut toy = Toy::connect(toy_port(&engine), "FakeLVS", "VANISH00", Script::hush()).await;
    eventually("VANISH00 to connect again", || engine.devices().iter().any(|d| d.address == "VANISH00")).await;
    let index = engine.devices().iter().find(|d| d.address == "VANISH00").unwrap().info.index as u64;
    assert!(watcher.request("ScalarCmd", v3_vibrate(index, 0.5)).await.get("Ok").is_some());
    assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:10;");
    // A toy set up just before its link ended may still be on its way out; a zombie never goes.
    eventually("only VANISH00 and its task", || engine.devices().len() == 1 && engine.device_tasks() == 1).await;
    engine.stop().await;
}

/// Transport errors: toys that answer garbage, flood the engine with junk, send frames far
/// over the size limit or text that is not UTF-8. None of it takes the engine down: clients
/// stay connected, a well-behaved toy and a virtual device keep working, new clients and
/// devices still get in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors_never_take_the_engine_down() {
    let dir = tempfile::tempdir().unwrap();
    let engine = websocket_engine(user_config(dir.path(), json!({})), &[VirtualKind::Vibrator]).await;
    let port = toy_port(&engine);
    let mut client = Client::connect(engine.port(), "game", 3).await;
    let mut good = Toy::connect(port, "FakeLVS", "GOOD01", Script::hush()).await;
    let good_index = added_index(&client.event().await);

    // A toy that answers DeviceType with bytes that are not text, then its battery with junk.
    let junk = Script {
        device_type: Reply::Binary(vec![0xff, 0xfe, 0x00, 0x3a, 0x3b, 0x80]),
        battery: Reply::Text("full of beans;"),
        vanish_after_identify: None,
    };
    let mut garbage = Toy::connect(port, "FakeLVS", "GARBAGE01", junk).await;
    // It is taken for a Lovense of a model nobody knows (the protocol's defaults); its battery
    // reading is refused with an Error naming it, and commands to it are answered.
    let garbage_index = added_index(&client.event().await);
    let reading = client
        .request("SensorReadCmd", json!({"DeviceIndex": garbage_index, "SensorIndex": 0, "SensorType": "Battery"}))
        .await;
    assert!(error_text(&reading).contains(&format!("Device {garbage_index} did not report its battery")), "{reading}");
    assert!(client.request("ScalarCmd", v3_vibrate(garbage_index, 0.5)).await.get("Ok").is_some());
    assert_eq!(garbage.next(FAULT_WAIT).await, "Vibrate:10;");

    // A toy that floods the engine with junk: binary noise, text, empty frames.
    let flood = Toy::connect(port, "FakeLVS", "FLOOD01", Script::hush()).await;
    let flood_index = added_index(&client.event().await);
    for i in 0..2_000u32 {
        let frame = match i % 3 {
            0 => Message::binary(i.to_le_bytes().repeat(16)),
            1 => Message::text(format!("Vibrate:{i};junk;\0")),
            _ => Message::binary(Vec::new()),
        };
        flood.send(frame);
    }

    // A toy that sends one frame of 2 MiB, over the device-websocket limit: it is dropped.
    let mut huge = Toy::connect(port, "FakeLVS", "HUGE01", Script::hush()).await;
    let huge_index = added_index(&client.event().await);
    huge.send(Message::binary(vec![b'x'; 2 << 20]));
    assert!(huge.closed_by_server(FAULT_WAIT).await, "the engine ends the link of a toy that sends 2 MiB");
    assert_eq!(client.event().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":huge_index}}));

    // A toy whose text frame is not UTF-8 (a raw websocket frame, as a broken device sends it).
    let mut broken = Toy::connect(port, "FakeLVS", "BROKEN01", Script::hush()).await;
    let broken_index = added_index(&client.event().await);
    broken.send(Message::Frame(tokio_tungstenite::tungstenite::protocol::frame::Frame::message(
        vec![0xc3, 0x28, 0xa0, 0xa1],
        tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(
            tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Text,
        ),
        true,
    )));
    assert!(broken.closed_by_server(FAULT_WAIT).await, "the engine ends the link of a toy that sends invalid UTF-8");
    assert_eq!(client.event().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":broken_index}}));

    // Through all of it the engine serves: the good toy, the virtual device, the flooding toy,
    // a new client and a new device.
    assert!(client.request("ScalarCmd", v3_vibrate(good_index, 0.25)).await.get("Ok").is_some());
    assert_eq!(good.next(FAULT_WAIT).await, "Vibrate:5;");
    assert!(client.request("ScalarCmd", v3_vibrate(0, 1.0)).await.get("Ok").is_some());
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 20).await;
    assert!(client.request("ScalarCmd", v3_vibrate(flood_index, 0.5)).await.get("Ok").is_some());
    let battery = client
        .request("SensorReadCmd", json!({"DeviceIndex": good_index, "SensorIndex": 0, "SensorType": "Battery"}))
        .await;
    assert_eq!(battery["SensorReading"]["Data"], json!([73]), "{battery}");
    let mut late = Client::connect(engine.port(), "late game", 4).await;
    let list = late.request("RequestDeviceList", json!({})).await;
    assert!(v4_indexes(&list).contains(&good_index.to_string()), "{list}");
    let mut newcomer = Toy::connect(port, "FakeLVS", "NEW01", Script::hush()).await;
    let newcomer_index = added_index(&client.event().await);
    assert!(client.request("ScalarCmd", v3_vibrate(newcomer_index, 0.5)).await.get("Ok").is_some());
    assert_eq!(newcomer.next(FAULT_WAIT).await, "Vibrate:10;");

    // And it still stops everything.
    engine.stop().await;
    assert_eq!(good.next(FAULT_WAIT).await, "Vibrate:0;");
    assert_eq!(newcomer.next(FAULT_WAIT).await, "Vibrate:0;");
    drop(flood);
}

/// Points the symlink `link` at `target`, atomically (as udev does when a device comes back).
fn point(link: &Path, target: &str) {
    let temporary = link.with_extension("new");
    let _ = std::fs::remove_file(&temporary);
    std::os::unix::fs::symlink(target, &temporary).unwrap();
    std::fs::rename(&temporary, link).unwrap();
}

/// A TCode stroker on a pty, bound in the user config through a symlink (the stable name a
/// udev rule gives a USB device): the pty is closed in the middle of a long move, and a new
/// one appears under the same name later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serial_device_whose_pty_closes_mid_move_is_removed_for_every_client_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyStroker");
    let name = link.to_str().unwrap().to_owned();
    let (mut master, slave) = pty();
    point(&link, &slave);
    let own = serial_port_config(dir.path(), &name, "tcode-v03");
    let mut config = EngineConfig::loopback(0);
    config.devices.use_serial = true;
    config.devices.own_user_config_path = Some(own);
    config.virtual_devices = vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)];
    let engine = Engine::start(config).await.expect("the engine starts");

    let mut old = Client::connect(engine.port(), "old game", 3).await;
    let mut new = Client::connect(engine.port(), "new game", 4).await;
    assert!(old.request("StartScanning", json!({})).await.get("Ok").is_some());
    let index = added_index(&old.event().await);
    assert_eq!(v4_indexes(&new.event().await), ["0", &index.to_string()]);
    eventually("two device tasks", || engine.device_tasks() == 2).await;

    // Mid-move: five seconds to the top.
    let linear = |position: f64| json!({"DeviceIndex": index, "Vectors": [{"Index": 0, "Duration": 5000, "Position": position}]});
    assert!(old.request("LinearCmd", linear(1.0)).await.get("Ok").is_some());
    expect_bytes(&mut master, "L0999I5000\n", PTY_WAIT);
    assert!(new.request("OutputCmd", v4_vibrate(0, 12)).await.get("Ok").is_some());

    // The cable is pulled.
    drop(master);
    assert_eq!(old.event().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":index}}));
    assert_eq!(v4_indexes(&new.event().await), ["0"]);
    gone_without_a_trace(&engine, &name, 1).await;
    let refused = old.request("LinearCmd", linear(0.0)).await;
    assert!(error_text(&refused).contains(&format!("Device {index} is not connected")), "{refused}");
    let position = json!({"DeviceIndex": index, "FeatureIndex": 0,
                          "Command": {"HwPositionWithDuration": {"Value": 10, "Duration": 100}}});
    let refused = new.request("OutputCmd", position).await;
    assert!(error_text(&refused).contains(&format!("Device {index} is not connected")), "{refused}");
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(12), "the other device runs on");

    // It is plugged in again (a new pty under the same name); nobody is scanning.
    let (mut master, slave) = pty();
    point(&link, &slave);
    assert_eq!(added_index(&old.event().await), index);
    assert_eq!(v4_indexes(&new.event().await), ["0", &index.to_string()]);
    eventually("the stroker's device task again", || engine.device_tasks() == 2).await;
    // The next move is the barrier: the port is written in order, so a move replayed on
    // reconnection would come first.
    assert!(old.request("LinearCmd", linear(0.25)).await.get("Ok").is_some());
    expect_bytes(&mut master, "L0249I5000\n", PTY_WAIT);
    engine.stop().await;
}

/// The headless engine's binary, next to this test binary.
fn engine_binary() -> PathBuf {
    let engine = plugboard_e2e::engine_process::native_engine();
    assert!(
        engine.exists(),
        "{} is missing: build it first (cargo build -p plugboard-server --bin plugboard-engine; scripts/test.sh does)",
        engine.display()
    );
    engine
}

/// A `plugboard-engine` process with the device-websocket server and a user config.
struct EngineProcess {
    child: tokio::process::Child,
    port: u16,
    device_port: u16,
}

impl EngineProcess {
    async fn start(user_config: &Path, home: &Path) -> EngineProcess {
        use tokio::io::AsyncBufReadExt;
        let (port, device_port) = (plugboard_e2e::unused_port(), plugboard_e2e::unused_port());
        let mut child = tokio::process::Command::new(engine_binary())
            .args(["--websocket-port", &port.to_string(), "--use-device-websocket-server"])
            .args(["--device-websocket-server-port", &device_port.to_string()])
            .arg("--user-device-config-file")
            .arg(user_config)
            .args(["--log", "warn"])
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start plugboard-engine");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(FAULT_WAIT, lines.next_line()).await.expect("the engine starts in time");
        let line = line.unwrap().unwrap_or_default();
        assert!(line.contains("Plugboard engine running"), "{line:?}");
        EngineProcess { child, port, device_port }
    }

    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let status = self.child.wait().await.unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
    }
}

/// What the user config on disk says, loaded the way the engine loads it: it must load
/// without being moved aside.
fn saved_config(path: &Path, home: &Path) -> plugboard_devices::config::UserConfig {
    let default = home.join(".config/plugboard/user-device-config.json");
    let loaded = plugboard_devices::config::store::load_user_config_from(Some(path), &default)
        .unwrap_or_else(|error| panic!("the user config loads: {error}"));
    assert!(loaded.warnings.is_empty(), "the user config loads cleanly: {:?}", loaded.warnings);
    loaded.config
}

/// SIGKILL (no chance to clean up) while devices connect and their indexes are being saved,
/// several times over: each time the file on disk still loads, keeps what the user set up
/// (a name, an index, a limit, a denied device, the websocket binding), and holds the index of
/// every device a client saw. After the last kill the engine comes up with all of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_engine_killed_and_restarted_keeps_the_user_config() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let own = user_config(
        dir.path(),
        json!({"KEEP01": {"display_name": "Bedroom", "index": 7,
                          "outputs": [{"feature": 0, "type": "vibrate", "limit": [0, 10]}]},
               "DENIED01": {"deny": true}}),
    );
    let check = |seen: &[(String, u64)]| {
        let config = saved_config(&own, &home);
        let keep = config.device("KEEP01").expect("KEEP01 is kept");
        assert_eq!((keep.display_name.as_deref(), keep.index), (Some("Bedroom"), Some(7)), "{keep:?}");
        assert_eq!(keep.outputs.len(), 1, "{keep:?}");
        assert_eq!(keep.outputs[0].limit, Some(plugboard_protocol::model::Range::new(0, 10)), "{keep:?}");
        assert!(!config.is_allowed("DENIED01"), "DENIED01 stays denied");
        assert_eq!(config.websocket_devices.len(), 1, "{:?}", config.websocket_devices);
        for (address, index) in seen {
            let saved = config.device(address).and_then(|d| d.index);
            assert_eq!(saved, Some(*index as u32), "{address} was announced at index {index}");
        }
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".corrupt-")), "nothing was moved aside: {names:?}");
    };

    let mut seen: Vec<(String, u64)> = Vec::new();
    for round in 0..4 {
        let engine = EngineProcess::start(&own, &home).await;
        let mut client = Client::connect(engine.port, "game", 3).await;
        let mut keep = Toy::connect(engine.device_port, "FakeLVS", "KEEP01", Script::hush()).await;
        assert_eq!(added_index(&client.event().await), 7, "round {round}");
        assert!(client.request("ScalarCmd", v3_vibrate(7, 1.0)).await.get("Ok").is_some());
        assert_eq!(keep.next(FAULT_WAIT).await, "Vibrate:10;", "the limit holds (round {round})");
        // Six new devices dial in at once; the engine is killed as soon as the first two
        // have been announced, while the others are being set up and saved.
        let mut toys = Vec::new();
        for n in 0..6 {
            toys.push(Toy::connect(engine.device_port, "FakeLVS", &format!("NEW{round}{n}"), Script::hush()).await);
        }
        for _ in 0..2 {
            let index = added_index(&client.event().await);
            seen.push((String::new(), index));
        }
        engine.kill().await;
        // Which address got which index: the order of announcements is not the order of
        // connections, so ask the file and check the announced indexes are all in it.
        let config = saved_config(&own, &home);
        for entry in seen.iter_mut().filter(|(address, _)| address.is_empty()) {
            let address = config
                .devices
                .iter()
                .find(|(_, device)| device.index == Some(entry.1 as u32))
                .map(|(address, _)| address.clone())
                .unwrap_or_else(|| {
                    panic!(
                        "round {round}: index {} was announced but is not in the saved config: {}",
                        entry.1,
                        config.to_json_string()
                    )
                });
            entry.0 = address;
        }
        check(&seen);
        drop(toys);
    }

    // Up again: the devices come back at their indexes, the limit still holds.
    let engine = EngineProcess::start(&own, &home).await;
    let mut client = Client::connect(engine.port, "game", 3).await;
    let mut keep = Toy::connect(engine.device_port, "FakeLVS", "KEEP01", Script::hush()).await;
    assert_eq!(added_index(&client.event().await), 7);
    let (address, index) = seen[0].clone();
    let _again = Toy::connect(engine.device_port, "FakeLVS", &address, Script::hush()).await;
    assert_eq!(added_index(&client.event().await), index, "{address} keeps its index");
    assert!(client.request("ScalarCmd", v3_vibrate(7, 0.5)).await.get("Ok").is_some());
    assert_eq!(keep.next(FAULT_WAIT).await, "Vibrate:5;");
    engine.kill().await;
    check(&seen);
}
