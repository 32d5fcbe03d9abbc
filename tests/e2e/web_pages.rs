//! The Origin gate over real sockets: a web page the user has not approved waits after its
//! handshake (websocket) or gets 403 (HTTP) until the user answers; native apps are never held;
//! the headless engine's `--allowed-origins` works as the README says.

use std::time::Duration;

use futures_util::StreamExt;
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::engine_process::{native_engine, EngineProcess, Program};
use plugboard_e2e::{wait_for_level, wait_until, EngineUnderTest, WAIT};
use plugboard_protocol::model::OutputType;
use plugboard_server::gate::http::{HeaderMap, HttpDecision, Method, StatusCode, Surface};
use plugboard_server::{Approval, Engine, EngineConfig, EngineEvent, Remembered, WebPages};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::raw::Raw;

const VIBRATE_HALF: &str =
    r#"[{"ScalarCmd":{"Id":3,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#;

/// The desktop app's gate: every web page not approved waits for the user.
async fn asking_engine(timeout: Duration, approved: &[&str]) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices = vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)];
    config.web_pages =
        WebPages { ask: true, approved: approved.iter().map(|o| o.to_string()).collect(), ..WebPages::default() };
    config.remote_clients.timeout = timeout;
    Engine::start(config).await.expect("engine starts")
}

/// A websocket from a web page at `origin` (as a browser opens it); the HTTP status on refusal.
async fn connect_from(port: u16, origin: Option<&str>) -> Result<Raw, StatusCode> {
    let mut request = format!("ws://127.0.0.1:{port}").into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(Raw::over(socket)),
        Err(WsError::Http(response)) => Err(response.status()),
        Err(error) => panic!("unexpected failure: {error}"),
    }
}

