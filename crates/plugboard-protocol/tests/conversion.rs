//! Legacy and v4 commands to canonical requests (docs/architecture.md, Spec versions and conversion), every rule.

use plugboard_protocol::convert::steps::*;
use plugboard_protocol::convert::{reading_message, to_request, InputRequest, LegacyState, ReadingReply, Request};
use plugboard_protocol::frame::encode_message;
use plugboard_protocol::messages::SensorType;
use plugboard_protocol::model::*;
use plugboard_protocol::{ErrorCode, SpecVersion, SpecVersion::*};

use crate::common::*;

fn devices() -> Vec<DeviceInfo> {
    vec![two_motor_vibrator(0), rotator(1), stroker(2), oscillator(3), lovense_max(4)]
}

fn convert(version: SpecVersion, frame: &str) -> Result<Request, plugboard_protocol::Error> {
    convert_with(version, frame, &mut LegacyState::default())
}

fn convert_with(
    version: SpecVersion,
    frame: &str,
    state: &mut LegacyState,
) -> Result<Request, plugboard_protocol::Error> {
    to_request(&decode_one_client(frame, version), devices().as_slice(), state)
}

fn outputs(request: Request) -> Vec<(u32, OutputType, i32, Option<u32>)> {
    match request {
        Request::Output { commands, .. } => commands
            .into_iter()
            .map(|c| (c.feature_index, c.command.kind, c.command.value, c.command.duration_ms))
            .collect(),
        other => panic!("expected output commands, got {other:?}"),
    }
}

fn code(result: Result<Request, plugboard_protocol::Error>) -> ErrorCode {
    result.expect_err("expected an error").code()
}

// ---- float to step ----

#[test]
fn levels_round_up() {
    let twenty = Range::new(0, 20);
    let hundred = Range::new(0, 100);
    assert_eq!(level_to_steps(0.05, twenty), 1);
    assert_eq!(level_to_steps(0.5, twenty), 10);
    assert_eq!(level_to_steps(1.0, twenty), 20);
    assert_eq!(level_to_steps(0.51, twenty), 11);
    assert_eq!(level_to_steps(0.001, hundred), 1);
    assert_eq!(level_to_steps(0.26, hundred), 26);
    assert_eq!(level_to_steps(0.0000009, hundred), 0, "below one millionth is off");
    assert_eq!(level_to_steps(0.0, hundred), 0);
    // f64 noise does not push a value a step up: 0.55 * 20 = 11.000000000000002.
    assert_eq!(level_to_steps(0.55, twenty), 11);
    assert_eq!(level_to_steps(0.5, Range::new(-100, 100)), 50, "signed ranges count steps from 0");
}

#[test]
fn positions_round_up_and_linear_truncates() {
    let axis = Range::new(0, 1000);
    assert_eq!(position_to_steps(0.3333, axis), 334);
    assert_eq!(position_to_steps(0.0, axis), 0);
    assert_eq!(linear_to_steps(0.3333, axis), 333);
    assert_eq!(linear_to_steps(0.9999, axis), 999);
    assert_eq!(linear_to_steps(1.0, axis), 1000);
    assert_eq!(linear_to_steps(0.3, axis), 300);
}

#[test]
fn launch_speed_becomes_a_duration() {
    // duration = (speed01/250)^-0.95 / (90 / (distance*100)), speed01 = Speed/99.
    let expected = ((50.0f64 / 99.0) / 250.0).powf(-0.95) / (90.0 / (0.5 * 100.0));
    assert_eq!(launch_move_duration_ms(0.0, 0.5, 50), expected as u32);
    assert!(
        launch_move_duration_ms(0.0, 0.99, 99) < launch_move_duration_ms(0.0, 0.99, 10),
        "faster speed, shorter move"
    );
    assert!(launch_move_duration_ms(0.0, 0.2, 50) < launch_move_duration_ms(0.0, 0.9, 50), "longer way, longer move");
    assert_eq!(launch_move_duration_ms(0.4, 0.4, 50), 0, "no distance, no time");
    assert_eq!(launch_move_duration_ms(0.0, 0.9, 0), 0, "speed 0 does not move");
    assert_eq!(launch_position(99), 0.99);
}

