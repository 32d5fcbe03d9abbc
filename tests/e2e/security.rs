//! Who gets in and what they see: the Origin list, the approval of clients from other
//! machines, and per-client device access, over real websockets.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::{non_loopback_address, wait_for_level, wait_until, WAIT};
use plugboard_protocol::model::OutputType;
use plugboard_protocol::Error;
use plugboard_server::{Approval, ApprovedPeer, Engine, EngineConfig, Remembered, RemoteClients};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::raw::Raw;

const HELLO_V3: &str = r#"[{"RequestServerInfo":{"Id":1,"ClientName":"NAME","MessageVersion":3}}]"#;
const PING: &str = r#"[{"Ping":{"Id":2}}]"#;
const HELLO_V4: &str =
    r#"[{"RequestServerInfo":{"Id":1,"ClientName":"NAME","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#;

async fn engine_with(kinds: &[VirtualKind], tweak: impl FnOnce(&mut EngineConfig)) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices = kinds.iter().map(|k| VirtualDeviceSpec::new(*k)).collect();
    tweak(&mut config);
    Engine::start(config).await.expect("engine starts")
}

/// Connects with this Origin header (as a browser does); the HTTP refusal on failure.
async fn connect_with_origin(engine: &Engine, origin: &str) -> Result<Raw, (StatusCode, String)> {
    let mut request = format!("ws://127.0.0.1:{}", engine.port()).into_client_request().unwrap();
    request.headers_mut().insert("Origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(Raw::over(socket)),
        Err(WsError::Http(response)) => {
            let body = response.body().as_deref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            Err((response.status(), body))
        }
        Err(error) => panic!("unexpected failure: {error}"),
    }
}

async fn hello(client: &mut Raw, name: &str, v4: bool) {
    let hello = if v4 { HELLO_V4 } else { HELLO_V3 }.replace("NAME", name);
    let reply = client.ask(&hello).await;
    assert!(reply.get("ServerInfo").is_some(), "{reply}");
}

/// Waits until the session of client `id` has read `count` messages (the registry counts them
/// as it reads them).
async fn read_by_the_session(engine: &Engine, id: u64, count: u64) {
    wait_until(
        format!("client {id}'s session to read {count} messages"),
        WAIT,
        async || engine.clients().into_iter().find(|c| c.id == id).map(|c| c.messages_in),
        |read| read.is_some_and(|read| read >= count),
    )
    .await;
}

/// Asserts that a client waiting for approval is told nothing: two websocket Ping round trips,
/// and nothing but their Pongs arrives. A session answers a Ping when it next reads, after
/// sending what it owed; and it reads before it takes a device event, so the second round trip
/// comes after the session has gone round again and taken any event that was waiting.
async fn hears_nothing(client: &mut Raw, what: &str) {
    for _ in 0..2 {
        client.socket.send(Message::Ping(Default::default())).await.expect("send a websocket Ping");
        loop {
            let message = tokio::time::timeout(WAIT, client.socket.next()).await.expect("a Pong in time");
            match message {
                Some(Ok(Message::Pong(_))) => break,
                Some(Ok(Message::Ping(_))) => continue,
                other => panic!("{what}: got {other:?}"),
            }
        }
    }
}

