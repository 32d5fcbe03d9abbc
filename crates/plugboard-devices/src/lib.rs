//! Device layer: device-config, protocol encoders, transports and the device manager.
//!
//! This crate is filled in by the device work (issue 4); for now it only re-exports the
//! canonical model it will build on, so the dependency direction
//! protocol <- devices <- server is in place from the start.

pub use plugboard_protocol::model;
