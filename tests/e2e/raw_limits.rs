//! The per-connection limits, over a real websocket with small limits so nothing waits long:
//! each refusal is the specified Error (and close code), it shows as the client's last error,
//! the offending client's outputs stop when it is dropped, and other clients go on.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::virtual_device::VirtualKind;
use plugboard_protocol::model::OutputType;
use plugboard_server::{Engine, EngineConfig, EngineEvent, EngineEvents};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::raw::{Raw, WAIT};

const HANDSHAKE: &str = r#"[{"RequestServerInfo":{"Id":1,"ClientName":"limits","MessageVersion":3}}]"#;

fn vibrate(id: u32, level: u32) -> String {
    format!(
        r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":0,"Scalars":[{{"Index":0,"Scalar":{},"ActuatorType":"Vibrate"}}]}}}}]"#,
        f64::from(level) / 20.0
    )
}

fn pings(ids: std::ops::Range<u32>) -> String {
    let list: Vec<String> = ids.map(|id| format!(r#"{{"Ping":{{"Id":{id}}}}}"#)).collect();
    format!("[{}]", list.join(","))
}

async fn engine(tweak: impl FnOnce(&mut EngineConfig)) -> Engine {
    plugboard_e2e::start_engine_with(&[VirtualKind::Vibrator, VirtualKind::Vibrator], tweak).await
}

async fn connected(engine: &Engine) -> Raw {
    let mut raw = Raw::connect(engine).await;
    assert!(raw.ask(HANDSHAKE).await.get("ServerInfo").is_some());
    raw
}

fn error_of(message: &Value) -> (u64, u64, String) {
    let error = message.get("Error").unwrap_or_else(|| panic!("an Error: {message}"));
    (
        error["Id"].as_u64().unwrap(),
        error["ErrorCode"].as_u64().unwrap(),
        error["ErrorMessage"].as_str().unwrap().to_owned(),
    )
}

/// Reads until the server's Close frame: the messages before it and the close code.
async fn until_close(raw: &mut Raw) -> (Vec<Value>, Option<u16>) {
    let mut messages = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, raw.socket.next()).await.expect("closed in time") {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                messages.extend(frame.as_array().unwrap().iter().cloned());
            }
            Some(Ok(Message::Close(frame))) => return (messages, frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (messages, None),
        }
    }
}

