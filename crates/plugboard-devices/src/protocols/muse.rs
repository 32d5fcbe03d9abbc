//! Mu Se (`muse`): the Dream Lover Archer 2 (`WB-ZDB-WST`) and the Galaku Panty Vib
//! (`WB-TDD`), one vibrator each. Two bytes to `tx` (`aaa1` in service `aaa0`), without
//! response; no init.
//!
//! | vibrate v (0..=9) | bytes |
//! |---|---|
//! | 0 | `00 00` |
//! | 1..=9 | `v 01` |
//!
//! **Unverified**: the reference engine lists these toys in its database but has no handler
//! for them (it cannot connect them), and no implementation before it had one either. The
//! bytes come from the community's notes on the vendor's app: the first byte 0 stops; a first
//! byte A with a second byte 0 starts built-in pattern A; with any other second byte, A is a
//! speed that lasts about one second. Plugboard therefore sends `v 01` and repeats the last
//! packet whenever nothing was written for 500 ms ([`Keepalive::RepeatLast`], seeded with
//! `00 00` at connect), so a level holds until it changes. The write type is unknown; without
//! response is what the notes' captures suggest for a characteristic that takes two bytes.

use std::time::Duration;

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest speed the notes found to make a difference.
pub const MAX_VALUE: u8 = 9;
/// Half of the second a speed lasts: a level is repeated before it runs out.
pub const KEEPALIVE: Duration = Duration::from_millis(500);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MUSE];

/// The `muse` protocol: one vibrator.
pub static MUSE: SinglePacket = SinglePacket {
    name: "muse",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::RepeatLast(KEEPALIVE),
};

/// `v 01`, or `00 00` to stop.
fn packet(level: &OutputLevel) -> Vec<u8> {
    match clamp_byte(level.value, MAX_VALUE) {
        0 => vec![0x00, 0x00],
        speed => vec![speed, 0x01],
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 9)]);
        let mut toy = Sim::new(Box::new(MUSE.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.all()), [[0x00, 0x00]], "the keepalive seed is a stop");
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [[0x01, 0x01]]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 9)), [[0x09, 0x01]]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 15)), [[0x09, 0x01]], "clamped, never a pattern");
        assert_eq!(bytes(&toy.stop()), [[0x00, 0x00]]);
        assert_eq!(toy.handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(500)));
    }

    #[tokio::test]
    async fn no_init() {
        let hw = FakeHardware::with_endpoints("WB-TDD", "aa", &[Endpoint::Tx]);
        MUSE.initialize(&hw, Some("WB-TDD"), &features(&[(Vibrate, 0, 9)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert!(MUSE.handler(&features(&[(Vibrate, 0, 9); 2])).is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. From the community's notes (see the
/// module docs): there is no reference handler to take them from.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&MUSE, Some("WB-ZDB-WST"), &[
            Set(&[(0, Vibrate, 5)], &[tx(&[0x05, 0x01])]),
            Stop(&[tx(&[0x00, 0x00])]),
        ]),
        Vector::new(&MUSE, Some("WB-TDD"), &[
            Set(&[(0, Vibrate, 9)], &[tx(&[0x09, 0x01])]),
            Stop(&[tx(&[0x00, 0x00])]),
        ]),
    ];
}
