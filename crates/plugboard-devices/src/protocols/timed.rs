//! Devices that need writes over time, with encoders that stay pure.
//!
//! Some devices cannot be told a level once: a machine with only speed-up and speed-down
//! buttons is walked to a speed one press at a time, a stroker that takes positions is glided
//! toward a goal a step every 100 ms, a pump is switched off a second after it was switched on,
//! a motor runs only while it hears its level again and again. The reference engine spawns a
//! loop inside each such handler, with shared atomics between the loop and the commands.
//! Plugboard keeps handlers pure instead: the **device task** owns the clock and the state, and
//! asks the handler, each time, what to write now and when to ask again.
//!
//! * [`DeviceHandler::initial_state`] makes the [`HandlerState`] once per connection (a speed
//!   counter, a position, a packet counter). The task keeps it and lends it to every call.
//! * [`DeviceHandler::flush`] gets one flush ([`Flush`]: the levels, the outputs that changed,
//!   whether it is a stop, the time) and answers [`Timed`]: the writes to make now, and when it
//!   wants its next tick. Its default is the stateless [`DeviceHandler::encode`], with no tick.
//! * [`DeviceHandler::tick`] is called when that time comes (and once when the task starts,
//!   for a keepalive's seed), and answers [`Timed`] too. [`DeviceHandler::notified`] gets
//!   the bytes the device sends and answers the writes to make (the pending tick stays).
//!
//! Same arguments, same answer: a handler owns nothing that changes, so each protocol is tested
//! by calling these functions with chosen times (`test_support::Sim` does), and the timing as a
//! whole in the device task's tests under tokio's paused clock.
//!
//! # The contract between handler and task
//!
//! * Every answer's [`Timed::next_tick`] **replaces** the pending tick; `None` cancels it. A
//!   handler that keeps a loop going asks for its next tick in every answer.
//! * A stop ([`Flush::stop`]: a client's stop, STOP ALL, a disconnect, the engine shutting
//!   down, that leaves every output that stops at zero at 0) ends every loop and every pending
//!   follow-up at once: the handler writes, in that same flush, whatever brings the device to
//!   rest (a pending "pump off" is written now, not in a second), and asks for no tick that
//!   would move it again (a keepalive of the stopped state is fine). A stop is a flush even
//!   when no level changed, so a move in progress is halted by a stop that finds every output
//!   at 0 already. A stop that leaves another client's output running is a plain change.
//! * Ticks are written when they come, not held back by the message gap: the handler paces
//!   itself. Flushes keep the gap as for any protocol.
//! * After a stop, position outputs count as unknown to the task: a stop may have halted a move
//!   half way, so the next move is written even if it repeats the last one.

use std::any::Any;
use std::time::Duration;

use tokio::time::Instant;

use super::{ChangeSet, FrameNumber, OutputLevel};
use crate::hardware::Write;

/// What a handler keeps between calls, owned by the device task (see the module docs).
///
/// It holds one value of a type the handler chooses; handlers without state keep
/// [`HandlerState::none`].
#[derive(Default)]
pub struct HandlerState(Option<Box<dyn Any + Send>>);

impl std::fmt::Debug for HandlerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "HandlerState(..)" } else { "HandlerState(none)" })
    }
}

impl HandlerState {
    /// No state.
    pub fn none() -> HandlerState {
        HandlerState(None)
    }

    /// A state holding `value`.
    pub fn new<T: Any + Send>(value: T) -> HandlerState {
        HandlerState(Some(Box::new(value)))
    }

    /// The state as a `T`. A state holding anything else (which the task never gives: it lends
    /// each handler the state that handler made) starts over as `T::default()`.
    pub fn get<T: Any + Send + Default>(&mut self) -> &mut T {
        if !self.0.as_ref().is_some_and(|state| state.is::<T>()) {
            self.0 = Some(Box::new(T::default()));
        }
        match self.0.as_mut().and_then(|state| state.downcast_mut::<T>()) {
            Some(state) => state,
            None => unreachable!("a T was stored just above"),
        }
    }
}

/// One flush of the device task, as [`DeviceHandler::flush`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct Flush<'a> {
    /// Every output of the device, at its new level.
    pub levels: &'a [OutputLevel],
    /// The outputs whose level changed since the last flush (empty for a stop that found
    /// everything at rest already).
    pub changed: ChangeSet,
    /// This flush is a stop: end every loop and follow-up now (see the module docs).
    pub stop: bool,
    /// The time of the flush.
    pub now: Instant,
    /// The number of the first write of this flush, for packets with a rolling counter (see
    /// "Rolling counters" in `protocols/mod.rs`); the task counts the writes of every flush.
    pub frame: FrameNumber,
}

/// A handler's answer: what to write now, and when to be asked again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timed {
    /// Written now, in this order.
    pub writes: Vec<Write>,
    /// When [`DeviceHandler::tick`] should be called next; `None`: not until something else
    /// happens. Replaces whatever tick was pending.
    pub next_tick: Option<Instant>,
}

impl Timed {
    /// Writes and no tick.
    pub fn writes(writes: Vec<Write>) -> Timed {
        Timed { writes, next_tick: None }
    }

    /// The same writes, and a tick at `at` (or none).
    pub fn tick_at(self, at: Option<Instant>) -> Timed {
        Timed { next_tick: at, ..self }
    }
}

