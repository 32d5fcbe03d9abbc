//! A miniature device task for encoder tests: holds levels, tracks changes like the real
//! task (a value equal to the current one is not a change), numbers the writes as it does
//! (see "Rolling counters" in `protocols/mod.rs`), commits after each flush.

use plugboard_protocol::model::{Feature, Output, OutputType, Range};

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
    /// The number of the next write.
    pub next_frame: FrameNumber,
}

impl Sim {
    pub fn new(handler: Box<dyn DeviceHandler>, features: &[Feature]) -> Sim {
        Sim { handler, levels: OutputLevel::for_features(features), next_frame: FrameNumber::FIRST }
    }

    /// Applies several (feature, type, value) commands in one flush.
    pub fn flush(&mut self, commands: &[(u32, OutputType, i32)]) -> Vec<Write> {
        self.flush_with_duration(&commands.iter().map(|&(f, k, v)| (f, k, v, None)).collect::<Vec<_>>())
    }

    pub fn flush_with_duration(&mut self, commands: &[(u32, OutputType, i32, Option<u32>)]) -> Vec<Write> {
        let mut changed = ChangeSet::NONE;
        for &(feature_index, kind, value, duration_ms) in commands {
            let i = find_level(&self.levels, feature_index, kind).expect("no such output");
            if self.levels[i].value != value || self.levels[i].duration_ms != duration_ms {
                self.levels[i].value = value;
                self.levels[i].duration_ms = duration_ms;
                changed.insert(i);
            }
        }
        self.commit(changed)
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
        self.commit(changed)
    }

    /// Encodes the whole current state (keepalive seed).
    pub fn all(&mut self) -> Vec<Write> {
        self.commit(ChangeSet::ALL)
    }

    fn commit(&mut self, changed: ChangeSet) -> Vec<Write> {
        let writes = self.handler.encode_numbered(&self.levels, changed, self.next_frame);
        self.next_frame = self.next_frame.plus(writes.len());
        for i in changed.iter(self.levels.len()) {
            self.levels[i].commit();
        }
        writes
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
