//! Every way a stop reaches devices, through a running engine, counted on virtual devices with
//! several outputs: each stop (a client's StopDeviceCmd, StopCmd for one feature,
//! StopAllDevices, its disconnect, its ping time-out, and the user's STOP ALL) and each command
//! that sets several outputs (a v3 ScalarCmd with two entries) is one write per device, one
//! level update.
//!
//! "Exactly one" is checked with a barrier, not a wait: once the change has had its first
//! write, one more command goes to the device, and the device task handles commands in order,
//! so when that one's write is there every earlier write is too; the count between the two is
//! what the change cost.

use std::sync::Arc;
use std::time::Duration;

use plugboard_devices::transport::virtual_device::VirtualHardware;
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_protocol::model::{FeatureCommand, OutputCommand, OutputType};
use plugboard_server::{Engine, EngineConfig};
use serde_json::{json, Value};

use crate::raw::Raw;

const WAIT: Duration = Duration::from_secs(5);
/// Who sends the barrier commands: an owner no client has.
const BARRIER_OWNER: u64 = u64::MAX - 1;
/// The devices: a dual vibrator (two vibrate outputs) and a Lovense Max (vibrate, constrict).
const DEVICES: [(u32, [&str; 2]); 2] = [(0, ["Vibrate", "Vibrate"]), (1, ["Vibrate", "Constrict"])];

async fn engine(tweak: impl FnOnce(&mut EngineConfig)) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices =
        [VirtualKind::DualVibrator, VirtualKind::LovenseMax].into_iter().map(VirtualDeviceSpec::new).collect();
    tweak(&mut config);
    Engine::start(config).await.expect("the engine starts")
}

fn hardware(engine: &Engine, index: u32) -> Arc<VirtualHardware> {
    engine.device_manager().virtual_hardware(index).expect("a virtual device")
}

/// The write counts of both devices.
fn counts(engine: &Engine) -> [usize; 2] {
    DEVICES.map(|(index, _)| hardware(engine, index).write_count())
}

/// The writes device `index` got since it had `before`: waits for at least one, then sends the
/// barrier command and waits for it.
async fn cost_since(engine: &Engine, index: u32, before: usize, what: &str) -> usize {
    let hw = hardware(engine, index);
    let mut watch = hw.watch_writes();
    let first = tokio::time::timeout(WAIT, watch.wait_for(|&n| n > before)).await.is_ok();
    assert!(first, "device {index}, {what}: no write within {WAIT:?}");
    let level = hw.level(0, OutputType::Vibrate).unwrap_or(0) % 19 + 1;
    let barrier = [FeatureCommand {
        feature_index: 0,
        command: OutputCommand { kind: OutputType::Vibrate, value: level, duration_ms: None },
    }];
    engine.device_manager().command(BARRIER_OWNER, index, &barrier).expect("the barrier command");
    let reached = watch.wait_for(|_| hw.level(0, OutputType::Vibrate) == Some(level));
    let reached = tokio::time::timeout(WAIT, reached).await.is_ok();
    assert!(reached, "device {index}, {what}: the barrier command never arrived");
    // The barrier's own write is the last one; stop what it started, outside the count.
    let after = hw.write_count() - 1;
    engine.device_manager().stop(Some(BARRIER_OWNER), plugboard_protocol::model::StopScope::device(index)).unwrap();
    let stopped = watch.wait_for(|_| hw.level(0, OutputType::Vibrate) == Some(0));
    let _ = tokio::time::timeout(WAIT, stopped).await.is_ok();
    after - before
}

/// Both outputs of both devices running, one ScalarCmd per device; returns once the devices
/// have them.
async fn run_both(engine: &Engine, client: &mut Raw, id: u32, scalars: [f64; 2]) {
    for (device, kinds) in DEVICES {
        let entries = json!([
            {"Index": 0, "Scalar": scalars[0], "ActuatorType": kinds[0]},
            {"Index": 1, "Scalar": scalars[1], "ActuatorType": kinds[1]},
        ]);
        let frame = json!([{"ScalarCmd": {"Id": id, "DeviceIndex": device, "Scalars": entries}}]);
        assert_eq!(client.ask(&frame.to_string()).await, json!({"Ok": {"Id": id}}));
    }
    for (index, _) in DEVICES {
        let hw = hardware(engine, index);
        let mut watch = hw.watch_writes();
        let running = watch.wait_for(|_| hw.levels().iter().all(|level| level.value != 0));
        assert!(tokio::time::timeout(WAIT, running).await.is_ok(), "device {index} is not running: {:?}", hw.levels());
    }
}

