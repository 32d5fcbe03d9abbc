//! Golden vectors: hand-written JSON for every message of every spec version, both directions.
//!
//! Every JSON string and every expected Rust value in this file was written by hand from the
//! public Buttplug spec and the shapes the reference server was observed to send (framing,
//! handshake and ServerInfo shapes, message fields, device-list shapes, message sets),
//! never by running the code under test. Each vector is checked both ways:
//!
//! - decoding the hand-written frame gives the hand-built message, and
//! - encoding the hand-built message gives the hand-written JSON (compared as JSON values,
//!   so key order does not matter, as the spec says).
//!
//! A message that exists in one version but not in another must be rejected for the other,
//! with an error that carries the message's Id.

use std::collections::BTreeMap;

use plugboard_protocol::frame::{decode_client_frame, decode_server_frame, encode_frame, split_frame, RawMessage};
use plugboard_protocol::messages::*;
use plugboard_protocol::model::{InputCommand, InputType, Range};
use plugboard_protocol::{ErrorCode, SpecVersion, SpecVersion::*};

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The client frame `text` decodes to `expected` under `version`, and `expected` encodes to `text`.
fn client(version: SpecVersion, text: &str, expected: ClientMessage) {
    assert_eq!(decode_one_client(text, version), expected, "decoding {text} for {version}");
    assert_encodes_to(&expected, text);
}

/// The server frame `text` decodes to `expected` for a `version` client, and `expected` encodes to `text`.
fn server(version: SpecVersion, text: &str, expected: ServerMessage) {
    assert_eq!(decode_one_server(text, version), expected, "decoding {text} for {version}");
    assert_encodes_to(&expected, text);
}

/// The client frame holds one message that `version` rejects, answered with the message's Id.
fn client_rejected(version: SpecVersion, text: &str, id: u32) {
    let results = decode_client_frame(text, version);
    assert_eq!(results.len(), 1, "expected one message in {text}");
    match &results[0] {
        Ok(message) => panic!("{text} should be rejected for {version}, decoded as {message:?}"),
        Err(error) => {
            assert_eq!(error.id, id, "error Id for {text} under {version}");
            assert_eq!(error.to_error().code(), ErrorCode::Message, "{text} under {version}");
        }
    }
}

/// The server frame holds one message that a `version` client rejects, with the message's Id.
fn server_rejected(version: SpecVersion, text: &str, id: u32) {
    let results = decode_server_frame(text, version);
    assert_eq!(results.len(), 1, "expected one message in {text}");
    match &results[0] {
        Ok(message) => panic!("{text} should be rejected for {version}, decoded as {message:?}"),
        Err(error) => assert_eq!(error.id, id, "error Id for {text} under {version}"),
    }
}

/// The single message of a handshake frame, decoded before any version is known.
fn handshake(text: &str) -> RequestServerInfo {
    let mut raw: Vec<RawMessage> = split_frame(text).into_iter().map(|r| r.expect("frame splits")).collect();
    assert_eq!(raw.len(), 1, "expected one message in {text}");
    let raw = raw.remove(0);
    assert_eq!(raw.name, "RequestServerInfo");
    raw.decode_handshake().unwrap_or_else(|e| panic!("{text} is a valid handshake: {e}"))
}

fn id_only(id: u32) -> IdOnly {
    IdOnly { id }
}

fn dev(id: u32, device_index: u32) -> DeviceIndexOnly {
    DeviceIndexOnly { id, device_index }
}

fn rsi(id: u32, name: &str) -> RequestServerInfo {
    RequestServerInfo {
        id,
        client_name: name.into(),
        message_version: None,
        protocol_version_major: None,
        protocol_version_minor: None,
    }
}

fn rsi_v1_to_v3(id: u32, name: &str, message_version: u32) -> RequestServerInfo {
    RequestServerInfo { message_version: Some(message_version), ..rsi(id, name) }
}

fn rsi_v4(id: u32, name: &str, major: u32, minor: u32) -> RequestServerInfo {
    RequestServerInfo { protocol_version_major: Some(major), protocol_version_minor: Some(minor), ..rsi(id, name) }
}

