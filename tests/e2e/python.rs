//! The official Python clients: pip `buttplug` 1.0.0 (spec v4) and `buttplug-py` 0.2.0 (specs
//! v2 and v3; with 0 or 1 the library itself crashes on a correct DeviceList), each in its own
//! virtual environment under tests/clients/.cache/, run from tests/clients/python/.

use plugboard_devices::virtual_device::VirtualKind;
use plugboard_e2e::EngineUnderTest;
use plugboard_protocol::SpecVersion;
use serde_json::{json, Value};

use crate::client_scripts::{
    device, run_disconnect_scenario, run_vibrate_scenario, start_engine, url, wait_for_client, ScriptClient,
    VIBRATE_DEVICES,
};

const V4_VENV: &str = "python-v4";
const LEGACY_VENV: &str = "python-legacy";

#[tokio::test]
async fn python_buttplug_1_0_spec_v4_vibrates_reads_the_battery_and_disconnects() {
    let engine = start_engine(&VIBRATE_DEVICES).await;
    v4_vibrates_reads_the_battery_and_disconnects(&engine).await;
    engine.stop().await;
}

/// Against an engine with `VIBRATE_DEVICES`.
pub(crate) async fn v4_vibrates_reads_the_battery_and_disconnects(engine: &impl EngineUnderTest) {
    let client = ScriptClient::python(V4_VENV, "v4.py", &url(engine), "vibrate", &[], &[]);
    let seen = run_vibrate_scenario(engine, client, "plugboard-e2e py v4", SpecVersion::V4, 1).await;
    let context = seen.client.context();

    assert_eq!(
        (seen.server["protocol_version_major"].as_u64(), seen.server["protocol_version_minor"].as_u64()),
        (Some(4), Some(0)),
        "{}",
        context()
    );
    let max = device(&seen.devices, 1);
    let features = max["features"].as_array().expect("features");
    assert_eq!(features.len(), 3, "{max}\n{}", context());
    assert_eq!(features[0]["outputs"], json!({"Vibrate": [0, 20]}), "{max}\n{}", context());
    assert_eq!(features[1]["outputs"], json!({"Constrict": [0, 3]}), "{max}\n{}", context());
    assert_eq!(features[2]["inputs"]["Battery"]["range"], json!([[0, 100]]), "{max}\n{}", context());
    // battery() divides the InputReading's Value by 100.
    assert_eq!(seen.batteries, vec![json!(0.8)], "{}", context());
}

