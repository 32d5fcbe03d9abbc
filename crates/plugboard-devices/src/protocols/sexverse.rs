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

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SEXVERSE_V1];

/// The `sexverse-v1` protocol: vibrate, oscillate, constrict and rotate outputs, at most 42 (the
/// length byte is 3n).
pub static SEXVERSE_V1: SinglePacket = SinglePacket {
    name: "sexverse-v1",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate, OutputType::Constrict, OutputType::Rotate])
        .at_most(0x7f / 3),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(state_packet),
    keepalive: Keepalive::None,
};

/// The type byte of an output.
fn type_byte(kind: OutputType) -> u8 {
    match kind {
        OutputType::Vibrate => 0x03,
        OutputType::Rotate => 0x06,
        _ => 0x04,
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

/// Every output, numbered in feature-index order; rotations by magnitude.
fn state_packet(levels: &[OutputLevel]) -> Vec<u8> {
    let motors: Vec<(u8, u8)> = levels
        .iter()
        .map(|level| (type_byte(level.kind), clamp_byte(level.value.saturating_abs(), u8::MAX)))
        .collect();
    packet(&motors)
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
        Sim::new(Box::new(SEXVERSE_V1.handler(&features).unwrap()), &features)
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
        let handler = SEXVERSE_V1.handler(&features).unwrap();
        let mut toy = Sim::new(Box::new(handler), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [[0x23, 0x07, 0x06, 0x81, 0x03, 0x01, 0x82, 0x04, 0x00, 0x27]]);
    }

    #[test]
    fn definitions() {
        assert!(SEXVERSE_V1.handler(&[]).is_err());
        assert!(SEXVERSE_V1.handler(&features(&[(Spray, 0, 1)])).is_err());
        assert!(SEXVERSE_V1.handler(&features(&[(Vibrate, 0, 255); 42])).is_ok());
        assert!(SEXVERSE_V1.handler(&features(&[(Vibrate, 0, 255); 43])).is_err());
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

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        // The last byte is the XOR of all before it.
        Vector::new(&SEXVERSE_V1, Some("Rex"), &[
            Set(&[(0, Vibrate, 255)], &[tx(&[0x23, 0x07, 0x03, 0x81, 0x03, 0xff, 0x5a])]),
            Stop(&[tx(&[0x23, 0x07, 0x03, 0x81, 0x03, 0x00, 0xa5])]),
        ]),
        Vector::new(&SEXVERSE_V1, Some("Cali"), &[
            Set(&[(1, Constrict, 0x80)], &[tx(&[0x23, 0x07, 0x06, 0x81, 0x03, 0x00, 0x82, 0x04, 0x80, 0xa6])]),
            Set(&[(0, Vibrate, 1)], &[tx(&[0x23, 0x07, 0x06, 0x81, 0x03, 0x01, 0x82, 0x04, 0x80, 0xa7])]),
            Stop(&[tx(&[0x23, 0x07, 0x06, 0x81, 0x03, 0x00, 0x82, 0x04, 0x00, 0x26])]),
        ]),
        Vector::new(&SEXVERSE_V1, Some("Olis"), &[
            Set(
                &[(0, Vibrate, 10), (1, Vibrate, 20)],
                &[tx(&[0x23, 0x07, 0x09, 0x81, 0x03, 0x0a, 0x82, 0x03, 0x14, 0x83, 0x06, 0x00, 0xb5])],
            ),
            Set(&[(2, Rotate, 40)], &[tx(&[0x23, 0x07, 0x09, 0x81, 0x03, 0x0a, 0x82, 0x03, 0x14, 0x83, 0x06, 0x28, 0x9d])]),
            Stop(&[tx(&[0x23, 0x07, 0x09, 0x81, 0x03, 0x00, 0x82, 0x03, 0x00, 0x83, 0x06, 0x00, 0xab])]),
        ]),
        Vector::new(&SEXVERSE_V1, Some("LY213A01"), &[
            Set(&[(0, Oscillate, 200)], &[tx(&[0x23, 0x07, 0x06, 0x81, 0x04, 0xc8, 0x82, 0x03, 0x00, 0xee])]),
            Set(&[(1, Vibrate, 9)], &[tx(&[0x23, 0x07, 0x06, 0x81, 0x04, 0xc8, 0x82, 0x03, 0x09, 0xe7])]),
            Stop(&[tx(&[0x23, 0x07, 0x06, 0x81, 0x04, 0x00, 0x82, 0x03, 0x00, 0x26])]),
        ]),
    ];
}
