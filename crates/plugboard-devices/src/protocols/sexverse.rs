//! Sexverse: several generations of the vendor's protocols, each a [`SinglePacket`] on `tx`.
//!
//! | protocol | service / `tx` | write | init | packets |
//! |---|---|---|---|---|
//! | `sexverse-v1` | 0xFFE0 / 0xFFE1 | w/o | none | one packet with every output, below |
//! | `sexverse-v2` | 0xBAE0 / 0xBAE1 | **w/r** | `aa 04` (w/r) | `aa 03 01 (i + 1) 64 v` per changed feature i |
//! | `sexverse-v4` | 0xBCA2 / 0xBC21, 0xCFA2 / 0xCF21 or 0xDBA2 / 0xDB21 | **w/r** | none | vibrate `bb 01 v 66` |
//! | `sexverse-v5` | 0xFFCB / 0xCB02 | w/o | none | vibrate `aa 03 03 v 00 00 00` |
//!
//! # `sexverse-v1`
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
//!
//! # `sexverse-v2`
//!
//! Vibrators and oscillators are encoded alike; only the feature index tells them apart (the
//! Duopeak Saphette has an oscillator on #0 and vibrators on #1 and #2, all 0..=20).
//!
//! # `sexverse-v4`
//!
//! Each hardware revision has its own service holding `tx`; a device has one of them, and the
//! transport maps `tx` to whichever it finds. The database lists `BC1847` under two names (Black
//! Knight, Dark Knight); the later one is kept, as in the reference. All models are one
//! vibrator 0..=99.
//!
//! # `sexverse-v5`
//!
//! The Heart (`CBW02`) and the Hannibal Kona (`CB-WXW03`), one vibrator 0..=100. The two zero
//! bytes after the level are where the newer `aa 03 03` devices put an oscillator and suction.

use plugboard_protocol::model::OutputType;

use super::single_packet::{tx_with_response, Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SEXVERSE_V1, &SEXVERSE_V2, &SEXVERSE_V4, &SEXVERSE_V5];

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

/// The `sexverse-v2` init packet, written with response.
pub const V2_INIT: [u8; 2] = [0xaa, 0x04];

/// The `sexverse-v2` protocol: vibrators and oscillators on features 0..=254, one packet each.
pub static SEXVERSE_V2: SinglePacket = SinglePacket {
    name: "sexverse-v2",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate]).up_to_feature(254),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[tx_with_response(&V2_INIT)],
    packets: Packets::PerOutput(v2_packet),
    keepalive: Keepalive::None,
};

/// The `sexverse-v4` protocol: one vibrator.
pub static SEXVERSE_V4: SinglePacket = SinglePacket {
    name: "sexverse-v4",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(v4_packet),
    keepalive: Keepalive::None,
};

/// The `sexverse-v5` protocol: one vibrator.
pub static SEXVERSE_V5: SinglePacket = SinglePacket {
    name: "sexverse-v5",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(v5_packet),
    keepalive: Keepalive::None,
};

/// `aa 03 01 (i + 1) 64 v`.
fn v2_packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xaa, 0x03, 0x01, level.feature_index as u8 + 1, 0x64, clamp_byte(level.value, u8::MAX)]
}

/// `bb 01 v 66`.
fn v4_packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xbb, 0x01, clamp_byte(level.value, u8::MAX), 0x66]
}

