//! The Lovense local API against a real engine with virtual devices, through a real HTTP/1.1
//! client (hyper) over plain HTTP and over HTTPS trusting the certificate the engine made.
//! Answers are read the way published Lovense clients read them: HTTP 200, the outcome in the
//! JSON `code`, `data.toys` a JSON document inside a string.
//!
//! Nothing waits a fixed time for "nothing happened": levels are awaited, and "a stopped
//! pattern does not start again" is checked against a second, timed program that has to run
//! to its end first (a barrier many pattern steps long).

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::TokioIo;
use plugboard_devices::virtual_device::VirtualKind;
use plugboard_e2e::{start_engine_with, wait_for_level, wait_until, within, WAIT};
use plugboard_protocol::model::OutputType;
use plugboard_server::{ClientKind, Engine, EngineConfig, StartError};
use serde_json::{json, Map, Value};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// What the API answered.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

/// One request over a fresh connection: `body` is sent as JSON when given.
pub(crate) async fn send<S>(stream: S, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let response = send_for_head(stream, method, path, headers, body).await;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("the answer's body").to_bytes();
    // A preflight's answer has no body; the Origin gate's refusal is a sentence, not JSON.
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer { status: parts.status, headers: parts.headers, body }
}

/// [`send`], returning the answer's head with its body unread (an event stream never ends).
pub(crate) async fn send_for_head<S>(
    stream: S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> hyper::Response<Incoming>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("HTTP handshake");
    tokio::spawn(connection);
    let mut request = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        request = request.header("host", "127.0.0.1");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() && !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        request = request.header("content-type", "application/json");
    }
    let request = request.body(Full::new(Bytes::from(body.unwrap_or_default().to_owned()))).expect("a request");
    within("the API's answer", sender.send_request(request)).await.expect("an answer")
}

/// An app calling the API over plain HTTP, as `X-platform: <name>`.
struct App {
    address: SocketAddr,
    name: &'static str,
}

impl App {
    fn of(engine: &Engine, name: &'static str) -> App {
        let api = engine.lovense_api().expect("the Lovense API runs");
        let address = *api.http_addresses().first().expect("an HTTP address");
        App { address, name }
    }

    async fn request(&self, method: &str, path: &str, extra: &[(&str, &str)], body: Option<&str>) -> Answer {
        let stream = TcpStream::connect(self.address).await.expect("connect to the API");
        let mut headers = vec![("x-platform", self.name)];
        headers.extend_from_slice(extra);
        send(stream, method, path, &headers, body).await
    }

    /// `POST /command`; asserts HTTP 200 (the outcome is in the JSON `code`).
    async fn command(&self, command: Value) -> Value {
        let answer = self.request("POST", "/command", &[], Some(&command.to_string())).await;
        assert_eq!(answer.status, StatusCode::OK, "{command}: {}", answer.body);
        answer.body
    }

    /// A command that must succeed.
    async fn ok(&self, command: Value) -> Value {
        let answer = self.command(command.clone()).await;
        assert_eq!(answer["code"], 200, "{command}: {answer}");
        answer
    }

