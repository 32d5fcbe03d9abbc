//! Sakuraneko (`sakuraneko-01` Korokoro .. `sakuraneko-04` Koikoi): service 0xFFE0, `tx`
//! 0xFFE1, written without response; no init. One 12-byte packet per changed output:
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=100) | `a1 08 01 00 00 00 64 v 00 64 df 55` |
//! | rotate v (0..=100, the Koikoi's feature 1) | `a2 08 01 00 00 00 64 v 00 32 df 55` |
//!
//! Rotation has no direction in the database; a negative level is sent by its magnitude (the
//! reference would send the wrapped byte, which no client can ask for within the range).

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SAKURANEKO];

/// The `sakuraneko` protocol: a vibrator and optionally a rotator, the type in the packet.
pub static SAKURANEKO: SinglePacket = SinglePacket {
    name: "sakuraneko",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Rotate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

fn packet(level: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(level.value.saturating_abs(), u8::MAX);
    let (command, tail) = match level.kind {
        OutputType::Rotate => (0xa2, 0x32),
        _ => (0xa1, 0x64),
    };
    vec![command, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, v, 0x00, tail, 0xdf, 0x55]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate_and_rotate() {
        let features = features(&[(Vibrate, 0, 100), (Rotate, 0, 100)]);
        let mut koikoi = Sim::new(Box::new(SAKURANEKO.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&koikoi.set(0, Vibrate, 100)), [hex("a1 08 01 00 00 00 64 64 00 64 df 55")]);
        assert_eq!(bytes(&koikoi.set(1, Rotate, 50)), [hex("a2 08 01 00 00 00 64 32 00 32 df 55")]);
        assert_eq!(bytes(&koikoi.set(1, Rotate, -20)), [hex("a2 08 01 00 00 00 64 14 00 32 df 55")]);
        assert_eq!(
            bytes(&koikoi.stop()),
            [hex("a1 08 01 00 00 00 64 00 00 64 df 55"), hex("a2 08 01 00 00 00 64 00 00 32 df 55")]
        );
        assert_eq!(koikoi.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(SAKURANEKO.name(), "sakuraneko");
        assert!(SAKURANEKO.handler(&features(&[(Vibrate, 0, 100); 2])).is_err());
        let hw = FakeHardware::new("sakuraneko-01", "aa");
        SAKURANEKO.initialize(&hw, None, &features(&[(Vibrate, 0, 100)])).await.unwrap();
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
        Vector::new(&SAKURANEKO, Some("sakuraneko-01"), &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x64, 0x00, 0x64, 0xdf, 0x55])]),
            Stop(&[tx(&[0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x64, 0xdf, 0x55])]),
        ]),
        Vector::new(&SAKURANEKO, Some("sakuraneko-04"), &[
            Set(&[(1, Rotate, 50)], &[tx(&[0xa2, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x32, 0x00, 0x32, 0xdf, 0x55])]),
            Set(&[(0, Vibrate, 7)], &[tx(&[0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x07, 0x00, 0x64, 0xdf, 0x55])]),
            Stop(&[
                tx(&[0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x64, 0xdf, 0x55]),
                tx(&[0xa2, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x32, 0xdf, 0x55]),
            ]),
        ]),
    ];
}
