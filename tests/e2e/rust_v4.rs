//! The official spec-v4 Rust client, `buttplug_client` 11 over
//! `buttplug_transport_websocket_tungstenite` 12, against the engine.

use buttplug_client::connector::ButtplugRemoteClientConnector;
use buttplug_client::device::{ClientDeviceCommandValue, ClientDeviceOutputCommand};
use buttplug_client::{ButtplugClient, ButtplugClientDevice, ButtplugClientError, ButtplugClientEvent};
use buttplug_core::message::{InputType, OutputType as V4OutputType};
use buttplug_transport_websocket_tungstenite::ButtplugWebsocketClientTransport;
use futures_util::StreamExt;
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::{
    start_engine, unused_port, wait_for_client_named, wait_for_clients, wait_for_level, within, ws_url, EngineUnderTest,
};
use plugboard_protocol::model::OutputType;
use plugboard_protocol::SpecVersion;

use crate::every_kind::{wait_for_every_output_stopped, ALL_KINDS, DUAL, MAX, ROTATOR, STROKER, VIBRATOR};

fn connector(url: &str) -> ButtplugRemoteClientConnector<ButtplugWebsocketClientTransport> {
    ButtplugRemoteClientConnector::<ButtplugWebsocketClientTransport>::new(
        ButtplugWebsocketClientTransport::new_insecure_connector(url),
    )
}

/// Connects a v4 client and waits for the `DeviceListReceived` event that follows the
/// client's own RequestDeviceList after the handshake.
async fn connect(engine: &impl EngineUnderTest, name: &str) -> ButtplugClient {
    let client = ButtplugClient::new(name);
    let mut events = client.event_stream();
    within("connect", client.connect(connector(&ws_url(engine)))).await.expect("the v4 client connects");
    assert!(client.connected());
    loop {
        match within("DeviceListReceived", events.next()).await {
            Some(ButtplugClientEvent::DeviceListReceived) => break,
            Some(ButtplugClientEvent::Error(error)) => panic!("the client reported an error: {error:?}"),
            Some(ButtplugClientEvent::ServerDisconnect) => panic!("the server disconnected the client"),
            Some(_) => {}
            None => panic!("the client's event stream ended"),
        }
    }
    client
}

