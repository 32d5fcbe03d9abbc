//! The official JavaScript clients (npm `buttplug` 0.13.2 = spec v1, 3.2.2 = v3, 5.0.2 = v4),
//! run under node from tests/clients/js/ against an in-process engine.

use plugboard_devices::virtual_device::VirtualKind;
use plugboard_e2e::EngineUnderTest;
use plugboard_protocol::SpecVersion;
use serde_json::{json, Value};

use crate::client_scripts::{
    device, run_disconnect_scenario, run_vibrate_scenario, start_engine, url, ScriptClient, VIBRATE_DEVICES,
};

#[tokio::test]
async fn js_v1_buttplug_0_13_connects_vibrates_stops_and_disconnects() {
    let engine = start_engine(&VIBRATE_DEVICES).await;
    v1_vibrates_stops_and_disconnects(&engine).await;
    engine.stop().await;
}

/// Against an engine with `VIBRATE_DEVICES`.
pub(crate) async fn v1_vibrates_stops_and_disconnects(engine: &impl EngineUnderTest) {
    let client = ScriptClient::node("v1.mjs", &url(engine), "vibrate", &[]);
    let seen = run_vibrate_scenario(engine, client, "plugboard-e2e js v1", SpecVersion::V1, 0).await;
    let context = seen.client.context();

    assert_eq!(seen.server["message_version"], 1, "{}", context());
    for index in [0, 1] {
        let d = device(&seen.devices, index);
        let messages: Vec<&str> = d["messages"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(
            messages.contains(&"VibrateCmd") && messages.contains(&"StopDeviceCmd"),
            "device {index}: {d}\n{}",
            context()
        );
        assert_eq!(d["attributes"]["VibrateCmd"]["FeatureCount"], 1, "device {index}: {d}\n{}", context());
    }
    // The 0.13 client's Disconnect() stops everything first.
    assert_eq!(seen.client.sent_message_names().last().map(String::as_str), Some("StopAllDevices"), "{}", context());
}

#[tokio::test]
async fn js_v3_buttplug_3_2_vibrates_reads_the_battery_and_disconnects() {
    let engine = start_engine(&VIBRATE_DEVICES).await;
    v3_vibrates_reads_the_battery_and_disconnects(&engine).await;
    engine.stop().await;
}

/// Against an engine with `VIBRATE_DEVICES`.
pub(crate) async fn v3_vibrates_reads_the_battery_and_disconnects(engine: &impl EngineUnderTest) {
    let client = ScriptClient::node("v3.mjs", &url(engine), "vibrate", &[]);
    let seen = run_vibrate_scenario(engine, client, "plugboard-e2e js v3", SpecVersion::V3, 1).await;
    let context = seen.client.context();

    // 3.x disconnects at once if ServerInfo's MessageVersion is lower than 3.
    assert_eq!(seen.server["message_version"], 3, "{}", context());
    let vibrator = device(&seen.devices, 0);
    assert_eq!(
        (vibrator["vibrators"].as_u64(), vibrator["has_battery"].as_bool()),
        (Some(1), Some(false)),
        "{vibrator}\n{}",
        context()
    );
    let max = device(&seen.devices, 1);
    assert_eq!(
        (max["vibrators"].as_u64(), max["has_battery"].as_bool()),
        (Some(1), Some(true)),
        "{max}\n{}",
        context()
    );
    let scalars = max["attributes"]["ScalarCmd"].as_array().expect("ScalarCmd attributes");
    let actuators: Vec<(&str, u64)> =
        scalars.iter().map(|a| (a["ActuatorType"].as_str().unwrap(), a["StepCount"].as_u64().unwrap())).collect();
    assert_eq!(actuators, vec![("Vibrate", 20), ("Constrict", 3)], "{max}\n{}", context());
    // battery() divides the SensorReading's first value by 100: the virtual battery reads 80.
    assert_eq!(seen.batteries, vec![json!(0.8)], "{}", context());
    assert_eq!(seen.client.sent_message_names().last().map(String::as_str), Some("StopAllDevices"), "{}", context());
}

#[tokio::test]
async fn js_v4_buttplug_5_0_vibrates_reads_the_battery_and_disconnects() {
    let engine = start_engine(&VIBRATE_DEVICES).await;
    v4_vibrates_reads_the_battery_and_disconnects(&engine).await;
    engine.stop().await;
}

/// Against an engine with `VIBRATE_DEVICES`.
pub(crate) async fn v4_vibrates_reads_the_battery_and_disconnects(engine: &impl EngineUnderTest) {
    let client = ScriptClient::node("v4.mjs", &url(engine), "vibrate", &[]);
    let seen = run_vibrate_scenario(engine, client, "plugboard-e2e js v4", SpecVersion::V4, 1).await;
    let context = seen.client.context();

    assert_eq!(
        (seen.server["protocol_version_major"].as_u64(), seen.server["protocol_version_minor"].as_u64()),
        (Some(4), Some(0)),
        "{}",
        context()
    );
    // (5.0.2 reads a feature's description from `FeatureDescriptor`, but the v4 DeviceList field
    // is `FeatureDescription`: the client shows none. Its input `valueRange` is
    // `[Value[0], Value[1]]` of a list of ranges, so `[[0, 100], null]`. Both are the client's.)
    let vibrator = device(&seen.devices, 0);
    assert_eq!(
        vibrator["features"],
        json!([{"index": 0, "outputs": {"Vibrate": [0, 20]}, "inputs": {}}]),
        "{}",
        context()
    );
    let max = device(&seen.devices, 1);
    let features = max["features"].as_array().expect("features");
    assert_eq!(features.len(), 3, "{max}\n{}", context());
    assert_eq!(features[0]["outputs"], json!({"Vibrate": [0, 20]}), "{max}\n{}", context());
    assert_eq!(features[1]["outputs"], json!({"Constrict": [0, 3]}), "{max}\n{}", context());
    assert_eq!(features[2]["inputs"]["Battery"]["range"][0], json!([0, 100]), "{max}\n{}", context());
    assert!(
        features[2]["inputs"]["Battery"]["commands"].as_array().unwrap().contains(&json!("Read")),
        "{max}\n{}",
        context()
    );
    // 5.x's battery() returns the InputReading's raw Value (no division).
    assert_eq!(seen.batteries, vec![json!(80)], "{}", context());
    assert_eq!(seen.client.sent_message_names().last().map(String::as_str), Some("StopCmd"), "{}", context());
}

/// The JS clients' clean disconnect sends a stop-everything message first; it must stop only that
/// client's outputs.
async fn clean_disconnect_spares_other_clients(script: &str, name: &str, spec: SpecVersion, stop_message: &str) {
    let engine = start_engine(&[VirtualKind::Vibrator, VirtualKind::Vibrator]).await;
    clean_disconnect_stops_only_its_own_device(&engine, script, name, spec, stop_message).await;
    engine.stop().await;
}

/// Against an engine with two vibrators: `script`'s clean disconnect sends `stop_message` and
/// stops only its own device.
pub(crate) async fn clean_disconnect_stops_only_its_own_device(
    engine: &impl EngineUnderTest,
    script: &str,
    name: &str,
    spec: SpecVersion,
    stop_message: &str,
) {
    let client = ScriptClient::node(script, &url(engine), "disconnect", &[0]);
    let client = run_disconnect_scenario(engine, client, name, spec).await;
    let sent = client.sent_message_names();
    assert_eq!(
        sent.last().map(String::as_str),
        Some(stop_message),
        "the client's last message\n{}",
        (client.context())()
    );
}

#[tokio::test]
async fn js_v1_clean_disconnect_stops_only_its_own_device() {
    clean_disconnect_spares_other_clients("v1.mjs", "plugboard-e2e js v1", SpecVersion::V1, "StopAllDevices").await;
}

#[tokio::test]
async fn js_v3_clean_disconnect_stop_all_devices_spares_other_clients() {
    clean_disconnect_spares_other_clients("v3.mjs", "plugboard-e2e js v3", SpecVersion::V3, "StopAllDevices").await;
}

#[tokio::test]
async fn js_v4_clean_disconnect_stop_cmd_spares_other_clients() {
    clean_disconnect_spares_other_clients("v4.mjs", "plugboard-e2e js v4", SpecVersion::V4, "StopCmd").await;
}
