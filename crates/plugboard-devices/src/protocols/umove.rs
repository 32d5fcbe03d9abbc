//! Umove strokers (`umove`: the Mira, Vero and Nexo, names `UM..B*` and `AL..B*`): vibration,
//! a stroke position (set at once, or moved over a duration) and a heater. Writes go to `tx`
//! (Nordic UART, `6e400002-…`) without response.
//!
//! | frame | bytes |
//! |---|---|
//! | state | `5a a5 55 00` · vibration u16 LE · `01 00` · packet id u32 LE · position u32 LE |
//! | heat | `5a a5 55 06 ff ff 00 00 ff ff ff ff` · t · `ff` (t 37..=42, 0 off) |
//!
//! The state frame carries the vibration and the position together, and a packet id that
//! counts every state frame formed since connect (from 0, wrapping). Examples: vibration 5000
//! at rest at 0, packet 0: `5a a5 55 00 88 13 01 00 00 00 00 00 00 00 00 00`; heat 40:
//! `5a a5 55 06 ff ff 00 00 ff ff ff ff 28 ff`.
//!
//! * Identification: characters 2 and 3 of the advertised name: `Mi` (Mira, the defaults:
//!   vibration and a stroke of 0..=632), `Vx` (Vero, a stroke of 0..=732), `Nx` (Nexo,
//!   0..=1232). A name too short for them gets the defaults. The Vero and Nexo entries list
//!   only their stroke, which replaces the defaults' features (in the reference too), so they
//!   offer no vibration.
//! * The heater: the reference database lists it as `[37, 42]` °C, which the reference engine
//!   offers as steps 0..=42 and writes as they come, so the step is the temperature in °C (0
//!   off); the importer keeps it so (see `config/reference.rs`), and so does the heat frame.
//! * Init: nothing written. On connect, the first tick writes the stopped state, a state frame
//!   and, on a device with a heater, the heat frame with 0, as the reference engine does.
//! * Vibration: a state frame at once; in the middle of a move, the move's next step carries it.
//! * Position: the device takes a position, no duration: an instant position is one state frame;
//!   a position with duration is glided toward in the reference engine's steps
//!   ([`Glide`]: a move of `d` ms in `max(d / 100, 1)` equal steps), the first at once, then one
//!   every 100 ms.
//! * Heat: the heat frame, when the temperature differs from the last one written; 0 on a stop.
//! * Keepalive: the device stops unless it hears from the host every 500 ms: whenever nothing
//!   was written for 500 ms (a heat frame counts, as in the reference engine), a fresh state
//!   frame (next packet id, the vibration and position now), and the heat frame with it while
//!   the heater is on. This starts at connect, as in the reference engine (whose keepalive
//!   starts with the stop it sends at connect).
//! * A stop: vibration 0 and the move halted where it is, in one state frame (when either ran),
//!   and the heat frame with 0 if the heater was on. Positions are not moved by a stop.
//!
//! Deliberate differences from the reference engine, whose loop computes steps per 100 ms but
//! takes them every 50 ms (a move ran in half the time asked for), keeps going after a stop,
//! and whose keepalive repeats the last frame of a command as it was (its old packet id and
//! an old position, to which a device that honours it would jump back, or the heat frame alone,
//! after which vibration is kept alive no more): Plugboard steps every 100 ms, halts a move on
//! a stop, and keeps alive with a frame of the current state.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::timed::{Glide, GLIDE_STEP};
use super::{find_level, Advertisement, DeviceHandler, Flush, HandlerState, OutputLevel, Protocol, ProtocolError, Timed};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long the device runs without hearing from the host.
pub const KEEPALIVE: Duration = Duration::from_millis(500);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&UMOVE];

/// The `umove` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Umove;

pub static UMOVE: Umove = Umove;

/// The state frame.
pub fn state_frame(vibration: u16, packet_id: u32, position: u32) -> Vec<u8> {
    let mut frame = vec![0x5a, 0xa5, 0x55, 0x00];
    frame.extend(vibration.to_le_bytes());
    frame.extend([0x01, 0x00]);
    frame.extend(packet_id.to_le_bytes());
    frame.extend(position.to_le_bytes());
    frame
}

