//! Next Level Racing HF8 haptic gaming pad: eight vibrators on a serial port (115200 baud,
//! 8N1; the user binds the port). No init.
//!
//! | output | bytes |
//! |---|---|
//! | vibrate on feature i (0..=7), level v (0..=255) | ASCII `M`, i, v in decimal, CR |
//!
//! So feature 0 at 255 is `M0255\r`, feature 7 at 12 is `M712\r` and feature 3's stop `M30\r`.
//! Nothing separates the index from the level, which is unambiguous only because the index is
//! one digit: features above 9 are refused. One packet per changed motor, so a stop with all
//! eight running is eight packets, in feature order.
//!
//! The features are, in order: right thigh, left thigh, right buttock, left buttock, right
//! back, left back, right shoulder, left shoulder.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&NEXTLEVELRACING];

/// The `nextlevelracing` protocol: vibrators on features 0..=9.
pub static NEXTLEVELRACING: SinglePacket = SinglePacket {
    name: "nextlevelracing",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(9),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `M<i><v>\r`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    format!("M{}{}\r", level.feature_index, clamp_byte(level.value, u8::MAX)).into_bytes()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{ascii, bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn eight_motors() {
        let features = features(&[(Vibrate, 0, 255); 8]);
        let mut pad = Sim::new(Box::new(NEXTLEVELRACING.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&pad.set(0, Vibrate, 255)), [hex("4d 30 32 35 35 0d")]);
        assert_eq!(bytes(&pad.set(7, Vibrate, 12)), [hex("4d 37 31 32 0d")]);
        assert_eq!(ascii(&pad.flush(&[(3, Vibrate, 1), (4, Vibrate, 100)])), ["M31\r", "M4100\r"]);
        assert_eq!(bytes(&pad.set(3, Vibrate, 0)), [hex("4d 33 30 0d")]);
        assert_eq!(ascii(&pad.stop()), ["M00\r", "M40\r", "M70\r"]);
        assert_eq!(pad.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(NEXTLEVELRACING.name(), "nextlevelracing");
        assert!(NEXTLEVELRACING.handler(&features(&[(Vibrate, 0, 255); 10])).is_ok());
        assert!(NEXTLEVELRACING.handler(&features(&[(Vibrate, 0, 255); 11])).is_err(), "two-digit index");
        assert!(NEXTLEVELRACING.handler(&features(&[(Rotate, 0, 255)])).is_err());
        let port = FakeHardware::new("/dev/ttyUSB0", "/dev/ttyUSB0");
        NEXTLEVELRACING.initialize(&port, None, &features(&[(Vibrate, 0, 255); 8])).await.unwrap();
        assert!(port.events().is_empty());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&NEXTLEVELRACING, None, &[
        Set(&[(0, Vibrate, 255)], &[tx(b"M0255\r")]),
        Set(&[(7, Vibrate, 12)], &[tx(b"M712\r")]),
        Set(
            &[(1, Vibrate, 1), (2, Vibrate, 2), (3, Vibrate, 3), (4, Vibrate, 4), (5, Vibrate, 5), (6, Vibrate, 6)],
            &[tx(b"M11\r"), tx(b"M22\r"), tx(b"M33\r"), tx(b"M44\r"), tx(b"M55\r"), tx(b"M66\r")],
        ),
        Stop(&[
            tx(b"M00\r"),
            tx(b"M10\r"),
            tx(b"M20\r"),
            tx(b"M30\r"),
            tx(b"M40\r"),
            tx(b"M50\r"),
            tx(b"M60\r"),
            tx(b"M70\r"),
        ]),
    ])];
}
