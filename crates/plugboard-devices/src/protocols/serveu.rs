//! ServeU (BLE name `ServeU`): a stroker taking a goal position and a speed. Service
//! `31bb1111-33e3-4f3c-a7fb-104288e7cb77` with `tx` `31bb2222-…`, written without response; no
//! init.
//!
//! | output | packet |
//! |---|---|
//! | position with duration (feature 0, position 0..=100, duration in ms) | `01 goal speed` |
//!
//! The device moves at a speed code rather than for a time. From the distance to the position
//! last written (0 before the first move) and the duration, the rate `t` = ⌈distance ÷
//! seconds⌉ in positions per second gives the code:
//!
//! | t | speed |
//! |---|---|
//! | 0 | `00` |
//! | up to 50 | ⌈t ÷ 2⌉ |
//! | up to 750 | ⌈(t − 50) ÷ 4⌉ + 25 |
//! | up to 2000 | ⌈(t − 750) ÷ 25⌉ + 200 |
//! | faster, or a duration of 0 | `fa` (250) |
//!
//! Examples: 0 to 100 in 1 s is `01 64 26`; 100 to 0 in 2 s is `01 00 19`; 0 to 50 in 100 ms is
//! `01 32 8a`. A duration of 0 gives `fa` even where nothing moves, as in the reference.
//!
//! Like the other strokers' encoders, this one reads where the stroker was from the level's
//! last written position ([`OutputLevel::last_written`]) instead of remembering it.
//!
//! **Stops**: as in the reference, a stop leaves positions alone, so nothing is written to a
//! stroker. (To be changed: a stop should halt a move in progress.)

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The speed code of the fastest moves.
pub const FASTEST: u8 = 0xfa;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SERVEU];

/// The `serveu` protocol.
pub static SERVEU: SinglePacket = SinglePacket {
    name: "serveu",
    outputs: Outputs::of(&[OutputType::HwPositionWithDuration]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// The speed code for moving `distance` positions in `duration_ms`.
pub fn speed(distance: u32, duration_ms: u32) -> u8 {
    let rate = (f64::from(distance) / (f64::from(duration_ms) / 1000.0)).ceil();
    // A duration of 0 gives an infinite rate, or NaN with no distance: both are the fastest.
    if rate.is_nan() || rate > 2000.0 {
        FASTEST
    } else if rate <= 0.00001 {
        0
    } else if rate <= 50.0 {
        (rate / 2.0).ceil() as u8
    } else if rate <= 750.0 {
        ((rate - 50.0) / 4.0).ceil() as u8 + 25
    } else {
        ((rate - 750.0) / 25.0).ceil() as u8 + 200
    }
}

/// `01 goal speed`.
fn packet(output: &OutputLevel) -> Vec<u8> {
    let (goal, last) = (clamp_byte(output.value, u8::MAX), clamp_byte(output.last_written, u8::MAX));
    vec![0x01, goal, speed(u32::from(goal.abs_diff(last)), output.duration_ms.unwrap_or(0))]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, hex, Sim};
    use super::*;
    use plugboard_protocol::model::{Feature, Output, Range};

    #[test]
    fn speed_codes() {
        let table = [
            (100, 1000, 38),
            (100, 2000, 25),
            (50, 100, 138),
            (100, 50, 250),
            (0, 500, 0),
            (1, 1000, 1),
            (10, 3000, 2),
            (100, 0, 250),
            (0, 0, 250),
            (75, 100, 200),
            (76, 100, 201),
            (100, 40, 250),
        ];
        for (distance, ms, code) in table {
            assert_eq!(speed(distance, ms), code, "{distance} in {ms} ms");
        }
    }

    #[test]
    fn moves_from_the_last_position() {
        let features = vec![Feature {
            index: 0,
            description: String::new(),
            outputs: vec![Output {
                kind: HwPositionWithDuration,
                range: Range::new(0, 100),
                duration: Some(Range::new(0, 100_000)),
            }],
            inputs: Vec::new(),
        }];
        let mut toy = Sim::new(Box::new(SERVEU.handler(&features).unwrap()), &features);
        let mut moved =
            |position, ms| bytes(&toy.flush_with_duration(&[(0, HwPositionWithDuration, position, Some(ms))]));
        assert_eq!(moved(100, 1000), [hex("01 64 26")]);
        assert_eq!(moved(0, 2000), [hex("01 00 19")]);
        assert_eq!(moved(50, 100), [hex("01 32 8a")]);
        assert_eq!(moved(50, 500), [hex("01 32 00")], "nothing to move");
        assert_eq!(moved(50, 0), [hex("01 32 fa")], "no time: the fastest code, as in the reference");
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&SERVEU, None, &[
        Move(&[(0, 100, 1000)], &[tx(&[0x01, 0x64, 0x26])]),
        Move(&[(0, 0, 2000)], &[tx(&[0x01, 0x00, 0x19])]),
        Move(&[(0, 50, 100)], &[tx(&[0x01, 0x32, 0x8a])]),
        // 50 positions in 50 ms: 1000 a second.
        Move(&[(0, 100, 50)], &[tx(&[0x01, 0x64, 0xd2])]),
        Move(&[(0, 0, 20)], &[tx(&[0x01, 0x00, 0xfa])]),
        Move(&[(0, 30, 1000)], &[tx(&[0x01, 0x1e, 0x0f])]),
        Stop(&[]),
    ])];
}
