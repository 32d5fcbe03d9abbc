//! A published Lovense API client (pip `lovensepy` 1.0.4, tests/clients/python/lovense.py)
//! drives Plugboard's Lovense API as a game would, while two official Buttplug clients (pip
//! `buttplug` 1.0.0 and npm `buttplug` 5.0.2, spec v4) hold two virtual vibrators. The toys
//! it drives dial in over the device websocket and record what they receive: a Lovense Hush
//! (the Lovense protocol's text commands) and a We-Vibe Ditto (the We-Vibe's 8-byte packets),
//! so every step is checked as the bytes each toy gets, and when.

use std::time::Duration;

use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::wait_for_devices;
use plugboard_protocol::model::OutputType;
use plugboard_server::{ClientKind, Engine, EngineConfig};
use serde_json::json;
use tokio::time::Instant;

use crate::client_scripts::{wait_for_client, wait_for_level, ScriptClient};
use crate::device_websocket::{user_config, FakeLovense};
use crate::raw::Raw;
use crate::websocket_toys::RecordingToy;

const LOVENSE_VENV: &str = "python-lovense";
const APP: &str = "Plugboard e2e lovensepy";

/// The We-Vibe Ditto's packets: one motor, its level 0-15 in both nibbles of byte 3.
fn ditto(level: u8) -> Vec<u8> {
    if level == 0 {
        vec![0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
    } else {
        vec![0x0f, 0x03, 0x00, (level << 4) | level, 0x00, 0x03, 0x00, 0x00]
    }
}

/// An engine with the Lovense API on a free port, the device websocket for the two toys, and
/// two virtual vibrators (indexes 0 and 1) for the Buttplug clients.
async fn start_engine(dir: &std::path::Path) -> Engine {
    let bindings =
        json!([{"identifier": "FakeLVS", "protocol": "lovense"}, {"identifier": "Ditto", "protocol": "wevibe"}]);
    let own = user_config(
        dir,
        json!({"format": "plugboard-user-device-config", "version": 1, "websocket_devices": bindings}),
    );
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices =
        [VirtualKind::Vibrator, VirtualKind::Vibrator].into_iter().map(VirtualDeviceSpec::new).collect();
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.own_user_config_path = Some(own);
    config.lovense_api.enabled = true;
    config.lovense_api.port = 0;
    config.lovense_api.https_port = None;
    Engine::start(config).await.expect("the engine starts")
}

/// Reads the Hush's commands up to and including `wanted`; only the commands in `allowed`
/// may come before it (steps of a program that were on their way).
async fn hush_until(hush: &mut FakeLovense, wanted: &str, allowed: &[&str], context: &dyn Fn() -> String) -> Instant {
    loop {
        let command = hush.next().await;
        if command == wanted {
            return Instant::now();
        }
        assert!(allowed.contains(&command.as_str()), "the Hush got {command:?} waiting for {wanted:?}\n{}", context());
    }
}

/// The same for the Ditto's packets.
async fn ditto_until(
    toy: &mut RecordingToy,
    wanted: &[u8],
    allowed: &[Vec<u8>],
    context: &dyn Fn() -> String,
) -> Instant {
    loop {
        let (at, packet) = toy.next().await;
        if packet == wanted {
            return at;
        }
        assert!(allowed.contains(&packet), "the Ditto got {packet:02x?} waiting for {wanted:02x?}\n{}", context());
    }
}

fn assert_apart(
    what: &str,
    from: Instant,
    to: Instant,
    range: std::ops::Range<Duration>,
    context: &dyn Fn() -> String,
) {
    let apart = to - from;
    assert!(range.contains(&apart), "{what}: {apart:?} apart, expected {range:?}\n{}", context());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lovensepy_drives_a_lovense_and_a_we_vibe_beside_official_buttplug_clients() {
    let dir = tempfile::tempdir().unwrap();
    let engine = start_engine(dir.path()).await;
    let mut hush = FakeLovense::connect(&engine, "FakeLVS", "AABBCCDDEE01").await;
    let mut other = RecordingToy::connect(&engine, "Ditto", "DDEEFF000001").await;
    wait_for_devices(&engine, 4).await;
    // The We-Vibe's start-up, written before it was listed.
    assert_eq!(other.next().await.1, vec![0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00]);
    assert_eq!(other.next().await.1, ditto(0));
    let index_of =
        |address: &str| engine.devices().into_iter().find(|d| d.address.contains(address)).unwrap().info.index;
    let (hush_index, ditto_index) = (index_of("AABBCCDDEE01"), index_of("DDEEFF000001"));

    // Two official Buttplug clients hold the virtual vibrators at 0.5 (level 10).
    let url = engine.url();
    let mut python = ScriptClient::python("python-v4", "v4.py", &url, "disconnect", &[], &[0]);
    let mut node = ScriptClient::node("v4.mjs", &url, "disconnect", &[1]);
    for (client, device) in [(&mut python, 0), (&mut node, 1)] {
        let context = client.context();
        for event in ["server", "devices", "vibrated"] {
            client.expect_event(event).await;
        }
        client.expect_ready("vibrated").await;
        wait_for_level(&engine, device, 0, OutputType::Vibrate, 10, &context).await;
    }

    let mut game = ScriptClient::python(LOVENSE_VENV, "lovense.py", &lovense_url(&engine), "drive", &[], &[]);
    let context = game.context();

    // GetToys, parsed by the library: every device is a toy, the Hush as itself.
    let client = game.expect_event("client").await;
    assert_eq!(client["library"], "lovensepy 1.0.4", "{}", context());
    let toys = game.expect_event("toys").await;
    let listed = toys["toys"].as_array().expect("toys").clone();
    assert_eq!(listed.len(), 4, "{toys}\n{}", context());
    let toy = |nick: &str| listed.iter().find(|toy| toy["nickName"] == nick).cloned().unwrap_or_default();
    let hush_toy = toy("Lovense Hush");
    assert_eq!((hush_toy["name"].as_str(), hush_toy["status"].as_str()), (Some("hush"), Some("1")), "{toys}");
    assert_eq!(hush_toy["battery"], 73, "{toys}");
    assert_eq!(toy("WeVibe Ditto")["name"], "lush", "a one-motor vibrator appears as a Lush: {toys}");
    assert_eq!(toys["names"].as_array().map(Vec::len), Some(4), "{toys}");
    game.expect_ready("toys").await;
    wait_for_client(&engine, APP, &context).await;
    let app = engine.clients().into_iter().find(|client| client.name.as_deref() == Some(APP)).expect("listed");
    assert_eq!(app.kind, ClientKind::LovenseApi);
    for official in ["plugboard-e2e py v4", "plugboard-e2e js v4"] {
        wait_for_client(&engine, official, &context).await;
    }
    game.proceed().await;

    // Function Vibrate on each toy by id: Hush 10 of 20, Ditto 8 of 20 = 6 of 15.
    game.expect_ready("vibrate").await;
    assert_eq!(hush.next().await, "Vibrate:10;", "{}", context());
    assert_eq!(other.next().await.1, ditto(6), "{}", context());
    game.proceed().await;

    // All:20 for 1.5 s on a list of both: full, then each stops by itself.
    game.expect_ready("timed").await;
    let hush_started = hush_until(&mut hush, "Vibrate:20;", &[], &context).await;
    let (ditto_started, packet) = other.next().await;
    assert_eq!(packet, ditto(15), "{}", context());
    let hush_ended = hush_until(&mut hush, "Vibrate:0;", &[], &context).await;
    let ditto_ended = ditto_until(&mut other, &ditto(0), &[], &context).await;
    let timed = Duration::from_millis(1300)..Duration::from_millis(3000);
    assert_apart("the Hush's timeSec 1.5", hush_started, hush_ended, timed.clone(), &context);
    assert_apart("the Ditto's timeSec 1.5", ditto_started, ditto_ended, timed, &context);
    game.proceed().await;

    // A 1.2 s on / 1.2 s off loop on the Hush, then Stop.
    game.expect_ready("loop").await;
    let on = hush_until(&mut hush, "Vibrate:12;", &[], &context).await;
    let off = hush_until(&mut hush, "Vibrate:0;", &[], &context).await;
    let on_again = hush_until(&mut hush, "Vibrate:12;", &[], &context).await;
    let half = Duration::from_millis(900)..Duration::from_millis(2500);
    assert_apart("the loop's run", on, off, half.clone(), &context);
    assert_apart("the loop's pause", off, on_again, half, &context);
    game.proceed().await;
    game.expect_ready("loop-stopped").await;
    game.proceed().await;

    // A pattern on the Ditto (4 and 16 of 20 = 3 and 12 of 15, every 200 ms) and the pulse
    // preset on the Hush (20 and 0). The Hush's loop ended with the Stop: a 0 may still come
    // from it, a 12 may not.
    game.expect_ready("pattern").await;
    hush_until(&mut hush, "Vibrate:20;", &["Vibrate:0;"], &context).await;
    hush_until(&mut hush, "Vibrate:0;", &[], &context).await;
    hush_until(&mut hush, "Vibrate:20;", &[], &context).await;
    let mut steps = Vec::new();
    for level in [3, 12, 3, 12] {
        steps.push(ditto_until(&mut other, &ditto(level), &[], &context).await);
    }
    for pair in steps.windows(2) {
        assert_apart(
            "a pattern step",
            pair[0],
            pair[1],
            Duration::from_millis(100)..Duration::from_millis(700),
            &context,
        );
    }
    game.proceed().await;

    // Stop on both. A toy the pattern had just set to 0 gets no write for the stop (it is at
    // 0 already), so the check is the barrier below.
    game.expect_ready("stopped").await;
    game.proceed().await;
    game.expect_clean_exit().await;
    wait_for_level(&engine, hush_index, 0, OutputType::Vibrate, 0, &context).await;
    wait_for_level(&engine, ditto_index, 0, OutputType::Vibrate, 0, &context).await;

    // Nothing of the game runs on: a Buttplug client's level comes to each toy right after
    // the game's last write, which was a 0 (the toys' links are ordered, so a step of a
    // program left running would show up between them, or leave the toy above 0).
    let mut buttplug = Raw::v4_client(engine.port(), "after").await;
    let vibrate = |id: u32, index: u32, value: u32| {
        format!(
            r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}]"#
        )
    };
    assert_eq!(buttplug.ask(&vibrate(2, hush_index, 7)).await, json!({"Ok":{"Id":2}}));
    assert_eq!(buttplug.ask(&vibrate(3, ditto_index, 5)).await, json!({"Ok":{"Id":3}}));
    let mut last = String::new();
    loop {
        let command = hush.next().await;
        if command == "Vibrate:7;" {
            break;
        }
        assert!(["Vibrate:0;", "Vibrate:20;"].contains(&command.as_str()), "the Hush got {command:?}\n{}", context());
        last = command;
    }
    assert_eq!(last, "Vibrate:0;", "the Hush's last write before the Buttplug client's\n{}", context());
    let mut last = Vec::new();
    loop {
        let (_, packet) = other.next().await;
        if packet == ditto(5) {
            break;
        }
        assert!([ditto(0), ditto(3), ditto(12)].contains(&packet), "the Ditto got {packet:02x?}\n{}", context());
        last = packet;
    }
    assert_eq!(last, ditto(0), "the Ditto's last write before the Buttplug client's\n{}", context());

    // The official clients' vibrators were never touched; they stop when their clients leave.
    for (client, device) in [(&mut python, 0), (&mut node, 1)] {
        let context = client.context();
        assert_eq!(engine.output_level(device, 0, OutputType::Vibrate), Some(10), "{}", context());
        client.proceed().await;
        client.expect_clean_exit().await;
        wait_for_level(&engine, device, 0, OutputType::Vibrate, 0, &context).await;
    }
    engine.stop().await;
}

fn lovense_url(engine: &Engine) -> String {
    let api = engine.lovense_api().expect("the Lovense API runs");
    format!("http://{}", api.http_addresses().first().expect("an HTTP address"))
}
