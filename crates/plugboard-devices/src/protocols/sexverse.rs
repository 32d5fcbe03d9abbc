//! Sexverse (devices.md §3 row "sexverse-v1"): svc 0xFFE0, `tx` 0xFFE1, written without
//! response; no init.
//!
//! One packet carries every output of the device and is resent whole whenever any changes:
//!
//! | bytes | meaning |
//! |---|---|
//! | `23 07` | header |
//! | `3n` | payload length: 3 bytes per output, n outputs |
//! | per output i = 0..n: `(80 OR i+1) type value` | motor number (1-based), type, value 0..=255 |
//! | `xor` | XOR of all previous bytes |
//!
//! Types: `03` vibrate, `04` oscillate or constrict, `06` rotate. Outputs are numbered in
//! definition order (feature index order). Rotate values are taken by magnitude (the database's
//! rotations are 0..=255 speeds without a direction).

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, lookup, motor_slots, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The `sexverse-v1` protocol family.
#[derive(Debug, Clone, Copy, Default)]
pub struct SexverseV1;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SEXVERSE_V1];

pub static SEXVERSE_V1: SexverseV1 = SexverseV1;

impl Protocol for SexverseV1 {
    fn name(&self) -> &'static str {
        "sexverse-v1"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(SexverseV1Handler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of one `sexverse-v1` device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SexverseV1Handler {
    /// Every output with its type byte, in motor-number order.
    motors: Vec<((u32, OutputType), u8)>,
}

impl SexverseV1Handler {
    /// Vibrate, oscillate, constrict and rotate outputs; at most 42 (the length byte is 3n).
    pub fn new(features: &[Feature]) -> Result<SexverseV1Handler, ProtocolError> {
        let mut slots = motor_slots(features);
        slots.sort_by_key(|&(index, _)| index);
        let motors = slots
            .into_iter()
            .map(|slot| {
                let kind = match slot.1 {
                    OutputType::Vibrate => 0x03,
                    OutputType::Oscillate | OutputType::Constrict | OutputType::Inflate => 0x04,
                    OutputType::Rotate => 0x06,
                    kind => {
                        return Err(ProtocolError::Definition(format!(
                            "sexverse-v1 has no command for {kind:?} outputs"
                        )))
                    }
                };
                Ok((slot, kind))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if motors.is_empty() || motors.len() > 0x7f / 3 {
            return Err(ProtocolError::Definition(format!("sexverse-v1 device with {} outputs", motors.len())));
        }
        Ok(SexverseV1Handler { motors })
    }
}

/// The packet for these (type byte, value) motors, checksum included.
pub fn packet(motors: &[(u8, u8)]) -> Vec<u8> {
    let mut data = vec![0x23, 0x07, (motors.len() * 3) as u8];
    for (i, &(kind, value)) in motors.iter().enumerate() {
        data.extend([0x80 | (i as u8 + 1), kind, value]);
    }
    data.push(data.iter().fold(0, |xor, b| xor ^ b));
    data
}

impl DeviceHandler for SexverseV1Handler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.motors.iter().any(|&(slot, _)| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let motors: Vec<(u8, u8)> = self
            .motors
            .iter()
            .map(|&(slot, kind)| (kind, clamp_byte(value_of(levels, slot).saturating_abs(), u8::MAX)))
            .collect();
        vec![Write::without_response(Endpoint::Tx, packet(&motors))]
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(SexverseV1Handler::new(&features).unwrap()), &features)
    }

    #[test]
    fn single_vibrator() {
        // Defaults (Rex, Cooxer bullet, Tadpole, Upton, Una).
        let mut rex = sim(&[(Vibrate, 0, 255)]);
        // 23 ^ 07 ^ 03 ^ 81 ^ 03 ^ ff = 5a
        assert_eq!(bytes(&rex.set(0, Vibrate, 255)), [[0x23, 0x07, 0x03, 0x81, 0x03, 0xff, 0x5a]]);
        assert_eq!(bytes(&rex.set(0, Vibrate, 16)), [[0x23, 0x07, 0x03, 0x81, 0x03, 0x10, 0xb5]]);
        assert_eq!(bytes(&rex.stop()), [[0x23, 0x07, 0x03, 0x81, 0x03, 0x00, 0xa5]]);
        assert_eq!(bytes(&rex.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn vibrate_and_constrict() {
        // Cali / LY165A01.
        let mut cali = sim(&[(Vibrate, 0, 255), (Constrict, 0, 255)]);
        assert_eq!(
            bytes(&cali.set(1, Constrict, 0x80)),
            [[
                0x23,
                0x07,
                0x06,
                0x81,
                0x03,
                0x00,
                0x82,
                0x04,
                0x80,
                0x23 ^ 0x07 ^ 0x06 ^ 0x81 ^ 0x03 ^ 0x82 ^ 0x04 ^ 0x80
            ]]
        );
        assert_eq!(bytes(&cali.set(0, Vibrate, 1)), [[0x23, 0x07, 0x06, 0x81, 0x03, 0x01, 0x82, 0x04, 0x80, 0xa7]]);
        assert_eq!(bytes(&cali.stop()), [[0x23, 0x07, 0x06, 0x81, 0x03, 0x00, 0x82, 0x04, 0x00, 0x26]]);
    }

    #[test]
    fn two_vibrators_and_rotate() {
        // Olis.
        let mut olis = sim(&[(Vibrate, 0, 255), (Vibrate, 0, 255), (Rotate, 0, 255)]);
        assert_eq!(
            bytes(&olis.flush(&[(0, Vibrate, 10), (1, Vibrate, 20), (2, Rotate, 40)])),
            [[0x23, 0x07, 0x09, 0x81, 0x03, 0x0a, 0x82, 0x03, 0x14, 0x83, 0x06, 0x28, 0x9d]]
        );
        assert_eq!(
            bytes(&olis.set(2, Rotate, -300)),
            [[0x23, 0x07, 0x09, 0x81, 0x03, 0x0a, 0x82, 0x03, 0x14, 0x83, 0x06, 0xff, 0x4a]],
            "magnitude, clamped"
        );
        assert_eq!(
            bytes(&olis.stop()),
            [[0x23, 0x07, 0x09, 0x81, 0x03, 0x00, 0x82, 0x03, 0x00, 0x83, 0x06, 0x00, 0xab]]
        );
    }

    #[test]
    fn oscillate_and_vibrate() {
        // BuCUE (LY213A01).
        let mut bucue = sim(&[(Oscillate, 0, 255), (Vibrate, 0, 255)]);
        assert_eq!(
            bytes(&bucue.set(0, Oscillate, 200)),
            [[0x23, 0x07, 0x06, 0x81, 0x04, 0xc8, 0x82, 0x03, 0x00, 0xee]]
        );
        assert_eq!(bytes(&bucue.all()), [[0x23, 0x07, 0x06, 0x81, 0x04, 0xc8, 0x82, 0x03, 0x00, 0xee]]);
    }

    #[test]
    fn motors_numbered_by_feature_index() {
        let features = vec![feature(1, &[(Constrict, 0, 255)]), feature(0, &[(Vibrate, 0, 255)])];
        let handler = SexverseV1Handler::new(&features).unwrap();
        let mut toy = Sim::new(Box::new(handler), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [[0x23, 0x07, 0x06, 0x81, 0x03, 0x01, 0x82, 0x04, 0x00, 0x27]]);
    }

    #[test]
    fn definitions() {
        assert!(SexverseV1Handler::new(&[]).is_err());
        assert!(SexverseV1Handler::new(&features(&[(Spray, 0, 1)])).is_err());
        assert!(SexverseV1Handler::new(&features(&[(Vibrate, 0, 255); 42])).is_ok());
        assert!(SexverseV1Handler::new(&features(&[(Vibrate, 0, 255); 43])).is_err());
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(SEXVERSE_V1.name(), "sexverse-v1");
        let hw = FakeHardware::new("Rex", "aa");
        let handler = SEXVERSE_V1.initialize(&hw, Some("Rex"), &features(&[(Vibrate, 0, 255)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
    }
}
