//! ActiveJoy (the IntoYou remote egg, advertised as `SS-TD-YDTD-001`): service 0xF0B0, `tx`
//! 0xF0B1, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate on feature i, level v | `b0 01 00 i on v` |
//!
//! `01` is the platform's mode byte for vibration (others exist for shocks, thrusting, suction
//! and rotation, but no device in the database uses them), `00` the "strong mode" flag, and
//! `on` is `01` for a level above 0, `00` for 0. One packet per changed vibrator.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&ACTIVEJOY];

/// The `activejoy` protocol: vibrators, their feature index in the packet.
pub static ACTIVEJOY: SinglePacket = SinglePacket {
    name: "activejoy",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(u8::MAX as u32),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `b0 01 00 i on v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let value = clamp_byte(level.value, u8::MAX);
    vec![0xb0, 0x01, 0x00, level.feature_index as u8, u8::from(value != 0), value]
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
        let mut egg = Sim::new(Box::new(ACTIVEJOY.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&egg.set(0, Vibrate, 1)), [hex("b0 01 00 00 01 01")]);
        assert_eq!(bytes(&egg.set(0, Vibrate, 128)), [hex("b0 01 00 00 01 80")]);
        assert_eq!(bytes(&egg.set(0, Vibrate, 255)), [hex("b0 01 00 00 01 ff")]);
        assert_eq!(bytes(&egg.stop()), [hex("b0 01 00 00 00 00")]);
        assert_eq!(bytes(&egg.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn the_feature_index_is_in_the_packet() {
        let features = features(&[(Vibrate, 0, 255), (Vibrate, 0, 255)]);
        let mut toy = Sim::new(Box::new(ACTIVEJOY.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&toy.set(1, Vibrate, 9)), [hex("b0 01 00 01 01 09")]);
    }

    #[test]
    fn definitions() {
        assert!(ACTIVEJOY.handler(&[]).is_err());
        assert!(ACTIVEJOY.handler(&features(&[(Rotate, 0, 255)])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(ACTIVEJOY.name(), "activejoy");
        let hw = FakeHardware::new("SS-TD-YDTD-001", "aa");
        ACTIVEJOY.initialize(&hw, Some("SS-TD-YDTD-001"), &features(&[(Vibrate, 0, 255)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&ACTIVEJOY, None, &[
        Set(&[(0, Vibrate, 128)], &[tx(&[0xb0, 0x01, 0x00, 0x00, 0x01, 0x80])]),
        Set(&[(0, Vibrate, 255)], &[tx(&[0xb0, 0x01, 0x00, 0x00, 0x01, 0xff])]),
        Stop(&[tx(&[0xb0, 0x01, 0x00, 0x00, 0x00, 0x00])]),
    ])];
}
