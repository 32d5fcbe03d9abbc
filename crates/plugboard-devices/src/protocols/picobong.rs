//! Picobong: Blow hole, Diver, Life guard, Surfer (and their
//! `Picobong ...` names); svc 0xFFF0, `tx` 0xFFF1, written without response; no init.
//!
//! | level | packet |
//! |---|---|
//! | 0 (stop) | `01 ff 00` |
//! | S = 1..=10 | `01 01 S` |
//!
//! The second byte is the mode: `01` steady, `ff` off. The devices have one vibrator.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest vibrate value.
pub const MAX_VALUE: u8 = 10;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&PICOBONG];

/// The `picobong` protocol.
pub static PICOBONG: SinglePacket = SinglePacket {
    name: "picobong",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(|level: &OutputLevel| packet(level.value).to_vec()),
    keepalive: Keepalive::None,
};

/// The packet for level `value`.
pub fn packet(value: i32) -> [u8; 3] {
    let s = clamp_byte(value, MAX_VALUE);
    [0x01, if s == 0 { 0xff } else { 0x01 }, s]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate_and_stop() {
        let features = features(&[(Vibrate, 0, 10)]);
        let mut diver = Sim::new(Box::new(PICOBONG.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&diver.set(0, Vibrate, 10)), [[0x01, 0x01, 0x0a]]);
        assert_eq!(bytes(&diver.set(0, Vibrate, 1)), [[0x01, 0x01, 0x01]]);
        assert_eq!(bytes(&diver.set(0, Vibrate, 11)), [[0x01, 0x01, 0x0a]], "clamped");
        assert_eq!(bytes(&diver.stop()), [[0x01, 0xff, 0x00]]);
        assert_eq!(bytes(&diver.stop()), Vec::<Vec<u8>>::new());
        assert_eq!(packet(-1), [0x01, 0xff, 0x00]);
    }

    #[test]
    fn definitions() {
        assert!(PICOBONG.handler(&[]).is_err());
        assert!(PICOBONG.handler(&features(&[(Vibrate, 0, 10); 2])).is_err());
        assert!(PICOBONG.handler(&features(&[(Oscillate, 0, 10)])).is_err());
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(PICOBONG.name(), "picobong");
        let hw = FakeHardware::new("Diver", "aa");
        let handler = PICOBONG.initialize(&hw, Some("Diver"), &features(&[(Vibrate, 0, 10)])).await.unwrap();
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
        Vector::new(&PICOBONG, Some("Diver"), &[
            Set(&[(0, Vibrate, 10)], &[tx(&[0x01, 0x01, 0x0a])]),
            Set(&[(0, Vibrate, 1)], &[tx(&[0x01, 0x01, 0x01])]),
            Stop(&[tx(&[0x01, 0xff, 0x00])]),
        ]),
    ];
}
