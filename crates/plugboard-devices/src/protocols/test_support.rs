//! A miniature device task for encoder tests: holds levels, tracks changes like the real
//! task (a value equal to the current one is not a change), numbers the writes as it does
//! (see "Rolling counters" in `protocols/mod.rs`), commits after each flush, keeps the
//! handler's state and runs the ticks it asks for on a clock of its own.

use std::time::Duration;

use plugboard_protocol::model::{Feature, Output, OutputType, Range};
use tokio::time::Instant;

use super::*;

pub fn feature(index: u32, outputs: &[(OutputType, i32, i32)]) -> Feature {
    Feature {
        index,
        description: String::new(),
        outputs: outputs.iter().map(|&(kind, min, max)| Output::new(kind, Range::new(min, max))).collect(),
        inputs: Vec::new(),
    }
}

/// Features with one output each, indexed 0, 1, ...
pub fn features(outputs: &[(OutputType, i32, i32)]) -> Vec<Feature> {
    outputs.iter().enumerate().map(|(i, &output)| feature(i as u32, &[output])).collect()
}

pub struct Sim {
    pub handler: Box<dyn DeviceHandler>,
    pub levels: Vec<OutputLevel>,
    /// The handler's state, kept between calls as the device task keeps it.
    pub state: HandlerState,
    /// The time flushes and ticks are made at: the time of the last call (or of `new`), moved
    /// on by [`Sim::tick`] and [`Sim::wait`].
    pub now: Instant,
    /// The tick the handler asked for last.
    pub next_tick: Option<Instant>,
    /// The number of the next write.
    pub next_frame: FrameNumber,
}

impl Sim {
    pub fn new(handler: Box<dyn DeviceHandler>, features: &[Feature]) -> Sim {
        let state = handler.initial_state();
        Sim {
            handler,
            levels: OutputLevel::for_features(features),
            state,
            now: Instant::now(),
            next_tick: None,
            next_frame: FrameNumber::FIRST,
        }
    }

    /// The task's first tick, when it starts (before any flush).
    pub fn start(&mut self) -> Vec<Write> {
        let answer = self.handler.tick(&self.levels, &mut self.state, self.now);
        self.answered(answer)
    }

    /// Moves the clock to the pending tick and runs it; no writes when none is pending.
    pub fn tick(&mut self) -> Vec<Write> {
        let Some(at) = self.next_tick else { return Vec::new() };
        self.now = self.now.max(at);
        let answer = self.handler.tick(&self.levels, &mut self.state, self.now);
        self.answered(answer)
    }

    /// Every tick until none is pending, or until `limit` ticks ran: each tick's time (from the
    /// first call) and writes.
    pub fn ticks(&mut self, limit: usize) -> Vec<(Duration, Vec<Write>)> {
        let start = self.now;
        let mut ticks = Vec::new();
        while self.next_tick.is_some() && ticks.len() < limit {
            let writes = self.tick();
            ticks.push((self.now - start, writes));
        }
        ticks
    }

    /// Moves the clock on by `period`, running no tick.
    pub fn wait(&mut self, period: Duration) {
        self.now += period;
    }

    /// The device notifies `bytes` on `endpoint`.
    pub fn notify(&mut self, endpoint: Endpoint, bytes: &[u8]) -> Vec<Write> {
        self.handler.notified(endpoint, bytes, &self.levels, &mut self.state, self.now)
    }

    fn answered(&mut self, answer: Timed) -> Vec<Write> {
        self.next_tick = answer.next_tick;
        answer.writes
    }

    /// Applies several (feature, type, value) commands in one flush.
    pub fn flush(&mut self, commands: &[(u32, OutputType, i32)]) -> Vec<Write> {
        self.flush_with_duration(&commands.iter().map(|&(f, k, v)| (f, k, v, None)).collect::<Vec<_>>())
    }

    pub fn flush_with_duration(&mut self, commands: &[(u32, OutputType, i32, Option<u32>)]) -> Vec<Write> {
        let mut changed = ChangeSet::NONE;
        for &(feature_index, kind, value, duration_ms) in commands {
            let i = find_level(&self.levels, feature_index, kind).expect("no such output");
            // As in the task, a spray above 0 is a trigger: written even when it repeats.
            let trigger = kind == OutputType::Spray && value != 0;
            if trigger || self.levels[i].value != value || self.levels[i].duration_ms != duration_ms {
                self.levels[i].value = value;
                self.levels[i].duration_ms = duration_ms;
                changed.insert(i);
            }
        }
        self.commit(changed, false)
    }

    pub fn set(&mut self, feature_index: u32, kind: OutputType, value: i32) -> Vec<Write> {
        self.flush(&[(feature_index, kind, value)])
    }

