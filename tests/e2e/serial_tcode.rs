//! A TCode stroker on a pseudo-terminal: the engine finds it through the serial transport (the
//! slave path bound to `tcode-v03` in the user config), real clients drive it, and the bytes
//! that reach the master end are checked exactly.
//! Closing the master is the cable being pulled: the device goes away.

use std::time::Duration;

use serde_json::json;

use crate::pty::{expect_bytes, pty, scan_for_the_serial_device, serial_engine, serial_port_config};
use crate::raw::{device_index, Raw};

/// How long the device may take to receive what a command makes the engine write.
const WRITE_WAIT: Duration = Duration::from_secs(3);
/// The shortest time between two writes to the device (its DeviceMessageTimingGap).
const MESSAGE_GAP: Duration = Duration::from_millis(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcode_stroker_on_a_pty_gets_exactly_the_bytes_it_should() {
    let (mut master, slave) = pty();
    let dir = tempfile::tempdir().unwrap();
    let own = serial_port_config(dir.path(), &slave, "tcode-v03");
    let engine = serial_engine(own.clone()).await;

    let (mut client, added) = scan_for_the_serial_device(&engine).await;
    assert_eq!(added["DeviceAdded"]["DeviceName"], "TCode v0.3 (Single Linear Axis)", "{added}");
    assert_eq!(added["DeviceAdded"]["DeviceMessageTimingGap"], MESSAGE_GAP.as_millis() as u64, "{added}");
    let messages = &added["DeviceAdded"]["DeviceMessages"];
    assert_eq!(messages["ScalarCmd"][0]["ActuatorType"], "Position", "{added}");
    assert_eq!(messages["ScalarCmd"][0]["StepCount"], 999, "{added}");
    assert_eq!(messages["LinearCmd"][0]["StepCount"], 999, "{added}");
    let index = added["DeviceAdded"]["DeviceIndex"].as_u64().unwrap();
    // Nothing is written to identify or initialise TCode, and nothing for a repeat or a stop of
    // a position: the port is written in order and `expect_bytes` takes exactly what it wants,
    // so anything written before the next command's bytes would be read in their place.

    // ScalarCmd Position: ceil(0.5 * 999) = 500 on L0 and R0.
    let position = |id: u32, value: f64| {
        format!(
            r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{index},"Scalars":[{{"Index":0,"Scalar":{value},"ActuatorType":"Position"}}]}}}}]"#
        )
    };
    assert_eq!(client.ask(&position(3, 0.5)).await, json!({"Ok":{"Id":3}}));
    expect_bytes(&mut master, "L0500\nR0500\n", WRITE_WAIT);
    // A repeat is dropped: the next bytes are the next command's. Sent once the device's
    // message gap has passed since the last write, a repeat that was not dropped would be
    // written at once, not held back and merged into the next command: the pause is the gap.
    tokio::time::sleep(MESSAGE_GAP).await;
    assert_eq!(client.ask(&position(4, 0.5)).await, json!({"Ok":{"Id":4}}));
    assert_eq!(client.ask(&position(5, 0.001)).await, json!({"Ok":{"Id":5}}));
    expect_bytes(&mut master, "L0001\nR0001\n", WRITE_WAIT);

    // LinearCmd: position with duration over 500 ms. LinearCmd truncates, as the reference
    // does (plugboard_protocol::convert::steps::linear_to_steps): 0.25 * 999 = 249.75 -> 249.
    let linear = |id: u32, value: f64, ms: u32| {
        format!(
            r#"[{{"LinearCmd":{{"Id":{id},"DeviceIndex":{index},"Vectors":[{{"Index":0,"Duration":{ms},"Position":{value}}}]}}}}]"#
        )
    };
    assert_eq!(client.ask(&linear(6, 0.25, 500)).await, json!({"Ok":{"Id":6}}));
    expect_bytes(&mut master, "L0249I500\n", WRITE_WAIT);
    assert_eq!(client.ask(&linear(7, 1.0, 1200)).await, json!({"Ok":{"Id":7}}));
    expect_bytes(&mut master, "L0999I1200\n", WRITE_WAIT);

    // StopDeviceCmd leaves positions alone.
    assert_eq!(
        client.ask(&format!(r#"[{{"StopDeviceCmd":{{"Id":8,"DeviceIndex":{index}}}}}]"#)).await,
        json!({"Ok":{"Id":8}})
    );
    // Nothing written: the next bytes are the v4 client's command's.

    // A v4 client: HwPositionWithDuration in steps.
    let (mut v4, list) = Raw::v4_game(engine.port(), "v4").await;
    assert_eq!(device_index(&list, "TCode v0.3 (Single Linear Axis)"), json!(index), "{list}");
    let hw_position = |id: u32, value: u32, ms: u32| {
        format!(
            r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"HwPositionWithDuration":{{"Value":{value},"Duration":{ms}}}}}}}}}]"#
        )
    };
    assert_eq!(v4.ask(&hw_position(3, 700, 300)).await, json!({"Ok":{"Id":3}}));
    expect_bytes(&mut master, "L0700I300\n", WRITE_WAIT);
    assert_eq!(v4.ask(&hw_position(4, 5, 0)).await, json!({"Ok":{"Id":4}}));
    expect_bytes(&mut master, "L0005I0\n", WRITE_WAIT);

    // The index is remembered for the port.
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&own).unwrap()).unwrap();
    assert_eq!(saved["devices"][&slave]["index"], index, "{saved}");

    // The cable is pulled: both clients hear of it, the engine forgets the device.
    drop(master);
    assert_eq!(client.recv().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":index}}));
    assert_eq!(v4.recv().await, json!({"DeviceList":{"Id":0,"Devices":{}}}));
    plugboard_e2e::wait_for_devices(&engine, 0).await;
    engine.stop().await;
}
