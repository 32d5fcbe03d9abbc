//! Input subscriptions end to end: a client of spec v4 (`InputCmd` Subscribe) and one of v3
//! (`SensorSubscribeCmd`) subscribe to the pressures of a simulated KGoal Boost, connected
//! through matching, its protocol and a device task, and get the readings in their own
//! versions; unsubscribing, a stop with inputs and a disconnect end them.

use std::sync::Arc;

use plugboard_devices::config::matching::{BleAdvertisement, Discovered};
use plugboard_devices::hardware::{Endpoint, Hardware};
use plugboard_devices::testing::{wait_until, Event, FakeConnector, FakeHardware};
use plugboard_devices::transport::FoundDevice;
use plugboard_devices::DeviceEvent;
use plugboard_server::{Engine, EngineConfig};
use serde_json::{json, Value};

use crate::raw::{Raw, WAIT};

async fn engine(dir: &std::path::Path) -> Engine {
    let mut config = EngineConfig::loopback(0);
    // Hardware support (the device database) comes with a transport: the device websocket,
    // which nothing dials into here.
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.own_user_config_path = Some(dir.join("user-device-config.json"));
    Engine::start(config).await.expect("the engine starts")
}

/// A KGoal Boost, connected; its index.
async fn boost(engine: &Engine, hw: &Arc<FakeHardware>) -> u32 {
    let manager = engine.device_manager();
    let mut events = manager.subscribe();
    manager.connect_found_device(FoundDevice {
        transport: "ble",
        address: hw.address().to_owned(),
        discovered: Discovered::Ble(BleAdvertisement {
            name: "Boost".into(),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
        }),
        connector: Arc::new(FakeConnector(hw.clone())),
    });
    tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(DeviceEvent::Added(info)) = events.recv().await {
                return info.index;
            }
        }
    })
    .await
    .expect("the Boost connects")
}

async fn handshake(raw: &mut Raw, version: u32) {
    let hello = if version >= 4 {
        json!([{"RequestServerInfo": {"Id": 1, "ClientName": "inputs", "ProtocolVersionMajor": version,
                                      "ProtocolVersionMinor": 0}}])
    } else {
        json!([{"RequestServerInfo": {"Id": 1, "ClientName": "inputs", "MessageVersion": version}}])
    };
    let answer = raw.ask(&hello.to_string()).await;
    assert!(answer.get("ServerInfo").is_some(), "{answer}");
}

/// The next message that is not a device list or a device-added event.
async fn next_reading(raw: &mut Raw) -> Value {
    loop {
        let message = raw.recv().await;
        if message.get("DeviceList").is_none() && message.get("DeviceAdded").is_none() {
            return message;
        }
    }
}

/// Waits until the device was subscribed to, or unsubscribed from, its pressure `count` times.
async fn wait_for_pressure_events(hw: &FakeHardware, count: usize) {
    let what = format!("{count} subscribes and unsubscribes of the pressure endpoint");
    wait_until(what, WAIT, async || pressure_subscribed(hw), |events| events.len() >= count).await;
}

fn pressure_subscribed(hw: &FakeHardware) -> Vec<Event> {
    hw.events()
        .into_iter()
        .filter(|e| matches!(e, Event::Subscribe(Endpoint::RxPressure) | Event::Unsubscribe(Endpoint::RxPressure)))
        .collect()
}

