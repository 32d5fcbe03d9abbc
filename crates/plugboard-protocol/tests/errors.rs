//! Bad input of every kind: a typed error with the message's Id when one can be read (0
//! otherwise), rendered as an `Error` message of the right class. Never a panic.

use plugboard_protocol::frame::{decode_client_frame, message_ids, split_frame, split_frame_limited, TooManyMessages};
use plugboard_protocol::{DecodeError, DecodeErrorKind, Error, ErrorCode, SpecVersion, SpecVersion::*};

use crate::common::*;

fn only_error(text: &str, version: SpecVersion) -> DecodeError {
    let mut results = decode_client_frame(text, version);
    assert_eq!(results.len(), 1, "{text}");
    results.remove(0).expect_err(text)
}

#[test]
fn frames_that_are_not_json_arrays() {
    for (text, kind) in [
        ("", "empty"),
        ("   ", "empty"),
        ("{", "json"),
        ("[{\"Ping\":{\"Id\":1}}", "json"),
        ("not json", "json"),
        ("{\"Ping\":{\"Id\":1}}", "array"),
        ("42", "array"),
        ("\"Ping\"", "array"),
        ("[]", "emptyarray"),
    ] {
        let error = only_error(text, V3);
        assert_eq!(error.id, 0, "{text}");
        let matches = match kind {
            "empty" | "json" => matches!(error.kind, DecodeErrorKind::InvalidJson(_)),
            "array" => error.kind == DecodeErrorKind::NotAnArray,
            _ => error.kind == DecodeErrorKind::EmptyArray,
        };
        assert!(matches, "{text:?} gave {:?}", error.kind);
        assert_eq!(error.to_error().code(), ErrorCode::Message);
    }
}

#[test]
fn elements_that_are_not_single_key_objects() {
    for text in [r#"[{"Ping":{"Id":1},"Test":{"Id":2}}]"#, r#"[{}]"#, r#"[1]"#, r#"[["Ping"]]"#, r#"[null]"#] {
        assert_eq!(only_error(text, V3).kind, DecodeErrorKind::NotASingleKeyObject, "{text}");
    }
}

