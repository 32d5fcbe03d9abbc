//! What the user changes about devices while the server runs (the app's Devices view):
//! allow/deny, rename, output limits, forget. Clients see each change at once.

use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_protocol::model::{OutputType, Range};
use plugboard_server::{Engine, EngineConfig};
use serde_json::json;

use crate::device_websocket::{binding, start_engine, user_config, FakeLovense};
use crate::raw::Raw;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_a_device_takes_it_away_from_clients_and_allowing_brings_it_back() {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices = vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)];
    let engine = Engine::start(config).await.unwrap();
    let mut client = Raw::connect(&engine).await;
    client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"game","MessageVersion":3}}]"#).await;
    client
        .ask(
            r#"[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.0,"ActuatorType":"Vibrate"}]}}]"#,
        )
        .await;
    plugboard_e2e::wait_for_level(&engine, 0, 0, OutputType::Vibrate, 20).await;
    let manager = engine.device_manager();
    let address = manager.address_of(0).unwrap();

    manager.set_access(&address, false, true);
    assert_eq!(client.recv().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":0}}));
    let list = client.ask(r#"[{"RequestDeviceList":{"Id":3}}]"#).await;
    assert_eq!(list["DeviceList"]["Devices"], json!([]));
    plugboard_e2e::wait_for_devices(&engine, 0).await;

    manager.set_access(&address, false, false);
    let added = client.recv().await;
    assert_eq!(added["DeviceAdded"]["DeviceIndex"], 0, "{added}");
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0), "it comes back at rest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_name_reaches_clients() {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices = vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)];
    let engine = Engine::start(config).await.unwrap();
    let mut v4 = Raw::v4_client(engine.port(), "four").await;
    let mut v3 = Raw::connect(&engine).await;
    v3.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"three","MessageVersion":3}}]"#).await;
    let address = engine.device_manager().address_of(0).unwrap();
    engine.device_manager().rename(&address, Some("Bedroom".into()));
    let list = v4.recv().await;
    assert_eq!(list["DeviceList"]["Devices"]["0"]["DeviceDisplayName"], "Bedroom", "{list}");
    let list = v3.ask(r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
    assert_eq!(list["DeviceList"]["Devices"][0]["DeviceDisplayName"], "Bedroom", "{list}");
    engine.device_manager().rename(&address, None);
    let list = v4.recv().await;
    assert!(list["DeviceList"]["Devices"]["0"].get("DeviceDisplayName").is_none(), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_apply_to_the_running_toy_and_are_saved_and_forget_clears_them() {
    let dir = tempfile::tempdir().unwrap();
    let own = user_config(
        dir.path(),
        json!({"format": "plugboard-user-device-config", "version": 1, "websocket_devices": binding()}),
    );
    let engine = start_engine(own.clone()).await;
    let mut toy = FakeLovense::connect(&engine, "FakeLVS", "LIMITS01").await;
    plugboard_e2e::wait_for_devices(&engine, 1).await;
    let index = engine.device_manager().index_of("LIMITS01").unwrap();
    let mut client = Raw::v4_client(engine.port(), "game").await;
    let full = format!(
        r#"[{{"OutputCmd":{{"Id":2,"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":20}}}}}}}}]"#
    );

    let manager = engine.device_manager();
    manager.set_output_limit("LIMITS01", 0, OutputType::Vibrate, Some(Range::new(0, 10)), false).unwrap();
    assert_eq!(client.ask(&full).await, json!({"Ok":{"Id":2}}));
    assert_eq!(toy.next().await, "Vibrate:10;", "full power is the user's ceiling");
    manager.set_output_limit("LIMITS01", 0, OutputType::Vibrate, Some(Range::new(0, 4)), false).unwrap();
    assert_eq!(toy.next().await, "Vibrate:4;", "a new limit applies to the running level");
    manager.set_output_limit("LIMITS01", 0, OutputType::Vibrate, None, true).unwrap();
    assert_eq!(toy.next().await, "Vibrate:0;", "a disabled output is held at rest");
    assert!(manager.set_output_limit("LIMITS01", 0, OutputType::Vibrate, Some(Range::new(5, 2)), false).is_err());

    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&own).unwrap()).unwrap();
    assert_eq!(saved["devices"]["LIMITS01"]["outputs"][0]["disabled"], true, "{saved}");
    manager.forget("LIMITS01");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&own).unwrap()).unwrap();
    assert!(saved["devices"].get("LIMITS01").is_none(), "{saved}");
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_ends_see_the_battery_without_asking() {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices =
        vec![VirtualDeviceSpec::new(VirtualKind::Vibrator), VirtualDeviceSpec::new(VirtualKind::LovenseMax)];
    let engine = Engine::start(config).await.unwrap();
    let batteries = plugboard_e2e::wait_until(
        "the battery reading",
        plugboard_e2e::WAIT,
        async || engine.devices().iter().map(|d| d.battery).collect::<Vec<_>>(),
        |batteries| batteries == &vec![None, Some(80)],
    )
    .await;
    assert_eq!(batteries, vec![None, Some(80)], "only the device with a battery reports one");
}