fn device_indexes(list: &Value) -> Vec<u64> {
    let devices = &list["DeviceList"]["Devices"];
    match devices {
        Value::Array(devices) => devices.iter().map(|d| d["DeviceIndex"].as_u64().unwrap()).collect(),
        Value::Object(devices) => devices.values().map(|d| d["DeviceIndex"].as_u64().unwrap()).collect(),
        _ => panic!("no device list: {list}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_clients_from_other_origins_are_refused_with_403_and_native_ones_are_not() {
    let engine = engine_with(&[], |config| {
        config.allowed_origins = Some(vec!["https://game.example".into(), "http://localhost:5173".into()]);
    })
    .await;
    let (status, body) = connect_with_origin(&engine, "https://evil.example").await.err().expect("refused");
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("https://evil.example") && body.contains("--allowed-origins"), "{body}");
    assert!(engine.clients().is_empty(), "a refused client never gets into the registry");

    let mut allowed = connect_with_origin(&engine, "HTTPS://game.example:443").await.expect("an allowed Origin");
    hello(&mut allowed, "Browser game", false).await;
    let mut native = Raw::connect(&engine).await;
    hello(&mut native, "Native game", false).await;
    let clients = engine.clients();
    let origin_of = |name: &str| clients.iter().find(|c| c.name.as_deref() == Some(name)).unwrap().origin.clone();
    assert_eq!(origin_of("Browser game").as_deref(), Some("HTTPS://game.example:443"));
    assert_eq!(origin_of("Native game"), None);

    // Without a list every Origin is let in and shown.
    let open = engine_with(&[], |_| {}).await;
    let mut any = connect_with_origin(&open, "https://evil.example").await.expect("no list: let in");
    hello(&mut any, "Any page", false).await;
    assert_eq!(open.clients()[0].origin.as_deref(), Some("https://evil.example"));
}

/// An engine that asks before letting "remote" clients in, and where every peer is remote.
async fn asking_engine(timeout: Duration, approved: Vec<ApprovedPeer>) -> Engine {
    engine_with(&[VirtualKind::Vibrator], |config| {
        config.remote_clients = RemoteClients { ask: true, approved, timeout, is_local: |_| false };
    })
    .await
}

async fn pending_client(engine: &Engine, name: &str) -> u64 {
    let clients = wait_until(
        format!("{name} waiting for approval"),
        WAIT,
        async || engine.clients(),
        |clients| clients.iter().any(|c| c.name.as_deref() == Some(name) && c.approval == Approval::Pending),
    )
    .await;
    clients.iter().find(|c| c.name.as_deref() == Some(name)).unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_client_gets_only_its_handshake_until_the_user_allows_it() {
    let engine = asking_engine(Duration::from_secs(30), Vec::new()).await;
    let mut client = Raw::connect(&engine).await;
    hello(&mut client, "Remote game", false).await;
    let id = pending_client(&engine, "Remote game").await;
    // A waiting client hears nothing: not of a device added meanwhile, not the answers to
    // what it sends.
    engine.add_virtual_device(VirtualDeviceSpec::new(VirtualKind::Rotator)).await;
    client.send(r#"[{"RequestDeviceList":{"Id":2}},{"Ping":{"Id":3}}]"#).await;
    read_by_the_session(&engine, id, 3).await;
    hears_nothing(&mut client, "a waiting client hears nothing").await;
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));

    assert!(!engine.refuse_client(999), "no such client");
    let remembered = engine.allow_client(id, false).expect("it was waiting");
    assert_eq!(remembered, Remembered::default(), "allowed once: nothing remembered");
    // What waited runs now, in order; the device added meanwhile is in the list.
    let list = client.recv().await;
    assert_eq!(list["DeviceList"]["Id"], 2);
    assert_eq!(device_indexes(&list), vec![0, 1]);
    assert_eq!(client.recv().await, json!({"Ok":{"Id":3}}));
    assert_eq!(engine.clients()[0].approval, Approval::Allowed);
    let vibrate =
        r#"[{"ScalarCmd":{"Id":4,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#;
    assert_eq!(client.ask(vibrate).await, json!({"Ok":{"Id":4}}), "nothing else came after what waited");
    wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    assert!(engine.allow_client(id, false).is_none(), "answered already");

    // Not remembered: the next connection from there waits again.
    let mut again = Raw::connect(&engine).await;
    hello(&mut again, "Remote game", false).await;
    pending_client(&engine, "Remote game").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_or_unanswered_remote_client_gets_an_error_and_is_closed() {
    let engine = asking_engine(Duration::from_secs(2), Vec::new()).await;
    let mut refused = Raw::connect(&engine).await;
    hello(&mut refused, "Refused", false).await;
    let id = pending_client(&engine, "Refused").await;
    refused.send(r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
    read_by_the_session(&engine, id, 2).await;
    hears_nothing(&mut refused, "waiting").await;
    assert!(engine.refuse_client(id));
    let error = refused.recv().await;
    assert_eq!(error["Error"]["Id"], 2, "the waiting message gets the Error: {error}");
    assert_eq!(error["Error"]["ErrorCode"], 1);
    assert!(error["Error"]["ErrorMessage"].as_str().unwrap().contains("did not allow this client"), "{error}");
    assert!(refused.closed().await);

    let mut unanswered = Raw::connect(&engine).await;
    hello(&mut unanswered, "Unanswered", false).await;
    pending_client(&engine, "Unanswered").await;
    let error = tokio::time::timeout(Duration::from_secs(5), unanswered.recv()).await.expect("refused in time");
    assert_eq!(error["Error"]["Id"], 0);
    assert_eq!(error["Error"]["ErrorCode"], 1);
    assert!(error["Error"]["ErrorMessage"].as_str().unwrap().contains("did not answer within 2 seconds"), "{error}");
    assert!(unanswered.closed().await);
    wait_until("both gone", WAIT, async || engine.clients(), |clients| clients.is_empty()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_are_remembered_by_address_and_origin_not_by_name() {
    let localhost: IpAddr = "127.0.0.1".parse().unwrap();
    let engine = asking_engine(
        Duration::from_secs(30),
        vec![ApprovedPeer::new(localhost, Some("https://known.example".into()))],
    )
    .await;
    // Remembered from the start: in at once.
    let mut known = connect_with_origin(&engine, "https://known.example").await.unwrap();
    hello(&mut known, "Known", false).await;
    assert_eq!(known.ask(PING).await, json!({"Ok":{"Id":2}}));
    assert_eq!(engine.clients()[0].approval, Approval::NotNeeded);

    // The same address with no Origin is another client: it waits; remembering lets in the
    // next one from there whatever name it gives.
    let mut native = Raw::connect(&engine).await;
    hello(&mut native, "Native", false).await;
    let id = pending_client(&engine, "Native").await;
    let remembered = Remembered { peer: Some(ApprovedPeer::new(localhost, None)), origin: None };
    assert_eq!(engine.allow_client(id, true), Some(remembered));
    assert_eq!(native.ask(PING).await, json!({"Ok":{"Id":2}}));
    let mut renamed = Raw::connect(&engine).await;
    hello(&mut renamed, "Any name at all", false).await;
    assert_eq!(renamed.ask(PING).await, json!({"Ok":{"Id":2}}));
    assert_eq!(engine.approved_peers().len(), 2);

    // Forgetting (the app's settings list) makes them wait again; remembering lets waiting ones in.
    engine.set_approved_peers(Vec::new());
    let mut later = Raw::connect(&engine).await;
    hello(&mut later, "Later", false).await;
    pending_client(&engine, "Later").await;
    engine.set_approved_peers(vec![ApprovedPeer::new(localhost, None)]);
    assert_eq!(later.ask(PING).await, json!({"Ok":{"Id":2}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_clients_and_engines_that_do_not_ask_let_everyone_in() {
    // Asking, but the peer is loopback (the real check).
    let engine = engine_with(&[], |config| {
        config.remote_clients = RemoteClients { ask: true, ..RemoteClients::default() };
    })
    .await;
    let mut local = Raw::connect(&engine).await;
    hello(&mut local, "Local", false).await;
    assert_eq!(local.ask(PING).await, json!({"Ok":{"Id":2}}));
    // Not asking (the headless engine's --websocket-use-all-interfaces), every peer remote.
    let engine = engine_with(&[], |config| config.remote_clients.is_local = |_| false).await;
    let mut remote = Raw::connect(&engine).await;
    hello(&mut remote, "Remote", false).await;
    assert_eq!(remote.ask(PING).await, json!({"Ok":{"Id":2}}));
    assert_eq!(engine.clients()[0].approval, Approval::NotNeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_from_the_network_waits_by_the_real_check_and_one_from_loopback_does_not() {
    let address = non_loopback_address();
    let engine = engine_with(&[], |config| {
        config.listen = vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)];
        config.remote_clients.ask = true;
    })
    .await;
    let (socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{address}:{}", engine.port())).await.expect("connect");
    let mut remote = Raw::over(socket);
    hello(&mut remote, "From the network", false).await;
    let id = pending_client(&engine, "From the network").await;
    assert_eq!(engine.clients()[0].peer.map(|peer| peer.ip()), Some(address));
    let mut local = Raw::connect(&engine).await;
    hello(&mut local, "Local", false).await;
    assert_eq!(local.ask(PING).await, json!({"Ok":{"Id":2}}));
    assert!(engine.refuse_client(id));
    assert!(remote.closed().await);
}

fn only(addresses: &[&str]) -> Option<BTreeSet<String>> {
    Some(addresses.iter().map(|a| a.to_string()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_limited_to_some_devices_sees_and_drives_only_those() {
    // virtual:3 does not exist yet: a device it may use, added later.
    let engine = engine_with(&[VirtualKind::Vibrator, VirtualKind::Vibrator], |config| {
        config.device_access.insert("Limited".into(), only(&["virtual:1", "virtual:3"]).unwrap());
    })
    .await;
    let addresses: Vec<String> = engine.devices().iter().map(|d| d.address.clone()).collect();
    assert_eq!(addresses, ["virtual:0", "virtual:1"]);
    let mut limited = Raw::connect(&engine).await;
    let mut free = Raw::connect(&engine).await;
    let mut limited_v4 = Raw::connect(&engine).await;
    hello(&mut limited, "Limited", false).await;
    hello(&mut free, "Free", false).await;
    hello(&mut limited_v4, "Limited", true).await;

    assert_eq!(device_indexes(&limited.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await), vec![1]);
    assert_eq!(device_indexes(&limited_v4.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await), vec![1]);
    assert_eq!(device_indexes(&free.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await), vec![0, 1]);

    // A command to a hidden device gets exactly the Error of a device that is not there.
    let vibrate = |id: u32, device: u32| {
        format!(
            r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{device},"Scalars":[{{"Index":0,"Scalar":1.0,"ActuatorType":"Vibrate"}}]}}}}]"#
        )
    };
    let hidden = limited.ask(&vibrate(3, 0)).await;
    let expected = Error::device_not_available(0);
    assert_eq!(hidden, json!({"Error":{"Id":3,"ErrorCode":4,"ErrorMessage":expected.text()}}));
    let absent = limited.ask(&vibrate(4, 9)).await;
    assert_eq!(absent["Error"]["ErrorCode"], 4);
    assert_eq!(limited.ask(r#"[{"StopDeviceCmd":{"Id":5,"DeviceIndex":0}}]"#).await["Error"]["Id"], 5);
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
    assert_eq!(limited.ask(&vibrate(6, 1)).await, json!({"Ok":{"Id":6}}));
    wait_for_level(&engine, 1, 0, OutputType::Vibrate, 20).await;
    assert_eq!(free.ask(&vibrate(3, 0)).await, json!({"Ok":{"Id":3}}));

    // A new device the limited client may not use: it does not hear of it; the other does.
    // Then one it may use: device events reach a session in order, so news of the first would
    // come before news of the second.
    let index = engine.add_virtual_device(VirtualDeviceSpec::new(VirtualKind::Rotator)).await;
    let usable = engine.add_virtual_device(VirtualDeviceSpec::new(VirtualKind::Vibrator)).await;
    assert_eq!(usable, 3, "the address the rule names");
    assert_eq!(free.recv().await["DeviceAdded"]["DeviceIndex"], index);
    assert_eq!(free.recv().await["DeviceAdded"]["DeviceIndex"], usable);
    assert_eq!(
        limited.recv().await["DeviceAdded"]["DeviceIndex"],
        usable,
        "no DeviceAdded for a device it may not use"
    );
    assert_eq!(device_indexes(&limited_v4.recv().await), vec![1, 3], "no DeviceList for a device it may not use");
    assert!(engine.remove_device(index).await);
    assert!(engine.remove_device(usable).await);
    assert_eq!(free.recv().await["DeviceRemoved"]["DeviceIndex"], index);
    assert_eq!(free.recv().await["DeviceRemoved"]["DeviceIndex"], usable);
    assert_eq!(
        limited.recv().await,
        json!({"DeviceRemoved":{"Id":0,"DeviceIndex":usable}}),
        "no DeviceRemoved for a device it never saw"
    );
    assert_eq!(device_indexes(&limited_v4.recv().await), vec![1]);

    // The user changes the rule while it is connected: it hears of it at once, and what it
    // ran on a device it loses stops.
    engine.set_device_access("Limited", only(&["virtual:0"]));
    let mut heard = vec![limited.recv().await, limited.recv().await];
    heard.sort_by_key(|m| m.to_string());
    assert_eq!(heard[0]["DeviceAdded"]["DeviceIndex"], 0, "{heard:?}");
    assert_eq!(heard[1], json!({"DeviceRemoved":{"Id":0,"DeviceIndex":1}}));
    assert_eq!(device_indexes(&limited_v4.recv().await), vec![0]);
    wait_for_level(&engine, 1, 0, OutputType::Vibrate, 0).await;
    // Other clients are not affected: a session takes a rule change before the next frame,
    // so anything it told `free` would come before this answer.
    assert_eq!(free.ask(PING).await, json!({"Ok":{"Id":2}}), "other clients are not affected");

    engine.set_device_access("Limited", None);
    assert_eq!(limited.recv().await["DeviceAdded"]["DeviceIndex"], 1);
    assert_eq!(device_indexes(&limited_v4.recv().await), vec![0, 1]);
    assert!(engine.device_access().is_empty());
}
