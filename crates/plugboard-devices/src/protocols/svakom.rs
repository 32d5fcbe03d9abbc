//! Svakom: the generic variants `svakom-v1` ..
//! `svakom-v6` and `svakom-pulse`. All write to `tx` (svc 0xFFE0, tx 0xFFE1), without response
//! except `svakom-v2` (with response). No init.
//!
//! "on" below is 1 when the value is non-zero, else 0. "First"/"second" vibrator mean the vibrate
//! outputs in definition order (feature index order).
//!
//! | variant | packets |
//! |---|---|
//! | `svakom-v1` | every vibrator: `55 04 03 00 on S` |
//! | `svakom-v2` | first vibrator `55 03 03 00 on S`; second `55 06 01 00 S S` (w/r) |
//! | `svakom-v3` | first vibrator `55 03 03 00 on S`; second `55 09 00 00 on S`; rotate `55 08 00 00 S ff` |
//! | `svakom-v4` | first two vibrators in one packet `55 03 sel 00 on max(a,b) 00` |
//! | `svakom-v5` | as v4 without the trailing `00`; oscillate `55 09 00 00 S 00` |
//! | `svakom-v6` | as v4; third vibrator `55 07 00 00 on S 00`; constrict `55 09 00 00 L 00 00`; rotate `55 14 00 00 on S 00` |
//! | `svakom-pulse` | every vibrator: `55 03 03 00 on S+1` |
//!
//! `sel` (v4..v6): `00` for a single-motor device, when both run or when both are equal (so
//! also when both are 0), `01` when only the first runs, `02` when only the second runs; `on`
//! there is 1 unless both are 0.

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, lookup, motor_slots, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// Which generic Svakom layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    V1,
    V2,
    V3,
    V4,
    V5,
    V6,
    Pulse,
}

impl Variant {
    pub const ALL: [Variant; 7] =
        [Variant::V1, Variant::V2, Variant::V3, Variant::V4, Variant::V5, Variant::V6, Variant::Pulse];

    /// The reference database protocol name.
    pub const fn name(self) -> &'static str {
        match self {
            Variant::V1 => "svakom-v1",
            Variant::V2 => "svakom-v2",
            Variant::V3 => "svakom-v3",
            Variant::V4 => "svakom-v4",
            Variant::V5 => "svakom-v5",
            Variant::V6 => "svakom-v6",
            Variant::Pulse => "svakom-pulse",
        }
    }

    fn with_response(self) -> bool {
        self == Variant::V2
    }
}

/// A Svakom protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct Svakom {
    variant: Variant,
}

impl Svakom {
    pub const fn new(variant: Variant) -> Svakom {
        Svakom { variant }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SVAKOM_V1, &SVAKOM_V2, &SVAKOM_V3, &SVAKOM_V4, &SVAKOM_V5, &SVAKOM_V6, &SVAKOM_PULSE];

pub static SVAKOM_V1: Svakom = Svakom::new(Variant::V1);
pub static SVAKOM_V2: Svakom = Svakom::new(Variant::V2);
pub static SVAKOM_V3: Svakom = Svakom::new(Variant::V3);
pub static SVAKOM_V4: Svakom = Svakom::new(Variant::V4);
pub static SVAKOM_V5: Svakom = Svakom::new(Variant::V5);
pub static SVAKOM_V6: Svakom = Svakom::new(Variant::V6);
pub static SVAKOM_PULSE: Svakom = Svakom::new(Variant::Pulse);

impl Protocol for Svakom {
    fn name(&self) -> &'static str {
        self.variant.name()
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = SvakomHandler::new(self.variant, features)?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// An output: (feature index, type).
type Slot = (u32, OutputType);

/// What one output of the device is in the variant's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A vibrator with its own packet; the number is its position among the vibrators.
    Vibrator(usize),
    /// One of the (up to) two vibrators sharing the v4..v6 dual packet.
    Pair,
    Rotate,
    Oscillate,
    Constrict,
}

/// The encoder of one Svakom device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SvakomHandler {
    variant: Variant,
    /// Every output the device drives, in definition order, with its role.
    slots: Vec<(Slot, Role)>,
    /// v4..v6: the first and (if any) second vibrator.
    pair: Option<(Slot, Option<Slot>)>,
}

