//! Realov (`REALOV_VIBE`): service 0xFFE0, `tx` 0xFFE1, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=50) | `c5 55 v aa` |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&REALOV];

/// The `realov` protocol: one vibrator.
pub static REALOV: SinglePacket = SinglePacket {
    name: "realov",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `c5 55 v aa`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xc5, 0x55, clamp_byte(level.value, u8::MAX), 0xaa]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 50)]);
        let mut toy = Sim::new(Box::new(REALOV.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 50)), [hex("c5 55 32 aa")]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [hex("c5 55 01 aa")]);
        assert_eq!(bytes(&toy.stop()), [hex("c5 55 00 aa")]);
        assert_eq!(toy.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(REALOV.name(), "realov");
        assert!(REALOV.handler(&features(&[(Vibrate, 0, 50); 2])).is_err());
        let hw = FakeHardware::new("REALOV_VIBE", "aa");
        REALOV.initialize(&hw, None, &features(&[(Vibrate, 0, 50)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&REALOV, None, &[
        Set(&[(0, Vibrate, 50)], &[tx(&[0xc5, 0x55, 0x32, 0xaa])]),
        Stop(&[tx(&[0xc5, 0x55, 0x00, 0xaa])]),
    ])];
}