    async fn get(&self, path: &str) -> Value {
        let answer = self.request("GET", path, &[], None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        answer.body
    }

    /// GetToys, parsed as published clients parse it: id → toy.
    async fn toys(&self) -> Map<String, Value> {
        let answer = self.ok(json!({"command": "GetToys"})).await;
        let toys = answer["data"]["toys"].as_str().expect("data.toys is a JSON string");
        serde_json::from_str::<Value>(toys).expect("data.toys holds JSON").as_object().expect("a map").clone()
    }

    /// The id of the toy presented as `model`.
    async fn id_of(&self, model: &str) -> String {
        let toys = self.toys().await;
        let found = toys.iter().find(|(_, toy)| toy["name"] == model);
        found.unwrap_or_else(|| panic!("no {model} in {toys:?}")).0.clone()
    }
}

/// Device indexes of [`engine`]'s toys.
const VIBRATOR: u32 = 0;
const MAX: u32 = 1;
const STROKER: u32 = 2;

/// An engine with the API on free ports, a vibrator (lush), a Lovense Max (max) and a stroker
/// (solace); the certificate goes to `certificates` when given (else HTTPS is off).
async fn engine_with(certificates: Option<&std::path::Path>, tweak: impl FnOnce(&mut EngineConfig)) -> Engine {
    start_engine_with(&[VirtualKind::Vibrator, VirtualKind::LovenseMax, VirtualKind::Stroker], |config| {
        config.lovense_api.enabled = true;
        config.lovense_api.port = 0;
        config.lovense_api.https_port = certificates.map(|_| 0);
        config.lovense_api.certificate_dir = certificates.map(ToOwned::to_owned);
        tweak(config);
    })
    .await
}

async fn engine() -> Engine {
    engine_with(None, |_| {}).await
}

fn vibrate(engine: &Engine, device: u32) -> Option<i32> {
    engine.output_level(device, 0, OutputType::Vibrate)
}

#[tokio::test]
async fn the_api_is_off_unless_asked_for() {
    let engine = start_engine_with(&[VirtualKind::Vibrator], |_| {}).await;
    assert!(engine.lovense_api().is_none());
    assert_eq!(engine.lovense_api_url(), None);
}

#[tokio::test]
async fn get_toys_presents_every_device_as_a_lovense_toy_and_the_app_is_a_client() {
    let engine = engine().await;
    let app = App::of(&engine, "Test Game");
    let toys = app.toys().await;
    let mut models: Vec<&str> = toys.values().map(|toy| toy["name"].as_str().unwrap()).collect();
    models.sort();
    assert_eq!(models, ["lush", "max", "solace"]);
    for (id, toy) in &toys {
        assert_eq!(id.len(), 12, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert_eq!(toy["id"], id.as_str());
        assert_eq!(toy["status"], "1");
    }
    assert_eq!(app.toys().await.keys().collect::<Vec<_>>(), toys.keys().collect::<Vec<_>>(), "stable ids");
    let names = app.ok(json!({"command": "GetToyName"})).await;
    assert_eq!(names["data"].as_array().unwrap().len(), 3);

    let client = engine.clients().into_iter().find(|client| client.name.as_deref() == Some("Test Game"));
    let client = client.expect("the app is listed with the clients");
    assert_eq!(client.kind, ClientKind::LovenseApi);
    assert_eq!(client.kind.label(client.spec_version), "Lovense API");
    assert!(client.peer.expect("an address").ip().is_loopback());

    App { name: "", ..app }.toys().await;
    let unnamed = engine.clients().into_iter().filter(|client| client.kind == ClientKind::LovenseApi).count();
    assert_eq!(unnamed, 2, "an app without X-platform is one more client");
    assert!(engine.clients().iter().any(|client| client.name.as_deref() == Some("Lovense API")));
}

#[tokio::test]
async fn function_runs_until_stop_or_for_its_time() {
    let engine = engine().await;
    let app = App::of(&engine, "Function Game");
    let lush = app.id_of("lush").await;
    app.ok(json!({"command": "Function", "action": "Vibrate:15", "toy": lush, "timeSec": 0, "apiVer": 1})).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 15).await;
    assert_eq!(vibrate(&engine, MAX), Some(0), "only the toy named");

    app.ok(json!({"command": "Function", "action": "Stop", "toy": lush, "apiVer": 1})).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;

    // Every toy (no `toy`), for 1.5 s: it stops by itself.
    app.ok(json!({"command": "Function", "action": "All:8", "timeSec": 1.5, "apiVer": 1})).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 8).await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 8).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test]
async fn loops_run_and_pause_within_their_time() {
    let engine = engine().await;
    let app = App::of(&engine, "Loop Game");
    let lush = app.id_of("lush").await;
    let command = json!({"command": "Function", "action": "Vibrate:12", "toy": lush, "timeSec": 20,
        "loopRunningSec": 1.2, "loopPauseSec": 1.2, "apiVer": 1});
    app.ok(command).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 12).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 12).await;
    app.ok(json!({"command": "Function", "action": "Vibrate:0", "toy": lush})).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test]
async fn patterns_and_presets_step_through_their_levels() {
    let engine = engine().await;
    let app = App::of(&engine, "Pattern Game");
    let lush = app.id_of("lush").await;
    let pattern = json!({"command": "Pattern", "rule": "V:1;F:v;S:200#", "strength": "4;16", "timeSec": 0, "toy": lush, "apiVer": 2});
    app.ok(pattern).await;
    for level in [4, 16, 4, 16] {
        wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, level).await;
    }
    // A preset replaces the pattern: pulse alternates 20 and 0.
    app.ok(json!({"command": "Preset", "name": "pulse", "timeSec": 0, "toy": lush, "apiVer": 1})).await;
    for level in [20, 0, 20] {
        wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, level).await;
    }
    app.ok(json!({"command": "Function", "action": "Stop", "toy": lush})).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test]
