//! Errors that go on the wire as a Buttplug `Error` message (docs/architecture.md, Spec versions and conversion).
//!
//! The official clients map the *code* to their error classes (code 1 becomes a handshake
//! error, and so on) and show the text to people, so the text is a plain sentence that says
//! what happened and what to do.

use std::borrow::Cow;
use std::fmt;

/// The five Buttplug error classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Something went wrong that fits no other class.
    Unknown = 0,
    /// Handshake problems: no RequestServerInfo yet, a second one, an unsupported version.
    Init = 1,
    /// The client did not ping in time.
    Ping = 2,
    /// The message itself is malformed, unknown, or not part of the negotiated version.
    Message = 3,
    /// The message is fine but the device cannot do it (no such device, feature, range...).
    Device = 4,
}

impl ErrorCode {
    pub fn from_number(number: u8) -> Option<ErrorCode> {
        Some(match number {
            0 => ErrorCode::Unknown,
            1 => ErrorCode::Init,
            2 => ErrorCode::Ping,
            3 => ErrorCode::Message,
            4 => ErrorCode::Device,
            _ => return None,
        })
    }

    pub fn number(self) -> u8 {
        self as u8
    }
}

/// A protocol error: a class and a sentence for people. Renders as an `Error` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    text: Cow<'static, str>,
}

impl Error {
    pub fn new(code: ErrorCode, text: impl Into<Cow<'static, str>>) -> Error {
        Error { code, text: text.into() }
    }
    pub fn unknown(text: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorCode::Unknown, text)
    }
    pub fn handshake(text: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorCode::Init, text)
    }
    pub fn ping(text: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorCode::Ping, text)
    }
    pub fn message(text: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorCode::Message, text)
    }
    pub fn device(text: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorCode::Device, text)
    }

    /// Sent for any message that arrives before RequestServerInfo.
    pub fn handshake_expected() -> Error {
        Error::handshake("Send RequestServerInfo first: no other message is accepted before the handshake.")
    }
    /// Sent for a second RequestServerInfo on one connection.
    pub fn handshake_already_happened() -> Error {
        Error::handshake(
            "The handshake already happened on this connection. To start over, disconnect and connect again.",
        )
    }
    /// Sent when the client stopped pinging in time.
    pub fn pinged_out() -> Error {
        Error::ping(
            "The client did not send Ping within MaxPingTime, so the server stopped its devices \
             and is closing the connection.",
        )
    }
    pub fn device_not_available(device_index: u32) -> Error {
        Error::device(format!(
            "Device {device_index} is not connected. Ask for the device list again (RequestDeviceList) \
             and use an index from it."
        ))
    }
    pub fn feature_index(device_index: u32, count: usize, index: u32) -> Error {
        Error::device(format!(
            "Device {device_index} has {count} feature(s) of that kind; index {index} is out of range."
        ))
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Error {}

/// Why a frame or a message in it could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    #[error("The frame is not valid JSON: {0}.")]
    InvalidJson(String),
    #[error("A frame must be a JSON array of messages, like [{{\"Ping\":{{\"Id\":1}}}}].")]
    NotAnArray,
    #[error("The frame is an empty array; send at least one message.")]
    EmptyArray,
    #[error("Each message must be an object with exactly one key, the message name, like {{\"Ping\":{{\"Id\":1}}}}.")]
    NotASingleKeyObject,
    #[error("'{0}' is not a Buttplug message.")]
    UnknownMessage(String),
    #[error("{name} is not part of Buttplug spec {version}, which this connection negotiated.")]
    NotInVersion { name: String, version: crate::SpecVersion },
    #[error("{name} has invalid fields: {detail}.")]
    InvalidFields { name: String, detail: String },
    #[error("{0} uses Id 0, which is reserved for messages from the server; use an Id from 1 up.")]
    ZeroId(String),
    #[error("{name}: {detail}")]
    OutOfRange { name: String, detail: String },
    #[error("Binary frames are not part of the Buttplug protocol; send JSON as a text frame.")]
    BinaryFrame,
}

/// A message that could not be decoded, with the Id to answer it with (0 when none could be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct DecodeError {
    pub id: u32,
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    pub fn new(id: u32, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { id, kind }
    }

    /// The error to send back: always code 3 (a message problem).
    pub fn to_error(&self) -> Error {
        Error::message(self.kind.to_string())
    }
}
