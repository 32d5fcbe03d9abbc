//! The REST API (`--rest-api-port`) against a real engine with virtual devices, through a real
//! HTTP/1.1 client (hyper): every route, the JSON of its answers and errors, the event stream,
//! the REST API as one client under the ownership rules and STOP ALL, and the Origin gate.
//!
//! "One write" is counted on the virtual devices with a barrier, as in `stops.rs`: after the
//! change, one more command goes to the device, and once its write is there every earlier one
//! is too; nothing waits a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{HeaderMap, StatusCode};
use plugboard_devices::transport::virtual_device::{VirtualHardware, WrittenLevel};
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::{start_engine_with, wait_for_level, wait_until, within, WAIT};
use plugboard_protocol::model::{FeatureCommand, OutputCommand, OutputType, StopScope};
use plugboard_server::{ClientKind, Engine, EngineConfig, StartError};
use serde_json::{json, Value};
use tokio::net::TcpStream;

use crate::raw::Raw;

/// Device indexes of [`engine`]'s devices.
const DUAL: u32 = 0;
const MAX: u32 = 1;
const ROTATOR: u32 = 2;
const STROKER: u32 = 3;

/// An engine with the REST API on a free port and a dual vibrator, a Lovense Max (vibrate,
/// air pump, battery), a rotator and a stroker.
async fn engine_with(tweak: impl FnOnce(&mut EngineConfig)) -> Engine {
    let kinds = [VirtualKind::DualVibrator, VirtualKind::LovenseMax, VirtualKind::Rotator, VirtualKind::Stroker];
    start_engine_with(&kinds, |config| {
        config.rest_api_port = Some(0);
        tweak(config);
    })
    .await
}

async fn engine() -> Engine {
    engine_with(|_| {}).await
}

/// What the API answered.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// A script calling the REST API.
struct Rest {
    address: SocketAddr,
}

impl Rest {
    fn of(engine: &Engine) -> Rest {
        let api = engine.rest_api().expect("the REST API runs");
        Rest { address: *api.addresses().first().expect("an address") }
    }

    /// Sends one request over a fresh connection; returns its head and its body unread.
    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> hyper::Response<Incoming> {
        let stream = TcpStream::connect(self.address).await.expect("connect to the REST API");
        crate::lovense_api::send_for_head(stream, method, path, headers, None).await
    }

    async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        let response = self.send(method, path, headers).await;
        let (parts, body) = response.into_parts();
        let bytes = within("the answer's body", body.collect()).await.expect("the body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {bytes:?}"))
        };
        Answer { status: parts.status, headers: parts.headers, body }
    }

    /// A request that must succeed; its JSON.
    async fn ok(&self, method: &str, path: &str) -> Value {
        let answer = self.request(method, path, &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{method} {path}: {}", answer.body);
        assert_eq!(answer.headers["content-type"], "application/json", "{method} {path}");
        answer.body
    }

    /// A request that must fail with `status` and the error `code`; the error's sentence.
    async fn fails(&self, method: &str, path: &str, status: StatusCode, code: &str) -> String {
        let answer = self.request(method, path, &[]).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        assert_eq!(answer.body["error"]["code"], code, "{method} {path}: {}", answer.body);
        let message = answer.body["error"]["message"].as_str().expect("a message").to_owned();
        assert!(message.ends_with('.'), "a sentence: {message}");
        message
    }

    /// Opens the event stream; its first event (`devices`) has arrived when this returns.
    async fn events(&self) -> Events {
        let response = self.send("GET", "/api/v1/events", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut events = Events { body: response.into_body(), buffer: String::new() };
        let (name, devices) = events.next().await;
        assert_eq!(name, "devices", "{devices}");
        events
    }
}

/// A stream of Server-Sent Events.
struct Events {
    body: Incoming,
    buffer: String,
}

impl Events {
    /// The next event: its name and its data, which must be JSON.
    async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = Some(value.trim().to_owned());
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                // A keep-alive comment has neither.
                if let Some(name) = name {
                    let data = serde_json::from_str(&data).unwrap_or_else(|_| panic!("{name}: not JSON: {data}"));
                    return (name, data);
                }
                continue;
            }
            let frame = within("an event", self.body.frame()).await.expect("the stream is open").expect("a frame");
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&bytes).expect("UTF-8"));
            }
        }
    }

    /// Whether the stream ends (the body's last frame) without another event.
    async fn ended(&mut self) -> bool {
        let rest = within("the end of the stream", self.body.frame()).await;
        self.buffer.trim().is_empty() && rest.is_none_or(|frame| frame.is_err())
    }

    /// Skips events until one named `name` whose data `wanted` accepts.
    async fn until(&mut self, name: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let (got, data) = self.next().await;
            if got == name && wanted(&data) {
                return data;
            }
        }
    }
}