async fn position_and_pattern_v2_move_a_stroker() {
    let engine = engine().await;
    let app = App::of(&engine, "Stroker Game");
    let solace = app.id_of("solace").await;
    app.ok(json!({"command": "Position", "value": 40, "toy": solace, "apiVer": 1})).await;
    wait_for_level(&engine, STROKER, 0, OutputType::HwPositionWithDuration, 40).await;

    let script = json!([{"ts": 0, "pos": 0}, {"ts": 300, "pos": 90}, {"ts": 700, "pos": 20}]);
    app.ok(json!({"command": "PatternV2", "type": "Setup", "actions": script, "apiVer": 1})).await;
    let time = app.ok(json!({"command": "PatternV2", "type": "SyncTime", "apiVer": 1})).await;
    assert!(time["data"]["time"].as_u64().is_some(), "{time}");
    app.ok(json!({"command": "PatternV2", "type": "Play", "toy": solace, "offsetTime": 0, "apiVer": 1})).await;
    wait_for_level(&engine, STROKER, 0, OutputType::HwPositionWithDuration, 90).await;
    wait_for_level(&engine, STROKER, 0, OutputType::HwPositionWithDuration, 20).await;
    app.ok(json!({"command": "PatternV2", "type": "Stop", "toy": solace, "apiVer": 1})).await;

    let vibrator_only = app.command(json!({"command": "Position", "value": 50, "toy": app.id_of("lush").await})).await;
    assert_eq!(vibrator_only["code"], 403, "{vibrator_only}");
}

#[tokio::test]
async fn the_older_get_endpoints_work() {
    let engine = engine().await;
    let app = App::of(&engine, "Old Game");
    let toys = app.get("/GetToys").await;
    assert_eq!(toys["code"], 200, "{toys}");
    let max = app.id_of("max").await;
    let answer = app.get(&format!("/Vibrate?v=9&t={max}")).await;
    assert_eq!(answer["code"], 200, "{answer}");
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 9).await;
    assert_eq!(vibrate(&engine, VIBRATOR), Some(0));
    let battery = app.get(&format!("/Battery?t={max}")).await;
    assert_eq!(battery["code"], 200, "{battery}");
    assert!(battery["battery"].is_number(), "{battery}");
    app.get(&format!("/Vibrate?v=0&t={max}")).await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test]
async fn bad_requests_get_the_documented_codes() {
    let engine = engine().await;
    let app = App::of(&engine, "Sloppy Game");
    assert_eq!(app.command(json!({"command": "Dance"})).await["code"], 400);
    let answer = app.command(json!({"command": "Function", "action": "Vibrate:5", "toy": "000000000000"})).await;
    assert_eq!(answer["code"], 401, "{answer}");
    assert_eq!(app.command(json!({"command": "Function", "action": "Vibrate:lots"})).await["code"], 404);
    assert_eq!(
        app.command(json!({"command": "Function", "action": "Vibrate:5", "timeSec": "soon"})).await["code"],
        404
    );
    let not_json = app.request("POST", "/command", &[], Some("{not json")).await;
    assert_eq!((not_json.status, not_json.body["code"].clone()), (StatusCode::OK, json!(400)));
    let huge = format!(r#"{{"command":"GetToys","pad":"{}"}}"#, "x".repeat(1 << 20));
    let too_big = app.request("POST", "/command", &[], Some(&huge)).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", too_big.body);
    let wrong_method = app.request("DELETE", "/command", &[], None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED, "{}", wrong_method.body);
    assert_eq!(app.get("/Nothing").await["code"], 400);
    assert_eq!(vibrate(&engine, VIBRATOR), Some(0), "nothing ran");
}

#[tokio::test]
async fn https_serves_the_certificate_it_made_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(Some(dir.path()), |_| {}).await;
    let api = engine.lovense_api().unwrap();
    let pem_path = api.certificate_path().expect("a certificate").clone();
    let pem = std::fs::read(&pem_path).unwrap();
    let https = *api.https_addresses().first().expect("an HTTPS address");

    // A client that trusts this certificate and resolves Lovense's host name itself.
    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        roots.add(certificate.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    for host in ["127-0-0-1.lovense.club", "localhost", "127.0.0.1"] {
        let stream = TcpStream::connect(https).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).unwrap();
        let tls =
            within("the TLS handshake", connector.connect(name, stream)).await.expect("the certificate is trusted");
        let body = json!({"command": "GetToys"}).to_string();
        let answer = send(tls, "POST", "/command", &[("x-platform", "Secure Game")], Some(&body)).await;
        assert_eq!(answer.body["code"], 200, "{host}: {}", answer.body);
    }
    engine.stop().await;

    let again = engine_with(Some(dir.path()), |_| {}).await;
    let kept = std::fs::read(again.lovense_api().unwrap().certificate_path().unwrap()).unwrap();
    assert_eq!(kept, pem, "the certificate is kept, not remade");
}