/// Connects from `origin` and does the v3 handshake, which is answered even while it waits.
async fn page(engine: &Engine, origin: &str, name: &str) -> Raw {
    let mut client = connect_from(engine.port(), Some(origin)).await.expect("the upgrade is not refused");
    let hello = format!(r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","MessageVersion":3}}}}]"#);
    assert!(client.ask(&hello).await.get("ServerInfo").is_some(), "the handshake is answered");
    client
}

/// The id of the client named `name` once the engine has read `messages` messages from it:
/// a barrier that proves what it sent arrived (and, for a waiting client, was held).
async fn read_by_engine(engine: &Engine, name: &str, messages: u64) -> (u64, Approval) {
    let clients = wait_until(
        format!("{messages} messages read from {name}"),
        WAIT,
        async || engine.clients(),
        |clients: &Vec<plugboard_server::ClientSnapshot>| {
            clients.iter().any(|c| c.name.as_deref() == Some(name) && c.messages_in >= messages)
        },
    )
    .await;
    let client = clients.iter().find(|c| c.name.as_deref() == Some(name)).unwrap();
    (client.id, client.approval)
}

/// Nothing is waiting to be read on the socket right now (the engine sent nothing).
fn nothing_received(client: &mut Raw) {
    let polled = futures_util::FutureExt::now_or_never(client.socket.next());
    assert!(polled.is_none(), "a waiting client was sent {polled:?}");
}

/// The Error a turned-away client gets for its waiting message, then the Close (1008).
async fn turned_away(client: &mut Raw, waiting_id: u64) -> String {
    let error = client.recv().await;
    assert_eq!(error["Error"]["ErrorCode"], 1, "{error}");
    assert_eq!(error["Error"]["Id"], waiting_id, "{error}");
    let close = tokio::time::timeout(Duration::from_secs(5), client.socket.next()).await.expect("closed in time");
    match close {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected a Close 1008, got {other:?}"),
    }
    error["Error"]["ErrorMessage"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unapproved_web_page_is_held_after_its_handshake_until_the_user_allows_it() {
    let engine = asking_engine(Duration::from_secs(30), &[]).await;
    let mut native = connect_from(engine.port(), None).await.unwrap();
    native.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Native","MessageVersion":3}}]"#).await;
    assert_eq!(native.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}), "no Origin: never held");

    let mut client = page(&engine, "https://game.example", "Web game").await;
    client.send(VIBRATE_HALF).await;
    let (id, approval) = read_by_engine(&engine, "Web game", 2).await;
    assert_eq!(approval, Approval::Pending);
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0), "a held page moves nothing");
    nothing_received(&mut client);

    assert_eq!(engine.allow_client(id, false), Some(Remembered::default()), "allowed once: nothing remembered");
    assert_eq!(client.recv().await, json!({"Ok":{"Id":3}}), "what waited runs once allowed");
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    assert!(engine.approved_origins().is_empty());

    // Allowed once is this client only: the next one from the page waits again.
    let mut again = page(&engine, "https://game.example", "Web game 2").await;
    again.send(r#"[{"Ping":{"Id":4}}]"#).await;
    assert_eq!(read_by_engine(&engine, "Web game 2", 2).await.1, Approval::Pending);
    nothing_received(&mut again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_allow_remembers_the_page_by_origin_and_lets_its_waiting_clients_in() {
    let engine = asking_engine(Duration::from_secs(30), &["https://old.example"]).await;
    let mut old = page(&engine, "https://OLD.example:443/", "Old page").await;
    assert_eq!(old.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}), "approved at start");

    let mut first = page(&engine, "https://game.example", "First").await;
    let mut second = page(&engine, "https://game.example", "Second").await;
    second.send(r#"[{"Ping":{"Id":7}}]"#).await;
    let (second_id, _) = read_by_engine(&engine, "Second", 2).await;
    let (first_id, _) = read_by_engine(&engine, "First", 1).await;
    let remembered = engine.allow_client(first_id, true).expect("it was waiting");
    assert_eq!(remembered, Remembered { peer: None, origin: Some("https://game.example".into()) });
    assert_eq!(engine.approved_origins(), vec!["https://game.example", "https://old.example"]);
    assert_eq!(second.recv().await, json!({"Ok":{"Id":7}}), "the other waiting client of the page came in too");
    assert!(!engine.refuse_client(second_id), "it no longer waits");
    assert_eq!(first.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
    let mut later = page(&engine, "https://game.example", "Any name").await;
    assert_eq!(later.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}), "remembered by Origin");

    // Forgotten (the front end replaces the list): the page waits again.
    engine.set_approved_origins(vec!["https://old.example".into()]);
    let mut forgotten = page(&engine, "https://game.example", "Forgotten").await;
    forgotten.send(r#"[{"Ping":{"Id":2}}]"#).await;
    assert_eq!(read_by_engine(&engine, "Forgotten", 2).await.1, Approval::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_web_page_gets_error_1_and_close_1008_and_moved_nothing() {
    let engine = asking_engine(Duration::from_secs(30), &[]).await;
    let mut client = page(&engine, "https://evil.example", "Evil").await;
    client.send(VIBRATE_HALF).await;
    let (id, _) = read_by_engine(&engine, "Evil", 2).await;
    assert!(engine.refuse_client(id));
    let message = turned_away(&mut client, 3).await;
    assert!(message.contains("https://evil.example") && message.contains("did not allow"), "{message}");
    wait_until("the refused client to be gone", WAIT, async || engine.clients(), |clients| clients.is_empty()).await;
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_nobody_answers_about_is_refused_when_the_time_is_up() {
    let engine = asking_engine(Duration::from_millis(400), &[]).await;
    let mut client = page(&engine, "https://slow.example", "Slow").await;
    client.send(r#"[{"Ping":{"Id":2}}]"#).await;
    let message = turned_away(&mut client, 2).await;
    assert!(message.contains("https://slow.example") && message.contains("did not answer within"), "{message}");
}

/// Request headers, as a browser sends them.
fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    pairs.iter().map(|(name, value)| (*name, value.parse().unwrap())).map(|(n, v)| (n.parse().unwrap(), v)).collect()
}

const REST: Surface = Surface { name: "the REST API", all_interfaces: false, lovense_host_names: false };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_request_from_an_unapproved_page_is_refused_while_the_window_asks() {
    let engine = asking_engine(Duration::from_secs(30), &[]).await;
    let mut events = engine.events();
    // A form on another site posting to the API: no preflight, a simple content type.
    let form_post = headers(&[
        ("host", "127.0.0.1:30010"),
        ("origin", "https://evil.example"),
        ("content-type", "text/plain"),
        ("sec-fetch-site", "cross-site"),
    ]);
    let decision = engine.check_http(&REST, &Method::POST, &form_post);
    let HttpDecision::Answer(refusal) = decision else { panic!("let through: {decision:?}") };
    assert_eq!(refusal.status(), StatusCode::FORBIDDEN);
    assert!(refusal.body().contains("https://evil.example"), "{}", refusal.body());
    wait_until(
        "the front end to hear of the page",
        WAIT,
        async || events.try_recv().ok(),
        |event| matches!(event, Some(EngineEvent::WebPagesChanged)),
    )
    .await;
    assert_eq!(engine.web_pages_asking(), vec!["https://evil.example"]);
    let preflight = headers(&[
        ("host", "127.0.0.1:30010"),
        ("origin", "https://evil.example"),
        ("access-control-request-method", "POST"),
    ]);
    assert!(engine.check_http(&REST, &Method::OPTIONS, &preflight).is_refusal(), "no preflight for it either");

    // The user allows it for this run: its requests pass, with CORS headers for it alone.
    assert_eq!(engine.answer_web_page("https://evil.example", true, false), None);
    assert!(engine.web_pages_asking().is_empty());
    match engine.check_http(&REST, &Method::POST, &form_post) {
        HttpDecision::Proceed(extra) => assert_eq!(extra["access-control-allow-origin"], "https://evil.example"),
        refused => panic!("{refused:?}"),
    }
    assert!(engine.approved_origins().is_empty(), "not remembered");

    // DNS rebinding: another host name is refused even without an Origin.
    let rebound = headers(&[("host", "evil.example:30010"), ("sec-fetch-site", "same-origin")]);
    assert!(engine.check_http(&REST, &Method::POST, &rebound).is_refusal());
    // An <img> on another site: no Origin, cross-site fetch metadata.
    let image = headers(&[("host", "127.0.0.1:30010"), ("sec-fetch-site", "cross-site")]);
    assert!(engine.check_http(&REST, &Method::GET, &image).is_refusal());
    // A native app.
    assert!(matches!(
        engine.check_http(&REST, &Method::POST, &headers(&[("host", "localhost:30010")])),
        HttpDecision::Proceed(_)
    ));

    // Refused: no longer asked about, still refused.
    let other = headers(&[("host", "127.0.0.1:30010"), ("origin", "https://other.example")]);
    assert!(engine.check_http(&REST, &Method::POST, &other).is_refusal());
    assert_eq!(engine.answer_web_page("https://other.example", false, false), None);
    assert!(engine.web_pages_asking().is_empty());
    assert_eq!(engine.answer_web_page("https://other.example", true, true), Some("https://other.example".into()));
    assert!(matches!(engine.check_http(&REST, &Method::POST, &other), HttpDecision::Proceed(_)));
    assert_eq!(engine.approved_origins(), vec!["https://other.example"]);
}

/// The headless engine, as the README documents it: without `--allowed-origins` any web page
/// may use the websocket; with it, only the listed ones, and native apps always.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_engines_allowed_origins_work_as_documented() {
    let program = Program::Native(native_engine());
    let open = EngineProcess::start(&program, &[]).await;
    let mut any = connect_from(open.port(), Some("https://any.example")).await.expect("any web page, by default");
    let hello = r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Page","MessageVersion":3}}]"#;
    assert!(any.ask(hello).await.get("ServerInfo").is_some());
    assert_eq!(any.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}), "not held");
    open.stop().await;

    let listed = ["--allowed-origins".to_owned(), "https://game.example,http://localhost:5173".to_owned()];
    let strict = EngineProcess::start(&program, &listed).await;
    assert_eq!(connect_from(strict.port(), Some("https://evil.example")).await.err(), Some(StatusCode::FORBIDDEN));
    for allowed in [Some("https://game.example"), Some("http://localhost:5173"), None] {
        let mut client = connect_from(strict.port(), allowed).await.unwrap_or_else(|s| panic!("{allowed:?}: {s}"));
        assert!(client.ask(hello).await.get("ServerInfo").is_some());
        let pong: Value = client.ask(r#"[{"Ping":{"Id":2}}]"#).await;
        assert_eq!(pong, json!({"Ok":{"Id":2}}), "{allowed:?}");
    }
    strict.stop().await;
}
