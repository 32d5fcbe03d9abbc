//! Magic Motion.
//!
//! Every variant sends one whole-state packet to `tx`; no init, battery from the standard
//! BLE battery characteristic (the [`DeviceHandler::battery`](super::DeviceHandler::battery) default).
//!
//! | variant | packet | range | write |
//! |---|---|---|---|
//! | `magic-motion-1` | `0b ff 04 0a 32 32 00 04 08 S 64 00` | 0..100 | w/o |
//! | `magic-motion-2` | `10 ff 04 0a 32 0a 00 04 08 S0 64 00 04 08 S1 64 01` | 0..100 | w/o |
//! | `magic-motion-3` | `0b ff 04 0a 46 46 00 04 08 S 64 00` | 0..77 | w/o |
//! | `magic-motion-4` | `10 ff 04 0a 32 32 00 04 08 S0 64 00 04 08 S1 64 01` | 0..100 | w/r |
//!
//! The two-motor variants take one or two motors. With one motor, `magic-motion-4` puts its
//! value in both slots (the table states this) and `magic-motion-2` sends 0 in the second slot,
//! as the reference does (checked with `make differential`).
//! Motors are the vibrate and oscillate outputs in feature-index order (first = `S0`).

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// Which packet layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `magic-motion-1`: one motor, 12-byte packet.
    One,
    /// `magic-motion-2`: two motors, 17-byte packet.
    Two,
    /// `magic-motion-3`: one motor, 12-byte packet with `46 46`, range 0..77.
    Three,
    /// `magic-motion-4`: two motors, 17-byte packet with `32 32`, with response.
    Four,
}

impl Variant {
    fn max(self) -> u8 {
        match self {
            Variant::Three => 77,
            _ => 100,
        }
    }

    /// The protocol of this layout.
    pub fn protocol(self) -> &'static SinglePacket {
        match self {
            Variant::One => &MAGIC_MOTION_1,
            Variant::Two => &MAGIC_MOTION_2,
            Variant::Three => &MAGIC_MOTION_3,
            Variant::Four => &MAGIC_MOTION_4,
        }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MAGIC_MOTION_1, &MAGIC_MOTION_2, &MAGIC_MOTION_3, &MAGIC_MOTION_4];

/// The motor types the reference database gives these devices.
const MOTORS: &[OutputType] = &[OutputType::Vibrate, OutputType::Oscillate];

/// `magic-motion-1`.
pub static MAGIC_MOTION_1: SinglePacket = SinglePacket {
    name: "magic-motion-1",
    outputs: Outputs::of(MOTORS).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(|levels: &[OutputLevel]| packet(Variant::One, first(levels), 0)),
    keepalive: Keepalive::None,
};

/// `magic-motion-2`: with one motor, the second slot is 0, as the reference sends it.
pub static MAGIC_MOTION_2: SinglePacket = SinglePacket {
    name: "magic-motion-2",
    outputs: Outputs::of(MOTORS).at_most(2),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(|levels: &[OutputLevel]| packet(Variant::Two, first(levels), second(levels, 0))),
    keepalive: Keepalive::None,
};

/// `magic-motion-3`.
pub static MAGIC_MOTION_3: SinglePacket = SinglePacket {
    name: "magic-motion-3",
    outputs: Outputs::of(MOTORS).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(|levels: &[OutputLevel]| packet(Variant::Three, first(levels), 0)),
    keepalive: Keepalive::None,
};

/// `magic-motion-4`: with one motor, its value goes in both slots.
pub static MAGIC_MOTION_4: SinglePacket = SinglePacket {
    name: "magic-motion-4",
    outputs: Outputs::of(MOTORS).at_most(2),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::WholeState(|levels: &[OutputLevel]| {
        packet(Variant::Four, first(levels), second(levels, first(levels)))
    }),
    keepalive: Keepalive::None,
};

fn first(levels: &[OutputLevel]) -> i32 {
    levels.first().map_or(0, |level| level.value)
}

/// The second motor's value, `alone` for a device with one motor.
fn second(levels: &[OutputLevel], alone: i32) -> i32 {
    levels.get(1).map_or(alone, |level| level.value)
}

