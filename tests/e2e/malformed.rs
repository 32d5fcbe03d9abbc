//! The malformed-input matrix: every kind of bad frame a client (or a hostile web page) can
//! send, each with the Error it must get, or, where the websocket standard says the
//! connection must fail, the Error first and then the close code. After each case the
//! session that got it proves it still works (a Ping is answered), and a second client,
//! connected for the whole matrix, proves every other session does too.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_protocol::model::OutputType;
use plugboard_server::{Engine, EngineConfig};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

use crate::raw::{Raw, WAIT};

/// Where a case is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    /// The matrix's long-lived session of that spec version (0 to 4).
    V(u8),
    /// A new connection that has not sent RequestServerInfo.
    Fresh,
    /// A new connection after a v3 handshake (for cases that close the connection).
    FreshV3,
}

/// What a case sends.
enum Input {
    Text(String),
    Binary(Vec<u8>),
    /// Bytes written straight to the TCP stream: websocket frames the client library would
    /// refuse to build (invalid UTF-8, unmasked, reserved bits...).
    Wire(Vec<u8>),
}

/// One reply the case must get, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Error {
        id: u32,
        code: u64,
    },
    Ok(u32),
    /// Any other message with this name and Id (ServerInfo, DeviceList...).
    Named(&'static str, u32),
}

enum Expect {
    /// These replies, then the session goes on.
    Replies(Vec<Reply>),
    /// These replies (the Error, when the protocol allows one), then the close code.
    Closes(Vec<Reply>, u16),
}

struct Case {
    category: &'static str,
    name: String,
    on: On,
    input: Input,
    expect: Expect,
}

fn err(id: u32, code: u64) -> Reply {
    Reply::Error { id, code }
}

fn ok(id: u32) -> Reply {
    Reply::Ok(id)
}

const DEVICES: [VirtualKind; 4] =
    [VirtualKind::Vibrator, VirtualKind::Rotator, VirtualKind::Stroker, VirtualKind::LovenseMax];
/// The device the bystander drives; no matrix case sets it.
const BYSTANDER_DEVICE: u32 = 3;

/// A websocket frame as a client sends it: masked (with a zero key, so the payload stays
/// readable) unless `masked` is false.
fn ws_frame(first_byte: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask = if masked { 0x80 } else { 0 };
    let mut out = vec![first_byte];
    match payload.len() {
        n if n < 126 => out.push(mask | n as u8),
        n if n <= 0xffff => {
            out.push(mask | 126);
            out.extend((n as u16).to_be_bytes());
        }
        n => {
            out.push(mask | 127);
            out.extend((n as u64).to_be_bytes());
        }
    }
    if masked {
        out.extend([0, 0, 0, 0]);
    }
    out.extend_from_slice(payload);
    out
}

/// The text of a v3 ScalarCmd.
fn scalar(id: u32, device: &str, index: &str, value: &str, actuator: &str) -> String {
    format!(
        r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{device},"Scalars":[{{"Index":{index},"Scalar":{value},"ActuatorType":{actuator}}}]}}}}]"#
    )
}

/// The text of a v4 OutputCmd.
fn output(id: u32, device: &str, feature: &str, command: &str) -> String {
    format!(r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{device},"FeatureIndex":{feature},"Command":{command}}}}}]"#)
}

