//! The OSSM, the open-source stroking machine (`ossm`, name `OSSM`): one feature that either
//! strokes at a speed (oscillate 0..=100, the machine's stroke engine) or follows streamed
//! positions (position with duration 0..=100 in up to 100 s). ASCII commands to `tx`
//! (`522b443a-…-1000-…`) with response; the machine switches between the two through its menu.
//!
//! | command | bytes (ASCII) |
//! |---|---|
//! | to the stroke engine | `go:menu`, then `go:strokeEngine` |
//! | speed v | `set:speed:<v>` |
//! | to streaming | `go:menu`, then `go:streaming` |
//! | position p in d ms | `stream:<p>:<d>` |
//!
//! * Init: subscribe to `rx` (`…-2000-…`), where the machine reports its state as JSON, e.g.
//!   `{"state":"strokeEngine.idle"}`. Nothing is written.
//! * Oscillate v: from another mode, v = 0 writes nothing and v > 0 switches to the stroke
//!   engine first; then `set:speed:<v>`.
//! * Position p in d ms: from another mode, switches to streaming first; then `stream:<p>:<d>`.
//! * State reports: each time the part of `state` before the first `.` changes, and it is
//!   `streaming` or `strokeEngine`, the machine is set to host control: `false` to `txmode`
//!   (`…-1010-…`), `set:depth:100` and `set:stroke:100` to `tx`, and for `streaming`
//!   `set:speed:100` too (all with response).
//! * A stop: `set:speed:0` in the stroke engine; `go:menu` while streaming. Before the host
//!   chose a mode, the mode the machine last reported decides (it may run from its remote).
//!
//! Deliberately unlike the reference engine, whose stop writes nothing while the machine
//! streams positions (it never stops positions): Plugboard leaves streaming for the menu, which
//! halts the machine where it is; the next position switches back to streaming. A stop in the
//! stroke engine is the reference's `set:speed:0`.

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{find_level, DeviceHandler, Flush, HandlerState, OutputLevel, Protocol, ProtocolError, Timed};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&OSSM];

/// The `ossm` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ossm;

pub static OSSM: Ossm = Ossm;

impl Protocol for Ossm {
    fn name(&self) -> &'static str {
        "ossm"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = OssmHandler::new(features)?;
            hw.subscribe(Endpoint::Rx).await?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// A command to `tx`, with response.
pub fn command(text: &str) -> Write {
    Write::with_response(Endpoint::Tx, text.as_bytes().to_vec())
}

/// What the host last put the machine into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Nothing yet, or the menu after a stop.
    #[default]
    Menu,
    StrokeEngine,
    Streaming,
}

/// The mode, and the machine's state as it last reported it (the part before the first `.`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OssmState {
    pub mode: Mode,
    pub reported: Option<String>,
}

/// Where the two outputs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OssmHandler {
    speed: Option<u32>,
    stream: Option<u32>,
}

impl OssmHandler {
    /// Oscillate and position-with-duration outputs (at most one of each).
    pub fn new(features: &[Feature]) -> Result<OssmHandler, ProtocolError> {
        let mut handler = OssmHandler { speed: None, stream: None };
        for feature in features {
            for output in &feature.outputs {
                let slot = match output.kind {
                    OutputType::Oscillate => &mut handler.speed,
                    OutputType::HwPositionWithDuration => &mut handler.stream,
                    other => return Err(ProtocolError::Definition(format!("ossm has no {other:?} output"))),
                };
                if slot.replace(feature.index).is_some() {
                    return Err(ProtocolError::Definition(format!("ossm drives one {:?} output", output.kind)));
                }
            }
        }
        Ok(handler)
    }

    /// The output's level if it changed in this flush.
    fn changed<'a>(flush: &Flush<'a>, index: Option<u32>, kind: OutputType) -> Option<&'a OutputLevel> {
        let i = find_level(flush.levels, index?, kind)?;
        flush.changed.contains(i).then(|| &flush.levels[i])
    }

    fn switch(state: &mut OssmState, mode: Mode, writes: &mut Vec<Write>) {
        if state.mode != mode {
            writes.push(command("go:menu"));
            writes.push(command(match mode {
                Mode::StrokeEngine => "go:strokeEngine",
                Mode::Streaming => "go:streaming",
                Mode::Menu => return,
            }));
            state.mode = mode;
        }
    }
}