    /// Sets every stoppable output to 0 (changed only where it was not 0).
    pub fn stop(&mut self) -> Vec<Write> {
        let mut changed = ChangeSet::NONE;
        for (i, level) in self.levels.iter_mut().enumerate() {
            if level.kind.stops_at_zero() && level.value != 0 {
                level.value = 0;
                changed.insert(i);
            }
        }
        self.commit(changed, true)
    }

    /// Encodes the whole current state (keepalive seed).
    pub fn all(&mut self) -> Vec<Write> {
        self.commit(ChangeSet::ALL, false)
    }

    /// A flush the way the device task makes it: through [`DeviceHandler::flush`] with the
    /// handler's state and the number of its first write; a flush with nothing changed that
    /// is no stop is not made.
    fn commit(&mut self, changed: ChangeSet, stop: bool) -> Vec<Write> {
        if changed.is_empty() && !stop {
            return Vec::new();
        }
        let flush = Flush { levels: &self.levels, changed, stop, now: self.now, frame: self.next_frame };
        let answer = self.handler.flush(&flush, &mut self.state);
        self.next_frame = self.next_frame.plus(answer.writes.len());
        for i in changed.iter(self.levels.len()) {
            self.levels[i].commit();
        }
        self.answered(answer)
    }
}

/// The writes' data, asserting they all go to `tx`, with or without response as given.
pub fn tx_data(writes: &[Write], with_response: bool) -> Vec<Vec<u8>> {
    writes
        .iter()
        .map(|write| {
            assert_eq!(write.endpoint, Endpoint::Tx, "{write:?}");
            assert_eq!(write.with_response, with_response, "{write:?}");
            write.data.clone()
        })
        .collect()
}

/// The writes' data as text (for ASCII protocols), asserting they all go to `tx` w/o.
pub fn ascii(writes: &[Write]) -> Vec<String> {
    writes
        .iter()
        .map(|write| {
            assert_eq!(write.endpoint, Endpoint::Tx, "{write:?}");
            assert!(!write.with_response, "{write:?}");
            String::from_utf8(write.data.clone()).expect("ascii")
        })
        .collect()
}

/// The writes' data, asserting they all go to `tx` without response (most protocols' writes).
pub fn bytes(writes: &[Write]) -> Vec<Vec<u8>> {
    tx_data(writes, false)
}

/// The writes' data, asserting they all go to `tx` with response.
pub fn bytes_with_response(writes: &[Write]) -> Vec<Vec<u8>> {
    tx_data(writes, true)
}

/// The bytes written as hex pairs separated by white space: `hex("02 a5 5a")`.
pub fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace().map(|byte| u8::from_str_radix(byte, 16).expect("hex byte")).collect()
}

/// A time-driven handler for tests of the mechanism itself (`timed`, the device task): it
/// writes `start` on its first tick, `level v` on a flush, `tick v` every 100 ms while its
/// first output runs, `stop` on a stop (and no tick after it), `heard <bytes>` on a
/// notification. Every write goes to `tx` without response.
pub struct Clockwork;

/// [`Clockwork`]'s state: whether it has started.
#[derive(Debug, Default)]
pub struct ClockworkState {
    pub started: bool,
}

impl Clockwork {
    pub const PERIOD: Duration = Duration::from_millis(100);

    fn text(text: String) -> Write {
        Write::without_response(Endpoint::Tx, text.into_bytes())
    }

    fn next(levels: &[OutputLevel], now: Instant) -> Option<Instant> {
        (levels.first().is_some_and(|level| level.value != 0)).then(|| now + Clockwork::PERIOD)
    }
}

impl DeviceHandler for Clockwork {
    fn initial_state(&self) -> HandlerState {
        HandlerState::new(ClockworkState::default())
    }

    fn flush(&self, flush: &Flush<'_>, _state: &mut HandlerState) -> Timed {
        if flush.stop {
            return Timed::writes(vec![Clockwork::text("stop".into())]);
        }
        let value = flush.levels.first().map_or(0, |level| level.value);
        Timed::writes(vec![Clockwork::text(format!("level {value}"))]).tick_at(Clockwork::next(flush.levels, flush.now))
    }

    fn tick(&self, levels: &[OutputLevel], state: &mut HandlerState, now: Instant) -> Timed {
        let state = state.get::<ClockworkState>();
        if !state.started {
            state.started = true;
            return Timed::writes(vec![Clockwork::text("start".into())]);
        }
        let value = levels.first().map_or(0, |level| level.value);
        Timed::writes(vec![Clockwork::text(format!("tick {value}"))]).tick_at(Clockwork::next(levels, now))
    }

    fn notified(
        &self,
        _endpoint: Endpoint,
        bytes: &[u8],
        _levels: &[OutputLevel],
        _state: &mut HandlerState,
        _now: Instant,
    ) -> Vec<Write> {
        vec![Clockwork::text(format!("heard {}", String::from_utf8_lossy(bytes)))]
    }
}
