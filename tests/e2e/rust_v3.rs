//! The official Rust client of the spec-v3 era, `buttplug` 9.0.9, against the engine, used
//! exactly as the Buttplug documentation shows: `new_json_ws_client_connector(url)`,
//! `ButtplugClient::new(name)`, `client.connect(connector)`.

use std::collections::HashMap;
use std::sync::Arc;

use buttplug9::client::{
    ButtplugClient, ButtplugClientDevice, ButtplugClientError, ButtplugClientEvent, LinearCommand, RotateCommand,
    ScalarCommand, ScalarValueCommand,
};
use buttplug9::core::connector::new_json_ws_client_connector;
use buttplug9::core::errors::ButtplugError;
use buttplug9::core::message::ActuatorType;
use futures_util::StreamExt;
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::{
    start_engine, start_engine_with, unused_port, wait_for_client_named, wait_for_clients, wait_for_level, wait_until,
    within, ws_url, EngineUnderTest, WAIT,
};
use plugboard_protocol::model::OutputType;
use plugboard_protocol::SpecVersion;

use crate::every_kind::{wait_for_every_output_stopped, ALL_KINDS, DUAL, MAX, ROTATOR, STROKER, VIBRATOR};

/// Connects a 9.0.9 client the documented way and waits for the `DeviceAdded` events the
/// client raises for the devices it learns from its RequestDeviceList just after connecting.
async fn connect(
    engine: &impl EngineUnderTest,
    name: &str,
    devices: usize,
) -> (ButtplugClient, Vec<Arc<ButtplugClientDevice>>) {
    connect_to(&ws_url(engine), name, devices).await
}

async fn connect_to(url: &str, name: &str, devices: usize) -> (ButtplugClient, Vec<Arc<ButtplugClientDevice>>) {
    let client = ButtplugClient::new(name);
    let mut events = client.event_stream();
    let connector = new_json_ws_client_connector(url);
    within("connect", client.connect(connector)).await.expect("the 9.0.9 client connects");
    assert!(client.connected());

    let mut added = Vec::new();
    while added.len() < devices {
        match within(&format!("DeviceAdded #{} of {devices}", added.len() + 1), events.next()).await {
            Some(ButtplugClientEvent::DeviceAdded(device)) => added.push(device),
            Some(ButtplugClientEvent::Error(error)) => panic!("the client reported an error: {error:?}"),
            Some(ButtplugClientEvent::ServerDisconnect) => panic!("the server disconnected the client"),
            Some(_) => {}
            None => panic!("the client's event stream ended"),
        }
    }
    assert_eq!(client.devices().len(), devices, "client device map");
    (client, added)
}

