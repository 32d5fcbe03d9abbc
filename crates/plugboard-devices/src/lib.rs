//! The device layer: which devices exist, what they are doing, and who asked for it.
//!
//! - [`manager`]: the [`DeviceManager`] holds every connected device, applies output commands
//!   from clients, records the owner of every output, and announces changes as events.
//! - [`virtual_device`]: in-process devices so a user with no toy (or a test) can drive a game;
//!   they run on the `virtual` transport and protocol, through the same device task as hardware.
//! - [`hardware`]: the seam every transport implements ([`hardware::Hardware`]): endpoints,
//!   writes, notifications.
//! - [`protocols`]: protocol families by device-config name: pure encoders, plus identify,
//!   initialize and battery against a `Hardware`.
//! - `testing` (this crate's tests, or the `testing` feature): a scriptable fake `Hardware`.
//!
//! Real transports (BLE, serial, device-websocket) and protocol encoders plug in behind the
//! same manager (issue 4).

#[cfg(test)]
mod answering_tests;
pub mod config;
pub mod device_inputs;
mod device_settings;
pub mod device_task;
#[cfg(any(test, feature = "testing"))]
pub mod fake_bluez;
pub mod hardware;
mod hardware_state;
pub mod manager;
mod pipeline;
pub mod protocols;
#[cfg(test)]
mod stop_tests;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod timing_tests;
pub mod transport;
pub mod virtual_device;

pub use manager::{DeviceEvent, DeviceManager, DeviceSnapshot, InputEvent, OutputLevel};
pub use plugboard_protocol::model;

/// Identifies a connected client (or a front end) as the owner of outputs.
pub type ClientId = u64;
