//! Aneros (devices.md §3 row "aneros"): the Vivi, advertised as `Massage Demo`; svc 0xFF00,
//! `tx` 0xFF01, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate on feature 0 | `f1 S` |
//! | vibrate on feature 1 | `f2 S` |
//!
//! That is `(f1 + feature index) S`, one packet per changed motor, S 0..=127.

use plugboard_protocol::model::{Feature, OutputType};

use super::{clamp_byte, lookup, motor_slots, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The highest vibrate value.
pub const MAX_VALUE: u8 = 127;

/// The `aneros` protocol family.
#[derive(Debug, Clone, Copy, Default)]
pub struct Aneros;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&ANEROS];

pub static ANEROS: Aneros = Aneros;

impl Protocol for Aneros {
    fn name(&self) -> &'static str {
        "aneros"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(AnerosHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of one Aneros device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnerosHandler {
    motors: Vec<(u32, OutputType)>,
}

impl AnerosHandler {
    /// Vibrate outputs on features whose command byte fits (0..=14).
    pub fn new(features: &[Feature]) -> Result<AnerosHandler, ProtocolError> {
        let motors = motor_slots(features);
        if let Some((index, kind)) = motors.iter().find(|&&(index, kind)| kind != OutputType::Vibrate || index > 14) {
            return Err(ProtocolError::Definition(format!("aneros has no command for {kind:?} on feature {index}")));
        }
        if motors.is_empty() {
            return Err(ProtocolError::Definition("aneros device with no vibrators".into()));
        }
        Ok(AnerosHandler { motors })
    }
}

impl DeviceHandler for AnerosHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        self.motors
            .iter()
            .filter_map(|&slot| match lookup(levels, changed, slot) {
                (Some(level), true) => Some(Write::without_response(
                    Endpoint::Tx,
                    vec![0xf1 + slot.0 as u8, clamp_byte(level.value, MAX_VALUE)],
                )),
                _ => None,
            })
            .collect()
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
    fn two_vibrators() {
        let features = features(&[(Vibrate, 0, 127), (Vibrate, 0, 127)]);
        let mut vivi = Sim::new(Box::new(AnerosHandler::new(&features).unwrap()), &features);
        assert_eq!(bytes(&vivi.set(0, Vibrate, 127)), [[0xf1, 0x7f]]);
        assert_eq!(bytes(&vivi.set(1, Vibrate, 64)), [[0xf2, 0x40]]);
        assert_eq!(bytes(&vivi.flush(&[(0, Vibrate, 1), (1, Vibrate, 200)])), [[0xf1, 0x01], [0xf2, 0x7f]]);
        assert_eq!(bytes(&vivi.set(0, Vibrate, 0)), [[0xf1, 0x00]]);
        assert_eq!(bytes(&vivi.stop()), [[0xf2, 0x00]], "feature 0 is at 0 already");
        assert_eq!(bytes(&vivi.stop()), Vec::<Vec<u8>>::new());
        assert_eq!(bytes(&vivi.all()), [[0xf1, 0x00], [0xf2, 0x00]]);
    }

    #[test]
    fn definitions() {
        assert!(AnerosHandler::new(&[]).is_err());
        assert!(AnerosHandler::new(&features(&[(Oscillate, 0, 127)])).is_err());
        assert!(AnerosHandler::new(&features(&[(Vibrate, 0, 127); 15])).is_ok());
        assert!(AnerosHandler::new(&features(&[(Vibrate, 0, 127); 16])).is_err());
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(ANEROS.name(), "aneros");
        let hw = FakeHardware::new("Massage Demo", "aa");
        let handler = ANEROS.initialize(&hw, None, &features(&[(Vibrate, 0, 127); 2])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
    }
}
