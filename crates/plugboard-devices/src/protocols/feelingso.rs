//! FeelingSo: the Flair Feel (BLE name `Flair Feel`), a vibrator and an oscillator. Service
//! `42410001-0000-0101-0000-736278637a72` with `tx` `42410002-…`, written without response; no
//! init.
//!
//! One packet carries both outputs and is written whenever either changes:
//!
//! | bytes | meaning |
//! |---|---|
//! | `aa 40 03` | header |
//! | `vib osc` | the vibrate and oscillate levels, 0..=19 in the database |
//! | `14 19` | constants: the reference calls the first an oscillation range (1 to 4) and the second maybe a checksum, and never changes either; so neither does Plugboard |
//!
//! A stop is `aa 40 03 00 00 14 19`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, value_of_type, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&FEELINGSO];

/// The `feelingso` protocol.
pub static FEELINGSO: SinglePacket = SinglePacket {
    name: "feelingso",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(packet),
    keepalive: Keepalive::None,
};

/// `aa 40 03 vib osc 14 19`.
fn packet(outputs: &[OutputLevel]) -> Vec<u8> {
    let of = |kind: OutputType| clamp_byte(value_of_type(outputs, kind), u8::MAX);
    vec![0xaa, 0x40, 0x03, of(OutputType::Vibrate), of(OutputType::Oscillate), 0x14, 0x19]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;

    #[test]
    fn whole_state() {
        let flair_feel = features(&[(Vibrate, 0, 19), (Oscillate, 0, 19)]);
        let mut flair = Sim::new(Box::new(FEELINGSO.handler(&flair_feel).unwrap()), &flair_feel);
        assert_eq!(bytes(&flair.set(0, Vibrate, 10)), [hex("aa 40 03 0a 00 14 19")]);
        assert_eq!(bytes(&flair.set(1, Oscillate, 19)), [hex("aa 40 03 0a 13 14 19")]);
        assert_eq!(bytes(&flair.stop()), [hex("aa 40 03 00 00 14 19")]);
        assert!(FEELINGSO.handler(&flair_feel[..1]).is_ok());
        assert!(FEELINGSO.handler(&features(&[(Rotate, 0, 19)])).is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&FEELINGSO, None, &[
        Set(&[(0, Vibrate, 10)], &[tx(&[0xaa, 0x40, 0x03, 0x0a, 0x00, 0x14, 0x19])]),
        Set(&[(1, Oscillate, 19)], &[tx(&[0xaa, 0x40, 0x03, 0x0a, 0x13, 0x14, 0x19])]),
        Stop(&[tx(&[0xaa, 0x40, 0x03, 0x00, 0x00, 0x14, 0x19])]),
    ])];
}