#[test]
fn a_key_given_twice_counts_once_the_last_winning() {
    // As a JSON object reads into a map (and as the reference server reads it): the message's
    // name given twice in one element...
    let results = decode_client_frame(r#"[{"Ping":{"Id":1},"Ping":{"Id":2}}]"#, V3);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap().id(), 2);
    // ...and a field given twice in a body.
    let results = decode_client_frame(r#"[{"Ping":{"Id":3,"Id":4}}]"#, V3);
    assert_eq!(results[0].as_ref().unwrap().id(), 4);
    // Two different names are still two messages in one element.
    let error = only_error(r#"[{"Ping":{"Id":5},"Test":{"Id":6},"Ping":{"Id":7}}]"#, V3);
    assert_eq!(error.kind, DecodeErrorKind::NotASingleKeyObject);
}

#[test]
fn bodies_are_kept_as_written_until_decoded() {
    // Splitting does not parse or re-serialise bodies: they are decoded once, into their type.
    let split = split_frame(r#"[ {"Ping": { "Id" : 5 } } , {"Test":{"Id":6,"TestString":"a\u0062"}} ]"#);
    let bodies: Vec<&str> = split.iter().map(|m| m.as_ref().unwrap().body.get()).collect();
    assert_eq!(bodies, [r#"{ "Id" : 5 }"#, r#"{"Id":6,"TestString":"a\u0062"}"#]);
}

#[test]
fn a_bad_element_does_not_spoil_its_neighbours() {
    let results = decode_client_frame(r#"[{"Ping":{"Id":1}},{"Nope":{"Id":2}},{"Ping":{"Id":3}}]"#, V3);
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().id(), 1);
    assert_eq!(results[1].as_ref().unwrap_err().id, 2);
    assert_eq!(results[2].as_ref().unwrap().id(), 3);
    // A broken second array still lets the first one through.
    let results = decode_client_frame(r#"[{"Ping":{"Id":1}}][{"Ping""#, V3);
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(matches!(results[1].as_ref().unwrap_err().kind, DecodeErrorKind::InvalidJson(_)));
}

#[test]
fn unknown_and_out_of_version_messages_keep_their_id() {
    let unknown = only_error(r#"[{"Frobnicate":{"Id":17}}]"#, V3);
    assert_eq!(unknown.id, 17);
    assert_eq!(unknown.kind, DecodeErrorKind::UnknownMessage("Frobnicate".into()));
    // A server message sent by a client is just as unknown.
    assert_eq!(
        only_error(r#"[{"ServerInfo":{"Id":4}}]"#, V3).kind,
        DecodeErrorKind::UnknownMessage("ServerInfo".into())
    );
    let other_version = only_error(
        r#"[{"OutputCmd":{"Id":18,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}}]"#,
        V3,
    );
    assert_eq!(other_version.id, 18);
    assert_eq!(other_version.kind, DecodeErrorKind::NotInVersion { name: "OutputCmd".into(), version: V3 });
    assert!(other_version.to_error().text().contains("spec v3"));
}

#[test]
fn bad_fields_are_named_and_keep_the_id() {
    for (text, id, version) in [
        (r#"[{"Ping":{"Id":5,"Extra":1}}]"#, 5, V3),                  // unknown field
        (r#"[{"StopDeviceCmd":{"Id":6}}]"#, 6, V3),                   // missing field
        (r#"[{"StopDeviceCmd":{"Id":7,"DeviceIndex":"0"}}]"#, 7, V3), // wrong type
        (r#"[{"StopDeviceCmd":{"Id":8,"DeviceIndex":-1}}]"#, 8, V3),  // negative index
        (r#"[{"OutputCmd":{"Id":9,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5.5}}}}]"#, 9, V4), // float step
        (r#"[{"OutputCmd":{"Id":10,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":[5]}}}}]"#, 10, V4), // early v4 shape
        (r#"[{"OutputCmd":{"Id":11,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Wiggle":{"Value":5}}}}]"#, 11, V4), // unknown output
        (
            r#"[{"ScalarCmd":{"Id":12,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Wiggle"}]}}]"#,
            12,
            V3,
        ),
        (r#"[{"InputCmd":{"Id":13,"DeviceIndex":0,"FeatureIndex":0,"Type":"Battery","Command":"Poke"}}]"#, 13, V4),
        (r#"[{"RequestServerInfo":{"Id":14,"ClientName":"c","MessageVersion":3}}]"#, 14, V4), // v3 shape on a v4 session
        (r#"[{"Ping":{"Id":4294967296}}]"#, 0, V3), // Id beyond u32: unreadable
        (r#"[{"Ping":null}]"#, 0, V3),
    ] {
        let error = only_error(text, version);
        assert_eq!(error.id, id, "{text}");
        assert!(matches!(error.kind, DecodeErrorKind::InvalidFields { .. }), "{text}: {:?}", error.kind);
        assert!(!error.to_error().text().contains("line 1"), "error text should not carry serde positions: {}", error);
    }
}

#[test]
fn id_zero_is_reserved_for_the_server() {
    let error = only_error(r#"[{"Ping":{"Id":0}}]"#, V3);
    assert_eq!(error.kind, DecodeErrorKind::ZeroId("Ping".into()));
    assert_eq!(error.id, 0);
    let handshake =
        split_frame(r#"[{"RequestServerInfo":{"Id":0,"ClientName":"c"}}]"#).remove(0).unwrap().decode_handshake();
    assert_eq!(handshake.unwrap_err().kind, DecodeErrorKind::ZeroId("RequestServerInfo".into()));
}

#[test]
fn values_are_range_checked() {
    for (text, version) in [
        (r#"[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":0,"Speed":1.5}}]"#, V0),
        (r#"[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":0,"Speed":-0.1}}]"#, V1),
        (r#"[{"VibrateCmd":{"Id":2,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":2}]}}]"#, V2),
        (r#"[{"VibrateCmd":{"Id":2,"DeviceIndex":0,"Speeds":[]}}]"#, V2),
        (r#"[{"RotateCmd":{"Id":2,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":-1,"Clockwise":true}]}}]"#, V3),
        (r#"[{"LinearCmd":{"Id":2,"DeviceIndex":0,"Vectors":[{"Index":0,"Duration":10,"Position":1.01}]}}]"#, V3),
        (
            r#"[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.2,"ActuatorType":"Vibrate"}]}}]"#,
            V3,
        ),
        (r#"[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[]}}]"#, V3),
        (r#"[{"FleshlightLaunchFW12Cmd":{"Id":2,"DeviceIndex":0,"Position":100,"Speed":5}}]"#, V0),
        (r#"[{"VorzeA10CycloneCmd":{"Id":2,"DeviceIndex":0,"Speed":101,"Clockwise":true}}]"#, V1),
        (r#"[{"RawWriteCmd":{"Id":2,"DeviceIndex":0,"Endpoint":"tx","Data":[],"WriteWithResponse":true}}]"#, V2),
    ] {
        let error = only_error(text, version);
        assert_eq!(error.id, 2, "{text}");
        assert!(matches!(error.kind, DecodeErrorKind::OutOfRange { .. }), "{text}: {:?}", error.kind);
    }
    // The message names the range the check enforces.
    let error = only_error(r#"[{"VorzeA10CycloneCmd":{"Id":2,"DeviceIndex":0,"Speed":101,"Clockwise":true}}]"#, V1);
    let message = error.to_message();
    let text = format!("{message:?}");
    assert!(text.contains("between 0 and 100, got 101"), "{text}");
}

#[test]
fn errors_render_as_error_messages() {
    let error = only_error(r#"[{"Frobnicate":{"Id":17}}]"#, V3);
    assert_encodes_to(
        &error.to_message(),
        r#"[{"Error":{"Id":17,"ErrorCode":3,"ErrorMessage":"'Frobnicate' is not a Buttplug message."}}]"#,
    );
    let classes = [
        (Error::unknown("Something unexpected happened."), 0),
        (Error::handshake_expected(), 1),
        (Error::handshake_already_happened(), 1),
        (Error::pinged_out(), 2),
        (Error::message("That message is malformed."), 3),
        (Error::device_not_available(99), 4),
        (Error::feature_index(0, 2, 5), 4),
    ];
    for (error, code) in classes {
        let message = json(&plugboard_protocol::frame::encode_message(&error.to_message(3)));
        assert_eq!(message[0]["Error"]["ErrorCode"], code);
        assert_eq!(message[0]["Error"]["Id"], 3);
        let text = message[0]["Error"]["ErrorMessage"].as_str().unwrap();
        assert!(text.ends_with('.'), "a sentence: {text}");
    }
    assert!(Error::device_not_available(99).text().contains("99"));
    assert_eq!(ErrorCode::from_number(4), Some(ErrorCode::Device));
    assert_eq!(ErrorCode::from_number(5), None);
}

#[test]
fn binary_and_invalid_text_never_panic() {
    // Arbitrary bytes as lossy text: the decoder must answer, never panic.
    let junk: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
    let text = String::from_utf8_lossy(&junk);
    for version in SpecVersion::ALL {
        assert!(!decode_client_frame(&text, version).is_empty());
    }
    let deep = "[".repeat(10_000);
    assert!(decode_client_frame(&deep, V3)[0].is_err());
}

#[test]
fn a_frame_over_the_message_limit_is_refused_as_a_whole() {
    let pings = |n: usize| format!("[{}]", vec![r#"{"Ping":{"Id":1}}"#; n].join(","));
    assert_eq!(split_frame_limited(&pings(3), 3).map(|m| m.len()), Ok(3));
    assert_eq!(split_frame_limited(&pings(4), 3).err(), Some(TooManyMessages { max: 3, counted: 4 }));
    assert_eq!(split_frame_limited(&pings(10_000), 256).err(), Some(TooManyMessages { max: 256, counted: 10_000 }));
    // Several arrays, stray values and empty arrays each count: no way around the limit.
    assert_eq!(split_frame_limited(&pings(2).repeat(2), 3).err().map(|e| e.counted), Some(4));
    assert_eq!(split_frame_limited(&"[]".repeat(5), 3).err().map(|e| e.counted), Some(4));
    assert_eq!(split_frame_limited(&"1 ".repeat(5), 3).err().map(|e| e.counted), Some(4));
    assert_eq!(split_frame_limited(&format!("{} x", pings(3)), 3).err().map(|e| e.counted), Some(4));
    // Within the limit, the same as split_frame; no limit is split_frame itself.
    let mixed = r#"[{"Ping":{"Id":1}},{"Nope":{"Id":2}},5][]"#;
    assert_eq!(format!("{:?}", split_frame_limited(mixed, 4).unwrap()), format!("{:?}", split_frame(mixed)));
    assert_eq!(split_frame(&pings(100_000)).len(), 100_000);
}

#[test]
fn message_ids_are_the_ids_splitting_would_give_or_none() {
    // The Id of each result of the full split: a message's Id, or the Id its error answers.
    let split_ids = |text: &str, max: usize| -> Option<Vec<u32>> {
        let results = split_frame_limited(text, max).ok()?;
        Some(results.iter().map(|result| result.as_ref().map_or_else(|error| error.id, |raw| raw.id())).collect())
    };
    let plain = [
        r#"[{"Ping":{"Id":5}}]"#,
        r#" [ {"OutputCmd":{"Id":7,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":3}}}} , {"Ping":{"Id":4294967295}} ] "#,
        r#"[{"Nope":{"Id":9,"Whatever":[1,{"Id":2}]}}]"#,
        r#"[{"Ping":{"Other":1,"Id":3}}]"#,
    ];
    for text in plain {
        assert_eq!(message_ids(text, 256), split_ids(text, 256), "{text}");
        assert!(message_ids(text, 256).is_some(), "{text}");
    }
    // Anything else is left to the full split (whose Ids may differ: 0 for what has none).
    let odd = [
        "",
        "[]",
        "not json",
        r#"[{"Ping":{"Id":5}}][{"Ping":{"Id":6}}]"#,
        r#"[{"Ping":{"Id":5}},{"Ping":{"Id":6}}]"#, // over a limit of 1 below
        r#"[{"Ping":{"Id":5},"Ping":{"Id":6}}]"#,
        r#"[{"Ping":{"Id":5,"Id":6}}]"#,
        r#"[{"Ping":{"Id":-1}}]"#,
        r#"[{"Ping":{"Id":5.0}}]"#,
        r#"[{"Ping":{"Id":4294967296}}]"#,
        r#"[{"Ping":{"I\u0064":5}}]"#,
        r#"[{"Ping":{}}]"#,
        r#"[{"Ping":5}]"#,
        r#"[{}]"#,
        r#"[5]"#,
        r#"{"Ping":{"Id":5}}"#,
        r#"[{"Ping":{"Id":5}}"#,
    ];
    for text in odd {
        assert_eq!(message_ids(text, 1), None, "{text}");
    }
    // A frame with a stop in it is read whole, so the stop runs whatever the rate (and a name
    // written with escapes is not the plain shape either).
    let with_stops = [
        r#"[{"StopDeviceCmd":{"Id":5,"DeviceIndex":0}}]"#,
        r#"[{"Ping":{"Id":4}},{"StopAllDevices":{"Id":5}}]"#,
        r#"[{"StopCmd":{"Id":5}},{"Ping":{"Id":6}}]"#,
        r#"[{"StopAllDevices":{"Id":5}}]"#,
    ];
    for text in with_stops {
        assert_eq!(message_ids(text, 256), None, "{text}");
    }
}