/// A vibrate output of a virtual device as last written.
fn written(feature_index: u32, value: i32) -> WrittenLevel {
    WrittenLevel { feature_index, kind: OutputType::Vibrate, value, duration_ms: None }
}

fn hardware(engine: &Engine, index: u32) -> Arc<VirtualHardware> {
    engine.device_manager().virtual_hardware(index).expect("a virtual device")
}

/// Who sends the barrier commands: an owner no client has.
const BARRIER_OWNER: u64 = u64::MAX - 1;

/// The writes device `index` got since it had `before`: waits for at least one, then for the
/// [`barrier`].
async fn writes_since(engine: &Engine, index: u32, before: usize) -> usize {
    let mut watch = hardware(engine, index).watch_writes();
    let first = tokio::time::timeout(WAIT, watch.wait_for(|&n| n > before)).await.is_ok();
    assert!(first, "device {index}: no write within {WAIT:?}");
    barrier(engine, index).await - before
}

/// Sends one more command to feature 0 of device `index` and waits for its write: the device
/// task writes in order, so every earlier write has landed. Returns the write count before the
/// barrier's own write, and stops what the barrier started.
async fn barrier(engine: &Engine, index: u32) -> usize {
    let hw = hardware(engine, index);
    let mut watch = hw.watch_writes();
    let level = hw.level(0, OutputType::Vibrate).unwrap_or(0) % 19 + 1;
    let command = OutputCommand { kind: OutputType::Vibrate, value: level, duration_ms: None };
    engine.device_manager().command(BARRIER_OWNER, index, &[FeatureCommand { feature_index: 0, command }]).unwrap();
    let reached = watch.wait_for(|_| hw.level(0, OutputType::Vibrate) == Some(level));
    assert!(tokio::time::timeout(WAIT, reached).await.is_ok(), "device {index}: the barrier never arrived");
    let before_barrier = hw.write_count() - 1;
    engine.device_manager().stop(Some(BARRIER_OWNER), StopScope::device(index)).unwrap();
    wait_for_level(engine, index, 0, OutputType::Vibrate, 0).await;
    before_barrier
}

#[tokio::test]
async fn the_rest_api_is_off_unless_given_a_port_and_listens_on_loopback_only() {
    let off = start_engine_with(&[VirtualKind::Vibrator], |_| {}).await;
    assert!(off.rest_api().is_none());
    assert_eq!(off.rest_api_url(), None);

    let engine = engine().await;
    let addresses = engine.rest_api().unwrap().addresses().to_vec();
    assert!(!addresses.is_empty());
    assert!(addresses.iter().all(|address| address.ip().is_loopback()), "{addresses:?}");
    let url = engine.rest_api_url().unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{}/api/v1", addresses[0].port()));
    // Nothing answers on the machine's other addresses.
    let outside = SocketAddr::new(plugboard_e2e::non_loopback_address(), addresses[0].port());
    assert!(TcpStream::connect(outside).await.is_err(), "{outside} must not accept connections");

    let everywhere = start_engine_with(&[], |config| {
        *config = EngineConfig { rest_api_port: Some(0), ..EngineConfig::all_interfaces(0) };
    })
    .await;
    let addresses = everywhere.rest_api().unwrap().addresses();
    assert!(addresses.iter().all(|address| address.ip().is_unspecified()), "{addresses:?}");
}