/// How often a [`Glide`] steps: the reference engine's stroker loops move every 100 ms.
pub const GLIDE_STEP: Duration = Duration::from_millis(100);

/// A position moved toward a goal in equal steps, one per [`GLIDE_STEP`], for devices that
/// take a position but no duration (Umove, the Lovense Solace).
///
/// The steps are the reference engine's: a move of `d` ms is cut into `max(d / 100, 1)` steps
/// of the distance divided by that count (rounded toward zero, at least 1), and the last step
/// stops at the goal. The handler writes one step per tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Glide {
    /// Where the device is now (the last position written).
    pub position: i32,
    goal: i32,
    step: i32,
}

impl Glide {
    /// At rest at `position`.
    pub fn at(position: i32) -> Glide {
        Glide { position, goal: position, step: 0 }
    }

    /// Heads for `goal`, to get there in `duration_ms`.
    pub fn toward(&mut self, goal: i32, duration_ms: u32) {
        let steps = (duration_ms / GLIDE_STEP.as_millis() as u32).max(1) as i64;
        let distance = goal as i64 - self.position as i64;
        let step = distance / steps;
        self.goal = goal;
        self.step = if step == 0 { distance.signum() } else { step } as i32;
    }

    /// Whether the goal is not reached yet.
    pub fn moving(&self) -> bool {
        self.position != self.goal
    }

    /// Takes one step (none when at the goal); the new position.
    pub fn step(&mut self) -> i32 {
        if self.moving() {
            let next = self.position.saturating_add(self.step);
            self.position = if self.step > 0 { next.min(self.goal) } else { next.max(self.goal) };
        }
        self.position
    }

    /// Stops where it is.
    pub fn halt(&mut self) {
        self.goal = self.position;
        self.step = 0;
    }

    /// Jumps to `position` at once.
    pub fn jump(&mut self, position: i32) {
        *self = Glide::at(position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_state_holds_one_value_of_the_handlers_type() {
        #[derive(Debug, Default, PartialEq)]
        struct Counter(u32);
        let mut state = HandlerState::new(Counter(5));
        state.get::<Counter>().0 += 1;
        assert_eq!(state.get::<Counter>(), &Counter(6));
        let mut none = HandlerState::none();
        assert_eq!(none.get::<Counter>(), &Counter(0), "a missing state starts from its default");
        assert_eq!(state.get::<u8>(), &0, "a state of another type starts over");
        assert_eq!(format!("{:?}", HandlerState::none()), "HandlerState(none)");
    }

    #[test]
    fn a_sim_runs_the_ticks_its_handler_asks_for() {
        use plugboard_protocol::model::OutputType::Vibrate;

        use super::super::test_support::{ascii, features, Clockwork, Sim};
        use crate::hardware::Endpoint;

        let features = features(&[(Vibrate, 0, 10)]);
        let mut toy = Sim::new(Box::new(Clockwork), &features);
        assert_eq!(ascii(&toy.start()), ["start"]);
        assert_eq!(ascii(&toy.set(0, Vibrate, 3)), ["level 3"]);
        let ticks: Vec<(Duration, Vec<String>)> = toy.ticks(2).into_iter().map(|(at, w)| (at, ascii(&w))).collect();
        let ms = Duration::from_millis;
        assert_eq!(ticks, [(ms(100), vec!["tick 3".to_owned()]), (ms(200), vec!["tick 3".to_owned()])]);
        toy.wait(ms(50));
        assert_eq!(ascii(&toy.notify(Endpoint::Rx, b"hi")), ["heard hi"]);
        assert_eq!(toy.next_tick, Some(toy.now + ms(50)), "a notification leaves the tick as it was");
        assert_eq!(ascii(&toy.stop()), ["stop"]);
        assert_eq!(toy.next_tick, None);
        assert!(toy.tick().is_empty(), "no tick pending, none run");
        assert_eq!(ascii(&toy.stop()), ["stop"], "a stop with nothing running still reaches the handler");
    }

    fn glide(from: i32, to: i32, duration_ms: u32) -> Vec<i32> {
        let mut glide = Glide::at(from);
        glide.toward(to, duration_ms);
        let mut positions = Vec::new();
        while glide.moving() {
            positions.push(glide.step());
        }
        positions
    }

    #[test]
    fn glides_in_the_reference_engines_steps() {
        assert_eq!(glide(0, 600, 1000), (1..=10).map(|k| k * 60).collect::<Vec<_>>());
        assert_eq!(glide(600, 0, 300), [400, 200, 0]);
        assert_eq!(glide(0, 10, 300), [3, 6, 9, 10], "rounded toward zero, the last step stops at the goal");
        assert_eq!(glide(0, 2, 1000), [1, 2], "at least one per step");
        assert_eq!(glide(50, 40, 0), [40], "no duration: one step");
        assert_eq!(glide(7, 7, 500), Vec::<i32>::new());
        let mut halted = Glide::at(0);
        halted.toward(100, 1000);
        halted.step();
        halted.halt();
        assert!(!halted.moving());
        assert_eq!(halted.step(), 10, "stays where it was halted");
        halted.jump(90);
        assert_eq!((halted.position, halted.moving()), (90, false));
    }
}
