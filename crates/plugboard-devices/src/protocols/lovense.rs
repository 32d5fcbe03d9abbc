//! Lovense.
//!
//! ASCII commands terminated by `;`, written without response to `tx`; replies arrive as
//! notifications on `rx`.
//!
//! * Identify: subscribe to `rx`, write `DeviceType;`, wait 500 ms for a reply, up to 6 times
//!   (~3 s). A reply `TYPE:FW:MAC;` gives `TYPE` (`EI` with FW >= 3 gives `EI-FW3`); a reply
//!   without `:` means "defaults". Without any reply the BLE name decides: `LVS-<LETTERS><DIGITS>`
//!   gives the letters, anything else the defaults.
//! * Encoding is chosen once per device from its outputs, see [`Encoding`].
//! * Battery: write `Battery;`, the reply is `87;` or `s87;`.
//! * The Solace strokers (`H`, `BA`): the speed is `Mply:S:R;` (see [`Encoding::Solace`]). The
//!   Solace Pro also takes positions, but no move time: a position with duration (0..=100) is
//!   glided toward in the reference engine's steps ([`Glide`]: a move of `d` ms in
//!   `max(d / 100, 1)` equal steps), one `FSetSite:P;` per step, the first at once and then one
//!   every 100 ms (ticks of the device task). Oscillate 0 and a stop halt a move where it is.
//!   The reference engine writes its first step up to 100 ms later, from a loop that keeps
//!   running after a stop; Plugboard writes it at once and ends the move on the stop.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::timed::{Glide, GLIDE_STEP};
use super::{
    find_level, is_position, lookup, motor_slots, next_data, Advertisement, ChangeSet, DeviceHandler, Flush,
    HandlerState, OutputLevel, Protocol, ProtocolError, Timed,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long to wait for each reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(500);
/// How many times `DeviceType;` is sent before falling back to the name.
pub const IDENTIFY_ATTEMPTS: usize = 6;

/// The Lovense protocol family (`lovense`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Lovense;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LOVENSE];

pub static LOVENSE: Lovense = Lovense;

impl Protocol for Lovense {
    fn name(&self) -> &'static str {
        "lovense"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            if hw.has_endpoint(Endpoint::Rx) {
                // Take the receiver first so a reply racing the write is not lost.
                let mut notifications = hw.notifications();
                hw.subscribe(Endpoint::Rx).await?;
                for _ in 0..IDENTIFY_ATTEMPTS {
                    hw.write(Write::without_response(Endpoint::Tx, b"DeviceType;".to_vec())).await?;
                    let deadline = Instant::now() + REPLY_TIMEOUT;
                    if let Some(reply) = next_data(&mut notifications, Endpoint::Rx, deadline).await? {
                        return Ok(parse_device_type(&reply));
                    }
                }
                tracing::debug!(name = hw.name(), "lovense: no reply to DeviceType;, identifying by name");
            }
            let name = advertisement.name_or(hw);
            Ok(identifier_from_name(name))
        })
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = LovenseHandler::new(identifier, features)?;
            // Battery replies arrive on rx. Identify normally subscribed already; subscribing
            // again is allowed and covers a pipeline that skipped identify.
            if hw.has_endpoint(Endpoint::Rx) {
                hw.subscribe(Endpoint::Rx).await?;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The identifier in a `DeviceType;` reply: the text before the first `:` (`EI` with firmware
/// 3 or newer becomes `EI-FW3`). `None` (use defaults) if the reply has no `:` or nothing before
/// it.
pub fn parse_device_type(reply: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(reply);
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let text = text.strip_suffix(';').unwrap_or(text);
    let mut fields = text.split(':');
    let kind = fields.next()?.trim();
    let firmware = fields.next()?; // no ':' at all -> defaults
    if kind.is_empty() {
        return None;
    }
    if kind == "EI" && firmware.trim().parse::<u32>().is_ok_and(|fw| fw >= 3) {
        return Some("EI-FW3".to_owned());
    }
    Some(kind.to_owned())
}

/// The identifier encoded in a BLE name `LVS-<capital letters><digits>` (`LVS-Z36` -> `Z`).
/// Both parts must be present and nothing may follow the digits.
pub fn identifier_from_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("LVS-")?;
    let letters_end = rest.find(|c: char| !c.is_ascii_uppercase()).unwrap_or(rest.len());
    let (letters, digits) = rest.split_at(letters_end);
    let well_formed = !letters.is_empty() && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| letters.to_owned())
}