impl SvakomHandler {
    pub fn new(variant: Variant, features: &[Feature]) -> Result<SvakomHandler, ProtocolError> {
        let name = variant.name();
        let unsupported =
            |kind: OutputType| ProtocolError::Definition(format!("{name} has no command for {kind:?} outputs"));
        let dual = matches!(variant, Variant::V4 | Variant::V5 | Variant::V6);
        let max_vibrators = match variant {
            Variant::V1 | Variant::Pulse => usize::MAX,
            Variant::V2 | Variant::V3 | Variant::V4 | Variant::V5 => 2,
            Variant::V6 => 3,
        };
        let mut slots = Vec::new();
        let mut vibrators = Vec::new();
        let (mut rotates, mut oscillates, mut constricts) = (0, 0, 0);
        for slot in motor_slots(features) {
            let role = match slot.1 {
                OutputType::Vibrate => {
                    vibrators.push(slot);
                    let n = vibrators.len() - 1;
                    if n >= max_vibrators {
                        return Err(ProtocolError::Definition(format!(
                            "{name} drives at most {max_vibrators} vibrators"
                        )));
                    }
                    if dual && n < 2 {
                        Role::Pair
                    } else {
                        Role::Vibrator(n)
                    }
                }
                OutputType::Rotate if matches!(variant, Variant::V3 | Variant::V6) => {
                    rotates += 1;
                    Role::Rotate
                }
                OutputType::Oscillate if variant == Variant::V5 => {
                    oscillates += 1;
                    Role::Oscillate
                }
                OutputType::Constrict | OutputType::Inflate if variant == Variant::V6 => {
                    constricts += 1;
                    Role::Constrict
                }
                kind => return Err(unsupported(kind)),
            };
            slots.push((slot, role));
        }
        if rotates > 1 || oscillates > 1 || constricts > 1 {
            return Err(ProtocolError::Definition(format!("{name} has at most one output of each non-vibrate type")));
        }
        if slots.is_empty() {
            return Err(ProtocolError::Definition(format!("{name} needs at least one output")));
        }
        let pair = if dual { vibrators.first().map(|&first| (first, vibrators.get(1).copied())) } else { None };
        Ok(SvakomHandler { variant, slots, pair })
    }

    fn write(&self, data: Vec<u8>) -> Write {
        Write { endpoint: Endpoint::Tx, data, with_response: self.variant.with_response() }
    }

    /// The packet of a vibrator with its own command (`n`: position among the vibrators).
    fn vibrator_packet(&self, n: usize, value: i32) -> Vec<u8> {
        let s = clamp_byte(value, 255);
        let on = u8::from(s != 0);
        match (self.variant, n) {
            (Variant::V1, _) => vec![0x55, 0x04, 0x03, 0x00, on, s],
            (Variant::Pulse, _) => {
                let s = clamp_byte(value, 254);
                vec![0x55, 0x03, 0x03, 0x00, on, s + 1]
            }
            (Variant::V2, 0) | (Variant::V3, 0) => vec![0x55, 0x03, 0x03, 0x00, on, s],
            (Variant::V2, _) => vec![0x55, 0x06, 0x01, 0x00, s, s],
            (Variant::V3, _) => vec![0x55, 0x09, 0x00, 0x00, on, s],
            // v6 third vibrator (the first two are the pair).
            _ => vec![0x55, 0x07, 0x00, 0x00, on, s, 0x00],
        }
    }

    /// The v4..v6 dual-motor packet for the first (`a`) and second (`b`, `None` when single).
    pub fn pair_packet(&self, a: i32, b: Option<i32>) -> Vec<u8> {
        let a = clamp_byte(a, 255);
        let b = b.map(|b| clamp_byte(b, 255));
        let (sel, on, max) = match b {
            None => (0x00, u8::from(a != 0), a),
            Some(b) => {
                let sel = if a == b || (a != 0 && b != 0) {
                    0x00
                } else if a != 0 {
                    0x01
                } else {
                    0x02
                };
                (sel, u8::from(a != 0 || b != 0), a.max(b))
            }
        };
        let mut packet = vec![0x55, 0x03, sel, 0x00, on, max];
        if self.variant != Variant::V5 {
            packet.push(0x00);
        }
        packet
    }

