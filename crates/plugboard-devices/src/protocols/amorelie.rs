//! Amorelie Joy: names `4D01` .. `4D09`, svc 0xFFE0,
//! `tx` 0xFFE3. Every write is without response.
//!
//! | step | bytes |
//! |---|---|
//! | init | `03` to `tx` |
//! | vibrate | `01 01 S` to `tx` (`01` header, `01` steady pattern, S 0..=100) |
//!
//! The devices have one vibrator (feature 0).

use plugboard_protocol::model::OutputType;

use super::single_packet::{tx, Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The init packet.
pub const INIT: [u8; 1] = [0x03];
/// The highest vibrate value.
pub const MAX_VALUE: u8 = 100;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&AMORELIE_JOY];

/// The `amorelie-joy` protocol.
pub static AMORELIE_JOY: SinglePacket = SinglePacket {
    name: "amorelie-joy",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[tx(&INIT)],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `01 01 S`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x01, 0x01, clamp_byte(level.value, MAX_VALUE)]
}

#[cfg(test)]
mod tests {
    use crate::hardware::Write;
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::{Event, FakeHardware};

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut joy = Sim::new(Box::new(AMORELIE_JOY.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&joy.set(0, Vibrate, 100)), [[0x01, 0x01, 0x64]]);
        assert_eq!(bytes(&joy.set(0, Vibrate, 35)), [[0x01, 0x01, 0x23]]);
        assert_eq!(bytes(&joy.set(0, Vibrate, 1000)), [[0x01, 0x01, 0x64]], "clamped");
        assert_eq!(bytes(&joy.stop()), [[0x01, 0x01, 0x00]]);
        assert_eq!(bytes(&joy.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(AMORELIE_JOY.handler(&[]).is_err());
        assert!(AMORELIE_JOY.handler(&features(&[(Vibrate, 0, 100); 2])).is_err());
        assert!(AMORELIE_JOY.handler(&features(&[(Rotate, 0, 100)])).is_err());
    }

    #[tokio::test]
    async fn init_writes_03() {
        assert_eq!(AMORELIE_JOY.name(), "amorelie-joy");
        let hw = FakeHardware::with_endpoints("4D02", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let features = features(&[(Vibrate, 0, 100)]);
        let handler = AMORELIE_JOY.initialize(&hw, Some("4D02"), &features).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Write(Write::without_response(Endpoint::Tx, vec![0x03]))]);
        assert_eq!(handler.keepalive(), Keepalive::None);

        let untouched = FakeHardware::with_endpoints("4D02", "aa", &[Endpoint::Tx]);
        assert!(AMORELIE_JOY.initialize(&untouched, None, &[]).await.is_err());
        assert!(untouched.events().is_empty(), "a bad definition writes nothing");
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
        Vector::new(&AMORELIE_JOY, Some("4D02"), &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0x01, 0x01, 0x64])]),
            Set(&[(0, Vibrate, 35)], &[tx(&[0x01, 0x01, 0x23])]),
            Stop(&[tx(&[0x01, 0x01, 0x00])]),
        ]),
    ];
}
