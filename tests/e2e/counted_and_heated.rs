//! Two toys of the newer protocols dial into the device-websocket server and a spec v4 client
//! drives them through the engine; the bytes they receive are checked exactly. A Svakom Fatima
//! Pro has a heater, a temperature output, which a stop turns off with the motors. A TryFun
//! Black Hole counts its frames: the counter the device task keeps moves on with every frame,
//! a stop's included.

use serde_json::{json, Value};

use crate::device_websocket::{start_engine, user_config};
use crate::raw::Raw;
use crate::websocket_toys::RecordingToy;

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace().map(|byte| u8::from_str_radix(byte, 16).unwrap()).collect()
}

/// A v4 client on an engine where `identifier` is bound to `protocol`, the toy connected, and
/// the toy's device index.
async fn drive(
    protocol: &str,
    identifier: &str,
) -> (plugboard_server::Engine, Raw, RecordingToy, u64, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let own = user_config(
        dir.path(),
        json!({"format": "plugboard-user-device-config", "version": 1,
               "websocket_devices": [{"identifier": identifier, "protocol": protocol}]}),
    );
    let engine = start_engine(own).await;
    let mut client = Raw::v4_client(engine.port(), "game").await;
    let toy = RecordingToy::connect(&engine, identifier, "AABBCCDDEE02").await;
    // A v4 client hears of the new device as a device list.
    let list = client.recv().await;
    let devices = list["DeviceList"]["Devices"].as_object().expect("a device list").clone();
    let index = devices.values().next().expect("the toy")["DeviceIndex"].as_u64().unwrap();
    (engine, client, toy, index, dir)
}

fn output(id: u32, index: u64, feature: u32, command: Value) -> String {
    json!([{"OutputCmd": {"Id": id, "DeviceIndex": index, "FeatureIndex": feature, "Command": command}}]).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatima_pro_heats_and_a_stop_turns_the_heater_off_with_the_motors() {
    let (engine, mut client, mut toy, index, _dir) = drive("svakom-fatima", "FakeFatima").await;
    let heat = output(3, index, 3, json!({"Temperature": {"Value": 1}}));
    assert_eq!(client.ask(&heat).await, json!({"Ok": {"Id": 3}}));
    assert_eq!(toy.packets(1).await, [hex("55 05 01 37 02 00 00")]);
    let vibrate = output(4, index, 0, json!({"Vibrate": {"Value": 10}}));
    assert_eq!(client.ask(&vibrate).await, json!({"Ok": {"Id": 4}}));
    assert_eq!(toy.packets(1).await, [hex("55 03 00 00 01 0a")]);
    let stop = json!([{"StopCmd": {"Id": 5, "DeviceIndex": index}}]).to_string();
    assert_eq!(client.ask(&stop).await, json!({"Ok": {"Id": 5}}));
    // Suction and thrust were never set, so their state is unknown: they are stopped too.
    assert_eq!(
        toy.packets(4).await,
        [hex("55 03 00 00 00 00"), hex("55 09 00 00 00 00"), hex("55 08 00 00 00 00"), hex("55 05 00 00 02 00 00")]
    );
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_hole_counts_every_frame_it_gets() {
    let (engine, mut client, mut toy, index, _dir) = drive("tryfun-blackhole", "FakeBlackHole").await;
    let oscillate = output(3, index, 0, json!({"Oscillate": {"Value": 50}}));
    assert_eq!(client.ask(&oscillate).await, json!({"Ok": {"Id": 3}}));
    assert_eq!(toy.packets(1).await, [hex("00 02 00 03 0c 32 c2")]);
    let vibrate = output(4, index, 1, json!({"Vibrate": {"Value": 100}}));
    assert_eq!(client.ask(&vibrate).await, json!({"Ok": {"Id": 4}}));
    assert_eq!(toy.packets(1).await, [hex("01 02 00 03 09 64 93")]);
    let stop = json!([{"StopCmd": {"Id": 5, "DeviceIndex": index}}]).to_string();
    assert_eq!(client.ask(&stop).await, json!({"Ok": {"Id": 5}}));
    assert_eq!(toy.packets(2).await, [hex("02 02 00 03 0c 00 f4"), hex("03 02 00 03 09 00 f7")]);
    let again = output(6, index, 1, json!({"Vibrate": {"Value": 100}}));
    assert_eq!(client.ask(&again).await, json!({"Ok": {"Id": 6}}));
    assert_eq!(toy.packets(1).await, [hex("04 02 00 03 09 64 93")]);
    engine.stop().await;
}