#[tokio::test]
async fn v4_and_v3_clients_get_the_pressure_readings_they_subscribed_to() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let hw = Arc::new(FakeHardware::with_endpoints(
        "Boost",
        "AA:BB:CC:00:00:01",
        &[Endpoint::RxPressure, Endpoint::RxBleBattery],
    ));
    let index = boost(&engine, &hw).await;

    let mut v4 = Raw::connect(&engine).await;
    handshake(&mut v4, 4).await;
    let mut v3 = Raw::connect(&engine).await;
    handshake(&mut v3, 3).await;

    let subscribe = json!([{"InputCmd": {"Id": 2, "DeviceIndex": index, "FeatureIndex": 0, "Type": "Pressure",
                                         "Command": "Subscribe"}}]);
    assert_eq!(next_reading_after(&mut v4, &subscribe.to_string()).await, json!({"Ok": {"Id": 2}}));
    // v3 lists the sensors it can subscribe to: SensorIndex 1 is the second pressure (raw).
    let sensor = json!([{"SensorSubscribeCmd": {"Id": 3, "DeviceIndex": index, "SensorIndex": 1,
                                                "SensorType": "Pressure"}}]);
    assert_eq!(next_reading_after(&mut v3, &sensor.to_string()).await, json!({"Ok": {"Id": 3}}));
    assert_eq!(pressure_subscribed(&hw), [Event::Subscribe(Endpoint::RxPressure)], "one endpoint, once");

    assert!(hw.notify(Endpoint::RxPressure, &[0, 0, 0, 0x01, 0x2c, 0x03, 0xe8]));
    assert_eq!(
        next_reading(&mut v4).await,
        json!({"InputReading": {"Id": 0, "DeviceIndex": index, "FeatureIndex": 0,
                                "Reading": {"Pressure": {"Value": 300}}}})
    );
    assert_eq!(
        next_reading(&mut v3).await,
        json!({"SensorReading": {"Id": 0, "DeviceIndex": index, "SensorIndex": 1, "SensorType": "Pressure",
                                 "Data": [1000]}})
    );

    // v4 unsubscribes: a Ping answered after the next notification shows it got no reading.
    let unsubscribe = json!([{"InputCmd": {"Id": 4, "DeviceIndex": index, "FeatureIndex": 0, "Type": "Pressure",
                                           "Command": "Unsubscribe"}}]);
    assert_eq!(next_reading_after(&mut v4, &unsubscribe.to_string()).await, json!({"Ok": {"Id": 4}}));
    assert!(hw.notify(Endpoint::RxPressure, &[0, 0, 0, 0x01, 0x2d, 0x03, 0xe9]));
    assert_eq!(next_reading(&mut v3).await["SensorReading"]["Data"], json!([1001]));
    assert_eq!(next_reading_after(&mut v4, r#"[{"Ping":{"Id":5}}]"#).await, json!({"Ok": {"Id": 5}}));

    // The v3 client's stop of the device ends its subscription, and the device unsubscribes.
    let stop = json!([{"StopDeviceCmd": {"Id": 6, "DeviceIndex": index}}]);
    assert_eq!(next_reading_after(&mut v3, &stop.to_string()).await, json!({"Ok": {"Id": 6}}));
    wait_for_pressure_events(&hw, 2).await;
    assert_eq!(
        pressure_subscribed(&hw),
        [Event::Subscribe(Endpoint::RxPressure), Event::Unsubscribe(Endpoint::RxPressure)]
    );
}

#[tokio::test]
async fn a_client_that_leaves_ends_its_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let hw = Arc::new(FakeHardware::with_endpoints(
        "Boost",
        "AA:BB:CC:00:00:02",
        &[Endpoint::RxPressure, Endpoint::RxBleBattery],
    ));
    let index = boost(&engine, &hw).await;
    let mut v4 = Raw::connect(&engine).await;
    handshake(&mut v4, 4).await;
    let subscribe = json!([{"InputCmd": {"Id": 2, "DeviceIndex": index, "FeatureIndex": 1, "Type": "Pressure",
                                         "Command": "Subscribe"}}]);
    assert_eq!(next_reading_after(&mut v4, &subscribe.to_string()).await, json!({"Ok": {"Id": 2}}));
    let refused = json!([{"InputCmd": {"Id": 3, "DeviceIndex": index, "FeatureIndex": 2, "Type": "Battery",
                                       "Command": "Subscribe"}}]);
    let error = next_reading_after(&mut v4, &refused.to_string()).await;
    assert_eq!(error["Error"]["Id"], json!(3), "a battery is read, not subscribed: {error}");
    drop(v4);
    wait_for_pressure_events(&hw, 2).await;
    assert_eq!(
        pressure_subscribed(&hw),
        [Event::Subscribe(Endpoint::RxPressure), Event::Unsubscribe(Endpoint::RxPressure)]
    );
}

/// Sends `text` and returns the first answer that is not a device-list event.
async fn next_reading_after(raw: &mut Raw, text: &str) -> Value {
    raw.send(text).await;
    next_reading(raw).await
}
