//! Fleshy Thrust Sync (BLE name `BT05`): a stroker taking moves. Service `ffe0` with `tx`
//! `ffe1`, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | position with duration (feature 0, position 0..=180, duration in ms) | `pos dd dd`: the position, then the duration as a big-endian u16 |
//!
//! Examples: position 90 in 500 ms is `5a 01 f4`; 180 in 1000 ms is `b4 03 e8`.
//!
//! # Where Plugboard differs from the reference
//!
//! * **Long moves**: the database allows moves of up to 100 s, the packet holds 65,535 ms. The
//!   reference cuts the duration to its low 16 bits, so a slow 70 s move (`0x11170`) becomes a
//!   4.5 s one (`11 70`); Plugboard clamps it to 65,535 ms (`ff ff`), the slowest move the
//!   device can be told, never a faster one than asked for.
//!
//! **Stops**: as in the reference, a stop leaves positions alone, so nothing is written to a
//! stroker. (To be changed: a stop should halt a move in progress.)

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The longest move the packet can carry, in ms.
pub const MAX_DURATION_MS: u32 = u16::MAX as u32;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&FLESHY_THRUST];

/// The `fleshy-thrust` protocol.
pub static FLESHY_THRUST: SinglePacket = SinglePacket {
    name: "fleshy-thrust",
    outputs: Outputs::of(&[OutputType::HwPositionWithDuration]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `pos dd dd`.
fn packet(output: &OutputLevel) -> Vec<u8> {
    let duration = output.duration_ms.unwrap_or(0).min(MAX_DURATION_MS) as u16;
    let [high, low] = duration.to_be_bytes();
    vec![clamp_byte(output.value, u8::MAX), high, low]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, hex, Sim};
    use super::*;
    use plugboard_protocol::model::{Feature, Output, Range};

    fn stroker() -> Sim {
        let features = vec![Feature {
            index: 0,
            description: String::new(),
            outputs: vec![Output {
                kind: HwPositionWithDuration,
                range: Range::new(0, 180),
                duration: Some(Range::new(0, 100_000)),
            }],
            inputs: Vec::new(),
        }];
        Sim::new(Box::new(FLESHY_THRUST.handler(&features).unwrap()), &features)
    }

    #[test]
    fn moves() {
        let mut toy = stroker();
        let moved = |toy: &mut Sim, position, ms| bytes(&toy.flush_with_duration(&[(0, HwPositionWithDuration, position, Some(ms))]));
        assert_eq!(moved(&mut toy, 90, 500), [hex("5a 01 f4")]);
        assert_eq!(moved(&mut toy, 180, 1000), [hex("b4 03 e8")]);
        assert_eq!(moved(&mut toy, 0, 0), [hex("00 00 00")]);
        assert_eq!(moved(&mut toy, 10, 65_535), [hex("0a ff ff")]);
        assert_eq!(moved(&mut toy, 10, 70_000), [hex("0a ff ff")], "clamped, where the reference wraps to 11 70");
        assert_eq!(bytes(&toy.stop()), Vec::<Vec<u8>>::new(), "the encoder leaves positions to the device task");
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&FLESHY_THRUST, None, &[
        Move(&[(0, 90, 500)], &[tx(&[0x5a, 0x01, 0xf4])]),
        Move(&[(0, 180, 1000)], &[tx(&[0xb4, 0x03, 0xe8])]),
        Move(&[(0, 10, 100_000)], &[tx(&[0x0a, 0xff, 0xff])]),
        Stop(&[]),
    ])];
}
