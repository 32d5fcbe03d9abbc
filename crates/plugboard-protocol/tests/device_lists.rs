//! The device-list shapes observed from the reference server (docs/architecture.md, Spec versions and conversion), reproduced
//! exactly and compared as JSON values, with Plugboard's two deliberate differences:
//! the real message gap is reported (the reference always says 100), and v0/v1 clients are
//! offered FleshlightLaunchFW12Cmd and VorzeA10CycloneCmd for devices with a position or
//! rotation output, because Plugboard converts them.

use plugboard_protocol::convert::{device_added, device_list, device_removed};
use plugboard_protocol::frame::encode_message;
use plugboard_protocol::SpecVersion::*;
use serde_json::Value;

use crate::common::*;

fn added(version: plugboard_protocol::SpecVersion, device: &plugboard_protocol::model::DeviceInfo) -> Value {
    json(&encode_message(&device_added(version, device).expect("v0-v3 have DeviceAdded")))
}

fn one(text: &str) -> Value {
    json(&format!("[{text}]"))
}

#[test]
fn v0_lists_message_names_sorted() {
    assert_eq!(
        added(V0, &two_motor_vibrator(0)),
        one(
            r#"{"DeviceAdded":{"DeviceIndex":0,"DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"],"DeviceName":"Simulated 2-Motor Vibrator","Id":0}}"#
        )
    );
    // Deliberate difference: the reference lists only StopDeviceCmd for these two.
    let list = json(&encode_message(&device_list(V0, 6, &[rotator(1), stroker(2), oscillator(3)])));
    assert_eq!(
        list,
        one(r#"{"DeviceList":{"Devices":[
            {"DeviceIndex":1,"DeviceMessages":["StopDeviceCmd","VorzeA10CycloneCmd"],"DeviceName":"Simulated Rotator"},
            {"DeviceIndex":2,"DeviceMessages":["FleshlightLaunchFW12Cmd","StopDeviceCmd"],"DeviceName":"Simulated Stroker"},
            {"DeviceIndex":3,"DeviceMessages":["StopDeviceCmd"],"DeviceName":"Simulated Oscillator"}],"Id":6}}"#)
    );
}

#[test]
fn v1_counts_features() {
    assert_eq!(
        added(V1, &two_motor_vibrator(0)),
        one(
            r#"{"DeviceAdded":{"DeviceIndex":0,"DeviceMessages":{"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2}},"DeviceName":"Simulated 2-Motor Vibrator","Id":0}}"#
        )
    );
    assert_eq!(
        added(V1, &rotator(1)),
        one(
            r#"{"DeviceAdded":{"DeviceIndex":1,"DeviceMessages":{"RotateCmd":{"FeatureCount":1},"StopDeviceCmd":{},"VorzeA10CycloneCmd":{}},"DeviceName":"Simulated Rotator","Id":0}}"#
        )
    );
    assert_eq!(
        added(V1, &stroker(2)),
        one(
            r#"{"DeviceAdded":{"DeviceIndex":2,"DeviceMessages":{"FleshlightLaunchFW12Cmd":{},"LinearCmd":{"FeatureCount":1},"StopDeviceCmd":{}},"DeviceName":"Simulated Stroker","Id":0}}"#
        )
    );
    assert_eq!(
        added(V1, &oscillator(3)),
        one(
            r#"{"DeviceAdded":{"DeviceIndex":3,"DeviceMessages":{"StopDeviceCmd":{}},"DeviceName":"Simulated Oscillator","Id":0}}"#
        )
    );
}

#[test]
fn v2_adds_step_counts_and_battery() {
    assert_eq!(
        added(V2, &lovense_max(0)),
        one(
            r#"{"DeviceAdded":{"DeviceIndex":0,"DeviceMessages":{"BatteryLevelCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[20]}},"DeviceName":"Simulated Lovense Max","Id":0}}"#
        )
    );
    assert_eq!(
        added(V2, &stroker(2)),
        one(
            r#"{"DeviceAdded":{"DeviceIndex":2,"DeviceMessages":{"LinearCmd":{"FeatureCount":1,"StepCount":[1000]},"StopDeviceCmd":{}},"DeviceName":"Simulated Stroker","Id":0}}"#
        )
    );
}

#[test]
fn v3_lists_attribute_arrays() {
    let mut max = lovense_max(0);
    max.display_name = Some("My Max".into());
    assert_eq!(
        added(V3, &max),
        one(
            r#"{"DeviceAdded":{"DeviceDisplayName":"My Max","DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceMessages":{
            "ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"Vibrator","StepCount":20},
                         {"ActuatorType":"Constrict","FeatureDescriptor":"Air Pump","StepCount":3},
                         {"ActuatorType":"Rotate","FeatureDescriptor":"Unidirectional rotator","StepCount":20}],
            "SensorReadCmd":[{"FeatureDescriptor":"Battery Level","SensorRange":[[0,100]],"SensorType":"Battery"}],
            "StopDeviceCmd":{}},"DeviceName":"Simulated Lovense Max","Id":0}}"#
        )
    );
    assert_eq!(
        added(V3, &rotator(1)),
        one(r#"{"DeviceAdded":{"DeviceIndex":1,"DeviceMessageTimingGap":100,"DeviceMessages":{
            "RotateCmd":[{"ActuatorType":"Rotate","FeatureDescriptor":"Rotation Motor","StepCount":100}],
            "ScalarCmd":[{"ActuatorType":"Rotate","FeatureDescriptor":"Rotation Motor","StepCount":100}],
            "StopDeviceCmd":{}},"DeviceName":"Simulated Rotator","Id":0}}"#)
    );
    assert_eq!(
        added(V3, &stroker(2)),
        one(r#"{"DeviceAdded":{"DeviceIndex":2,"DeviceMessageTimingGap":100,"DeviceMessages":{
            "LinearCmd":[{"ActuatorType":"Position","FeatureDescriptor":"Linear Axis","StepCount":1000}],
            "ScalarCmd":[{"ActuatorType":"Position","FeatureDescriptor":"Linear Axis","StepCount":1000}],
            "StopDeviceCmd":{}},"DeviceName":"Simulated Stroker","Id":0}}"#)
    );
}

