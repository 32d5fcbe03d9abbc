//! Motorbunny: Classic (`MB Controller`) and Buck
//! (`MB LINK 201`). Service 0xFFF0, `tx` 0xFFF6; no init; every write without response.
//!
//! The reference database gives both models the defaults: vibrate on feature 0 (0..=255) and
//! rotate on feature 1 (-255..=255). Each output has its own packet:
//!
//! | output | level | packet |
//! |---|---|---|
//! | vibrate | S > 0 | `ff` + 7 x `[S 14]` + sum + `ec` (17 bytes) |
//! | vibrate | 0 | `f0 00 00 00 00 ec` |
//! | rotate | R != 0 | `af` + 7 x `[dir abs(R)]` + sum + `ec`, dir `2a` clockwise (R > 0), `29` counter-clockwise |
//! | rotate | 0 | `a0 00 00 00 00 ec` |
//!
//! `sum` is the wrapping 8-bit sum of the 14 repeated bytes.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The vibrate stop packet.
pub const VIBRATE_STOP: [u8; 6] = [0xf0, 0x00, 0x00, 0x00, 0x00, 0xec];
/// The rotate stop packet.
pub const ROTATE_STOP: [u8; 6] = [0xa0, 0x00, 0x00, 0x00, 0x00, 0xec];

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MOTORBUNNY];

/// The `motorbunny` protocol: at most one vibrate and one rotate output.
pub static MOTORBUNNY: SinglePacket = SinglePacket {
    name: "motorbunny",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Rotate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// The packet of a vibrate or rotate output.
fn packet(level: &OutputLevel) -> Vec<u8> {
    match level.kind {
        OutputType::Rotate => rotate_packet(level.value),
        _ => vibrate_packet(level.value),
    }
}

/// `head` + 7 x `pair` + wrapping sum of the 14 pair bytes + `ec`.
fn framed(head: u8, pair: [u8; 2]) -> Vec<u8> {
    let body: Vec<u8> = pair.repeat(7);
    let sum = body.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte));
    let mut packet = Vec::with_capacity(17);
    packet.push(head);
    packet.extend_from_slice(&body);
    packet.extend_from_slice(&[sum, 0xec]);
    packet
}

/// The vibrate packet for level 0..=255 (clamped).
pub fn vibrate_packet(level: i32) -> Vec<u8> {
    match level.clamp(0, 255) as u8 {
        0 => VIBRATE_STOP.to_vec(),
        s => framed(0xff, [s, 0x14]),
    }
}

