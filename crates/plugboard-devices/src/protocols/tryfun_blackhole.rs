//! TryFun Black Hole Plus (BLE name `TF-BHPLUS`) and Rock (`TF-ROCK`). Service `ffac` with `tx`
//! `ffb7`, written without response; no init.
//!
//! One 7-byte frame per changed output:
//!
//! | bytes | meaning |
//! |---|---|
//! | `n` | the frame counter: 0 for the first frame after connecting, one more for each frame, wrapping after 255 |
//! | `02 00 03` | header |
//! | `f` | the function: `0c` oscillate, `09` vibrate |
//! | `v` | the level, 0..=100 |
//! | `c` | checksum: (−(`f` + `v`)) mod 256, so `f4 − v` for oscillate and `f7 − v` for vibrate |
//!
//! The counter is the device task's frame number ("Rolling counters" in `protocols/mod.rs`),
//! which moves on with every frame written, as the reference's moves on with every frame it
//! builds. Examples from connect: oscillate 50 is `00 02 00 03 0c 32 c2`, then vibrate 100 is
//! `01 02 00 03 09 64 93`.
//!
//! The Black Hole Plus has an oscillator (feature 0) and a vibrator (feature 1); the Rock only
//! the vibrator, on feature 1.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, FrameNumber, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&TRYFUN_BLACKHOLE];

/// The `tryfun-blackhole` protocol.
pub static TRYFUN_BLACKHOLE: SinglePacket = SinglePacket {
    name: "tryfun-blackhole",
    outputs: Outputs::of(&[OutputType::Oscillate, OutputType::Vibrate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::NumberedPerOutput(packet),
    keepalive: Keepalive::None,
};

/// The frame for one output.
pub fn frame(counter: u8, function: u8, level: u8) -> [u8; 7] {
    let checksum = 0u8.wrapping_sub(function).wrapping_sub(level);
    [counter, 0x02, 0x00, 0x03, function, level, checksum]
}

fn packet(output: &OutputLevel, number: FrameNumber) -> Vec<u8> {
    let function = if output.kind == OutputType::Oscillate { 0x0c } else { 0x09 };
    frame(number.low_byte(), function, clamp_byte(output.value, u8::MAX)).to_vec()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, feature, features, hex, Sim};
    use super::super::{ChangeSet, DeviceHandler};
    use super::*;

    #[test]
    fn frames_count_from_connect() {
        let black_hole = features(&[(Oscillate, 0, 100), (Vibrate, 0, 100)]);
        let mut toy = Sim::new(Box::new(TRYFUN_BLACKHOLE.handler(&black_hole).unwrap()), &black_hole);
        assert_eq!(bytes(&toy.set(0, Oscillate, 50)), [hex("00 02 00 03 0c 32 c2")]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 100)), [hex("01 02 00 03 09 64 93")]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 0)), [hex("02 02 00 03 09 00 f7")]);
        toy.set(1, Vibrate, 100);
        assert_eq!(bytes(&toy.stop()), [hex("04 02 00 03 0c 00 f4"), hex("05 02 00 03 09 00 f7")]);
    }

    #[test]
    fn the_counter_wraps() {
        assert_eq!(frame(0xff, 0x09, 0x32), [0xff, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5]);
        let rock = vec![feature(1, &[(Vibrate, 0, 50)])];
        let handler = TRYFUN_BLACKHOLE.handler(&rock).unwrap();
        let mut levels = OutputLevel::for_features(&rock);
        levels[0].value = 50;
        let at = |n| bytes(&handler.encode_numbered(&levels, ChangeSet::ALL, FrameNumber(n)));
        assert_eq!(at(255), [hex("ff 02 00 03 09 32 c5")]);
        assert_eq!(at(256), [hex("00 02 00 03 09 32 c5")]);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. The first byte counts the frames.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&TRYFUN_BLACKHOLE, None, &[
            Set(&[(0, Oscillate, 50)], &[tx(&[0x00, 0x02, 0x00, 0x03, 0x0c, 0x32, 0xc2])]),
            Set(&[(1, Vibrate, 100)], &[tx(&[0x01, 0x02, 0x00, 0x03, 0x09, 0x64, 0x93])]),
            Stop(&[tx(&[0x02, 0x02, 0x00, 0x03, 0x0c, 0x00, 0xf4]), tx(&[0x03, 0x02, 0x00, 0x03, 0x09, 0x00, 0xf7])]),
        ]),
        // The Rock has feature 1 only.
        Vector::new(&TRYFUN_BLACKHOLE, Some("TF-ROCK"), &[
            Set(&[(1, Vibrate, 50)], &[tx(&[0x00, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5])]),
            Set(&[(1, Vibrate, 1)], &[tx(&[0x01, 0x02, 0x00, 0x03, 0x09, 0x01, 0xf6])]),
            Stop(&[tx(&[0x02, 0x02, 0x00, 0x03, 0x09, 0x00, 0xf7])]),
        ]),
    ];
}
