//! Vorze SA. Service 40ee1111-…, `tx` 40ee2222-…;
//! every packet is three bytes written with response to `tx`; no init, no battery.
//!
//! The first byte is the device type, which the packet layout depends on:
//!
//! | device | shape (outputs) | type | packet |
//! |---|---|---|---|
//! | A10 Cyclone SA (`CycSA`) | one rotate, ±99 | `01` | `01 01 R` |
//! | UFO SA (`UFOSA`) | one rotate, ±99 | `02` | `02 01 R` |
//! | UFO TW (`UFO-TW`, `UFO-`, `UFO `) | rotate on features 0 and 1 | `05` | `05 R0 R1` (both each time) |
//! | Bach (`Bach smart`) | one vibrate, 0..=100 | `06` | `06 03 S` |
//! | Rocket (`ROCKET`) | one vibrate, 0..=100 | `07` | `07 03 S` |
//! | Omorfi (`OMORFI`, `OMOR`) | vibrate on features 0 and 1, 0..=99 | `09` | `09 S0 S1` (both each time) |
//! | Piston (`VorzePiston`) | one position with duration, 0..=99 | `03` | `03 P speed` |
//!
//! `R` = `(cw << 7) | |speed|` with cw = 1 for speed >= 0 (so a stopped rotor is `80`), |speed|
//! clamped to 99. The second byte of the single-output packets is the action: 1 rotate,
//! 3 vibrate.
//!
//! # Which sub-protocol
//!
//! The reference picks the packet family from the definition's `protocol_variant`
//! (`vorze-sa-single-rotator`, `-dual-rotator`, `-single-vibrator`, `-dual-vibrator`, `-piston`)
//! and, for the single-output families, the device type from the BLE name. Plugboard's
//! definitions reach the protocol as features only, and every configuration in the reference
//! database gives each variant a distinct shape (table above), so the family is read from the
//! features: one rotate / two rotates / one vibrate / two vibrates / one position output. The
//! device type of a single rotator (Cyclone `cycsa` vs UFO `ufo`) or single vibrator (Bach
//! `bach` vs Rocket `rocket`) comes from the name, case-insensitively, as in the reference
//! (the identifier, else the hardware name); an unknown name is an error, as there. The two
//! dual shapes each have one device (UFO TW, Omorfi) and need no name; the reference also
//! requires `omor` in an Omorfi's name, Plugboard accepts any two-vibrator Vorze definition.
//!
//! # Piston speed
//!
//! `speed = clamp(((200 * duration_ms / distance) / 6658) ^ -1.21, 0, 100)` (truncated), with
//! `distance` = |previous - target| in steps, capped at 200; distance 0 gives 100. The previous
//! position is [`kiiroo::previous_position`](super::kiiroo::previous_position): the position last
//! written.

use plugboard_protocol::model::{Feature, OutputType};

use super::kiiroo::previous_position;
use super::{clamp_byte, lookup, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The highest rotation speed.
pub const MAX_ROTATE: u8 = 99;
/// The highest Piston position.
pub const MAX_POSITION: u8 = 99;

/// The Vorze device types (first packet byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Cyclone = 1,
    Ufo = 2,
    Piston = 3,
    UfoTw = 5,
    Bach = 6,
    Rocket = 7,
    Omorfi = 9,
}

/// The `vorze-sa` protocol family.
#[derive(Debug, Clone, Copy, Default)]
pub struct VorzeSa;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&VORZE_SA];

/// `vorze-sa`.
pub static VORZE_SA: VorzeSa = VorzeSa;

impl Protocol for VorzeSa {
    fn name(&self) -> &'static str {
        "vorze-sa"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let names = [identifier.unwrap_or(""), hw.name()];
            Ok(Box::new(VorzeHandler::new(&names, features)?) as Box<dyn DeviceHandler>)
        })
    }
}

/// How the outputs map onto packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    SingleRotator(Device, (u32, OutputType)),
    DualRotator((u32, OutputType), (u32, OutputType)),
    SingleVibrator(Device, (u32, OutputType)),
    DualVibrator((u32, OutputType), (u32, OutputType)),
    Piston((u32, OutputType)),
    /// No outputs (the protocol defaults, an unknown model): nothing to write.
    Nothing,
}