#[tokio::test]
async fn in_client_mode_without_a_listener_the_rest_api_stays_on_this_machine() {
    let config = EngineConfig {
        listen: Vec::new(),
        websocket_client_address: Some(format!("ws://127.0.0.1:{}", plugboard_e2e::unused_port())),
        rest_api_port: Some(0),
        ..EngineConfig::default()
    };
    let engine = Engine::start(config).await.expect("the engine starts");
    let addresses = engine.rest_api().expect("the REST API runs").addresses().to_vec();
    assert!(!addresses.is_empty() && addresses.iter().all(|address| address.ip().is_loopback()), "{addresses:?}");
    assert_eq!(Rest::of(&engine).ok("GET", "/api/v1/devices").await, json!({}));
    engine.stop().await;
}

#[tokio::test]
async fn a_port_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let config = EngineConfig { rest_api_port: Some(port), ..EngineConfig::loopback(0) };
    let error = Engine::start(config).await.err().expect("the engine refuses to start");
    assert!(matches!(error, StartError::RestPortInUse { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&port.to_string()) && message.contains("--rest-api-port"), "{message}");
}

#[tokio::test]
async fn the_routes_show_devices_and_features_and_the_api_is_one_client() {
    let engine = engine().await;
    let rest = Rest::of(&engine);
    let devices = rest.ok("GET", "/api/v1/devices").await;
    let indexes: Vec<&String> = devices.as_object().unwrap().keys().collect();
    assert_eq!(indexes, ["0", "1", "2", "3"]);
    let max = &devices["1"];
    assert_eq!(max["index"], 1);
    assert_eq!(max["name"], "Virtual Lovense Max");
    assert_eq!(max["display_name"], Value::Null);
    assert_eq!(max["features"]["0"]["Output"]["Vibrate"]["Value"], json!([0, 20]));
    assert_eq!(max["features"]["2"]["Input"]["Battery"]["Command"], json!(["Read"]));

    assert_eq!(rest.ok("GET", "/api/v1/devices/1").await, *max);
    assert_eq!(rest.ok("GET", "/api/v1/devices/1/features").await, max["features"]);
    assert_eq!(rest.ok("GET", "/api/v1/devices/1/features/1").await["Output"]["Constrict"]["Value"], json!([0, 3]));

    assert_eq!(rest.ok("GET", "/api/v1/start-scanning").await, json!({"scanning": true}));
    assert_eq!(rest.ok("GET", "/api/v1/stop-scanning").await, json!({"scanning": false}));

    let battery = rest.ok("GET", "/api/v1/devices/1/features/2/inputs/Battery").await;
    assert_eq!(battery, json!({"device": 1, "feature": 2, "type": "Battery", "value": 80, "unit": "percent"}));
    let message =
        rest.fails("GET", "/api/v1/devices/1/features/2/inputs/RSSI", StatusCode::BAD_REQUEST, "bad-input-type").await;
    assert!(message.contains("no RSSI input"), "{message}");

    let listed: Vec<_> = engine.clients().into_iter().filter(|client| client.kind == ClientKind::RestApi).collect();
    assert_eq!(listed.len(), 1, "every request is the one REST API client: {listed:?}");
    assert_eq!(listed[0].name.as_deref(), Some("REST API"));
    assert_eq!(listed[0].kind.label(None), "REST API");
}

