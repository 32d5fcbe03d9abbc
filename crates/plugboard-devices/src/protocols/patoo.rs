//! Patoo (BLE names `PTVEA*` Carrot, `PCS*` Vibrator, `PHT*` Bean Sprout, `PBT*` Devil): service
//! `f000aa64-0451-4000-b000-000000000000` with `tx` `…aa68…` (the level) and `txmode` `…aa65…`
//! (the mode), both written **with** response; no init.
//!
//! **Identify**: the model is the advertised name up to its first ASCII digit (`PTVEA123` is
//! `PTVEA`, `PBT02` is `PBT`; a name without digits is taken whole).
//!
//! Every change writes the level to `tx` and then the mode to `txmode`, from the levels `s0`
//! (feature 0) and `s1` (feature 1, the Devil's second motor), 0..=100:
//!
//! | s0 | s1 | `tx` | `txmode` |
//! |---|---|---|---|
//! | above 0 | any | `s0` | `04` |
//! | 0 | above 0 | `s1` | `80` |
//! | 0 | 0 | `00` | `00` |
//!
//! So one motor runs at a time, the first one winning, as in the reference: the mode byte
//! selects a motor and there is one level byte.
//!
//! # Where Plugboard differs from the reference
//!
//! The reference cannot connect these devices: it files the identifier under the protocol name
//! `Patoo` while its database calls the protocol `patoo`, so neither a model nor the defaults
//! are found and the connection fails. Plugboard looks the identifier up under `patoo`, so the
//! devices connect with their models' features.

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::Outputs;
use super::{clamp_byte, lookup, Advertisement, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&PATOO];

/// The `patoo` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Patoo;

pub static PATOO: Patoo = Patoo;

/// The mode byte: the first motor runs.
pub const MODE_FIRST: u8 = 0x04;
/// The mode byte: the second motor runs.
pub const MODE_SECOND: u8 = 0x80;
/// The mode byte: off.
pub const MODE_OFF: u8 = 0x00;

/// The model identifier in a Patoo name: everything before the first ASCII digit.
pub fn identifier_from_name(name: &str) -> &str {
    name.find(|c: char| c.is_ascii_digit()).map_or(name, |digit| &name[..digit])
}

/// The (level, mode) bytes for the motor levels `s0` and `s1`.
pub fn level_and_mode(s0: i32, s1: i32) -> (u8, u8) {
    let (s0, s1) = (clamp_byte(s0, u8::MAX), clamp_byte(s1, u8::MAX));
    match (s0, s1) {
        (0, 0) => (0x00, MODE_OFF),
        (0, _) => (s1, MODE_SECOND),
        _ => (s0, MODE_FIRST),
    }
}

