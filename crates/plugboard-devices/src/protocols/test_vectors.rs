//! Byte-exact test vectors for every registered protocol, and the test that no protocol goes
//! without them.
//!
//! Each family file ends with a `#[cfg(test)] pub(crate) mod vectors` holding
//! `pub(crate) static VECTORS: &[Vector]`. A [`Vector`] names a protocol and a model of the
//! built-in device database; [`every_vector_gives_the_expected_writes`] connects a fake device
//! of that model through the protocol's real `initialize` (the features come from the
//! database, as in the connect pipeline), runs the steps through the handler's `encode` the way
//! the device task does, and compares every write byte for byte. [`every_protocol_is_covered`]
//! then demands, for every registered protocol, that:
//!
//! * it is in `device-config/plugboard-devices.json`;
//! * every output type its models and defaults have is *driven* by some vector: a
//!   [`Step::Set`] or [`Step::Move`] that sets outputs of that type only, at least one to a
//!   non-zero value, and expects at least one write; or an [`Step::Ignored`] step that states
//!   why the protocol accepts outputs of that type without driving them;
//! * every output type of it appears in a *stop vector*: a [`Step::Stop`] taken while every
//!   output of the model is non-zero (positions included: the stop must leave them alone).
//!
//! And for every vector, whatever it covers: a stop while an output that stops at zero is
//! running must write something (spray excepted: a stop must not fire it), and an ignored
//! output must indeed write nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use plugboard_protocol::model::OutputType;

pub(crate) use super::single_packet::{tx, tx_with_response, write_to, FixedWrite};
use super::test_support::Sim;
use super::{all, by_name, find_level, Advertisement, Protocol};
use crate::config::Database;
use crate::hardware::{Endpoint, Write};
use crate::testing::FakeHardware;

pub(crate) use Step::*;

/// A sequence of commands to one connected model and the exact writes each gives.
#[derive(Clone, Copy)]
pub struct Vector {
    protocol: &'static dyn Protocol,
    model: Option<&'static str>,
    endpoints: Option<&'static [Endpoint]>,
    device: Option<fn(&FakeHardware)>,
    manufacturer_data: &'static [(u16, &'static [u8])],
    steps: &'static [Step],
}

impl Vector {
    /// `steps` run on a device of `protocol` that identified as `model` (`None`: a device the
    /// protocol's defaults describe). The fake device has every endpoint the protocol's
    /// database entry names, is named `model` (or has no name) and answers nothing.
    pub const fn new(protocol: &'static dyn Protocol, model: Option<&'static str>, steps: &'static [Step]) -> Vector {
        Vector { protocol, model, endpoints: None, device: None, manufacturer_data: &[], steps }
    }

    /// The device has only these endpoints (for protocols that choose their packets by the
    /// endpoints a device has).
    pub const fn endpoints(self, endpoints: &'static [Endpoint]) -> Vector {
        Vector { endpoints: Some(endpoints), ..self }
    }

    /// The fake device answers as `device` scripts it before `initialize` runs (reads, replies
    /// to writes, notifications on subscribe): for protocols that talk to the device at
    /// connect.
    pub const fn answering(self, device: fn(&FakeHardware)) -> Vector {
        Vector { device: Some(device), ..self }
    }

    /// The device advertised this manufacturer data, (company id, bytes), which reaches the
    /// protocol through [`Protocol::initialize_advertised`] (its name is the model's).
    pub const fn advertising(self, manufacturer_data: &'static [(u16, &'static [u8])]) -> Vector {
        Vector { manufacturer_data, ..self }
    }
}

/// One step of a [`Vector`]: what the device task asks for, and the writes it must give.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Sets outputs, `(feature index, output type, value)`, in one flush.
    Set(&'static [(u32, OutputType, i32)], &'static [FixedWrite]),
    /// Moves position-with-duration outputs, `(feature index, position, duration ms)`, in one
    /// flush.
    Move(&'static [(u32, i32, u32)], &'static [FixedWrite]),
    /// The device task's stop: every output that stops at zero goes to 0 in one flush.
    Stop(&'static [FixedWrite]),
    /// Outputs the protocol accepts but does not drive: setting them writes nothing. The text
    /// says why (and belongs in the protocol's module docs too).
    #[allow(dead_code, reason = "no protocol accepts an output it does not drive right now")]
    Ignored(&'static [(u32, OutputType, i32)], &'static str),
}

