//! Conversion between the spec versions and the canonical model.
//!
//! - [`incoming`]: a decoded client message to a canonical [`Request`], checked against the
//!   device it addresses (legacy floats to steps, legacy indexes to features).
//! - [`outgoing`]: canonical devices to each version's DeviceList / DeviceAdded /
//!   DeviceRemoved, and readings to InputReading / SensorReading / BatteryLevelReading.
//! - [`legacy_view`]: the attribute lists spec v0–v3 index into, shared by both directions.
//! - [`steps`]: the float-to-step formulas and the Fleshlight and Vorze legacy maths.

pub mod incoming;
pub mod legacy_view;
pub mod outgoing;
pub mod steps;

pub use incoming::{to_request, DeviceLookup, InputRequest, LegacyState, ReadingReply, Request};
pub use outgoing::{device_added, device_list, device_removed, device_v4, reading_message};