/// `aa 03 03 v 00 00 00`.
fn v5_packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xaa, 0x03, 0x03, clamp_byte(level.value, u8::MAX), 0x00, 0x00, 0x00]
}

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

    use super::super::test_support::{bytes, bytes_with_response, feature, features, hex, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::hardware::Write;
    use crate::testing::{Event, FakeHardware};

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

    fn sim_of(protocol: &SinglePacket, outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(protocol.handler(&features).unwrap()), &features)
    }

    #[test]
    fn v2_one_packet_per_feature_whatever_its_type() {
        // Duopeak Saphette (NBQ-B619RX).
        let mut saphette = sim_of(&SEXVERSE_V2, &[(Oscillate, 0, 20), (Vibrate, 0, 20), (Vibrate, 0, 20)]);
        assert_eq!(bytes_with_response(&saphette.set(0, Oscillate, 10)), [hex("aa 03 01 01 64 0a")]);
        assert_eq!(bytes_with_response(&saphette.set(1, Vibrate, 20)), [hex("aa 03 01 02 64 14")]);
        assert_eq!(bytes_with_response(&saphette.set(2, Vibrate, 1)), [hex("aa 03 01 03 64 01")]);
        assert_eq!(
            bytes_with_response(&saphette.stop()),
            [hex("aa 03 01 01 64 00"), hex("aa 03 01 02 64 00"), hex("aa 03 01 03 64 00")]
        );
        assert_eq!(saphette.stop(), []);
    }

    #[tokio::test]
    async fn v2_init_writes_aa_04_with_response() {
        assert_eq!(SEXVERSE_V2.name(), "sexverse-v2");
        let hw = FakeHardware::new("LY272A01", "aa");
        SEXVERSE_V2.initialize(&hw, None, &features(&[(Vibrate, 0, 20), (Oscillate, 0, 20)])).await.unwrap();
        assert_eq!(hw.events(), [Event::Write(Write::with_response(Endpoint::Tx, vec![0xaa, 0x04]))]);
        assert!(SEXVERSE_V2.handler(&features(&[(Rotate, 0, 20)])).is_err());
    }

    #[test]
    fn v4_vibrate() {
        let mut knight = sim_of(&SEXVERSE_V4, &[(Vibrate, 0, 99)]);
        assert_eq!(bytes_with_response(&knight.set(0, Vibrate, 99)), [hex("bb 01 63 66")]);
        assert_eq!(bytes_with_response(&knight.set(0, Vibrate, 1)), [hex("bb 01 01 66")]);
        assert_eq!(bytes_with_response(&knight.stop()), [hex("bb 01 00 66")]);
        assert!(SEXVERSE_V4.handler(&features(&[(Vibrate, 0, 99); 2])).is_err());
    }

    #[test]
    fn v5_vibrate() {
        let mut heart = sim_of(&SEXVERSE_V5, &[(Vibrate, 0, 100)]);
        assert_eq!(bytes(&heart.set(0, Vibrate, 100)), [hex("aa 03 03 64 00 00 00")]);
        assert_eq!(bytes(&heart.stop()), [hex("aa 03 03 00 00 00 00")]);
        assert!(SEXVERSE_V5.handler(&features(&[(Oscillate, 0, 100)])).is_err());
    }

    #[tokio::test]
    async fn v4_and_v5_have_no_init() {
        assert_eq!((SEXVERSE_V4.name(), SEXVERSE_V5.name()), ("sexverse-v4", "sexverse-v5"));
        for protocol in [&SEXVERSE_V4, &SEXVERSE_V5] {
            let hw = FakeHardware::new("CBW02", "aa");
            protocol.initialize(&hw, None, &features(&[(Vibrate, 0, 99)])).await.unwrap();
            assert!(hw.events().is_empty());
        }
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
        Vector::new(&SEXVERSE_V2, None, &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x0a])]),
            Set(&[(1, Oscillate, 20)], &[tx_with_response(&[0xaa, 0x03, 0x01, 0x02, 0x64, 0x14])]),
            Stop(&[
                tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x00]),
                tx_with_response(&[0xaa, 0x03, 0x01, 0x02, 0x64, 0x00]),
            ]),
        ]),
        Vector::new(&SEXVERSE_V2, Some("LB-W01"), &[
            Set(&[(0, Vibrate, 20)], &[tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x14])]),
            Stop(&[tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x00])]),
        ]),
        Vector::new(&SEXVERSE_V2, Some("HH010"), &[
            Set(&[(0, Oscillate, 5)], &[tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x05])]),
            Set(&[(1, Vibrate, 6)], &[tx_with_response(&[0xaa, 0x03, 0x01, 0x02, 0x64, 0x06])]),
            Stop(&[
                tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x00]),
                tx_with_response(&[0xaa, 0x03, 0x01, 0x02, 0x64, 0x00]),
            ]),
        ]),
        Vector::new(&SEXVERSE_V2, Some("NBQ-B619RX"), &[
            Set(&[(0, Oscillate, 10)], &[tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x0a])]),
            Set(&[(1, Vibrate, 20), (2, Vibrate, 1)], &[
                tx_with_response(&[0xaa, 0x03, 0x01, 0x02, 0x64, 0x14]),
                tx_with_response(&[0xaa, 0x03, 0x01, 0x03, 0x64, 0x01]),
            ]),
            Stop(&[
                tx_with_response(&[0xaa, 0x03, 0x01, 0x01, 0x64, 0x00]),
                tx_with_response(&[0xaa, 0x03, 0x01, 0x02, 0x64, 0x00]),
                tx_with_response(&[0xaa, 0x03, 0x01, 0x03, 0x64, 0x00]),
            ]),
        ]),
        Vector::new(&SEXVERSE_V4, None, &[
            Set(&[(0, Vibrate, 99)], &[tx_with_response(&[0xbb, 0x01, 0x63, 0x66])]),
            Stop(&[tx_with_response(&[0xbb, 0x01, 0x00, 0x66])]),
        ]),
        Vector::new(&SEXVERSE_V4, Some("HJ2024N01"), &[
            Set(&[(0, Vibrate, 50)], &[tx_with_response(&[0xbb, 0x01, 0x32, 0x66])]),
            Stop(&[tx_with_response(&[0xbb, 0x01, 0x00, 0x66])]),
        ]),
        Vector::new(&SEXVERSE_V4, Some("BC1847"), &[
            Set(&[(0, Vibrate, 1)], &[tx_with_response(&[0xbb, 0x01, 0x01, 0x66])]),
            Stop(&[tx_with_response(&[0xbb, 0x01, 0x00, 0x66])]),
        ]),
        Vector::new(&SEXVERSE_V5, None, &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0xaa, 0x03, 0x03, 0x64, 0x00, 0x00, 0x00])]),
            Stop(&[tx(&[0xaa, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SEXVERSE_V5, Some("CB-WXW03"), &[
            Set(&[(0, Vibrate, 42)], &[tx(&[0xaa, 0x03, 0x03, 0x2a, 0x00, 0x00, 0x00])]),
            Stop(&[tx(&[0xaa, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
