//! A Lovense Hush over Bluetooth LE, through btleplug's real BlueZ backend and the engine,
//! against the fake BlueZ of crates/plugboard-devices/tests/fixtures/fake_bluez.py (a
//! python-dbusmock template on a private `dbus-daemon`; see
//! crates/plugboard-devices/tests/ble_fake_bluez.rs for the recipe). Needs the Debian packages
//! `dbus python3-dbusmock python3-gi` (the test fails, naming them, when they are missing).
//!
//! libdbus reads `DBUS_SYSTEM_BUS_ADDRESS` once per process, when the first btleplug Manager
//! connects. So every BLE check lives in ONE test function, which points the variable at its
//! private bus before it starts the engine, and no other test in this binary may enable
//! `use_bluetooth_le`.
//!
//! The faults a BLE device brings are checked here too (the rest are in faults.rs): the toy
//! goes out of range in the middle of a command (every client hears of it in its own version,
//! nothing is left behind, it comes back by itself at its index without resuming the
//! command), its writes fail for a while, and it answers garbage; the engine and its other
//! device carry on through all of it.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use plugboard_devices::fake_bluez::{FakeBluez, ADDRESS};
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_protocol::model::OutputType;
use plugboard_server::{DeviceEvent, Engine, EngineConfig, EngineEvent, HardwareStatus};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::raw::Raw;

/// BLE discovery and connection through D-Bus take longer than the loopback tests.
const BLE_WAIT: Duration = Duration::from_secs(15);