#[tokio::test]
async fn web_pages_need_an_approved_origin() {
    let engine = engine_with(None, |config| config.allowed_origins = Some(vec!["https://game.example".into()])).await;
    let app = App::of(&engine, "Web Game");
    let command = json!({"command": "Function", "action": "Vibrate:10"}).to_string();
    let refused = app.request("POST", "/command", &[("origin", "https://evil.example")], Some(&command)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.headers.get("access-control-allow-origin").is_none());
    assert!(!engine.clients().iter().any(|client| client.kind == ClientKind::LovenseApi), "never a client");

    let preflight = app
        .request(
            "OPTIONS",
            "/command",
            &[("origin", "https://game.example"), ("access-control-request-method", "POST")],
            None,
        )
        .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers["access-control-allow-origin"], "https://game.example");
    let allowed = app.request("POST", "/command", &[("origin", "https://game.example")], Some(&command)).await;
    assert_eq!(allowed.body["code"], 200, "{}", allowed.body);
    assert_eq!(allowed.headers["access-control-allow-origin"], "https://game.example");
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 10).await;
    assert_eq!(vibrate(&engine, VIBRATOR), Some(10), "only the approved page's command ran");
}

/// Issue 17 on this surface, through the running server: a page that is not approved gets
/// no preflight, its "simple" cross-origin POST (text/plain, which browsers send without a
/// preflight) and a plain GET from another site are refused, and a Host name that is not this
/// machine (DNS rebinding) is refused; Lovense's dashed-IP names are served. None of it reaches
/// the toy.
#[tokio::test]
async fn unapproved_pages_and_rebinding_host_names_reach_no_toy() {
    let engine = engine_with(None, |config| config.allowed_origins = Some(vec!["https://game.example".into()])).await;
    let app = App::of(&engine, "Browser");
    let hardware = engine.device_manager().virtual_hardware(VIBRATOR).unwrap();
    let writes_before = hardware.write_count();
    let full = json!({"command": "Function", "action": "Vibrate:20", "timeSec": 0}).to_string();
    let evil = ("origin", "https://evil.example");

    let preflight = app
        .request(
            "OPTIONS",
            "/command",
            &[evil, ("access-control-request-method", "POST"), ("access-control-request-headers", "content-type")],
            None,
        )
        .await;
    assert_eq!(preflight.status, StatusCode::FORBIDDEN, "{}", preflight.body);
    for cors in ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"] {
        assert!(preflight.headers.get(cors).is_none(), "{cors} in a refused preflight: {:?}", preflight.headers);
    }

    let simple = app.request("POST", "/command", &[evil, ("content-type", "text/plain")], Some(&full)).await;
    assert_eq!(simple.status, StatusCode::FORBIDDEN, "{}", simple.body);
    assert!(simple.body.as_str().is_some_and(|sentence| sentence.contains("https://evil.example")), "{}", simple.body);
    assert!(simple.headers.get("access-control-allow-origin").is_none());

    // An <img src="http://127.0.0.1:20010/Vibrate?v=20">: no Origin, but the fetch metadata.
    let image = app.request("GET", "/Vibrate?v=20", &[("sec-fetch-site", "cross-site")], None).await;
    assert_eq!(image.status, StatusCode::FORBIDDEN, "{}", image.body);

    // DNS rebinding: a page whose own name resolves to 127.0.0.1 is same-origin to itself.
    let port = app.address.port();
    let rebinding = format!("rebind.example:{port}");
    let rebound = app.request("POST", "/command", &[("host", rebinding.as_str())], Some(&full)).await;
    assert_eq!(rebound.status, StatusCode::FORBIDDEN, "{}", rebound.body);
    assert!(rebound.body.as_str().is_some_and(|sentence| sentence.contains("rebind.example")), "{}", rebound.body);
    assert!(
        !engine.clients().iter().any(|client| client.kind == ClientKind::LovenseApi),
        "no refused call is a client"
    );

    // What Lovense apps call, and this machine's own names, are served.
    let get_toys = json!({"command": "GetToys"}).to_string();
    for host in [format!("127-0-0-1.lovense.club:{port}"), format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let served = app.request("POST", "/command", &[("host", host.as_str())], Some(&get_toys)).await;
        assert_eq!(
            (served.status, served.body["code"].clone()),
            (StatusCode::OK, json!(200)),
            "{host}: {}",
            served.body
        );
    }

    // The barrier: a native app's command reaches the toy as the first write since the start,
    // so none of the refused requests wrote before it (the device task writes in order).
    let lush = app.id_of("lush").await;
    app.ok(json!({"command": "Function", "action": "Vibrate:3", "toy": lush})).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 3).await;
    let landed = async || hardware.level(0, OutputType::Vibrate);
    wait_until("the toy to be at 3", WAIT, landed, |level| *level == Some(3)).await;
    assert_eq!(hardware.write_count(), writes_before + 1, "only the native app's command was written");
}