#[tokio::test]
async fn outputs_are_set_together_and_a_stop_zeroes_the_device_in_one_write() {
    let engine = engine().await;
    let rest = Rest::of(&engine);
    let dual = hardware(&engine, DUAL);

    // Both motors of the dual vibrator from one request: one write.
    let before = dual.write_count();
    let set = rest.ok("PUT", "/api/v1/devices/0/outputs/Vibrate/0.5").await;
    assert_eq!(set["outputs"].as_array().unwrap().len(), 2, "{set}");
    assert_eq!(set["outputs"][1], json!({"device": 0, "feature": 1, "type": "Vibrate", "steps": 10, "level": 0.5}));
    assert_eq!(writes_since(&engine, DUAL, before).await, 1, "both motors in one write");
    assert_eq!(engine.output_level(DUAL, 1, OutputType::Vibrate), Some(10));
    let owner = engine.devices()[DUAL as usize].outputs[1].owner;
    let rest_id = engine.clients().iter().find(|client| client.kind == ClientKind::RestApi).unwrap().id;
    assert_eq!(owner, Some(rest_id), "the REST API owns what it set");

    // One feature at a time (the barrier stopped feature 0); then the whole device stops in
    // one write.
    rest.ok("PUT", "/api/v1/devices/0/features/0/outputs/Vibrate/0.25").await;
    rest.ok("PUT", "/api/v1/devices/0/features/1/outputs/vibrate/1.0").await;
    wait_for_level(&engine, DUAL, 1, OutputType::Vibrate, 20).await;
    assert_eq!(engine.output_level(DUAL, 0, OutputType::Vibrate), Some(5), "feature 1's command left feature 0");
    let running = async || dual.levels();
    let both = |levels: &Vec<_>| levels == &[written(0, 5), written(1, 20)];
    wait_until("both motors running", WAIT, running, both).await;
    let before = dual.write_count();
    assert_eq!(rest.ok("PUT", "/api/v1/devices/0/stop").await, json!({"stopped": [0]}));
    let stopped = |levels: &Vec<_>| levels == &[written(0, 0), written(1, 0)];
    wait_until("both motors at zero", WAIT, running, stopped).await;
    assert_eq!(writes_since(&engine, DUAL, before).await, 1, "the stop is one write with both motors at zero");

    // Other output types: the air pump, a rotation the other way, positions.
    rest.ok("PUT", "/api/v1/devices/1/features/1/outputs/Constrict/0.34").await;
    wait_for_level(&engine, MAX, 1, OutputType::Constrict, 2).await;
    rest.ok("PUT", "/api/v1/devices/2/outputs/Rotate/-0.5").await;
    wait_for_level(&engine, ROTATOR, 0, OutputType::Rotate, -10).await;
    rest.ok("PUT", "/api/v1/devices/3/outputs/Position/0.25").await;
    wait_for_level(&engine, STROKER, 0, OutputType::Position, 25).await;
    rest.ok("PUT", "/api/v1/devices/3/outputs/HwPositionWithDuration/0.8?duration=300").await;
    wait_for_level(&engine, STROKER, 0, OutputType::HwPositionWithDuration, 80).await;

    // Every device the REST API runs stops.
    let stopped = rest.ok("PUT", "/api/v1/devices/stop").await;
    assert_eq!(stopped, json!({"stopped": [0, 1, 2, 3]}));
    assert_eq!(engine.output_level(MAX, 1, OutputType::Constrict), Some(0));
    assert_eq!(engine.output_level(ROTATOR, 0, OutputType::Rotate), Some(0));
}