/// The value in a battery reply: `87;` or `s87;` -> 87.
pub fn parse_battery(reply: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(reply).ok()?;
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let text = text.strip_suffix(';')?;
    let text = text.strip_prefix('s').unwrap_or(text);
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u8>().ok().filter(|&percent| percent <= 100)
}

/// Which command strings a device gets, decided from its definition's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// One or two outputs, one command each: `Vibrate:N;` (vibrate or oscillate; `VibrateK:N;`
    /// with K = feature index + 1 when the device has two of those), `Rotate:N;` with the
    /// `RotateChange;` toggle, `Air:Level:N;` (constrict). Covers Lush, Edge, Gravity, Max, Nora.
    PerOutput,
    /// Three or more outputs: `Mply:a:b:c;` with every output's value (rotate as |value|),
    /// resent whole whenever any output changes. Covers Flexer FW3 and Lapis.
    Mply,
    /// The Solace (`H`) stroker, one oscillate output: `Mply:S:20;`, and `Mply:0:0;` for 0
    /// (its stroke range is zeroed to stop it).
    Solace,
    /// The Solace Pro (`BA`) stroker, one oscillate output: `Mply:S:20;` at every speed,
    /// `Mply:0:20;` for 0 (the reference zeroes the range for the Solace only).
    SolacePro,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Vibrate,
    VibrateNumbered(u32),
    Rotate,
    AirLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    feature_index: u32,
    kind: OutputType,
    command: Command,
}

impl Slot {
    fn key(&self) -> (u32, OutputType) {
        (self.feature_index, self.kind)
    }
}

/// The encoder of one Lovense device. Holds only the layout decided from the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LovenseHandler {
    encoding: Encoding,
    slots: Vec<Slot>,
    /// A Solace's position-with-duration output, glided toward with `FSetSite:P;`.
    stroke: Option<u32>,
}

/// A Solace's move: where it is, where it goes, and when its next step is due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stroke {
    pub glide: Glide,
    pub due: Option<Instant>,
}

