//! Xiuxiuda (`XXD-Lush*`): `tx` 53300003 in service 53300001 (a Lovense-style service, but the
//! names do not match Lovense's), written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=19) | `00 00 00 00 65 3a 30 v 64` |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&XIUXIUDA];

/// The `xiuxiuda` protocol: one vibrator.
pub static XIUXIUDA: SinglePacket = SinglePacket {
    name: "xiuxiuda",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `00 00 00 00 65 3a 30 v 64`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, clamp_byte(level.value, u8::MAX), 0x64]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 19)]);
        let mut toy = Sim::new(Box::new(XIUXIUDA.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 19)), [hex("00 00 00 00 65 3a 30 13 64")]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [hex("00 00 00 00 65 3a 30 01 64")]);
        assert_eq!(bytes(&toy.stop()), [hex("00 00 00 00 65 3a 30 00 64")]);
        assert_eq!(toy.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(XIUXIUDA.name(), "xiuxiuda");
        assert!(XIUXIUDA.handler(&features(&[(Vibrate, 0, 19); 2])).is_err());
        let hw = FakeHardware::new("XXD-Lush1", "aa");
        XIUXIUDA.initialize(&hw, None, &features(&[(Vibrate, 0, 19)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&XIUXIUDA, None, &[
        Set(&[(0, Vibrate, 19)], &[tx(&[0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x13, 0x64])]),
        Stop(&[tx(&[0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x00, 0x64])]),
    ])];
}