/// The `state` of a report, up to its first `.`.
fn reported_state(bytes: &[u8]) -> Option<String> {
    let report: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let state = report.get("state")?.as_str()?;
    Some(state.split('.').next().unwrap_or(state).to_owned())
}

impl DeviceHandler for OssmHandler {
    fn initial_state(&self) -> HandlerState {
        HandlerState::new(OssmState::default())
    }

    fn flush(&self, flush: &Flush<'_>, state: &mut HandlerState) -> Timed {
        let ossm = state.get::<OssmState>();
        let mut writes = Vec::new();
        if flush.stop {
            // A machine the host never drove may still run from its own remote: its report
            // tells which stop it needs.
            let mode = match (ossm.mode, ossm.reported.as_deref()) {
                (Mode::Menu, Some("strokeEngine")) => Mode::StrokeEngine,
                (Mode::Menu, Some("streaming")) => Mode::Streaming,
                (mode, _) => mode,
            };
            match mode {
                Mode::StrokeEngine => writes.push(command("set:speed:0")),
                Mode::Streaming => {
                    writes.push(command("go:menu"));
                    ossm.mode = Mode::Menu;
                }
                Mode::Menu => {}
            }
            return Timed::writes(writes);
        }
        if let Some(level) = Self::changed(flush, self.speed, OutputType::Oscillate) {
            let speed = level.value.max(0);
            if ossm.mode == Mode::StrokeEngine || speed > 0 {
                Self::switch(ossm, Mode::StrokeEngine, &mut writes);
                writes.push(command(&format!("set:speed:{speed}")));
            }
        }
        if let Some(level) = Self::changed(flush, self.stream, OutputType::HwPositionWithDuration) {
            Self::switch(ossm, Mode::Streaming, &mut writes);
            let duration = level.duration_ms.unwrap_or(0);
            writes.push(command(&format!("stream:{}:{duration}", level.value.max(0))));
        }
        Timed::writes(writes)
    }