/// The packet of `variant` for these motor levels (the second is ignored by the one-motor
/// variants).
pub fn packet(variant: Variant, s0: i32, s1: i32) -> Vec<u8> {
    let (s0, s1) = (clamp_byte(s0, variant.max()), clamp_byte(s1, variant.max()));
    match variant {
        Variant::One => vec![0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, s0, 0x64, 0x00],
        Variant::Three => vec![0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, s0, 0x64, 0x00],
        Variant::Two | Variant::Four => {
            let b5 = if variant == Variant::Two { 0x0a } else { 0x32 };
            vec![0x10, 0xff, 0x04, 0x0a, 0x32, b5, 0x00, 0x04, 0x08, s0, 0x64, 0x00, 0x04, 0x08, s1, 0x64, 0x01]
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, bytes_with_response, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(variant: Variant, motors: usize, max: i32) -> Sim {
        let features = features(&vec![(Vibrate, 0, max); motors]);
        Sim::new(Box::new(variant.protocol().handler(&features).unwrap()), &features)
    }

    #[test]
    fn one() {
        let mut mini = sim(Variant::One, 1, 100);
        assert_eq!(
            bytes(&mini.set(0, Vibrate, 50)),
            [[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x32, 0x64, 0x00]]
        );
        assert_eq!(
            bytes(&mini.set(0, Vibrate, 100)),
            [[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x64, 0x64, 0x00]]
        );
        assert_eq!(
            bytes(&mini.stop()),
            [[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00]]
        );
        assert!(mini.stop().is_empty());
    }

    #[test]
    fn three() {
        let mut krush = sim(Variant::Three, 1, 77);
        assert_eq!(
            bytes(&krush.set(0, Vibrate, 77)),
            [[0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, 0x4d, 0x64, 0x00]]
        );
        assert_eq!(
            bytes(&krush.stop()),
            [[0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00]]
        );
        assert_eq!(packet(Variant::Three, 200, 0)[9], 77, "clamped to the range");
    }

    #[test]
    fn two() {
        let mut eidolon = sim(Variant::Two, 2, 100);
        assert_eq!(
            bytes(&eidolon.set(0, Vibrate, 10)),
            [[0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x0a, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01]]
        );
        assert_eq!(
            bytes(&eidolon.set(1, Vibrate, 100)),
            [[0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x0a, 0x64, 0x00, 0x04, 0x08, 0x64, 0x64, 0x01]]
        );
        assert_eq!(
            bytes(&eidolon.stop()),
            [[0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01]]
        );
        // One motor: the second slot stays 0 (unlike magic-motion-4).
        let mut single = sim(Variant::Two, 1, 100);
        assert_eq!(
            bytes(&single.set(0, Vibrate, 25)),
            [[0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x19, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01]]
        );
    }

    #[test]
    fn four_with_response_and_single_motor() {
        let mut nyx = sim(Variant::Four, 2, 100);
        assert_eq!(
            bytes_with_response(&nyx.flush(&[(0, Vibrate, 1), (1, Vibrate, 2)])),
            [[0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x01, 0x64, 0x00, 0x04, 0x08, 0x02, 0x64, 0x01]]
        );
        let mut umi = sim(Variant::Four, 1, 100);
        assert_eq!(
            bytes_with_response(&umi.set(0, Vibrate, 33)),
            [[0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x21, 0x64, 0x00, 0x04, 0x08, 0x21, 0x64, 0x01]]
        );
        assert_eq!(
            bytes_with_response(&umi.stop()),
            [[0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01]]
        );
    }

    #[test]
    fn definitions() {
        assert!(MAGIC_MOTION_1.handler(&features(&[(Vibrate, 0, 100); 2])).is_err());
        assert!(MAGIC_MOTION_4.handler(&features(&[(Vibrate, 0, 100); 3])).is_err());
        assert!(MAGIC_MOTION_2.handler(&[]).is_err());
    }

    #[tokio::test]
    async fn no_init_and_names() {
        let features = features(&[(Vibrate, 0, 100)]);
        for (protocol, name) in [
            (&MAGIC_MOTION_1, "magic-motion-1"),
            (&MAGIC_MOTION_2, "magic-motion-2"),
            (&MAGIC_MOTION_3, "magic-motion-3"),
            (&MAGIC_MOTION_4, "magic-motion-4"),
        ] {
            assert_eq!(protocol.name(), name);
            let hw = FakeHardware::new("Smart Mini Vibe", "aa");
            let handler = protocol.initialize(&hw, None, &features).await.unwrap();
            assert!(hw.events().is_empty(), "{name} has no init");
            assert_eq!(handler.keepalive(), Keepalive::None);
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
        Vector::new(&MAGIC_MOTION_1, Some("Smart Bean"), &[
            Set(&[(0, Vibrate, 50)], &[tx(&[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x32, 0x64, 0x00])]),
            Stop(&[tx(&[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00])]),
        ]),
        Vector::new(&MAGIC_MOTION_1, Some("Xone"), &[
            Set(&[(0, Oscillate, 100)], &[tx(&[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x64, 0x64, 0x00])]),
            Stop(&[tx(&[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00])]),
        ]),
        Vector::new(&MAGIC_MOTION_2, Some("Eidolon"), &[
            Set(&[(0, Vibrate, 10)], &[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x0a, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01,
            ])]),
            Set(&[(1, Vibrate, 100)], &[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x0a, 0x64, 0x00, 0x04, 0x08, 0x64, 0x64, 0x01,
            ])]),
            Stop(&[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01,
            ])]),
        ]),
        Vector::new(&MAGIC_MOTION_2, Some("CBT001"), &[
            Set(&[(1, Oscillate, 2)], &[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x02, 0x64, 0x01,
            ])]),
            Set(&[(0, Vibrate, 1)], &[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x01, 0x64, 0x00, 0x04, 0x08, 0x02, 0x64, 0x01,
            ])]),
            Stop(&[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01,
            ])]),
        ]),
        // One motor: the second slot is 0.
        Vector::new(&MAGIC_MOTION_2, Some("Lipstick"), &[
            Set(&[(0, Vibrate, 25)], &[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x19, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01,
            ])]),
            Stop(&[tx(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01,
            ])]),
        ]),
        Vector::new(&MAGIC_MOTION_3, None, &[
            Set(&[(0, Vibrate, 77)], &[tx(&[0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, 0x4d, 0x64, 0x00])]),
            Stop(&[tx(&[0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00])]),
        ]),
        Vector::new(&MAGIC_MOTION_4, Some("umi"), &[
            Set(&[(0, Vibrate, 1), (1, Vibrate, 2)], &[tx_with_response(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x01, 0x64, 0x00, 0x04, 0x08, 0x02, 0x64, 0x01,
            ])]),
            Stop(&[tx_with_response(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01,
            ])]),
        ]),
        // One motor: its value in both slots.
        Vector::new(&MAGIC_MOTION_4, Some("nyx"), &[
            Set(&[(0, Vibrate, 33)], &[tx_with_response(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x21, 0x64, 0x00, 0x04, 0x08, 0x21, 0x64, 0x01,
            ])]),
            Stop(&[tx_with_response(&[
                0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04, 0x08, 0x00, 0x64, 0x01,
            ])]),
        ]),
    ];
}
