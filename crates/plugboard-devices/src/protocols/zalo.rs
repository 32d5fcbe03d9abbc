//! Zalo: Queen, King, Jeanne (`ZALO-*`); svc 0xFFF0, `tx` 0xFFF1,
//! written with response; no init.
//!
//! One packet carries both motors and is resent whole when either changes:
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | mode: `02` (off) when both motors are 0, else `01` |
//! | 1 | motor on feature 0, 1..=8 (0 is sent as `01`) |
//! | 2 | motor on feature 1, 1..=8 (0 or no second motor is sent as `01`) |
//!
//! So a stop is `02 01 01`. Like the reference, a motor at 0 while the other runs is sent as
//! `01`: the packet has no per-motor "off" that is known to work, so that motor may keep running
//! at its lowest level until both are 0.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest motor value.
pub const MAX_VALUE: u8 = 8;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&ZALO];

/// The `zalo` protocol: vibrators on features 0 and (optionally) 1.
pub static ZALO: SinglePacket = SinglePacket {
    name: "zalo",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::WholeState(state_packet),
    keepalive: Keepalive::None,
};

/// The packet for motor levels `a` (feature 0) and `b` (feature 1).
pub fn packet(a: i32, b: i32) -> [u8; 3] {
    let (a, b) = (clamp_byte(a, MAX_VALUE), clamp_byte(b, MAX_VALUE));
    let mode = if a == 0 && b == 0 { 0x02 } else { 0x01 };
    [mode, a.max(1), b.max(1)]
}

/// The packet for the motors on features 0 and 1 (0 for one the device lacks).
fn state_packet(levels: &[OutputLevel]) -> Vec<u8> {
    let motor = |index: u32| levels.iter().find(|level| level.feature_index == index).map_or(0, |level| level.value);
    packet(motor(0), motor(1)).to_vec()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(ZALO.handler(&features).unwrap()), &features)
    }

    #[test]
    fn two_motors() {
        // Queen, King.
        let mut queen = sim(&[(Vibrate, 0, 8), (Vibrate, 0, 8)]);
        assert_eq!(bytes_with_response(&queen.set(0, Vibrate, 5)), [[0x01, 0x05, 0x01]]);
        assert_eq!(bytes_with_response(&queen.set(1, Vibrate, 8)), [[0x01, 0x05, 0x08]]);
        assert_eq!(bytes_with_response(&queen.set(0, Vibrate, 0)), [[0x01, 0x01, 0x08]]);
        assert_eq!(bytes_with_response(&queen.flush(&[(0, Vibrate, 2), (1, Vibrate, 30)])), [[0x01, 0x02, 0x08]]);
        assert_eq!(bytes_with_response(&queen.stop()), [[0x02, 0x01, 0x01]]);
        assert_eq!(bytes_with_response(&queen.stop()), Vec::<Vec<u8>>::new());
        assert_eq!(bytes_with_response(&queen.all()), [[0x02, 0x01, 0x01]]);
    }

    #[test]
    fn one_motor() {
        // Defaults (Jeanne).
        let mut jeanne = sim(&[(Vibrate, 0, 8)]);
        assert_eq!(bytes_with_response(&jeanne.set(0, Vibrate, 3)), [[0x01, 0x03, 0x01]]);
        assert_eq!(bytes_with_response(&jeanne.stop()), [[0x02, 0x01, 0x01]]);
    }

    #[test]
    fn definitions() {
        assert!(ZALO.handler(&[]).is_err());
        assert!(ZALO.handler(&features(&[(Vibrate, 0, 8); 3])).is_err());
        assert!(ZALO.handler(&features(&[(Rotate, 0, 8)])).is_err());
        assert_eq!(packet(-4, 0), [0x02, 0x01, 0x01]);
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(ZALO.name(), "zalo");
        let hw = FakeHardware::new("ZALO-Queen", "aa");
        let handler = ZALO.initialize(&hw, Some("ZALO-Queen"), &features(&[(Vibrate, 0, 8); 2])).await.unwrap();
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
        Vector::new(&ZALO, Some("ZALO-Queen"), &[
            Set(&[(0, Vibrate, 5)], &[tx_with_response(&[0x01, 0x05, 0x01])]),
            Set(&[(1, Vibrate, 8)], &[tx_with_response(&[0x01, 0x05, 0x08])]),
            Stop(&[tx_with_response(&[0x02, 0x01, 0x01])]),
        ]),
        Vector::new(&ZALO, Some("ZALO-Jeanne"), &[
            Set(&[(0, Vibrate, 3)], &[tx_with_response(&[0x01, 0x03, 0x01])]),
            Stop(&[tx_with_response(&[0x02, 0x01, 0x01])]),
        ]),
    ];
}