/// The heat frame.
pub fn heat_frame(temperature: u8) -> Vec<u8> {
    vec![0x5a, 0xa5, 0x55, 0x06, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, temperature, 0xff]
}

/// The identifier in an advertised name: its characters 2 and 3 (`UMVxB…` is `Vx`).
pub fn identifier_from_name(name: &str) -> Option<String> {
    name.get(2..4).map(str::to_owned)
}

impl Protocol for Umove {
    fn name(&self) -> &'static str {
        "umove"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            let name = advertisement.name_or(hw);
            Ok(identifier_from_name(name))
        })
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(UmoveHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// Where each output of the device is: (feature index, type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmoveHandler {
    vibrate: Option<(u32, OutputType)>,
    position: Option<(u32, OutputType)>,
    moving: Option<(u32, OutputType)>,
    heat: Option<(u32, OutputType)>,
}

/// What the handler keeps: the packet id, what the device was last told, the move in progress,
/// and the tick it asked for (a step, or the keepalive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UmoveState {
    pub packet_id: u32,
    pub vibration: u16,
    /// The temperature last written in a heat frame; `None` before the first.
    pub heat: Option<u8>,
    /// Whether the first tick, the one on connect, has run.
    pub started: bool,
    pub glide: Glide,
    pub due: Option<Instant>,
}

impl UmoveState {
    /// A state frame of the vibration and position now, with the next packet id.
    fn frame(&mut self) -> Write {
        let position = self.glide.position.max(0) as u32;
        let frame = state_frame(self.vibration, self.packet_id, position);
        self.packet_id = self.packet_id.wrapping_add(1);
        write(frame)
    }
}

fn write(data: Vec<u8>) -> Write {
    Write::without_response(Endpoint::Tx, data)
}

impl UmoveHandler {
    /// Vibrate, position, position with duration and temperature outputs, on any features;
    /// nothing else.
    pub fn new(features: &[Feature]) -> Result<UmoveHandler, ProtocolError> {
        let mut handler = UmoveHandler { vibrate: None, position: None, moving: None, heat: None };
        for feature in features {
            for output in &feature.outputs {
                let slot = match output.kind {
                    OutputType::Vibrate => &mut handler.vibrate,
                    OutputType::Position => &mut handler.position,
                    OutputType::HwPositionWithDuration => &mut handler.moving,
                    OutputType::Temperature => &mut handler.heat,
                    other => return Err(ProtocolError::Definition(format!("umove has no {other:?} output"))),
                };
                *slot = Some((feature.index, output.kind));
            }
        }
        Ok(handler)
    }

    /// The level of `output`, and whether it changed in `flush`.
    fn level<'a>(output: Option<(u32, OutputType)>, flush: &Flush<'a>) -> Option<(&'a OutputLevel, bool)> {
        let (index, kind) = output?;
        let i = find_level(flush.levels, index, kind)?;
        Some((&flush.levels[i], flush.changed.contains(i)))
    }

    fn vibration(&self, levels: &[OutputLevel]) -> u16 {
        self.vibrate
            .and_then(|(index, kind)| find_level(levels, index, kind))
            .map_or(0, |i| levels[i].value.clamp(0, u16::MAX as i32) as u16)
    }

    /// After writing at `now`: the next step while moving, else the keepalive.
    fn next(state: &UmoveState, now: Instant) -> Instant {
        now + if state.glide.moving() { GLIDE_STEP } else { KEEPALIVE }
    }

    fn answer(state: &mut UmoveState, writes: Vec<Write>, due: Instant) -> Timed {
        state.due = Some(due);
        Timed::writes(writes).tick_at(Some(due))
    }
}

impl DeviceHandler for UmoveHandler {
    fn initial_state(&self) -> HandlerState {
        HandlerState::new(UmoveState::default())
    }

