//! Love Distance: REACH, SPAN, RANGE, ORBIT, ... Service
//! 0xFF00 with `tx` (0xFF01) and `rx` (0xFF02, unused). No battery.
//!
//! | step | packet (to `tx`, without response) |
//! |---|---|
//! | init, first | `f3 00 00` |
//! | init, second | `f4 01` |
//! | vibrate (feature 0, steps 0..=121) | `f3 00 S` |

use plugboard_protocol::model::OutputType;

use super::single_packet::{tx, Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest level the reference database gives these vibrators; higher values are clamped.
pub const MAX_LEVEL: u8 = 121;
/// The init packets, in order.
pub const INIT: [&[u8]; 2] = [&[0xf3, 0x00, 0x00], &[0xf4, 0x01]];

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LOVEDISTANCE];

/// The Love Distance protocol (`lovedistance`).
pub static LOVEDISTANCE: SinglePacket = SinglePacket {
    name: "lovedistance",
    outputs: Outputs::of(&[OutputType::Vibrate]),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[tx(INIT[0]), tx(INIT[1])],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `f3 00 S`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xf3, 0x00, clamp_byte(level.value, MAX_LEVEL)]
}

#[cfg(test)]
mod tests {
    use super::super::ProtocolError;
    use crate::hardware::Write;
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{features, Sim};
    use super::super::{Advertisement, Keepalive};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn w(data: &[u8]) -> Write {
        Write { endpoint: Endpoint::Tx, data: data.to_vec(), with_response: false }
    }

    #[test]
    fn vibrate() {
        let f = features(&[(Vibrate, 0, 121)]);
        let mut toy = Sim::new(Box::new(LOVEDISTANCE.handler(&f).unwrap()), &f);
        assert_eq!(toy.set(0, Vibrate, 121), [w(&[0xf3, 0x00, 0x79])]);
        assert_eq!(toy.set(0, Vibrate, 60), [w(&[0xf3, 0x00, 0x3c])]);
        assert_eq!(toy.stop(), [w(&[0xf3, 0x00, 0x00])]);
        assert_eq!(toy.stop(), []);
        assert_eq!(toy.set(0, Vibrate, 500), [w(&[0xf3, 0x00, 0x79])], "clamped to 121");
        assert_eq!(toy.set(0, Vibrate, -5), [w(&[0xf3, 0x00, 0x00])]);
        assert!(LOVEDISTANCE.handler(&[]).is_err());
    }

    #[tokio::test]
    async fn init_packets() {
        assert_eq!(LOVEDISTANCE.name(), "lovedistance");
        let hw = FakeHardware::with_endpoints("REACH", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let identifier = LOVEDISTANCE.identify(&hw, &Advertisement::named("REACH")).await.unwrap();
        assert_eq!(identifier.as_deref(), Some("REACH"));
        let f = features(&[(Vibrate, 0, 121)]);
        let handler = LOVEDISTANCE.initialize(&hw, identifier.as_deref(), &f).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Write(w(&[0xf3, 0x00, 0x00])), Event::Write(w(&[0xf4, 0x01]))]);
        assert_eq!(handler.keepalive(), Keepalive::None);
        assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::Unsupported(_))));

        // A definition without outputs is refused before anything is written.
        let hw = FakeHardware::with_endpoints("REACH", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        assert!(LOVEDISTANCE.initialize(&hw, None, &[]).await.is_err());
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
        Vector::new(&LOVEDISTANCE, Some("REACH"), &[
            Set(&[(0, Vibrate, 121)], &[tx(&[0xf3, 0x00, 0x79])]),
            Set(&[(0, Vibrate, 60)], &[tx(&[0xf3, 0x00, 0x3c])]),
            Stop(&[tx(&[0xf3, 0x00, 0x00])]),
        ]),
    ];
}
