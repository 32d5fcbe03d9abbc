//! Nobra's Silicone Dreams: BLE (`NobraControl*` /
//! `Nobra Control*`, service 0xABF0, `tx` 0xABF1) or a serial port (19200 8N1). The bytes are
//! the same on either transport, always to `tx` without response (serial transports ignore the
//! endpoint).
//!
//! | what | byte |
//! |---|---|
//! | init | `70` (`p`, stop) |
//! | vibrate S in 1..=15 | `60 + S` (`a`..`o`) |
//! | vibrate 0 | `70` (`p`) |
//!
//! One vibrate output (the reference database's only feature, 0..=15); levels are clamped.

use plugboard_protocol::model::OutputType;

use super::single_packet::{tx, Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The stop byte, also written at init.
pub const STOP: u8 = 0x70;
/// The highest level.
pub const MAX_LEVEL: u8 = 15;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&NOBRA];

/// The `nobra` protocol: one vibrate output.
pub static NOBRA: SinglePacket = SinglePacket {
    name: "nobra",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[tx(&[STOP])],
    packets: Packets::PerOutput(|level: &OutputLevel| vec![level_byte(level.value)]),
    keepalive: Keepalive::None,
};

/// The byte for vibration level `level` (clamped to 0..=15).
pub fn level_byte(level: i32) -> u8 {
    match level.clamp(0, i32::from(MAX_LEVEL)) as u8 {
        0 => STOP,
        s => 0x60 + s,
    }
}

#[cfg(test)]
mod tests {
    use crate::hardware::Write;
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{ascii, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::{Event, FakeHardware};

    #[test]
    fn levels() {
        let features = features(&[(Vibrate, 0, 15)]);
        let mut toy = Sim::new(Box::new(NOBRA.handler(&features).unwrap()), &features);
        assert_eq!(ascii(&toy.set(0, Vibrate, 1)), ["a"]);
        assert_eq!(toy.set(0, Vibrate, 15), [Write::without_response(Endpoint::Tx, vec![0x6f])]);
        assert_eq!(ascii(&toy.set(0, Vibrate, 8)), ["h"]);
        assert_eq!(ascii(&toy.set(0, Vibrate, 40)), ["o"], "clamped to 15");
        assert_eq!(toy.stop(), [Write::without_response(Endpoint::Tx, vec![0x70])]);
        assert_eq!(toy.stop(), []);
        assert_eq!(level_byte(-1), 0x70);
    }

    #[test]
    fn definitions() {
        assert!(NOBRA.handler(&[]).is_err());
        assert!(NOBRA.handler(&features(&[(Vibrate, 0, 15); 2])).is_err());
        assert!(NOBRA.handler(&features(&[(Rotate, -15, 15)])).is_err());
    }

    #[tokio::test]
    async fn init_writes_stop_on_ble_and_serial() {
        assert_eq!(NOBRA.name(), "nobra");
        let features = features(&[(Vibrate, 0, 15)]);
        // A BLE device (tx only) and a serial port (tx and rx): the same byte to tx.
        for hw in [
            FakeHardware::with_endpoints("NobraControl", "aa", &[Endpoint::Tx]),
            FakeHardware::new("/dev/ttyUSB0", "/dev/ttyUSB0"),
        ] {
            let handler = NOBRA.initialize(&hw, None, &features).await.unwrap();
            assert_eq!(hw.events(), vec![Event::Write(Write::without_response(Endpoint::Tx, vec![0x70]))]);
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
        Vector::new(&NOBRA, None, &[
            Set(&[(0, Vibrate, 1)], &[tx(b"a")]),
            Set(&[(0, Vibrate, 15)], &[tx(&[0x6f])]),
            Stop(&[tx(&[0x70])]),
        ]),
    ];
}
