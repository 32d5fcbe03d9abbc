//! The Buttplug wire protocol, spec v0 to v4, and Plugboard's canonical device model.
//!
//! Pure: no async runtime, no I/O. The layers, from the wire inwards:
//!
//! - [`frame`]: a websocket text frame to [`frame::RawMessage`]s, each decoded for the
//!   session's [`SpecVersion`] into a [`messages::ClientMessage`]; server messages encoded
//!   back into frames.
//! - [`messages`]: every message of every version, with the exact wire names and shapes.
//! - [`version`]: which version a RequestServerInfo asks for, and the ServerInfo answer.
//! - [`model`]: the canonical device model (devices, features, outputs, inputs, commands).
//! - [`convert`]: legacy commands to canonical commands, canonical devices and readings to
//!   each version's messages.
//! - [`error`]: the five error codes and the one error type that renders as `Error`.

pub mod convert;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod messages;
pub mod model;
pub mod version;

pub use error::{DecodeError, DecodeErrorKind, Error, ErrorCode};
pub use version::SpecVersion;