/// The rotate packet for speed -255..=255 (clamped; the sign is the direction).
pub fn rotate_packet(speed: i32) -> Vec<u8> {
    let magnitude = speed.unsigned_abs().min(255) as u8;
    if magnitude == 0 {
        return ROTATE_STOP.to_vec();
    }
    let direction = if speed > 0 { 0x2a } else { 0x29 };
    framed(0xaf, [direction, magnitude])
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::Feature;
    use crate::hardware::Write;
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn w(data: &[u8]) -> Write {
        Write { endpoint: Endpoint::Tx, data: data.to_vec(), with_response: false }
    }

    /// The reference database's Motorbunny features.
    fn bunny() -> Vec<Feature> {
        features(&[(Vibrate, 0, 255), (Rotate, -255, 255)])
    }

    #[test]
    fn vibrate_packets() {
        // S = 0x80: pairs 80 14, sum 7 * 0x94 = 0x40c -> 0x0c.
        assert_eq!(
            vibrate_packet(0x80),
            [0xff, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x0c, 0xec]
        );
        // S = 1: sum 7 * 0x15 = 0x93.
        assert_eq!(vibrate_packet(1)[15], 0x93);
        // S = 255: 7 * 0x113 = 0x785 -> 0x85.
        assert_eq!(vibrate_packet(255)[1..3], [0xff, 0x14]);
        assert_eq!(vibrate_packet(255)[15..], [0x85, 0xec]);
        assert_eq!(vibrate_packet(999), vibrate_packet(255));
        assert_eq!(vibrate_packet(0), VIBRATE_STOP);
        assert_eq!(vibrate_packet(-3), VIBRATE_STOP);
    }

    #[test]
    fn rotate_packets() {
        // Clockwise 0x10: pairs 2a 10, sum 7 * 0x3a = 0x196 -> 0x96.
        assert_eq!(
            rotate_packet(0x10),
            [0xaf, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x96, 0xec]
        );
        // Counter-clockwise 255: pairs 29 ff, sum 7 * 0x128 = 0x818 -> 0x18.
        assert_eq!(
            rotate_packet(-255),
            [0xaf, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x18, 0xec]
        );
        assert_eq!(rotate_packet(-1000), rotate_packet(-255));
        assert_eq!(rotate_packet(0), ROTATE_STOP);
    }

    #[test]
    fn outputs_have_their_own_packets() {
        let features = bunny();
        let mut toy = Sim::new(Box::new(MOTORBUNNY.handler(&features).unwrap()), &features);
        assert_eq!(toy.set(0, Vibrate, 0x80), [w(&vibrate_packet(0x80))]);
        assert_eq!(toy.set(1, Rotate, -255), [w(&rotate_packet(-255))]);
        assert_eq!(toy.flush(&[(0, Vibrate, 1), (1, Rotate, 16)]), [w(&vibrate_packet(1)), w(&rotate_packet(16))]);
        assert_eq!(toy.set(1, Rotate, 0), [w(&ROTATE_STOP)]);
        assert_eq!(toy.stop(), [w(&VIBRATE_STOP)]);
        assert_eq!(toy.stop(), []);
        toy.flush(&[(0, Vibrate, 9), (1, Rotate, -9)]);
        assert_eq!(toy.stop(), [w(&VIBRATE_STOP), w(&ROTATE_STOP)]);
    }

    #[test]
    fn definitions() {
        assert!(MOTORBUNNY.handler(&[]).is_err());
        assert!(MOTORBUNNY.handler(&features(&[(Vibrate, 0, 255); 2])).is_err());
        assert!(MOTORBUNNY.handler(&features(&[(Oscillate, 0, 255)])).is_err());
        let vibrate_only = features(&[(Vibrate, 0, 255)]);
        let mut toy = Sim::new(Box::new(MOTORBUNNY.handler(&vibrate_only).unwrap()), &vibrate_only);
        assert_eq!(toy.set(0, Vibrate, 3), [w(&vibrate_packet(3))]);
        // Rotate on feature 0 works too: packets do not carry the feature index.
        let rotate_first = vec![feature(0, &[(Rotate, -255, 255)])];
        assert!(MOTORBUNNY.handler(&rotate_first).is_ok());
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(MOTORBUNNY.name(), "motorbunny");
        let hw = FakeHardware::new("MB Controller", "aa");
        let handler = MOTORBUNNY.initialize(&hw, Some("MB Controller"), &bunny()).await.unwrap();
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
        Vector::new(&MOTORBUNNY, Some("MB Controller"), &[
            Set(&[(0, Vibrate, 0x80)], &[tx(&[
                0xff, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x0c, 0xec,
            ])]),
            // Counter-clockwise (29), then clockwise (2a).
            Set(&[(1, Rotate, -255)], &[tx(&[
                0xaf, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x29, 0xff, 0x18, 0xec,
            ])]),
            Set(&[(1, Rotate, 16)], &[tx(&[
                0xaf, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x2a, 0x10, 0x96, 0xec,
            ])]),
            Stop(&[tx(&[0xf0, 0x00, 0x00, 0x00, 0x00, 0xec]), tx(&[0xa0, 0x00, 0x00, 0x00, 0x00, 0xec])]),
        ]),
    ];
}