fn device(client: &ButtplugClient, index: u32, name: &str) -> ButtplugClientDevice {
    let devices = client.devices();
    let device =
        devices.get(&index).unwrap_or_else(|| panic!("device {index} listed; the client has {:?}", devices.keys()));
    assert_eq!(device.name(), name, "name of device {index}");
    device.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v4_client_commands_every_kind_of_device() {
    let engine = start_engine(&ALL_KINDS).await;
    commands_every_kind_of_device(&engine).await;
    engine.stop().await;
}

/// Against an engine with the devices of [`ALL_KINDS`].
pub(crate) async fn commands_every_kind_of_device(engine: &impl EngineUnderTest) {
    let client = connect(engine, "Example v4 Client").await;

    assert_eq!(client.server_name(), Some(engine.server_name()));
    let registered = wait_for_client_named(engine, "Example v4 Client").await;
    assert_eq!(registered.spec_version, Some(SpecVersion::V4));
    assert_eq!(client.devices().len(), ALL_KINDS.len(), "devices: {:?}", client.devices().keys());

    // Vibrator: float API, 0.5 of 20 steps.
    let vibrator = device(&client, VIBRATOR, "Virtual Vibrator");
    assert!(vibrator.output_available(V4OutputType::Vibrate));
    assert!(!vibrator.output_available(V4OutputType::Rotate));
    vibrator.run_output(&ClientDeviceOutputCommand::Vibrate(0.5.into())).await.expect("vibrate 0.5");
    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 10).await;
    // ... and the step API.
    vibrator
        .run_output(&ClientDeviceOutputCommand::Vibrate(ClientDeviceCommandValue::Steps(7)))
        .await
        .expect("vibrate 7 steps");
    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 7).await;

    // Dual vibrator: one feature at a time.
    let dual = device(&client, DUAL, "Virtual Dual Vibrator");
    let motors = dual.outputs(V4OutputType::Vibrate);
    assert_eq!(motors.len(), 2);
    motors[0].run_output(&ClientDeviceOutputCommand::Vibrate(0.25.into())).await.expect("motor 0");
    motors[1].run_output(&ClientDeviceOutputCommand::Vibrate(20u32.into())).await.expect("motor 1");
    wait_for_level(engine, DUAL, motors[0].feature_index(), OutputType::Vibrate, 5).await;
    wait_for_level(engine, DUAL, motors[1].feature_index(), OutputType::Vibrate, 20).await;

    // Rotator: the range is signed, so a negative value turns the other way.
    let rotator = device(&client, ROTATOR, "Virtual Rotator");
    rotator.run_output(&ClientDeviceOutputCommand::Rotate((-0.5).into())).await.expect("rotate");
    wait_for_level(engine, ROTATOR, 0, OutputType::Rotate, -10).await;

    // Stroker: position with duration.
    let stroker = device(&client, STROKER, "Virtual Stroker");
    let axis = stroker.outputs(V4OutputType::HwPositionWithDuration);
    assert_eq!(axis.len(), 1);
    axis[0]
        .run_output(&ClientDeviceOutputCommand::HwPositionWithDuration(ClientDeviceCommandValue::Steps(60), 400))
        .await
        .expect("position with duration");
    wait_for_level(engine, STROKER, 0, OutputType::HwPositionWithDuration, 60).await;

    // Lovense Max: vibrate, air pump, battery.
    let max = device(&client, MAX, "Virtual Lovense Max");
    max.run_output(&ClientDeviceOutputCommand::Vibrate(1.0.into())).await.expect("vibrate the Max");
    max.run_output(&ClientDeviceOutputCommand::Constrict(ClientDeviceCommandValue::Steps(2))).await.expect("constrict");
    wait_for_level(engine, MAX, 0, OutputType::Vibrate, 20).await;
    wait_for_level(engine, MAX, 1, OutputType::Constrict, 2).await;
    assert!(max.input_available(InputType::Battery));
    assert_eq!(within("battery read", max.battery()).await.expect("battery"), 80);

    // An out-of-range step count is refused by the client itself, before it reaches us.
    let refused = max.run_output(&ClientDeviceOutputCommand::Constrict(ClientDeviceCommandValue::Steps(4))).await;
    assert!(matches!(refused, Err(ButtplugClientError::ButtplugOutputCommandConversionError(_))), "{refused:?}");

    // Stop one device (StopCmd with a device index), then all (StopCmd without).
    within("stop the vibrator", vibrator.stop()).await.expect("stop");
    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    assert_eq!(engine.output_level(MAX, 0, OutputType::Vibrate), Some(20), "only the stopped device stops");
    within("stop all", client.stop_all_devices()).await.expect("stop all");
    wait_for_every_output_stopped(engine).await;

    within("ping", client.ping()).await.expect("ping");
    within("disconnect", client.disconnect()).await.expect("disconnect");
    wait_for_clients(engine, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v4_client_sees_devices_come_and_go() {
    let engine = start_engine(&[VirtualKind::Vibrator]).await;
    let client = connect(&engine, "Example v4 Client").await;
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
    added.run_output(&ClientDeviceOutputCommand::Vibrate(0.5.into())).await.expect("vibrate the new device");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v4_client_without_a_server_gets_a_connector_error() {
    let port = unused_port();
    let client = ButtplugClient::new("Example v4 Client");
    let result = within("connect", client.connect(connector(&format!("ws://127.0.0.1:{port}")))).await;
    assert!(
        matches!(result, Err(ButtplugClientError::ButtplugConnectorError(..))),
        "expected a connector error, got {result:?}"
    );
}

/// A v3-era game and a v4 game on the same engine: each stop touches only what that client set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_v3_and_v4_clients_share_the_engine_and_stop_only_their_own_outputs() {
    let engine = start_engine(&[VirtualKind::Vibrator, VirtualKind::LovenseMax]).await;
    v3_and_v4_clients_stop_only_their_own_outputs(&engine).await;
    engine.stop().await;
}

/// Against an engine with a vibrator and a Lovense Max.
pub(crate) async fn v3_and_v4_clients_stop_only_their_own_outputs(engine: &impl EngineUnderTest) {
    use buttplug9::client::{ButtplugClient as ButtplugClientV3, ScalarValueCommand};

    let v3 = ButtplugClientV3::new("Old Game");
    within("v3 connect", v3.connect(buttplug9::core::connector::new_json_ws_client_connector(&ws_url(engine))))
        .await
        .expect("the 9.0.9 client connects");
    let v4 = connect(engine, "New Game").await;
    assert_eq!(wait_for_client_named(engine, "Old Game").await.spec_version, Some(SpecVersion::V3));
    assert_eq!(wait_for_client_named(engine, "New Game").await.spec_version, Some(SpecVersion::V4));

    let old_vibrator = plugboard_e2e::wait_until(
        "the v3 client's device list",
        plugboard_e2e::WAIT,
        async || v3.devices(),
        |d| d.len() == 2,
    )
    .await
    .into_iter()
    .find(|d| d.index() == 0)
    .expect("device 0");
    old_vibrator.vibrate(&ScalarValueCommand::ScalarValue(0.5)).await.expect("v3 vibrate");
    device(&v4, 1, "Virtual Lovense Max")
        .run_output(&ClientDeviceOutputCommand::Vibrate(0.25.into()))
        .await
        .expect("v4 vibrate");
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 10).await;
    wait_for_level(engine, 1, 0, OutputType::Vibrate, 5).await;

    within("v4 stop all", v4.stop_all_devices()).await.expect("v4 stop all");
    wait_for_level(engine, 1, 0, OutputType::Vibrate, 0).await;
    assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(10), "the v3 client's vibrator keeps running");

    within("v3 disconnect", v3.disconnect()).await.expect("v3 disconnect");
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 0).await;
    let clients = wait_for_clients(engine, 1).await;
    assert_eq!(clients[0].name.as_deref(), Some("New Game"));

    within("v4 disconnect", v4.disconnect()).await.expect("v4 disconnect");
    wait_for_clients(engine, 0).await;
}
