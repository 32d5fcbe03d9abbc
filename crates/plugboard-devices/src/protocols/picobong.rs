//! Picobong (devices.md §3 row "picobong"): Blow hole, Diver, Life guard, Surfer (and their
//! `Picobong ...` names); svc 0xFFF0, `tx` 0xFFF1, written without response; no init.
//!
//! | level | packet |
//! |---|---|
//! | 0 (stop) | `01 ff 00` |
//! | S = 1..=10 | `01 01 S` |
//!
//! The second byte is the mode: `01` steady, `ff` off. The devices have one vibrator.

use plugboard_protocol::model::{Feature, OutputType};

use super::{clamp_byte, lookup, motor_slots, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The highest vibrate value.
pub const MAX_VALUE: u8 = 10;

/// The `picobong` protocol family.
#[derive(Debug, Clone, Copy, Default)]
pub struct Picobong;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&PICOBONG];

pub static PICOBONG: Picobong = Picobong;

impl Protocol for Picobong {
    fn name(&self) -> &'static str {
        "picobong"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(PicobongHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of one Picobong device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PicobongHandler {
    motor: (u32, OutputType),
}

impl PicobongHandler {
    /// Exactly one vibrate output.
    pub fn new(features: &[Feature]) -> Result<PicobongHandler, ProtocolError> {
        match motor_slots(features).as_slice() {
            &[motor @ (_, OutputType::Vibrate)] => Ok(PicobongHandler { motor }),
            slots => Err(ProtocolError::Definition(format!("picobong drives one vibrator, not {slots:?}"))),
        }
    }
}

/// The packet for level `value`.
pub fn packet(value: i32) -> [u8; 3] {
    let s = clamp_byte(value, MAX_VALUE);
    [0x01, if s == 0 { 0xff } else { 0x01 }, s]
}

impl DeviceHandler for PicobongHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        match lookup(levels, changed, self.motor) {
            (Some(level), true) => vec![Write::without_response(Endpoint::Tx, packet(level.value).to_vec())],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate_and_stop() {
        let features = features(&[(Vibrate, 0, 10)]);
        let mut diver = Sim::new(Box::new(PicobongHandler::new(&features).unwrap()), &features);
        assert_eq!(bytes(&diver.set(0, Vibrate, 10)), [[0x01, 0x01, 0x0a]]);
        assert_eq!(bytes(&diver.set(0, Vibrate, 1)), [[0x01, 0x01, 0x01]]);
        assert_eq!(bytes(&diver.set(0, Vibrate, 11)), [[0x01, 0x01, 0x0a]], "clamped");
        assert_eq!(bytes(&diver.stop()), [[0x01, 0xff, 0x00]]);
        assert_eq!(bytes(&diver.stop()), Vec::<Vec<u8>>::new());
        assert_eq!(packet(-1), [0x01, 0xff, 0x00]);
    }

    #[test]
    fn definitions() {
        assert!(PicobongHandler::new(&[]).is_err());
        assert!(PicobongHandler::new(&features(&[(Vibrate, 0, 10); 2])).is_err());
        assert!(PicobongHandler::new(&features(&[(Oscillate, 0, 10)])).is_err());
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(PICOBONG.name(), "picobong");
        let hw = FakeHardware::new("Diver", "aa");
        let handler = PICOBONG.initialize(&hw, Some("Diver"), &features(&[(Vibrate, 0, 10)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
    }
}