/// The last error an engine event reported for any client containing `needle`.
fn reported_error(events: &mut EngineEvents, needle: &str) -> Option<String> {
    let mut found = None;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::ClientChanged(client) = event {
            if let Some(error) = client.last_error.filter(|e| e.contains(needle)) {
                found = Some(error);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_size_limit_gets_an_error_then_close_1009() {
    let engine = engine(|c| c.limits.max_frame_bytes = 1000).await;
    let mut events = engine.events();
    let mut other = connected(&engine).await;
    let mut client = connected(&engine).await;
    assert_eq!(client.ask(&vibrate(2, 10)).await, json!({"Ok":{"Id":2}}));
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
    // Exactly at the limit is fine.
    let ping = r#"[{"Ping":{"Id":3}}]"#;
    let at_limit = format!("{ping}{}", " ".repeat(1000 - ping.len()));
    assert_eq!(client.ask(&at_limit).await, json!({"Ok":{"Id":3}}));
    client.send(&format!("{at_limit} ")).await;
    let (messages, code) = until_close(&mut client).await;
    assert_eq!(code, Some(1009));
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (id, error_code, text) = error_of(&messages[0]);
    assert_eq!((id, error_code), (0, 3));
    assert!(text.contains("1001 bytes") && text.contains("1000") && text.contains("--max-frame-size"), "{text}");
    assert!(reported_error(&mut events, "--max-frame-size").is_some(), "the refusal reached the client's snapshot");
    // Its outputs stop; the other client goes on.
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    plugboard_e2e::wait_for_clients(&engine, 1).await;
    assert_eq!(other.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_with_too_many_messages_gets_one_error_and_none_runs() {
    let engine = engine(|c| c.limits.max_messages_per_frame = 5).await;
    let mut client = connected(&engine).await;
    let six = r#"[{"Ping":{"Id":2}},{"Ping":{"Id":3}},{"Ping":{"Id":4}},{"Ping":{"Id":5}},{"Ping":{"Id":6}},
        {"ScalarCmd":{"Id":7,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.0,"ActuatorType":"Vibrate"}]}}]"#;
    let (id, code, text) = error_of(&client.ask(six).await);
    assert_eq!((id, code), (0, 3));
    assert!(text.contains("more than 5") && text.contains("--max-messages-per-frame"), "{text}");
    // Nothing of it ran, and the session goes on: five in a frame are fine.
    client.send(&pings(10..15)).await;
    for id in 10..15 {
        assert_eq!(client.recv().await, json!({"Ok":{"Id":id}}));
    }
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
    let snapshot = &engine.clients()[0];
    assert!(snapshot.last_error.as_deref().unwrap_or_default().contains("--max-messages-per-frame"), "{snapshot:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_the_rate_get_error_code_3_and_are_dropped_and_the_session_stays() {
    let engine = engine(|c| c.limits.max_messages_per_second = 10).await;
    let mut other = connected(&engine).await;
    let mut client = connected(&engine).await;
    // Let the handshake's token come back (one per 100 ms): the bucket holds one second's worth.
    // The pause is the rate under test, not a wait for something to settle.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut frame = pings(2..12);
    frame.pop();
    frame.push(',');
    frame.push_str(&vibrate(12, 20)[1..]);
    client.send(&frame).await;
    for id in 2..12 {
        assert_eq!(client.recv().await, json!({"Ok":{"Id":id}}), "the first 10 go through");
    }
    let (id, code, text) = error_of(&client.recv().await);
    assert_eq!((id, code), (12, 3), "the 11th is dropped, with its Id");
    assert!(text.contains("10 per second") && text.contains("--max-messages-per-second"), "{text}");
    // More right away: dropped too (but for a token that came back meanwhile), each answered.
    client.send(&pings(30..35)).await;
    let mut dropped = 0;
    for id in 30..35u32 {
        let reply = client.recv().await;
        if reply.get("Error").is_some() {
            assert_eq!(error_of(&reply), (u64::from(id), 3, text.clone()));
            dropped += 1;
        } else {
            assert_eq!(reply, json!({"Ok":{"Id":id}}));
        }
    }
    assert!(dropped >= 3, "{dropped} of 5 dropped");
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0), "the dropped command did not run");
    let snapshot = engine.clients().into_iter().find(|c| c.last_error.is_some()).expect("a client with an error");
    assert!(snapshot.last_error.unwrap().contains("--max-messages-per-second"));
    // Another client has its own budget.
    assert_eq!(other.ask(&pings(2..3)).await, json!({"Ok":{"Id":2}}));
    // Tokens come back with time: the pause is the rate under test.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(client.ask(&vibrate(40, 20)).await, json!({"Ok":{"Id":40}}));
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 20).await;
}