impl Protocol for Patoo {
    fn name(&self) -> &'static str {
        "patoo"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            let name = advertisement.name_or(hw);
            let identifier = identifier_from_name(name);
            Ok((!identifier.is_empty()).then(|| identifier.to_owned()))
        })
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(PatooHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of one Patoo: its vibrators on features 0 and (the Devil) 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatooHandler {
    motors: Vec<(u32, OutputType)>,
}

impl PatooHandler {
    pub fn new(features: &[Feature]) -> Result<PatooHandler, ProtocolError> {
        let motors = Outputs::of(&[OutputType::Vibrate]).up_to_feature(1).at_most(2).check("patoo", features)?;
        Ok(PatooHandler { motors })
    }
}

impl DeviceHandler for PatooHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let mut any_changed = false;
        let mut speeds = [0; 2];
        for &slot in &self.motors {
            let (level, changed) = lookup(levels, changed, slot);
            any_changed |= changed;
            speeds[slot.0 as usize] = level.map_or(0, |level| level.value);
        }
        if !any_changed {
            return Vec::new();
        }
        let (level, mode) = level_and_mode(speeds[0], speeds[1]);
        vec![Write::with_response(Endpoint::Tx, vec![level]), Write::with_response(Endpoint::TxMode, vec![mode])]
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn writes(level: u8, mode: u8) -> Vec<Write> {
        vec![Write::with_response(Endpoint::Tx, vec![level]), Write::with_response(Endpoint::TxMode, vec![mode])]
    }

    #[test]
    fn identifier_is_the_name_before_its_digits() {
        assert_eq!(identifier_from_name("PTVEA123"), "PTVEA");
        assert_eq!(identifier_from_name("PBT02"), "PBT");
        assert_eq!(identifier_from_name("PCS"), "PCS");
        assert_eq!(identifier_from_name("PHT1A2"), "PHT");
        assert_eq!(identifier_from_name("7PHT"), "");
    }

    #[tokio::test]
    async fn identify_from_the_advertised_name_or_the_hardware_name() {
        let hw = FakeHardware::new("PBT02", "aa");
        let advertised = PATOO.identify(&hw, &Advertisement::named("PTVEA123")).await.unwrap();
        assert_eq!(advertised.as_deref(), Some("PTVEA"));
        let from_hardware = PATOO.identify(&hw, &Advertisement::default()).await.unwrap();
        assert_eq!(from_hardware.as_deref(), Some("PBT"));
        let nameless = FakeHardware::new("", "aa");
        assert_eq!(PATOO.identify(&nameless, &Advertisement::default()).await.unwrap(), None);
    }

    #[test]
    fn level_and_mode_follow_the_first_running_motor() {
        let devil = features(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let mut toy = Sim::new(Box::new(PatooHandler::new(&devil).unwrap()), &devil);
        assert_eq!(toy.set(0, Vibrate, 50), writes(0x32, MODE_FIRST));
        assert_eq!(toy.set(1, Vibrate, 20), writes(0x32, MODE_FIRST), "the second waits while the first runs");
        assert_eq!(toy.set(0, Vibrate, 0), writes(0x14, MODE_SECOND));
        assert_eq!(toy.stop(), writes(0x00, MODE_OFF));
        assert_eq!(toy.stop(), []);

        let carrot = features(&[(Vibrate, 0, 100)]);
        let mut toy = Sim::new(Box::new(PatooHandler::new(&carrot).unwrap()), &carrot);
        assert_eq!(toy.set(0, Vibrate, 100), writes(0x64, MODE_FIRST));
        assert_eq!(toy.stop(), writes(0x00, MODE_OFF));
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert!(PatooHandler::new(&features(&[(Vibrate, 0, 100); 3])).is_err());
        assert!(PatooHandler::new(&features(&[(Oscillate, 0, 100)])).is_err());
        let hw = FakeHardware::with_endpoints("PCS1", "aa", &[Endpoint::Tx, Endpoint::TxMode]);
        let handler = PATOO.initialize(&hw, Some("PCS"), &features(&[(Vibrate, 0, 100)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    const fn level(value: &'static [u8]) -> FixedWrite {
        write_to(Endpoint::Tx, true, value)
    }

    const fn mode(value: &'static [u8]) -> FixedWrite {
        write_to(Endpoint::TxMode, true, value)
    }

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&PATOO, Some("PBT"), &[
            Set(&[(0, Vibrate, 50)], &[level(&[0x32]), mode(&[0x04])]),
            Set(&[(1, Vibrate, 20)], &[level(&[0x32]), mode(&[0x04])]),
            Set(&[(0, Vibrate, 0)], &[level(&[0x14]), mode(&[0x80])]),
            Set(&[(0, Vibrate, 100)], &[level(&[0x64]), mode(&[0x04])]),
            Stop(&[level(&[0x00]), mode(&[0x00])]),
        ]),
        Vector::new(&PATOO, Some("PTVEA"), &[
            Set(&[(0, Vibrate, 100)], &[level(&[0x64]), mode(&[0x04])]),
            Stop(&[level(&[0x00]), mode(&[0x00])]),
        ]),
        Vector::new(&PATOO, Some("PCS"), &[
            Set(&[(0, Vibrate, 1)], &[level(&[0x01]), mode(&[0x04])]),
            Stop(&[level(&[0x00]), mode(&[0x00])]),
        ]),
        Vector::new(&PATOO, Some("PHT"), &[
            Set(&[(0, Vibrate, 30)], &[level(&[0x1e]), mode(&[0x04])]),
            Stop(&[level(&[0x00]), mode(&[0x00])]),
        ]),
    ];
}