#[test]
fn v3_and_v4_report_the_real_message_gap() {
    let mut max = lovense_max(0);
    max.message_gap_ms = 75;
    assert_eq!(added(V3, &max)[0]["DeviceAdded"]["DeviceMessageTimingGap"], 75);
    let list = json(&encode_message(&device_list(V4, 1, &[max])));
    assert_eq!(list[0]["DeviceList"]["Devices"]["0"]["DeviceMessageTimingGap"], 75);
}

#[test]
fn v4_lists_features_keyed_by_index() {
    let mut max = lovense_max(0);
    max.display_name = Some("My Max".into());
    assert_eq!(
        json(&encode_message(&device_list(V4, 3, &[max]))),
        one(r#"{"DeviceList":{"Devices":{"0":{"DeviceDisplayName":"My Max","DeviceFeatures":{
           "0":{"FeatureDescription":"Vibrator","FeatureIndex":0,"Output":{"Vibrate":{"Value":[0,20]}}},
           "1":{"FeatureDescription":"Air Pump","FeatureIndex":1,"Output":{"Constrict":{"Value":[0,3]}}},
           "2":{"FeatureDescription":"Battery Level","FeatureIndex":2,"Input":{"Battery":{"Command":["Read"],"Value":[[0,100]]}}},
           "3":{"FeatureDescription":"Unidirectional rotator","FeatureIndex":3,"Output":{"Rotate":{"Value":[0,20]}}}},
          "DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceName":"Simulated Lovense Max"}},"Id":3}}"#)
    );
    let list = json(&encode_message(&device_list(V4, 4, &[stroker(2), rotator(1)])));
    assert_eq!(
        list[0]["DeviceList"]["Devices"]["2"]["DeviceFeatures"]["0"]["Output"],
        json(r#"{"HwPositionWithDuration":{"Duration":[0,100000],"Value":[0,1000]},"Position":{"Value":[0,1000]}}"#)
    );
    assert_eq!(
        list[0]["DeviceList"]["Devices"]["1"]["DeviceFeatures"]["0"]["Output"],
        json(r#"{"Rotate":{"Value":[-100,100]}}"#)
    );
}

#[test]
fn v4_event_after_the_last_device_left_is_an_empty_object() {
    let none: [plugboard_protocol::model::DeviceInfo; 0] = [];
    assert_eq!(json(&encode_message(&device_list(V4, 0, &none))), one(r#"{"DeviceList":{"Devices":{},"Id":0}}"#));
}

#[test]
fn v4_has_no_added_or_removed_events() {
    assert!(device_added(V4, &lovense_max(0)).is_none());
    assert!(device_removed(V4, 0).is_none());
    for version in [V0, V1, V2, V3] {
        assert_eq!(
            json(&encode_message(&device_removed(version, 7).unwrap())),
            one(r#"{"DeviceRemoved":{"DeviceIndex":7,"Id":0}}"#)
        );
    }
}

#[test]
fn features_without_outputs_or_inputs_are_not_listed_in_v4() {
    let mut max = lovense_max(0);
    max.features.push(feature(4, "Nothing", vec![], vec![]));
    let list = json(&encode_message(&device_list(V4, 1, &[max])));
    assert!(list[0]["DeviceList"]["Devices"]["0"]["DeviceFeatures"].get("4").is_none());
}

#[test]
fn old_clients_do_not_see_what_they_cannot_use() {
    // Constrict and unidirectional rotation have no v1/v2 command: they are hidden there.
    let v2 = added(V2, &lovense_max(0));
    let messages = v2[0]["DeviceAdded"]["DeviceMessages"].as_object().unwrap();
    assert!(!messages.contains_key("RotateCmd"));
    // Temperature has no v3 ActuatorType the v3 clients know: hidden from v3, shown to v4.
    let warm = device(
        5,
        "Warmer",
        vec![feature(0, "Heater", vec![output(plugboard_protocol::model::OutputType::Temperature, -10, 10)], vec![])],
    );
    let v3 = added(V3, &warm);
    assert!(v3[0]["DeviceAdded"]["DeviceMessages"].get("ScalarCmd").is_none());
    let v4 = json(&encode_message(&device_list(V4, 1, &[warm])));
    assert_eq!(
        v4[0]["DeviceList"]["Devices"]["5"]["DeviceFeatures"]["0"]["Output"],
        json(r#"{"Temperature":{"Value":[-10,10]}}"#)
    );
}
