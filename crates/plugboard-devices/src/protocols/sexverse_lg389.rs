//! Sexverse LG389 (BLE name `LG389`): a vibrator and an oscillator. Service `bae0` with `tx`
//! `bae1`, written **with** response; no init.
//!
//! One 10-byte packet carries both outputs and is written whenever either changes:
//!
//! | bytes | meaning |
//! |---|---|
//! | `aa 05` | header |
//! | `vib` | the vibrate level, 0..=3 |
//! | `14` | constant |
//! | `anchor 00` | `01` while the oscillator runs (moves anchored to the base), else `00` |
//! | `range 00` | `04` while the oscillator runs (the full stroke), else `00` |
//! | `osc 00` | the oscillate level, 0..=10 |
//!
//! A stop is `aa 05 00 14 00 00 00 00 00 00`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, value_of_type, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SEXVERSE_LG389];

/// The `sexverse-lg389` protocol.
pub static SEXVERSE_LG389: SinglePacket = SinglePacket {
    name: "sexverse-lg389",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::WholeState(state_packet),
    keepalive: Keepalive::None,
};

/// The packet for the vibrate and oscillate levels.
pub fn packet(vibrate: i32, oscillate: i32) -> [u8; 10] {
    let (vibrate, oscillate) = (clamp_byte(vibrate, u8::MAX), clamp_byte(oscillate, u8::MAX));
    let (anchor, range) = if oscillate == 0 { (0x00, 0x00) } else { (0x01, 0x04) };
    [0xaa, 0x05, vibrate, 0x14, anchor, 0x00, range, 0x00, oscillate, 0x00]
}

fn state_packet(outputs: &[OutputLevel]) -> Vec<u8> {
    packet(value_of_type(outputs, OutputType::Vibrate), value_of_type(outputs, OutputType::Oscillate)).to_vec()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;

    #[test]
    fn whole_state() {
        let lg389 = features(&[(Vibrate, 0, 3), (Oscillate, 0, 10)]);
        let mut toy = Sim::new(Box::new(SEXVERSE_LG389.handler(&lg389).unwrap()), &lg389);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 2)), [hex("aa 05 02 14 00 00 00 00 00 00")]);
        assert_eq!(bytes_with_response(&toy.set(1, Oscillate, 5)), [hex("aa 05 02 14 01 00 04 00 05 00")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 0)), [hex("aa 05 00 14 01 00 04 00 05 00")]);
        assert_eq!(bytes_with_response(&toy.stop()), [hex("aa 05 00 14 00 00 00 00 00 00")]);
        assert!(SEXVERSE_LG389.handler(&features(&[(Vibrate, 0, 3); 2])).is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&SEXVERSE_LG389, None, &[
        Set(&[(0, Vibrate, 2)], &[tx_with_response(&[0xaa, 0x05, 0x02, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        Set(&[(1, Oscillate, 5)], &[tx_with_response(&[0xaa, 0x05, 0x02, 0x14, 0x01, 0x00, 0x04, 0x00, 0x05, 0x00])]),
        Set(&[(0, Vibrate, 0)], &[tx_with_response(&[0xaa, 0x05, 0x00, 0x14, 0x01, 0x00, 0x04, 0x00, 0x05, 0x00])]),
        Set(&[(0, Vibrate, 3)], &[tx_with_response(&[0xaa, 0x05, 0x03, 0x14, 0x01, 0x00, 0x04, 0x00, 0x05, 0x00])]),
        Stop(&[tx_with_response(&[0xaa, 0x05, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
    ])];
}
