//! Kizuna Smart: a rotator on a serial port (19200 baud, 8N1; the user binds the port). No
//! init.
//!
//! | output | bytes |
//! |---|---|
//! | rotate v (0..=9) | the ASCII digit v, then CR LF |
//!
//! So 5 is `35 0d 0a` and the stop `30 0d 0a`. The rotation has no direction; a negative level
//! is sent by its magnitude and levels above 9 as 9, so the device never gets a non-digit.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The fastest speed: one decimal digit.
pub const MAX_SPEED: u8 = 9;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&KIZUNA];

/// The `kizuna` protocol: one rotator.
pub static KIZUNA: SinglePacket = SinglePacket {
    name: "kizuna",
    outputs: Outputs::of(&[OutputType::Rotate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// The digit, CR, LF.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![b'0' + clamp_byte(level.value.saturating_abs(), MAX_SPEED), b'\r', b'\n']
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{ascii, bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn rotate() {
        let features = features(&[(Rotate, 0, 9)]);
        let mut kizuna = Sim::new(Box::new(KIZUNA.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&kizuna.set(0, Rotate, 5)), [hex("35 0d 0a")]);
        assert_eq!(bytes(&kizuna.set(0, Rotate, 9)), [hex("39 0d 0a")]);
        assert_eq!(ascii(&kizuna.set(0, Rotate, 12)), ["9\r\n"], "clamped to a digit");
        assert_eq!(ascii(&kizuna.set(0, Rotate, -3)), ["3\r\n"], "by magnitude");
        assert_eq!(bytes(&kizuna.stop()), [hex("30 0d 0a")]);
        assert_eq!(kizuna.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(KIZUNA.name(), "kizuna");
        assert!(KIZUNA.handler(&features(&[(Vibrate, 0, 9)])).is_err());
        let port = FakeHardware::new("/dev/ttyUSB0", "/dev/ttyUSB0");
        KIZUNA.initialize(&port, None, &features(&[(Rotate, 0, 9)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&KIZUNA, None, &[
        Set(&[(0, Rotate, 5)], &[tx(b"5\r\n")]),
        Set(&[(0, Rotate, 9)], &[tx(b"9\r\n")]),
        Stop(&[tx(b"0\r\n")]),
    ])];
}
