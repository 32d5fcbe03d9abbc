//! WeToy MiNa (`WeToy`): service 0xFFF0, `tx` 0xFFF3, every write **with** response.
//!
//! | step | bytes |
//! |---|---|
//! | init | `80 03` |
//! | vibrate v (1..=3) | `b2 (v - 1)` |
//! | vibrate 0 | `80 03` (the init packet) |

use plugboard_protocol::model::OutputType;

use super::single_packet::{tx_with_response, Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The init packet, also the stop.
pub const STOP: [u8; 2] = [0x80, 0x03];

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&WETOY];

/// The `wetoy` protocol: one vibrator.
pub static WETOY: SinglePacket = SinglePacket {
    name: "wetoy",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[tx_with_response(&STOP)],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `b2 (v - 1)`, or [`STOP`] for 0.
fn packet(level: &OutputLevel) -> Vec<u8> {
    match level.value.clamp(0, i32::from(u8::MAX) + 1) {
        0 => STOP.to_vec(),
        v => vec![0xb2, (v - 1) as u8],
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::hardware::Write;
    use crate::testing::{Event, FakeHardware};

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 3)]);
        let mut mina = Sim::new(Box::new(WETOY.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&mina.set(0, Vibrate, 1)), [hex("b2 00")]);
        assert_eq!(bytes_with_response(&mina.set(0, Vibrate, 2)), [hex("b2 01")]);
        assert_eq!(bytes_with_response(&mina.set(0, Vibrate, 3)), [hex("b2 02")]);
        assert_eq!(bytes_with_response(&mina.stop()), [hex("80 03")]);
        assert_eq!(mina.stop(), []);
    }

    #[tokio::test]
    async fn init_writes_the_stop() {
        assert_eq!(WETOY.name(), "wetoy");
        assert!(WETOY.handler(&features(&[(Vibrate, 0, 3); 2])).is_err());
        let hw = FakeHardware::new("WeToy", "aa");
        WETOY.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.unwrap();
        assert_eq!(hw.events(), [Event::Write(Write::with_response(Endpoint::Tx, hex("80 03")))]);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&WETOY, None, &[
        Set(&[(0, Vibrate, 1)], &[tx_with_response(&[0xb2, 0x00])]),
        Set(&[(0, Vibrate, 3)], &[tx_with_response(&[0xb2, 0x02])]),
        Stop(&[tx_with_response(&[0x80, 0x03])]),
    ])];
}
