//! Fox (`FOX`, `FOX M70 Pro`, `FoxM70Pro`, `FOX M70-2`): service 0xAE00, `tx` 0xAE01, written
//! without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=3) | `03 01 01 fe v` |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&FOX];

/// The `fox` protocol: one vibrator.
pub static FOX: SinglePacket = SinglePacket {
    name: "fox",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `03 01 01 fe v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x03, 0x01, 0x01, 0xfe, clamp_byte(level.value, u8::MAX)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 3)]);
        let mut fox = Sim::new(Box::new(FOX.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&fox.set(0, Vibrate, 1)), [hex("03 01 01 fe 01")]);
        assert_eq!(bytes(&fox.set(0, Vibrate, 3)), [hex("03 01 01 fe 03")]);
        assert_eq!(bytes(&fox.stop()), [hex("03 01 01 fe 00")]);
        assert_eq!(bytes(&fox.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(FOX.handler(&[]).is_err());
        assert!(FOX.handler(&features(&[(Vibrate, 0, 3); 2])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(FOX.name(), "fox");
        let hw = FakeHardware::new("FOX M70 Pro", "aa");
        FOX.initialize(&hw, Some("FOX M70 Pro"), &features(&[(Vibrate, 0, 3)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&FOX, None, &[
        Set(&[(0, Vibrate, 2)], &[tx(&[0x03, 0x01, 0x01, 0xfe, 0x02])]),
        Set(&[(0, Vibrate, 3)], &[tx(&[0x03, 0x01, 0x01, 0xfe, 0x03])]),
        Stop(&[tx(&[0x03, 0x01, 0x01, 0xfe, 0x00])]),
    ])];
}
