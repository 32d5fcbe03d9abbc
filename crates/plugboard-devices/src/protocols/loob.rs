//! Joyroid Loob (BLE name `LOOB`): a linear stroker. Service `b75c49d2-04a3-4071-a0b5-35853eb08307`
//! with `tx` `ba5c49d2-…`.
//!
//! | step | packet |
//! |---|---|
//! | init | `00 01 01 f4` to `tx`, with response |
//! | position with duration (feature 0, position 0..=1000, duration in ms) | `pp pp dd dd` without response: position 1..=1000 and duration 1..=65535 ms, both big-endian u16 |
//!
//! A position of 0 is sent as 1 and a duration of 0 as 1 ms, as the reference does. Examples:
//! position 500 in 1000 ms is `01 f4 03 e8`; position 1000 in 0 ms is `03 e8 00 01`.
//!
//! # Where Plugboard differs from the reference
//!
//! * **Long moves**: the database allows moves of up to 100 s, the packet holds 65,535 ms. The
//!   reference cuts the duration to its low 16 bits, so a slow 70 s move becomes a 4.5 s one
//!   (`11 70`); Plugboard clamps it to 65,535 ms (`ff ff`), never a faster move than asked for.
//!
//! **Stops**: as in the reference, a stop leaves positions alone, so nothing is written to a
//! stroker. (To be changed: a stop should halt a move in progress.)

use plugboard_protocol::model::OutputType;

use super::single_packet::{tx_with_response, Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The init packet, written with response.
pub const INIT: [u8; 4] = [0x00, 0x01, 0x01, 0xf4];
/// The position range the device takes.
pub const POSITIONS: std::ops::RangeInclusive<i32> = 1..=1000;
/// The duration range the packet can carry, in ms.
pub const DURATIONS_MS: std::ops::RangeInclusive<u32> = 1..=u16::MAX as u32;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LOOB];

/// The `loob` protocol.
pub static LOOB: SinglePacket = SinglePacket {
    name: "loob",
    outputs: Outputs::of(&[OutputType::HwPositionWithDuration]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[tx_with_response(&INIT)],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `pp pp dd dd`.
fn packet(output: &OutputLevel) -> Vec<u8> {
    let position = output.value.clamp(*POSITIONS.start(), *POSITIONS.end()) as u16;
    let duration = output.duration_ms.unwrap_or(0).clamp(*DURATIONS_MS.start(), *DURATIONS_MS.end()) as u16;
    [position.to_be_bytes(), duration.to_be_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, hex, Sim};
    use super::*;
    use crate::hardware::Write;
    use crate::testing::{Event, FakeHardware};
    use plugboard_protocol::model::{Feature, Output, Range};

    fn stroker() -> Vec<Feature> {
        vec![Feature {
            index: 0,
            description: String::new(),
            outputs: vec![Output {
                kind: HwPositionWithDuration,
                range: Range::new(0, 1000),
                duration: Some(Range::new(0, 100_000)),
            }],
            inputs: Vec::new(),
        }]
    }

    #[test]
    fn moves() {
        let features = stroker();
        let mut toy = Sim::new(Box::new(LOOB.handler(&features).unwrap()), &features);
        let mut moved =
            |position, ms| bytes(&toy.flush_with_duration(&[(0, HwPositionWithDuration, position, Some(ms))]));
        assert_eq!(moved(0, 500), [hex("00 01 01 f4")], "position 0 is sent as 1");
        assert_eq!(moved(500, 1000), [hex("01 f4 03 e8")]);
        assert_eq!(moved(1000, 0), [hex("03 e8 00 01")], "duration 0 is sent as 1 ms");
        assert_eq!(moved(1000, 70_000), [hex("03 e8 ff ff")], "clamped, where the reference wraps to 11 70");
        assert_eq!(moved(1200, 65_535), [hex("03 e8 ff ff")]);
    }

    #[tokio::test]
    async fn init() {
        let hw = FakeHardware::new("LOOB", "aa");
        LOOB.initialize(&hw, None, &stroker()).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Write(Write::with_response(Endpoint::Tx, INIT.to_vec()))]);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&LOOB, None, &[
        Move(&[(0, 500, 1000)], &[tx(&[0x01, 0xf4, 0x03, 0xe8])]),
        Move(&[(0, 0, 500)], &[tx(&[0x00, 0x01, 0x01, 0xf4])]),
        Move(&[(0, 1000, 0)], &[tx(&[0x03, 0xe8, 0x00, 0x01])]),
        Stop(&[]),
    ])];
}