/// buttplug-py's view of a device: (actuator class, actuator type) pairs and sensor classes.
fn legacy_parts(d: &Value) -> (Vec<(String, Value)>, Vec<String>) {
    let actuators = d["actuators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["class"].as_str().unwrap().to_owned(), a["type"].clone()))
        .collect();
    let sensors = d["sensors"].as_array().unwrap().iter().map(|s| s["class"].as_str().unwrap().to_owned()).collect();
    (actuators, sensors)
}

#[tokio::test]
async fn python_buttplug_py_0_2_spec_v2_vibrates_reads_the_battery_and_disconnects() {
    let engine = start_engine(&VIBRATE_DEVICES).await;
    legacy_v2_vibrates_reads_the_battery_and_disconnects(&engine).await;
    engine.stop().await;
}

/// Against an engine with `VIBRATE_DEVICES`.
pub(crate) async fn legacy_v2_vibrates_reads_the_battery_and_disconnects(engine: &impl EngineUnderTest) {
    let client = ScriptClient::python(LEGACY_VENV, "legacy.py", &url(engine), "vibrate", &["2"], &[]);
    let seen = run_vibrate_scenario(engine, client, "plugboard-e2e py legacy", SpecVersion::V2, 1).await;
    let context = seen.client.context();

    assert_eq!(seen.server["message_version"], 2, "{}", context());
    assert_eq!(
        legacy_parts(device(&seen.devices, 0)),
        (vec![("VibrateActuator".to_owned(), Value::Null)], vec![]),
        "{}",
        context()
    );
    // v2: BatteryLevelCmd, answered by BatteryLevelReading with a 0..1 level.
    assert_eq!(
        legacy_parts(device(&seen.devices, 1)),
        (vec![("VibrateActuator".to_owned(), Value::Null)], vec!["BatteryLevel".to_owned()]),
        "{}",
        context()
    );
    assert_eq!(seen.batteries, vec![json!([0.8])], "{}", context());
}

#[tokio::test]
async fn python_buttplug_py_0_2_spec_v3_vibrates_reads_the_battery_and_disconnects() {
    let engine = start_engine(&VIBRATE_DEVICES).await;
    legacy_v3_vibrates_reads_the_battery_and_disconnects(&engine).await;
    engine.stop().await;
}

/// Against an engine with `VIBRATE_DEVICES`.
pub(crate) async fn legacy_v3_vibrates_reads_the_battery_and_disconnects(engine: &impl EngineUnderTest) {
    let client = ScriptClient::python(LEGACY_VENV, "legacy.py", &url(engine), "vibrate", &["3"], &[]);
    let seen = run_vibrate_scenario(engine, client, "plugboard-e2e py legacy", SpecVersion::V3, 1).await;
    let context = seen.client.context();

    assert_eq!(seen.server["message_version"], 3, "{}", context());
    assert_eq!(
        legacy_parts(device(&seen.devices, 0)),
        (vec![("ScalarActuator".to_owned(), json!("Vibrate"))], vec![]),
        "{}",
        context()
    );
    assert_eq!(
        legacy_parts(device(&seen.devices, 1)),
        (
            vec![("ScalarActuator".to_owned(), json!("Vibrate")), ("ScalarActuator".to_owned(), json!("Constrict"))],
            vec!["GenericSensor".to_owned()]
        ),
        "{}",
        context()
    );
    // v3: SensorReadCmd, answered by SensorReading with Data [80] (range [0,100]).
    assert_eq!(seen.batteries, vec![json!([80])], "{}", context());
}

/// buttplug-py just closes the websocket on disconnect (no StopAllDevices): the engine itself must
/// stop that client's outputs, and only those.
#[tokio::test]
async fn python_buttplug_py_disconnect_without_stop_stops_only_its_own_device() {
    let engine = start_engine(&[VirtualKind::Vibrator, VirtualKind::Vibrator]).await;
    legacy_disconnect_stops_only_its_own_device(&engine).await;
    engine.stop().await;
}

/// Against an engine with two vibrators.
pub(crate) async fn legacy_disconnect_stops_only_its_own_device(engine: &impl EngineUnderTest) {
    let client = ScriptClient::python(LEGACY_VENV, "legacy.py", &url(engine), "disconnect", &["3"], &[0]);
    let client = run_disconnect_scenario(engine, client, "plugboard-e2e py legacy", SpecVersion::V3).await;
    let sent = client.sent_message_names();
    assert!(!sent.iter().any(|m| m.starts_with("Stop")), "this client sends no stop of its own: {sent:?}");
}

/// buttplug 1.0.0's disconnect() means to send StopCmd first, but marks itself disconnected
/// before, so its stop fails silently and it only closes the websocket: again the engine must
/// stop that client's outputs itself, and only those.
#[tokio::test]
async fn python_buttplug_1_0_disconnect_stops_only_its_own_device() {
    let engine = start_engine(&[VirtualKind::Vibrator, VirtualKind::Vibrator]).await;
    v4_disconnect_stops_only_its_own_device(&engine).await;
    engine.stop().await;
}

/// Against an engine with two vibrators.
pub(crate) async fn v4_disconnect_stops_only_its_own_device(engine: &impl EngineUnderTest) {
    let client = ScriptClient::python(V4_VENV, "v4.py", &url(engine), "disconnect", &[], &[0]);
    let client = run_disconnect_scenario(engine, client, "plugboard-e2e py v4", SpecVersion::V4).await;
    let sent = client.sent_message_names();
    assert_eq!(
        sent.last().map(String::as_str),
        Some("OutputCmd"),
        "the client's last message\n{}",
        (client.context())()
    );
}

/// buttplug-py 0.2 forgets its scan when ScanningFinished arrives, and its stop_scanning() then
/// raises ScanNotRunningError. With only virtual devices nothing can scan; the scan stays open
/// until the client stops it (the reference server keeps it open too), so a game that starts and
/// stops a scan runs, in spec v2 and v3.
#[tokio::test]
async fn python_buttplug_py_0_2_starts_and_stops_a_scan_when_nothing_can_scan() {
    for spec in ["2", "3"] {
        let engine = start_engine(&[VirtualKind::Vibrator]).await;
        let mut client = ScriptClient::python(LEGACY_VENV, "legacy.py", &url(&engine), "scan", &[spec], &[]);
        let context = client.context();
        client.expect_event("server").await;
        client.expect_event("devices").await;
        client.expect_event("scanning").await;
        client.expect_ready("scanning").await;
        let me = wait_for_client(&engine, "plugboard-e2e py legacy", &context).await;
        assert!(
            engine.device_manager().is_scanning(me.id),
            "spec {spec}: the scan finished while nothing could scan\n{}",
            context()
        );
        client.proceed().await;
        client.expect_event("scan stopped").await;
        client.expect_clean_exit().await;
        let finished = client
            .received_frames()
            .iter()
            .filter_map(Value::as_array)
            .flatten()
            .filter(|message| message.get("ScanningFinished").is_some())
            .count();
        assert_eq!(finished, 0, "spec {spec}: the client was told the scan finished\n{}", context());
        engine.stop().await;
    }
}