/// Ping, StartScanning, StopScanning and RequestDeviceList: `{"Id":n}` in every version.
fn id_only_client_messages_round_trip(version: SpecVersion) {
    client(version, r#"[{"Ping":{"Id":5}}]"#, ClientMessage::Ping(id_only(5)));
    client(version, r#"[{"StartScanning":{"Id":11}}]"#, ClientMessage::StartScanning(id_only(11)));
    client(version, r#"[{"StopScanning":{"Id":12}}]"#, ClientMessage::StopScanning(id_only(12)));
    client(version, r#"[{"RequestDeviceList":{"Id":6}}]"#, ClientMessage::RequestDeviceList(id_only(6)));
}

/// StopDeviceCmd and StopAllDevices, v0–v3.
fn stop_messages_round_trip(version: SpecVersion) {
    client(version, r#"[{"StopDeviceCmd":{"Id":9,"DeviceIndex":0}}]"#, ClientMessage::StopDeviceCmd(dev(9, 0)));
    client(version, r#"[{"StopAllDevices":{"Id":10}}]"#, ClientMessage::StopAllDevices(id_only(10)));
}

/// Ok, Error and ScanningFinished exist in every version.
fn status_server_messages_round_trip(version: SpecVersion) {
    server(version, r#"[{"Ok":{"Id":7}}]"#, ServerMessage::Ok(id_only(7)));
    server(
        version,
        r#"[{"Error":{"Id":7,"ErrorCode":4,"ErrorMessage":"Device 99 is not connected."}}]"#,
        ServerMessage::Error(ErrorMessage {
            id: 7,
            error_code: 4,
            error_message: "Device 99 is not connected.".into(),
        }),
    );
    server(
        version,
        r#"[{"Error":{"Id":0,"ErrorCode":2,"ErrorMessage":"{\"ButtplugPingError\":\"PingedOut\"}"}}]"#,
        ServerMessage::Error(ErrorMessage {
            id: 0,
            error_code: 2,
            error_message: r#"{"ButtplugPingError":"PingedOut"}"#.into(),
        }),
    );
    server(version, r#"[{"ScanningFinished":{"Id":0}}]"#, ServerMessage::ScanningFinished(id_only(0)));
}

/// `ServerInfo::for_version` builds exactly `text`, and `text` decodes back to it.
fn server_info(version: SpecVersion, text: &str) {
    let info = ServerMessage::ServerInfo(ServerInfo::for_version(version, 1, "Harness Server", 0));
    server(version, text, info);
}

fn vibrate_cmd(id: u32, device_index: u32, speeds: &[(u32, f64)]) -> ClientMessage {
    ClientMessage::VibrateCmd(VibrateCmd {
        id,
        device_index,
        speeds: speeds.iter().map(|&(index, speed)| VibrateSpeed { index, speed }).collect(),
    })
}

fn rotate_cmd(id: u32, device_index: u32, rotations: &[(u32, f64, bool)]) -> ClientMessage {
    ClientMessage::RotateCmd(RotateCmd {
        id,
        device_index,
        rotations: rotations.iter().map(|&(index, speed, clockwise)| Rotation { index, speed, clockwise }).collect(),
    })
}

fn linear_cmd(id: u32, device_index: u32, vectors: &[(u32, u32, f64)]) -> ClientMessage {
    ClientMessage::LinearCmd(LinearCmd {
        id,
        device_index,
        vectors: vectors.iter().map(|&(index, duration, position)| Vector { index, duration, position }).collect(),
    })
}

/// VibrateCmd, RotateCmd and LinearCmd, v1–v3.
fn generic_commands_round_trip(version: SpecVersion) {
    client(
        version,
        r#"[{"VibrateCmd":{"Id":12,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5},{"Index":1,"Speed":1.0}]}}]"#,
        vibrate_cmd(12, 0, &[(0, 0.5), (1, 1.0)]),
    );
    client(
        version,
        r#"[{"RotateCmd":{"Id":13,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]"#,
        rotate_cmd(13, 0, &[(0, 0.5, true)]),
    );
    client(
        version,
        r#"[{"LinearCmd":{"Id":14,"DeviceIndex":0,"Vectors":[{"Index":0,"Duration":500,"Position":0.3}]}}]"#,
        linear_cmd(14, 0, &[(0, 500, 0.3)]),
    );
}

fn raw_endpoint(id: u32, device_index: u32, endpoint: &str) -> RawEndpointCmd {
    RawEndpointCmd { id, device_index, endpoint: endpoint.into() }
}

/// RawWriteCmd, RawReadCmd (every spelling), RawSubscribeCmd, RawUnsubscribeCmd: v2–v3.
fn raw_commands_round_trip(version: SpecVersion) {
    client(
        version,
        r#"[{"RawWriteCmd":{"Id":17,"DeviceIndex":0,"Endpoint":"tx","Data":[0,1,2],"WriteWithResponse":false}}]"#,
        ClientMessage::RawWriteCmd(RawWriteCmd {
            id: 17,
            device_index: 0,
            endpoint: "tx".into(),
            data: vec![0, 1, 2],
            write_with_response: false,
        }),
    );
    let read = |expected_length, length, wait_for_data, timeout| {
        ClientMessage::RawReadCmd(RawReadCmd {
            id: 30,
            device_index: 0,
            endpoint: "rx".into(),
            expected_length,
            length,
            wait_for_data,
            timeout,
        })
    };
    // Spec text: ExpectedLength + WaitForData.
    client(
        version,
        r#"[{"RawReadCmd":{"Id":30,"DeviceIndex":0,"Endpoint":"rx","ExpectedLength":4,"WaitForData":true}}]"#,
        read(Some(4), None, Some(true), None),
    );
    // Schema: Length + WaitForData.
    client(
        version,
        r#"[{"RawReadCmd":{"Id":30,"DeviceIndex":0,"Endpoint":"rx","Length":4,"WaitForData":false}}]"#,
        read(None, Some(4), Some(false), None),
    );
    // 9.0.9 struct: ExpectedLength + Timeout.
    client(
        version,
        r#"[{"RawReadCmd":{"Id":30,"DeviceIndex":0,"Endpoint":"rx","ExpectedLength":4,"Timeout":500}}]"#,
        read(Some(4), None, None, Some(500)),
    );
    client(
        version,
        r#"[{"RawSubscribeCmd":{"Id":18,"DeviceIndex":0,"Endpoint":"rx"}}]"#,
        ClientMessage::RawSubscribeCmd(raw_endpoint(18, 0, "rx")),
    );
    client(
        version,
        r#"[{"RawUnsubscribeCmd":{"Id":19,"DeviceIndex":0,"Endpoint":"rx"}}]"#,
        ClientMessage::RawUnsubscribeCmd(raw_endpoint(19, 0, "rx")),
    );
}

/// RawReading, v2–v3 (a subscription reading, Id 0).
fn raw_reading_round_trip(version: SpecVersion) {
    server(
        version,
        r#"[{"RawReading":{"Id":0,"DeviceIndex":0,"Endpoint":"rx","Data":[1,2]}}]"#,
        ServerMessage::RawReading(RawReading { id: 0, device_index: 0, endpoint: "rx".into(), data: vec![1, 2] }),
    );
}

fn device_removed_round_trip(version: SpecVersion) {
    server(
        version,
        r#"[{"DeviceRemoved":{"Id":0,"DeviceIndex":3}}]"#,
        ServerMessage::DeviceRemoved(DeviceRemoved { id: 0, device_index: 3 }),
    );
}

/// Each `(text, id)` is a client message that `version` must reject with that Id.
fn client_rejects_all(version: SpecVersion, cases: &[(&str, u32)]) {
    for &(text, id) in cases {
        client_rejected(version, text, id);
    }
}

fn server_rejects_all(version: SpecVersion, cases: &[(&str, u32)]) {
    for &(text, id) in cases {
        server_rejected(version, text, id);
    }
}

// Client messages of one version, written once, to check that the other versions reject them.
const V0_ONLY: &[(&str, u32)] = &[
    (r#"[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":0,"Speed":0.5}}]"#, 2),
    (r#"[{"FleshlightLaunchFW12Cmd":{"Id":3,"DeviceIndex":0,"Position":95,"Speed":90}}]"#, 3),
    (r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":0,"Speed":50,"Clockwise":true}}]"#, 4),
    (r#"[{"LovenseCmd":{"Id":5,"DeviceIndex":0,"Command":"Vibrate:20;"}}]"#, 5),
    (r#"[{"KiirooCmd":{"Id":6,"DeviceIndex":0,"Command":"4"}}]"#, 6),
    (r#"[{"RequestLog":{"Id":7,"LogLevel":"Off"}}]"#, 7),
    (r#"[{"Test":{"Id":8,"TestString":"Moo"}}]"#, 8),
];
const V1_GENERIC: &[(&str, u32)] = &[
    (r#"[{"VibrateCmd":{"Id":12,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#, 12),
    (r#"[{"RotateCmd":{"Id":13,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]"#, 13),
    (r#"[{"LinearCmd":{"Id":14,"DeviceIndex":0,"Vectors":[{"Index":0,"Duration":500,"Position":0.3}]}}]"#, 14),
];
const V2_ONLY: &[(&str, u32)] = &[
    (r#"[{"BatteryLevelCmd":{"Id":15,"DeviceIndex":0}}]"#, 15),
    (r#"[{"RSSILevelCmd":{"Id":16,"DeviceIndex":0}}]"#, 16),
];
const RAW: &[(&str, u32)] = &[
    (r#"[{"RawWriteCmd":{"Id":17,"DeviceIndex":0,"Endpoint":"tx","Data":[0,1,2],"WriteWithResponse":false}}]"#, 17),
    (r#"[{"RawReadCmd":{"Id":30,"DeviceIndex":0,"Endpoint":"rx","ExpectedLength":4,"WaitForData":true}}]"#, 30),
    (r#"[{"RawSubscribeCmd":{"Id":18,"DeviceIndex":0,"Endpoint":"rx"}}]"#, 18),
    (r#"[{"RawUnsubscribeCmd":{"Id":19,"DeviceIndex":0,"Endpoint":"rx"}}]"#, 19),
];
const V3_ONLY: &[(&str, u32)] = &[
    (r#"[{"ScalarCmd":{"Id":19,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#, 19),
    (r#"[{"SensorReadCmd":{"Id":20,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]"#, 20),
    (r#"[{"SensorSubscribeCmd":{"Id":21,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Pressure"}}]"#, 21),
    (r#"[{"SensorUnsubscribeCmd":{"Id":22,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Pressure"}}]"#, 22),
];
const V0_TO_V3_STOPS: &[(&str, u32)] =
    &[(r#"[{"StopDeviceCmd":{"Id":9,"DeviceIndex":0}}]"#, 9), (r#"[{"StopAllDevices":{"Id":10}}]"#, 10)];
const V4_ONLY: &[(&str, u32)] = &[
    (r#"[{"StopCmd":{"Id":25}}]"#, 25),
    (r#"[{"OutputCmd":{"Id":22,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#, 22),
    (r#"[{"InputCmd":{"Id":24,"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}}]"#, 24),
    (r#"[{"Disconnect":{"Id":27}}]"#, 27),
];

// Server messages, likewise.
const S_V0_V1_ONLY: &[(&str, u32)] = &[
    (r#"[{"Log":{"Id":0,"LogLevel":"Info","LogMessage":"..."}}]"#, 0),
    (r#"[{"Test":{"Id":8,"TestString":"Moo"}}]"#, 8),
];
const S_V2_ONLY: &[(&str, u32)] = &[
    (r#"[{"BatteryLevelReading":{"Id":15,"DeviceIndex":0,"BatteryLevel":0.5}}]"#, 15),
    (r#"[{"RSSILevelReading":{"Id":16,"DeviceIndex":0,"RSSILevel":-40}}]"#, 16),
];
const S_RAW: &[(&str, u32)] = &[(r#"[{"RawReading":{"Id":31,"DeviceIndex":0,"Endpoint":"rx","Data":[1,2]}}]"#, 31)];
const S_V3_ONLY: &[(&str, u32)] =
    &[(r#"[{"SensorReading":{"Id":20,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery","Data":[87]}}]"#, 20)];
const S_V0_TO_V3: &[(&str, u32)] = &[
    (r#"[{"DeviceRemoved":{"Id":0,"DeviceIndex":3}}]"#, 0),
    (
        r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessages":["StopDeviceCmd"],"DeviceName":"Simulated Rotator","Id":0}}]"#,
        0,
    ),
];
const S_V4_ONLY: &[(&str, u32)] =
    &[(r#"[{"InputReading":{"Id":24,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Battery":{"Value":87}}}}]"#, 24)];

// Device descriptions, built by hand.

fn device_v0(index: u32, name: &str, messages: &[&str]) -> DeviceV0 {
    DeviceV0 {
        device_index: index,
        device_name: name.into(),
        device_messages: messages.iter().map(|m| m.to_string()).collect(),
    }
}

/// `{}`.
fn no_attrs() -> MessageAttributesV2 {
    MessageAttributesV2::default()
}

/// `{"FeatureCount":n}`.
fn feature_count(n: u32) -> MessageAttributesV2 {
    MessageAttributesV2 { feature_count: Some(n), step_count: None }
}

/// `{"FeatureCount":n,"StepCount":[...]}`.
fn steps(n: u32, step_count: &[u32]) -> MessageAttributesV2 {
    MessageAttributesV2 { feature_count: Some(n), step_count: Some(step_count.to_vec()) }
}

fn device_v2(index: u32, name: &str, messages: Vec<(&str, MessageAttributesV2)>) -> DeviceV2 {
    DeviceV2 {
        device_index: index,
        device_name: name.into(),
        device_messages: messages.into_iter().map(|(name, attrs)| (name.to_string(), attrs)).collect(),
    }
}

fn actuator(actuator_type: &str, descriptor: &str, step_count: u32) -> ActuatorAttributes {
    ActuatorAttributes { feature_descriptor: descriptor.into(), step_count, actuator_type: actuator_type.into() }
}

fn output(entries: &[(&str, Range, Option<Range>)]) -> Option<BTreeMap<String, OutputProperties>> {
    Some(
        entries
            .iter()
            .map(|&(name, value, duration)| (name.to_string(), OutputProperties { value, duration }))
            .collect(),
    )
}

fn feature_v4(
    index: u32,
    description: &str,
    output: Option<BTreeMap<String, OutputProperties>>,
    input: Option<BTreeMap<InputType, InputProperties>>,
) -> (String, FeatureV4) {
    (index.to_string(), FeatureV4 { feature_index: index, feature_description: description.into(), output, input })
}

// ---------------------------------------------------------------------------------------------
// Spec v0
// ---------------------------------------------------------------------------------------------

mod v0 {
    use super::*;

    #[test]
    fn request_server_info_has_no_version_field() {
        client(
            V0,
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c"}}]"#,
            ClientMessage::RequestServerInfo(rsi(1, "c")),
        );
    }

    #[test]
    fn handshake_without_version_asks_for_v0() {
        let request = handshake(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c"}}]"#);
        assert_eq!(request, rsi(1, "c"));
        let requested = request.requested_version().expect("valid");
        assert_eq!((requested.major, requested.minor), (0, 0));
        assert_eq!(request.negotiate(V4).expect("v0 is spoken"), V0);
    }

    #[test]
    fn empty_client_name_is_allowed() {
        client(V0, r#"[{"RequestServerInfo":{"Id":1,"ClientName":""}}]"#, ClientMessage::RequestServerInfo(rsi(1, "")));
    }

    #[test]
    fn id_only_messages() {
        id_only_client_messages_round_trip(V0);
    }

    #[test]
    fn stop_device_and_stop_all() {
        stop_messages_round_trip(V0);
    }

    #[test]
    fn request_log() {
        client(
            V0,
            r#"[{"RequestLog":{"Id":7,"LogLevel":"Off"}}]"#,
            ClientMessage::RequestLog(RequestLog { id: 7, log_level: LogLevel::Off }),
        );
    }

    #[test]
    fn request_log_every_level() {
        for (name, level) in [
            ("Off", LogLevel::Off),
            ("Fatal", LogLevel::Fatal),
            ("Error", LogLevel::Error),
            ("Warn", LogLevel::Warn),
            ("Info", LogLevel::Info),
            ("Debug", LogLevel::Debug),
            ("Trace", LogLevel::Trace),
        ] {
            client(
                V0,
                &format!(r#"[{{"RequestLog":{{"Id":7,"LogLevel":"{name}"}}}}]"#),
                ClientMessage::RequestLog(RequestLog { id: 7, log_level: level }),
            );
        }
    }

    #[test]
    fn test_message() {
        client(
            V0,
            r#"[{"Test":{"Id":8,"TestString":"Moo"}}]"#,
            ClientMessage::Test(Test { id: 8, test_string: "Moo".into() }),
        );
    }

    #[test]
    fn single_motor_vibrate() {
        client(
            V0,
            r#"[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":0,"Speed":0.5}}]"#,
            ClientMessage::SingleMotorVibrateCmd(SingleMotorVibrateCmd { id: 2, device_index: 0, speed: 0.5 }),
        );
    }

    #[test]
    fn fleshlight_launch_fw12() {
        client(
            V0,
            r#"[{"FleshlightLaunchFW12Cmd":{"Id":3,"DeviceIndex":0,"Position":95,"Speed":90}}]"#,
            ClientMessage::FleshlightLaunchFw12Cmd(FleshlightLaunchFw12Cmd {
                id: 3,
                device_index: 0,
                position: 95,
                speed: 90,
            }),
        );
    }

    #[test]
    fn vorze_a10_cyclone() {
        client(
            V0,
            r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":0,"Speed":50,"Clockwise":true}}]"#,
            ClientMessage::VorzeA10CycloneCmd(VorzeA10CycloneCmd {
                id: 4,
                device_index: 0,
                speed: 50,
                clockwise: true,
            }),
        );
    }

    #[test]
    fn lovense_cmd() {
        client(
            V0,
            r#"[{"LovenseCmd":{"Id":5,"DeviceIndex":0,"Command":"Vibrate:20;"}}]"#,
            ClientMessage::LovenseCmd(BrandCmd { id: 5, device_index: 0, command: "Vibrate:20;".into() }),
        );
    }

    #[test]
    fn kiiroo_cmd() {
        client(
            V0,
            r#"[{"KiirooCmd":{"Id":6,"DeviceIndex":0,"Command":"4"}}]"#,
            ClientMessage::KiirooCmd(BrandCmd { id: 6, device_index: 0, command: "4".into() }),
        );
    }

    #[test]
    fn rejects_later_client_messages() {
        client_rejects_all(V0, V1_GENERIC);
        client_rejects_all(V0, V2_ONLY);
        client_rejects_all(V0, RAW);
        client_rejects_all(V0, V3_ONLY);
        client_rejects_all(V0, V4_ONLY);
    }

    #[test]
    fn status_server_messages() {
        status_server_messages_round_trip(V0);
    }

    #[test]
    fn server_info_has_software_versions() {
        server_info(
            V0,
            r#"[{"ServerInfo":{"BuildVersion":0,"Id":1,"MajorVersion":0,"MaxPingTime":0,"MessageVersion":0,"MinorVersion":0,"ServerName":"Harness Server"}}]"#,
        );
    }

    #[test]
    fn server_info_without_software_versions_is_not_v0() {
        server_rejected(V0, r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":0,"ServerName":"S"}}]"#, 1);
    }

    #[test]
    fn log_event() {
        server(
            V0,
            r#"[{"Log":{"Id":0,"LogLevel":"Info","LogMessage":"..."}}]"#,
            ServerMessage::Log(Log { id: 0, log_level: LogLevel::Info, log_message: "...".into() }),
        );
    }

    #[test]
    fn test_echo() {
        server(
            V0,
            r#"[{"Test":{"Id":8,"TestString":"Moo"}}]"#,
            ServerMessage::Test(Test { id: 8, test_string: "Moo".into() }),
        );
    }

    #[test]
    fn device_added_lists_message_names() {
        server(
            V0,
            r#"[{"DeviceAdded":{"DeviceIndex":0,"DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"],"DeviceName":"Simulated 2-Motor Vibrator","Id":0}}]"#,
            ServerMessage::DeviceAdded(DeviceAdded::V0(DeviceAddedBody {
                id: 0,
                device: device_v0(0, "Simulated 2-Motor Vibrator", &["SingleMotorVibrateCmd", "StopDeviceCmd"]),
            })),
        );
    }

    #[test]
    fn device_list_is_an_array_of_devices() {
        server(
            V0,
            r#"[{"DeviceList":{"Devices":[
                {"DeviceIndex":0,"DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"],"DeviceName":"Simulated 2-Motor Vibrator"},
                {"DeviceIndex":1,"DeviceMessages":["StopDeviceCmd"],"DeviceName":"Simulated Rotator"}],"Id":6}}]"#,
            ServerMessage::DeviceList(DeviceList::V0(DeviceListBody {
                id: 6,
                devices: vec![
                    device_v0(0, "Simulated 2-Motor Vibrator", &["SingleMotorVibrateCmd", "StopDeviceCmd"]),
                    device_v0(1, "Simulated Rotator", &["StopDeviceCmd"]),
                ],
            })),
        );
    }

    #[test]
    fn empty_device_list() {
        server(
            V0,
            r#"[{"DeviceList":{"Devices":[],"Id":6}}]"#,
            ServerMessage::DeviceList(DeviceList::V0(DeviceListBody { id: 6, devices: vec![] })),
        );
    }

    #[test]
    fn device_removed() {
        device_removed_round_trip(V0);
    }

    #[test]
    fn rejects_later_server_messages() {
        server_rejects_all(V0, S_V2_ONLY);
        server_rejects_all(V0, S_RAW);
        server_rejects_all(V0, S_V3_ONLY);
        server_rejects_all(V0, S_V4_ONLY);
    }
}

// ---------------------------------------------------------------------------------------------
// Spec v1
// ---------------------------------------------------------------------------------------------

mod v1 {
    use super::*;

    #[test]
    fn request_server_info_has_message_version() {
        client(
            V1,
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":1}}]"#,
            ClientMessage::RequestServerInfo(rsi_v1_to_v3(1, "x", 1)),
        );
    }

    #[test]
    fn handshake_asks_for_v1() {
        let request = handshake(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":1}}]"#);
        assert_eq!(request, rsi_v1_to_v3(1, "x", 1));
        assert_eq!(request.requested_version().expect("valid").major, 1);
        assert_eq!(request.negotiate(V4).expect("v1 is spoken"), V1);
    }

    #[test]
    fn id_only_messages() {
        id_only_client_messages_round_trip(V1);
    }

    #[test]
    fn stop_device_and_stop_all() {
        stop_messages_round_trip(V1);
    }

    #[test]
    fn legacy_v0_commands_still_exist() {
        client(
            V1,
            r#"[{"SingleMotorVibrateCmd":{"Id":40,"DeviceIndex":2,"Speed":1.0}}]"#,
            ClientMessage::SingleMotorVibrateCmd(SingleMotorVibrateCmd { id: 40, device_index: 2, speed: 1.0 }),
        );
        client(
            V1,
            r#"[{"FleshlightLaunchFW12Cmd":{"Id":41,"DeviceIndex":2,"Position":0,"Speed":99}}]"#,
            ClientMessage::FleshlightLaunchFw12Cmd(FleshlightLaunchFw12Cmd {
                id: 41,
                device_index: 2,
                position: 0,
                speed: 99,
            }),
        );
        client(
            V1,
            r#"[{"VorzeA10CycloneCmd":{"Id":42,"DeviceIndex":1,"Speed":99,"Clockwise":false}}]"#,
            ClientMessage::VorzeA10CycloneCmd(VorzeA10CycloneCmd {
                id: 42,
                device_index: 1,
                speed: 99,
                clockwise: false,
            }),
        );
        client(
            V1,
            r#"[{"LovenseCmd":{"Id":43,"DeviceIndex":0,"Command":"Vibrate:0;"}}]"#,
            ClientMessage::LovenseCmd(BrandCmd { id: 43, device_index: 0, command: "Vibrate:0;".into() }),
        );
        client(
            V1,
            r#"[{"KiirooCmd":{"Id":44,"DeviceIndex":0,"Command":"0"}}]"#,
            ClientMessage::KiirooCmd(BrandCmd { id: 44, device_index: 0, command: "0".into() }),
        );
    }

    #[test]
    fn request_log_and_test() {
        client(
            V1,
            r#"[{"RequestLog":{"Id":45,"LogLevel":"Debug"}}]"#,
            ClientMessage::RequestLog(RequestLog { id: 45, log_level: LogLevel::Debug }),
        );
        client(
            V1,
            r#"[{"Test":{"Id":46,"TestString":"Moo"}}]"#,
            ClientMessage::Test(Test { id: 46, test_string: "Moo".into() }),
        );
    }

    #[test]
    fn vibrate_rotate_linear() {
        generic_commands_round_trip(V1);
    }

    #[test]
    fn rotate_counter_clockwise_several_motors() {
        client(
            V1,
            r#"[{"RotateCmd":{"Id":47,"DeviceIndex":1,"Rotations":[{"Index":0,"Speed":0.0,"Clockwise":false},{"Index":1,"Speed":1.0,"Clockwise":true}]}}]"#,
            rotate_cmd(47, 1, &[(0, 0.0, false), (1, 1.0, true)]),
        );
    }

    #[test]
    fn rejects_later_client_messages() {
        client_rejects_all(V1, V2_ONLY);
        client_rejects_all(V1, RAW);
        client_rejects_all(V1, V3_ONLY);
        client_rejects_all(V1, V4_ONLY);
    }

    #[test]
    fn status_server_messages() {
        status_server_messages_round_trip(V1);
    }

    #[test]
    fn server_info_has_software_versions() {
        server_info(
            V1,
            r#"[{"ServerInfo":{"BuildVersion":0,"Id":1,"MajorVersion":0,"MaxPingTime":0,"MessageVersion":1,"MinorVersion":0,"ServerName":"Harness Server"}}]"#,
        );
    }

    #[test]
    fn log_and_test_server_messages() {
        server(
            V1,
            r#"[{"Log":{"Id":0,"LogLevel":"Warn","LogMessage":"low battery"}}]"#,
            ServerMessage::Log(Log { id: 0, log_level: LogLevel::Warn, log_message: "low battery".into() }),
        );
        server(
            V1,
            r#"[{"Test":{"Id":46,"TestString":"Moo"}}]"#,
            ServerMessage::Test(Test { id: 46, test_string: "Moo".into() }),
        );
    }

    fn observed_devices() -> Vec<DeviceV2> {
        vec![
            device_v2(
                0,
                "Simulated 2-Motor Vibrator",
                vec![
                    ("SingleMotorVibrateCmd", no_attrs()),
                    ("StopDeviceCmd", no_attrs()),
                    ("VibrateCmd", feature_count(2)),
                ],
            ),
            device_v2(1, "Simulated Rotator", vec![("RotateCmd", feature_count(1)), ("StopDeviceCmd", no_attrs())]),
            device_v2(2, "Simulated Stroker", vec![("LinearCmd", feature_count(1)), ("StopDeviceCmd", no_attrs())]),
            device_v2(3, "Simulated Oscillator", vec![("StopDeviceCmd", no_attrs())]),
        ]
    }

    #[test]
    fn device_added_counts_features() {
        let texts = [
            r#"[{"DeviceAdded":{"DeviceIndex":0,"DeviceMessages":{"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2}},"DeviceName":"Simulated 2-Motor Vibrator","Id":0}}]"#,
            r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessages":{"RotateCmd":{"FeatureCount":1},"StopDeviceCmd":{}},"DeviceName":"Simulated Rotator","Id":0}}]"#,
            r#"[{"DeviceAdded":{"DeviceIndex":2,"DeviceMessages":{"LinearCmd":{"FeatureCount":1},"StopDeviceCmd":{}},"DeviceName":"Simulated Stroker","Id":0}}]"#,
            r#"[{"DeviceAdded":{"DeviceIndex":3,"DeviceMessages":{"StopDeviceCmd":{}},"DeviceName":"Simulated Oscillator","Id":0}}]"#,
        ];
        for (text, device) in texts.into_iter().zip(observed_devices()) {
            server(V1, text, ServerMessage::DeviceAdded(DeviceAdded::V1(DeviceAddedBody { id: 0, device })));
        }
    }

    #[test]
    fn device_list_of_feature_counts() {
        server(
            V1,
            r#"[{"DeviceList":{"Id":6,"Devices":[
                {"DeviceIndex":0,"DeviceMessages":{"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2}},"DeviceName":"Simulated 2-Motor Vibrator"},
                {"DeviceIndex":1,"DeviceMessages":{"RotateCmd":{"FeatureCount":1},"StopDeviceCmd":{}},"DeviceName":"Simulated Rotator"},
                {"DeviceIndex":2,"DeviceMessages":{"LinearCmd":{"FeatureCount":1},"StopDeviceCmd":{}},"DeviceName":"Simulated Stroker"},
                {"DeviceIndex":3,"DeviceMessages":{"StopDeviceCmd":{}},"DeviceName":"Simulated Oscillator"}]}}]"#,
            ServerMessage::DeviceList(DeviceList::V1(DeviceListBody { id: 6, devices: observed_devices() })),
        );
    }

    #[test]
    fn step_count_is_not_v1() {
        // v1 carries FeatureCount only; StepCount arrives with v2.
        server_rejected(
            V1,
            r#"[{"DeviceList":{"Id":6,"Devices":[{"DeviceIndex":0,"DeviceMessages":{"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[20]}},"DeviceName":"Simulated Lovense Max"}]}}]"#,
            6,
        );
    }

    #[test]
    fn device_removed() {
        device_removed_round_trip(V1);
    }

    #[test]
    fn rejects_later_server_messages() {
        server_rejects_all(V1, S_V2_ONLY);
        server_rejects_all(V1, S_RAW);
        server_rejects_all(V1, S_V3_ONLY);
        server_rejects_all(V1, S_V4_ONLY);
    }
}

// ---------------------------------------------------------------------------------------------
// Spec v2
// ---------------------------------------------------------------------------------------------

mod v2 {
    use super::*;

    #[test]
    fn request_server_info_has_message_version() {
        client(
            V2,
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":2}}]"#,
            ClientMessage::RequestServerInfo(rsi_v1_to_v3(1, "x", 2)),
        );
    }

    #[test]
    fn handshake_asks_for_v2() {
        let request = handshake(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":2}}]"#);
        assert_eq!(request.requested_version().expect("valid").major, 2);
        assert_eq!(request.negotiate(V4).expect("v2 is spoken"), V2);
    }

    #[test]
    fn id_only_messages() {
        id_only_client_messages_round_trip(V2);
    }

    #[test]
    fn stop_device_and_stop_all() {
        stop_messages_round_trip(V2);
    }

    #[test]
    fn vibrate_rotate_linear() {
        generic_commands_round_trip(V2);
    }

    #[test]
    fn battery_level_cmd() {
        client(V2, r#"[{"BatteryLevelCmd":{"Id":15,"DeviceIndex":0}}]"#, ClientMessage::BatteryLevelCmd(dev(15, 0)));
    }

    #[test]
    fn rssi_level_cmd() {
        client(V2, r#"[{"RSSILevelCmd":{"Id":16,"DeviceIndex":0}}]"#, ClientMessage::RssiLevelCmd(dev(16, 0)));
    }

    #[test]
    fn raw_commands() {
        raw_commands_round_trip(V2);
    }

    #[test]
    fn rejects_v0_v1_only_messages() {
        // v2 removed SingleMotorVibrateCmd, FleshlightLaunchFW12Cmd, VorzeA10CycloneCmd,
        // LovenseCmd, KiirooCmd, Test and RequestLog.
        client_rejects_all(V2, V0_ONLY);
    }

    #[test]
    fn rejects_later_client_messages() {
        client_rejects_all(V2, V3_ONLY);
        client_rejects_all(V2, V4_ONLY);
    }

    #[test]
    fn rejects_scalar_cmd() {
        client_rejected(
            V2,
            r#"[{"ScalarCmd":{"Id":19,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
            19,
        );
    }

    #[test]
    fn rejects_single_motor_vibrate() {
        client_rejected(V2, r#"[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":0,"Speed":0.5}}]"#, 2);
    }

    #[test]
    fn status_server_messages() {
        status_server_messages_round_trip(V2);
    }

    #[test]
    fn server_info_has_message_version_only() {
        server_info(
            V2,
            r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":2,"ServerName":"Harness Server"}}]"#,
        );
    }

    #[test]
    fn server_info_with_software_versions_is_not_v2() {
        server_rejected(
            V2,
            r#"[{"ServerInfo":{"BuildVersion":0,"Id":1,"MajorVersion":0,"MaxPingTime":0,"MessageVersion":2,"MinorVersion":0,"ServerName":"S"}}]"#,
            1,
        );
    }

    #[test]
    fn battery_level_reading() {
        server(
            V2,
            r#"[{"BatteryLevelReading":{"Id":15,"DeviceIndex":0,"BatteryLevel":0.5}}]"#,
            ServerMessage::BatteryLevelReading(BatteryLevelReading { id: 15, device_index: 0, battery_level: 0.5 }),
        );
    }

    #[test]
    fn rssi_level_reading_is_negative_dbm() {
        server(
            V2,
            r#"[{"RSSILevelReading":{"Id":16,"DeviceIndex":0,"RSSILevel":-40}}]"#,
            ServerMessage::RssiLevelReading(RssiLevelReading { id: 16, device_index: 0, rssi_level: -40 }),
        );
    }

    #[test]
    fn raw_reading() {
        raw_reading_round_trip(V2);
    }

    #[test]
    fn device_added_with_step_counts() {
        server(
            V2,
            r#"[{"DeviceAdded":{"DeviceIndex":0,"DeviceMessages":{"BatteryLevelCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[20]}},"DeviceName":"Simulated Lovense Max","Id":0}}]"#,
            ServerMessage::DeviceAdded(DeviceAdded::V2(DeviceAddedBody {
                id: 0,
                device: device_v2(
                    0,
                    "Simulated Lovense Max",
                    vec![
                        ("BatteryLevelCmd", no_attrs()),
                        ("StopDeviceCmd", no_attrs()),
                        ("VibrateCmd", steps(1, &[20])),
                    ],
                ),
            })),
        );
        server(
            V2,
            r#"[{"DeviceAdded":{"DeviceIndex":2,"DeviceMessages":{"LinearCmd":{"FeatureCount":1,"StepCount":[1000]},"StopDeviceCmd":{}},"DeviceName":"Simulated Stroker","Id":0}}]"#,
            ServerMessage::DeviceAdded(DeviceAdded::V2(DeviceAddedBody {
                id: 0,
                device: device_v2(
                    2,
                    "Simulated Stroker",
                    vec![("LinearCmd", steps(1, &[1000])), ("StopDeviceCmd", no_attrs())],
                ),
            })),
        );
    }

    #[test]
    fn device_list_with_step_counts() {
        server(
            V2,
            r#"[{"DeviceList":{"Id":6,"Devices":[
                {"DeviceIndex":0,"DeviceMessages":{"BatteryLevelCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2,"StepCount":[20,20]}},"DeviceName":"Two Motors"},
                {"DeviceIndex":2,"DeviceMessages":{"LinearCmd":{"FeatureCount":1,"StepCount":[1000]},"StopDeviceCmd":{}},"DeviceName":"Simulated Stroker"}]}}]"#,
            ServerMessage::DeviceList(DeviceList::V2(DeviceListBody {
                id: 6,
                devices: vec![
                    device_v2(
                        0,
                        "Two Motors",
                        vec![
                            ("BatteryLevelCmd", no_attrs()),
                            ("StopDeviceCmd", no_attrs()),
                            ("VibrateCmd", steps(2, &[20, 20])),
                        ],
                    ),
                    device_v2(
                        2,
                        "Simulated Stroker",
                        vec![("LinearCmd", steps(1, &[1000])), ("StopDeviceCmd", no_attrs())],
                    ),
                ],
            })),
        );
    }

    #[test]
    fn device_removed() {
        device_removed_round_trip(V2);
    }

    #[test]
    fn rejects_other_versions_server_messages() {
        server_rejects_all(V2, S_V0_V1_ONLY);
        server_rejects_all(V2, S_V3_ONLY);
        server_rejects_all(V2, S_V4_ONLY);
    }
}

// ---------------------------------------------------------------------------------------------
// Spec v3
// ---------------------------------------------------------------------------------------------

mod v3 {
    use super::*;

    fn scalar(index: u32, scalar: f64, actuator_type: ActuatorType) -> Scalar {
        Scalar { index, scalar, actuator_type }
    }

    fn sensor(id: u32, sensor_index: u32, sensor_type: SensorType) -> SensorCmd {
        SensorCmd { id, device_index: 0, sensor_index, sensor_type }
    }

    #[test]
    fn request_server_info_has_message_version() {
        client(
            V3,
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":3}}]"#,
            ClientMessage::RequestServerInfo(rsi_v1_to_v3(1, "x", 3)),
        );
    }

    #[test]
    fn handshake_asks_for_v3() {
        let request = handshake(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":3}}]"#);
        assert_eq!(request.requested_version().expect("valid").major, 3);
        assert_eq!(request.negotiate(V4).expect("v3 is spoken"), V3);
        assert_eq!(request.negotiate(V3).expect("v3 is spoken"), V3);
    }

    #[test]
    fn id_only_messages() {
        id_only_client_messages_round_trip(V3);
    }

    #[test]
    fn stop_device_and_stop_all() {
        stop_messages_round_trip(V3);
    }

    #[test]
    fn vibrate_rotate_linear_still_accepted() {
        generic_commands_round_trip(V3);
    }

    #[test]
    fn raw_commands() {
        raw_commands_round_trip(V3);
    }

    #[test]
    fn scalar_cmd_with_inflate() {
        client(
            V3,
            r#"[{"ScalarCmd":{"Id":19,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},{"Index":1,"Scalar":0.3,"ActuatorType":"Inflate"}]}}]"#,
            ClientMessage::ScalarCmd(ScalarCmd {
                id: 19,
                device_index: 0,
                scalars: vec![scalar(0, 0.5, ActuatorType::Vibrate), scalar(1, 0.3, ActuatorType::Inflate)],
            }),
        );
    }

    #[test]
    fn scalar_cmd_every_v3_actuator_type() {
        // Vibrate, Rotate, Oscillate, Constrict, Inflate, Position.
        for (name, kind) in [
            ("Vibrate", ActuatorType::Vibrate),
            ("Rotate", ActuatorType::Rotate),
            ("Oscillate", ActuatorType::Oscillate),
            ("Constrict", ActuatorType::Constrict),
            ("Inflate", ActuatorType::Inflate),
            ("Position", ActuatorType::Position),
        ] {
            client(
                V3,
                &format!(
                    r#"[{{"ScalarCmd":{{"Id":50,"DeviceIndex":1,"Scalars":[{{"Index":2,"Scalar":1.0,"ActuatorType":"{name}"}}]}}}}]"#
                ),
                ClientMessage::ScalarCmd(ScalarCmd { id: 50, device_index: 1, scalars: vec![scalar(2, 1.0, kind)] }),
            );
        }
    }

    #[test]
    fn sensor_read_cmd() {
        client(
            V3,
            r#"[{"SensorReadCmd":{"Id":20,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]"#,
            ClientMessage::SensorReadCmd(sensor(20, 0, SensorType::Battery)),
        );
    }

    #[test]
    fn sensor_subscribe_cmd() {
        client(
            V3,
            r#"[{"SensorSubscribeCmd":{"Id":21,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Pressure"}}]"#,
            ClientMessage::SensorSubscribeCmd(sensor(21, 0, SensorType::Pressure)),
        );
        client(
            V3,
            r#"[{"SensorSubscribeCmd":{"Id":23,"DeviceIndex":0,"SensorIndex":1,"SensorType":"Button"}}]"#,
            ClientMessage::SensorSubscribeCmd(sensor(23, 1, SensorType::Button)),
        );
    }

    #[test]
    fn sensor_unsubscribe_cmd_rssi() {
        client(
            V3,
            r#"[{"SensorUnsubscribeCmd":{"Id":22,"DeviceIndex":0,"SensorIndex":0,"SensorType":"RSSI"}}]"#,
            ClientMessage::SensorUnsubscribeCmd(sensor(22, 0, SensorType::Rssi)),
        );
    }

    #[test]
    fn sensor_type_rssi_also_accepted_as_v4_spelling() {
        // accept both `RSSI` and `Rssi`; emit `RSSI` to v3 clients.
        let decoded = decode_one_client(
            r#"[{"SensorUnsubscribeCmd":{"Id":22,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Rssi"}}]"#,
            V3,
        );
        assert_eq!(decoded, ClientMessage::SensorUnsubscribeCmd(sensor(22, 0, SensorType::Rssi)));
        assert_encodes_to(
            &decoded,
            r#"[{"SensorUnsubscribeCmd":{"Id":22,"DeviceIndex":0,"SensorIndex":0,"SensorType":"RSSI"}}]"#,
        );
        assert_eq!(
            decode_one_client(
                r#"[{"SensorReadCmd":{"Id":24,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Rssi"}}]"#,
                V3
            ),
            ClientMessage::SensorReadCmd(sensor(24, 0, SensorType::Rssi)),
        );
    }

    #[test]
    fn rejects_v0_v1_and_v2_only_messages() {
        client_rejects_all(V3, V0_ONLY);
        client_rejects_all(V3, V2_ONLY);
    }

    #[test]
    fn rejects_v4_messages() {
        client_rejects_all(V3, V4_ONLY);
    }

    #[test]
    fn rejects_output_cmd() {
        client_rejected(
            V3,
            r#"[{"OutputCmd":{"Id":22,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            22,
        );
    }

    #[test]
    fn status_server_messages() {
        status_server_messages_round_trip(V3);
    }

    #[test]
    fn server_info_has_message_version_only() {
        server_info(
            V3,
            r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":3,"ServerName":"Harness Server"}}]"#,
        );
    }

    #[test]
    fn server_info_echoes_max_ping_time_and_name() {
        server(
            V3,
            r#"[{"ServerInfo":{"Id":9,"MaxPingTime":1000,"MessageVersion":3,"ServerName":"Buttplug Server"}}]"#,
            ServerMessage::ServerInfo(ServerInfo::for_version(V3, 9, "Buttplug Server", 1000)),
        );
    }

    #[test]
    fn sensor_reading() {
        server(
            V3,
            r#"[{"SensorReading":{"Id":20,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery","Data":[87]}}]"#,
            ServerMessage::SensorReading(SensorReading {
                id: 20,
                device_index: 0,
                sensor_index: 0,
                sensor_type: SensorType::Battery,
                data: vec![87],
            }),
        );
    }

    #[test]
    fn sensor_reading_rssi_is_spelled_for_v3() {
        server(
            V3,
            r#"[{"SensorReading":{"Id":0,"DeviceIndex":0,"SensorIndex":1,"SensorType":"RSSI","Data":[-40]}}]"#,
            ServerMessage::SensorReading(SensorReading {
                id: 0,
                device_index: 0,
                sensor_index: 1,
                sensor_type: SensorType::Rssi,
                data: vec![-40],
            }),
        );
    }

    #[test]
    fn raw_reading() {
        raw_reading_round_trip(V3);
    }

    fn lovense_max() -> DeviceV3 {
        DeviceV3 {
            device_index: 0,
            device_name: "Simulated Lovense Max".into(),
            device_display_name: Some("My Max".into()),
            device_message_timing_gap: 100,
            device_messages: DeviceMessagesV3 {
                scalar_cmd: Some(vec![
                    actuator("Vibrate", "Vibrator", 20),
                    actuator("Constrict", "Air Pump", 3),
                    actuator("Rotate", "Unidirectional rotator", 20),
                ]),
                sensor_read_cmd: Some(vec![SensorAttributes {
                    feature_descriptor: "Battery Level".into(),
                    sensor_type: SensorType::Battery,
                    sensor_range: vec![Range::new(0, 100)],
                }]),
                stop_device_cmd: Empty {},
                ..Default::default()
            },
        }
    }

    const LOVENSE_MAX_ADDED: &str = r#"[{"DeviceAdded":{"DeviceDisplayName":"My Max","DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceMessages":{
        "ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"Vibrator","StepCount":20},
                     {"ActuatorType":"Constrict","FeatureDescriptor":"Air Pump","StepCount":3},
                     {"ActuatorType":"Rotate","FeatureDescriptor":"Unidirectional rotator","StepCount":20}],
        "SensorReadCmd":[{"FeatureDescriptor":"Battery Level","SensorRange":[[0,100]],"SensorType":"Battery"}],
        "StopDeviceCmd":{}},"DeviceName":"Simulated Lovense Max","Id":0}}]"#;

    #[test]
    fn device_added_with_display_name_and_sensors() {
        server(
            V3,
            LOVENSE_MAX_ADDED,
            ServerMessage::DeviceAdded(DeviceAdded::V3(DeviceAddedBody { id: 0, device: lovense_max() })),
        );
    }

    #[test]
    fn device_added_rotator_and_stroker() {
        server(
            V3,
            r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessageTimingGap":100,"DeviceMessages":{
                "RotateCmd":[{"ActuatorType":"Rotate","FeatureDescriptor":"Rotation Motor","StepCount":100}],
                "ScalarCmd":[{"ActuatorType":"Rotate","FeatureDescriptor":"Rotation Motor","StepCount":100}],
                "StopDeviceCmd":{}},"DeviceName":"Simulated Rotator","Id":0}}]"#,
            ServerMessage::DeviceAdded(DeviceAdded::V3(DeviceAddedBody {
                id: 0,
                device: DeviceV3 {
                    device_index: 1,
                    device_name: "Simulated Rotator".into(),
                    device_display_name: None,
                    device_message_timing_gap: 100,
                    device_messages: DeviceMessagesV3 {
                        rotate_cmd: Some(vec![actuator("Rotate", "Rotation Motor", 100)]),
                        scalar_cmd: Some(vec![actuator("Rotate", "Rotation Motor", 100)]),
                        stop_device_cmd: Empty {},
                        ..Default::default()
                    },
                },
            })),
        );
        server(
            V3,
            r#"[{"DeviceAdded":{"DeviceIndex":2,"DeviceMessageTimingGap":100,"DeviceMessages":{
                "LinearCmd":[{"ActuatorType":"Position","FeatureDescriptor":"Linear Axis","StepCount":1000}],
                "ScalarCmd":[{"ActuatorType":"Position","FeatureDescriptor":"Linear Axis","StepCount":1000}],
                "StopDeviceCmd":{}},"DeviceName":"Simulated Stroker","Id":0}}]"#,
            ServerMessage::DeviceAdded(DeviceAdded::V3(DeviceAddedBody {
                id: 0,
                device: DeviceV3 {
                    device_index: 2,
                    device_name: "Simulated Stroker".into(),
                    device_display_name: None,
                    device_message_timing_gap: 100,
                    device_messages: DeviceMessagesV3 {
                        linear_cmd: Some(vec![actuator("Position", "Linear Axis", 1000)]),
                        scalar_cmd: Some(vec![actuator("Position", "Linear Axis", 1000)]),
                        stop_device_cmd: Empty {},
                        ..Default::default()
                    },
                },
            })),
        );
    }

    #[test]
    fn device_with_sensor_subscribe_attributes() {
        // 9.0.9 could also list SensorSubscribeCmd with the same attribute shape.
        server(
            V3,
            r#"[{"DeviceList":{"Id":6,"Devices":[{"DeviceIndex":4,"DeviceMessageTimingGap":75,"DeviceMessages":{
                "SensorReadCmd":[{"FeatureDescriptor":"","SensorRange":[[0,1]],"SensorType":"Button"}],
                "SensorSubscribeCmd":[{"FeatureDescriptor":"","SensorRange":[[0,1]],"SensorType":"Button"}],
                "StopDeviceCmd":{}},"DeviceName":"Clicker"}]}}]"#,
            ServerMessage::DeviceList(DeviceList::V3(DeviceListBody {
                id: 6,
                devices: vec![DeviceV3 {
                    device_index: 4,
                    device_name: "Clicker".into(),
                    device_display_name: None,
                    device_message_timing_gap: 75,
                    device_messages: DeviceMessagesV3 {
                        sensor_read_cmd: Some(vec![SensorAttributes {
                            feature_descriptor: "".into(),
                            sensor_type: SensorType::Button,
                            sensor_range: vec![Range::new(0, 1)],
                        }]),
                        sensor_subscribe_cmd: Some(vec![SensorAttributes {
                            feature_descriptor: "".into(),
                            sensor_type: SensorType::Button,
                            sensor_range: vec![Range::new(0, 1)],
                        }]),
                        stop_device_cmd: Empty {},
                        ..Default::default()
                    },
                }],
            })),
        );
    }

    #[test]
    fn device_list_of_attribute_arrays() {
        server(
            V3,
            r#"[{"DeviceList":{"Id":6,"Devices":[{"DeviceDisplayName":"My Max","DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceMessages":{
                "ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"Vibrator","StepCount":20},
                             {"ActuatorType":"Constrict","FeatureDescriptor":"Air Pump","StepCount":3},
                             {"ActuatorType":"Rotate","FeatureDescriptor":"Unidirectional rotator","StepCount":20}],
                "SensorReadCmd":[{"FeatureDescriptor":"Battery Level","SensorRange":[[0,100]],"SensorType":"Battery"}],
                "StopDeviceCmd":{}},"DeviceName":"Simulated Lovense Max"}]}}]"#,
            ServerMessage::DeviceList(DeviceList::V3(DeviceListBody { id: 6, devices: vec![lovense_max()] })),
        );
    }

    #[test]
    fn device_removed() {
        device_removed_round_trip(V3);
    }

    #[test]
    fn rejects_other_versions_server_messages() {
        server_rejects_all(V3, S_V0_V1_ONLY);
        server_rejects_all(V3, S_V2_ONLY);
        server_rejects_all(V3, S_V4_ONLY);
    }
}

// ---------------------------------------------------------------------------------------------
// Spec v4
// ---------------------------------------------------------------------------------------------

mod v4 {
    use super::*;

    fn output_cmd(id: u32, device_index: u32, feature_index: u32, command: OutputCommandV4) -> ClientMessage {
        ClientMessage::OutputCmd(OutputCmd { id, device_index, feature_index, command })
    }

    fn input_cmd(id: u32, input_type: InputType, command: InputCommand) -> ClientMessage {
        ClientMessage::InputCmd(InputCmd { id, device_index: 0, feature_index: 2, input_type, command })
    }

    fn value(value: i32) -> OutputValue {
        OutputValue { value }
    }

    #[test]
    fn request_server_info_has_protocol_version_major_minor() {
        client(
            V4,
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
            ClientMessage::RequestServerInfo(rsi_v4(1, "c", 4, 0)),
        );
    }

    #[test]
    fn handshake_asks_for_v4() {
        let request = handshake(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
        );
        assert_eq!(request, rsi_v4(1, "c", 4, 0));
        let requested = request.requested_version().expect("valid");
        assert_eq!((requested.major, requested.minor), (4, 0));
        assert_eq!(request.negotiate(V4).expect("v4 is spoken"), V4);
    }

    #[test]
    fn handshake_prefers_protocol_version_major() {
        // version = ProtocolVersionMajor if present; a newer minor is fine.
        let request = handshake(
            r#"[{"RequestServerInfo":{"Id":3,"ClientName":"c","ProtocolVersionMajor":4,"ProtocolVersionMinor":7}}]"#,
        );
        assert_eq!(request.requested_version().expect("valid").major, 4);
        assert_eq!(request.negotiate(V4).expect("newer minor is fine"), V4);
    }

    #[test]
    fn client_newer_than_server_gets_handshake_error() {
        // refuse newer majors with Error code 1.
        let request = handshake(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
        );
        assert_eq!(request.negotiate(V3).expect_err("v4 client, v3 server").code(), ErrorCode::Init);
        let request = handshake(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#,
        );
        assert_eq!(request.negotiate(V4).expect_err("v5 client").code(), ErrorCode::Init);
    }

    #[test]
    fn request_server_info_needs_both_protocol_fields() {
        // both fields required (observed: missing Minor → dropped).
        client_rejected(V4, r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4}}]"#, 1);
    }

    #[test]
    fn handshake_without_protocol_version_minor_is_refused() {
        // both fields required; the handshake path refuses the incomplete shape.
        let request = handshake(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","ProtocolVersionMajor":4}}]"#);
        assert!(request.requested_version().is_err());
        assert!(request.negotiate(V4).is_err());
    }

    #[test]
    fn request_server_info_message_version_not_allowed_alongside() {
        // MessageVersion is not allowed alongside the v4 fields.
        let request = handshake(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":4,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
        );
        assert!(request.requested_version().is_err());
        client_rejected(
            V4,
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"c","MessageVersion":4,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
            1,
        );
    }

    #[test]
    fn id_only_messages() {
        id_only_client_messages_round_trip(V4);
    }

    #[test]
    fn disconnect() {
        client(V4, r#"[{"Disconnect":{"Id":27}}]"#, ClientMessage::Disconnect(id_only(27)));
    }

    #[test]
    fn stop_cmd_bare() {
        client(
            V4,
            r#"[{"StopCmd":{"Id":25}}]"#,
            ClientMessage::StopCmd(StopCmd {
                id: 25,
                device_index: None,
                feature_index: None,
                inputs: None,
                outputs: None,
            }),
        );
    }

    #[test]
    fn stop_cmd_with_all_fields() {
        client(
            V4,
            r#"[{"StopCmd":{"Id":26,"DeviceIndex":0,"FeatureIndex":1,"Inputs":false,"Outputs":true}}]"#,
            ClientMessage::StopCmd(StopCmd {
                id: 26,
                device_index: Some(0),
                feature_index: Some(1),
                inputs: Some(false),
                outputs: Some(true),
            }),
        );
    }

    #[test]
    fn stop_cmd_one_device() {
        client(
            V4,
            r#"[{"StopCmd":{"Id":28,"DeviceIndex":3}}]"#,
            ClientMessage::StopCmd(StopCmd {
                id: 28,
                device_index: Some(3),
                feature_index: None,
                inputs: None,
                outputs: None,
            }),
        );
    }

    #[test]
    fn output_cmd_vibrate() {
        client(
            V4,
            r#"[{"OutputCmd":{"Id":22,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
            output_cmd(22, 0, 0, OutputCommandV4::Vibrate(value(10))),
        );
    }

    #[test]
    fn output_cmd_hw_position_with_duration() {
        client(
            V4,
            r#"[{"OutputCmd":{"Id":23,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91,"Duration":150}}}}]"#,
            output_cmd(
                23,
                1,
                0,
                OutputCommandV4::HwPositionWithDuration(PositionWithDuration { value: 91, duration: 150 }),
            ),
        );
    }

    #[test]
    fn output_cmd_rotate_direction_is_the_sign() {
        client(
            V4,
            r#"[{"OutputCmd":{"Id":30,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Rotate":{"Value":-50}}}}]"#,
            output_cmd(30, 1, 0, OutputCommandV4::Rotate(value(-50))),
        );
    }

    #[test]
    fn output_cmd_every_value_output_type() {
        // Vibrate, Rotate, Oscillate, Constrict, Spray, Temperature, Led, Position
        // carry {"Value":i32}.
        type Constructor = fn(OutputValue) -> OutputCommandV4;
        let cases: [(&str, Constructor); 8] = [
            ("Vibrate", OutputCommandV4::Vibrate),
            ("Rotate", OutputCommandV4::Rotate),
            ("Oscillate", OutputCommandV4::Oscillate),
            ("Constrict", OutputCommandV4::Constrict),
            ("Spray", OutputCommandV4::Spray),
            ("Temperature", OutputCommandV4::Temperature),
            ("Led", OutputCommandV4::Led),
            ("Position", OutputCommandV4::Position),
        ];
        for (name, make) in cases {
            client(
                V4,
                &format!(
                    r#"[{{"OutputCmd":{{"Id":31,"DeviceIndex":2,"FeatureIndex":3,"Command":{{"{name}":{{"Value":7}}}}}}}}]"#
                ),
                output_cmd(31, 2, 3, make(value(7))),
            );
        }
    }

    #[test]
    fn output_cmd_temperature_can_be_negative() {
        client(
            V4,
            r#"[{"OutputCmd":{"Id":32,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Temperature":{"Value":-3}}}}]"#,
            output_cmd(32, 0, 0, OutputCommandV4::Temperature(value(-3))),
        );
    }

    #[test]
    fn output_cmd_float_value_is_rejected() {
        // values are integers; a float (e.g. 5.5) fails deserialization.
        let results = decode_client_frame(
            r#"[{"OutputCmd":{"Id":33,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5.5}}}}]"#,
            V4,
        );
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].as_ref().expect_err("float Value").id, 33);
    }

    #[test]
    fn input_cmd_read() {
        client(
            V4,
            r#"[{"InputCmd":{"Id":24,"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}}]"#,
            input_cmd(24, InputType::Battery, InputCommand::Read),
        );
    }

    #[test]
    fn input_cmd_subscribe_and_unsubscribe() {
        client(
            V4,
            r#"[{"InputCmd":{"Id":34,"DeviceIndex":0,"FeatureIndex":2,"Type":"Pressure","Command":"Subscribe"}}]"#,
            input_cmd(34, InputType::Pressure, InputCommand::Subscribe),
        );
        client(
            V4,
            r#"[{"InputCmd":{"Id":35,"DeviceIndex":0,"FeatureIndex":2,"Type":"Button","Command":"Unsubscribe"}}]"#,
            input_cmd(35, InputType::Button, InputCommand::Unsubscribe),
        );
    }

    #[test]
    fn input_cmd_every_input_type() {
        // InputType ∈ Battery, Rssi, Button, Pressure, Depth, Position.
        for (name, kind) in [
            ("Battery", InputType::Battery),
            ("Rssi", InputType::Rssi),
            ("Button", InputType::Button),
            ("Pressure", InputType::Pressure),
            ("Depth", InputType::Depth),
            ("Position", InputType::Position),
        ] {
            client(
                V4,
                &format!(
                    r#"[{{"InputCmd":{{"Id":36,"DeviceIndex":0,"FeatureIndex":2,"Type":"{name}","Command":"Read"}}}}]"#
                ),
                input_cmd(36, kind, InputCommand::Read),
            );
        }
    }

    #[test]
    fn input_cmd_lower_case_aliases() {
        // lower-case aliases accepted by serde.
        assert_eq!(
            decode_one_client(
                r#"[{"InputCmd":{"Id":37,"DeviceIndex":0,"FeatureIndex":2,"Type":"battery","Command":"subscribe"}}]"#,
                V4
            ),
            input_cmd(37, InputType::Battery, InputCommand::Subscribe),
        );
    }

    #[test]
    fn rejects_legacy_client_messages() {
        client_rejects_all(V4, V0_ONLY);
        client_rejects_all(V4, V1_GENERIC);
        client_rejects_all(V4, V2_ONLY);
        client_rejects_all(V4, RAW);
        client_rejects_all(V4, V3_ONLY);
        client_rejects_all(V4, V0_TO_V3_STOPS);
    }

    #[test]
    fn rejects_vibrate_cmd() {
        client_rejected(V4, r#"[{"VibrateCmd":{"Id":12,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#, 12);
    }

    #[test]
    fn status_server_messages() {
        status_server_messages_round_trip(V4);
    }

    #[test]
    fn server_info_has_protocol_version() {
        server_info(
            V4,
            r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"ServerName":"Harness Server"}}]"#,
        );
    }

    #[test]
    fn server_info_with_message_version_is_not_v4() {
        server_rejected(V4, r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":3,"ServerName":"S"}}]"#, 1);
    }

    fn reading(id: u32, reading: InputReadingValue) -> ServerMessage {
        ServerMessage::InputReading(InputReading { id, device_index: 0, feature_index: 2, reading })
    }

    #[test]
    fn input_reading_battery() {
        server(
            V4,
            r#"[{"InputReading":{"Id":24,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Battery":{"Value":87}}}}]"#,
            reading(24, InputReadingValue::Battery(ReadingValue { value: 87 })),
        );
    }

    #[test]
    fn input_reading_rssi_is_negative() {
        server(
            V4,
            r#"[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Rssi":{"Value":-40}}}}]"#,
            reading(0, InputReadingValue::Rssi(ReadingValue { value: -40 })),
        );
    }

    #[test]
    fn input_reading_button() {
        server(
            V4,
            r#"[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Button":{"Value":1}}}}]"#,
            reading(0, InputReadingValue::Button(ReadingValue { value: 1 })),
        );
    }

    #[test]
    fn input_reading_pressure() {
        server(
            V4,
            r#"[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Pressure":{"Value":70000}}}}]"#,
            reading(0, InputReadingValue::Pressure(ReadingValue { value: 70000 })),
        );
    }

    fn lovense_max_v4() -> DeviceV4 {
        let battery: BTreeMap<InputType, InputProperties> = [(
            InputType::Battery,
            InputProperties { value: vec![Range::new(0, 100)], command: vec![InputCommand::Read] },
        )]
        .into_iter()
        .collect();
        DeviceV4 {
            device_index: 0,
            device_name: "Simulated Lovense Max".into(),
            device_display_name: Some("My Max".into()),
            device_message_timing_gap: 100,
            device_features: [
                feature_v4(0, "Vibrator", output(&[("Vibrate", Range::new(0, 20), None)]), None),
                feature_v4(1, "Air Pump", output(&[("Constrict", Range::new(0, 3), None)]), None),
                feature_v4(2, "Battery Level", None, Some(battery)),
                feature_v4(3, "Unidirectional rotator", output(&[("Rotate", Range::new(0, 20), None)]), None),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn device_list_is_keyed_by_index_strings() {
        server(
            V4,
            r#"[{"DeviceList":{"Devices":{"0":{"DeviceDisplayName":"My Max","DeviceFeatures":{
                "0":{"FeatureDescription":"Vibrator","FeatureIndex":0,"Output":{"Vibrate":{"Value":[0,20]}}},
                "1":{"FeatureDescription":"Air Pump","FeatureIndex":1,"Output":{"Constrict":{"Value":[0,3]}}},
                "2":{"FeatureDescription":"Battery Level","FeatureIndex":2,"Input":{"Battery":{"Command":["Read"],"Value":[[0,100]]}}},
                "3":{"FeatureDescription":"Unidirectional rotator","FeatureIndex":3,"Output":{"Rotate":{"Value":[0,20]}}}},
              "DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceName":"Simulated Lovense Max"}},"Id":3}}]"#,
            ServerMessage::DeviceList(DeviceList::V4(DeviceListBody {
                id: 3,
                devices: [("0".to_string(), lovense_max_v4())].into_iter().collect(),
            })),
        );
    }

    #[test]
    fn device_list_stroker_and_bidirectional_rotator() {
        let stroker = DeviceV4 {
            device_index: 2,
            device_name: "Simulated Stroker".into(),
            device_display_name: None,
            device_message_timing_gap: 100,
            device_features: [feature_v4(
                0,
                "Linear Axis",
                output(&[
                    ("HwPositionWithDuration", Range::new(0, 1000), Some(Range::new(0, 100_000))),
                    ("Position", Range::new(0, 1000), None),
                ]),
                None,
            )]
            .into_iter()
            .collect(),
        };
        let rotator = DeviceV4 {
            device_index: 1,
            device_name: "Simulated Rotator".into(),
            device_display_name: None,
            device_message_timing_gap: 100,
            device_features: [feature_v4(
                0,
                "Rotation Motor",
                output(&[("Rotate", Range::new(-100, 100), None)]),
                None,
            )]
            .into_iter()
            .collect(),
        };
        server(
            V4,
            r#"[{"DeviceList":{"Id":0,"Devices":{
                "1":{"DeviceFeatures":{"0":{"FeatureDescription":"Rotation Motor","FeatureIndex":0,"Output":{"Rotate":{"Value":[-100,100]}}}},
                     "DeviceIndex":1,"DeviceMessageTimingGap":100,"DeviceName":"Simulated Rotator"},
                "2":{"DeviceFeatures":{"0":{"FeatureDescription":"Linear Axis","FeatureIndex":0,
                        "Output":{"HwPositionWithDuration":{"Duration":[0,100000],"Value":[0,1000]},"Position":{"Value":[0,1000]}}}},
                     "DeviceIndex":2,"DeviceMessageTimingGap":100,"DeviceName":"Simulated Stroker"}}}}]"#,
            ServerMessage::DeviceList(DeviceList::V4(DeviceListBody {
                id: 0,
                devices: [("1".to_string(), rotator), ("2".to_string(), stroker)].into_iter().collect(),
            })),
        );
    }

    #[test]
    fn input_with_several_commands_and_ranges() {
        let inputs: BTreeMap<InputType, InputProperties> = [(
            InputType::Pressure,
            InputProperties {
                value: vec![Range::new(0, 1000), Range::new(0, 1000)],
                command: vec![InputCommand::Read, InputCommand::Subscribe],
            },
        )]
        .into_iter()
        .collect();
        let device = DeviceV4 {
            device_index: 5,
            device_name: "Squeezer".into(),
            device_display_name: None,
            device_message_timing_gap: 75,
            device_features: [feature_v4(0, "", None, Some(inputs))].into_iter().collect(),
        };
        server(
            V4,
            r#"[{"DeviceList":{"Id":8,"Devices":{"5":{"DeviceFeatures":{
                "0":{"FeatureDescription":"","FeatureIndex":0,"Input":{"Pressure":{"Command":["Read","Subscribe"],"Value":[[0,1000],[0,1000]]}}}},
                "DeviceIndex":5,"DeviceMessageTimingGap":75,"DeviceName":"Squeezer"}}}}]"#,
            ServerMessage::DeviceList(DeviceList::V4(DeviceListBody {
                id: 8,
                devices: [("5".to_string(), device)].into_iter().collect(),
            })),
        );
    }

    #[test]
    fn empty_device_list_event() {
        server(
            V4,
            r#"[{"DeviceList":{"Devices":{},"Id":0}}]"#,
            ServerMessage::DeviceList(DeviceList::V4(DeviceListBody { id: 0, devices: BTreeMap::new() })),
        );
    }

    #[test]
    fn rejects_device_added_and_removed() {
        server_rejects_all(V4, S_V0_TO_V3);
        server_rejected(
            V4,
            r#"[{"DeviceAdded":{"DeviceIndex":0,"DeviceMessageTimingGap":100,"DeviceMessages":{"StopDeviceCmd":{}},"DeviceName":"Simulated Oscillator","Id":0}}]"#,
            0,
        );
    }

    #[test]
    fn rejects_legacy_server_messages() {
        server_rejects_all(V4, S_V0_V1_ONLY);
        server_rejects_all(V4, S_V2_ONLY);
        server_rejects_all(V4, S_RAW);
        server_rejects_all(V4, S_V3_ONLY);
    }
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

mod frames {
    use super::*;

    fn all_ok<T: std::fmt::Debug>(results: Vec<Result<T, plugboard_protocol::DecodeError>>) -> Vec<T> {
        results.into_iter().map(|r| r.expect("every message decodes")).collect()
    }

    #[test]
    fn several_messages_in_one_array() {
        let decoded = all_ok(decode_client_frame(r#"[{"Ping":{"Id":5}}, {"RequestDeviceList":{"Id":6}}]"#, V3));
        assert_eq!(decoded, vec![ClientMessage::Ping(id_only(5)), ClientMessage::RequestDeviceList(id_only(6))]);
    }

    #[test]
    fn batch_of_different_messages_keeps_order() {
        let decoded = all_ok(decode_client_frame(
            r#"[{"StartScanning":{"Id":11}},
                {"VibrateCmd":{"Id":12,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5},{"Index":1,"Speed":1.0}]}},
                {"StopAllDevices":{"Id":10}}]"#,
            V2,
        ));
        assert_eq!(
            decoded,
            vec![
                ClientMessage::StartScanning(id_only(11)),
                vibrate_cmd(12, 0, &[(0, 0.5), (1, 1.0)]),
                ClientMessage::StopAllDevices(id_only(10)),
            ]
        );
    }

    #[test]
    fn two_arrays_back_to_back() {
        let decoded = all_ok(decode_client_frame(r#"[{"Ping":{"Id":19}}][{"Ping":{"Id":20}}]"#, V4));
        assert_eq!(decoded, vec![ClientMessage::Ping(id_only(19)), ClientMessage::Ping(id_only(20))]);
    }

    #[test]
    fn back_to_back_arrays_of_several_messages() {
        let decoded = all_ok(decode_client_frame(
            r#"[{"StopCmd":{"Id":25}},{"Ping":{"Id":2}}] [{"InputCmd":{"Id":24,"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}}]"#,
            V4,
        ));
        assert_eq!(
            decoded,
            vec![
                ClientMessage::StopCmd(StopCmd {
                    id: 25,
                    device_index: None,
                    feature_index: None,
                    inputs: None,
                    outputs: None
                }),
                ClientMessage::Ping(id_only(2)),
                ClientMessage::InputCmd(InputCmd {
                    id: 24,
                    device_index: 0,
                    feature_index: 2,
                    input_type: InputType::Battery,
                    command: InputCommand::Read,
                }),
            ]
        );
    }

    #[test]
    fn split_frame_names_each_message_in_order() {
        let raw: Vec<RawMessage> =
            split_frame(r#"[{"Ping":{"Id":1}},{"StartScanning":{"Id":2}}][{"StopScanning":{"Id":3}}]"#)
                .into_iter()
                .map(|r| r.expect("well-formed"))
                .collect();
        let names: Vec<&str> = raw.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Ping", "StartScanning", "StopScanning"]);
        let ids: Vec<u32> = raw.iter().map(|m| m.id()).collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn a_message_outside_the_version_does_not_spoil_its_neighbours() {
        let results = decode_client_frame(
            r#"[{"Ping":{"Id":1}},{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}},{"Ping":{"Id":3}}]"#,
            V2,
        );
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].as_ref().expect("Ping"), &ClientMessage::Ping(id_only(1)));
        assert_eq!(results[1].as_ref().expect_err("ScalarCmd is v3").id, 2);
        assert_eq!(results[2].as_ref().expect("Ping"), &ClientMessage::Ping(id_only(3)));
    }

    #[test]
    fn server_frame_with_several_messages() {
        // clients must accept multi-element arrays.
        let decoded = all_ok(decode_server_frame(
            r#"[{"ScanningFinished":{"Id":0}},{"DeviceRemoved":{"Id":0,"DeviceIndex":1}},{"Ok":{"Id":11}}]"#,
            V3,
        ));
        assert_eq!(
            decoded,
            vec![
                ServerMessage::ScanningFinished(id_only(0)),
                ServerMessage::DeviceRemoved(DeviceRemoved { id: 0, device_index: 1 }),
                ServerMessage::Ok(id_only(11)),
            ]
        );
    }

    #[test]
    fn server_frames_back_to_back() {
        let decoded = all_ok(decode_server_frame(
            r#"[{"Ok":{"Id":19}}][{"InputReading":{"Id":24,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Battery":{"Value":87}}}}]"#,
            V4,
        ));
        assert_eq!(
            decoded,
            vec![
                ServerMessage::Ok(id_only(19)),
                ServerMessage::InputReading(InputReading {
                    id: 24,
                    device_index: 0,
                    feature_index: 2,
                    reading: InputReadingValue::Battery(ReadingValue { value: 87 }),
                }),
            ]
        );
    }

    #[test]
    fn encode_frame_writes_one_array() {
        let frame = encode_frame(&[ServerMessage::Ok(id_only(5)), ServerMessage::ScanningFinished(id_only(0))]);
        assert_eq!(json(&frame), json(r#"[{"Ok":{"Id":5}},{"ScanningFinished":{"Id":0}}]"#));
    }

    #[test]
    fn encode_message_wraps_one_message_in_an_array() {
        // the server sends one message per frame, wrapped in a one-element array.
        assert_encodes_to(&ServerMessage::Ok(id_only(4)), r#"[{"Ok":{"Id":4}}]"#);
        assert_encodes_to(&ClientMessage::Ping(id_only(4)), r#"[{"Ping":{"Id":4}}]"#);
    }

    #[test]
    fn bare_object_is_not_a_frame() {
        // a bare object {"Ping":{...}} is invalid.
        let results = decode_client_frame(r#"{"Ping":{"Id":5}}"#, V3);
        assert_eq!(results.len(), 1);
        assert!(results[0].is_err());
    }
}
