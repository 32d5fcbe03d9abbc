//! Cupido (`MY2607-BLE-V1.0`): service 0xF0B0, `tx` 0xF0B1, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=255) | `b0 03 00 00 00 v aa` |
//!
//! The reference has a battery reader for this toy (a notification on `rx` whose byte 5 is the
//! level) but leaves it switched off; so does Plugboard.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&CUPIDO];

/// The `cupido` protocol: one vibrator.
pub static CUPIDO: SinglePacket = SinglePacket {
    name: "cupido",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `b0 03 00 00 00 v aa`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xb0, 0x03, 0x00, 0x00, 0x00, clamp_byte(level.value, u8::MAX), 0xaa]
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
        let mut toy = Sim::new(Box::new(CUPIDO.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [hex("b0 03 00 00 00 01 aa")]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 255)), [hex("b0 03 00 00 00 ff aa")]);
        assert_eq!(bytes(&toy.stop()), [hex("b0 03 00 00 00 00 aa")]);
        assert_eq!(bytes(&toy.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(CUPIDO.handler(&[]).is_err());
        assert!(CUPIDO.handler(&features(&[(Vibrate, 0, 255); 2])).is_err());
    }

    #[tokio::test]
    async fn no_init_and_no_subscription() {
        assert_eq!(CUPIDO.name(), "cupido");
        let hw = FakeHardware::new("MY2607-BLE-V1.0", "aa");
        CUPIDO.initialize(&hw, None, &features(&[(Vibrate, 0, 255)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&CUPIDO, None, &[
        Set(&[(0, Vibrate, 1)], &[tx(&[0xb0, 0x03, 0x00, 0x00, 0x00, 0x01, 0xaa])]),
        Set(&[(0, Vibrate, 255)], &[tx(&[0xb0, 0x03, 0x00, 0x00, 0x00, 0xff, 0xaa])]),
        Stop(&[tx(&[0xb0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa])]),
    ])];
}