/// The encoder of one Vorze SA device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VorzeHandler {
    shape: Shape,
}

/// The first of `candidates` (lowercase name fragment, device) found in any of `names`.
fn device_by_name(names: &[&str], candidates: &[(&str, Device)]) -> Option<Device> {
    let names: Vec<String> = names.iter().map(|name| name.to_ascii_lowercase()).collect();
    candidates.iter().find(|(fragment, _)| names.iter().any(|name| name.contains(fragment))).map(|&(_, device)| device)
}

impl VorzeHandler {
    /// Works out the device from the outputs and, for single-output shapes, from `names` (the
    /// identifier and the hardware name; see the module docs).
    pub fn new(names: &[&str], features: &[Feature]) -> Result<VorzeHandler, ProtocolError> {
        let mut outputs: Vec<(u32, OutputType)> = features
            .iter()
            .flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output.kind)))
            .collect();
        outputs.sort_by_key(|&(index, _)| index);
        let kinds: Vec<OutputType> = outputs.iter().map(|&(_, kind)| kind).collect();
        let unknown_name =
            || ProtocolError::Definition(format!("vorze-sa: no known Vorze device type for the name {:?}", names));
        let shape = match kinds.as_slice() {
            [OutputType::Rotate] => {
                let device = device_by_name(names, &[("cycsa", Device::Cyclone), ("ufo", Device::Ufo)])
                    .ok_or_else(unknown_name)?;
                Shape::SingleRotator(device, outputs[0])
            }
            [OutputType::Rotate, OutputType::Rotate] => Shape::DualRotator(outputs[0], outputs[1]),
            [OutputType::Vibrate] => {
                let device = device_by_name(names, &[("bach", Device::Bach), ("rocket", Device::Rocket)])
                    .ok_or_else(unknown_name)?;
                Shape::SingleVibrator(device, outputs[0])
            }
            [OutputType::Vibrate, OutputType::Vibrate] => Shape::DualVibrator(outputs[0], outputs[1]),
            [OutputType::HwPositionWithDuration] => Shape::Piston(outputs[0]),
            [] => Shape::Nothing,
            _ => {
                return Err(ProtocolError::Definition(format!(
                    "vorze-sa supports one or two rotators, one or two vibrators, or one \
                     position-with-duration output; got {kinds:?}"
                )))
            }
        };
        Ok(VorzeHandler { shape })
    }
}

/// The rotation byte `(cw << 7) | |speed|`, cw = speed >= 0.
pub fn rotate_byte(speed: i32) -> u8 {
    let clockwise = u8::from(speed >= 0) << 7;
    clockwise | speed.unsigned_abs().min(u32::from(MAX_ROTATE)) as u8
}

/// The Piston speed byte for a move of `distance` steps in `duration_ms` (module docs).
pub fn piston_speed(distance: u32, duration_ms: u32) -> u8 {
    if distance == 0 {
        return 100;
    }
    let distance = f64::from(distance.min(200));
    let full_stroke_ms = 200.0 * f64::from(duration_ms) / distance;
    // Duration 0 gives +inf, clamped to 100.
    (full_stroke_ms / 6658.0).powf(-1.21).clamp(0.0, 100.0) as u8
}

fn tx(data: [u8; 3]) -> Write {
    Write::with_response(Endpoint::Tx, data.to_vec())
}