/// What the vectors of one protocol show.
#[derive(Debug, Default)]
struct Coverage {
    /// Output types set to a non-zero value with writes expected (or declared ignored).
    driven: BTreeSet<&'static str>,
    /// Output types present in a stop vector.
    stopped: BTreeSet<&'static str>,
    /// Stop vectors (a protocol with no outputs at all shows with one that a stop writes
    /// nothing).
    stop_vectors: usize,
}

fn type_name(kind: OutputType) -> &'static str {
    kind.v4_name()
}

/// The endpoints of a protocol's database entry (`tx` and `rx` if it names none: serial).
fn database_endpoints(database: &Database, protocol: &str) -> Vec<Endpoint> {
    let mut endpoints: Vec<Endpoint> = database
        .protocol(protocol)
        .into_iter()
        .flat_map(|def| def.endpoints.values().flat_map(|map| map.keys()))
        .filter_map(|name| name.parse().ok())
        .collect();
    endpoints.sort();
    endpoints.dedup();
    if endpoints.is_empty() {
        endpoints = vec![Endpoint::Tx, Endpoint::Rx];
    }
    endpoints
}

fn expected_writes(expected: &[FixedWrite]) -> Vec<Write> {
    expected.iter().map(FixedWrite::write).collect()
}

/// Runs one vector; what it covers, or what went wrong.
async fn run(vector: &Vector, database: &Database) -> Result<Coverage, String> {
    let protocol = vector.protocol;
    if !by_name(protocol.name()).is_some_and(|registered| std::ptr::addr_eq(registered, protocol)) {
        return Err("the protocol is not registered (a line in `families!` in protocols/mod.rs)".into());
    }
    let source = protocol.definition_protocol(vector.model);
    let definition = database
        .definition(source, vector.model)
        .filter(|definition| definition.identifier.as_deref() == vector.model)
        .ok_or_else(|| match vector.model {
            Some(model) => format!("no model {model:?} under {source:?} in the built-in database"),
            None => format!("{source:?} is not in the built-in database"),
        })?;
    let endpoints = vector.endpoints.map_or_else(|| database_endpoints(database, protocol.name()), <[_]>::to_vec);
    let hw = FakeHardware::with_endpoints(vector.model.unwrap_or(""), "vector", &endpoints);
    if let Some(device) = vector.device {
        device(&hw);
    }
    let advertisement = Advertisement {
        name: vector.model.unwrap_or_default().to_owned(),
        manufacturer_data: vector.manufacturer_data.iter().map(|&(company, data)| (company, data.to_vec())).collect(),
    };
    let initialize = protocol.initialize_advertised(&hw, &advertisement, vector.model, &definition.features);
    let handler = tokio::time::timeout(Duration::from_secs(600), initialize)
        .await
        .map_err(|_| "initialize never finished".to_string())?
        .map_err(|error| format!("initialize failed: {error}"))?;

    let mut coverage = Coverage::default();
    let mut toy = Sim::new(handler, &definition.features);
    if vector.steps.is_empty() {
        return Err("no steps".into());
    }
    for (n, step) in vector.steps.iter().enumerate() {
        let at = |problem: String| format!("step {}: {problem}", n + 1);
        let outputs: Vec<(u32, OutputType, i32)> = match *step {
            Set(commands, _) | Ignored(commands, _) => commands.to_vec(),
            Move(moves, _) => moves
                .iter()
                .map(|&(index, position, _)| (index, OutputType::HwPositionWithDuration, position))
                .collect(),
            Stop(_) => Vec::new(),
        };
        if let Some(&(index, kind, _)) =
            outputs.iter().find(|&&(index, kind, _)| find_level(&toy.levels, index, kind).is_none())
        {
            return Err(at(format!("the model has no {kind:?} output on feature {index}")));
        }
        let (writes, expected) = match *step {
            Set(commands, expected) => (toy.flush(commands), expected),
            Move(moves, expected) => {
                let moves: Vec<_> = moves
                    .iter()
                    .map(|&(index, position, ms)| (index, OutputType::HwPositionWithDuration, position, Some(ms)))
                    .collect();
                (toy.flush_with_duration(&moves), expected)
            }
            Ignored(_, why) if why.trim().is_empty() => return Err(at("an ignored output needs its reason".into())),
            Ignored(commands, _) => (toy.flush(commands), &[][..]),
            Stop(expected) => {
                let all_running = toy.levels.iter().all(|level| level.value != 0);
                let must_write = toy
                    .levels
                    .iter()
                    .any(|level| level.kind.stops_at_zero() && level.kind != OutputType::Spray && level.value != 0);
                if must_write && expected.is_empty() {
                    return Err(at("a stop with outputs running must write something".into()));
                }
                if all_running {
                    coverage.stopped.extend(toy.levels.iter().map(|level| type_name(level.kind)));
                    coverage.stop_vectors += 1;
                }
                (toy.stop(), expected)
            }
        };
        let expected = expected_writes(expected);
        if writes != expected {
            return Err(at(format!("wrote\n      {writes:02x?}\n    expected\n      {expected:02x?}")));
        }
        // A step shows how a type is driven only if it sets nothing but outputs of that type,
        // so that no other output's packet can stand in for a missing one.
        let types: BTreeSet<&'static str> = outputs.iter().map(|output| type_name(output.1)).collect();
        let sets_something = outputs.iter().any(|output| output.2 != 0);
        if types.len() == 1 && sets_something && (matches!(step, Ignored(..)) || !writes.is_empty()) {
            coverage.driven.extend(types);
        }
    }
    Ok(coverage)
}

