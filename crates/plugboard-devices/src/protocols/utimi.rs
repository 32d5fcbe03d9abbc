//! Utimi (BLE names `Utimi*`): the Prostate Massager and the KnotVibe ThrustMaster. Service
//! `ffa0` with `tx` `ffa1`, written without response; no init.
//!
//! One packet carries every output and is written whenever any changes:
//!
//! | bytes | meaning |
//! |---|---|
//! | `a0 03` | header |
//! | `s0 s1 s2 s3 s4` | the level of the output on feature 0 .. 4 (0..=255); 0 for a feature without one |
//! | `aa` | end |
//!
//! The database's models have a vibrator on feature 0 and an oscillator on feature 1, so the
//! last three slots stay 0. A stop is `a0 03 00 00 00 00 00 aa`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{levels_by_feature, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// How many level bytes the packet has: one per feature 0..=4.
pub const SLOTS: usize = 5;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&UTIMI];

/// The `utimi` protocol.
pub static UTIMI: SinglePacket = SinglePacket {
    name: "utimi",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate]).up_to_feature(SLOTS as u32 - 1).at_most(SLOTS),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(packet),
    keepalive: Keepalive::None,
};

/// `a0 03 s0 s1 s2 s3 s4 aa`, each output's level in the slot of its feature.
fn packet(outputs: &[OutputLevel]) -> Vec<u8> {
    levels_by_feature(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0xaa], 2, outputs)
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;

    #[test]
    fn whole_state() {
        let massager = features(&[(Vibrate, 0, 255), (Oscillate, 0, 255)]);
        let mut toy = Sim::new(Box::new(UTIMI.handler(&massager).unwrap()), &massager);
        assert_eq!(bytes(&toy.set(0, Vibrate, 100)), [hex("a0 03 64 00 00 00 00 aa")]);
        assert_eq!(bytes(&toy.set(1, Oscillate, 255)), [hex("a0 03 64 ff 00 00 00 aa")]);
        assert_eq!(bytes(&toy.stop()), [hex("a0 03 00 00 00 00 00 aa")]);
    }

    #[test]
    fn five_slots_by_feature() {
        let five = features(&[(Vibrate, 0, 255); 5]);
        let mut toy = Sim::new(Box::new(UTIMI.handler(&five).unwrap()), &five);
        assert_eq!(bytes(&toy.set(4, Vibrate, 9)), [hex("a0 03 00 00 00 00 09 aa")]);
        assert!(UTIMI.handler(&features(&[(Vibrate, 0, 255); 6])).is_err());
        assert!(UTIMI.handler(&features(&[(Rotate, 0, 255)])).is_err());
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
        Vector::new(&UTIMI, Some("Utimi"), &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0xa0, 0x03, 0x64, 0x00, 0x00, 0x00, 0x00, 0xaa])]),
            Set(&[(1, Oscillate, 255)], &[tx(&[0xa0, 0x03, 0x64, 0xff, 0x00, 0x00, 0x00, 0xaa])]),
            Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0xaa])]),
        ]),
        Vector::new(&UTIMI, Some("Utimi000040"), &[
            Set(&[(1, Oscillate, 7)], &[tx(&[0xa0, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0xaa])]),
            Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0xaa])]),
        ]),
    ];
}
