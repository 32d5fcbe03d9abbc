//! Je Joue (BLE name `Je Joue`): two vibrators. Service `fff0` with `tx` `fff1`, written without
//! response; no init.
//!
//! One 2-byte packet `pattern speed`, written whenever either motor changes, from the levels
//! `a0` (feature 0) and `a1` (feature 1), 0..=5:
//!
//! | a0 | a1 | packet |
//! |---|---|---|
//! | 0 | 0 | `01 00` |
//! | above 0 | any | `02 a0` |
//! | 0 | above 0 | `03 a1` |
//!
//! So only one motor runs at a time, the first one winning: the second is ignored while the
//! first runs. Pattern 1 may well have been meant for "both", but nothing confirms how the
//! device takes a speed with it, so Plugboard sends exactly what the reference does.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&JEJOUE];

/// The `jejoue` protocol.
pub static JEJOUE: SinglePacket = SinglePacket {
    name: "jejoue",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(1).at_most(2),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(state_packet),
    keepalive: Keepalive::None,
};

/// The packet for the levels of the first (`a0`) and second (`a1`) motor.
pub fn packet(a0: i32, a1: i32) -> [u8; 2] {
    let (a0, a1) = (clamp_byte(a0, u8::MAX), clamp_byte(a1, u8::MAX));
    match (a0, a1) {
        (0, 0) => [0x01, 0x00],
        (0, _) => [0x03, a1],
        _ => [0x02, a0],
    }
}

fn state_packet(outputs: &[OutputLevel]) -> Vec<u8> {
    let motor = |feature: u32| outputs.iter().find(|output| output.feature_index == feature).map_or(0, |o| o.value);
    packet(motor(0), motor(1)).to_vec()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::*;

    #[test]
    fn one_motor_at_a_time() {
        let features = features(&[(Vibrate, 0, 5), (Vibrate, 0, 5)]);
        let mut toy = Sim::new(Box::new(JEJOUE.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 3)), [[0x02, 0x03]]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 5)), [[0x02, 0x03]], "the second waits while the first runs");
        assert_eq!(bytes(&toy.set(0, Vibrate, 0)), [[0x03, 0x05]]);
        assert_eq!(bytes(&toy.stop()), [[0x01, 0x00]]);
        assert_eq!(packet(-1, 0), [0x01, 0x00]);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&JEJOUE, None, &[
        Set(&[(0, Vibrate, 3)], &[tx(&[0x02, 0x03])]),
        Set(&[(1, Vibrate, 5)], &[tx(&[0x02, 0x03])]),
        Set(&[(0, Vibrate, 0)], &[tx(&[0x03, 0x05])]),
        Set(&[(0, Vibrate, 1)], &[tx(&[0x02, 0x01])]),
        Stop(&[tx(&[0x01, 0x00])]),
    ])];
}
