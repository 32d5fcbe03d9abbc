//! MysteryVibe. Service f0006900-…:
//! `txmode` f0006901-…, `txvibrate` f0006903-….
//!
//! | protocol | devices | init (to `txmode`, w/r) |
//! |---|---|---|
//! | `mysteryvibe` | Crescendo, Tenuto, Poco (names padded with spaces, e.g. `MV Poco     `) | `43 02 00` |
//! | `mysteryvibe-v2` | Tenuto Mini, Crescendo 2, Tenuto 2, Legato, Molto (`6907 MV1` ...) | `03 02 40` |
//!
//! Encoding (both): one byte per vibrator, `[m0 m1 ... mN-1]` in feature index order, every
//! vibrator each time, written without response to `txvibrate`. Levels 0..=56. The motors stop
//! by themselves unless the packet is repeated, so the keepalive repeats the last packet every
//! 93 ms ([`Keepalive::RepeatLast`]). The reference database gives 1, 2, 3, 4 or 6 vibrators
//! depending on the model.

use std::time::Duration;

use plugboard_protocol::model::OutputType;

use super::single_packet::{write_to, Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// How often the last packet is repeated.
pub const KEEPALIVE: Duration = Duration::from_millis(93);
/// The highest vibration level.
pub const MAX_LEVEL: u8 = 56;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MYSTERYVIBE, &MYSTERYVIBE_V2];

/// `mysteryvibe`.
pub static MYSTERYVIBE: SinglePacket = SinglePacket {
    name: "mysteryvibe",
    outputs: Outputs::of(&[OutputType::Vibrate]),
    endpoint: Endpoint::TxVibrate,
    with_response: false,
    init: &[write_to(Endpoint::TxMode, true, &[0x43, 0x02, 0x00])],
    packets: Packets::WholeState(packet),
    keepalive: Keepalive::RepeatLast(KEEPALIVE),
};

/// `mysteryvibe-v2`: as `mysteryvibe` but for its init packet.
pub static MYSTERYVIBE_V2: SinglePacket = SinglePacket {
    init: &[write_to(Endpoint::TxMode, true, &[0x03, 0x02, 0x40])],
    name: "mysteryvibe-v2",
    ..MYSTERYVIBE
};

