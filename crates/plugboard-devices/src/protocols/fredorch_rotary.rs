//! Fredorch rotary machines (`fredorch-rotary`, names `M1_*`): one oscillating output (speed
//! 0..=20) that the machine only takes as "one step faster", "one step slower" and "stop".
//! Five-byte frames `55 03 c (c + 3) aa` to `tx` (`ae01` in service `ae10`), without response.
//!
//! | frame | c | bytes |
//! |---|---|---|
//! | speed +1 | `01` | `55 03 01 04 aa` |
//! | speed −1 | `02` | `55 03 02 05 aa` |
//! | stop | `24` | `55 03 24 27 aa` |
//! | power up | `1f` | `55 03 1f 22 aa` |
//! | start the handshake | `99` | `55 03 99 9c aa` |
//! | password | | `55 09 21 00 00 00 00 00 00 2a aa` |
//!
//! * Init: subscribe to `rx`, then handshake, password, power up and stop, each followed by up
//!   to 100 ms waiting for a notification (the machine may say nothing; a disconnect fails).
//! * Output: the machine reports nothing, so Plugboard counts its speed (0 after init). A level
//!   above 0 is reached one step per tick, 50 ms apart (a new level mid-walk keeps that pace,
//!   and the first step after a stop frame waits 50 ms too); 0 (and a stop) writes the stop
//!   frame at once, counts 0 and ends the stepping.
//!
//! The reference engine writes the steps back to back, as fast as the writes complete.
//! Plugboard paces them 50 ms apart (deliberately): a stop always comes between two steps,
//! and a machine that needs a moment per step is less likely to miss one, which would leave
//! the count wrong for good. Twenty steps take a second. If the machine beeps twice it has
//! powered off and must be connected again (it says so nowhere else).

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{find_level, next_data, DeviceHandler, Flush, HandlerState, OutputLevel, Protocol, ProtocolError, Timed};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The one-byte commands.
pub const FASTER: u8 = 0x01;
pub const SLOWER: u8 = 0x02;
pub const STOP: u8 = 0x24;
pub const POWER_UP: u8 = 0x1f;
pub const HANDSHAKE: u8 = 0x99;
/// The password frame.
pub const PASSWORD: [u8; 11] = [0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xaa];
/// How long each init frame waits for an answer.
pub const INIT_WAIT: Duration = Duration::from_millis(100);
/// The time between two speed steps.
pub const STEP_INTERVAL: Duration = Duration::from_millis(50);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&FREDORCH_ROTARY];

/// The `fredorch-rotary` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct FredorchRotary;

pub static FREDORCH_ROTARY: FredorchRotary = FredorchRotary;

/// `55 03 c (c + 3) aa`.
pub fn frame(command: u8) -> Vec<u8> {
    vec![0x55, 0x03, command, command.wrapping_add(3), 0xaa]
}

fn write(data: Vec<u8>) -> Write {
    Write::without_response(Endpoint::Tx, data)
}

impl Protocol for FredorchRotary {
    fn name(&self) -> &'static str {
        "fredorch-rotary"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = RotaryHandler::new(features)?;
            let mut notifications = hw.notifications();
            hw.subscribe(Endpoint::Rx).await?;
            for data in [frame(HANDSHAKE), PASSWORD.to_vec(), frame(POWER_UP), frame(STOP)] {
                hw.write(write(data)).await?;
                // An answer or none: the machine says nothing after the password.
                let _answer = next_data(&mut notifications, Endpoint::Rx, Instant::now() + INIT_WAIT).await?;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The handler of one machine: which output sets the speed, and the fastest speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotaryHandler {
    output: (u32, OutputType),
    max_speed: i32,
}

/// The speed the machine runs at, as counted from the steps written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotary {
    pub speed: i32,
    /// When the last step or stop was written: the next step waits [`STEP_INTERVAL`] after it.
    pub last_frame: Option<Instant>,
}

impl RotaryHandler {
    /// One oscillate output.
    pub fn new(features: &[Feature]) -> Result<RotaryHandler, ProtocolError> {
        let outputs: Vec<_> =
            features.iter().flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output))).collect();
        match outputs.as_slice() {
            [(index, output)] if output.kind == OutputType::Oscillate => {
                Ok(RotaryHandler { output: (*index, output.kind), max_speed: output.range.max.max(0) })
            }
            _ => Err(ProtocolError::Definition("fredorch-rotary drives one oscillate output".into())),
        }
    }

    fn target(&self, levels: &[OutputLevel]) -> i32 {
        find_level(levels, self.output.0, self.output.1).map_or(0, |i| levels[i].value.clamp(0, self.max_speed))
    }

    /// One step toward `target` (above 0), written now.
    fn step(rotary: &mut Rotary, target: i32, now: Instant) -> Timed {
        if rotary.speed == target {
            return Timed::default();
        }
        let command = if target > rotary.speed { FASTER } else { SLOWER };
        rotary.speed += (target - rotary.speed).signum();
        rotary.last_frame = Some(now);
        let more = rotary.speed != target;
        Timed::writes(vec![write(frame(command))]).tick_at(more.then(|| now + STEP_INTERVAL))
    }
}

impl DeviceHandler for RotaryHandler {
    fn initial_state(&self) -> HandlerState {
        HandlerState::new(Rotary::default())
    }

