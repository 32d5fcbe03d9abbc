//! Bananasome: the Rocket X7 (BLE name `火箭X7`), service `ae00` with `tx` `ae01`, written
//! without response; no init.
//!
//! One packet carries all three motors and is written whenever any of them changes:
//!
//! | bytes | meaning |
//! |---|---|
//! | `a0 03` | header |
//! | `s0 s1 s2` | the level of the output on feature 0, 1, 2 (0..=255); 0 for a feature without one |
//!
//! The database's model has an oscillator on feature 0 and vibrators on features 1 and 2. A stop
//! is `a0 03 00 00 00`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{levels_by_feature, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// How many level bytes the packet has: one per feature 0..=2.
pub const SLOTS: usize = 3;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&BANANASOME];

/// The `bananasome` protocol.
pub static BANANASOME: SinglePacket = SinglePacket {
    name: "bananasome",
    outputs: Outputs::of(&[OutputType::Oscillate, OutputType::Vibrate]).up_to_feature(SLOTS as u32 - 1).at_most(SLOTS),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(packet),
    keepalive: Keepalive::None,
};

/// `a0 03 s0 s1 s2`, each output's level in the slot of its feature.
fn packet(outputs: &[OutputLevel]) -> Vec<u8> {
    levels_by_feature(&[0xa0, 0x03, 0x00, 0x00, 0x00], 2, outputs)
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn whole_state() {
        let features = features(&[(Oscillate, 0, 255), (Vibrate, 0, 255), (Vibrate, 0, 255)]);
        let mut rocket = Sim::new(Box::new(BANANASOME.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&rocket.set(0, Oscillate, 128)), [hex("a0 03 80 00 00")]);
        assert_eq!(bytes(&rocket.set(1, Vibrate, 255)), [hex("a0 03 80 ff 00")]);
        assert_eq!(bytes(&rocket.set(2, Vibrate, 10)), [hex("a0 03 80 ff 0a")]);
        assert_eq!(bytes(&rocket.set(2, Vibrate, 1000)), [hex("a0 03 80 ff ff")], "clamped");
        assert_eq!(bytes(&rocket.stop()), [hex("a0 03 00 00 00")]);
        assert_eq!(bytes(&rocket.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(BANANASOME.handler(&features(&[(Vibrate, 0, 255); 4])).is_err(), "three slots");
        assert!(BANANASOME.handler(&features(&[(Rotate, 0, 255)])).is_err());
        let two = features(&[(Vibrate, 0, 255), (Vibrate, 0, 255)]);
        let mut smaller = Sim::new(Box::new(BANANASOME.handler(&two).unwrap()), &two);
        assert_eq!(bytes(&smaller.set(1, Vibrate, 3)), [hex("a0 03 00 03 00")]);
    }

    #[tokio::test]
    async fn no_init() {
        let hw = FakeHardware::new("火箭X7", "aa");
        let features = features(&[(Oscillate, 0, 255)]);
        let handler = BANANASOME.initialize(&hw, None, &features).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&BANANASOME, None, &[
        Set(&[(0, Oscillate, 128)], &[tx(&[0xa0, 0x03, 0x80, 0x00, 0x00])]),
        Set(&[(1, Vibrate, 255)], &[tx(&[0xa0, 0x03, 0x80, 0xff, 0x00])]),
        Set(&[(2, Vibrate, 10)], &[tx(&[0xa0, 0x03, 0x80, 0xff, 0x0a])]),
        Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00])]),
    ])];
}
