//! Meese (Tera `Meese-V389`, Modo `Meese-cd`): service 0xFFE0, `tx` 0xFFE1, written **with**
//! response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate on feature i, level v | `01 80 (01 + i) v` |
//!
//! The Tera has two motors (#0 0..=10, #1 0..=3), the Modo one (#0 0..=10). One packet per
//! changed motor.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MEESE];

/// The `meese` protocol: vibrators on features 0..=254 (the motor byte is `01 + i`).
pub static MEESE: SinglePacket = SinglePacket {
    name: "meese",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(254),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `01 80 (01 + i) v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x01, 0x80, 0x01 + level.feature_index as u8, clamp_byte(level.value, u8::MAX)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn two_motors() {
        let features = features(&[(Vibrate, 0, 10), (Vibrate, 0, 3)]);
        let mut tera = Sim::new(Box::new(MEESE.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&tera.set(0, Vibrate, 7)), [hex("01 80 01 07")]);
        assert_eq!(bytes_with_response(&tera.set(1, Vibrate, 3)), [hex("01 80 02 03")]);
        assert_eq!(bytes_with_response(&tera.stop()), [hex("01 80 01 00"), hex("01 80 02 00")]);
        assert_eq!(tera.stop(), []);
    }

    #[test]
    fn definitions() {
        assert!(MEESE.handler(&[]).is_err());
        assert!(MEESE.handler(&features(&[(Rotate, 0, 10)])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(MEESE.name(), "meese");
        let hw = FakeHardware::new("Meese-cd", "aa");
        MEESE.initialize(&hw, Some("Meese-cd"), &features(&[(Vibrate, 0, 10)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&MEESE, Some("Meese-V389"), &[
            Set(&[(0, Vibrate, 7)], &[tx_with_response(&[0x01, 0x80, 0x01, 0x07])]),
            Set(&[(1, Vibrate, 3)], &[tx_with_response(&[0x01, 0x80, 0x02, 0x03])]),
            Stop(&[tx_with_response(&[0x01, 0x80, 0x01, 0x00]), tx_with_response(&[0x01, 0x80, 0x02, 0x00])]),
        ]),
        Vector::new(&MEESE, Some("Meese-cd"), &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0x01, 0x80, 0x01, 0x0a])]),
            Stop(&[tx_with_response(&[0x01, 0x80, 0x01, 0x00])]),
        ]),
    ];
}