async fn client(engine: &Engine, hello: Value) -> Raw {
    let mut client = Raw::connect(engine).await;
    let reply = client.ask(&json!([{"RequestServerInfo": hello}]).to_string()).await;
    assert!(reply.get("ServerInfo").is_some(), "{reply}");
    client
}

async fn v3_client(engine: &Engine) -> Raw {
    client(engine, json!({"Id": 1, "ClientName": "stops v3", "MessageVersion": 3})).await
}

/// Runs `stop` with both devices running and checks it cost each one write.
async fn one_write_each(engine: &Engine, what: &str, stop: impl std::future::Future<Output = ()>) {
    let before = counts(engine);
    stop.await;
    for (index, _) in DEVICES {
        let writes = cost_since(engine, index, before[index as usize], what).await;
        assert_eq!(writes, 1, "device {index}: {what} cost {writes} writes");
        assert!(hardware(engine, index).levels().iter().all(|l| l.value == 0), "device {index}: {what} stopped all");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stop_and_every_multi_output_command_is_one_write_per_device() {
    let engine = engine(|_| {}).await;
    let mut client = v3_client(&engine).await;

    let before = counts(&engine);
    run_both(&engine, &mut client, 2, [0.25, 0.75]).await;
    for (index, _) in DEVICES {
        let writes = cost_since(&engine, index, before[index as usize], "ScalarCmd with two entries").await;
        assert_eq!(writes, 1, "device {index}: a ScalarCmd with two entries cost {writes} writes");
    }

    run_both(&engine, &mut client, 3, [0.5, 1.0]).await;
    let before = counts(&engine);
    assert_eq!(client.ask(r#"[{"StopDeviceCmd":{"Id":4,"DeviceIndex":0}}]"#).await, json!({"Ok": {"Id": 4}}));
    assert_eq!(cost_since(&engine, 0, before[0], "StopDeviceCmd").await, 1, "StopDeviceCmd");

    run_both(&engine, &mut client, 5, [0.25, 0.75]).await;
    one_write_each(&engine, "StopAllDevices", async {
        assert_eq!(client.ask(r#"[{"StopAllDevices":{"Id":6}}]"#).await, json!({"Ok": {"Id": 6}}));
    })
    .await;

    run_both(&engine, &mut client, 7, [0.5, 1.0]).await;
    one_write_each(&engine, "the client's disconnect", async { drop(client) }).await;

    let mut client = v3_client(&engine).await;
    run_both(&engine, &mut client, 8, [0.25, 0.75]).await;
    one_write_each(&engine, "STOP ALL", engine.stop_all()).await;
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v4_stop_for_one_feature_is_one_write() {
    let engine = engine(|_| {}).await;
    let hello = json!({"Id": 1, "ClientName": "stops v4", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0});
    let mut client = client(&engine, hello).await;
    for (id, feature, kind, value) in [(2, 0, "Vibrate", 12), (3, 1, "Constrict", 2)] {
        let command = json!([{"OutputCmd": {"Id": id, "DeviceIndex": 1, "FeatureIndex": feature,
                                            "Command": {kind: {"Value": value}}}}]);
        assert_eq!(client.ask(&command.to_string()).await, json!({"Ok": {"Id": id}}));
    }
    let before = counts(&engine);
    let stop = json!([{"StopCmd": {"Id": 4, "DeviceIndex": 1, "FeatureIndex": 1}}]);
    assert_eq!(client.ask(&stop.to_string()).await, json!({"Ok": {"Id": 4}}));
    assert_eq!(cost_since(&engine, 1, before[1], "StopCmd for feature 1").await, 1, "StopCmd for one feature");
    assert_eq!(hardware(&engine, 1).level(1, OutputType::Constrict), Some(0));
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_time_out_is_one_write_per_device() {
    let engine = engine(|config| config.max_ping_time_ms = 1_000).await;
    let mut client = v3_client(&engine).await;
    run_both(&engine, &mut client, 2, [0.5, 1.0]).await;
    // The client stops pinging: within a second the engine stops what it runs.
    one_write_each(&engine, "the ping time-out", async {}).await;
    engine.stop().await;
}