/// A client over its rate still stops: a stop beyond the rate, in a frame with refused commands
/// or in a frame of its own (read whole, not on the cheap path for refusals), runs and gets Ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_over_the_rate_still_stops() {
    let engine = engine(|c| c.limits.max_messages_per_second = 4).await;
    let mut client = connected(&engine).await;
    // Use up the rest of the second's burst with a level, so the device runs.
    client.send(&pings(2..5)).await;
    for id in 2..5 {
        assert_eq!(client.recv().await, json!({"Ok":{"Id":id}}));
    }
    for (id, level, stop) in
        [(10, 20, r#"{"StopDeviceCmd":{"Id":11,"DeviceIndex":0}}"#), (20, 12, r#"{"StopAllDevices":{"Id":21}}"#)]
    {
        // One token comes back every 250 ms: the pause is the rate under test.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(client.ask(&vibrate(id, level)).await, json!({"Ok":{"Id":id}}));
        plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, level as i32).await;
        // Six pings and the stop in one frame, with no token left: the pings are refused.
        let mut frame = pings(30..36);
        frame.pop();
        frame.push(',');
        frame.push_str(stop);
        frame.push(']');
        client.send(&frame).await;
        let mut refused = 0;
        let mut stop_answer = None;
        for _ in 0..7 {
            let reply = client.recv().await;
            match reply.get("Error") {
                Some(_) => refused += usize::from(error_of(&reply).1 == 3),
                None if reply["Ok"]["Id"] == id + 1 => stop_answer = Some(reply),
                None => {}
            }
        }
        assert!(refused >= 5, "the client is over its rate: {refused} of 6 pings refused");
        assert_eq!(stop_answer, Some(json!({"Ok":{"Id":id + 1}})), "the stop is obeyed and answered");
        plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    }
    // A frame holding only a stop, while over the rate: answered Ok, not refused.
    client.send(&pings(40..46)).await;
    for _ in 40..46 {
        client.recv().await;
    }
    assert_eq!(client.ask(r#"[{"StopDeviceCmd":{"Id":50,"DeviceIndex":1}}]"#).await, json!({"Ok":{"Id":50}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_frames_count_against_the_rate_too() {
    let engine = engine(|c| c.limits.max_messages_per_second = 3).await;
    let mut client = Raw::connect(&engine).await;
    for _ in 0..5 {
        client.socket.send(Message::binary(vec![0u8; 4])).await.unwrap();
    }
    let mut rate_errors = 0;
    for _ in 0..5 {
        let (id, code, text) = error_of(&client.recv().await);
        assert_eq!((id, code), (0, 3));
        rate_errors += usize::from(text.contains("--max-messages-per-second"));
    }
    assert_eq!(rate_errors, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_does_not_handshake_in_time_is_closed() {
    let engine = engine(|c| c.limits.handshake_timeout = Duration::from_millis(500)).await;
    let mut events = engine.events();
    let started = Instant::now();
    let mut silent = Raw::connect(&engine).await;
    let mut chatty = Raw::connect(&engine).await;
    let mut prompt = Raw::connect(&engine).await;
    // The server accepted it before the upgrade finished: its handshake deadline is no later.
    let prompt_deadline = Instant::now() + Duration::from_millis(500);
    assert!(prompt.ask(HANDSHAKE).await.get("ServerInfo").is_some());
    // Messages other than RequestServerInfo do not count as a handshake.
    let (_, code, _) = error_of(&chatty.ask(r#"[{"Ping":{"Id":2}}]"#).await);
    assert_eq!(code, 1);
    for raw in [&mut silent, &mut chatty] {
        let (messages, close) = until_close(raw).await;
        assert_eq!(close, Some(1008));
        assert_eq!(messages.len(), 1, "{messages:?}");
        let (id, code, text) = error_of(&messages[0]);
        assert_eq!((id, code), (0, 1));
        assert!(text.contains("500 ms") && text.contains("--handshake-timeout"), "{text}");
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(500) && elapsed < WAIT, "{elapsed:?}");
    assert!(reported_error(&mut events, "--handshake-timeout").is_some());
    // A TCP connection that never even starts the websocket upgrade is closed too.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", engine.port())).await.unwrap();
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(WAIT, tcp.read(&mut buffer)).await.expect("closed in time");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // The client that did handshake is not affected: past the deadline it would have had, its
    // session takes the timer before the next frame (session.rs polls deadlines first), so a
    // Ping answered after it shows that the deadline ended with the handshake. The pause is
    // the time-out under test.
    tokio::time::sleep_until(prompt_deadline).await;
    assert_eq!(prompt.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
    plugboard_e2e::wait_for_clients(&engine, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_pings_keep_live_clients_and_drop_dead_ones() {
    let engine = engine(|c| {
        c.limits.websocket_ping_interval = Duration::from_millis(100);
        c.limits.websocket_pong_timeout = Duration::from_millis(400);
    })
    .await;
    let mut live = connected(&engine).await;
    let mut dead = connected(&engine).await;
    assert_eq!(dead.ask(&vibrate(2, 20)).await, json!({"Ok":{"Id":2}}));
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 20).await;
    // The live client reads, so its websocket library answers every Ping. A session pings
    // again only once its last Ping was answered (it closes instead), so a second Ping shows
    // the first was counted as an answer.
    for ping in 0..2 {
        match tokio::time::timeout(WAIT, live.socket.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => {}
            other => panic!("only websocket Pings while idle, ping {ping}: {other:?}"),
        }
    }
    assert_eq!(live.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
    // The dead one read nothing, so it answered nothing: it is gone, and its outputs stopped.
    plugboard_e2e::wait_for_clients(&engine, 1).await;
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    let (_, code) = until_close(&mut dead).await;
    assert_eq!(code, Some(1001));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_and_its_outputs_stop() {
    let engine = engine(|c| {
        c.limits.max_messages_per_second = 0;
        c.limits.websocket_ping_interval = Duration::ZERO;
        c.limits.websocket_pong_timeout = Duration::from_millis(300);
    })
    .await;
    let mut other = connected(&engine).await;
    let mut client = connected(&engine).await;
    assert_eq!(client.ask(&vibrate(2, 20)).await, json!({"Ok":{"Id":2}}));
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 20).await;
    // Ask for far more replies than the socket buffers hold, and read none of them.
    let id = stop_reading(&engine, client);
    // Filling the socket buffers takes a moment on a busy machine; then 300 ms.
    plugboard_e2e::wait_until(
        format!("client {id}, which does not read, to be dropped"),
        Duration::from_secs(30),
        async || engine.clients().into_iter().find(|c| c.id == id),
        Option::is_none,
    )
    .await;
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
    assert_eq!(other.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
    // Stopping the engine is not held up by anyone.
    plugboard_e2e::within("engine stop", engine.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_client_limit_is_64() {
    let engine = engine(|_| {}).await;
    assert_eq!(engine.config().max_clients, 64);
    let mut clients = Vec::new();
    for _ in 0..64 {
        clients.push(Raw::connect(&engine).await);
    }
    plugboard_e2e::wait_for_clients(&engine, 64).await;
    let mut extra = Raw::connect(&engine).await;
    let (messages, code) = until_close(&mut extra).await;
    assert_eq!(code, Some(1013));
    let (id, error_code, text) = error_of(&messages[0]);
    assert_eq!((id, error_code), (0, 1));
    assert!(text.contains("64") && text.contains("--max-clients"), "{text}");
    // One leaves, and there is room again.
    clients.pop();
    plugboard_e2e::wait_for_clients(&engine, 63).await;
    let mut late = Raw::connect(&engine).await;
    assert!(late.ask(HANDSHAKE).await.get("ServerInfo").is_some());
    assert!(clients[0].ask(HANDSHAKE).await.get("ServerInfo").is_some());
}

/// Makes `client` a client that does not read: from a task of its own it asks, again and
/// again, for device lists it never reads, until the connection breaks (or forever, when the
/// server is stuck sending to it). Returns its engine client id.
fn stop_reading(engine: &Engine, client: Raw) -> plugboard_server::ClientId {
    let id = engine.clients().iter().map(|c| c.id).max().expect("the client is registered");
    let list: Vec<String> = (1..=256).map(|id| format!(r#"{{"RequestDeviceList":{{"Id":{id}}}}}"#)).collect();
    let frame = format!("[{}]", list.join(","));
    let Raw { mut socket, .. } = client;
    tokio::spawn(async move { while socket.send(Message::text(frame.as_str())).await.is_ok() {} });
    id
}

/// Waits until the engine's session for `id` is stuck sending replies its client does not
/// read: replies owed, and the counts unchanged for half a second. Stuck is an absence of
/// progress, so it takes a look over time; declared too early, the test below proves less (a
/// kick or stop of a session that is not stuck is quick anyway), never something false.
async fn stuck_sending(engine: &Engine, id: plugboard_server::ClientId) {
    let counts = || engine.clients().into_iter().find(|c| c.id == id).map(|c| (c.messages_in, c.messages_out));
    plugboard_e2e::wait_until(
        format!("client {id} to be stuck sending (counts before and after half a second)"),
        Duration::from_secs(30),
        async || {
            let before = counts();
            tokio::time::sleep(Duration::from_millis(500)).await;
            (before, counts())
        },
        |(before, now)| matches!(now, Some((sent, answered)) if sent > answered) && now == before,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_does_not_hold_up_a_kick_or_the_engine_stop() {
    // The default 10 s write timeout: the kick and the stop must not wait for it.
    let engine = engine(|c| c.limits.max_messages_per_second = 0).await;
    let first = connected(&engine).await;
    let first = stop_reading(&engine, first);
    let second = connected(&engine).await;
    let second = stop_reading(&engine, second);
    stuck_sending(&engine, first).await;
    stuck_sending(&engine, second).await;
    let started = Instant::now();
    assert!(engine.disconnect_client(first).await);
    plugboard_e2e::wait_for_clients(&engine, 1).await;
    plugboard_e2e::within("engine stop", engine.stop()).await;
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}
