//! Sexverse V6 (BLE names `A06K01C` Aether, `A14M01C` Sirius): a vibrator, an oscillator and,
//! on the Sirius, a suction. Service `ffaa` with `tx` `aa02`, written without response; no
//! init.
//!
//! One packet carries every output and is written whenever any changes:
//!
//! | bytes | meaning |
//! |---|---|
//! | `aa 03 03` | header |
//! | `vib osc suck` | the vibrate, oscillate and constrict (suction) levels, 0..=100; 0 for one the model lacks |
//!
//! A stop is `aa 03 03 00 00 00`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, value_of_type, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SEXVERSE_V6];

/// The `sexverse-v6` protocol.
pub static SEXVERSE_V6: SinglePacket = SinglePacket {
    name: "sexverse-v6",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate, OutputType::Constrict]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(packet),
    keepalive: Keepalive::None,
};

/// `aa 03 03 vib osc suck`.
fn packet(outputs: &[OutputLevel]) -> Vec<u8> {
    let of = |kind: OutputType| clamp_byte(value_of_type(outputs, kind), u8::MAX);
    vec![0xaa, 0x03, 0x03, of(OutputType::Vibrate), of(OutputType::Oscillate), of(OutputType::Constrict)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;

    #[test]
    fn whole_state() {
        let sirius = features(&[(Vibrate, 0, 100), (Oscillate, 0, 100), (Constrict, 0, 100)]);
        let mut toy = Sim::new(Box::new(SEXVERSE_V6.handler(&sirius).unwrap()), &sirius);
        assert_eq!(bytes(&toy.set(0, Vibrate, 50)), [hex("aa 03 03 32 00 00")]);
        assert_eq!(bytes(&toy.set(1, Oscillate, 20)), [hex("aa 03 03 32 14 00")]);
        assert_eq!(bytes(&toy.set(2, Constrict, 100)), [hex("aa 03 03 32 14 64")]);
        assert_eq!(bytes(&toy.stop()), [hex("aa 03 03 00 00 00")]);

        let aether = features(&[(Vibrate, 0, 100), (Oscillate, 0, 100)]);
        let mut toy = Sim::new(Box::new(SEXVERSE_V6.handler(&aether).unwrap()), &aether);
        assert_eq!(bytes(&toy.set(1, Oscillate, 3)), [hex("aa 03 03 00 03 00")]);
        assert!(SEXVERSE_V6.handler(&features(&[(Vibrate, 0, 100); 2])).is_err());
    }

    #[test]
    fn a_suction_defined_as_inflate_takes_the_suction_byte() {
        let sirius = features(&[(Vibrate, 0, 100), (Oscillate, 0, 100), (Inflate, 0, 100)]);
        let mut toy = Sim::new(Box::new(SEXVERSE_V6.handler(&sirius).unwrap()), &sirius);
        assert_eq!(bytes(&toy.set(2, Inflate, 40)), [hex("aa 03 03 00 00 28")]);
        assert_eq!(bytes(&toy.stop()), [hex("aa 03 03 00 00 00")]);
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
        Vector::new(&SEXVERSE_V6, Some("A14M01C"), &[
            Set(&[(0, Vibrate, 50)], &[tx(&[0xaa, 0x03, 0x03, 0x32, 0x00, 0x00])]),
            Set(&[(1, Oscillate, 20)], &[tx(&[0xaa, 0x03, 0x03, 0x32, 0x14, 0x00])]),
            Set(&[(2, Constrict, 100)], &[tx(&[0xaa, 0x03, 0x03, 0x32, 0x14, 0x64])]),
            Stop(&[tx(&[0xaa, 0x03, 0x03, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SEXVERSE_V6, Some("A06K01C"), &[
            Set(&[(1, Oscillate, 20)], &[tx(&[0xaa, 0x03, 0x03, 0x00, 0x14, 0x00])]),
            Stop(&[tx(&[0xaa, 0x03, 0x03, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