/// Every vector of every family file, with where it is.
fn vectors() -> impl Iterator<Item = (String, &'static Vector)> {
    super::FAMILY_VECTORS.iter().flat_map(|family| {
        family.iter().enumerate().map(|(n, vector)| {
            let model = vector.model.map_or("defaults".to_string(), |model| format!("model {model:?}"));
            (format!("{} {model} (vector {} of its file)", vector.protocol.name(), n + 1), vector)
        })
    })
}

/// The output types of a protocol's models and defaults in the built-in database.
fn database_output_types(database: &Database, protocol: &str) -> Option<BTreeSet<&'static str>> {
    let def = database.protocol(protocol)?;
    let feature_lists = std::iter::once(&def.defaults).chain(&def.models).filter_map(|model| model.features.as_ref());
    Some(feature_lists.flatten().flat_map(|feature| &feature.outputs).map(|output| type_name(output.kind)).collect())
}

async fn coverage_and_problems() -> (BTreeMap<&'static str, Coverage>, Vec<String>) {
    let database = Database::builtin().expect("the built-in database loads");
    let mut coverage: BTreeMap<&'static str, Coverage> = BTreeMap::new();
    let mut problems = Vec::new();
    for (place, vector) in vectors() {
        match run(vector, &database).await {
            Ok(covered) => {
                let entry = coverage.entry(vector.protocol.name()).or_default();
                entry.driven.extend(covered.driven);
                entry.stopped.extend(covered.stopped);
                entry.stop_vectors += covered.stop_vectors;
            }
            Err(problem) => problems.push(format!("{place}: {problem}")),
        }
    }
    (coverage, problems)
}

#[tokio::test(start_paused = true)]
async fn every_vector_gives_the_expected_writes() {
    let (_, problems) = coverage_and_problems().await;
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn every_protocol_is_covered() {
    let database = Database::builtin().expect("the built-in database loads");
    let (coverage, _) = coverage_and_problems().await;
    let nothing = Coverage::default();
    let mut problems = Vec::new();
    for protocol in all() {
        let name = protocol.name();
        let Some(types) = database_output_types(&database, name) else {
            problems.push(format!(
                "{name}: not in device-config/plugboard-devices.json; regenerate it with \
                 scripts/import-reference-device-config.sh"
            ));
            continue;
        };
        let covered = coverage.get(name).unwrap_or(&nothing);
        for kind in &types {
            if !covered.driven.contains(kind) {
                problems.push(format!(
                    "{name}: no vector drives its {kind} outputs (a Set or Move of {kind} outputs only, at least \
                     one to a non-zero value, with the writes it gives)"
                ));
            }
            if !covered.stopped.contains(kind) {
                problems.push(format!("{name}: no stop vector has {kind} outputs running"));
            }
        }
        if covered.stop_vectors == 0 && types.is_empty() {
            problems.push(format!("{name}: no stop vector"));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}