    fn flush(&self, flush: &Flush<'_>, state: &mut HandlerState) -> Timed {
        let umove = state.get::<UmoveState>();
        let mut writes = Vec::new();
        let heat = match Self::level(self.heat, flush) {
            Some((level, true)) => {
                let temperature = level.value.clamp(0, u8::MAX as i32) as u8;
                (umove.heat != Some(temperature)).then(|| {
                    umove.heat = Some(temperature);
                    write(heat_frame(temperature))
                })
            }
            _ => None,
        };
        let vibration_changed = Self::level(self.vibrate, flush).is_some_and(|(_, changed)| changed);
        umove.vibration = self.vibration(flush.levels);
        let was_moving = umove.glide.moving();
        let state_now = if flush.stop {
            // A stop says so when something ran (or its state is not known, which the device
            // task marks as a change): vibration, or a move it halts where it is.
            umove.glide.halt();
            vibration_changed || was_moving
        } else if let Some((level, true)) = Self::level(self.position, flush) {
            umove.glide.jump(level.value);
            true
        } else if let Some((level, true)) = Self::level(self.moving, flush) {
            umove.glide.toward(level.value, level.duration_ms.unwrap_or(0));
            // A move in progress keeps its pace: its next step, already due, heads the new way.
            if was_moving {
                false
            } else {
                umove.glide.step();
                true
            }
        } else {
            vibration_changed && !was_moving
        };
        // The state frame first: on a stop, vibration off before the heater.
        let due = if state_now {
            writes.push(umove.frame());
            Self::next(umove, flush.now)
        } else if heat.is_some() && !umove.glide.moving() {
            // The device heard from the host: the keepalive counts from here.
            flush.now + KEEPALIVE
        } else {
            umove.due.unwrap_or(flush.now + KEEPALIVE)
        };
        writes.extend(heat);
        Self::answer(umove, writes, due)
    }