#[tokio::test]
async fn errors_are_json_with_a_fitting_status() {
    let engine = engine().await;
    let rest = Rest::of(&engine);
    let not_found = StatusCode::NOT_FOUND;
    let bad = StatusCode::BAD_REQUEST;
    rest.fails("GET", "/api/v1/devices/9", not_found, "unknown-device").await;
    rest.fails("PUT", "/api/v1/devices/9/stop", not_found, "unknown-device").await;
    rest.fails("PUT", "/api/v1/devices/9/outputs/Vibrate/0.5", not_found, "unknown-device").await;
    rest.fails("GET", "/api/v1/devices/0/features/7", not_found, "unknown-feature").await;
    rest.fails("PUT", "/api/v1/devices/0/features/7/outputs/Vibrate/0.5", not_found, "unknown-feature").await;
    rest.fails("GET", "/api/v1/nothing", not_found, "unknown-route").await;
    rest.fails("GET", "/", not_found, "unknown-route").await;
    rest.fails("GET", "/api/v1/devices/zero", bad, "bad-index").await;
    rest.fails("PUT", "/api/v1/devices/0/outputs/Vibrate/1.5", bad, "bad-level").await;
    rest.fails("PUT", "/api/v1/devices/0/outputs/Vibrate/lots", bad, "bad-level").await;
    rest.fails("PUT", "/api/v1/devices/0/outputs/Vibrate/-0.5", bad, "bad-level").await;
    let message = rest.fails("PUT", "/api/v1/devices/0/outputs/Wiggle/0.5", bad, "bad-output-type").await;
    assert!(message.contains("Vibrate, Rotate"), "names the types there are: {message}");
    let message = rest.fails("PUT", "/api/v1/devices/0/outputs/Rotate/0.5", bad, "bad-output-type").await;
    assert!(message.contains("Device 0") && message.contains("no Rotate output"), "{message}");
    rest.fails("PUT", "/api/v1/devices/3/outputs/HwPositionWithDuration/0.5", bad, "bad-duration").await;
    rest.fails("PUT", "/api/v1/devices/0/outputs/Vibrate/0.5?duration=100", bad, "bad-duration").await;
    rest.fails("GET", "/api/v1/devices/1/features/2/inputs/Mood", bad, "bad-input-type").await;
    rest.fails("POST", "/api/v1/devices", StatusCode::METHOD_NOT_ALLOWED, "wrong-method").await;
    rest.fails("GET", "/api/v1/devices/0/stop", StatusCode::METHOD_NOT_ALLOWED, "wrong-method").await;
    for index in 0..4 {
        assert!(hardware(&engine, index).levels().iter().all(|level| level.value == 0), "nothing moved");
    }
}

/// Commands over the rate limit get 429 with a sentence, reach no device, and are accepted again
/// once the limit has refilled.
#[tokio::test]
async fn commands_over_the_rate_limit_get_429_and_move_nothing() {
    let engine = engine_with(|config| config.limits.max_messages_per_second = 5).await;
    let rest = Rest::of(&engine);
    let dual = hardware(&engine, DUAL);
    let before = dual.write_count();

    // Twelve commands at once, each a higher level: the first second's burst is accepted and
    // the rest refused. Levels go up, so the level the motors end at tells which got through.
    let mut accepted = Vec::new();
    let mut refused = 0;
    for step in 1..=12 {
        let path = format!("/api/v1/devices/0/outputs/Vibrate/{}", f64::from(step) / 20.0);
        let answer = rest.request("PUT", &path, &[]).await;
        match answer.status {
            StatusCode::OK => accepted.push(step),
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(answer.body["error"]["code"], "rate-limited", "{}", answer.body);
                let message = answer.body["error"]["message"].as_str().unwrap_or_default();
                assert!(message.contains('5') && message.ends_with('.'), "names the limit: {message}");
                refused += 1;
            }
            other => panic!("PUT {path}: {other}: {}", answer.body),
        }
    }
    assert!(refused >= 5, "12 commands at 5 a second: most are refused ({accepted:?} accepted)");
    assert!((1..=7).contains(&accepted.len()), "about one second's worth is accepted: {accepted:?}");
    let last = *accepted.last().expect("some were accepted");
    assert!(writes_since(&engine, DUAL, before).await <= accepted.len(), "no refused command was written");
    assert_eq!(engine.output_level(DUAL, 1, OutputType::Vibrate), Some(last), "the last accepted level stays");

    // A second later the limit has refilled.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    rest.ok("PUT", "/api/v1/devices/0/stop").await;
    wait_for_level(&engine, DUAL, 1, OutputType::Vibrate, 0).await;
}