impl LovenseHandler {
    /// Chooses the encoding for a device with this identifier and these features.
    ///
    /// Position outputs are accepted; only a Solace's position with duration is driven (see
    /// the module docs), other positions are ignored. Output types Lovense has no command for (temperature, LED, spray) are an error.
    pub fn new(identifier: Option<&str>, features: &[Feature]) -> Result<LovenseHandler, ProtocolError> {
        let outputs = motor_slots(features);
        if let Some((_, kind)) = outputs.iter().find(|(_, kind)| {
            !matches!(
                kind,
                OutputType::Vibrate
                    | OutputType::Oscillate
                    | OutputType::Rotate
                    | OutputType::Constrict
                    | OutputType::Inflate
            )
        }) {
            return Err(ProtocolError::Definition(format!("lovense has no command for {kind:?} outputs")));
        }
        if outputs.is_empty() {
            let only_positions = features.iter().flat_map(|f| &f.outputs).all(|o| is_position(o.kind));
            let why = if only_positions { "only position outputs" } else { "no outputs" };
            return Err(ProtocolError::Definition(format!("lovense device with {why}")));
        }
        let vibrators =
            outputs.iter().filter(|(_, kind)| matches!(kind, OutputType::Vibrate | OutputType::Oscillate)).count();
        let stroker = match identifier {
            Some("H") => Some(Encoding::Solace),
            Some("BA") => Some(Encoding::SolacePro),
            _ => None,
        };

        let (encoding, slots) = if let Some(encoding) =
            stroker.filter(|_| outputs.len() == 1 && outputs[0].1 == OutputType::Oscillate)
        {
            (encoding, vec![slot(outputs[0], Command::Vibrate)])
        } else if outputs.len() >= 3 {
            (Encoding::Mply, outputs.iter().map(|&o| slot(o, Command::Vibrate)).collect())
        } else {
            let slots = outputs
                .iter()
                .map(|&(feature_index, kind)| {
                    let command = match kind {
                        OutputType::Rotate => Command::Rotate,
                        OutputType::Constrict | OutputType::Inflate => Command::AirLevel,
                        _ if vibrators >= 2 => Command::VibrateNumbered(feature_index + 1),
                        _ => Command::Vibrate,
                    };
                    slot((feature_index, kind), command)
                })
                .collect();
            (Encoding::PerOutput, slots)
        };
        let stroke = matches!(encoding, Encoding::Solace | Encoding::SolacePro)
            .then(|| {
                features.iter().find_map(|feature| {
                    feature.outputs.iter().any(|o| o.kind == OutputType::HwPositionWithDuration).then_some(feature.index)
                })
            })
            .flatten();
        Ok(LovenseHandler { encoding, slots, stroke })
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
}

fn slot((feature_index, kind): (u32, OutputType), command: Command) -> Slot {
    Slot { feature_index, kind, command }
}

/// `FSetSite:P;`, a Solace's stroke position.
fn site(position: i32) -> Write {
    ascii(format!("FSetSite:{};", position.max(0)))
}

fn ascii(text: String) -> Write {
    Write::without_response(Endpoint::Tx, text.into_bytes())
}

impl DeviceHandler for LovenseHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let current: Vec<(Option<&OutputLevel>, bool)> =
            self.slots.iter().map(|slot| lookup(levels, changed, slot.key())).collect();
        let value = |i: usize| current[i].0.map_or(0, |level| level.value);
        if !current.iter().any(|&(_, changed)| changed) {
            return Vec::new();
        }
        match self.encoding {
            Encoding::Solace | Encoding::SolacePro => {
                let speed = value(0).max(0);
                let range = if speed == 0 && self.encoding == Encoding::Solace { 0 } else { 20 };
                vec![ascii(format!("Mply:{speed}:{range};"))]
            }
            Encoding::Mply => {
                let values: Vec<String> = (0..self.slots.len())
                    .map(|i| {
                        let v = value(i);
                        if self.slots[i].kind == OutputType::Rotate { v.abs() } else { v.max(0) }.to_string()
                    })
                    .collect();
                vec![ascii(format!("Mply:{};", values.join(":")))]
            }
            Encoding::PerOutput => {
                let mut writes = Vec::new();
                for (i, slot) in self.slots.iter().enumerate() {
                    let (Some(level), true) = current[i] else { continue };
                    match slot.command {
                        Command::Vibrate => writes.push(ascii(format!("Vibrate:{};", level.value.max(0)))),
                        Command::VibrateNumbered(n) => {
                            writes.push(ascii(format!("Vibrate{n}:{};", level.value.max(0))))
                        }
                        Command::AirLevel => writes.push(ascii(format!("Air:Level:{};", level.value.max(0)))),
                        Command::Rotate => {
                            // The device starts turning "positive" and cannot say which way it
                            // turns, so the direction is the sign of the last non-zero speed
                            // written. Speed 0 keeps the direction.
                            let turning_negative = level.last_nonzero < 0;
                            if level.value != 0 && (level.value < 0) != turning_negative {
                                writes.push(ascii("RotateChange;".to_owned()));
                            }
                            writes.push(ascii(format!("Rotate:{};", level.value.unsigned_abs())));
                        }
                    }
                }
                writes
            }
        }
    }

    fn initial_state(&self) -> HandlerState {
        if self.stroke.is_some() {
            HandlerState::new(Stroke::default())
        } else {
            HandlerState::none()
        }
    }

    fn flush(&self, flush: &Flush<'_>, state: &mut HandlerState) -> Timed {
        let mut writes = self.encode(flush.levels, flush.changed);
        let Some(feature_index) = self.stroke else { return Timed::writes(writes) };
        let stroke = state.get::<Stroke>();
        let speed = self.slots.first().and_then(|slot| find_level(flush.levels, slot.feature_index, slot.kind));
        let stopped = speed.is_some_and(|i| flush.changed.contains(i) && flush.levels[i].value == 0);
        let was_moving = stroke.glide.moving();
        if flush.stop || stopped {
            stroke.glide.halt();
        } else if let Some(i) = find_level(flush.levels, feature_index, OutputType::HwPositionWithDuration)
            .filter(|&i| flush.changed.contains(i))
        {
            let level = &flush.levels[i];
            stroke.glide.toward(level.value, level.duration_ms.unwrap_or(0));
            // A move in progress keeps its pace: its next step, already due, heads the new way.
            if !was_moving {
                writes.push(site(stroke.glide.step()));
                stroke.due = stroke.glide.moving().then(|| flush.now + GLIDE_STEP);
            }
        }
        if !stroke.glide.moving() {
            stroke.due = None;
        }
        Timed::writes(writes).tick_at(stroke.due)
    }

    fn tick(&self, _levels: &[OutputLevel], state: &mut HandlerState, now: Instant) -> Timed {
        if self.stroke.is_none() {
            return Timed::default();
        }
        let stroke = state.get::<Stroke>();
        if !stroke.glide.moving() {
            stroke.due = None;
            return Timed::default();
        }
        let write = site(stroke.glide.step());
        stroke.due = stroke.glide.moving().then(|| now + GLIDE_STEP);
        Timed::writes(vec![write]).tick_at(stroke.due)
    }

    /// Writes `Battery;` and takes the first reply on `rx` that reads as a battery level within
    /// 500 ms (other chatter on `rx` is skipped).
    fn battery<'a>(&'a self, hw: &'a dyn Hardware) -> BoxFuture<'a, Result<u8, ProtocolError>> {
        Box::pin(async move {
            let mut notifications = hw.notifications();
            hw.write(Write::without_response(Endpoint::Tx, b"Battery;".to_vec())).await?;
            let deadline = Instant::now() + REPLY_TIMEOUT;
            while let Some(reply) = next_data(&mut notifications, Endpoint::Rx, deadline).await? {
                if let Some(percent) = parse_battery(&reply) {
                    return Ok(percent);
                }
                tracing::debug!(reply = %String::from_utf8_lossy(&reply), "lovense: not a battery reply");
            }
            Err(ProtocolError::Timeout("lovense battery reply"))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plugboard_protocol::model::{Output, OutputType::*, Range};

    use super::super::test_support::{ascii as text, features, Sim};
    use super::*;
    use crate::hardware::HardwareError;
    use crate::testing::{Event, FakeHardware};

    fn sim(identifier: Option<&str>, outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(LovenseHandler::new(identifier, &features).unwrap()), &features)
    }

    #[test]
    fn single_vibrator() {
        let mut lush = sim(Some("S"), &[(Vibrate, 0, 20)]);
        assert_eq!(text(&lush.set(0, Vibrate, 10)), ["Vibrate:10;"]);
        assert_eq!(text(&lush.set(0, Vibrate, 20)), ["Vibrate:20;"]);
        assert_eq!(text(&lush.set(0, Vibrate, 20)), [] as [&str; 0], "unchanged: nothing");
        assert_eq!(text(&lush.stop()), ["Vibrate:0;"]);
        assert_eq!(text(&lush.stop()), [] as [&str; 0], "already stopped");
    }

    #[test]
    fn single_oscillator_uses_vibrate() {
        let mut sex_machine = sim(Some("F"), &[(Oscillate, 0, 20)]);
        assert_eq!(text(&sex_machine.set(0, Oscillate, 7)), ["Vibrate:7;"]);
        assert_eq!(text(&sex_machine.stop()), ["Vibrate:0;"]);
    }

    #[test]
    fn two_vibrators_numbered_by_feature_index() {
        let mut edge = sim(Some("P"), &[(Vibrate, 0, 20), (Vibrate, 0, 20)]);
        assert_eq!(text(&edge.set(0, Vibrate, 5)), ["Vibrate1:5;"]);
        assert_eq!(text(&edge.set(1, Vibrate, 12)), ["Vibrate2:12;"]);
        assert_eq!(text(&edge.flush(&[(0, Vibrate, 6), (1, Vibrate, 13)])), ["Vibrate1:6;", "Vibrate2:13;"]);
        assert_eq!(text(&edge.stop()), ["Vibrate1:0;", "Vibrate2:0;"]);

        let mut gravity = sim(Some("EA"), &[(Vibrate, 0, 20), (Oscillate, 0, 20)]);
        assert_eq!(text(&gravity.set(1, Oscillate, 3)), ["Vibrate2:3;"]);
        assert_eq!(text(&gravity.set(0, Vibrate, 4)), ["Vibrate1:4;"]);
    }

    #[test]
    fn max_vibrate_and_air() {
        let mut max = sim(Some("B"), &[(Vibrate, 0, 20), (Constrict, 0, 3)]);
        assert_eq!(
            LovenseHandler::new(Some("B"), &features(&[(Vibrate, 0, 20), (Constrict, 0, 3)])).unwrap().encoding(),
            Encoding::PerOutput
        );
        assert_eq!(text(&max.set(0, Vibrate, 8)), ["Vibrate:8;"]);
        assert_eq!(text(&max.set(1, Constrict, 3)), ["Air:Level:3;"]);
        assert_eq!(text(&max.stop()), ["Vibrate:0;", "Air:Level:0;"]);

        let mut inflate = sim(None, &[(Vibrate, 0, 20), (Inflate, 0, 3)]);
        assert_eq!(text(&inflate.set(1, Inflate, 2)), ["Air:Level:2;"]);
    }

    #[test]
    fn nora_rotation_direction_toggle() {
        let mut nora = sim(Some("A"), &[(Vibrate, 0, 20), (Rotate, -20, 20)]);
        // Power-on direction is positive: no toggle.
        assert_eq!(text(&nora.set(1, Rotate, 5)), ["Rotate:5;"]);
        assert_eq!(text(&nora.set(1, Rotate, 9)), ["Rotate:9;"]);
        // Sign change: toggle first.
        assert_eq!(text(&nora.set(1, Rotate, -9)), ["RotateChange;", "Rotate:9;"]);
        assert_eq!(text(&nora.set(1, Rotate, -4)), ["Rotate:4;"]);
        // 0 never toggles and keeps the direction.
        assert_eq!(text(&nora.set(1, Rotate, 0)), ["Rotate:0;"]);
        assert_eq!(text(&nora.set(1, Rotate, -3)), ["Rotate:3;"]);
        assert_eq!(text(&nora.set(1, Rotate, 0)), ["Rotate:0;"]);
        assert_eq!(text(&nora.set(1, Rotate, 2)), ["RotateChange;", "Rotate:2;"]);
        // Vibrate alongside.
        assert_eq!(
            text(&nora.flush(&[(0, Vibrate, 11), (1, Rotate, -20)])),
            ["Vibrate:11;", "RotateChange;", "Rotate:20;"]
        );
        assert_eq!(text(&nora.stop()), ["Vibrate:0;", "Rotate:0;"]);
        // After the stop the device still turns negative.
        assert_eq!(text(&nora.set(1, Rotate, -1)), ["Rotate:1;"]);
    }

    #[test]
    fn nora_first_command_negative_toggles() {
        let mut nora = sim(Some("A"), &[(Vibrate, 0, 20), (Rotate, -20, 20)]);
        assert_eq!(text(&nora.set(1, Rotate, -7)), ["RotateChange;", "Rotate:7;"]);
    }

    #[test]
    fn mply_for_three_or_more_outputs() {
        let mut flexer = sim(Some("EI-FW3"), &[(Vibrate, 0, 20), (Vibrate, 0, 20), (Oscillate, 0, 20)]);
        assert_eq!(flexer.handler.encode(&flexer.levels, ChangeSet::NONE), vec![]);
        assert_eq!(text(&flexer.set(0, Vibrate, 5)), ["Mply:5:0:0;"]);
        assert_eq!(text(&flexer.set(2, Oscillate, 9)), ["Mply:5:0:9;"]);
        assert_eq!(text(&flexer.flush(&[(1, Vibrate, 1), (0, Vibrate, 2)])), ["Mply:2:1:9;"]);
        assert_eq!(text(&flexer.stop()), ["Mply:0:0:0;"]);
        assert_eq!(text(&flexer.all()), ["Mply:0:0:0;"]);

        let mut with_rotate = sim(None, &[(Vibrate, 0, 20), (Vibrate, 0, 20), (Rotate, -20, 20)]);
        assert_eq!(text(&with_rotate.set(2, Rotate, -7)), ["Mply:0:0:7;"], "rotate contributes |value|, no toggle");
    }

    #[test]
    fn solace_oscillate() {
        // The Solace zeroes its stroke range to stop; the Solace Pro keeps it at 20.
        for (id, encoding, zero) in [("H", Encoding::Solace, "Mply:0:0;"), ("BA", Encoding::SolacePro, "Mply:0:20;")] {
            let mut solace = sim(Some(id), &[(Oscillate, 0, 20)]);
            assert_eq!(LovenseHandler::new(Some(id), &features(&[(Oscillate, 0, 20)])).unwrap().encoding(), encoding);
            assert_eq!(text(&solace.set(0, Oscillate, 12)), ["Mply:12:20;"], "{id}");
            assert_eq!(text(&solace.set(0, Oscillate, 0)), [zero], "{id}");
            assert_eq!(text(&solace.set(0, Oscillate, 1)), ["Mply:1:20;"], "{id}");
            assert_eq!(text(&solace.stop()), [zero], "{id}");
        }
        // Another device type with one oscillator is no stroker.
        assert_eq!(
            LovenseHandler::new(Some("X"), &features(&[(Oscillate, 0, 20)])).unwrap().encoding(),
            Encoding::PerOutput
        );
    }

    #[test]
    fn solace_pro_glides_to_positions_with_fsetsite() {
        let mut features = features(&[(Oscillate, 0, 20)]);
        features[0].outputs.push(Output {
            kind: HwPositionWithDuration,
            range: Range::new(0, 100),
            duration: Some(Range::new(0, 10000)),
        });
        let handler = LovenseHandler::new(Some("BA"), &features).unwrap();
        assert_eq!(handler.encoding(), Encoding::SolacePro);
        let mut solace = Sim::new(Box::new(handler), &features);
        let start = solace.now;
        assert!(solace.start().is_empty());
        let steps = |solace: &mut Sim, count| -> Vec<(u64, Vec<String>)> {
            solace.ticks(count).into_iter().map(|(at, w)| (at.as_millis() as u64, text(&w))).collect()
        };
        assert_eq!(text(&solace.flush_with_duration(&[(0, HwPositionWithDuration, 50, Some(500))])), ["FSetSite:10;"]);
        assert_eq!(solace.next_tick, Some(start + GLIDE_STEP));
        let glide = steps(&mut solace, 10);
        let expected: Vec<(u64, Vec<String>)> =
            [(100, 20), (200, 30), (300, 40), (400, 50)].map(|(at, p)| (at, vec![format!("FSetSite:{p};")])).into();
        assert_eq!(glide, expected, "at 50 after 400 ms, then no more ticks");
        assert_eq!(solace.next_tick, None);

        // The speed and a move in one flush: Mply first.
        assert_eq!(text(&solace.flush_with_duration(&[(0, Oscillate, 3, None), (0, HwPositionWithDuration, 0, Some(100))])), [
            "Mply:3:20;",
            "FSetSite:0;"
        ]);
        assert_eq!(solace.next_tick, None, "one step, there");

        // Oscillate 0 halts a move where it is; so does a stop.
        solace.flush_with_duration(&[(0, HwPositionWithDuration, 100, Some(1000))]);
        solace.tick();
        assert_eq!(text(&solace.set(0, Oscillate, 0)), ["Mply:0:20;"]);
        assert_eq!(solace.next_tick, None);
        assert!(solace.tick().is_empty());
        assert_eq!(text(&solace.flush_with_duration(&[(0, HwPositionWithDuration, 0, Some(200))])), ["FSetSite:10;"]);
        assert_eq!(text(&solace.stop()), Vec::<String>::new(), "the speed was at 0 already");
        assert_eq!(solace.next_tick, None, "the move ends on the stop");
    }

    #[test]
    fn the_solace_without_a_position_output_only_strokes() {
        let handler = LovenseHandler::new(Some("H"), &features(&[(Oscillate, 0, 20)])).unwrap();
        assert_eq!(handler.stroke, None);
    }

    #[test]
    fn unsupported_definitions() {
        assert!(matches!(
            LovenseHandler::new(None, &features(&[(Temperature, 0, 10)])),
            Err(ProtocolError::Definition(_))
        ));
        assert!(matches!(LovenseHandler::new(None, &[]), Err(ProtocolError::Definition(_))));
        assert!(matches!(
            LovenseHandler::new(None, &features(&[(Position, 0, 100)])),
            Err(ProtocolError::Definition(_))
        ));
    }

    #[test]
    fn device_type_replies() {
        assert_eq!(parse_device_type(b"Z:11:0082059AD3BD;").as_deref(), Some("Z"));
        assert_eq!(parse_device_type(b"EI:3:0082059AD3BD;").as_deref(), Some("EI-FW3"));
        assert_eq!(parse_device_type(b"EI:4:0082059AD3BD;").as_deref(), Some("EI-FW3"));
        assert_eq!(parse_device_type(b"EI:2:0082059AD3BD;").as_deref(), Some("EI"));
        assert_eq!(parse_device_type(b"ED:101:AABBCCDDEEFF;\r\n").as_deref(), Some("ED"));
        assert_eq!(parse_device_type(b"EZ:1;").as_deref(), Some("EZ"));
        assert_eq!(parse_device_type(b"OK;"), None);
        assert_eq!(parse_device_type(b":11:00;"), None);
        assert_eq!(parse_device_type(b""), None);
    }

    #[test]
    fn names() {
        assert_eq!(identifier_from_name("LVS-Z36").as_deref(), Some("Z"));
        assert_eq!(identifier_from_name("LVS-EI001").as_deref(), Some("EI"));
        assert_eq!(identifier_from_name("LVS-Lush").as_deref(), None);
        assert_eq!(identifier_from_name("LVS-Z").as_deref(), None);
        assert_eq!(identifier_from_name("LVS-36").as_deref(), None);
        assert_eq!(identifier_from_name("LVS-Z36x").as_deref(), None);
        assert_eq!(identifier_from_name("LOVE-Z36").as_deref(), None);
    }

    #[test]
    fn battery_replies() {
        assert_eq!(parse_battery(b"87;"), Some(87));
        assert_eq!(parse_battery(b"s87;"), Some(87));
        assert_eq!(parse_battery(b"100;"), Some(100));
        assert_eq!(parse_battery(b"0;"), Some(0));
        assert_eq!(parse_battery(b"101;"), None);
        assert_eq!(parse_battery(b"87"), None);
        assert_eq!(parse_battery(b"Z:11:00;"), None);
        assert_eq!(parse_battery(b"s;"), None);
    }

    fn device_type_write() -> Write {
        Write::without_response(Endpoint::Tx, b"DeviceType;".to_vec())
    }

    #[tokio::test(start_paused = true)]
    async fn identify_by_device_type_reply() {
        let hw = FakeHardware::new("LVS-Z36", "aa");
        hw.reply(Endpoint::Tx, b"DeviceType;", Endpoint::Rx, b"Z:11:0082059AD3BD;");
        let started = Instant::now();
        let id = Lovense.identify(&hw, &Advertisement::named("LVS-Z36")).await.unwrap();
        assert_eq!(id.as_deref(), Some("Z"));
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Rx), Event::Write(device_type_write())]);
        assert!(started.elapsed() < REPLY_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn identify_flexer_fw3_and_reply_without_colon() {
        let hw = FakeHardware::new("LVS-Flexer", "aa");
        hw.reply(Endpoint::Tx, b"DeviceType;", Endpoint::Rx, b"EI:3:0082059AD3BD;");
        assert_eq!(Lovense.identify(&hw, &Advertisement::named("LVS-EI12")).await.unwrap().as_deref(), Some("EI-FW3"));

        let hw = FakeHardware::new("LVS-Z36", "aa");
        hw.reply(Endpoint::Tx, b"DeviceType;", Endpoint::Rx, b"ERR;");
        assert_eq!(
            Lovense.identify(&hw, &Advertisement::named("LVS-Z36")).await.unwrap(),
            None,
            "a reply wins over the name"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn identify_falls_back_to_name_after_six_tries() {
        let hw = FakeHardware::new("LVS-Z36", "aa");
        let started = Instant::now();
        let id = Lovense.identify(&hw, &Advertisement::named("LVS-Z36")).await.unwrap();
        assert_eq!(id.as_deref(), Some("Z"));
        assert_eq!(hw.writes(), vec![device_type_write(); 6]);
        assert_eq!(started.elapsed(), REPLY_TIMEOUT * 6);

        let hw = FakeHardware::new("Lovense toy", "aa");
        assert_eq!(Lovense.identify(&hw, &Advertisement::named("Lovense toy")).await.unwrap(), None);
        // No advertised name: the hardware's name is used.
        let hw = FakeHardware::new("LVS-S001", "aa");
        assert_eq!(Lovense.identify(&hw, &Advertisement::default()).await.unwrap().as_deref(), Some("S"));
    }

    #[tokio::test(start_paused = true)]
    async fn identify_accepts_a_late_reply() {
        let hw = Arc::new(FakeHardware::new("LVS-Z36", "aa"));
        let device = hw.clone();
        let started = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1200)).await;
            device.notify(Endpoint::Rx, b"W:2:0082059AD3BD;");
        });
        let id = Lovense.identify(&*hw, &Advertisement::named("LVS-Z36")).await.unwrap();
        assert_eq!(id.as_deref(), Some("W"));
        assert_eq!(hw.writes().len(), 3);
        assert_eq!(started.elapsed(), Duration::from_millis(1200));
    }

    #[tokio::test(start_paused = true)]
    async fn identify_disconnect_is_an_error() {
        let hw = Arc::new(FakeHardware::new("LVS-Z36", "aa"));
        let device = hw.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            device.drop_connection();
        });
        let result = Lovense.identify(&*hw, &Advertisement::named("LVS-Z36")).await;
        assert_eq!(result, Err(ProtocolError::Hardware(HardwareError::Disconnected)));
    }

    #[tokio::test(start_paused = true)]
    async fn initialize_and_battery() {
        let hw = FakeHardware::new("LVS-Z36", "aa");
        let features = features(&[(Vibrate, 0, 20)]);
        let handler = Lovense.initialize(&hw, Some("Z"), &features).await.unwrap();
        assert_eq!(hw.subscribed(), vec![Endpoint::Rx]);
        assert!(hw.writes().is_empty(), "no init packets");
        assert_eq!(handler.keepalive(), super::super::Keepalive::None);

        hw.reply(Endpoint::Tx, b"Battery;", Endpoint::Rx, b"87;");
        assert_eq!(handler.battery(&hw).await, Ok(87));
        assert_eq!(hw.take_writes(), vec![Write::without_response(Endpoint::Tx, b"Battery;".to_vec())]);

        let hw = FakeHardware::new("LVS-Z36", "aa");
        hw.subscribe(Endpoint::Rx).await.unwrap();
        hw.reply(Endpoint::Tx, b"Battery;", Endpoint::Rx, b"Z:11:0082059AD3BD;"); // stray reply first
        hw.reply(Endpoint::Tx, b"Battery;", Endpoint::Rx, b"s64;");
        assert_eq!(handler.battery(&hw).await, Ok(64));

        let silent = FakeHardware::new("LVS-Z36", "aa");
        let started = Instant::now();
        assert_eq!(handler.battery(&silent).await, Err(ProtocolError::Timeout("lovense battery reply")));
        assert_eq!(started.elapsed(), REPLY_TIMEOUT);
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
        Vector::new(&LOVENSE, Some("S"), &[
            Set(&[(0, Vibrate, 10)], &[tx(b"Vibrate:10;")]),
            Set(&[(0, Vibrate, 20)], &[tx(b"Vibrate:20;")]),
            Stop(&[tx(b"Vibrate:0;")]),
        ]),
        // Max: vibrate and air.
        Vector::new(&LOVENSE, Some("B"), &[
            Set(&[(0, Vibrate, 8)], &[tx(b"Vibrate:8;")]),
            Set(&[(1, Constrict, 3)], &[tx(b"Air:Level:3;")]),
            Stop(&[tx(b"Vibrate:0;"), tx(b"Air:Level:0;")]),
        ]),
        // Edge: two vibrators, numbered by feature index + 1.
        Vector::new(&LOVENSE, Some("P"), &[
            Set(&[(0, Vibrate, 5)], &[tx(b"Vibrate1:5;")]),
            Set(&[(1, Vibrate, 12)], &[tx(b"Vibrate2:12;")]),
            Stop(&[tx(b"Vibrate1:0;"), tx(b"Vibrate2:0;")]),
        ]),
        // Nora: the rotation starts clockwise; a change of sign is toggled first.
        Vector::new(&LOVENSE, Some("A"), &[
            Set(&[(1, Rotate, 5)], &[tx(b"Rotate:5;")]),
            Set(&[(1, Rotate, -9)], &[tx(b"RotateChange;"), tx(b"Rotate:9;")]),
            Set(&[(0, Vibrate, 11)], &[tx(b"Vibrate:11;")]),
            Stop(&[tx(b"Vibrate:0;"), tx(b"Rotate:0;")]),
        ]),
        // Gravity: a vibrator and an oscillator, numbered as two vibrators.
        Vector::new(&LOVENSE, Some("EA"), &[
            Set(&[(1, Oscillate, 3)], &[tx(b"Vibrate2:3;")]),
            Set(&[(0, Vibrate, 4)], &[tx(b"Vibrate1:4;")]),
            Stop(&[tx(b"Vibrate1:0;"), tx(b"Vibrate2:0;")]),
        ]),
        // Flexer (firmware 3): three outputs in one Mply, rotation by magnitude.
        Vector::new(&LOVENSE, Some("EI-FW3"), &[
            Set(&[(0, Vibrate, 5)], &[tx(b"Mply:5:0:0;")]),
            Set(&[(1, Vibrate, 1), (2, Rotate, 9)], &[tx(b"Mply:5:1:9;")]),
            Stop(&[tx(b"Mply:0:0:0;")]),
        ]),
        // Solace: the stroker speed as Mply, its range zeroed to stop.
        Vector::new(&LOVENSE, Some("H"), &[
            Set(&[(0, Oscillate, 12)], &[tx(b"Mply:12:20;")]),
            Stop(&[tx(b"Mply:0:0;")]),
        ]),
        // Solace Pro: the stroker speed as Mply, its range kept at 20 to stop; positions glided
        // toward with FSetSite (the first step at once, the others in the tests above).
        Vector::new(&LOVENSE, Some("BA"), &[
            Move(&[(0, 50, 500)], &[tx(b"FSetSite:10;")]),
            Set(&[(0, Oscillate, 12)], &[tx(b"Mply:12:20;")]),
            Set(&[(0, Oscillate, 0)], &[tx(b"Mply:0:20;")]),
            Set(&[(0, Oscillate, 3)], &[tx(b"Mply:3:20;")]),
            Stop(&[tx(b"Mply:0:20;")]),
        ]),
    ];
}
