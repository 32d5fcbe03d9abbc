//! Omobo ViVegg (`S6`): service 0xFFB0, `tx` 0xFFB2, written **with** response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=100) | `a1 04 04 01 v ff 55` |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&OMOBO];

/// The `omobo` protocol: one vibrator.
pub static OMOBO: SinglePacket = SinglePacket {
    name: "omobo",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `a1 04 04 01 v ff 55`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xa1, 0x04, 0x04, 0x01, clamp_byte(level.value, u8::MAX), 0xff, 0x55]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut egg = Sim::new(Box::new(OMOBO.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&egg.set(0, Vibrate, 100)), [hex("a1 04 04 01 64 ff 55")]);
        assert_eq!(bytes_with_response(&egg.set(0, Vibrate, 3)), [hex("a1 04 04 01 03 ff 55")]);
        assert_eq!(bytes_with_response(&egg.stop()), [hex("a1 04 04 01 00 ff 55")]);
        assert_eq!(egg.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(OMOBO.name(), "omobo");
        assert!(OMOBO.handler(&features(&[(Vibrate, 0, 100); 2])).is_err());
        let hw = FakeHardware::new("S6", "aa");
        OMOBO.initialize(&hw, None, &features(&[(Vibrate, 0, 100)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&OMOBO, None, &[
        Set(&[(0, Vibrate, 100)], &[tx_with_response(&[0xa1, 0x04, 0x04, 0x01, 0x64, 0xff, 0x55])]),
        Stop(&[tx_with_response(&[0xa1, 0x04, 0x04, 0x01, 0x00, 0xff, 0x55])]),
    ])];
}