fn device(devices: &[Arc<ButtplugClientDevice>], index: u32, name: &str) -> Arc<ButtplugClientDevice> {
    let device = devices.iter().find(|d| d.index() == index).unwrap_or_else(|| panic!("device {index} listed"));
    assert_eq!(device.name(), name, "name of device {index}");
    device.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v3_client_commands_every_kind_of_device() {
    let engine = start_engine(&ALL_KINDS).await;
    commands_every_kind_of_device(&engine).await;
    engine.stop().await;
}

/// Against an engine with [`ALL_KINDS`]: every kind of command, battery, stops, disconnect.
pub(crate) async fn commands_every_kind_of_device(engine: &impl EngineUnderTest) {
    let (client, devices) = connect(engine, "Example Client", ALL_KINDS.len()).await;

    assert_eq!(client.server_name(), Some(engine.server_name()));
    let registered = wait_for_client_named(engine, "Example Client").await;
    assert_eq!(registered.spec_version, Some(SpecVersion::V3));
    assert_eq!(engine.clients().len(), 1);

    // Vibrator: 0.5 of 20 steps.
    let vibrator = device(&devices, VIBRATOR, "Virtual Vibrator");
    let attributes = vibrator.vibrate_attributes();
    assert_eq!(attributes.len(), 1);
    assert_eq!(*attributes[0].step_count(), 20);
    vibrator.vibrate(&ScalarValueCommand::ScalarValue(0.5)).await.expect("vibrate");
    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 10).await;

    // Dual vibrator: a speed per motor.
    let dual = device(&devices, DUAL, "Virtual Dual Vibrator");
    assert_eq!(dual.vibrate_attributes().len(), 2);
    dual.vibrate(&ScalarValueCommand::ScalarValueVec(vec![0.25, 1.0])).await.expect("vibrate per motor");
    wait_for_level(engine, DUAL, 0, OutputType::Vibrate, 5).await;
    wait_for_level(engine, DUAL, 1, OutputType::Vibrate, 20).await;

    // Rotator: RotateCmd with a direction; the sign of the level is the direction.
    let rotator = device(&devices, ROTATOR, "Virtual Rotator");
    rotator.rotate(&RotateCommand::Rotate(0.5, true)).await.expect("rotate clockwise");
    wait_for_level(engine, ROTATOR, 0, OutputType::Rotate, 10).await;
    rotator.rotate(&RotateCommand::Rotate(0.25, false)).await.expect("rotate counter-clockwise");
    wait_for_level(engine, ROTATOR, 0, OutputType::Rotate, -5).await;

    // Stroker: LinearCmd (duration ms, position 0..1) on a 0..100 axis.
    let stroker = device(&devices, STROKER, "Virtual Stroker");
    assert_eq!(stroker.linear_attributes().len(), 1);
    stroker.linear(&LinearCommand::Linear(500, 0.75)).await.expect("linear");
    wait_for_level(engine, STROKER, 0, OutputType::HwPositionWithDuration, 75).await;

    // Lovense Max: vibrate, then the air pump through ScalarCmd, then its battery.
    let max = device(&devices, MAX, "Virtual Lovense Max");
    max.vibrate(&ScalarValueCommand::ScalarValue(0.5)).await.expect("vibrate the Max");
    wait_for_level(engine, MAX, 0, OutputType::Vibrate, 10).await;
    let scalars = max.scalar_attributes();
    let steps: Vec<(ActuatorType, u32)> = scalars.iter().map(|a| (*a.actuator_type(), *a.step_count())).collect();
    assert_eq!(steps, [(ActuatorType::Vibrate, 20), (ActuatorType::Constrict, 3)], "the Max's ScalarCmd attributes");
    let constrict = scalars
        .iter()
        .position(|a| *a.actuator_type() == ActuatorType::Constrict)
        .unwrap_or_else(|| panic!("a Constrict actuator in the Max's ScalarCmd attributes: {scalars:?}"))
        as u32;
    max.scalar(&ScalarCommand::ScalarMap(HashMap::from([(constrict, (1.0, ActuatorType::Constrict))])))
        .await
        .expect("constrict");
    wait_for_level(engine, MAX, 1, OutputType::Constrict, 3).await;
    assert_eq!(engine.output_level(MAX, 0, OutputType::Vibrate), Some(10), "the Max's vibrator is untouched");
    assert!(max.has_battery_level());
    let sensors = max.message_attributes().sensor_read_cmd().clone().expect("SensorReadCmd attributes");
    assert_eq!(sensors.len(), 1);
    assert_eq!(sensors[0].sensor_range().clone(), vec![0..=100]);
    let battery = within("battery read", max.battery_level()).await.expect("battery level");
    assert!((battery - 0.8).abs() < 1e-9, "9.0.9 reports the battery as a fraction: {battery}");

    // Stop one device, then everything this client runs.
    within("stop the vibrator", vibrator.stop()).await.expect("StopDeviceCmd");
    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    assert_eq!(engine.output_level(DUAL, 1, OutputType::Vibrate), Some(20), "only the stopped device stops");
    within("stop all", client.stop_all_devices()).await.expect("StopAllDevices");
    wait_for_every_output_stopped(engine).await;

    within("ping", client.ping()).await.expect("ping");
    within("disconnect", client.disconnect()).await.expect("disconnect");
    wait_for_clients(engine, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v3_client_disconnect_stops_its_outputs() {
    let engine = start_engine(&[VirtualKind::Vibrator]).await;
    disconnect_stops_its_outputs(&engine).await;
    engine.stop().await;
}

/// Against an engine with one vibrator.
pub(crate) async fn disconnect_stops_its_outputs(engine: &impl EngineUnderTest) {
    // The Rust clients send no StopAllDevices on disconnect: they just close the connection.
    // Games often say "localhost" (which may resolve to ::1 first): that must work too.
    let (client, devices) = connect_to(&format!("ws://localhost:{}", engine.port()), "Example Client", 1).await;
    devices[0].vibrate(&ScalarValueCommand::ScalarValue(1.0)).await.expect("vibrate");
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 20).await;
    within("disconnect", client.disconnect()).await.expect("disconnect");
    wait_for_clients(engine, 0).await;
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v3_client_is_refused_by_a_v2_server_with_a_handshake_error() {
    let engine = start_engine_with(&[VirtualKind::Vibrator], |config| config.max_spec_version = SpecVersion::V2).await;
    refused_by_a_v2_server(&engine).await;
    engine.stop().await;
}

/// Against an engine that serves spec v2 at most.
pub(crate) async fn refused_by_a_v2_server(engine: &impl EngineUnderTest) {
    let client = ButtplugClient::new("Example Client");
    let result = within("connect", client.connect(new_json_ws_client_connector(&ws_url(engine)))).await;
    assert!(
        matches!(result, Err(ButtplugClientError::ButtplugError(ButtplugError::ButtplugHandshakeError(..)))),
        "expected a handshake error, got {result:?}"
    );
    assert!(!client.connected());
    // The engine closes the refused connection (or at least never lists it as a live client).
    wait_until("no handshaken client", WAIT, async || engine.clients(), |c| c.iter().all(|c| c.spec_version.is_none()))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v3_client_without_a_server_gets_a_connector_error() {
    let port = unused_port();
    let client = ButtplugClient::new("Example Client");
    let result =
        within("connect", client.connect(new_json_ws_client_connector(&format!("ws://127.0.0.1:{port}")))).await;
    assert!(
        matches!(result, Err(ButtplugClientError::ButtplugConnectorError(..))),
        "expected a connector error, got {result:?}"
    );
    assert!(!client.connected());
}

/// A game that crashes or is killed: the client's whole runtime vanishes, taking its socket
/// with it, with no Close frame. Dropping a 9.0.9 `ButtplugClient` is not enough (its event
/// loop keeps a sender to itself and lives on with the connection), so the client runs on its
/// own runtime on another thread, which is shut down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v3_client_dropped_abruptly_has_its_outputs_stopped() {
    let engine = start_engine(&[VirtualKind::Vibrator, VirtualKind::DualVibrator]).await;
    dropped_abruptly_has_its_outputs_stopped(&engine).await;
    engine.stop().await;
}

/// Against an engine with a vibrator and a dual vibrator.
pub(crate) async fn dropped_abruptly_has_its_outputs_stopped(engine: &impl EngineUnderTest) {
    let url = ws_url(engine);

    // A second, well-behaved client owns the dual vibrator's second motor: it must keep running.
    let (survivor, survivor_devices) = connect(engine, "Survivor", 2).await;
    device(&survivor_devices, DUAL, "Virtual Dual Vibrator")
        .vibrate(&ScalarValueCommand::ScalarValueMap(HashMap::from([(1, 0.5)])))
        .await
        .expect("the survivor vibrates motor 1");
    wait_for_level(engine, DUAL, 1, OutputType::Vibrate, 10).await;

    let doomed = tokio::task::spawn_blocking(move || {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let client = runtime.block_on(async move {
            let client = ButtplugClient::new("Doomed Client");
            let mut events = client.event_stream();
            client.connect(new_json_ws_client_connector(&url)).await.expect("connect");
            let mut devices = Vec::new();
            while devices.len() < 2 {
                if let Some(ButtplugClientEvent::DeviceAdded(device)) =
                    tokio::time::timeout(WAIT, events.next()).await.expect("DeviceAdded in time")
                {
                    devices.push(device);
                }
            }
            for device in &devices {
                match device.index() {
                    VIBRATOR => device.vibrate(&ScalarValueCommand::ScalarValue(0.75)).await.expect("vibrate"),
                    _ => device
                        .vibrate(&ScalarValueCommand::ScalarValueMap(HashMap::from([(0, 1.0)])))
                        .await
                        .expect("vibrate motor 0"),
                }
            }
            client
        });
        (runtime, client)
    })
    .await
    .expect("the doomed client ran");
    let (runtime, client) = doomed;
    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 15).await;
    wait_for_level(engine, DUAL, 0, OutputType::Vibrate, 20).await;
    wait_for_clients(engine, 2).await;

    // Kill it: every task of that runtime (client loop, websocket transport) is dropped, so
    // the TCP connection closes without a websocket Close frame and without any stop message.
    runtime.shutdown_background();
    std::mem::forget(client); // its Drop would need the dead runtime; a crashed game does not clean up either

    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    wait_for_level(engine, DUAL, 0, OutputType::Vibrate, 0).await;
    let clients = wait_for_clients(engine, 1).await;
    assert_eq!(clients[0].name.as_deref(), Some("Survivor"));
    assert_eq!(engine.output_level(DUAL, 1, OutputType::Vibrate), Some(10), "the other client's output keeps running");

    within("disconnect", survivor.disconnect()).await.expect("disconnect");
    wait_for_clients(engine, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v3_client_sees_devices_come_and_go() {
    let engine = start_engine(&[VirtualKind::Vibrator]).await;
    let (client, _) = connect(&engine, "Example Client", 1).await;
    let mut events = client.event_stream();

    let index = engine.add_virtual_device(VirtualDeviceSpec::named(VirtualKind::LovenseMax, "Max")).await;
    let added = loop {
        match within("DeviceAdded", events.next()).await {
            Some(ButtplugClientEvent::DeviceAdded(device)) => break device,
            Some(ButtplugClientEvent::ServerDisconnect) | None => panic!("disconnected"),
            Some(_) => {}
        }
    };
    assert_eq!(added.index(), index);
    assert_eq!(added.name(), "Max");
    added.vibrate(&ScalarValueCommand::ScalarValue(0.5)).await.expect("vibrate the new device");
    wait_for_level(&engine, index, 0, OutputType::Vibrate, 10).await;

    assert!(engine.remove_device(index).await);
    loop {
        match within("DeviceRemoved", events.next()).await {
            Some(ButtplugClientEvent::DeviceRemoved(device)) => {
                assert_eq!(device.index(), index);
                break;
            }
            Some(ButtplugClientEvent::ServerDisconnect) | None => panic!("disconnected"),
            Some(_) => {}
        }
    }
    assert_eq!(client.devices().len(), 1);

    within("disconnect", client.disconnect()).await.expect("disconnect");
    wait_for_clients(&engine, 0).await;
    engine.stop().await;
}
