//! Luvmazer: TKLM-* devices. Service 0xFFA0 with `tx` (0xFFA1);
//! no init, no battery. One 6-byte packet per changed output, to `tx` without response;
//! levels are 0..=255 (one constrict is 0..=54).
//!
//! | output | packet |
//! |---|---|
//! | vibrate on feature 2 ("tapping") | `a0 0c 00 00 64 S` |
//! | vibrate on any other feature `i` | `a0 01 00 i 64 S` |
//! | rotate | `a0 0f 00 00 64 S` (speed; the device has no direction) |
//! | oscillate | `a0 06 01 00 64 S` |
//! | constrict | `a0 0d 00 00 14 S`, or `a0 0d 00 00 00 00` for 0 |
//!
//! Reference database shapes: vibrate 0 + rotate 1 (default), vibrate 0 + oscillate 1,
//! vibrate 0 + vibrate 1, vibrate 0 + oscillate 1 + constrict 2, and the Rose Finger Vibe
//! (TKLM-C001-BT) with vibrators on features 0 and 2.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The feature index whose vibrator is driven with the "tapping" command.
pub const TAPPING_FEATURE: u32 = 2;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LUVMAZER];

/// The Luvmazer protocol (`luvmazer`): vibrate, rotate, oscillate and constrict outputs, on
/// feature indices that fit the packet's byte.
pub static LUVMAZER: SinglePacket = SinglePacket {
    name: "luvmazer",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Rotate, OutputType::Oscillate, OutputType::Constrict])
        .up_to_feature(u8::MAX as u32),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(|level: &OutputLevel| packet(level.feature_index, level.kind, level.value)),
    keepalive: Keepalive::None,
};

