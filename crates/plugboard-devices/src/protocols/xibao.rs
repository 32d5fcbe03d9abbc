//! Xibao smart masturbation cup (`CCYB_*`): service 0xFFF0, `tx` 0xFFF2, written without
//! response; no init.
//!
//! | output | packet |
//! |---|---|
//! | oscillate v (0..=99) | `66 3a 00 06 00 06 01 02 00 02 04 v c` |
//!
//! `c` is the sum of the twelve bytes before it, modulo 256, so v + `b5` (`b5` for the stop, `18`
//! for 99).

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&XIBAO];

/// The `xibao` protocol: one oscillator.
pub static XIBAO: SinglePacket = SinglePacket {
    name: "xibao",
    outputs: Outputs::of(&[OutputType::Oscillate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `66 3a 00 06 00 06 01 02 00 02 04 v c`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(level.value, u8::MAX);
    vec![0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, v, v.wrapping_add(0xb5)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn oscillate() {
        let features = features(&[(Oscillate, 0, 99)]);
        let mut cup = Sim::new(Box::new(XIBAO.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&cup.set(0, Oscillate, 1)), [hex("66 3a 00 06 00 06 01 02 00 02 04 01 b6")]);
        assert_eq!(bytes(&cup.set(0, Oscillate, 50)), [hex("66 3a 00 06 00 06 01 02 00 02 04 32 e7")]);
        assert_eq!(bytes(&cup.set(0, Oscillate, 99)), [hex("66 3a 00 06 00 06 01 02 00 02 04 63 18")]);
        assert_eq!(bytes(&cup.stop()), [hex("66 3a 00 06 00 06 01 02 00 02 04 00 b5")]);
        assert_eq!(cup.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(XIBAO.name(), "xibao");
        assert!(XIBAO.handler(&features(&[(Vibrate, 0, 99)])).is_err());
        let hw = FakeHardware::new("CCYB_1", "aa");
        XIBAO.initialize(&hw, None, &features(&[(Oscillate, 0, 99)])).await.unwrap();
        assert!(hw.events().is_empty());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&XIBAO, None, &[
        Set(&[(0, Oscillate, 50)], &[tx(&[0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, 0x32, 0xe7])]),
        Set(&[(0, Oscillate, 99)], &[tx(&[0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, 0x63, 0x18])]),
        Stop(&[tx(&[0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, 0x00, 0xb5])]),
    ])];
}