#[tokio::test]
async fn a_stop_leaves_another_clients_outputs_and_says_so_with_409() {
    let engine = engine().await;
    let rest = Rest::of(&engine);
    let mut game = Raw::connect(&engine).await;
    let hello = json!([{"RequestServerInfo": {"Id": 1, "ClientName": "Other Game", "MessageVersion": 3}}]);
    assert!(game.ask(&hello.to_string()).await.get("ServerInfo").is_some());
    let scalar = json!([{"ScalarCmd": {"Id": 2, "DeviceIndex": 0, "Scalars": [{"Index": 1, "Scalar": 0.25, "ActuatorType": "Vibrate"}]}}]);
    assert_eq!(game.ask(&scalar.to_string()).await, json!({"Ok": {"Id": 2}}));
    rest.ok("PUT", "/api/v1/devices/0/features/0/outputs/Vibrate/0.5").await;
    wait_for_level(&engine, DUAL, 0, OutputType::Vibrate, 10).await;

    let message = rest.fails("PUT", "/api/v1/devices/0/stop", StatusCode::CONFLICT, "owned-by-another-client").await;
    assert!(message.contains("Other Game") && message.contains("STOP ALL"), "{message}");
    assert_eq!(engine.output_level(DUAL, 0, OutputType::Vibrate), Some(0), "the REST API's own output stopped");
    assert_eq!(engine.output_level(DUAL, 1, OutputType::Vibrate), Some(5), "the game's runs on");
    rest.fails("PUT", "/api/v1/devices/stop", StatusCode::CONFLICT, "owned-by-another-client").await;

    // The game's StopAllDevices stops only what the game runs.
    rest.ok("PUT", "/api/v1/devices/1/outputs/Vibrate/0.5").await;
    let stop_all = json!([{"StopAllDevices": {"Id": 3}}]);
    assert_eq!(game.ask(&stop_all.to_string()).await, json!({"Ok": {"Id": 3}}));
    wait_for_level(&engine, DUAL, 1, OutputType::Vibrate, 0).await;
    // The Ok came after the stop was applied; a ping round trip is the barrier.
    assert_eq!(game.ask(&json!([{"Ping": {"Id": 4}}]).to_string()).await, json!({"Ok": {"Id": 4}}));
    assert_eq!(engine.output_level(MAX, 0, OutputType::Vibrate), Some(10), "the REST API's output runs on");
    assert_eq!(rest.ok("PUT", "/api/v1/devices/stop").await, json!({"stopped": [0, 1, 2, 3]}));
}

#[tokio::test]
async fn stop_all_and_a_disconnect_in_the_window_stop_what_the_rest_api_runs() {
    let engine = engine().await;
    let rest = Rest::of(&engine);
    let dual = hardware(&engine, DUAL);
    rest.ok("PUT", "/api/v1/devices/0/outputs/Vibrate/0.75").await;
    rest.ok("PUT", "/api/v1/devices/1/outputs/Constrict/1").await;
    // STOP ALL right behind the commands: the stop wins over whatever is still queued.
    engine.stop_all().await;
    assert_eq!(engine.output_level(DUAL, 1, OutputType::Vibrate), Some(0));
    assert_eq!(engine.output_level(MAX, 1, OutputType::Constrict), Some(0));
    barrier(&engine, DUAL).await;
    barrier(&engine, MAX).await;
    assert_eq!(dual.level(1, OutputType::Vibrate), Some(0), "nothing queued started the motor again");
    assert_eq!(hardware(&engine, MAX).level(1, OutputType::Constrict), Some(0));

    // Disconnecting the REST API in the Apps view stops its outputs; it stays listed.
    rest.ok("PUT", "/api/v1/devices/1/outputs/Vibrate/0.5").await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 10).await;
    let id = engine.clients().iter().find(|client| client.kind == ClientKind::RestApi).unwrap().id;
    assert!(engine.disconnect_client(id).await);
    assert_eq!(engine.output_level(MAX, 0, OutputType::Vibrate), Some(0));
    rest.ok("GET", "/api/v1/devices").await;
}

