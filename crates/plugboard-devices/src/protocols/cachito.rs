//! Cachito (Lure Tao `CCTSK`, Ice Cream `CCTXueGao`): service 0xFFF0, `tx` 0xFFF2, written
//! without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate on feature i, level v | `(02 + i) (01 + i) v 00` |
//!
//! Both models have two vibrate features: #0 with 5 steps (probably a pattern selector on the
//! toy) and #1 with 100 (the intensity); the database, like the reference, treats both as
//! vibrators. One packet per changed feature, so a stop with both running is two packets.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&CACHITO];

/// The `cachito` protocol: vibrators on features 0..=253 (the first byte is `02 + i`).
pub static CACHITO: SinglePacket = SinglePacket {
    name: "cachito",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(253),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `(02 + i) (01 + i) v 00`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let index = level.feature_index as u8;
    vec![0x02 + index, 0x01 + index, clamp_byte(level.value, u8::MAX), 0x00]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn two_vibrators() {
        let features = features(&[(Vibrate, 0, 5), (Vibrate, 0, 100)]);
        let mut toy = Sim::new(Box::new(CACHITO.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 3)), [hex("02 01 03 00")]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 100)), [hex("03 02 64 00")]);
        assert_eq!(bytes(&toy.stop()), [hex("02 01 00 00"), hex("03 02 00 00")]);
        assert_eq!(bytes(&toy.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(CACHITO.handler(&[]).is_err());
        assert!(CACHITO.handler(&features(&[(Oscillate, 0, 5)])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(CACHITO.name(), "cachito");
        let hw = FakeHardware::new("CCTSK", "aa");
        CACHITO.initialize(&hw, Some("CCTSK"), &features(&[(Vibrate, 0, 5), (Vibrate, 0, 100)])).await.unwrap();
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
        Vector::new(&CACHITO, Some("CCTSK"), &[
            Set(&[(0, Vibrate, 3)], &[tx(&[0x02, 0x01, 0x03, 0x00])]),
            Set(&[(1, Vibrate, 100)], &[tx(&[0x03, 0x02, 0x64, 0x00])]),
            Stop(&[tx(&[0x02, 0x01, 0x00, 0x00]), tx(&[0x03, 0x02, 0x00, 0x00])]),
        ]),
        Vector::new(&CACHITO, Some("CCTXueGao"), &[
            Set(&[(1, Vibrate, 42)], &[tx(&[0x03, 0x02, 0x2a, 0x00])]),
            Stop(&[tx(&[0x03, 0x02, 0x00, 0x00])]),
        ]),
    ];
}