fn cases() -> Vec<Case> {
    use Expect::{Closes, Replies};
    use On::{Fresh, FreshV3, V};
    let mut cases = Vec::new();
    let mut add = |category: &'static str, name: &str, on: On, input: Input, expect: Expect| {
        cases.push(Case { category, name: name.to_owned(), on, input, expect })
    };
    let text = |s: &str| Input::Text(s.to_owned());
    let one = |reply: Reply| Replies(vec![reply]);

    // --- Not JSON, or JSON that is not a frame -------------------------------------------------
    for (name, frame) in [
        ("plain text", "this is not json"),
        ("empty frame", ""),
        ("only whitespace", " \n\t "),
        ("unclosed array", "["),
        ("unclosed message", r#"[{"Ping":{"Id":1}}"#),
        ("trailing comma in object", r#"[{"Ping":{"Id":1,}}]"#),
        ("trailing comma in array", r#"[{"Ping":{"Id":1}},]"#),
        ("single quotes", r#"[{'Ping':{'Id':1}}]"#),
        ("unquoted key", r#"[{Ping:{"Id":1}}]"#),
        ("leading zero", r#"[{"Ping":{"Id":01}}]"#),
        ("NaN literal", r#"[{"Ping":{"Id":NaN}}]"#),
        (
            "Infinity literal",
            r#"[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":Infinity,"ActuatorType":"Vibrate"}]}}]"#,
        ),
        ("number beyond f64", r#"[{"Ping":{"Id":1e400}}]"#),
        ("byte order mark", "\u{feff}[{\"Ping\":{\"Id\":1}}]"),
        ("lone surrogate escape", r#"[{"Ping\ud800":{"Id":1}}]"#),
        ("raw control character in a string", "[{\"Pi\u{1}ng\":{\"Id\":1}}]"),
        ("null", "null"),
        ("a number", "42"),
        ("a string", r#""Ping""#),
        ("true", "true"),
        ("empty object", "{}"),
        ("bare message object", r#"{"Ping":{"Id":2}}"#),
        ("empty array", "[]"),
        ("nested empty array", "[[]]"),
        ("nested array of messages", r#"[[{"Ping":{"Id":3}}]]"#),
        ("array of null", "[null]"),
        ("array of a number", "[1]"),
        ("array of a string", r#"["Ping"]"#),
        ("array of an empty object", "[{}]"),
        ("two messages in one object", r#"[{"Ping":{"Id":4},"Test":{"Id":5,"TestString":"x"}}]"#),
        ("body is a number", r#"[{"Ping":5}]"#),
        ("body is null", r#"[{"Ping":null}]"#),
        ("body is an array", r#"[{"Ping":[]}]"#),
        ("body is a string", r#"[{"Ping":"Id:1"}]"#),
    ] {
        add("bad JSON and frame shape", name, V(3), text(frame), one(err(0, 3)));
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    add("bad JSON and frame shape", "100,000 nested arrays", V(3), Input::Text(deep), one(err(0, 3)));
    let deep_body = format!(r#"[{{"Ping":{{"Id":7,"X":{}{}}}}}]"#, "{\"a\":".repeat(5000), "}".repeat(5000));
    add("bad JSON and frame shape", "5,000 nested objects in a body", V(3), Input::Text(deep_body), one(err(0, 3)));
    add(
        "bad JSON and frame shape",
        "good array then garbage",
        V(3),
        text(r#"[{"Ping":{"Id":8}}] // comment"#),
        Replies(vec![ok(8), err(0, 3)]),
    );
    add(
        "bad JSON and frame shape",
        "good array then a number",
        V(3),
        text(r#"[{"Ping":{"Id":9}}] 5"#),
        Replies(vec![ok(9), err(0, 3)]),
    );
    add("bad JSON and frame shape", "two empty arrays", V(3), text("[][]"), Replies(vec![err(0, 3), err(0, 3)]));
    add(
        "bad JSON and frame shape",
        "good, unknown and malformed in one frame",
        V(3),
        text(r#"[{"Ping":{"Id":10}},{"Nope":{"Id":11}},{"Ping":{"Id":"x"}},{"Ping":{"Id":12}}]"#),
        Replies(vec![ok(10), err(11, 3), err(0, 3), ok(12)]),
    );

    // --- Wrong types ----------------------------------------------------------------------------
    for (name, id) in [
        ("Id as a string", r#""20""#),
        ("Id as a float", "20.5"),
        ("Id as 20.0", "20.0"),
        ("Id as true", "true"),
        ("Id as null", "null"),
        ("Id as an object", r#"{"Id":20}"#),
        ("Id negative", "-20"),
    ] {
        add("wrong types", name, V(3), Input::Text(format!(r#"[{{"Ping":{{"Id":{id}}}}}]"#)), one(err(0, 3)));
    }
    for (name, frame) in [
        ("DeviceIndex as a string", scalar(21, r#""0""#, "0", "0.5", r#""Vibrate""#)),
        ("Index as a float", scalar(21, "0", "0.5", "0.5", r#""Vibrate""#)),
        ("Scalar as a string", scalar(21, "0", "0", r#""0.5""#, r#""Vibrate""#)),
        ("Scalar as \"NaN\"", scalar(21, "0", "0", r#""NaN""#, r#""Vibrate""#)),
        ("Scalar as null", scalar(21, "0", "0", "null", r#""Vibrate""#)),
        ("unknown ActuatorType", scalar(21, "0", "0", "0.5", r#""Explode""#)),
        ("ActuatorType in lower case", scalar(21, "0", "0", "0.5", r#""vibrate""#)),
        ("ActuatorType as a number", scalar(21, "0", "0", "0.5", "1")),
    ] {
        add("wrong types", name, V(3), Input::Text(frame), one(err(21, 3)));
    }
    add(
        "wrong types",
        "Scalars as an object",
        V(3),
        text(r#"[{"ScalarCmd":{"Id":22,"DeviceIndex":0,"Scalars":{"Index":0}}}]"#),
        one(err(22, 3)),
    );
    add(
        "wrong types",
        "v4 Command as a string",
        V(4),
        Input::Text(output(23, "0", "0", r#""Vibrate""#)),
        one(err(23, 3)),
    );
    add(
        "wrong types",
        "v4 Value as a float",
        V(4),
        Input::Text(output(23, "0", "0", r#"{"Vibrate":{"Value":1.5}}"#)),
        one(err(23, 3)),
    );
    add(
        "wrong types",
        "v4 unknown output type",
        V(4),
        Input::Text(output(23, "0", "0", r#"{"Explode":{"Value":1}}"#)),
        one(err(23, 3)),
    );
    add(
        "wrong types",
        "v4 InputCmd unknown Command",
        V(4),
        text(r#"[{"InputCmd":{"Id":24,"DeviceIndex":3,"FeatureIndex":2,"Type":"Battery","Command":"Eat"}}]"#),
        one(err(24, 3)),
    );
    add(
        "wrong types",
        "v4 StopCmd Outputs as a string",
        V(4),
        text(r#"[{"StopCmd":{"Id":25,"Outputs":"yes"}}]"#),
        one(err(25, 3)),
    );
    add(
        "wrong types",
        "v0 VorzeA10CycloneCmd Clockwise as a number",
        V(0),
        text(r#"[{"VorzeA10CycloneCmd":{"Id":26,"DeviceIndex":1,"Speed":50,"Clockwise":1}}]"#),
        one(err(26, 3)),
    );
    add(
        "wrong types",
        "v1 Test without a string",
        V(1),
        text(r#"[{"Test":{"Id":27,"TestString":5}}]"#),
        one(err(27, 3)),
    );

    // --- Missing and extra fields ------------------------------------------------------------------
    for (name, frame, id, on) in [
        ("Ping without Id", r#"[{"Ping":{}}]"#.to_owned(), 0, V(3)),
        ("ScalarCmd without DeviceIndex", r#"[{"ScalarCmd":{"Id":30,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#.to_owned(), 30, V(3)),
        ("ScalarCmd without Scalars", r#"[{"ScalarCmd":{"Id":31,"DeviceIndex":0}}]"#.to_owned(), 31, V(3)),
        ("Scalar without Index", r#"[{"ScalarCmd":{"Id":32,"DeviceIndex":0,"Scalars":[{"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#.to_owned(), 32, V(3)),
        ("Scalar without ActuatorType", r#"[{"ScalarCmd":{"Id":33,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5}]}}]"#.to_owned(), 33, V(3)),
        ("StopDeviceCmd without DeviceIndex", r#"[{"StopDeviceCmd":{"Id":34}}]"#.to_owned(), 34, V(3)),
        ("LinearCmd vector without Duration", r#"[{"LinearCmd":{"Id":35,"DeviceIndex":2,"Vectors":[{"Index":0,"Position":0.5}]}}]"#.to_owned(), 35, V(3)),
        ("OutputCmd without Command", r#"[{"OutputCmd":{"Id":36,"DeviceIndex":0,"FeatureIndex":0}}]"#.to_owned(), 36, V(4)),
        ("OutputCmd without FeatureIndex", r#"[{"OutputCmd":{"Id":37,"DeviceIndex":0,"Command":{"Vibrate":{"Value":1}}}}]"#.to_owned(), 37, V(4)),
        ("OutputCmd Vibrate without Value", output(38, "0", "0", r#"{"Vibrate":{}}"#), 38, V(4)),
        ("HwPositionWithDuration without Duration", output(39, "2", "0", r#"{"HwPositionWithDuration":{"Value":50}}"#), 39, V(4)),
        ("InputCmd without Type", r#"[{"InputCmd":{"Id":40,"DeviceIndex":3,"FeatureIndex":2,"Command":"Read"}}]"#.to_owned(), 40, V(4)),
        ("v0 SingleMotorVibrateCmd without Speed", r#"[{"SingleMotorVibrateCmd":{"Id":41,"DeviceIndex":0}}]"#.to_owned(), 41, V(0)),
        ("Ping with an extra field", r#"[{"Ping":{"Id":42,"Extra":true}}]"#.to_owned(), 42, V(3)),
        ("ScalarCmd with an extra field", r#"[{"ScalarCmd":{"Id":43,"DeviceIndex":0,"Scalars":[],"Force":1}}]"#.to_owned(), 43, V(3)),
        ("Scalar with an extra field", r#"[{"ScalarCmd":{"Id":44,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate","Duration":9}]}}]"#.to_owned(), 44, V(3)),
        ("OutputCmd Value with an extra field", output(45, "0", "0", r#"{"Vibrate":{"Value":5,"Speed":1}}"#), 45, V(4)),
        ("OutputCmd with two commands", output(46, "1", "0", r#"{"Vibrate":{"Value":5},"Rotate":{"Value":5}}"#), 46, V(4)),
        ("OutputCmd with an empty Command", output(47, "0", "0", "{}"), 47, V(4)),
        ("v2 VibrateCmd speed with an extra field", r#"[{"VibrateCmd":{"Id":48,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5,"Boost":true}]}}]"#.to_owned(), 48, V(2)),
    ] {
        add("missing and extra fields", name, on, Input::Text(frame), one(err(id, 3)));
    }

    // --- Id 0 and huge Ids ---------------------------------------------------------------------------
    for (name, frame, on) in [
        ("Ping with Id 0", r#"[{"Ping":{"Id":0}}]"#.to_owned(), V(3)),
        ("v0 Ping with Id 0", r#"[{"Ping":{"Id":0}}]"#.to_owned(), V(0)),
        ("ScalarCmd with Id 0", scalar(0, "0", "0", "0.5", r#""Vibrate""#), V(3)),
        ("OutputCmd with Id 0", output(0, "0", "0", r#"{"Vibrate":{"Value":1}}"#), V(4)),
        ("StopCmd with Id 0", r#"[{"StopCmd":{"Id":0}}]"#.to_owned(), V(4)),
        ("Ping with Id 2^32", r#"[{"Ping":{"Id":4294967296}}]"#.to_owned(), V(3)),
        ("Ping with Id u64 max", r#"[{"Ping":{"Id":18446744073709551615}}]"#.to_owned(), V(3)),
        ("Ping with Id beyond u64", r#"[{"Ping":{"Id":18446744073709551616}}]"#.to_owned(), V(3)),
        ("Ping with Id 1e20", r#"[{"Ping":{"Id":1e20}}]"#.to_owned(), V(4)),
    ] {
        add("Id 0 and huge Ids", name, on, Input::Text(frame), one(err(0, 3)));
    }
    add("Id 0 and huge Ids", "Ping with Id u32 max", V(3), text(r#"[{"Ping":{"Id":4294967295}}]"#), one(ok(u32::MAX)));
    add(
        "Id 0 and huge Ids",
        "v4 Ping with Id u32 max",
        V(4),
        text(r#"[{"Ping":{"Id":4294967295}}]"#),
        one(ok(u32::MAX)),
    );
    add(
        "Id 0 and huge Ids",
        "the same Id twice",
        V(3),
        text(r#"[{"Ping":{"Id":50}},{"Ping":{"Id":50}}]"#),
        Replies(vec![ok(50), ok(50)]),
    );
    add(
        "Id 0 and huge Ids",
        "DeviceIndex u32 max",
        V(3),
        Input::Text(scalar(51, "4294967295", "0", "0.5", r#""Vibrate""#)),
        one(err(51, 4)),
    );
    add(
        "Id 0 and huge Ids",
        "DeviceIndex 2^32",
        V(3),
        Input::Text(scalar(52, "4294967296", "0", "0.5", r#""Vibrate""#)),
        one(err(52, 3)),
    );
    add(
        "Id 0 and huge Ids",
        "FeatureIndex u32 max",
        V(4),
        Input::Text(output(53, "0", "4294967295", r#"{"Vibrate":{"Value":1}}"#)),
        one(err(53, 4)),
    );
    add(
        "Id 0 and huge Ids",
        "Scalar Index u32 max",
        V(3),
        Input::Text(scalar(54, "0", "4294967295", "0.5", r#""Vibrate""#)),
        one(err(54, 4)),
    );
    add(
        "Id 0 and huge Ids",
        "Id 0 among good messages",
        V(3),
        text(r#"[{"Ping":{"Id":55}},{"Ping":{"Id":0}},{"Ping":{"Id":56}}]"#),
        Replies(vec![ok(55), err(0, 3), ok(56)]),
    );

    // --- Out-of-range values -------------------------------------------------------------------------
    for (name, value) in [
        ("Scalar negative", "-0.1"),
        ("Scalar above 1.0", "1.0000001"),
        ("Scalar 2", "2"),
        ("Scalar 1e308", "1e308"),
        ("Scalar -1e308", "-1e308"),
    ] {
        add(
            "out-of-range values",
            name,
            V(3),
            Input::Text(scalar(60, "0", "0", value, r#""Vibrate""#)),
            one(err(60, 3)),
        );
    }
    add(
        "out-of-range values",
        "Scalar -0.0 is zero",
        V(3),
        Input::Text(scalar(61, "0", "0", "-0.0", r#""Vibrate""#)),
        one(ok(61)),
    );
    add(
        "out-of-range values",
        "Scalar 1.0 exactly",
        V(3),
        Input::Text(scalar(62, "0", "0", "1.0", r#""Vibrate""#)),
        one(ok(62)),
    );
    add(
        "out-of-range values",
        "Scalar as tiny as f64 goes",
        V(3),
        Input::Text(scalar(63, "0", "0", "5e-324", r#""Vibrate""#)),
        one(ok(63)),
    );
    add(
        "out-of-range values",
        "empty Scalars",
        V(3),
        text(r#"[{"ScalarCmd":{"Id":64,"DeviceIndex":0,"Scalars":[]}}]"#),
        one(err(64, 3)),
    );
    add(
        "out-of-range values",
        "LinearCmd Position 1.5",
        V(3),
        text(r#"[{"LinearCmd":{"Id":65,"DeviceIndex":2,"Vectors":[{"Index":0,"Duration":100,"Position":1.5}]}}]"#),
        one(err(65, 3)),
    );
    add(
        "out-of-range values",
        "LinearCmd negative Duration",
        V(3),
        text(r#"[{"LinearCmd":{"Id":66,"DeviceIndex":2,"Vectors":[{"Index":0,"Duration":-1,"Position":0.5}]}}]"#),
        one(err(66, 3)),
    );
    add(
        "out-of-range values",
        "RotateCmd Speed 2",
        V(3),
        text(r#"[{"RotateCmd":{"Id":67,"DeviceIndex":1,"Rotations":[{"Index":0,"Speed":2,"Clockwise":true}]}}]"#),
        one(err(67, 3)),
    );
    add(
        "out-of-range values",
        "v1 VibrateCmd Speed -1",
        V(1),
        text(r#"[{"VibrateCmd":{"Id":68,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":-1}]}}]"#),
        one(err(68, 3)),
    );
    add(
        "out-of-range values",
        "v2 empty Speeds",
        V(2),
        text(r#"[{"VibrateCmd":{"Id":69,"DeviceIndex":0,"Speeds":[]}}]"#),
        one(err(69, 3)),
    );
    add(
        "out-of-range values",
        "v0 SingleMotorVibrateCmd Speed 1.5",
        V(0),
        text(r#"[{"SingleMotorVibrateCmd":{"Id":70,"DeviceIndex":0,"Speed":1.5}}]"#),
        one(err(70, 3)),
    );
    add(
        "out-of-range values",
        "v0 FleshlightLaunchFW12Cmd Position 100",
        V(0),
        text(r#"[{"FleshlightLaunchFW12Cmd":{"Id":71,"DeviceIndex":2,"Position":100,"Speed":50}}]"#),
        one(err(71, 3)),
    );
    add(
        "out-of-range values",
        "v0 VorzeA10CycloneCmd Speed 101",
        V(0),
        text(r#"[{"VorzeA10CycloneCmd":{"Id":72,"DeviceIndex":1,"Speed":101,"Clockwise":true}}]"#),
        one(err(72, 3)),
    );
    add(
        "out-of-range values",
        "v0 VorzeA10CycloneCmd Speed -1",
        V(0),
        text(r#"[{"VorzeA10CycloneCmd":{"Id":73,"DeviceIndex":1,"Speed":-1,"Clockwise":true}}]"#),
        one(err(73, 3)),
    );
    add(
        "out-of-range values",
        "v4 Vibrate above its steps",
        V(4),
        Input::Text(output(74, "0", "0", r#"{"Vibrate":{"Value":21}}"#)),
        one(err(74, 4)),
    );
    add(
        "out-of-range values",
        "v4 Vibrate negative",
        V(4),
        Input::Text(output(75, "0", "0", r#"{"Vibrate":{"Value":-1}}"#)),
        one(err(75, 4)),
    );
    add(
        "out-of-range values",
        "v4 Vibrate i32 min",
        V(4),
        Input::Text(output(76, "0", "0", r#"{"Vibrate":{"Value":-2147483648}}"#)),
        one(err(76, 4)),
    );
    add(
        "out-of-range values",
        "v4 Vibrate beyond i32",
        V(4),
        Input::Text(output(77, "0", "0", r#"{"Vibrate":{"Value":4294967296}}"#)),
        one(err(77, 3)),
    );
    add(
        "out-of-range values",
        "v4 Rotate below its range",
        V(4),
        Input::Text(output(78, "1", "0", r#"{"Rotate":{"Value":-21}}"#)),
        one(err(78, 4)),
    );
    add(
        "out-of-range values",
        "v4 position duration too long",
        V(4),
        Input::Text(output(79, "2", "0", r#"{"HwPositionWithDuration":{"Value":50,"Duration":4294967295}}"#)),
        one(err(79, 4)),
    );
    add(
        "out-of-range values",
        "v4 position beyond its range",
        V(4),
        Input::Text(output(80, "2", "0", r#"{"HwPositionWithDuration":{"Value":101,"Duration":100}}"#)),
        one(err(80, 4)),
    );
    add(
        "out-of-range values",
        "v4 position negative",
        V(4),
        Input::Text(output(81, "2", "0", r#"{"HwPositionWithDuration":{"Value":-1,"Duration":100}}"#)),
        one(err(81, 3)),
    );
    add(
        "out-of-range values",
        "v2 RawWriteCmd is refused",
        V(2),
        text(r#"[{"RawWriteCmd":{"Id":82,"DeviceIndex":0,"Endpoint":"tx","Data":[1],"WriteWithResponse":false}}]"#),
        one(err(82, 3)),
    );
    add(
        "out-of-range values",
        "v2 RawWriteCmd Data not bytes",
        V(2),
        text(r#"[{"RawWriteCmd":{"Id":83,"DeviceIndex":0,"Endpoint":"tx","Data":[256],"WriteWithResponse":false}}]"#),
        one(err(83, 3)),
    );

    // --- Unknown devices and features ------------------------------------------------------------------
    for (name, frame, id, on) in [
        ("ScalarCmd unknown device", scalar(90, "99", "0", "0.5", r#""Vibrate""#), 90, V(3)),
        ("ScalarCmd unknown feature", scalar(91, "0", "4", "0.5", r#""Vibrate""#), 91, V(3)),
        ("ScalarCmd wrong ActuatorType", scalar(92, "0", "0", "0.5", r#""Rotate""#), 92, V(3)),
        ("StopDeviceCmd unknown device", r#"[{"StopDeviceCmd":{"Id":93,"DeviceIndex":99}}]"#.to_owned(), 93, V(3)),
        (
            "SensorReadCmd on a device without sensors",
            r#"[{"SensorReadCmd":{"Id":94,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]"#.to_owned(),
            94,
            V(3),
        ),
        (
            "LinearCmd on a vibrator",
            r#"[{"LinearCmd":{"Id":95,"DeviceIndex":0,"Vectors":[{"Index":0,"Duration":100,"Position":0.5}]}}]"#
                .to_owned(),
            95,
            V(3),
        ),
        (
            "RotateCmd on a vibrator",
            r#"[{"RotateCmd":{"Id":96,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]"#
                .to_owned(),
            96,
            V(3),
        ),
        (
            "v2 BatteryLevelCmd unknown device",
            r#"[{"BatteryLevelCmd":{"Id":97,"DeviceIndex":99}}]"#.to_owned(),
            97,
            V(2),
        ),
        (
            "v2 BatteryLevelCmd on a device without battery",
            r#"[{"BatteryLevelCmd":{"Id":98,"DeviceIndex":0}}]"#.to_owned(),
            98,
            V(2),
        ),
        (
            "v1 VibrateCmd unknown feature",
            r#"[{"VibrateCmd":{"Id":99,"DeviceIndex":0,"Speeds":[{"Index":5,"Speed":0.5}]}}]"#.to_owned(),
            99,
            V(1),
        ),
        (
            "v0 SingleMotorVibrateCmd unknown device",
            r#"[{"SingleMotorVibrateCmd":{"Id":100,"DeviceIndex":99,"Speed":0.5}}]"#.to_owned(),
            100,
            V(0),
        ),
        (
            "v0 SingleMotorVibrateCmd on a rotator",
            r#"[{"SingleMotorVibrateCmd":{"Id":101,"DeviceIndex":1,"Speed":0.5}}]"#.to_owned(),
            101,
            V(0),
        ),
        ("OutputCmd unknown device", output(102, "99", "0", r#"{"Vibrate":{"Value":1}}"#), 102, V(4)),
        ("OutputCmd unknown feature", output(103, "0", "9", r#"{"Vibrate":{"Value":1}}"#), 103, V(4)),
        ("OutputCmd Rotate on a vibrator", output(104, "0", "0", r#"{"Rotate":{"Value":1}}"#), 104, V(4)),
        (
            "InputCmd on a device without battery",
            r#"[{"InputCmd":{"Id":105,"DeviceIndex":0,"FeatureIndex":0,"Type":"Battery","Command":"Read"}}]"#
                .to_owned(),
            105,
            V(4),
        ),
        (
            "InputCmd Subscribe where only Read is allowed",
            r#"[{"InputCmd":{"Id":106,"DeviceIndex":3,"FeatureIndex":2,"Type":"Battery","Command":"Subscribe"}}]"#
                .to_owned(),
            106,
            V(4),
        ),
        ("StopCmd unknown device", r#"[{"StopCmd":{"Id":107,"DeviceIndex":99}}]"#.to_owned(), 107, V(4)),
        (
            "StopCmd unknown feature",
            r#"[{"StopCmd":{"Id":108,"DeviceIndex":0,"FeatureIndex":9}}]"#.to_owned(),
            108,
            V(4),
        ),
    ] {
        add("unknown devices and features", name, on, Input::Text(frame), one(err(id, 4)));
    }
    add(
        "unknown devices and features",
        "StopCmd FeatureIndex without DeviceIndex",
        V(4),
        text(r#"[{"StopCmd":{"Id":109,"FeatureIndex":0}}]"#),
        one(err(109, 3)),
    );

    // --- Messages of another spec version, unknown names, server messages --------------------------------
    for (name, frame, id, on) in [
        ("v4 OutputCmd on a v3 session", output(110, "0", "0", r#"{"Vibrate":{"Value":1}}"#), 110, V(3)),
        ("v4 StopCmd on a v3 session", r#"[{"StopCmd":{"Id":111}}]"#.to_owned(), 111, V(3)),
        (
            "v4 InputCmd on a v3 session",
            r#"[{"InputCmd":{"Id":112,"DeviceIndex":3,"FeatureIndex":2,"Type":"Battery","Command":"Read"}}]"#
                .to_owned(),
            112,
            V(3),
        ),
        ("v4 Disconnect on a v3 session", r#"[{"Disconnect":{"Id":113}}]"#.to_owned(), 113, V(3)),
        ("v4 OutputCmd on a v0 session", output(114, "0", "0", r#"{"Vibrate":{"Value":1}}"#), 114, V(0)),
        ("v3 ScalarCmd on a v4 session", scalar(115, "0", "0", "0.5", r#""Vibrate""#), 115, V(4)),
        ("v3 StopDeviceCmd on a v4 session", r#"[{"StopDeviceCmd":{"Id":116,"DeviceIndex":0}}]"#.to_owned(), 116, V(4)),
        ("v3 StopAllDevices on a v4 session", r#"[{"StopAllDevices":{"Id":117}}]"#.to_owned(), 117, V(4)),
        (
            "v3 SensorReadCmd on a v4 session",
            r#"[{"SensorReadCmd":{"Id":118,"DeviceIndex":3,"SensorIndex":0,"SensorType":"Battery"}}]"#.to_owned(),
            118,
            V(4),
        ),
        (
            "v0 SingleMotorVibrateCmd on a v4 session",
            r#"[{"SingleMotorVibrateCmd":{"Id":119,"DeviceIndex":0,"Speed":0.5}}]"#.to_owned(),
            119,
            V(4),
        ),
        (
            "v0 FleshlightLaunchFW12Cmd on a v4 session",
            r#"[{"FleshlightLaunchFW12Cmd":{"Id":120,"DeviceIndex":2,"Position":50,"Speed":50}}]"#.to_owned(),
            120,
            V(4),
        ),
        (
            "v0 KiirooCmd on a v4 session",
            r#"[{"KiirooCmd":{"Id":121,"DeviceIndex":0,"Command":"1"}}]"#.to_owned(),
            121,
            V(4),
        ),
        ("v0 RequestLog on a v4 session", r#"[{"RequestLog":{"Id":122,"LogLevel":"Debug"}}]"#.to_owned(), 122, V(4)),
        (
            "v0 LovenseCmd on a v3 session",
            r#"[{"LovenseCmd":{"Id":123,"DeviceIndex":0,"Command":"Vibrate:20;"}}]"#.to_owned(),
            123,
            V(3),
        ),
        (
            "v0 SingleMotorVibrateCmd on a v3 session",
            r#"[{"SingleMotorVibrateCmd":{"Id":124,"DeviceIndex":0,"Speed":0.5}}]"#.to_owned(),
            124,
            V(3),
        ),
        ("v1 Test on a v3 session", r#"[{"Test":{"Id":125,"TestString":"x"}}]"#.to_owned(), 125, V(3)),
        (
            "v2 BatteryLevelCmd on a v3 session",
            r#"[{"BatteryLevelCmd":{"Id":126,"DeviceIndex":3}}]"#.to_owned(),
            126,
            V(3),
        ),
        ("v3 ScalarCmd on a v2 session", scalar(127, "0", "0", "0.5", r#""Vibrate""#), 127, V(2)),
        ("v3 ScalarCmd on a v0 session", scalar(128, "0", "0", "0.5", r#""Vibrate""#), 128, V(0)),
        (
            "v1 VibrateCmd on a v0 session",
            r#"[{"VibrateCmd":{"Id":129,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#.to_owned(),
            129,
            V(0),
        ),
        ("unknown message", r#"[{"Frobnicate":{"Id":130}}]"#.to_owned(), 130, V(3)),
        ("message name in lower case", r#"[{"ping":{"Id":131}}]"#.to_owned(), 131, V(3)),
        ("empty message name", r#"[{"":{"Id":132}}]"#.to_owned(), 132, V(3)),
        ("message name of 10,000 characters", format!(r#"[{{"{}":{{"Id":133}}}}]"#, "P".repeat(10_000)), 133, V(3)),
        ("a server's Ok sent by the client", r#"[{"Ok":{"Id":134}}]"#.to_owned(), 134, V(3)),
        (
            "a server's Error sent by the client",
            r#"[{"Error":{"Id":135,"ErrorCode":3,"ErrorMessage":"x"}}]"#.to_owned(),
            135,
            V(4),
        ),
        (
            "a server's DeviceList sent by the client",
            r#"[{"DeviceList":{"Id":136,"Devices":[]}}]"#.to_owned(),
            136,
            V(3),
        ),
        (
            "a server's ServerInfo sent by the client",
            r#"[{"ServerInfo":{"Id":137,"ServerName":"x","MessageVersion":3,"MaxPingTime":0}}]"#.to_owned(),
            137,
            V(3),
        ),
    ] {
        add("another spec version, unknown names", name, on, Input::Text(frame), one(err(id, 3)));
    }
    add(
        "another spec version, unknown names",
        "v1 Test asking for an error",
        V(1),
        text(r#"[{"Test":{"Id":138,"TestString":"Error"}}]"#),
        one(err(138, 3)),
    );

    // --- The handshake -----------------------------------------------------------------------------------
    add("handshake", "Ping before the handshake", Fresh, text(r#"[{"Ping":{"Id":140}}]"#), one(err(140, 1)));
    add(
        "handshake",
        "RequestDeviceList before the handshake",
        Fresh,
        text(r#"[{"RequestDeviceList":{"Id":141}}]"#),
        one(err(141, 1)),
    );
    add(
        "handshake",
        "OutputCmd before the handshake",
        Fresh,
        Input::Text(output(142, "0", "0", r#"{"Vibrate":{"Value":1}}"#)),
        one(err(142, 1)),
    );
    add("handshake", "garbage before the handshake", Fresh, text("hello?"), one(err(0, 3)));
    add("handshake", "binary frame before the handshake", Fresh, Input::Binary(b"[]".to_vec()), one(err(0, 3)));
    add(
        "handshake",
        "RequestServerInfo with Id 0",
        Fresh,
        text(r#"[{"RequestServerInfo":{"Id":0,"ClientName":"c","MessageVersion":3}}]"#),
        one(err(0, 3)),
    );
    add(
        "handshake",
        "RequestServerInfo without ClientName",
        Fresh,
        text(r#"[{"RequestServerInfo":{"Id":143,"MessageVersion":3}}]"#),
        one(err(143, 3)),
    );
    add(
        "handshake",
        "RequestServerInfo ClientName a number",
        Fresh,
        text(r#"[{"RequestServerInfo":{"Id":144,"ClientName":7,"MessageVersion":3}}]"#),
        one(err(144, 3)),
    );
    add(
        "handshake",
        "RequestServerInfo MessageVersion a string",
        Fresh,
        text(r#"[{"RequestServerInfo":{"Id":145,"ClientName":"c","MessageVersion":"3"}}]"#),
        one(err(145, 3)),
    );
    add(
        "handshake",
        "RequestServerInfo MessageVersion negative",
        Fresh,
        text(r#"[{"RequestServerInfo":{"Id":146,"ClientName":"c","MessageVersion":-1}}]"#),
        one(err(146, 3)),
    );
    add(
        "handshake",
        "RequestServerInfo v4 without the minor version",
        Fresh,
        text(r#"[{"RequestServerInfo":{"Id":147,"ClientName":"c","ProtocolVersionMajor":4}}]"#),
        one(err(147, 3)),
    );
    add(
        "handshake",
        "second RequestServerInfo in the same frame",
        Fresh,
        text(
            r#"[{"RequestServerInfo":{"Id":148,"ClientName":"c","MessageVersion":3}},{"RequestServerInfo":{"Id":149,"ClientName":"c","MessageVersion":3}}]"#,
        ),
        Replies(vec![Reply::Named("ServerInfo", 148), err(149, 1)]),
    );
    add(
        "handshake",
        "duplicate handshake on v3",
        V(3),
        text(r#"[{"RequestServerInfo":{"Id":150,"ClientName":"again","MessageVersion":3}}]"#),
        one(err(150, 1)),
    );
    add(
        "handshake",
        "duplicate handshake on v4",
        V(4),
        text(
            r#"[{"RequestServerInfo":{"Id":151,"ClientName":"again","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
        ),
        one(err(151, 1)),
    );
    add(
        "handshake",
        "duplicate handshake on v0",
        V(0),
        text(r#"[{"RequestServerInfo":{"Id":152,"ClientName":"again"}}]"#),
        one(err(152, 1)),
    );
    add(
        "handshake",
        "v1 handshake shape on a v4 session",
        V(4),
        text(r#"[{"RequestServerInfo":{"Id":153,"ClientName":"again","MessageVersion":1}}]"#),
        one(err(153, 3)),
    );
    add(
        "handshake",
        "a newer spec version than the server's",
        Fresh,
        text(
            r#"[{"RequestServerInfo":{"Id":154,"ClientName":"c","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#,
        ),
        Closes(vec![err(154, 1)], 1000),
    );

    // --- Binary frames, websocket control frames ---------------------------------------------------------
    add("binary and websocket frames", "binary frame", V(3), Input::Binary(vec![1, 2, 3]), one(err(0, 3)));
    add(
        "binary and websocket frames",
        "binary frame holding JSON",
        V(4),
        Input::Binary(br#"[{"Ping":{"Id":160}}]"#.to_vec()),
        one(err(0, 3)),
    );
    add("binary and websocket frames", "empty binary frame", V(3), Input::Binary(Vec::new()), one(err(0, 3)));
    add(
        "binary and websocket frames",
        "websocket ping",
        V(3),
        Input::Wire(ws_frame(0x89, b"are you there", true)),
        Replies(vec![]),
    );
    add(
        "binary and websocket frames",
        "unsolicited websocket pong",
        V(3),
        Input::Wire(ws_frame(0x8A, b"", true)),
        Replies(vec![]),
    );
    add(
        "binary and websocket frames",
        "a message in three fragments",
        V(3),
        Input::Wire(
            [
                ws_frame(0x01, br#"[{"Pi"#, true),
                ws_frame(0x00, br#"ng":{"Id""#, true),
                ws_frame(0x80, br#":161}}]"#, true),
            ]
            .concat(),
        ),
        one(ok(161)),
    );
    add(
        "binary and websocket frames",
        "a websocket ping between fragments",
        V(3),
        Input::Wire(
            [
                ws_frame(0x01, br#"[{"Ping":"#, true),
                ws_frame(0x89, b"", true),
                ws_frame(0x80, br#"{"Id":162}}]"#, true),
            ]
            .concat(),
        ),
        one(ok(162)),
    );
    let bad_utf8 = |bytes: &[u8]| [br#"[{"Ping":{"Id":1,"X":""#.as_slice(), bytes, br#""}}]"#.as_slice()].concat();
    add(
        "binary and websocket frames",
        "invalid UTF-8 (a lone continuation byte)",
        FreshV3,
        Input::Wire(ws_frame(0x81, &bad_utf8(&[0x80]), true)),
        Closes(vec![err(0, 3)], 1007),
    );
    add(
        "binary and websocket frames",
        "invalid UTF-8 (overlong encoding)",
        FreshV3,
        Input::Wire(ws_frame(0x81, &bad_utf8(&[0xC0, 0xAF]), true)),
        Closes(vec![err(0, 3)], 1007),
    );
    add(
        "binary and websocket frames",
        "invalid UTF-8 (an encoded surrogate)",
        FreshV3,
        Input::Wire(ws_frame(0x81, &bad_utf8(&[0xED, 0xA0, 0x80]), true)),
        Closes(vec![err(0, 3)], 1007),
    );
    add(
        "binary and websocket frames",
        "invalid UTF-8 (0xFF)",
        Fresh,
        Input::Wire(ws_frame(0x81, &[0xFF], true)),
        Closes(vec![err(0, 3)], 1007),
    );
    add(
        "binary and websocket frames",
        "invalid UTF-8 across fragments",
        FreshV3,
        Input::Wire([ws_frame(0x01, &[b'[', 0xE2, 0x82], true), ws_frame(0x80, b"x]", true)].concat()),
        Closes(vec![err(0, 3)], 1007),
    );
    add(
        "binary and websocket frames",
        "unmasked frame from the client",
        FreshV3,
        Input::Wire(ws_frame(0x81, br#"[{"Ping":{"Id":2}}]"#, false)),
        Closes(vec![err(0, 3)], 1002),
    );
    add(
        "binary and websocket frames",
        "reserved bits set",
        FreshV3,
        Input::Wire(ws_frame(0xC1, br#"[{"Ping":{"Id":2}}]"#, true)),
        Closes(vec![err(0, 3)], 1002),
    );
    add(
        "binary and websocket frames",
        "reserved opcode",
        FreshV3,
        Input::Wire(ws_frame(0x83, b"x", true)),
        Closes(vec![err(0, 3)], 1002),
    );
    add(
        "binary and websocket frames",
        "continuation without a start",
        FreshV3,
        Input::Wire(ws_frame(0x80, b"x", true)),
        Closes(vec![err(0, 3)], 1002),
    );
    add(
        "binary and websocket frames",
        "fragmented websocket ping",
        FreshV3,
        Input::Wire(ws_frame(0x09, b"x", true)),
        Closes(vec![err(0, 3)], 1002),
    );
    add(
        "binary and websocket frames",
        "close frame with a forbidden code",
        FreshV3,
        Input::Wire(ws_frame(0x88, &999u16.to_be_bytes(), true)),
        Closes(vec![], 1002),
    );

    // --- Size and count ------------------------------------------------------------------------------------
    let pings = |count: u32, first: u32| {
        let list: Vec<String> = (first..first + count).map(|id| format!(r#"{{"Ping":{{"Id":{id}}}}}"#)).collect();
        format!("[{}]", list.join(","))
    };
    add("size and count", "10,000 messages in one frame", V(3), Input::Text(pings(10_000, 1)), one(err(0, 3)));
    add("size and count", "257 messages in one frame", V(4), Input::Text(pings(257, 1)), one(err(0, 3)));
    add(
        "size and count",
        "256 messages in one frame",
        V(3),
        Input::Text(pings(256, 1000)),
        Replies((1000..1256).map(ok).collect()),
    );
    add(
        "size and count",
        "300 arrays in one frame",
        V(3),
        Input::Text("[{\"Ping\":{\"Id\":1}}]".repeat(300)),
        one(err(0, 3)),
    );
    add("size and count", "300 empty arrays in one frame", V(3), Input::Text("[]".repeat(300)), one(err(0, 3)));
    add("size and count", "300 numbers in one frame", V(3), Input::Text("1 ".repeat(300)), one(err(0, 3)));
    let padded_ping = |size: usize, id: u32| {
        let ping = format!(r#"[{{"Ping":{{"Id":{id}}}}}]"#);
        format!("{ping}{}", " ".repeat(size - ping.len()))
    };
    add("size and count", "a frame of exactly 1 MiB", V(3), Input::Text(padded_ping(1 << 20, 170)), one(ok(170)));
    add(
        "size and count",
        "a frame of 1 MiB and 1 byte",
        FreshV3,
        Input::Text(padded_ping((1 << 20) + 1, 171)),
        Closes(vec![err(0, 3)], 1009),
    );
    add(
        "size and count",
        "a 10 MB frame",
        FreshV3,
        Input::Text(padded_ping(10_000_000, 172)),
        Closes(vec![err(0, 3)], 1009),
    );
    add(
        "size and count",
        "a 10 MB binary frame",
        FreshV3,
        Input::Binary(vec![b'['; 10_000_000]),
        Closes(vec![err(0, 3)], 1009),
    );
    add(
        "size and count",
        "a 10 MB frame before the handshake",
        Fresh,
        Input::Text("x".repeat(10_000_000)),
        Closes(vec![err(0, 3)], 1009),
    );
    let fragments: Vec<u8> =
        (0..20).flat_map(|i| ws_frame(if i == 0 { 0x01 } else { 0x00 }, &[b' '; 100_000], true)).collect();
    add("size and count", "2 MB in 20 small fragments", FreshV3, Input::Wire(fragments), Closes(vec![err(0, 3)], 1009));
    let mut header_only = vec![0x81, 0x80 | 127];
    header_only.extend(u64::MAX.to_be_bytes());
    header_only.extend([0, 0, 0, 0]);
    add(
        "size and count",
        "a frame header claiming 2^64 bytes",
        FreshV3,
        Input::Wire(header_only),
        Closes(vec![err(0, 3)], 1009),
    );
    add(
        "size and count",
        "a ClientName of 500 kB in a duplicate handshake",
        V(3),
        Input::Text(format!(
            r#"[{{"RequestServerInfo":{{"Id":173,"ClientName":"{}","MessageVersion":3}}}}]"#,
            "n".repeat(500_000)
        )),
        one(err(173, 1)),
    );

    // --- Other oddities ------------------------------------------------------------------------------------
    add(
        "other",
        "duplicate keys in a body: the last wins",
        V(3),
        text(r#"[{"Ping":{"Id":180,"Id":181}}]"#),
        one(ok(181)),
    );
    add("other", "escaped message name", V(3), text(r#"[{"\u0050ing":{"Id":182}}]"#), one(ok(182)));
    add("other", "NUL in a message name", V(3), text(r#"[{"Ping\u0000":{"Id":183}}]"#), one(err(183, 3)));
    add(
        "other",
        "whitespace around everything",
        V(3),
        text(" \n [ { \"Ping\" : { \"Id\" : 184 } } ] \n "),
        one(ok(184)),
    );
    add("other", "StopAllDevices with nothing running", V(3), text(r#"[{"StopAllDevices":{"Id":185}}]"#), one(ok(185)));
    add(
        "other",
        "StopCmd on a feature that exists",
        V(4),
        text(r#"[{"StopCmd":{"Id":186,"DeviceIndex":0,"FeatureIndex":0}}]"#),
        one(ok(186)),
    );
    add(
        "other",
        "RequestDeviceList twice in a frame",
        V(4),
        text(r#"[{"RequestDeviceList":{"Id":187}},{"RequestDeviceList":{"Id":188}}]"#),
        Replies(vec![Reply::Named("DeviceList", 187), Reply::Named("DeviceList", 188)]),
    );
    add(
        "other",
        "emoji in a Test string",
        V(1),
        text(r#"[{"Test":{"Id":189,"TestString":"🍑\u00e9"}}]"#),
        one(Reply::Named("Test", 189)),
    );
    cases
}

/// Reads one message (the one element of its frame), skipping websocket control frames.
async fn next_message(raw: &mut Raw, what: &str) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, raw.socket.next())
            .await
            .unwrap_or_else(|_| panic!("{what}: no reply in time"))
            .unwrap_or_else(|| panic!("{what}: the connection ended"))
            .unwrap_or_else(|error| panic!("{what}: {error}"));
        match message {
            Message::Text(text) => {
                let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
                let array = frame.as_array().expect("an array");
                assert_eq!(array.len(), 1, "{what}: one message per frame: {frame}");
                return array[0].clone();
            }
            Message::Close(frame) => panic!("{what}: closed ({frame:?}) where a reply was expected"),
            _ => continue,
        }
    }
}

fn check_reply(message: &Value, expected: Reply, what: &str) {
    let (name, id) = match expected {
        Reply::Error { id, .. } => ("Error", id),
        Reply::Ok(id) => ("Ok", id),
        Reply::Named(name, id) => (name, id),
    };
    let body = message.get(name).unwrap_or_else(|| panic!("{what}: wanted {expected:?}, got {message}"));
    assert_eq!(body["Id"].as_u64(), Some(u64::from(id)), "{what}: wanted {expected:?}, got {message}");
    if let Reply::Error { code, .. } = expected {
        assert_eq!(body["ErrorCode"].as_u64(), Some(code), "{what}: wanted {expected:?}, got {message}");
        let text = body["ErrorMessage"].as_str().unwrap_or_default();
        assert!(text.len() > 20, "{what}: the error says what happened: {message}");
    }
}

async fn send_input(raw: &mut Raw, input: &Input) {
    // Sending may fail for the cases the server refuses mid-frame: what matters is the reply.
    let _ = match input {
        Input::Text(text) => raw.socket.send(Message::text(text.as_str())).await,
        Input::Binary(bytes) => raw.socket.send(Message::binary(bytes.clone())).await,
        Input::Wire(bytes) => {
            let MaybeTlsStream::Plain(tcp) = raw.socket.get_mut() else { unreachable!("plain websocket") };
            let _ = tcp.write_all(bytes).await;
            Ok(())
        }
    };
}

/// Reads until the server's Close frame; returns the messages before it and the close code.
async fn read_until_close(raw: &mut Raw, what: &str) -> (Vec<Value>, Option<u16>) {
    let mut messages = Vec::new();
    loop {
        let next = tokio::time::timeout(WAIT, raw.socket.next())
            .await
            .unwrap_or_else(|_| panic!("{what}: not closed in time"));
        match next {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
                messages.extend(frame.as_array().expect("an array").iter().cloned());
            }
            Some(Ok(Message::Close(frame))) => return (messages, frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (messages, None),
        }
    }
}

async fn handshake(raw: &mut Raw, version: u8, name: &str) {
    let request = match version {
        0 => format!(r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}"}}}}]"#),
        4 => format!(
            r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}}}]"#
        ),
        v => format!(r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","MessageVersion":{v}}}}}]"#),
    };
    let info = raw.ask(&request).await;
    assert!(info.get("ServerInfo").is_some(), "v{version} handshake: {info}");
}

/// Proves a session still works: a Ping with a fresh Id is answered with Ok.
async fn still_works(raw: &mut Raw, id: u32, what: &str) {
    raw.send(&format!(r#"[{{"Ping":{{"Id":{id}}}}}]"#)).await;
    let reply = next_message(raw, what).await;
    check_reply(&reply, ok(id), &format!("{what}: the session goes on"));
}

/// The bystander sets its device to a new level and gets Ok: it was not disturbed.
struct Bystander {
    raw: Raw,
    next_id: u32,
}

impl Bystander {
    async fn check(&mut self, engine: &Engine, after: &str) {
        self.next_id += 1;
        let level = self.next_id % 20 + 1;
        let command = format!(
            r#"[{{"ScalarCmd":{{"Id":{},"DeviceIndex":{BYSTANDER_DEVICE},"Scalars":[{{"Index":0,"Scalar":{},"ActuatorType":"Vibrate"}}]}}}}]"#,
            self.next_id,
            f64::from(level) / 20.0
        );
        self.raw.send(&command).await;
        let what = format!("the bystander after {after}");
        let reply = next_message(&mut self.raw, &what).await;
        check_reply(&reply, ok(self.next_id), &what);
        plugboard_e2e::wait_for_level(engine, BYSTANDER_DEVICE, 0, OutputType::Vibrate, level as i32).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_matrix() {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices = DEVICES.iter().map(|kind| VirtualDeviceSpec::new(*kind)).collect();
    // The matrix sends hundreds of messages in a few seconds and leaves sessions idle while
    // others are tested: the rate limit and keepalive have their own tests (raw_limits.rs).
    config.limits.max_messages_per_second = 0;
    config.limits.websocket_ping_interval = Duration::ZERO;
    let engine = Engine::start(config).await.expect("engine starts");

    let mut bystander = Bystander { raw: Raw::connect(&engine).await, next_id: 1 };
    handshake(&mut bystander.raw, 3, "bystander").await;
    let mut sessions = Vec::new();
    for version in 0..=4u8 {
        let mut raw = Raw::connect(&engine).await;
        handshake(&mut raw, version, &format!("matrix v{version}")).await;
        sessions.push(raw);
    }

    let cases = cases();
    let mut categories: Vec<(&str, usize)> = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let what = format!("case {index} ({}: {})", case.category, case.name);
        match categories.iter_mut().find(|(name, _)| *name == case.category) {
            Some((_, count)) => *count += 1,
            None => categories.push((case.category, 1)),
        }
        let proof_id = 1_000_000 + index as u32;
        let mut fresh;
        let raw = match case.on {
            On::V(version) => &mut sessions[usize::from(version)],
            On::Fresh | On::FreshV3 => {
                fresh = Raw::connect(&engine).await;
                if case.on == On::FreshV3 {
                    handshake(&mut fresh, 3, "fresh").await;
                }
                &mut fresh
            }
        };
        send_input(raw, &case.input).await;
        match &case.expect {
            Expect::Replies(replies) => {
                for expected in replies {
                    let message = next_message(raw, &what).await;
                    check_reply(&message, *expected, &what);
                }
                // A new connection proves itself by handshaking now (unless the case did).
                if case.on == On::Fresh && !replies.iter().any(|r| matches!(r, Reply::Named("ServerInfo", _))) {
                    handshake(raw, 3, "late").await;
                }
                still_works(raw, proof_id, &what).await;
            }
            Expect::Closes(replies, code) => {
                let (messages, close) = read_until_close(raw, &what).await;
                assert_eq!(messages.len(), replies.len(), "{what}: {messages:?}");
                for (message, expected) in messages.iter().zip(replies) {
                    check_reply(message, *expected, &what);
                }
                assert_eq!(close, Some(*code), "{what}: close code");
                bystander.check(&engine, &what).await;
            }
        }
        if index % 10 == 9 {
            bystander.check(&engine, &what).await;
        }
    }

    // Every session of the matrix still works, and no connection is left behind.
    for (version, raw) in sessions.iter_mut().enumerate() {
        still_works(raw, 2_000_000 + version as u32, &format!("the v{version} session at the end")).await;
    }
    bystander.check(&engine, "the whole matrix").await;
    plugboard_e2e::wait_for_clients(&engine, 6).await;
    let summary: Vec<String> = categories.iter().map(|(name, count)| format!("{name}: {count}")).collect();
    println!("{} cases: {}", cases.len(), summary.join(", "));
    assert!(cases.len() >= 100, "{} cases", cases.len());
}
