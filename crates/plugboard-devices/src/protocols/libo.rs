//! LiBo. Service 0x6000 with
//! `tx` (0x6001) and `txmode` (0x6002); every write is without response; no init.
//!
//! Outputs are found by feature index (feature 0 and feature 1, one output each):
//!
//! | protocol | feature 0 | feature 1 |
//! |---|---|---|
//! | `libo-vibes` | `[S]` to `tx`, and when S = 0 also `00` to `txmode` | `[S]` to `txmode` |
//! | `libo-elle` | `[S]` to `txmode` | to `tx`: 0 -> `00`, 1..7 -> `((S-1)<<4) OR 1`, 8.. -> `((S-8)<<4) OR 4` |
//! | `libo-shark` | one packet `(S0<<4) OR S1` to `tx` whenever either changes | (the low nibble) |

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, lookup, motor_slots, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// Which LiBo layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Vibes,
    Elle,
    Shark,
}

impl Variant {
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Vibes => "libo-vibes",
            Variant::Elle => "libo-elle",
            Variant::Shark => "libo-shark",
        }
    }
}

/// A LiBo protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct Libo {
    variant: Variant,
}

impl Libo {
    pub const fn new(variant: Variant) -> Libo {
        Libo { variant }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LIBO_VIBES, &LIBO_ELLE, &LIBO_SHARK];

pub static LIBO_VIBES: Libo = Libo::new(Variant::Vibes);
pub static LIBO_ELLE: Libo = Libo::new(Variant::Elle);
pub static LIBO_SHARK: Libo = Libo::new(Variant::Shark);

impl Protocol for Libo {
    fn name(&self) -> &'static str {
        self.variant.name()
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(LiboHandler::new(self.variant, features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of one LiBo device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiboHandler {
    variant: Variant,
    /// The output of feature 0.
    first: (u32, OutputType),
    /// The output of feature 1, if the device has one.
    second: Option<(u32, OutputType)>,
}

impl LiboHandler {
    /// A device whose outputs are on feature 0 and optionally feature 1, one each.
    pub fn new(variant: Variant, features: &[Feature]) -> Result<LiboHandler, ProtocolError> {
        let name = variant.name();
        let slots = motor_slots(features);
        let mut first = None;
        let mut second = None;
        for slot in slots {
            let place = match slot.0 {
                0 => &mut first,
                1 => &mut second,
                index => return Err(ProtocolError::Definition(format!("{name} has no command for feature {index}"))),
            };
            if place.replace(slot).is_some() {
                return Err(ProtocolError::Definition(format!("{name}: feature {} has several outputs", slot.0)));
            }
        }
        let first = first.ok_or_else(|| ProtocolError::Definition(format!("{name} needs an output on feature 0")))?;
        Ok(LiboHandler { variant, first, second })
    }
}

/// The `libo-elle` feature-1 byte.
pub fn elle_tx_byte(value: i32) -> u8 {
    // 23 is the largest level whose high nibble still fits in a byte.
    let s = clamp_byte(value, 23);
    match s {
        0 => 0x00,
        1..=7 => ((s - 1) << 4) | 0x01,
        _ => ((s - 8) << 4) | 0x04,
    }
}

fn tx(data: u8) -> Write {
    Write::without_response(Endpoint::Tx, vec![data])
}

fn txmode(data: u8) -> Write {
    Write::without_response(Endpoint::TxMode, vec![data])
}

impl DeviceHandler for LiboHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let first_changed = lookup(levels, changed, self.first).1;
        let second_changed = self.second.is_some_and(|slot| lookup(levels, changed, slot).1);
        let first = value_of(levels, self.first);
        let second = self.second.map_or(0, |slot| value_of(levels, slot));
        let mut writes = Vec::new();
        match self.variant {
            Variant::Vibes => {
                // A first motor that stops is stopped on `txmode` too (what a single-motor
                // device needs); `txmode` is written once, with the second motor's level when
                // that changed as well (a stop of both is `00` to each, not `00` twice).
                let first_stops = first_changed && clamp_byte(first, 255) == 0;
                if first_changed {
                    writes.push(tx(clamp_byte(first, 255)));
                }
                if second_changed {
                    writes.push(txmode(clamp_byte(second, 255)));
                } else if first_stops {
                    writes.push(txmode(0x00));
                }
            }
            Variant::Elle => {
                if first_changed {
                    writes.push(txmode(clamp_byte(first, 255)));
                }
                if second_changed {
                    writes.push(tx(elle_tx_byte(second)));
                }
            }
            Variant::Shark => {
                if first_changed || second_changed {
                    writes.push(tx((clamp_byte(first, 15) << 4) | clamp_byte(second, 15)));
                }
            }
        }
        writes
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(variant: Variant, outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(LiboHandler::new(variant, &features).unwrap()), &features)
    }

    fn tx_w(byte: u8) -> Write {
        Write { endpoint: Endpoint::Tx, data: vec![byte], with_response: false }
    }

    fn mode_w(byte: u8) -> Write {
        Write { endpoint: Endpoint::TxMode, data: vec![byte], with_response: false }
    }

    #[test]
    fn vibes() {
        let mut toy = sim(Variant::Vibes, &[(Vibrate, 0, 100), (Vibrate, 0, 3)]);
        assert_eq!(toy.set(0, Vibrate, 100), [tx_w(0x64)]);
        assert_eq!(toy.set(0, Vibrate, 42), [tx_w(0x2a)]);
        assert_eq!(toy.set(1, Vibrate, 3), [mode_w(0x03)]);
        // Feature 0 to zero also resets the mode.
        assert_eq!(toy.set(0, Vibrate, 0), [tx_w(0x00), mode_w(0x00)]);
        assert_eq!(toy.set(0, Vibrate, 7), [tx_w(0x07)]);
        assert_eq!(toy.stop(), [tx_w(0x00), mode_w(0x00)], "a stop of both: each endpoint once");
        assert_eq!(toy.stop(), []);
        // The first motor stopping while the second changes: `txmode` once, with the second's level.
        toy.flush(&[(0, Vibrate, 9), (1, Vibrate, 1)]);
        assert_eq!(toy.flush(&[(0, Vibrate, 0), (1, Vibrate, 2)]), [tx_w(0x00), mode_w(0x02)]);

        let mut single = sim(Variant::Vibes, &[(Vibrate, 0, 100)]);
        assert_eq!(single.set(0, Vibrate, 1), [tx_w(0x01)]);
        assert_eq!(single.stop(), [tx_w(0x00), mode_w(0x00)]);
    }

    #[test]
    fn elle() {
        let mut toy = sim(Variant::Elle, &[(Vibrate, 0, 3), (Vibrate, 0, 15)]);
        assert_eq!(toy.set(0, Vibrate, 2), [mode_w(0x02)]);
        assert_eq!(toy.set(1, Vibrate, 1), [tx_w(0x01)]);
        assert_eq!(toy.set(1, Vibrate, 7), [tx_w(0x61)]);
        assert_eq!(toy.set(1, Vibrate, 8), [tx_w(0x04)]);
        assert_eq!(toy.set(1, Vibrate, 15), [tx_w(0x74)]);
        assert_eq!(toy.stop(), [mode_w(0x00), tx_w(0x00)]);
        assert_eq!(elle_tx_byte(3), 0x21);
        assert_eq!(elle_tx_byte(0), 0x00);
        assert_eq!(elle_tx_byte(-4), 0x00);
        assert_eq!(elle_tx_byte(99), 0xf4);
    }

    #[test]
    fn shark() {
        let mut toy = sim(Variant::Shark, &[(Vibrate, 0, 3), (Vibrate, 0, 3)]);
        assert_eq!(toy.set(0, Vibrate, 3), [tx_w(0x30)]);
        assert_eq!(toy.set(1, Vibrate, 2), [tx_w(0x32)]);
        assert_eq!(toy.flush(&[(0, Vibrate, 1), (1, Vibrate, 1)]), [tx_w(0x11)]);
        assert_eq!(toy.set(0, Vibrate, 0), [tx_w(0x01)]);
        assert_eq!(toy.stop(), [tx_w(0x00)]);
        assert_eq!(toy.stop(), []);
    }

    #[test]
    fn definitions() {
        assert!(LiboHandler::new(Variant::Vibes, &[]).is_err());
        assert!(LiboHandler::new(Variant::Vibes, &features(&[(Vibrate, 0, 100); 3])).is_err());
        let two_on_one = vec![feature(0, &[(Vibrate, 0, 100), (Oscillate, 0, 3)])];
        assert!(LiboHandler::new(Variant::Elle, &two_on_one).is_err());
        let only_second = vec![feature(1, &[(Vibrate, 0, 3)])];
        assert!(LiboHandler::new(Variant::Shark, &only_second).is_err());
    }

    #[tokio::test]
    async fn names_and_no_init() {
        let statics: [&Libo; 3] = [&LIBO_VIBES, &LIBO_ELLE, &LIBO_SHARK];
        assert_eq!(statics.map(|p| p.name()), ["libo-vibes", "libo-elle", "libo-shark"]);
        let features = features(&[(Vibrate, 0, 3), (Vibrate, 0, 3)]);
        for protocol in statics {
            let hw = FakeHardware::with_endpoints("XiaoLu", "aa", &[Endpoint::Tx, Endpoint::TxMode]);
            let handler = protocol.initialize(&hw, Some("XiaoLu"), &features).await.unwrap();
            assert!(hw.events().is_empty(), "{} has no init", protocol.name());
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
    use crate::protocols::test_vectors::tx;

    pub(crate) static VECTORS: &[Vector] = &[
        // libo-vibes: feature 0 to `tx` (and `00` to `txmode` when it goes to 0), feature 1 to
        // `txmode`.
        Vector::new(&LIBO_VIBES, Some("BaiHu"), &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0x64])]),
            Set(&[(1, Vibrate, 3)], &[write_to(Endpoint::TxMode, false, &[0x03])]),
            // A stop of both motors writes each endpoint once.
            Stop(&[tx(&[0x00]), write_to(Endpoint::TxMode, false, &[0x00])]),
        ]),
        Vector::new(&LIBO_VIBES, None, &[
            Set(&[(0, Vibrate, 42)], &[tx(&[0x2a])]),
            Stop(&[tx(&[0x00]), write_to(Endpoint::TxMode, false, &[0x00])]),
        ]),
        // libo-elle: feature 0 to `txmode`.
        Vector::new(&LIBO_ELLE, None, &[
            Set(&[(0, Vibrate, 2)], &[write_to(Endpoint::TxMode, false, &[0x02])]),
            Stop(&[write_to(Endpoint::TxMode, false, &[0x00])]),
        ]),
        // libo-shark: both motors in one byte, `(S0 << 4) | S1`.
        Vector::new(&LIBO_SHARK, None, &[
            Set(&[(0, Vibrate, 3)], &[tx(&[0x30])]),
            Set(&[(1, Vibrate, 2)], &[tx(&[0x32])]),
            Stop(&[tx(&[0x00])]),
        ]),
    ];
}
