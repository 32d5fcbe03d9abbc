//! Hgod (`hgod`): a vibrator named `AMN NEO`. Packets to `tx` (`ffe1` in service `ffe3`),
//! without response; no init.
//!
//! | vibrate v (0..=10) | bytes |
//! |---|---|
//! | any | `55 04 00 00 00 v` |
//!
//! A packet keeps the toy going for about 100 ms: while the level is not 0 the packet is
//! written again whenever nothing was written for 100 ms ([`Keepalive::WhileRunning`]), and
//! nothing is written while it rests.
//!
//! Differences from the reference engine, deliberate: the reference stores the level and writes
//! it from a loop that wakes every 100 ms, so the first packet goes out up to 100 ms after the
//! command; Plugboard writes it at once. And the reference's stop writes nothing (the toy stops
//! by itself when the packets stop, within about 100 ms); Plugboard writes `55 04 00 00 00 00`
//! once, so a stop takes effect at once and reaches a toy that missed the silence's meaning.

use std::time::Duration;

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// How long the toy runs on one packet.
pub const REPEAT: Duration = Duration::from_millis(100);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&HGOD];

/// The `hgod` protocol: one vibrator.
pub static HGOD: SinglePacket = SinglePacket {
    name: "hgod",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::WhileRunning(REPEAT),
};

/// `55 04 00 00 00 v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x55, 0x04, 0x00, 0x00, 0x00, clamp_byte(level.value, u8::MAX)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 10)]);
        let mut toy = Sim::new(Box::new(HGOD.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 5)), [[0x55, 0x04, 0x00, 0x00, 0x00, 0x05]]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 10)), [[0x55, 0x04, 0x00, 0x00, 0x00, 0x0a]]);
        assert_eq!(bytes(&toy.stop()), [[0x55, 0x04, 0x00, 0x00, 0x00, 0x00]]);
        assert_eq!(toy.handler.keepalive(), Keepalive::WhileRunning(Duration::from_millis(100)));
    }

    #[tokio::test]
    async fn no_init() {
        let hw = FakeHardware::with_endpoints("AMN NEO", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        HGOD.initialize(&hw, None, &features(&[(Vibrate, 0, 10)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert!(HGOD.handler(&features(&[(Vibrate, 0, 10); 2])).is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. The repetition is the device task's
/// (its tests cover it with Hgod's handler).
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&HGOD, None, &[
        Set(&[(0, Vibrate, 5)], &[tx(&[0x55, 0x04, 0x00, 0x00, 0x00, 0x05])]),
        Set(&[(0, Vibrate, 10)], &[tx(&[0x55, 0x04, 0x00, 0x00, 0x00, 0x0a])]),
        // Plugboard's explicit zero (see the module docs).
        Stop(&[tx(&[0x55, 0x04, 0x00, 0x00, 0x00, 0x00])]),
    ])];
}