    fn flush(&self, flush: &Flush<'_>, state: &mut HandlerState) -> Timed {
        let rotary = state.get::<Rotary>();
        let target = if flush.stop { 0 } else { self.target(flush.levels) };
        if target == 0 {
            let changed = find_level(flush.levels, self.output.0, self.output.1).is_some_and(|i| flush.changed.contains(i));
            if rotary.speed == 0 && !changed {
                return Timed::default();
            }
            rotary.speed = 0;
            rotary.last_frame = Some(flush.now);
            return Timed::writes(vec![write(frame(STOP))]);
        }
        // A new level in the middle of a walk keeps the walk's pace.
        match rotary.last_frame.map(|at| at + STEP_INTERVAL) {
            Some(ready) if ready > flush.now => Timed::default().tick_at(Some(ready)),
            _ => Self::step(rotary, target, flush.now),
        }
    }

    fn tick(&self, levels: &[OutputLevel], state: &mut HandlerState, now: Instant) -> Timed {
        let target = self.target(levels);
        if target == 0 {
            return Timed::default();
        }
        Self::step(state.get::<Rotary>(), target, now)
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn machine() -> Sim {
        let features = features(&[(Oscillate, 0, 20)]);
        Sim::new(Box::new(RotaryHandler::new(&features).unwrap()), &features)
    }

    #[test]
    fn frames() {
        assert_eq!(frame(FASTER), [0x55, 0x03, 0x01, 0x04, 0xaa]);
        assert_eq!(frame(SLOWER), [0x55, 0x03, 0x02, 0x05, 0xaa]);
        assert_eq!(frame(STOP), [0x55, 0x03, 0x24, 0x27, 0xaa]);
        assert_eq!(frame(POWER_UP), [0x55, 0x03, 0x1f, 0x22, 0xaa]);
        assert_eq!(frame(HANDSHAKE), [0x55, 0x03, 0x99, 0x9c, 0xaa]);
    }

    #[test]
    fn steps_50_ms_apart_and_stops_at_once() {
        let mut m1 = machine();
        assert!(m1.start().is_empty());
        assert_eq!(bytes(&m1.set(0, Oscillate, 5)), [frame(FASTER)], "the first step at once");
        let ticks = m1.ticks(10);
        assert_eq!(ticks.iter().map(|(at, _)| *at).collect::<Vec<_>>(), [MS(50), MS(100), MS(150), MS(200)]);
        assert!(ticks.iter().all(|(_, writes)| bytes(writes) == [frame(FASTER)]));
        assert_eq!(m1.state.get::<Rotary>().speed, 5);

        m1.wait(STEP_INTERVAL);
        assert_eq!(bytes(&m1.set(0, Oscillate, 3)), [frame(SLOWER)]);
        assert_eq!(bytes(&m1.tick()), [frame(SLOWER)]);
        assert_eq!(m1.next_tick, None);

        // On the way up to 20, a stop: the stop frame at once, no steps after it.
        assert!(m1.set(0, Oscillate, 20).is_empty(), "the last step was just now");
        m1.tick();
        m1.tick();
        assert_eq!(m1.state.get::<Rotary>().speed, 5);
        assert_eq!(bytes(&m1.stop()), [frame(STOP)]);
        assert_eq!((m1.next_tick, m1.state.get::<Rotary>().speed), (None, 0));
        assert!(m1.stop().is_empty(), "stopped already");
        assert!(m1.set(0, Oscillate, 1).is_empty(), "a step waits 50 ms after the stop frame too");
        assert_eq!(bytes(&m1.tick()), [frame(FASTER)]);
        assert_eq!(bytes(&m1.set(0, Oscillate, 0)), [frame(STOP)], "a level of 0 is the stop frame, at once");
        m1.wait(STEP_INTERVAL);
        assert_eq!(bytes(&m1.set(0, Oscillate, 50)), [frame(FASTER)]);
        assert_eq!(m1.ticks(100).len(), 19, "clamped to 20");
    }

    #[test]
    fn a_new_level_mid_walk_keeps_the_pace() {
        let mut m1 = machine();
        m1.start();
        assert_eq!(bytes(&m1.set(0, Oscillate, 5)), [frame(FASTER)]);
        m1.wait(MS(20));
        assert!(m1.set(0, Oscillate, 2).is_empty(), "the next step waits for its 50 ms");
        assert_eq!(m1.next_tick, Some(m1.now + MS(30)));
        assert_eq!(bytes(&m1.tick()), [frame(FASTER)], "1 -> 2");
        assert_eq!(m1.next_tick, None);
        assert_eq!(m1.state.get::<Rotary>().speed, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn init_waits_up_to_100_ms_after_each_frame() {
        let hw = FakeHardware::with_endpoints("M1_0001", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        // The machine answers the handshake only.
        hw.reply(Endpoint::Tx, &frame(HANDSHAKE), Endpoint::Rx, &[0x55, 0x01]);
        let start = Instant::now();
        FREDORCH_ROTARY.initialize(&hw, None, &features(&[(Oscillate, 0, 20)])).await.unwrap();
        assert_eq!(Instant::now() - start, MS(300), "three frames without an answer");
        let expected = [frame(HANDSHAKE), PASSWORD.to_vec(), frame(POWER_UP), frame(STOP)];
        assert_eq!(hw.events()[0], Event::Subscribe(Endpoint::Rx));
        assert_eq!(bytes(&hw.writes()), expected);

        let gone = FakeHardware::with_endpoints("M1_0001", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        gone.drop_connection();
        assert!(FREDORCH_ROTARY.initialize(&gone, None, &features(&[(Oscillate, 0, 20)])).await.is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`: the first step and the stop. The
/// stepping, tick by tick, is in the tests above and the device task's.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&FREDORCH_ROTARY, None, &[
        Set(&[(0, Oscillate, 5)], &[tx(&[0x55, 0x03, 0x01, 0x04, 0xaa])]),
        Stop(&[tx(&[0x55, 0x03, 0x24, 0x27, 0xaa])]),
    ])];
}