/// The packet for one output at a level.
pub fn packet(feature_index: u32, kind: OutputType, value: i32) -> Vec<u8> {
    let value = if kind == OutputType::Rotate { value.saturating_abs() } else { value };
    let s = clamp_byte(value, u8::MAX);
    match kind {
        OutputType::Vibrate if feature_index == TAPPING_FEATURE => vec![0xa0, 0x0c, 0x00, 0x00, 0x64, s],
        OutputType::Vibrate => vec![0xa0, 0x01, 0x00, feature_index as u8, 0x64, s],
        OutputType::Rotate => vec![0xa0, 0x0f, 0x00, 0x00, 0x64, s],
        OutputType::Oscillate => vec![0xa0, 0x06, 0x01, 0x00, 0x64, s],
        _ => vec![0xa0, 0x0d, 0x00, 0x00, if s == 0 { 0x00 } else { 0x14 }, s],
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::Feature;
    use super::super::ProtocolError;
    use crate::hardware::Write;
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::super::{Advertisement, Keepalive};
    use super::*;
    use crate::testing::FakeHardware;

    fn w(data: [u8; 6]) -> Write {
        Write { endpoint: Endpoint::Tx, data: data.to_vec(), with_response: false }
    }

    fn sim(features: Vec<Feature>) -> Sim {
        Sim::new(Box::new(LUVMAZER.handler(&features).unwrap()), &features)
    }

    #[test]
    fn default_vibrate_and_rotate() {
        let mut toy = sim(features(&[(Vibrate, 0, 255), (Rotate, 0, 255)]));
        assert_eq!(toy.set(0, Vibrate, 255), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0xff])]);
        assert_eq!(toy.set(1, Rotate, 128), [w([0xa0, 0x0f, 0x00, 0x00, 0x64, 0x80])]);
        assert_eq!(toy.set(1, Rotate, -20), [w([0xa0, 0x0f, 0x00, 0x00, 0x64, 0x14])], "speed only");
        assert_eq!(
            toy.flush(&[(0, Vibrate, 1), (1, Rotate, 2)]),
            [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x01]), w([0xa0, 0x0f, 0x00, 0x00, 0x64, 0x02])]
        );
        assert_eq!(toy.stop(), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]), w([0xa0, 0x0f, 0x00, 0x00, 0x64, 0x00])]);
        assert_eq!(toy.stop(), []);
        assert_eq!(toy.set(0, Vibrate, 999), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0xff])]);
        assert_eq!(toy.set(0, Vibrate, -9), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x00])]);
    }

    #[test]
    fn two_vibrators_use_the_feature_index() {
        let mut toy = sim(features(&[(Vibrate, 0, 255), (Vibrate, 0, 255)]));
        assert_eq!(toy.set(1, Vibrate, 10), [w([0xa0, 0x01, 0x00, 0x01, 0x64, 0x0a])]);
        assert_eq!(toy.set(0, Vibrate, 11), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x0b])]);
    }

    #[test]
    fn rose_finger_vibe_features_0_and_2() {
        // TKLM-C001-BT: vibrators on feature indices 0 and 2; 2 is the tapping motor.
        let mut toy = sim(vec![feature(0, &[(Vibrate, 0, 255)]), feature(2, &[(Vibrate, 0, 255)])]);
        assert_eq!(toy.set(2, Vibrate, 200), [w([0xa0, 0x0c, 0x00, 0x00, 0x64, 0xc8])]);
        assert_eq!(toy.set(0, Vibrate, 100), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x64])]);
        assert_eq!(toy.stop(), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]), w([0xa0, 0x0c, 0x00, 0x00, 0x64, 0x00])]);
    }

    #[test]
    fn oscillate_and_constrict() {
        // TKLM-C004-BT (constrict 0..54) and TKLM-N001-BT (0..255).
        for max in [54, 255] {
            let mut toy = sim(features(&[(Vibrate, 0, 255), (Oscillate, 0, 255), (Constrict, 0, max)]));
            assert_eq!(toy.set(1, Oscillate, 77), [w([0xa0, 0x06, 0x01, 0x00, 0x64, 0x4d])]);
            assert_eq!(toy.set(2, Constrict, 54), [w([0xa0, 0x0d, 0x00, 0x00, 0x14, 0x36])]);
            assert_eq!(toy.set(2, Constrict, 1), [w([0xa0, 0x0d, 0x00, 0x00, 0x14, 0x01])]);
            assert_eq!(toy.set(2, Constrict, 0), [w([0xa0, 0x0d, 0x00, 0x00, 0x00, 0x00])]);
            assert_eq!(toy.set(0, Vibrate, 3), [w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x03])]);
            assert_eq!(
                toy.flush(&[(1, Oscillate, 5), (2, Constrict, 6)]),
                [w([0xa0, 0x06, 0x01, 0x00, 0x64, 0x05]), w([0xa0, 0x0d, 0x00, 0x00, 0x14, 0x06])]
            );
            assert_eq!(
                toy.stop(),
                [
                    w([0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                    w([0xa0, 0x06, 0x01, 0x00, 0x64, 0x00]),
                    w([0xa0, 0x0d, 0x00, 0x00, 0x00, 0x00])
                ]
            );
        }
        // Cat Paw / Dildo: vibrate + oscillate.
        let mut toy = sim(features(&[(Vibrate, 0, 255), (Oscillate, 0, 255)]));
        assert_eq!(toy.set(1, Oscillate, 255), [w([0xa0, 0x06, 0x01, 0x00, 0x64, 0xff])]);
    }

    #[test]
    fn definitions() {
        assert!(LUVMAZER.handler(&[]).is_err());
        assert!(LUVMAZER.handler(&features(&[(Temperature, 0, 1)])).is_err());
        assert!(LUVMAZER.handler(&[feature(300, &[(Vibrate, 0, 255)])]).is_err());
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(LUVMAZER.name(), "luvmazer");
        let hw = FakeHardware::with_endpoints("TKLM-C001-BT", "aa", &[Endpoint::Tx]);
        let identifier = LUVMAZER.identify(&hw, &Advertisement::named("TKLM-C001-BT")).await.unwrap();
        assert_eq!(identifier.as_deref(), Some("TKLM-C001-BT"));
        let handler = LUVMAZER.initialize(&hw, identifier.as_deref(), &features(&[(Vibrate, 0, 255)])).await.unwrap();
        assert!(hw.events().is_empty(), "no init");
        assert_eq!(handler.keepalive(), Keepalive::None);
        assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::Unsupported(_))));
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
        // Defaults: vibrate 0, rotate 1 (speed only).
        Vector::new(&LUVMAZER, Some("TKLM-W001-BT"), &[
            Set(&[(0, Vibrate, 255)], &[tx(&[0xa0, 0x01, 0x00, 0x00, 0x64, 0xff])]),
            Set(&[(1, Rotate, 128)], &[tx(&[0xa0, 0x0f, 0x00, 0x00, 0x64, 0x80])]),
            Stop(&[tx(&[0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]), tx(&[0xa0, 0x0f, 0x00, 0x00, 0x64, 0x00])]),
        ]),
        // Vibrate, oscillate and constrict 0..54; a constrict at 0 has 00 in place of 14.
        Vector::new(&LUVMAZER, Some("TKLM-C004-BT"), &[
            Set(&[(1, Oscillate, 77)], &[tx(&[0xa0, 0x06, 0x01, 0x00, 0x64, 0x4d])]),
            Set(&[(2, Constrict, 54)], &[tx(&[0xa0, 0x0d, 0x00, 0x00, 0x14, 0x36])]),
            Set(&[(0, Vibrate, 3)], &[tx(&[0xa0, 0x01, 0x00, 0x00, 0x64, 0x03])]),
            Stop(&[
                tx(&[0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                tx(&[0xa0, 0x06, 0x01, 0x00, 0x64, 0x00]),
                tx(&[0xa0, 0x0d, 0x00, 0x00, 0x00, 0x00]),
            ]),
        ]),
        // Rose Finger Vibe: the vibrator on feature 2 is the tapping motor.
        Vector::new(&LUVMAZER, Some("TKLM-C001-BT"), &[
            Set(&[(2, Vibrate, 200)], &[tx(&[0xa0, 0x0c, 0x00, 0x00, 0x64, 0xc8])]),
            Set(&[(0, Vibrate, 100)], &[tx(&[0xa0, 0x01, 0x00, 0x00, 0x64, 0x64])]),
            Stop(&[tx(&[0xa0, 0x01, 0x00, 0x00, 0x64, 0x00]), tx(&[0xa0, 0x0c, 0x00, 0x00, 0x64, 0x00])]),
        ]),
    ];
}
