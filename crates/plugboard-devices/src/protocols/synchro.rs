//! Synchro (`Shinkuro`, `synchro2`, `synchro EX`): service 0xFFE0, `tx` 0xFFE1, written without
//! response; no init.
//!
//! | output | packet |
//! |---|---|
//! | rotate v (-6..=6) | `a1 01 d 77 55`, d = |v|, with bit 7 set when v < 0 |
//!
//! So -1 is `a1 01 81 77 55`, 6 is `a1 01 06 77 55` and the stop `a1 01 00 77 55`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The fastest rotation in either direction that fits beside the direction bit.
pub const MAX_SPEED: i32 = 0x7f;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SYNCHRO];

/// The `synchro` protocol: one rotator.
pub static SYNCHRO: SinglePacket = SinglePacket {
    name: "synchro",
    outputs: Outputs::of(&[OutputType::Rotate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// The speed-and-direction byte.
pub fn direction_byte(speed: i32) -> u8 {
    let magnitude = speed.saturating_abs().min(MAX_SPEED) as u8;
    if speed < 0 {
        magnitude | 0x80
    } else {
        magnitude
    }
}

fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xa1, 0x01, direction_byte(level.value), 0x77, 0x55]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn rotate_both_ways() {
        let features = features(&[(Rotate, -6, 6)]);
        let mut synchro = Sim::new(Box::new(SYNCHRO.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&synchro.set(0, Rotate, 1)), [hex("a1 01 01 77 55")]);
        assert_eq!(bytes(&synchro.set(0, Rotate, 6)), [hex("a1 01 06 77 55")]);
        assert_eq!(bytes(&synchro.set(0, Rotate, -1)), [hex("a1 01 81 77 55")]);
        assert_eq!(bytes(&synchro.set(0, Rotate, -6)), [hex("a1 01 86 77 55")]);
        assert_eq!(bytes(&synchro.stop()), [hex("a1 01 00 77 55")]);
        assert_eq!(synchro.stop(), []);
        assert_eq!((direction_byte(i32::MIN), direction_byte(500)), (0xff, 0x7f), "clamped");
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(SYNCHRO.name(), "synchro");
        assert!(SYNCHRO.handler(&features(&[(Vibrate, 0, 6)])).is_err());
        let hw = FakeHardware::new("synchro EX", "aa");
        SYNCHRO.initialize(&hw, None, &features(&[(Rotate, -6, 6)])).await.unwrap();
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
        Vector::new(&SYNCHRO, None, &[
            Set(&[(0, Rotate, 6)], &[tx(&[0xa1, 0x01, 0x06, 0x77, 0x55])]),
            Set(&[(0, Rotate, -6)], &[tx(&[0xa1, 0x01, 0x86, 0x77, 0x55])]),
            Stop(&[tx(&[0xa1, 0x01, 0x00, 0x77, 0x55])]),
        ]),
        Vector::new(&SYNCHRO, Some("synchro EX"), &[
            Set(&[(0, Rotate, -1)], &[tx(&[0xa1, 0x01, 0x81, 0x77, 0x55])]),
            Stop(&[tx(&[0xa1, 0x01, 0x00, 0x77, 0x55])]),
        ]),
    ];
}
