//! Pretty Love (Aogu boards, advertised as `Aogu BLE *` or `AB Shutter3 [Aogu BLE Device]`):
//! `tx` 0xFFE9 in service 0xFFE5, written **with** response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=3) | `00 v` |
//!
//! Every device identifies as `Aogu BLE`, whatever it advertises, as in the reference: the
//! advertised names carry a per-unit suffix, and a user's settings for the toy should not
//! depend on it.

use plugboard_protocol::model::OutputType;

use super::single_packet::{FixedIdentifier, Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The identifier of every Pretty Love device.
pub const IDENTIFIER: &str = "Aogu BLE";

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&PRETTYLOVE];

/// The `prettylove` protocol: the packets of [`PACKETS`] behind the fixed identifier
/// [`IDENTIFIER`].
pub static PRETTYLOVE: FixedIdentifier = FixedIdentifier { identifier: IDENTIFIER, packets: &PACKETS };

/// The packets: one vibrator.
static PACKETS: SinglePacket = SinglePacket {
    name: "prettylove",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `00 v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x00, clamp_byte(level.value, u8::MAX)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::super::Advertisement;
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 3)]);
        let mut toy = Sim::new(Box::new(PACKETS.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 3)), [[0x00, 0x03]]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 1)), [[0x00, 0x01]]);
        assert_eq!(bytes_with_response(&toy.stop()), [[0x00, 0x00]]);
        assert_eq!(toy.stop(), []);
    }

    #[tokio::test]
    async fn every_device_is_aogu_ble() {
        assert_eq!(PRETTYLOVE.name(), "prettylove");
        for name in ["Aogu BLE 2C", "AB Shutter3 [Aogu BLE Device]", ""] {
            let hw = FakeHardware::new(name, "aa");
            let identifier = PRETTYLOVE.identify(&hw, &Advertisement::named(name)).await.unwrap();
            assert_eq!(identifier.as_deref(), Some("Aogu BLE"), "{name:?}");
            assert!(hw.events().is_empty(), "nothing is asked of the device");
        }
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert!(PRETTYLOVE.initialize(&FakeHardware::new("x", "aa"), None, &features(&[(Rotate, 0, 3)])).await.is_err());
        let hw = FakeHardware::new("Aogu BLE 2C", "aa");
        PRETTYLOVE.initialize(&hw, Some(IDENTIFIER), &features(&[(Vibrate, 0, 3)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&PRETTYLOVE, None, &[
        Set(&[(0, Vibrate, 3)], &[tx_with_response(&[0x00, 0x03])]),
        Set(&[(0, Vibrate, 2)], &[tx_with_response(&[0x00, 0x02])]),
        Stop(&[tx_with_response(&[0x00, 0x00])]),
    ])];
}