impl DeviceHandler for VorzeHandler {
    fn encode(&self, levels: &[OutputLevel], changed_set: ChangeSet) -> Vec<Write> {
        let changed = |slot| lookup(levels, changed_set, slot).1;
        let mut writes = Vec::new();
        match self.shape {
            Shape::SingleRotator(device, slot) if changed(slot) => {
                writes.push(tx([device as u8, 0x01, rotate_byte(value_of(levels, slot))]));
            }
            Shape::DualRotator(left, right) if changed(left) || changed(right) => {
                let (l, r) = (value_of(levels, left), value_of(levels, right));
                writes.push(tx([Device::UfoTw as u8, rotate_byte(l), rotate_byte(r)]));
            }
            Shape::SingleVibrator(device, slot) if changed(slot) => {
                writes.push(tx([device as u8, 0x03, clamp_byte(value_of(levels, slot), 100)]));
            }
            Shape::DualVibrator(first, second) if changed(first) || changed(second) => {
                let (a, b) = (value_of(levels, first), value_of(levels, second));
                writes.push(tx([Device::Omorfi as u8, clamp_byte(a, 99), clamp_byte(b, 99)]));
            }
            Shape::Piston(slot) => {
                if let (Some(level), true) = lookup(levels, changed_set, slot) {
                    let target = clamp_byte(level.value, MAX_POSITION);
                    let previous = clamp_byte(previous_position(level), MAX_POSITION);
                    let speed = piston_speed(u32::from(previous.abs_diff(target)), level.duration_ms.unwrap_or(0));
                    writes.push(tx([Device::Piston as u8, target, speed]));
                }
            }
            _ => {}
        }
        writes
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use plugboard_protocol::model::{Output, Range};

    use super::super::test_support::{feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(name: &str, features: &[Feature]) -> Sim {
        Sim::new(Box::new(VorzeHandler::new(&[name], features).unwrap()), features)
    }

    fn w(data: [u8; 3]) -> Write {
        Write { endpoint: Endpoint::Tx, data: data.to_vec(), with_response: true }
    }

    fn piston_feature() -> Feature {
        let mut f = feature(0, &[]);
        f.outputs.push(Output {
            kind: HwPositionWithDuration,
            range: Range::new(0, 99),
            duration: Some(Range::new(0, 100000)),
        });
        f
    }

    #[test]
    fn cyclone_and_ufo_single_rotators() {
        let rotate = features(&[(Rotate, -99, 99)]);
        let mut cyclone = sim("CycSA", &rotate);
        assert_eq!(cyclone.set(0, Rotate, 50), [w([0x01, 0x01, 0x80 | 50])]);
        assert_eq!(cyclone.set(0, Rotate, -99), [w([0x01, 0x01, 99])]);
        assert_eq!(cyclone.set(0, Rotate, -1), [w([0x01, 0x01, 0x01])]);
        assert_eq!(cyclone.set(0, Rotate, 200), [w([0x01, 0x01, 0x80 | 99])], "clamped");
        assert_eq!(cyclone.stop(), [w([0x01, 0x01, 0x80])]);
        assert_eq!(cyclone.stop(), []);

        let mut ufo = sim("UFOSA", &rotate);
        assert_eq!(ufo.set(0, Rotate, -30), [w([0x02, 0x01, 30])]);
        assert_eq!(ufo.stop(), [w([0x02, 0x01, 0x80])]);
    }

    #[test]
    fn ufo_tw_sends_both_rotors() {
        let mut tw = sim("UFO-TW", &features(&[(Rotate, -99, 99), (Rotate, -99, 99)]));
        assert_eq!(tw.set(0, Rotate, 20), [w([0x05, 0x80 | 20, 0x80])]);
        assert_eq!(tw.set(1, Rotate, -40), [w([0x05, 0x80 | 20, 40])]);
        assert_eq!(tw.flush(&[(0, Rotate, -99), (1, Rotate, 99)]), [w([0x05, 99, 0x80 | 99])]);
        assert_eq!(tw.stop(), [w([0x05, 0x80, 0x80])]);
        assert_eq!(tw.stop(), []);
    }

    #[test]
    fn bach_and_rocket_single_vibrators() {
        let vibrate = features(&[(Vibrate, 0, 100)]);
        let mut bach = sim("Bach smart", &vibrate);
        assert_eq!(bach.set(0, Vibrate, 100), [w([0x06, 0x03, 0x64])]);
        assert_eq!(bach.set(0, Vibrate, 7), [w([0x06, 0x03, 0x07])]);
        assert_eq!(bach.stop(), [w([0x06, 0x03, 0x00])]);

        let mut rocket = sim("ROCKET", &vibrate);
        assert_eq!(rocket.set(0, Vibrate, 55), [w([0x07, 0x03, 55])]);
        assert_eq!(rocket.set(0, Vibrate, 300), [w([0x07, 0x03, 100])], "clamped");
        assert_eq!(rocket.stop(), [w([0x07, 0x03, 0x00])]);
    }

    #[test]
    fn omorfi_sends_both_motors() {
        let mut omorfi = sim("OMORFI", &features(&[(Vibrate, 0, 99), (Vibrate, 0, 99)]));
        assert_eq!(omorfi.set(1, Vibrate, 99), [w([0x09, 0x00, 0x63])]);
        assert_eq!(omorfi.set(0, Vibrate, 12), [w([0x09, 0x0c, 0x63])]);
        assert_eq!(omorfi.flush(&[(0, Vibrate, 1), (1, Vibrate, 2)]), [w([0x09, 0x01, 0x02])]);
        assert_eq!(omorfi.set(0, Vibrate, 0), [w([0x09, 0x00, 0x02])]);
        assert_eq!(omorfi.stop(), [w([0x09, 0x00, 0x00])]);
        assert_eq!(omorfi.stop(), []);
    }

    #[test]
    fn piston_speed_formula() {
        assert_eq!(piston_speed(0, 500), 100, "no distance");
        assert_eq!(piston_speed(50, 0), 100, "no time");
        // Full stroke (99 steps) in 1 s: (200 * 1000 / 99 / 6658)^-1.21 = 4.23.
        assert_eq!(piston_speed(99, 1000), 4);
        // 99 steps in 200 ms: 29.7; in 100 ms: 68.7.
        assert_eq!(piston_speed(99, 200), 29);
        assert_eq!(piston_speed(99, 100), 68);
        // 20 steps in 200 ms: 4.3; in 20 ms: 69.5; 10 steps in 1 s: 0.26.
        assert_eq!(piston_speed(20, 200), 4);
        assert_eq!(piston_speed(20, 20), 69);
        assert_eq!(piston_speed(10, 1000), 0);
        // Very fast moves saturate at 100; distance is capped at 200.
        assert_eq!(piston_speed(99, 10), 100);
        assert_eq!(piston_speed(400, 1000), piston_speed(200, 1000));
    }

    #[test]
    fn piston_moves() {
        let mut piston = sim("VorzePiston", &[piston_feature()]);
        let mut stroke = |pos, ms| piston.flush_with_duration(&[(0, HwPositionWithDuration, pos, Some(ms))]);
        // From the start position 0: 99 steps in 200 ms.
        assert_eq!(stroke(99, 200), [w([0x03, 99, 29])]);
        // Back and forth between 0 and 99 in 100 ms each.
        assert_eq!(stroke(0, 100), [w([0x03, 0, 68])]);
        assert_eq!(stroke(99, 100), [w([0x03, 99, 68])]);
        // 99 -> 79 in 200 ms.
        assert_eq!(stroke(79, 200), [w([0x03, 79, 4])]);
        // Clamped to 99: 79 -> 99, 20 steps in 20 ms.
        assert_eq!(stroke(150, 20), [w([0x03, 99, 69])]);
        // 99 -> 50 with no duration: as fast as possible.
        assert_eq!(piston.flush(&[(0, HwPositionWithDuration, 50)]), [w([0x03, 50, 100])]);
        // Stops leave the piston where it is.
        assert!(piston.stop().is_empty());
    }

    #[test]
    fn shapes_and_names() {
        let rotate = features(&[(Rotate, -99, 99)]);
        let vibrate = features(&[(Vibrate, 0, 100)]);
        // Names are matched case-insensitively, anywhere in the identifier or hardware name.
        assert!(VorzeHandler::new(&["cycsa"], &rotate).is_ok());
        assert!(VorzeHandler::new(&["", "UFO SA device"], &rotate).is_ok());
        assert!(VorzeHandler::new(&["bach smart"], &vibrate).is_ok());
        // Single-output shapes need a known name.
        assert!(VorzeHandler::new(&["VorzePiston"], &rotate).is_err());
        assert!(VorzeHandler::new(&["UFOSA"], &vibrate).is_err());
        assert!(VorzeHandler::new(&[""], &vibrate).is_err());
        // The protocol defaults (an unknown model) have no outputs: nothing to write.
        let unknown_model = VorzeHandler::new(&["CycSA"], &[]).expect("no outputs");
        assert!(unknown_model.encode(&[], ChangeSet::ALL).is_empty());
        // Unsupported shapes.
        assert!(VorzeHandler::new(&["CycSA"], &features(&[(Rotate, -99, 99); 3])).is_err());
        assert!(VorzeHandler::new(&["Bach"], &features(&[(Vibrate, 0, 100), (Rotate, -99, 99)])).is_err());
        assert!(VorzeHandler::new(&["Bach"], &features(&[(Oscillate, 0, 100)])).is_err());
        let two_pistons = vec![piston_feature(), {
            let mut f = piston_feature();
            f.index = 1;
            f
        }];
        assert!(VorzeHandler::new(&["VorzePiston"], &two_pistons).is_err());
    }

    #[tokio::test]
    async fn initialize_uses_identifier_or_hardware_name_and_writes_nothing() {
        assert_eq!(VORZE_SA.name(), "vorze-sa");
        let rotate = features(&[(Rotate, -99, 99)]);
        let hw = FakeHardware::new("UFOSA", "aa");
        let handler = VORZE_SA.initialize(&hw, None, &rotate).await.unwrap();
        assert!(hw.events().is_empty(), "no init");
        assert_eq!(handler.keepalive(), Keepalive::None);
        let levels = [OutputLevel { value: 10, ..OutputLevel::new(0, Rotate) }];
        assert_eq!(handler.encode(&levels, ChangeSet::ALL), [w([0x02, 0x01, 0x8a])]);

        let handler = VORZE_SA.initialize(&hw, Some("CycSA"), &rotate).await.unwrap();
        assert_eq!(handler.encode(&levels, ChangeSet::ALL), [w([0x01, 0x01, 0x8a])]);

        let unknown = FakeHardware::new("Vorze?", "aa");
        assert!(VORZE_SA.initialize(&unknown, None, &rotate).await.is_err());
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
        // Rotation byte: clockwise (level >= 0) in bit 7, the speed below; a stopped rotor is 80.
        Vector::new(&VORZE_SA, Some("CycSA"), &[
            Set(&[(0, Rotate, 50)], &[tx_with_response(&[0x01, 0x01, 0xb2])]),
            Set(&[(0, Rotate, -99)], &[tx_with_response(&[0x01, 0x01, 0x63])]),
            Stop(&[tx_with_response(&[0x01, 0x01, 0x80])]),
        ]),
        Vector::new(&VORZE_SA, Some("UFOSA"), &[
            Set(&[(0, Rotate, -30)], &[tx_with_response(&[0x02, 0x01, 0x1e])]),
            Stop(&[tx_with_response(&[0x02, 0x01, 0x80])]),
        ]),
        Vector::new(&VORZE_SA, Some("UFO-TW"), &[
            Set(&[(0, Rotate, 20)], &[tx_with_response(&[0x05, 0x94, 0x80])]),
            Set(&[(1, Rotate, -40)], &[tx_with_response(&[0x05, 0x94, 0x28])]),
            Stop(&[tx_with_response(&[0x05, 0x80, 0x80])]),
        ]),
        Vector::new(&VORZE_SA, Some("Bach smart"), &[
            Set(&[(0, Vibrate, 100)], &[tx_with_response(&[0x06, 0x03, 0x64])]),
            Stop(&[tx_with_response(&[0x06, 0x03, 0x00])]),
        ]),
        Vector::new(&VORZE_SA, Some("ROCKET"), &[
            Set(&[(0, Vibrate, 55)], &[tx_with_response(&[0x07, 0x03, 0x37])]),
            Stop(&[tx_with_response(&[0x07, 0x03, 0x00])]),
        ]),
        Vector::new(&VORZE_SA, Some("OMORFI"), &[
            Set(&[(1, Vibrate, 99)], &[tx_with_response(&[0x09, 0x00, 0x63])]),
            Set(&[(0, Vibrate, 12)], &[tx_with_response(&[0x09, 0x0c, 0x63])]),
            Stop(&[tx_with_response(&[0x09, 0x00, 0x00])]),
        ]),
        // Piston: `03 P speed`, the speed from the distance and the duration.
        Vector::new(&VORZE_SA, Some("VorzePiston"), &[
            Move(&[(0, 99, 200)], &[tx_with_response(&[0x03, 99, 29])]),
            Move(&[(0, 0, 100)], &[tx_with_response(&[0x03, 0, 68])]),
            Move(&[(0, 20, 200)], &[tx_with_response(&[0x03, 20, 4])]),
            Stop(&[]),
        ]),
    ];
}