    fn tick(&self, levels: &[OutputLevel], state: &mut HandlerState, now: Instant) -> Timed {
        let umove = state.get::<UmoveState>();
        umove.vibration = self.vibration(levels);
        let connecting = !std::mem::replace(&mut umove.started, true);
        let mut writes = Vec::new();
        if umove.glide.moving() {
            umove.glide.step();
        } else if connecting && self.heat.is_some() && umove.heat.is_none() {
            // On connect: the heater off with the rest.
            umove.heat = Some(0);
            writes.push(write(heat_frame(0)));
        } else if let Some(temperature) = umove.heat.filter(|&t| t > 0) {
            writes.push(write(heat_frame(temperature)));
        }
        writes.insert(0, umove.frame());
        let due = Self::next(umove, now);
        Self::answer(umove, writes, due)
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, feature, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// A Vero's stroke with the defaults' vibration and heater.
    fn umove() -> Sim {
        let features = vec![
            feature(0, &[(Vibrate, 0, 10000)]),
            feature(1, &[(HwPositionWithDuration, 0, 732), (Position, 0, 732)]),
            feature(2, &[(Temperature, 0, 42)]),
        ];
        Sim::new(Box::new(UmoveHandler::new(&features).unwrap()), &features)
    }

    #[test]
    fn frames() {
        assert_eq!(state_frame(5000, 0, 0), [0x5a, 0xa5, 0x55, 0x00, 0x88, 0x13, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(state_frame(0, 9, 600), [0x5a, 0xa5, 0x55, 0x00, 0, 0, 0x01, 0x00, 0x09, 0, 0, 0, 0x58, 0x02, 0, 0]);
        assert_eq!(
            state_frame(10000, 0x0102_0304, 1232),
            [0x5a, 0xa5, 0x55, 0x00, 0x10, 0x27, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01, 0xd0, 0x04, 0, 0]
        );
        assert_eq!(heat_frame(40), [0x5a, 0xa5, 0x55, 0x06, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x28, 0xff]);
    }

    #[tokio::test]
    async fn identifies_by_characters_2_and_3_of_the_name() {
        for (name, expected) in [("UMVxB123", Some("Vx")), ("ALNxB0", Some("Nx")), ("UMMiB", Some("Mi")), ("UMV", None)] {
            let hw = FakeHardware::new(name, "aa");
            let advertisement = Advertisement { name: name.to_owned(), ..Default::default() };
            assert_eq!(UMOVE.identify(&hw, &advertisement).await.unwrap().as_deref(), expected, "{name}");
        }
        assert_eq!(identifier_from_name("Ué1"), None, "a name cut inside a character gets the defaults");
    }

    #[test]
    fn keepalive_from_connect_with_fresh_frames() {
        let mut vero = umove();
        assert_eq!(bytes(&vero.start()), [state_frame(0, 0, 0), heat_frame(0)], "at connect, the heater off too");
        assert_eq!(vero.next_tick, Some(vero.now + KEEPALIVE));
        vero.wait(MS(200));
        assert_eq!(bytes(&vero.set(0, Vibrate, 5000)), [state_frame(5000, 1, 0)]);
        assert_eq!(vero.next_tick, Some(vero.now + KEEPALIVE), "500 ms after the last frame");
        assert_eq!(bytes(&vero.set(2, Temperature, 40)), [heat_frame(40)]);
        assert_eq!(vero.next_tick, Some(vero.now + KEEPALIVE), "500 ms after the heat frame");
        let ticks = vero.ticks(2);
        assert_eq!(ticks.iter().map(|(at, _)| *at).collect::<Vec<_>>(), [MS(500), MS(1000)]);
        assert_eq!(bytes(&ticks[0].1), [state_frame(5000, 2, 0), heat_frame(40)]);
        assert_eq!(bytes(&ticks[1].1), [state_frame(5000, 3, 0), heat_frame(40)]);
    }

    #[test]
    fn the_heater_takes_degrees_as_they_come_and_is_heard_as_a_keepalive() {
        let mut mira = umove();
        assert_eq!(bytes(&mira.start()), [state_frame(0, 0, 0), heat_frame(0)]);
        mira.wait(MS(300));
        assert_eq!(bytes(&mira.set(2, Temperature, 40)), [heat_frame(40)]);
        assert_eq!(mira.next_tick, Some(mira.now + KEEPALIVE), "the keepalive counts from the heat frame");
        // Every step of 0..=42 is written as it is, as in the reference (the device heats to
        // 37..=42 °C; a lower step is a target below body heat).
        assert_eq!(bytes(&mira.set(2, Temperature, 10)), [heat_frame(10)]);
        assert!(mira.set(2, Temperature, 10).is_empty(), "the temperature already written");
        let ticks = mira.ticks(1);
        assert_eq!(ticks[0].0, KEEPALIVE);
        assert_eq!(bytes(&ticks[0].1), [state_frame(0, 1, 0), heat_frame(10)], "kept alive, heater and all");
        assert_eq!(bytes(&mira.stop()), [heat_frame(0)], "the vibration was off already, as the reference does");
        assert_eq!(mira.next_tick, Some(mira.now + KEEPALIVE));
        assert_eq!(bytes(&mira.tick()), [state_frame(0, 2, 0)], "the heater is off: no heat frame");

        // A Umove without a heater (a Vero or a Nexo) never gets a heat frame.
        let features = vec![feature(1, &[(HwPositionWithDuration, 0, 732), (Position, 0, 732)])];
        let mut vero = Sim::new(Box::new(UmoveHandler::new(&features).unwrap()), &features);
        assert_eq!(bytes(&vero.start()), [state_frame(0, 0, 0)]);
    }

    #[test]
    fn a_move_glides_a_step_every_100_ms_carrying_the_vibration() {
        let mut vero = umove();
        let start = vero.now;
        assert_eq!(bytes(&vero.flush_with_duration(&[(1, HwPositionWithDuration, 600, Some(1000))])), [state_frame(0, 0, 60)]);
        assert_eq!(vero.next_tick, Some(start + GLIDE_STEP));
        assert_eq!(bytes(&vero.tick()), [state_frame(0, 1, 120)]);
        assert!(vero.set(0, Vibrate, 100).is_empty(), "the move's next step carries it");
        assert_eq!(vero.next_tick, Some(start + MS(200)));
        let ticks = vero.ticks(9);
        assert_eq!(bytes(&ticks[0].1), [state_frame(100, 2, 180)]);
        assert_eq!(ticks[7].0, MS(800));
        assert_eq!(bytes(&ticks[7].1), [state_frame(100, 9, 600)], "at the goal after 900 ms");
        assert_eq!(bytes(&ticks[8].1), [state_frame(100, 10, 600)], "then the keepalive, 500 ms later");
        assert_eq!(ticks[8].0, MS(1300));

        // A new move in the middle of one keeps the pace and heads the new way.
        let at = vero.now;
        assert_eq!(bytes(&vero.flush_with_duration(&[(1, HwPositionWithDuration, 0, Some(300))])), [state_frame(100, 11, 400)]);
        assert_eq!(vero.next_tick, Some(at + GLIDE_STEP));
        assert_eq!(bytes(&vero.tick()), [state_frame(100, 12, 200)]);
        vero.wait(MS(30));
        assert!(vero.flush_with_duration(&[(1, HwPositionWithDuration, 500, Some(0))]).is_empty());
        assert_eq!(vero.next_tick, Some(at + MS(200)));
        assert_eq!(bytes(&vero.tick()), [state_frame(100, 13, 500)], "no duration: one step");
    }

    #[test]
    fn an_instant_position_is_one_frame() {
        let mut vero = umove();
        assert_eq!(bytes(&vero.set(1, Position, 700)), [state_frame(0, 0, 700)]);
        assert_eq!(bytes(&vero.set(0, Vibrate, 1)), [state_frame(1, 1, 700)]);
    }

    #[test]
    fn a_stop_halts_the_move_and_turns_everything_off_at_once() {
        let mut vero = umove();
        vero.set(0, Vibrate, 8000);
        vero.set(2, Temperature, 42);
        vero.flush_with_duration(&[(1, HwPositionWithDuration, 700, Some(1000))]);
        vero.tick();
        assert_eq!(bytes(&vero.stop()), [state_frame(0, 3, 140), heat_frame(0)]);
        assert_eq!(vero.next_tick, Some(vero.now + KEEPALIVE), "only the keepalive after it");
        assert_eq!(bytes(&vero.tick()), [state_frame(0, 4, 140)], "where the stop left it, heater off");
        assert!(vero.stop().is_empty(), "a stop with nothing running writes nothing, as in the reference");
        vero.flush_with_duration(&[(1, HwPositionWithDuration, 0, Some(1000))]);
        assert_eq!(bytes(&vero.stop()), [state_frame(0, 6, 126)], "a move in progress is halted where it is");
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`: the first step of a move and the other
/// outputs at once. The glide and the keepalive, tick by tick, are in the tests above and the
/// device task's.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    const fn frame(vibration: u16, packet_id: u8, position: u16) -> [u8; 16] {
        let [v0, v1] = vibration.to_le_bytes();
        let [p0, p1] = position.to_le_bytes();
        [0x5a, 0xa5, 0x55, 0x00, v0, v1, 0x01, 0x00, packet_id, 0, 0, 0, p0, p1, 0, 0]
    }

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&UMOVE, Some("Mi"), &[
            Set(&[(0, Vibrate, 5000)], &[tx(&frame(5000, 0, 0))]),
            Set(&[(1, Position, 600)], &[tx(&frame(5000, 1, 600))]),
            Move(&[(1, 300, 500)], &[tx(&frame(5000, 2, 540))]),
            Set(&[(2, Temperature, 40)], &[tx(&[0x5a, 0xa5, 0x55, 0x06, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 40, 0xff])]),
            Stop(&[tx(&frame(0, 3, 540)), tx(&[0x5a, 0xa5, 0x55, 0x06, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0xff])]),
        ]),
        Vector::new(&UMOVE, Some("Nx"), &[
            Move(&[(1, 1232, 0)], &[tx(&frame(0, 0, 1232))]),
            Set(&[(1, Position, 1000)], &[tx(&frame(0, 1, 1000))]),
            // No vibration and no heater: a stop only halts a move (1,000 ms in 10 steps of 100).
            Move(&[(1, 0, 1000)], &[tx(&frame(0, 2, 900))]),
            Stop(&[tx(&frame(0, 3, 900))]),
        ]),
    ];
}
