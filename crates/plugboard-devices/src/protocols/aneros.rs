//! Aneros: the Vivi, advertised as `Massage Demo`; svc 0xFF00,
//! `tx` 0xFF01, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate on feature 0 | `f1 S` |
//! | vibrate on feature 1 | `f2 S` |
//!
//! That is `(f1 + feature index) S`, one packet per changed motor, S 0..=127.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest vibrate value.
pub const MAX_VALUE: u8 = 127;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&ANEROS];

/// The `aneros` protocol: vibrators on features 0..=14 (the command byte `f1 + index` must fit).
pub static ANEROS: SinglePacket = SinglePacket {
    name: "aneros",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(14),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `(f1 + feature index) S`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xf1 + level.feature_index as u8, clamp_byte(level.value, MAX_VALUE)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn two_vibrators() {
        let features = features(&[(Vibrate, 0, 127), (Vibrate, 0, 127)]);
        let mut vivi = Sim::new(Box::new(ANEROS.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&vivi.set(0, Vibrate, 127)), [[0xf1, 0x7f]]);
        assert_eq!(bytes(&vivi.set(1, Vibrate, 64)), [[0xf2, 0x40]]);
        assert_eq!(bytes(&vivi.flush(&[(0, Vibrate, 1), (1, Vibrate, 200)])), [[0xf1, 0x01], [0xf2, 0x7f]]);
        assert_eq!(bytes(&vivi.set(0, Vibrate, 0)), [[0xf1, 0x00]]);
        assert_eq!(bytes(&vivi.stop()), [[0xf2, 0x00]], "feature 0 is at 0 already");
        assert_eq!(bytes(&vivi.stop()), Vec::<Vec<u8>>::new());
        assert_eq!(bytes(&vivi.all()), [[0xf1, 0x00], [0xf2, 0x00]]);
    }

    #[test]
    fn definitions() {
        assert!(ANEROS.handler(&[]).is_err());
        assert!(ANEROS.handler(&features(&[(Oscillate, 0, 127)])).is_err());
        assert!(ANEROS.handler(&features(&[(Vibrate, 0, 127); 15])).is_ok());
        assert!(ANEROS.handler(&features(&[(Vibrate, 0, 127); 16])).is_err());
    }

    #[tokio::test]
    async fn name_and_no_init() {
        assert_eq!(ANEROS.name(), "aneros");
        let hw = FakeHardware::new("Massage Demo", "aa");
        let handler = ANEROS.initialize(&hw, None, &features(&[(Vibrate, 0, 127); 2])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
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
        Vector::new(&ANEROS, None, &[
            Set(&[(0, Vibrate, 127)], &[tx(&[0xf1, 0x7f])]),
            Set(&[(1, Vibrate, 64)], &[tx(&[0xf2, 0x40])]),
            Stop(&[tx(&[0xf1, 0x00]), tx(&[0xf2, 0x00])]),
        ]),
    ];
}
