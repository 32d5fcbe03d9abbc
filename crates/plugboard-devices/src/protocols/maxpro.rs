//! MaxPro 2 (`M2`): Nordic UART service, `tx` 6E400002, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=100) | `55 04 07 ff ff 3f v 5f v c` |
//!
//! `c` is the sum of the nine bytes before it, modulo 256 (`fc` for the stop, `c4` for 100).

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MAXPRO];

/// The `maxpro` protocol: one vibrator.
pub static MAXPRO: SinglePacket = SinglePacket {
    name: "maxpro",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `55 04 07 ff ff 3f v 5f v c`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(level.value, u8::MAX);
    let mut data = vec![0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, v, 0x5f, v];
    data.push(data.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte)));
    data
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate_with_the_sum_last() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut m2 = Sim::new(Box::new(MAXPRO.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&m2.set(0, Vibrate, 1)), [hex("55 04 07 ff ff 3f 01 5f 01 fe")]);
        assert_eq!(bytes(&m2.set(0, Vibrate, 50)), [hex("55 04 07 ff ff 3f 32 5f 32 60")]);
        assert_eq!(bytes(&m2.set(0, Vibrate, 100)), [hex("55 04 07 ff ff 3f 64 5f 64 c4")]);
        assert_eq!(bytes(&m2.stop()), [hex("55 04 07 ff ff 3f 00 5f 00 fc")]);
        assert_eq!(m2.stop(), []);
    }

    #[test]
    fn definitions() {
        assert!(MAXPRO.handler(&[]).is_err());
        assert!(MAXPRO.handler(&features(&[(Vibrate, 0, 100); 2])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(MAXPRO.name(), "maxpro");
        let hw = FakeHardware::new("M2", "aa");
        MAXPRO.initialize(&hw, None, &features(&[(Vibrate, 0, 100)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&MAXPRO, None, &[
        Set(&[(0, Vibrate, 50)], &[tx(&[0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 0x32, 0x5f, 0x32, 0x60])]),
        Set(&[(0, Vibrate, 100)], &[tx(&[0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 0x64, 0x5f, 0x64, 0xc4])]),
        Stop(&[tx(&[0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 0x00, 0x5f, 0x00, 0xfc])]),
    ])];
}
