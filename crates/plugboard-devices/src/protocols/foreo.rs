//! Foreo: LUNA, UFO, BEAR and KIWI devices. Service 0xFFF0 with
//! `tx` (0xFFF1); no init, no battery.
//!
//! | output | packet (to `tx`, with response) |
//! |---|---|
//! | vibrate (feature 0, steps 0..=10, higher clamped to 10) | `01 mode S` |
//!
//! `mode` is fixed per device by its BLE name (case-insensitive), see [`mode_for_name`]:
//!
//! | name contains | mode |
//! |---|---|
//! | `smart` and `2` (LUNA play smart 2) | `03` |
//! | otherwise `fofo` or `ufo` | `01` |
//! | anything else | `00` |

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::{Encoder, Outputs, SinglePacketHandler};
use super::{clamp_byte, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware};

/// The highest level: the reference database gives Foreo vibrators 10 steps. Higher values are
/// clamped rather than sent as something the firmware was never told about.
pub const MAX_LEVEL: u8 = 10;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&FOREO];

/// The Foreo protocol family (`foreo`): single packets, but the mode byte in them comes from the
/// device's name, so it builds its [`SinglePacketHandler`] itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Foreo;

pub static FOREO: Foreo = Foreo;

/// The mode byte for a device name.
pub fn mode_for_name(name: &str) -> u8 {
    let name = name.to_lowercase();
    if name.contains("smart") && name.contains('2') {
        3
    } else if name.contains("fofo") || name.contains("ufo") {
        1
    } else {
        0
    }
}

/// The handler of a device with these features and this mode byte: `01 mode S` per vibrator,
/// to `tx` with response.
pub fn handler(features: &[Feature], mode: u8) -> Result<SinglePacketHandler, ProtocolError> {
    let packet = move |level: &OutputLevel| vec![0x01, mode, clamp_byte(level.value, MAX_LEVEL)];
    let outputs = Outputs::of(&[OutputType::Vibrate]);
    SinglePacketHandler::new("foreo", &outputs, features, Endpoint::Tx, true, Encoder::PerOutput(Box::new(packet)))
}

impl Protocol for Foreo {
    fn name(&self) -> &'static str {
        "foreo"
    }

    /// The mode comes from the hardware's name (the BLE name), or the identifier if the
    /// hardware has none.
    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let name = if hw.name().is_empty() { identifier.unwrap_or_default() } else { hw.name() };
            Ok(Box::new(handler(features, mode_for_name(name))?) as Box<dyn DeviceHandler>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::ChangeSet;
    use crate::hardware::Write;
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{features, Sim};
    use super::super::{Advertisement, Keepalive};
    use super::*;
    use crate::testing::FakeHardware;

    fn w(data: [u8; 3]) -> Write {
        Write { endpoint: Endpoint::Tx, data: data.to_vec(), with_response: true }
    }

    #[test]
    fn modes_by_name() {
        for (name, mode) in [
            ("LUNA play smart2", 3),
            ("LUNA PLAY SMART 2", 3),
            ("LUNA PLAYSMART2", 3),
            ("LUNA PLAY SMART", 0),
            ("FOFO", 1),
            ("LUNA fofo", 1),
            ("UFO", 1),
            ("UFO 2", 1),
            ("UFO3mini", 1),
            ("LUNA 3", 0),
            ("LUNA4PLUS", 0),
            ("BEAR2", 0),
            ("KIWI derma", 0),
            ("", 0),
        ] {
            assert_eq!(mode_for_name(name), mode, "{name}");
        }
    }

    #[test]
    fn vibrate_with_mode() {
        let f = features(&[(Vibrate, 0, 10)]);
        let mut toy = Sim::new(Box::new(handler(&f, 3).unwrap()), &f);
        assert_eq!(toy.set(0, Vibrate, 10), [w([0x01, 0x03, 0x0a])]);
        assert_eq!(toy.set(0, Vibrate, 4), [w([0x01, 0x03, 0x04])]);
        assert_eq!(toy.stop(), [w([0x01, 0x03, 0x00])]);
        assert_eq!(toy.stop(), []);
        assert_eq!(toy.set(0, Vibrate, -1), [w([0x01, 0x03, 0x00])], "negative clamps to a stop");
        assert_eq!(toy.set(0, Vibrate, 300), [w([0x01, 0x03, 0x0a])]);

        let mut plain = Sim::new(Box::new(handler(&f, 0).unwrap()), &f);
        assert_eq!(plain.set(0, Vibrate, 7), [w([0x01, 0x00, 0x07])]);
        assert!(handler(&[], 0).is_err());
    }

    #[tokio::test]
    async fn initialize_reads_the_mode_from_the_name() {
        assert_eq!(FOREO.name(), "foreo");
        let f = features(&[(Vibrate, 0, 10)]);
        for (name, mode) in [("LUNA play smart 2", 0x03), ("UFO mini", 0x01), ("LUNA 3", 0x00)] {
            let hw = FakeHardware::with_endpoints(name, "aa", &[Endpoint::Tx]);
            let identifier = FOREO.identify(&hw, &Advertisement::named(name)).await.unwrap();
            assert_eq!(identifier.as_deref(), Some(name));
            let handler = FOREO.initialize(&hw, identifier.as_deref(), &f).await.unwrap();
            assert!(hw.events().is_empty(), "no init");
            assert_eq!(handler.keepalive(), Keepalive::None);
            let mut levels = OutputLevel::for_features(&f);
            levels[0].value = 5;
            assert_eq!(handler.encode(&levels, ChangeSet::ALL), [w([0x01, mode, 0x05])], "{name}");
            assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::Unsupported(_))));
        }
        // A nameless hardware handle falls back to the identifier.
        let hw = FakeHardware::with_endpoints("", "aa", &[Endpoint::Tx]);
        let handler = FOREO.initialize(&hw, Some("FOFO"), &f).await.unwrap();
        let mut levels = OutputLevel::for_features(&f);
        levels[0].value = 2;
        assert_eq!(handler.encode(&levels, ChangeSet::ALL), [w([0x01, 0x01, 0x02])]);
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
        // The mode byte comes from the name: `smart` and `2` is 03, `fofo` 01, anything else 00.
        Vector::new(&FOREO, Some("LUNA PLAYSMART2"), &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0x01, 0x03, 0x0a])]),
            Set(&[(0, Vibrate, 4)], &[tx_with_response(&[0x01, 0x03, 0x04])]),
            Stop(&[tx_with_response(&[0x01, 0x03, 0x00])]),
        ]),
        Vector::new(&FOREO, Some("FOFO"), &[
            Set(&[(0, Vibrate, 7)], &[tx_with_response(&[0x01, 0x01, 0x07])]),
            Stop(&[tx_with_response(&[0x01, 0x01, 0x00])]),
        ]),
        Vector::new(&FOREO, Some("LUNA 3"), &[
            Set(&[(0, Vibrate, 7)], &[tx_with_response(&[0x01, 0x00, 0x07])]),
            Stop(&[tx_with_response(&[0x01, 0x00, 0x00])]),
        ]),
    ];
}