/// The next message that is not ScanningFinished (BLE scans end only when stopped, but a stop
/// announces one).
async fn next_not_scanning_finished(client: &mut Raw) -> Value {
    let deadline = Instant::now() + BLE_WAIT;
    loop {
        assert!(Instant::now() < deadline, "no message in time");
        let message = recv_within(client, BLE_WAIT).await;
        if message.get("ScanningFinished").is_none() {
            return message;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ble_lovense_through_btleplug_and_the_engine() {
    let bus_dir = std::env::temp_dir().join(format!("plugboard-e2e-ble-{}", std::process::id()));
    let bus = FakeBluez::start(&bus_dir, BLE_WAIT);
    // Before anything creates a btleplug Manager (see the module docs).
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address());

    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("user-device-config.json");
    let mut config = EngineConfig::loopback(0);
    config.devices.use_bluetooth_le = true;
    config.devices.own_user_config_path = Some(own.clone());
    // A virtual vibrator at index 0: the other device, which must not notice the BLE faults.
    config.virtual_devices = vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)];
    let engine = Engine::start(config).await.expect("engine starts");
    let mut events = engine.events();

    let mut client = Raw::connect(&engine).await;
    client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"game","MessageVersion":3}}]"#).await;
    // A second client, of another spec version, that never scans.
    let mut watcher = Raw::v4_client(engine.port(), "watcher").await;
    assert_eq!(client.ask(r#"[{"StartScanning":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));

    // Found by its name (LVS-*), identified by its DeviceType answer: Z is a Hush.
    let added = next_not_scanning_finished(&mut client).await;
    assert_eq!(added["DeviceAdded"]["DeviceName"], "Lovense Hush", "{added}");
    assert_eq!(added["DeviceAdded"]["DeviceMessageTimingGap"], 75, "the BLE default gap: {added}");
    let index = added["DeviceAdded"]["DeviceIndex"].as_u64().unwrap();
    assert_eq!(v4_indexes(&recv_within(&mut watcher, BLE_WAIT).await), ["0".to_owned(), index.to_string()]);
    let identified = bus.writes();
    assert_eq!(identified.first().map(String::as_str), Some("command:DeviceType;"), "{identified:?}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&own).unwrap()).unwrap();
    assert_eq!(saved["devices"][ADDRESS]["index"], index, "{saved}");
    assert_eq!(client.ask(r#"[{"StopScanning":{"Id":3}}]"#).await, json!({"Ok":{"Id":3}}));

    // Vibrate 0.5 on 20 steps: `Vibrate:10;`, written without response.
    let before = bus.writes().len();
    let vibrate = format!(
        r#"[{{"ScalarCmd":{{"Id":4,"DeviceIndex":{index},"Scalars":[{{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}}]}}}}]"#
    );
    assert_eq!(next_reply(&mut client, &vibrate).await, json!({"Ok":{"Id":4}}));
    assert_eq!(bus.writes_after(before, 1).await, ["command:Vibrate:10;"]);

    // Battery: `Battery;` -> `87;`.
    let battery = next_reply(
        &mut client,
        &format!(r#"[{{"SensorReadCmd":{{"Id":5,"DeviceIndex":{index},"SensorIndex":0,"SensorType":"Battery"}}}}]"#),
    )
    .await;
    assert_eq!(battery["SensorReading"]["Data"], json!([87]), "{battery}");

    // The toy drops the link in the middle of that command (and is back at once): every
    // client hears of it in its own version, and it comes back by itself, at the same index,
    // though nobody is scanning.
    wait_for(&engine, "two device tasks", |engine| engine.device_tasks() == 2).await;
    let at_disconnect = bus.writes().len();
    bus.remote_disconnect();
    assert_eq!(next_not_scanning_finished(&mut client).await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":index}}));
    assert_eq!(v4_indexes(&recv_within(&mut watcher, BLE_WAIT).await), ["0"]);
    let again = next_not_scanning_finished(&mut client).await;
    assert_eq!(again["DeviceAdded"]["DeviceName"], "Lovense Hush", "{again}");
    assert_eq!(again["DeviceAdded"]["DeviceIndex"], index, "{again}");
    assert_eq!(v4_indexes(&recv_within(&mut watcher, BLE_WAIT).await), ["0".to_owned(), index.to_string()]);
    wait_for(&engine, "the toy's task again", |engine| engine.device_tasks() == 2).await;
    // What it was doing when it left did not come back with it: since then it was only
    // identified, and given the next command.
    assert_eq!(engine.output_level(index as u32, 0, OutputType::Vibrate), Some(0));
    let before = bus.writes().len();
    let quarter = vibrate.replace("\"Id\":4", "\"Id\":6").replace("0.5", "0.25");
    assert_eq!(next_reply(&mut client, &quarter).await, json!({"Ok":{"Id":6}}));
    assert_eq!(bus.writes_after(before, 1).await.last().map(String::as_str), Some("command:Vibrate:5;"));
    let since: Vec<String> = bus.writes()[at_disconnect..].iter().filter(|w| w.contains("Vibrate")).cloned().collect();
    assert_eq!(since, ["command:Vibrate:5;"], "{:?}", bus.writes());

    // It goes out of range for a while, vibrating: the engine tries to reconnect and fails
    // meanwhile. Nothing of it is left behind, its index answers with a clear error, the other
    // device carries on; once it is back in range it reconnects by itself at its index.
    let v4_vibrate = |id: u32, device: u64, value: u32| {
        format!(
            r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{device},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}]"#
        )
    };
    let attempts = bus.connect_attempts();
    bus.out_of_range(true);
    assert_eq!(next_not_scanning_finished(&mut client).await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":index}}));
    assert_eq!(v4_indexes(&recv_within(&mut watcher, BLE_WAIT).await), ["0"]);
    wait_for(&engine, "the toy to leave the device list", |engine| {
        engine.devices().iter().all(|d| d.address != ADDRESS)
    })
    .await;
    wait_for(&engine, "only the virtual device's task", |engine| engine.device_tasks() == 1).await;
    let refused = next_reply(&mut client, &vibrate.replace("\"Id\":4", "\"Id\":10")).await;
    assert!(
        refused["Error"]["ErrorMessage"].as_str().unwrap().contains(&format!("Device {index} is not connected")),
        "{refused}"
    );
    let refused = watcher.ask(&v4_vibrate(2, index, 3)).await;
    assert!(
        refused["Error"]["ErrorMessage"].as_str().unwrap().contains(&format!("Device {index} is not connected")),
        "{refused}"
    );
    assert_eq!(watcher.ask(&v4_vibrate(3, 0, 8)).await, json!({"Ok":{"Id":3}}), "the virtual device carries on");
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 8).await;
    plugboard_e2e::wait_until(
        "the engine to try to reconnect",
        BLE_WAIT,
        async || bus.connect_attempts(),
        |&now| now != attempts,
    )
    .await;
    bus.out_of_range(false);
    let again = next_not_scanning_finished(&mut client).await;
    assert_eq!(again["DeviceAdded"]["DeviceIndex"], index, "{again}");
    assert_eq!(v4_indexes(&recv_within(&mut watcher, BLE_WAIT).await), ["0".to_owned(), index.to_string()]);
    wait_for(&engine, "the toy's task again", |engine| engine.device_tasks() == 2).await;

    // Its writes fail for a while (the link stays up): commands are still answered, the
    // engine and the other device carry on, and once writes work again so does the toy.
    bus.fail_writes(true);
    assert_eq!(
        next_reply(&mut client, &vibrate.replace("\"Id\":4", "\"Id\":7").replace("0.5", "1.0")).await,
        json!({"Ok":{"Id":7}})
    );
    let battery = next_reply(
        &mut client,
        &format!(r#"[{{"SensorReadCmd":{{"Id":8,"DeviceIndex":{index},"SensorIndex":0,"SensorType":"Battery"}}}}]"#),
    )
    .await;
    assert!(battery["Error"]["ErrorMessage"].as_str().unwrap().contains(&format!("Device {index}")), "{battery}");
    assert_eq!(watcher.ask(&v4_vibrate(4, 0, 11)).await, json!({"Ok":{"Id":4}}));
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 11).await;
    let list = watcher.ask(r#"[{"RequestDeviceList":{"Id":5}}]"#).await;
    assert_eq!(v4_indexes(&list), ["0".to_owned(), index.to_string()], "the toy is still listed");
    bus.fail_writes(false);
    let before = bus.writes().len();
    assert_eq!(
        next_reply(&mut client, &vibrate.replace("\"Id\":4", "\"Id\":9").replace("0.5", "0.75")).await,
        json!({"Ok":{"Id":9}})
    );
    assert_eq!(bus.writes_after(before, 1).await, ["command:Vibrate:15;"]);

    // It answers its battery query with garbage: an Error, and nothing else changes.
    bus.set_reply("Battery;", "full of beans;");
    let battery = next_reply(
        &mut client,
        &format!(r#"[{{"SensorReadCmd":{{"Id":11,"DeviceIndex":{index},"SensorIndex":0,"SensorType":"Battery"}}}}]"#),
    )
    .await;
    assert!(
        battery["Error"]["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains(&format!("Device {index} did not report its battery")),
        "{battery}"
    );
    let before = bus.writes().len();
    assert_eq!(next_reply(&mut client, &vibrate.replace("\"Id\":4", "\"Id\":12")).await, json!({"Ok":{"Id":12}}));
    assert_eq!(bus.writes_after(before, 1).await, ["command:Vibrate:10;"]);

    // Bluetooth is turned off: the Hardware view says so, and an event tells front ends.
    assert_eq!(engine.hardware_statuses().get("ble"), Some(&HardwareStatus::Ready));
    bus.set_powered(false);
    let status = tokio::time::timeout(BLE_WAIT, async {
        loop {
            match events.recv().await {
                Ok(EngineEvent::Device(DeviceEvent::HardwareStatus { transport: "ble", status }))
                    if status != HardwareStatus::Ready =>
                {
                    return status;
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(error) => panic!("engine events: {error}"),
            }
        }
    })
    .await
    .expect("a HardwareStatus event in time");
    let HardwareStatus::Unavailable { reason, remedy } = &status else { unreachable!() };
    assert!(reason.contains("powered off"), "{reason}");
    assert_eq!(remedy, "turn Bluetooth on");
    assert_eq!(engine.hardware_statuses().get("ble"), Some(&status));

    engine.stop().await;
    drop(bus);
}

/// Sends `text` and returns the reply (skipping a ScanningFinished announcement).
async fn next_reply(client: &mut Raw, text: &str) -> Value {
    client.send(text).await;
    next_not_scanning_finished(client).await
}

/// The next message, as the one element of its frame, waiting up to `wait`.
async fn recv_within(client: &mut Raw, wait: Duration) -> Value {
    loop {
        let message = tokio::time::timeout(wait, client.socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("ok");
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
            let array = frame.as_array().expect("an array");
            assert_eq!(array.len(), 1, "one message per frame: {frame}");
            return array[0].clone();
        }
    }
}

/// The indexes in a v4 DeviceList.
fn v4_indexes(message: &Value) -> Vec<String> {
    message["DeviceList"]["Devices"]
        .as_object()
        .unwrap_or_else(|| panic!("a DeviceList: {message}"))
        .keys()
        .cloned()
        .collect()
}

/// Waits until `done` holds, for up to [`BLE_WAIT`].
async fn wait_for(engine: &Engine, what: &str, done: impl Fn(&Engine) -> bool) {
    plugboard_e2e::wait_until(what, BLE_WAIT, async || done(engine), |&holds| holds).await;
}
