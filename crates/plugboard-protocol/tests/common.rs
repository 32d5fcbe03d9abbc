//! Helpers shared by the test modules.
#![allow(dead_code)]

use plugboard_protocol::frame::{decode_client_frame, decode_server_frame, encode_message};
use plugboard_protocol::messages::{ClientMessage, ServerMessage};
use plugboard_protocol::SpecVersion;
use serde_json::Value;

/// Parses JSON text for comparisons by value (key order never matters).
pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("test vector is not JSON: {e}: {text}"))
}

/// Decodes a frame holding exactly one client message, panicking with the error otherwise.
pub fn decode_one_client(text: &str, version: SpecVersion) -> ClientMessage {
    let mut all = decode_client_frame(text, version);
    assert_eq!(all.len(), 1, "expected one message in {text}");
    all.remove(0).unwrap_or_else(|e| panic!("{text} did not decode for {version}: {e}"))
}

/// Decodes a frame holding exactly one server message.
pub fn decode_one_server(text: &str, version: SpecVersion) -> ServerMessage {
    let mut all = decode_server_frame(text, version);
    assert_eq!(all.len(), 1, "expected one message in {text}");
    all.remove(0).unwrap_or_else(|e| panic!("{text} did not decode for {version}: {e}"))
}

/// Asserts that a message encodes to exactly the JSON of `expected` (compared as values).
pub fn assert_encodes_to<M: serde::Serialize>(message: &M, expected: &str) {
    assert_eq!(json(&encode_message(message)), json(expected));
}

use plugboard_protocol::model::*;

pub fn output(kind: OutputType, min: i32, max: i32) -> Output {
    Output::new(kind, Range::new(min, max))
}

pub fn feature(index: u32, description: &str, outputs: Vec<Output>, inputs: Vec<Input>) -> Feature {
    Feature { index, description: description.into(), outputs, inputs }
}

pub fn battery() -> Input {
    Input { kind: InputType::Battery, ranges: vec![Range::new(0, 100)], commands: vec![InputCommand::Read] }
}

pub fn device(index: u32, name: &str, features: Vec<Feature>) -> DeviceInfo {
    DeviceInfo { index, name: name.into(), display_name: None, message_gap_ms: 100, features }
}

/// The simulated devices of the reference harness (two vibrate motors, a rotator, a stroker).
pub fn two_motor_vibrator(index: u32) -> DeviceInfo {
    device(
        index,
        "Simulated 2-Motor Vibrator",
        vec![
            feature(0, "Vibrator 1", vec![output(OutputType::Vibrate, 0, 20)], vec![]),
            feature(1, "Vibrator 2", vec![output(OutputType::Vibrate, 0, 20)], vec![]),
        ],
    )
}

pub fn rotator(index: u32) -> DeviceInfo {
    device(
        index,
        "Simulated Rotator",
        vec![feature(0, "Rotation Motor", vec![output(OutputType::Rotate, -100, 100)], vec![])],
    )
}

pub fn stroker(index: u32) -> DeviceInfo {
    let mut with_duration = output(OutputType::HwPositionWithDuration, 0, 1000);
    with_duration.duration = Some(Range::new(0, 100_000));
    device(
        index,
        "Simulated Stroker",
        vec![feature(0, "Linear Axis", vec![output(OutputType::Position, 0, 1000), with_duration], vec![])],
    )
}

pub fn oscillator(index: u32) -> DeviceInfo {
    device(
        index,
        "Simulated Oscillator",
        vec![feature(0, "Oscillator", vec![output(OutputType::Oscillate, 0, 100)], vec![])],
    )
}

pub fn lovense_max(index: u32) -> DeviceInfo {
    device(
        index,
        "Simulated Lovense Max",
        vec![
            feature(0, "Vibrator", vec![output(OutputType::Vibrate, 0, 20)], vec![]),
            feature(1, "Air Pump", vec![output(OutputType::Constrict, 0, 3)], vec![]),
            feature(2, "Battery Level", vec![], vec![battery()]),
            feature(3, "Unidirectional rotator", vec![output(OutputType::Rotate, 0, 20)], vec![]),
        ],
    )
}
