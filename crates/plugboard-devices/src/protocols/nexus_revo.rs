//! Nexus Revo Stealth (`XW-LW3`): service 0xC570, `tx` 0xC571, written **with** response; no
//! init. One packet per changed output:
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (feature 0, 0..=10) | `aa 01 01 00 01 v` |
//! | rotate v (feature 1, -2..=2) | `aa 01 02 00 r 00` |
//!
//! The rotation code `r` carries the direction: |v| for v <= 0 (codes 1 and 2 turn one way),
//! |v| + 2 for v > 0 (codes 3 and 4 the other way), 0 to stop.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The fastest rotation in either direction.
pub const MAX_ROTATION: i32 = 2;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&NEXUS_REVO];

/// The `nexus-revo` protocol: a vibrator and a rotator, the type in the packet.
pub static NEXUS_REVO: SinglePacket = SinglePacket {
    name: "nexus-revo",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Rotate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// The rotation code for a signed speed.
pub fn rotation_code(speed: i32) -> u8 {
    let speed = speed.clamp(-MAX_ROTATION, MAX_ROTATION);
    let code = if speed > 0 { speed + 2 } else { -speed };
    code as u8
}

fn packet(level: &OutputLevel) -> Vec<u8> {
    match level.kind {
        OutputType::Rotate => vec![0xaa, 0x01, 0x02, 0x00, rotation_code(level.value), 0x00],
        _ => vec![0xaa, 0x01, 0x01, 0x00, 0x01, clamp_byte(level.value, u8::MAX)],
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn rotation_codes_carry_the_direction() {
        let codes: Vec<u8> = (-3..=3).map(rotation_code).collect();
        assert_eq!(codes, [2, 2, 1, 0, 3, 4, 4]);
    }

    #[test]
    fn vibrate_and_rotate() {
        let features = features(&[(Vibrate, 0, 10), (Rotate, -2, 2)]);
        let mut revo = Sim::new(Box::new(NEXUS_REVO.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&revo.set(0, Vibrate, 10)), [hex("aa 01 01 00 01 0a")]);
        assert_eq!(bytes_with_response(&revo.set(1, Rotate, -2)), [hex("aa 01 02 00 02 00")]);
        assert_eq!(bytes_with_response(&revo.set(1, Rotate, -1)), [hex("aa 01 02 00 01 00")]);
        assert_eq!(bytes_with_response(&revo.set(1, Rotate, 1)), [hex("aa 01 02 00 03 00")]);
        assert_eq!(bytes_with_response(&revo.set(1, Rotate, 2)), [hex("aa 01 02 00 04 00")]);
        assert_eq!(bytes_with_response(&revo.stop()), [hex("aa 01 01 00 01 00"), hex("aa 01 02 00 00 00")]);
        assert_eq!(revo.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(NEXUS_REVO.name(), "nexus-revo");
        assert!(NEXUS_REVO.handler(&features(&[(Rotate, -2, 2); 2])).is_err());
        assert!(NEXUS_REVO.handler(&features(&[(Oscillate, 0, 10)])).is_err());
        let hw = FakeHardware::new("XW-LW3", "aa");
        NEXUS_REVO.initialize(&hw, None, &features(&[(Vibrate, 0, 10), (Rotate, -2, 2)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&NEXUS_REVO, None, &[
        Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0xaa, 0x01, 0x01, 0x00, 0x01, 0x0a])]),
        Set(&[(1, Rotate, 1)], &[tx_with_response(&[0xaa, 0x01, 0x02, 0x00, 0x03, 0x00])]),
        Set(&[(1, Rotate, -2)], &[tx_with_response(&[0xaa, 0x01, 0x02, 0x00, 0x02, 0x00])]),
        Stop(&[
            tx_with_response(&[0xaa, 0x01, 0x01, 0x00, 0x01, 0x00]),
            tx_with_response(&[0xaa, 0x01, 0x02, 0x00, 0x00, 0x00]),
        ]),
    ])];
}