#[tokio::test]
async fn events_arrive_as_json() {
    let engine = engine().await;
    let rest = Rest::of(&engine);
    let mut events = rest.events().await;

    rest.ok("PUT", "/api/v1/devices/1/features/0/outputs/Vibrate/0.5").await;
    let changed = events.until("output-changed", |data| data["device"] == 1).await;
    assert_eq!(
        changed,
        json!({"device": 1, "feature": 0, "type": "Vibrate", "steps": 10, "level": 0.5, "owner": "REST API"})
    );

    let index = engine.add_virtual_device(VirtualDeviceSpec::new(VirtualKind::Vibrator)).await;
    let added = events.until("device-added", |_| true).await;
    assert_eq!(added["index"], index);
    assert_eq!(added["name"], "Virtual Vibrator");
    assert!(added["features"]["0"]["Output"]["Vibrate"].is_object(), "{added}");

    engine.stop_all().await;
    let stopped = events.until("output-changed", |data| data["device"] == 1).await;
    assert_eq!((stopped["steps"].clone(), stopped["level"].clone()), (json!(0), json!(0.0)), "{stopped}");

    assert!(engine.remove_device(index).await);
    assert_eq!(events.until("device-removed", |_| true).await, json!({"index": index}));

    // The engine stops: the stream says so, then ends (and the engine's stop is not held up).
    rest.ok("PUT", "/api/v1/devices/0/outputs/Vibrate/0.5").await;
    events.until("output-changed", |data| data["device"] == 0 && data["feature"] == 1).await;
    let stopping = tokio::spawn(engine.stop());
    assert_eq!(events.until("server-stopped", |_| true).await, json!({}));
    assert!(events.ended().await, "the stream ends after server-stopped");
    within("the engine's stop", stopping).await.unwrap();
}

#[tokio::test]
async fn web_pages_the_user_has_not_allowed_are_refused() {
    let engine = engine_with(|config| config.allowed_origins = Some(vec!["https://game.example".into()])).await;
    let rest = Rest::of(&engine);
    let set = "/api/v1/devices/0/outputs/Vibrate/1";

    // A page's request with its Origin: 403, JSON, no CORS header; nothing moves.
    let refused = rest.request("PUT", set, &[("origin", "https://evil.example")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "web-page-refused");
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("https://evil.example"));
    assert!(refused.headers.get("access-control-allow-origin").is_none());
    // A plain GET from an <img> or a link: no Origin, but cross-site fetch metadata.
    let image = rest.request("GET", "/api/v1/start-scanning", &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(image.status, StatusCode::FORBIDDEN, "{}", image.body);
    // DNS rebinding: a page's own host name made to point here.
    let rebound = rest.request("PUT", set, &[("host", "evil.example:12346")]).await;
    assert_eq!(rebound.status, StatusCode::FORBIDDEN, "{}", rebound.body);
    // A preflight from the page is refused too.
    let asked = [("origin", "https://evil.example"), ("access-control-request-method", "PUT")];
    let preflight = rest.request("OPTIONS", set, &asked).await;
    assert_eq!(preflight.status, StatusCode::FORBIDDEN, "{}", preflight.body);
    assert!(preflight.headers.get("access-control-allow-origin").is_none());
    assert!(!engine.is_scanning(), "the refused GET started nothing");
    assert!(hardware(&engine, DUAL).levels().iter().all(|level| level.value == 0), "nothing moved");
    assert!(engine.clients().iter().all(|client| client.last_error.is_none()));

    // The page the engine allows: preflight answered, CORS headers on its answers.
    let asked = [("origin", "https://game.example"), ("access-control-request-method", "PUT")];
    let preflight = rest.request("OPTIONS", set, &asked).await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers["access-control-allow-origin"], "https://game.example");
    let allowed = rest.request("PUT", set, &[("origin", "https://game.example")]).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    assert_eq!(allowed.headers["access-control-allow-origin"], "https://game.example");
    wait_for_level(&engine, DUAL, 0, OutputType::Vibrate, 20).await;
}