// ---- v0 / v1 ----

#[test]
fn single_motor_vibrate_drives_every_vibrator() {
    let request = convert(V0, r#"[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":0,"Speed":0.5}}]"#).unwrap();
    assert_eq!(outputs(request), vec![(0, OutputType::Vibrate, 10, None), (1, OutputType::Vibrate, 10, None)]);
    assert_eq!(
        code(convert(V0, r#"[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":1,"Speed":0.5}}]"#)),
        ErrorCode::Device
    );
}

#[test]
fn vibrate_cmd_indexes_the_vibrator_list() {
    let frame =
        r#"[{"VibrateCmd":{"Id":12,"DeviceIndex":0,"Speeds":[{"Index":1,"Speed":1.0},{"Index":0,"Speed":0.25}]}}]"#;
    // Sorted by feature index: one batch.
    assert_eq!(
        outputs(convert(V1, frame).unwrap()),
        vec![(0, OutputType::Vibrate, 5, None), (1, OutputType::Vibrate, 20, None)]
    );
    let on_max = r#"[{"VibrateCmd":{"Id":12,"DeviceIndex":4,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#;
    assert_eq!(outputs(convert(V2, on_max).unwrap()), vec![(0, OutputType::Vibrate, 10, None)]);
    let out_of_range = r#"[{"VibrateCmd":{"Id":12,"DeviceIndex":4,"Speeds":[{"Index":1,"Speed":0.5}]}}]"#;
    assert_eq!(code(convert(V3, out_of_range)), ErrorCode::Device);
    let no_vibrators = r#"[{"VibrateCmd":{"Id":12,"DeviceIndex":2,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#;
    assert_eq!(code(convert(V3, no_vibrators)), ErrorCode::Device);
}

#[test]
fn rotate_cmd_signs_by_direction() {
    let ccw = r#"[{"RotateCmd":{"Id":13,"DeviceIndex":1,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":false}]}}]"#;
    assert_eq!(outputs(convert(V1, ccw).unwrap()), vec![(0, OutputType::Rotate, -50, None)]);
    let cw = r#"[{"RotateCmd":{"Id":13,"DeviceIndex":1,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]"#;
    assert_eq!(outputs(convert(V3, cw).unwrap()), vec![(0, OutputType::Rotate, 50, None)]);
    // The Max's rotator turns one way only: not part of the RotateCmd list.
    let one_way = r#"[{"RotateCmd":{"Id":13,"DeviceIndex":4,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]"#;
    assert_eq!(code(convert(V3, one_way)), ErrorCode::Device);
}

#[test]
fn linear_cmd_truncates_and_keeps_the_duration() {
    let frame = r#"[{"LinearCmd":{"Id":14,"DeviceIndex":2,"Vectors":[{"Index":0,"Duration":500,"Position":0.3333}]}}]"#;
    assert_eq!(outputs(convert(V2, frame).unwrap()), vec![(0, OutputType::HwPositionWithDuration, 333, Some(500))]);
    let not_linear =
        r#"[{"LinearCmd":{"Id":14,"DeviceIndex":0,"Vectors":[{"Index":0,"Duration":500,"Position":0.3}]}}]"#;
    assert_eq!(code(convert(V2, not_linear)), ErrorCode::Device);
}

#[test]
fn fleshlight_launch_becomes_a_timed_move_from_the_last_position() {
    let mut state = LegacyState::default();
    let first = r#"[{"FleshlightLaunchFW12Cmd":{"Id":3,"DeviceIndex":2,"Position":95,"Speed":90}}]"#;
    let moves = outputs(convert_with(V0, first, &mut state).unwrap());
    assert_eq!(moves, vec![(0, OutputType::HwPositionWithDuration, 950, Some(launch_move_duration_ms(0.0, 0.95, 90)))]);
    let second = r#"[{"FleshlightLaunchFW12Cmd":{"Id":4,"DeviceIndex":2,"Position":5,"Speed":90}}]"#;
    let moves = outputs(convert_with(V1, second, &mut state).unwrap());
    assert_eq!(moves, vec![(0, OutputType::HwPositionWithDuration, 50, Some(launch_move_duration_ms(0.95, 0.05, 90)))]);
    let on_vibrator = r#"[{"FleshlightLaunchFW12Cmd":{"Id":4,"DeviceIndex":0,"Position":5,"Speed":90}}]"#;
    assert_eq!(code(convert(V0, on_vibrator)), ErrorCode::Device);
}

#[test]
fn fleshlight_launch_drives_a_bare_position_output() {
    let servo = device(9, "Servo", vec![feature(0, "Axis", vec![output(OutputType::Position, 0, 100)], vec![])]);
    let message =
        decode_one_client(r#"[{"FleshlightLaunchFW12Cmd":{"Id":3,"DeviceIndex":9,"Position":50,"Speed":20}}]"#, V0);
    let request = to_request(&message, vec![servo].as_slice(), &mut LegacyState::default()).unwrap();
    assert_eq!(outputs(request), vec![(0, OutputType::Position, 50, None)]);
}

#[test]
fn vorze_cyclone_drives_every_rotator() {
    let frame = r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":1,"Speed":99,"Clockwise":false}}]"#;
    assert_eq!(outputs(convert(V0, frame).unwrap()), vec![(0, OutputType::Rotate, -100, None)]);
    // One-way rotators ignore the direction instead of refusing.
    let frame = r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":4,"Speed":50,"Clockwise":false}}]"#;
    assert_eq!(outputs(convert(V1, frame).unwrap()), vec![(3, OutputType::Rotate, 11, None)]);
    let no_rotator = r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":0,"Speed":50,"Clockwise":true}}]"#;
    assert_eq!(code(convert(V0, no_rotator)), ErrorCode::Device);
    // The spec's schema allows 100, the top of the range like 99; 101 is refused when decoded.
    let hundred = r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":1,"Speed":100,"Clockwise":true}}]"#;
    assert_eq!(outputs(convert(V0, hundred).unwrap()), vec![(0, OutputType::Rotate, 100, None)]);
}

#[test]
fn stop_commands_scope_to_device_or_everything() {
    assert_eq!(convert(V0, r#"[{"StopAllDevices":{"Id":10}}]"#).unwrap(), Request::Stop(StopScope::EVERYTHING));
    assert_eq!(
        convert(V3, r#"[{"StopDeviceCmd":{"Id":9,"DeviceIndex":4}}]"#).unwrap(),
        Request::Stop(StopScope::device(4))
    );
    assert_eq!(code(convert(V3, r#"[{"StopDeviceCmd":{"Id":9,"DeviceIndex":99}}]"#)), ErrorCode::Device);
}

#[test]
fn unsupported_legacy_messages_are_refused_plainly() {
    for frame in [
        r#"[{"LovenseCmd":{"Id":5,"DeviceIndex":0,"Command":"Vibrate:20;"}}]"#,
        r#"[{"KiirooCmd":{"Id":6,"DeviceIndex":0,"Command":"4"}}]"#,
        r#"[{"RequestLog":{"Id":7,"LogLevel":"Off"}}]"#,
    ] {
        assert_eq!(code(convert(V0, frame)), ErrorCode::Message, "{frame}");
    }
    let raw = r#"[{"RawWriteCmd":{"Id":17,"DeviceIndex":0,"Endpoint":"tx","Data":[0,1,2],"WriteWithResponse":false}}]"#;
    assert_eq!(code(convert(V2, raw)), ErrorCode::Message);
    assert_eq!(convert(V1, r#"[{"Test":{"Id":8,"TestString":"Moo"}}]"#).unwrap(), Request::Test("Moo".into()));
}

// ---- v2 / v3 ----

#[test]
fn battery_and_rssi_reads_find_the_first_readable_input() {
    let request = convert(V2, r#"[{"BatteryLevelCmd":{"Id":15,"DeviceIndex":4}}]"#).unwrap();
    assert_eq!(
        request,
        Request::Input(InputRequest {
            device_index: 4,
            feature_index: 2,
            kind: InputType::Battery,
            command: InputCommand::Read,
            reply: ReadingReply::BatteryLevel
        })
    );
    assert_eq!(code(convert(V2, r#"[{"BatteryLevelCmd":{"Id":15,"DeviceIndex":0}}]"#)), ErrorCode::Device);
    assert_eq!(code(convert(V2, r#"[{"RSSILevelCmd":{"Id":16,"DeviceIndex":4}}]"#)), ErrorCode::Device);
}

#[test]
fn scalar_cmd_checks_the_actuator_type() {
    let frame = r#"[{"ScalarCmd":{"Id":19,"DeviceIndex":4,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},{"Index":1,"Scalar":0.3,"ActuatorType":"Inflate"},{"Index":2,"Scalar":1.0,"ActuatorType":"Rotate"}]}}]"#;
    assert_eq!(
        outputs(convert(V3, frame).unwrap()),
        vec![
            (0, OutputType::Vibrate, 10, None),
            (1, OutputType::Constrict, 1, None),
            (3, OutputType::Rotate, 20, None)
        ]
    );
    let wrong =
        r#"[{"ScalarCmd":{"Id":19,"DeviceIndex":4,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Oscillate"}]}}]"#;
    assert_eq!(code(convert(V3, wrong)), ErrorCode::Device);
    let missing =
        r#"[{"ScalarCmd":{"Id":19,"DeviceIndex":4,"Scalars":[{"Index":3,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#;
    assert_eq!(code(convert(V3, missing)), ErrorCode::Device);
    let position = r#"[{"ScalarCmd":{"Id":19,"DeviceIndex":2,"Scalars":[{"Index":0,"Scalar":0.3333,"ActuatorType":"Position"}]}}]"#;
    assert_eq!(outputs(convert(V3, position).unwrap()), vec![(0, OutputType::Position, 334, None)]);
}

#[test]
fn sensor_commands_index_the_sensor_lists() {
    let read =
        convert(V3, r#"[{"SensorReadCmd":{"Id":20,"DeviceIndex":4,"SensorIndex":0,"SensorType":"Battery"}}]"#).unwrap();
    assert_eq!(
        read,
        Request::Input(InputRequest {
            device_index: 4,
            feature_index: 2,
            kind: InputType::Battery,
            command: InputCommand::Read,
            reply: ReadingReply::SensorReading { sensor_index: 0, sensor_type: SensorType::Battery },
        })
    );
    let wrong_type = r#"[{"SensorReadCmd":{"Id":20,"DeviceIndex":4,"SensorIndex":0,"SensorType":"Pressure"}}]"#;
    assert_eq!(code(convert(V3, wrong_type)), ErrorCode::Device);
    // The Max's battery can only be read, so there is nothing to subscribe to.
    let subscribe = r#"[{"SensorSubscribeCmd":{"Id":21,"DeviceIndex":4,"SensorIndex":0,"SensorType":"Battery"}}]"#;
    assert_eq!(code(convert(V3, subscribe)), ErrorCode::Device);
}

#[test]
fn sensor_subscriptions_reach_subscribable_inputs() {
    let pressure =
        Input { kind: InputType::Pressure, ranges: vec![Range::new(0, 1000)], commands: vec![InputCommand::Subscribe] };
    let squeezer = device(7, "Squeezer", vec![feature(0, "Pressure", vec![], vec![pressure])]);
    for (name, command) in
        [("SensorSubscribeCmd", InputCommand::Subscribe), ("SensorUnsubscribeCmd", InputCommand::Unsubscribe)]
    {
        let frame = format!(r#"[{{"{name}":{{"Id":21,"DeviceIndex":7,"SensorIndex":0,"SensorType":"Pressure"}}}}]"#);
        let request =
            to_request(&decode_one_client(&frame, V3), vec![squeezer.clone()].as_slice(), &mut LegacyState::default());
        match request.unwrap() {
            Request::Input(input) => {
                assert_eq!((input.feature_index, input.kind, input.command), (0, InputType::Pressure, command))
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---- v4 ----

#[test]
fn output_cmd_checks_feature_type_and_range() {
    let ok = r#"[{"OutputCmd":{"Id":22,"DeviceIndex":4,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#;
    assert_eq!(outputs(convert(V4, ok).unwrap()), vec![(0, OutputType::Vibrate, 10, None)]);
    let moved = r#"[{"OutputCmd":{"Id":23,"DeviceIndex":2,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91,"Duration":150}}}}]"#;
    assert_eq!(outputs(convert(V4, moved).unwrap()), vec![(0, OutputType::HwPositionWithDuration, 91, Some(150))]);
    let ccw = r#"[{"OutputCmd":{"Id":22,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Rotate":{"Value":-100}}}}]"#;
    assert_eq!(outputs(convert(V4, ccw).unwrap()), vec![(0, OutputType::Rotate, -100, None)]);
    for bad in [
        // too high
        r#"[{"OutputCmd":{"Id":22,"DeviceIndex":4,"FeatureIndex":0,"Command":{"Vibrate":{"Value":21}}}}]"#,
        // negative on a one-way output (the reference accepts this; Plugboard does not)
        r#"[{"OutputCmd":{"Id":22,"DeviceIndex":4,"FeatureIndex":3,"Command":{"Rotate":{"Value":-5}}}}]"#,
        // wrong output type for the feature
        r#"[{"OutputCmd":{"Id":22,"DeviceIndex":4,"FeatureIndex":0,"Command":{"Oscillate":{"Value":1}}}}]"#,
        // no such feature
        r#"[{"OutputCmd":{"Id":22,"DeviceIndex":4,"FeatureIndex":9,"Command":{"Vibrate":{"Value":1}}}}]"#,
        // no such device
        r#"[{"OutputCmd":{"Id":22,"DeviceIndex":99,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}}]"#,
        // duration outside the advertised range
        r#"[{"OutputCmd":{"Id":23,"DeviceIndex":2,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91,"Duration":100001}}}}]"#,
    ] {
        assert_eq!(code(convert(V4, bad)), ErrorCode::Device, "{bad}");
    }
}

#[test]
fn input_cmd_checks_the_allowed_commands() {
    let read = r#"[{"InputCmd":{"Id":24,"DeviceIndex":4,"FeatureIndex":2,"Type":"Battery","Command":"Read"}}]"#;
    assert!(matches!(
        convert(V4, read).unwrap(),
        Request::Input(InputRequest { reply: ReadingReply::InputReading, .. })
    ));
    let subscribe =
        r#"[{"InputCmd":{"Id":24,"DeviceIndex":4,"FeatureIndex":2,"Type":"Battery","Command":"Subscribe"}}]"#;
    assert_eq!(code(convert(V4, subscribe)), ErrorCode::Device);
    let wrong_type = r#"[{"InputCmd":{"Id":24,"DeviceIndex":4,"FeatureIndex":2,"Type":"Rssi","Command":"Read"}}]"#;
    assert_eq!(code(convert(V4, wrong_type)), ErrorCode::Device);
}

#[test]
fn stop_cmd_selects_device_and_feature() {
    assert_eq!(convert(V4, r#"[{"StopCmd":{"Id":25}}]"#).unwrap(), Request::Stop(StopScope::EVERYTHING));
    assert_eq!(
        convert(V4, r#"[{"StopCmd":{"Id":26,"DeviceIndex":4,"FeatureIndex":1,"Inputs":false,"Outputs":true}}]"#)
            .unwrap(),
        Request::Stop(StopScope { device_index: Some(4), feature_index: Some(1), inputs: false, outputs: true })
    );
    assert_eq!(code(convert(V4, r#"[{"StopCmd":{"Id":26,"FeatureIndex":1}}]"#)), ErrorCode::Message);
    assert_eq!(code(convert(V4, r#"[{"StopCmd":{"Id":26,"DeviceIndex":4,"FeatureIndex":7}}]"#)), ErrorCode::Device);
    assert_eq!(convert(V4, r#"[{"Disconnect":{"Id":27}}]"#).unwrap(), Request::Disconnect);
}

#[test]
fn inflate_outputs_answer_constrict_commands() {
    let pump = device(8, "Pump", vec![feature(0, "Air", vec![output(OutputType::Inflate, 0, 5)], vec![])]);
    let frame = r#"[{"OutputCmd":{"Id":22,"DeviceIndex":8,"FeatureIndex":0,"Command":{"Constrict":{"Value":5}}}}]"#;
    let request =
        to_request(&decode_one_client(frame, V4), vec![pump].as_slice(), &mut LegacyState::default()).unwrap();
    assert_eq!(outputs(request), vec![(0, OutputType::Inflate, 5, None)]);
}

// ---- readings back to each version ----

#[test]
fn readings_take_the_askers_shape() {
    let v4 = reading_message(24, 4, 2, ReadingReply::InputReading, Reading::Battery(87)).unwrap();
    assert_encodes_to(
        &v4,
        r#"[{"InputReading":{"Id":24,"DeviceIndex":4,"FeatureIndex":2,"Reading":{"Battery":{"Value":87}}}}]"#,
    );
    let v3 = reading_message(
        20,
        4,
        2,
        ReadingReply::SensorReading { sensor_index: 0, sensor_type: SensorType::Battery },
        Reading::Battery(87),
    )
    .unwrap();
    assert_encodes_to(
        &v3,
        r#"[{"SensorReading":{"Id":20,"DeviceIndex":4,"SensorIndex":0,"SensorType":"Battery","Data":[87]}}]"#,
    );
    let v2 = reading_message(15, 4, 2, ReadingReply::BatteryLevel, Reading::Battery(50)).unwrap();
    assert_encodes_to(&v2, r#"[{"BatteryLevelReading":{"Id":15,"DeviceIndex":4,"BatteryLevel":0.5}}]"#);
    let rssi = reading_message(16, 4, 2, ReadingReply::RssiLevel, Reading::Rssi(-40)).unwrap();
    assert_encodes_to(&rssi, r#"[{"RSSILevelReading":{"Id":16,"DeviceIndex":4,"RSSILevel":-40}}]"#);
    let event = reading_message(
        0,
        7,
        0,
        ReadingReply::SensorReading { sensor_index: 0, sensor_type: SensorType::Rssi },
        Reading::Rssi(-60),
    )
    .unwrap();
    assert_eq!(json(&encode_message(&event))[0]["SensorReading"]["SensorType"], "RSSI");
    assert!(reading_message(15, 4, 2, ReadingReply::BatteryLevel, Reading::Rssi(-3)).is_err());
}

// ---- handshake ----

#[test]
fn handshake_detects_and_negotiates_versions() {
    use plugboard_protocol::frame::split_frame;
    let rsi = |text: &str| split_frame(text).remove(0).unwrap().decode_handshake().unwrap();
    let v0 = rsi(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c"}}]"#);
    assert_eq!(v0.negotiate(V4).unwrap(), V0);
    let v3 = rsi(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":3}}]"#);
    assert_eq!(v3.negotiate(V4).unwrap(), V3);
    let v4 =
        rsi(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#);
    assert_eq!(v4.negotiate(V4).unwrap(), V4);
    // A server limited to v2 refuses a v3 client with a handshake error.
    assert_eq!(v3.negotiate(V2).unwrap_err().code(), ErrorCode::Init);
    let too_new =
        rsi(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#);
    let error = too_new.negotiate(V4).unwrap_err();
    assert_eq!(error.code(), ErrorCode::Init);
    assert!(error.text().contains("v0 to v4"), "{}", error.text());
    let too_new = rsi(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":9}}]"#);
    assert_eq!(too_new.negotiate(V4).unwrap_err().code(), ErrorCode::Init);
    let half_v4 = rsi(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4}}]"#);
    assert_eq!(half_v4.negotiate(V4).unwrap_err().code(), ErrorCode::Message);
    let both = rsi(
        r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":3,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
    );
    assert_eq!(both.negotiate(V4).unwrap_err().code(), ErrorCode::Message);
}