    fn other_packet(&self, role: Role, value: i32) -> Vec<u8> {
        let s = clamp_byte(value, 255);
        let on = u8::from(s != 0);
        match role {
            Role::Vibrator(n) => self.vibrator_packet(n, value),
            Role::Rotate if self.variant == Variant::V3 => vec![0x55, 0x08, 0x00, 0x00, s, 0xff],
            Role::Rotate => vec![0x55, 0x14, 0x00, 0x00, on, s, 0x00],
            Role::Oscillate => vec![0x55, 0x09, 0x00, 0x00, s, 0x00],
            Role::Constrict => vec![0x55, 0x09, 0x00, 0x00, s, 0x00, 0x00],
            Role::Pair => unreachable!("pair packets are built by pair_packet"),
        }
    }
}

impl DeviceHandler for SvakomHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let mut writes = Vec::new();
        let mut pair_done = false;
        for &(slot, role) in &self.slots {
            if !lookup(levels, changed, slot).1 {
                continue;
            }
            if role == Role::Pair {
                if !pair_done {
                    pair_done = true;
                    let (first, second) = self.pair.expect("pair role implies a pair");
                    let packet = self.pair_packet(value_of(levels, first), second.map(|s| value_of(levels, s)));
                    writes.push(self.write(packet));
                }
            } else {
                writes.push(self.write(self.other_packet(role, value_of(levels, slot))));
            }
        }
        writes
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, bytes_with_response, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(variant: Variant, outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(SvakomHandler::new(variant, &features).unwrap()), &features)
    }

    const NONE: [Vec<u8>; 0] = [];

    #[test]
    fn v1() {
        let mut toy = sim(Variant::V1, &[(Vibrate, 0, 19)]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 19)), [vec![0x55, 0x04, 0x03, 0x00, 0x01, 0x13]]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 5)), [vec![0x55, 0x04, 0x03, 0x00, 0x01, 0x05]]);
        assert_eq!(bytes(&toy.stop()), [vec![0x55, 0x04, 0x03, 0x00, 0x00, 0x00]]);
        assert_eq!(bytes(&toy.stop()), NONE);
    }

    #[test]
    fn v2_with_response() {
        let mut toy = sim(Variant::V2, &[(Vibrate, 0, 10), (Vibrate, 0, 10)]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 10)), [vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]]);
        assert_eq!(bytes_with_response(&toy.set(1, Vibrate, 7)), [vec![0x55, 0x06, 0x01, 0x00, 0x07, 0x07]]);
        assert_eq!(
            bytes_with_response(&toy.stop()),
            [vec![0x55, 0x03, 0x03, 0x00, 0x00, 0x00], vec![0x55, 0x06, 0x01, 0x00, 0x00, 0x00]]
        );
        assert!(SvakomHandler::new(Variant::V2, &features(&[(Vibrate, 0, 10); 3])).is_err());
    }

    #[test]
    fn v3() {
        let mut toy = sim(Variant::V3, &[(Vibrate, 0, 10), (Vibrate, 0, 10), (Rotate, 0, 10)]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 3)), [vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x03]]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 4)), [vec![0x55, 0x09, 0x00, 0x00, 0x01, 0x04]]);
        assert_eq!(bytes(&toy.set(2, Rotate, 6)), [vec![0x55, 0x08, 0x00, 0x00, 0x06, 0xff]]);
        assert_eq!(
            bytes(&toy.stop()),
            [
                vec![0x55, 0x03, 0x03, 0x00, 0x00, 0x00],
                vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00],
                vec![0x55, 0x08, 0x00, 0x00, 0x00, 0xff],
            ]
        );
    }

    #[test]
    fn v4_pair_selector() {
        let v = Variant::V4;
        let mut toy = sim(v, &[(Vibrate, 0, 10), (Vibrate, 0, 10)]);
        // Only the first runs.
        assert_eq!(bytes(&toy.set(0, Vibrate, 5)), [vec![0x55, 0x03, 0x01, 0x00, 0x01, 0x05, 0x00]]);
        // Both run: sel 00, max.
        assert_eq!(bytes(&toy.set(1, Vibrate, 8)), [vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x08, 0x00]]);
        // Only the second runs.
        assert_eq!(bytes(&toy.set(0, Vibrate, 0)), [vec![0x55, 0x03, 0x02, 0x00, 0x01, 0x08, 0x00]]);
        // One packet for both in one flush; equal values: sel 00.
        assert_eq!(
            bytes(&toy.flush(&[(0, Vibrate, 3), (1, Vibrate, 3)])),
            [vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x03, 0x00]]
        );
        assert_eq!(bytes(&toy.stop()), [vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]]);
        assert_eq!(bytes(&toy.stop()), NONE);

        let mut single = sim(v, &[(Vibrate, 0, 10)]);
        assert_eq!(bytes(&single.set(0, Vibrate, 9)), [vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x09, 0x00]]);
        assert_eq!(bytes(&single.stop()), [vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]]);
        assert!(SvakomHandler::new(v, &features(&[(Vibrate, 0, 10), (Rotate, 0, 10)])).is_err());
    }

    #[test]
    fn v5() {
        let v = Variant::V5;
        let mut toy = sim(v, &[(Vibrate, 0, 10), (Vibrate, 0, 10), (Oscillate, 0, 10)]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 4)), [vec![0x55, 0x03, 0x02, 0x00, 0x01, 0x04]]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 6)), [vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x06]]);
        assert_eq!(bytes(&toy.set(2, Oscillate, 7)), [vec![0x55, 0x09, 0x00, 0x00, 0x07, 0x00]]);
        assert_eq!(
            bytes(&toy.stop()),
            [vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00], vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00]]
        );
        let mut single = sim(v, &[(Vibrate, 0, 10)]);
        assert_eq!(bytes(&single.set(0, Vibrate, 2)), [vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x02]]);
    }

    #[test]
    fn v6() {
        let v = Variant::V6;
        let mut toy =
            sim(v, &[(Vibrate, 0, 10), (Vibrate, 0, 10), (Vibrate, 0, 10), (Constrict, 0, 5), (Rotate, 0, 10)]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 4)), [vec![0x55, 0x03, 0x01, 0x00, 0x01, 0x04, 0x00]]);
        assert_eq!(bytes(&toy.set(2, Vibrate, 9)), [vec![0x55, 0x07, 0x00, 0x00, 0x01, 0x09, 0x00]]);
        assert_eq!(bytes(&toy.set(3, Constrict, 3)), [vec![0x55, 0x09, 0x00, 0x00, 0x03, 0x00, 0x00]]);
        assert_eq!(bytes(&toy.set(4, Rotate, 10)), [vec![0x55, 0x14, 0x00, 0x00, 0x01, 0x0a, 0x00]]);
        assert_eq!(
            bytes(&toy.stop()),
            [
                vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00],
                vec![0x55, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00],
                vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00],
                vec![0x55, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00],
            ]
        );
        assert!(SvakomHandler::new(v, &features(&[(Vibrate, 0, 10); 4])).is_err());
    }

    #[test]
    fn pulse_offsets_by_one() {
        let v = Variant::Pulse;
        let mut toy = sim(v, &[(Vibrate, 0, 9)]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 9)), [vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x02]]);
        assert_eq!(bytes(&toy.stop()), [vec![0x55, 0x03, 0x03, 0x00, 0x00, 0x01]]);
    }

    #[test]
    fn definitions() {
        for v in Variant::ALL {
            assert!(SvakomHandler::new(v, &[]).is_err(), "{v:?}");
            assert!(SvakomHandler::new(v, &features(&[(Led, 0, 1)])).is_err(), "{v:?}");
            assert!(SvakomHandler::new(v, &features(&[(Vibrate, 0, 10)])).is_ok(), "{v:?}");
        }
        assert!(SvakomHandler::new(Variant::V1, &features(&[(Rotate, 0, 10)])).is_err());
        assert!(SvakomHandler::new(Variant::V5, &features(&[(Rotate, 0, 10)])).is_err());
        assert!(SvakomHandler::new(Variant::V3, &features(&[(Oscillate, 0, 10)])).is_err());
    }

    #[tokio::test]
    async fn names_and_no_init() {
        let statics: [&Svakom; 7] =
            [&SVAKOM_V1, &SVAKOM_V2, &SVAKOM_V3, &SVAKOM_V4, &SVAKOM_V5, &SVAKOM_V6, &SVAKOM_PULSE];
        let names: Vec<&str> = statics.iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            ["svakom-v1", "svakom-v2", "svakom-v3", "svakom-v4", "svakom-v5", "svakom-v6", "svakom-pulse"]
        );
        let features = features(&[(Vibrate, 0, 10)]);
        for protocol in statics {
            let hw = FakeHardware::new("Emma NEO", "aa");
            let handler = protocol.initialize(&hw, Some("Emma NEO"), &features).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[
        // "on" (byte 4) is 1 while the level is not 0.
        Vector::new(&SVAKOM_V1, Some("Emma NEO"), &[
            Set(&[(0, Vibrate, 19)], &[tx(&[0x55, 0x04, 0x03, 0x00, 0x01, 0x13])]),
            Set(&[(0, Vibrate, 5)], &[tx(&[0x55, 0x04, 0x03, 0x00, 0x01, 0x05])]),
            Stop(&[tx(&[0x55, 0x04, 0x03, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SVAKOM_V2, Some("Viviana"), &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x0a])]),
            Stop(&[tx_with_response(&[0x55, 0x03, 0x03, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SVAKOM_V3, Some("FK008A"), &[
            Set(&[(0, Vibrate, 3)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x03])]),
            Set(&[(1, Rotate, 1)], &[tx(&[0x55, 0x08, 0x00, 0x00, 0x01, 0xff])]),
            Stop(&[tx(&[0x55, 0x03, 0x03, 0x00, 0x00, 0x00]), tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0xff])]),
        ]),
        // The second vibrator has a command of its own.
        Vector::new(&SVAKOM_V3, Some("QH-SX007E"), &[
            Set(&[(1, Vibrate, 1)], &[tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x01])]),
            Set(&[(0, Vibrate, 10)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x0a])]),
            Stop(&[tx(&[0x55, 0x03, 0x03, 0x00, 0x00, 0x00]), tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // Two vibrators in one packet: the selector says which runs (01 first, 02 second, 00 both
        // or neither), then the larger level.
        Vector::new(&SVAKOM_V4, None, &[
            Set(&[(0, Vibrate, 5)], &[tx(&[0x55, 0x03, 0x01, 0x00, 0x01, 0x05, 0x00])]),
            Set(&[(1, Vibrate, 8)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x08, 0x00])]),
            Set(&[(0, Vibrate, 0)], &[tx(&[0x55, 0x03, 0x02, 0x00, 0x01, 0x08, 0x00])]),
            Set(&[(0, Vibrate, 3)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x08, 0x00])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SVAKOM_V5, Some("Mora Neo"), &[
            Set(&[(1, Vibrate, 4)], &[tx(&[0x55, 0x03, 0x02, 0x00, 0x01, 0x04])]),
            Set(&[(0, Vibrate, 6)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x06])]),
            Set(&[(2, Oscillate, 3)], &[tx(&[0x55, 0x09, 0x00, 0x00, 0x03, 0x00])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]), tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SVAKOM_V6, Some("ST462A"), &[
            Set(&[(0, Vibrate, 4)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x04, 0x00])]),
            Set(&[(1, Constrict, 3)], &[tx(&[0x55, 0x09, 0x00, 0x00, 0x03, 0x00, 0x00])]),
            Set(&[(2, Rotate, 10)], &[tx(&[0x55, 0x14, 0x00, 0x00, 0x01, 0x0a, 0x00])]),
            Stop(&[
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]),
        ]),
        // The third vibrator has a command of its own.
        Vector::new(&SVAKOM_V6, Some("Iker Neo"), &[
            Set(&[(0, Vibrate, 4)], &[tx(&[0x55, 0x03, 0x01, 0x00, 0x01, 0x04, 0x00])]),
            Set(&[(2, Vibrate, 5)], &[tx(&[0x55, 0x07, 0x00, 0x00, 0x01, 0x05, 0x00])]),
            Set(&[(1, Vibrate, 9)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x09, 0x00])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]), tx(&[0x55, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // Pulse: the level + 1, so a stop sends 01.
        Vector::new(&SVAKOM_PULSE, Some("Pulse Union"), &[
            Set(&[(0, Vibrate, 9)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x0a])]),
            Set(&[(0, Vibrate, 1)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x02])]),
            Stop(&[tx(&[0x55, 0x03, 0x03, 0x00, 0x00, 0x01])]),
        ]),
    ];
}
