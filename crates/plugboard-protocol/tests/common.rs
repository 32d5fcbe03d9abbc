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