/// Every vibrator's level, in feature-index order.
fn packet(levels: &[OutputLevel]) -> Vec<u8> {
    levels.iter().map(|level| clamp_byte(level.value, MAX_LEVEL)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::DeviceHandler;
    use crate::hardware::Write;
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn sim(count: usize) -> Sim {
        let features = features(&vec![(Vibrate, 0, 56); count]);
        Sim::new(Box::new(MYSTERYVIBE.handler(&features).unwrap()), &features)
    }

    fn w(data: &[u8]) -> Write {
        Write { endpoint: Endpoint::TxVibrate, data: data.to_vec(), with_response: false }
    }

    #[test]
    fn six_vibrators_whole_state() {
        // The Crescendo (protocol defaults): six vibrators.
        let mut crescendo = sim(6);
        assert_eq!(crescendo.all(), [w(&[0; 6])], "keepalive seed");
        assert_eq!(crescendo.set(2, Vibrate, 56), [w(&[0, 0, 56, 0, 0, 0])]);
        assert_eq!(crescendo.flush(&[(0, Vibrate, 1), (5, Vibrate, 30)]), [w(&[1, 0, 56, 0, 0, 30])]);
        assert_eq!(crescendo.set(2, Vibrate, 99), [w(&[1, 0, 56, 0, 0, 30])], "clamped to 56");
        assert_eq!(crescendo.stop(), [w(&[0; 6])]);
        assert_eq!(crescendo.stop(), []);
    }

    #[test]
    fn every_model_size() {
        // Molto 1, Poco 2, v2 defaults (Tenuto Mini) 3, Tenuto 2 / Legato 4.
        let mut molto = sim(1);
        assert_eq!(molto.set(0, Vibrate, 20), [w(&[20])]);
        assert_eq!(molto.stop(), [w(&[0])]);
        let mut poco = sim(2);
        assert_eq!(poco.set(1, Vibrate, 7), [w(&[0, 7])]);
        let mut mini = sim(3);
        assert_eq!(mini.set(0, Vibrate, 9), [w(&[9, 0, 0])]);
        let mut legato = sim(4);
        assert_eq!(legato.set(3, Vibrate, 40), [w(&[0, 0, 0, 40])]);
        assert_eq!(legato.stop(), [w(&[0, 0, 0, 0])]);
    }

    #[test]
    fn feature_index_order() {
        let shuffled = vec![feature(1, &[(Vibrate, 0, 56)]), feature(0, &[(Vibrate, 0, 56)])];
        let mut toy = Sim::new(Box::new(MYSTERYVIBE_V2.handler(&shuffled).unwrap()), &shuffled);
        assert_eq!(toy.set(1, Vibrate, 5), [w(&[0, 5])]);
    }

    #[test]
    fn definitions_and_keepalive() {
        assert!(MYSTERYVIBE.handler(&[]).is_err());
        assert!(MYSTERYVIBE.handler(&features(&[(Rotate, -56, 56)])).is_err());
        let handler = MYSTERYVIBE_V2.handler(&features(&[(Vibrate, 0, 56)])).unwrap();
        assert_eq!(handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(93)));
    }

    #[tokio::test]
    async fn init_packets() {
        assert_eq!([MYSTERYVIBE.name(), MYSTERYVIBE_V2.name()], ["mysteryvibe", "mysteryvibe-v2"]);
        let features = features(&[(Vibrate, 0, 56); 2]);
        for (protocol, packet) in [(&MYSTERYVIBE, [0x43, 0x02, 0x00]), (&MYSTERYVIBE_V2, [0x03, 0x02, 0x40])] {
            let hw = FakeHardware::with_endpoints("MV Poco     ", "aa", &[Endpoint::TxMode, Endpoint::TxVibrate]);
            let handler = protocol.initialize(&hw, Some("MV Poco     "), &features).await.unwrap();
            assert_eq!(hw.events(), vec![Event::Write(Write::with_response(Endpoint::TxMode, packet.to_vec()))]);
            assert_eq!(handler.keepalive(), Keepalive::RepeatLast(KEEPALIVE));
        }
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
        Vector::new(&MYSTERYVIBE, Some("MV Crescendo"), &[
            Set(&[(2, Vibrate, 56)], &[write_to(Endpoint::TxVibrate, false, &[0, 0, 56, 0, 0, 0])]),
            Set(
                &[(0, Vibrate, 1), (1, Vibrate, 2), (3, Vibrate, 3), (4, Vibrate, 4), (5, Vibrate, 30)],
                &[write_to(Endpoint::TxVibrate, false, &[1, 2, 56, 3, 4, 30])],
            ),
            Stop(&[write_to(Endpoint::TxVibrate, false, &[0, 0, 0, 0, 0, 0])]),
        ]),
        Vector::new(&MYSTERYVIBE, Some("MV Poco     "), &[
            Set(&[(1, Vibrate, 7)], &[write_to(Endpoint::TxVibrate, false, &[0, 7])]),
            Set(&[(0, Vibrate, 20)], &[write_to(Endpoint::TxVibrate, false, &[20, 7])]),
            Stop(&[write_to(Endpoint::TxVibrate, false, &[0, 0])]),
        ]),
        Vector::new(&MYSTERYVIBE_V2, Some("6907 MV1"), &[
            Set(&[(0, Vibrate, 9)], &[write_to(Endpoint::TxVibrate, false, &[9, 0, 0])]),
            Set(&[(1, Vibrate, 10), (2, Vibrate, 11)], &[write_to(Endpoint::TxVibrate, false, &[9, 10, 11])]),
            Stop(&[write_to(Endpoint::TxVibrate, false, &[0, 0, 0])]),
        ]),
    ];
}
