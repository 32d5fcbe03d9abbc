//! A Next Level Racing haptic pad on a pseudo-terminal: eight vibrators behind one serial port
//! (`protocols/nextlevelracing.rs`). The engine finds it through the serial transport (the
//! slave path bound to `nextlevelracing` in the user config), a client drives its motors, and
//! the bytes that reach the master end are checked exactly, stops included: one `M<i>0\r` per
//! motor not known to be at rest, in feature order, and nothing once all are.

use std::time::Duration;

use serde_json::json;

use crate::pty::{expect_bytes, pty, scan_for_the_serial_device, serial_engine, serial_port_config};

/// How long the device may take to receive what a command makes the engine write.
const WRITE_WAIT: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_haptic_pad_on_a_pty_gets_one_packet_per_motor_and_a_stop_for_each_motor_not_at_rest() {
    let (mut master, slave) = pty();
    let dir = tempfile::tempdir().unwrap();
    let engine = serial_engine(serial_port_config(dir.path(), &slave, "nextlevelracing")).await;

    let (mut client, added) = scan_for_the_serial_device(&engine).await;
    assert_eq!(added["DeviceAdded"]["DeviceName"], "Next Level Racing HF8 Haptic Gaming Pad", "{added}");
    let scalars = added["DeviceAdded"]["DeviceMessages"]["ScalarCmd"].as_array().expect("ScalarCmd");
    assert_eq!(scalars.len(), 8, "{added}");
    assert!(scalars.iter().all(|s| s["ActuatorType"] == "Vibrate" && s["StepCount"] == 255), "{added}");
    assert_eq!(scalars[7]["FeatureDescriptor"], "Left shoulder", "{added}");
    let index = added["DeviceAdded"]["DeviceIndex"].as_u64().unwrap();
    let gap = Duration::from_millis(added["DeviceAdded"]["DeviceMessageTimingGap"].as_u64().expect("a gap"));
    // Nothing is written to identify or initialise the pad, for a repeat, or for a stop of
    // motors at rest: the port is written in order and `expect_bytes` takes exactly what it
    // wants, so anything written before the next command's bytes would be read in their place.

    let scalar = |id: u32, motors: &[(u32, f64)]| {
        let scalars: Vec<_> =
            motors.iter().map(|&(i, v)| json!({"Index": i, "Scalar": v, "ActuatorType": "Vibrate"})).collect();
        json!([{"ScalarCmd": {"Id": id, "DeviceIndex": index, "Scalars": scalars}}]).to_string()
    };
    // ceil(255 * v): 1.0 is 255, 0.125 is 32.
    assert_eq!(client.ask(&scalar(3, &[(0, 1.0)])).await, json!({"Ok":{"Id":3}}));
    expect_bytes(&mut master, "M0255\r", WRITE_WAIT);
    assert_eq!(client.ask(&scalar(4, &[(7, 0.125), (3, 0.5)])).await, json!({"Ok":{"Id":4}}));
    expect_bytes(&mut master, "M3128\rM732\r", WRITE_WAIT);
    // A repeat is dropped. Sent once the message gap has passed since the last write, one that
    // was not would be written at once, not held back and merged into the next command.
    tokio::time::sleep(gap).await;
    assert_eq!(client.ask(&scalar(5, &[(3, 0.5)])).await, json!({"Ok":{"Id":5}}));
    assert_eq!(client.ask(&scalar(6, &[(3, 0.0)])).await, json!({"Ok":{"Id":6}}));
    expect_bytes(&mut master, "M30\r", WRITE_WAIT);

    // A stop reaches every motor not known to be at rest, in feature order: the two running
    // and the five never commanded (what the pad does before its first command is not known),
    // but not motor 3, whose 0 was written.
    assert_eq!(
        client.ask(&format!(r#"[{{"StopDeviceCmd":{{"Id":7,"DeviceIndex":{index}}}}}]"#)).await,
        json!({"Ok":{"Id":7}})
    );
    expect_bytes(&mut master, "M00\rM10\rM20\rM40\rM50\rM60\rM70\r", WRITE_WAIT);
    assert_eq!(client.ask(r#"[{"StopAllDevices":{"Id":8}}]"#).await, json!({"Ok":{"Id":8}}));
    // Nothing for it: the next command's bytes come first.
    assert_eq!(client.ask(&scalar(9, &[(0, 1.0)])).await, json!({"Ok":{"Id":9}}));
    expect_bytes(&mut master, "M0255\r", WRITE_WAIT);

    drop(master);
    assert_eq!(client.recv().await, json!({"DeviceRemoved":{"Id":0,"DeviceIndex":index}}));
    engine.stop().await;
}
