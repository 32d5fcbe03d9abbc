//! TryFun Meta 2 (BLE name `TF-META2`): an oscillator, a vibrator and a rotator. Service `ffac`
//! with `tx` `ffb7`, written without response; no init.
//!
//! One 9-byte frame per changed output:
//!
//! | bytes | meaning |
//! |---|---|
//! | `n` | the frame counter: 0 for the first frame after connecting, one more for each frame, wrapping after 255 |
//! | `02 00 05 21 05` | header |
//! | `f` | the function: `0b` oscillate, `08` vibrate, `0e` rotate |
//! | `b` | oscillate and vibrate: the level, 0..=100; rotate: −(v + 1) for v ≥ 0, −v below, as a signed byte |
//! | `c` | checksum: (`da` − `f` − `b`) mod 256 |
//!
//! The rotation byte counts the other way round and is off by one: 0 is `ff` (−1), 5 is `fa`,
//! 100 is `9b`, −5 is `05`, −100 is `64`. So a stopped rotator gets `ff`, as in the reference.
//! Examples from connect: rotate 5 is `00 02 00 05 21 05 0e fa d2`, then oscillate 50 is
//! `01 02 00 05 21 05 0b 32 9d`.
//!
//! The counter is the device task's frame number ("Rolling counters" in `protocols/mod.rs`),
//! which moves on with every frame written, as the reference's moves on with every frame it
//! builds. The checksum is computed modulo 256 everywhere; the reference's unchecked 8-bit
//! arithmetic comes to the same bytes in its release builds.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, FrameNumber, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest rotation speed either way.
pub const MAX_ROTATION: i32 = 100;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&TRYFUN_META2];

/// The `tryfun-meta2` protocol.
pub static TRYFUN_META2: SinglePacket = SinglePacket {
    name: "tryfun-meta2",
    outputs: Outputs::of(&[OutputType::Oscillate, OutputType::Vibrate, OutputType::Rotate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::NumberedPerOutput(packet),
    keepalive: Keepalive::None,
};

/// The frame for one output.
pub fn frame(counter: u8, function: u8, value: u8) -> [u8; 9] {
    let checksum = 0xdau8.wrapping_sub(function).wrapping_sub(value);
    [counter, 0x02, 0x00, 0x05, 0x21, 0x05, function, value, checksum]
}

/// The byte a rotation speed `v` (−100..=100, the sign is the direction) is sent as.
pub fn rotation_byte(v: i32) -> u8 {
    let v = v.clamp(-MAX_ROTATION, MAX_ROTATION);
    let signed = if v >= 0 { -(v + 1) } else { -v };
    signed as i8 as u8
}

fn packet(output: &OutputLevel, number: FrameNumber) -> Vec<u8> {
    let (function, value) = match output.kind {
        OutputType::Oscillate => (0x0b, clamp_byte(output.value, u8::MAX)),
        OutputType::Rotate => (0x0e, rotation_byte(output.value)),
        _ => (0x08, clamp_byte(output.value, u8::MAX)),
    };
    frame(number.low_byte(), function, value).to_vec()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::super::{ChangeSet, DeviceHandler};
    use super::*;

    #[test]
    fn rotation_bytes() {
        let table = [(0, 0xff), (5, 0xfa), (100, 0x9b), (-5, 0x05), (-100, 0x64), (-1, 0x01), (1, 0xfe)];
        for (v, byte) in table {
            assert_eq!(rotation_byte(v), byte, "{v}");
        }
        assert_eq!(rotation_byte(127), 0x9b, "clamped to 100");
    }

    #[test]
    fn frames() {
        let meta2 = features(&[(Oscillate, 0, 100), (Vibrate, 0, 100), (Rotate, -100, 100)]);
        let handler = TRYFUN_META2.handler(&meta2).unwrap();
        let mut levels = OutputLevel::for_features(&meta2);
        let mut rotate_at = |v| {
            levels[2].value = v;
            bytes(&handler.encode_numbered(&levels, ChangeSet::only(2), FrameNumber::FIRST))
        };
        assert_eq!(rotate_at(0), [hex("00 02 00 05 21 05 0e ff cd")]);
        assert_eq!(rotate_at(5), [hex("00 02 00 05 21 05 0e fa d2")]);
        assert_eq!(rotate_at(-5), [hex("00 02 00 05 21 05 0e 05 c7")]);
        assert_eq!(rotate_at(100), [hex("00 02 00 05 21 05 0e 9b 31")]);
        assert_eq!(rotate_at(-100), [hex("00 02 00 05 21 05 0e 64 68")]);
        // Speeds whose sum wraps in 8 bits (the reference's debug builds would panic here).
        assert_eq!(rotate_at(55), [hex("00 02 00 05 21 05 0e c8 04")]);
    }

    #[test]
    fn frames_count_from_connect() {
        let meta2 = features(&[(Oscillate, 0, 100), (Vibrate, 0, 100), (Rotate, -100, 100)]);
        let mut toy = Sim::new(Box::new(TRYFUN_META2.handler(&meta2).unwrap()), &meta2);
        assert_eq!(bytes(&toy.set(2, Rotate, 5)), [hex("00 02 00 05 21 05 0e fa d2")]);
        assert_eq!(bytes(&toy.set(0, Oscillate, 50)), [hex("01 02 00 05 21 05 0b 32 9d")]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 100)), [hex("02 02 00 05 21 05 08 64 6e")]);
        assert_eq!(
            bytes(&toy.stop()),
            [hex("03 02 00 05 21 05 0b 00 cf"), hex("04 02 00 05 21 05 08 00 d2"), hex("05 02 00 05 21 05 0e ff cd")]
        );
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. The first byte counts the frames.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&TRYFUN_META2, None, &[
        Set(&[(2, Rotate, 5)], &[tx(&[0x00, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0xfa, 0xd2])]),
        Set(&[(2, Rotate, -100)], &[tx(&[0x01, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x64, 0x68])]),
        Set(&[(0, Oscillate, 50)], &[tx(&[0x02, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x32, 0x9d])]),
        Set(&[(1, Vibrate, 100)], &[tx(&[0x03, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x64, 0x6e])]),
        Stop(&[
            tx(&[0x04, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x00, 0xcf]),
            tx(&[0x05, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x00, 0xd2]),
            tx(&[0x06, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0xff, 0xcd]),
        ]),
    ])];
}