    fn notified(
        &self,
        _endpoint: Endpoint,
        bytes: &[u8],
        _levels: &[OutputLevel],
        state: &mut HandlerState,
        _now: Instant,
    ) -> Vec<Write> {
        let ossm = state.get::<OssmState>();
        let Some(reported) = reported_state(bytes) else { return Vec::new() };
        if ossm.reported.as_deref() == Some(reported.as_str()) {
            return Vec::new();
        }
        tracing::debug!(state = reported, "OSSM state");
        let mut writes = Vec::new();
        if reported == "streaming" || reported == "strokeEngine" {
            writes.push(Write::with_response(Endpoint::TxMode, b"false".to_vec()));
            writes.push(command("set:depth:100"));
            writes.push(command("set:stroke:100"));
            if reported == "streaming" {
                writes.push(command("set:speed:100"));
            }
        }
        ossm.reported = Some(reported);
        writes
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn machine() -> Sim {
        let features = vec![feature(0, &[(HwPositionWithDuration, 0, 100), (Oscillate, 0, 100)])];
        Sim::new(Box::new(OssmHandler::new(&features).unwrap()), &features)
    }

    /// Each write as (endpoint, text), all with response.
    fn texts(writes: &[Write]) -> Vec<(Endpoint, String)> {
        assert!(writes.iter().all(|write| write.with_response), "{writes:?}");
        writes.iter().map(|write| (write.endpoint, String::from_utf8(write.data.clone()).unwrap())).collect()
    }

    fn tx(texts: &[&str]) -> Vec<(Endpoint, String)> {
        texts.iter().map(|text| (Endpoint::Tx, (*text).to_owned())).collect()
    }

    fn stream(machine: &mut Sim, position: i32, ms: u32) -> Vec<Write> {
        machine.flush_with_duration(&[(0, HwPositionWithDuration, position, Some(ms))])
    }

    #[test]
    fn switches_modes_through_the_menu() {
        let mut ossm = machine();
        assert_eq!(texts(&ossm.set(0, Oscillate, 50)), tx(&["go:menu", "go:strokeEngine", "set:speed:50"]));
        assert_eq!(texts(&ossm.set(0, Oscillate, 0)), tx(&["set:speed:0"]));
        assert_eq!(texts(&stream(&mut ossm, 30, 500)), tx(&["go:menu", "go:streaming", "stream:30:500"]));
        assert_eq!(texts(&stream(&mut ossm, 80, 250)), tx(&["stream:80:250"]));
        assert!(ossm.set(0, Oscillate, 5).len() == 3, "back to the stroke engine");
        assert!(ossm.set(0, Oscillate, 0).len() == 1);
        stream(&mut ossm, 10, 100);
        assert!(ossm.set(0, Oscillate, 0).is_empty(), "speed 0 while streaming changes nothing");
    }

    #[test]
    fn a_stop_ends_the_speed_or_the_streaming() {
        let mut ossm = machine();
        assert!(ossm.stop().is_empty(), "nothing started");
        ossm.set(0, Oscillate, 70);
        assert_eq!(texts(&ossm.stop()), tx(&["set:speed:0"]));
        stream(&mut ossm, 40, 1000);
        assert_eq!(texts(&ossm.stop()), tx(&["go:menu"]), "the menu halts the stream");
        assert!(ossm.stop().is_empty(), "in the menu already");
        assert_eq!(texts(&stream(&mut ossm, 41, 1000)), tx(&["go:menu", "go:streaming", "stream:41:1000"]));
    }

    #[test]
    fn state_reports_put_the_machine_under_host_control_once_per_state() {
        let mut ossm = machine();
        let host_control = |extra: &[&str]| {
            let mut expected = vec![(Endpoint::TxMode, "false".to_owned())];
            expected.extend(tx(&["set:depth:100", "set:stroke:100"]));
            expected.extend(tx(extra));
            expected
        };
        assert_eq!(texts(&ossm.notify(Endpoint::Rx, br#"{"state":"strokeEngine.idle"}"#)), host_control(&[]));
        assert!(ossm.notify(Endpoint::Rx, br#"{"state":"strokeEngine.running"}"#).is_empty(), "same state");
        assert_eq!(texts(&ossm.notify(Endpoint::Rx, br#"{"state":"streaming"}"#)), host_control(&["set:speed:100"]));
        assert!(ossm.notify(Endpoint::Rx, br#"{"state":"menu.idle"}"#).is_empty());
        assert!(ossm.stop().is_empty(), "in the menu");
        assert_eq!(texts(&ossm.notify(Endpoint::Rx, br#"{"state":"streaming.x"}"#)), host_control(&["set:speed:100"]));
        assert_eq!(texts(&ossm.stop()), tx(&["go:menu"]), "the host chose no mode: the report decides");
        ossm.notify(Endpoint::Rx, br#"{"state":"strokeEngine"}"#);
        assert_eq!(texts(&ossm.stop()), tx(&["set:speed:0"]));
        for noise in [&b"not json"[..], br#"{"state":3}"#, br#"{"other":"streaming"}"#, &[0xff, 0xfe]] {
            assert!(ossm.notify(Endpoint::Rx, noise).is_empty());
        }
    }

    #[tokio::test]
    async fn init_subscribes_to_the_reports_and_writes_nothing() {
        let hw = FakeHardware::with_endpoints("OSSM", "aa", &[Endpoint::Tx, Endpoint::Rx, Endpoint::TxMode]);
        let features = vec![feature(0, &[(HwPositionWithDuration, 0, 100), (Oscillate, 0, 100)])];
        OSSM.initialize(&hw, None, &features).await.unwrap();
        assert_eq!(hw.events(), [Event::Subscribe(Endpoint::Rx)]);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. The state reports are in the tests above.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&OSSM, None, &[
            Set(&[(0, Oscillate, 50)], &[
                tx_with_response(b"go:menu"),
                tx_with_response(b"go:strokeEngine"),
                tx_with_response(b"set:speed:50"),
            ]),
            Move(&[(0, 30, 500)], &[
                tx_with_response(b"go:menu"),
                tx_with_response(b"go:streaming"),
                tx_with_response(b"stream:30:500"),
            ]),
            Stop(&[tx_with_response(b"go:menu")]),
        ]),
        Vector::new(&OSSM, None, &[
            Move(&[(0, 100, 100000)], &[
                tx_with_response(b"go:menu"),
                tx_with_response(b"go:streaming"),
                tx_with_response(b"stream:100:100000"),
            ]),
            Set(&[(0, Oscillate, 100)], &[
                tx_with_response(b"go:menu"),
                tx_with_response(b"go:strokeEngine"),
                tx_with_response(b"set:speed:100"),
            ]),
            Stop(&[tx_with_response(b"set:speed:0")]),
        ]),
    ];
}
