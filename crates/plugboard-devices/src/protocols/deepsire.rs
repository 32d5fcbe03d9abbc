//! DeepSire (the Kuirkish Imp 3, `IMP 3`): service 0xFFE0, `tx` 0xFFE1, written without
//! response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=255) | `55 04 01 00 00 v aa` |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&DEEPSIRE];

/// The `deepsire` protocol: one vibrator.
pub static DEEPSIRE: SinglePacket = SinglePacket {
    name: "deepsire",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `55 04 01 00 00 v aa`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x55, 0x04, 0x01, 0x00, 0x00, clamp_byte(level.value, u8::MAX), 0xaa]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 255)]);
        let mut imp = Sim::new(Box::new(DEEPSIRE.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&imp.set(0, Vibrate, 200)), [hex("55 04 01 00 00 c8 aa")]);
        assert_eq!(bytes(&imp.set(0, Vibrate, 255)), [hex("55 04 01 00 00 ff aa")]);
        assert_eq!(bytes(&imp.stop()), [hex("55 04 01 00 00 00 aa")]);
        assert_eq!(bytes(&imp.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(DEEPSIRE.handler(&[]).is_err());
        assert!(DEEPSIRE.handler(&features(&[(Oscillate, 0, 255)])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(DEEPSIRE.name(), "deepsire");
        let hw = FakeHardware::new("IMP 3", "aa");
        DEEPSIRE.initialize(&hw, Some("IMP 3"), &features(&[(Vibrate, 0, 255)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&DEEPSIRE, Some("IMP 3"), &[
        Set(&[(0, Vibrate, 200)], &[tx(&[0x55, 0x04, 0x01, 0x00, 0x00, 0xc8, 0xaa])]),
        Stop(&[tx(&[0x55, 0x04, 0x01, 0x00, 0x00, 0x00, 0xaa])]),
    ])];
}