/// A level above a function's range is its top, as the published clients (which clamp before
/// sending) and games that compute levels expect; a level that means nothing is refused with
/// 404 and changes nothing.
#[tokio::test]
async fn levels_above_the_range_are_the_top_and_negative_levels_are_refused() {
    let engine = engine().await;
    let app = App::of(&engine, "Loud Game");
    let max = app.id_of("max").await;
    app.ok(json!({"command": "Function", "action": "Vibrate:25,Pump:9", "toy": max})).await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 20).await;
    wait_for_level(&engine, MAX, 1, OutputType::Constrict, 3).await;

    for action in ["Vibrate:-5", "Vibrate:NaN", "Pump:-1", "Vibrate:inf"] {
        let refused = app.command(json!({"command": "Function", "action": action, "toy": max})).await;
        assert_eq!(refused["code"], 404, "{action}: {refused}");
        assert!(refused["message"].as_str().is_some_and(|message| message.contains(action)), "{refused}");
    }
    let refused = app.get(&format!("/Vibrate?v=-3&t={max}")).await;
    assert_eq!(refused["code"], 404, "{refused}");
    // The refusals changed nothing: the toy is still at the top.
    assert_eq!(vibrate(&engine, MAX), Some(20));
    assert_eq!(engine.output_level(MAX, 1, OutputType::Constrict), Some(3));
    app.ok(json!({"command": "Function", "action": "Stop", "toy": max})).await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test]
async fn stop_all_ends_a_running_pattern_for_good() {
    let engine = engine().await;
    let app = App::of(&engine, "Pattern Game");
    let lush = app.id_of("lush").await;
    let pattern = json!({"command": "Pattern", "rule": "V:1;F:v;S:100#", "strength": "10;20", "timeSec": 0, "toy": lush, "apiVer": 2});
    app.ok(pattern).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 20).await;
    engine.stop_all().await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    // Once the toy itself is at 0, the stop's write and every earlier one have landed (the
    // device task writes in order).
    let hardware = engine.device_manager().virtual_hardware(VIBRATOR).unwrap();
    let at_zero = async || hardware.level(0, OutputType::Vibrate);
    wait_until("the toy to be at 0", WAIT, at_zero, |level| *level == Some(0)).await;
    let writes = hardware.write_count();

    // The barrier: another app's 1.1 s program on another toy runs to its end, eleven steps
    // of the stopped pattern.
    let other = App::of(&engine, "Barrier");
    let max = other.id_of("max").await;
    other.ok(json!({"command": "Function", "action": "Vibrate:5", "toy": max, "timeSec": 1.1})).await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 5).await;
    wait_for_level(&engine, MAX, 0, OutputType::Vibrate, 0).await;
    assert_eq!(vibrate(&engine, VIBRATOR), Some(0), "the pattern did not start the toy again");
    assert_eq!(hardware.level(0, OutputType::Vibrate), Some(0));
    assert_eq!(hardware.write_count(), writes, "no write since the stop");
}

#[tokio::test]
async fn disconnecting_an_app_stops_what_it_runs() {
    let engine = engine().await;
    let app = App::of(&engine, "Kicked Game");
    app.ok(json!({"command": "Function", "action": "Vibrate:7", "timeSec": 0})).await;
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 7).await;
    let id = engine.clients().into_iter().find(|client| client.kind == ClientKind::LovenseApi).unwrap().id;
    assert!(engine.disconnect_client(id).await);
    wait_for_level(&engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    let gone = |clients: &Vec<plugboard_server::ClientSnapshot>| clients.iter().all(|c| c.id != id);
    wait_until("the app to leave the list", WAIT, async || engine.clients(), gone).await;
}

#[tokio::test]
async fn a_port_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut config = EngineConfig::loopback(0);
    config.lovense_api.enabled = true;
    config.lovense_api.port = port;
    config.lovense_api.https_port = None;
    let error = Engine::start(config).await.err().expect("the engine refuses to start");
    assert!(matches!(error, StartError::LovensePortInUse { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&port.to_string()) && message.contains("--lovense-api-port"), "{message}");
}
