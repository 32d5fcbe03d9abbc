//! Reading the reference engine's device database (the v4/v5 `buttplug-device-config` format
//! that Intiface ships), so a newer community database can be dropped in with
//! `--device-config-file`, and so `device-config/plugboard-devices.json` can be regenerated
//! from it (`scripts/import-reference-device-config.sh`).
//!
//! The two formats carry the same facts in different shapes:
//!
//! | reference (v4/v5) | Plugboard |
//! |---|---|
//! | `communication: [{"btle": {names, manufacturer_data, advertised_services, services}}]` | `identify.ble` + `endpoints` |
//! | `communication: [{"serial": {port, baud_rate, data_bits, stop_bits, parity}}]` | `identify.serial` (the port is bound in the user config) |
//! | `configurations: [{identifier: [..], name, features?, protocol_variant?}]` | `models: [{identifiers, name, features?, variant?}]` |
//! | feature `output: {"vibrate": {"value": [0, 20]}}` | feature `outputs: [{"type": "vibrate", "range": [0, 20]}]` |
//! | `hw_position_with_duration: {value, duration}` | `position_with_duration` with `range`, `duration` |
//! | feature `input: {"battery": {"value": [[0, 100]], "command": ["Read"]}}` | `inputs: [{type, ranges, commands}]` |
//!
//! Reading is lenient the way the reference is: only protocols Plugboard implements are kept
//! (a database entry without an encoder could not drive anything), and within those, a
//! transport, output or entry Plugboard cannot use is skipped with a warning naming its JSON
//! path. Only a file whose overall shape is wrong is an error.

use std::collections::{BTreeMap, BTreeSet};

use plugboard_protocol::model::{Feature, Input, InputCommand, Output, OutputType, Range};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::common::{
    input_type_from_name, is_endpoint_name, output_range_problem, output_type_from_name, valid_protocol_name,
    BleIdentify, ConfigFileError, ConfigWarning, Identify, ModelDef, Parity, ProtocolDef, SerialSettings,
};
use super::database_file::ManufacturerDataFile;
use super::json::{self, non_empty, normalize_uuid, pair, uuid_at, whole_in, Loc, Object, PResult, Pair};

/// The reference format majors this reader understands (same shape, snake_case).
pub const REFERENCE_MAJORS: [u32; 2] = [4, 5];

/// Whether a parsed device database is in the reference's format rather than Plugboard's:
/// its protocols are described by `communication` / `configurations`, or its major version is
/// one only the reference uses.
pub fn is_reference_format(value: &Value) -> bool {
    let major = value.get("version").and_then(|version| version.get("major")).and_then(Value::as_u64);
    if major.is_some_and(|major| REFERENCE_MAJORS.iter().any(|known| u64::from(*known) == major)) {
        return true;
    }
    value.get("protocols").and_then(Value::as_object).is_some_and(|protocols| {
        protocols
            .values()
            .any(|protocol| protocol.get("communication").is_some() || protocol.get("configurations").is_some())
    })
}

// The reference's file, as far as Plugboard reads it. Keys Plugboard has no use for (`id`,
// `base_id`, ...) are read past; entries it may have to skip (a protocol it does not
// implement, a transport, output or input it does not know) are kept as raw JSON and read
// only when they are used, so that one of them can never fail the file.

#[derive(Deserialize)]
struct ReferenceFile {
    version: Object<ReferenceVersion>,
    protocols: BTreeMap<String, Box<RawValue>>,
}

#[derive(Deserialize)]
struct ReferenceVersion {
    major: u32,
    minor: Option<u32>,
}

#[derive(Deserialize)]
struct ProtocolEntry {
    communication: Option<Vec<BTreeMap<String, Box<RawValue>>>>,
    defaults: Option<Object<ModelEntry>>,
    configurations: Option<Vec<Object<ModelEntry>>>,
}

#[derive(Deserialize)]
struct BtleEntry {
    names: Option<Vec<String>>,
    manufacturer_data: Option<Vec<Object<ManufacturerDataFile>>>,
    advertised_services: Option<Vec<String>>,
    services: Option<BTreeMap<String, BTreeMap<String, String>>>,
}

/// `port` is bound per user, in the user config.
#[derive(Deserialize)]
struct SerialEntry {
    baud_rate: Option<u32>,
    data_bits: Option<u8>,
    stop_bits: Option<u8>,
    parity: Option<String>,
}

#[derive(Deserialize)]
struct WebsocketEntry {
    name: String,
}

#[derive(Deserialize)]
struct ModelEntry {
    identifier: Option<Vec<String>>,
    name: Option<String>,
    protocol_variant: Option<String>,
    message_gap_ms: Option<u32>,
    features: Option<Vec<Object<FeatureEntry>>>,
}

#[derive(Deserialize)]
struct FeatureEntry {
    index: Option<u32>,
    description: Option<String>,
    output: Option<BTreeMap<String, Box<RawValue>>>,
    input: Option<BTreeMap<String, Box<RawValue>>>,
}

#[derive(Deserialize)]
struct OutputEntry {
    value: Pair,
    duration: Option<Pair>,
}

#[derive(Deserialize)]
struct InputEntry {
    value: Vec<Pair>,
    command: Vec<String>,
}

/// What reading a reference database gives.
pub(crate) struct ReferenceDatabase {
    pub major: u32,
    pub minor: u32,
    pub protocols: BTreeMap<String, ProtocolDef>,
    /// Protocols in the file that Plugboard does not implement, by name.
    pub skipped_protocols: Vec<String>,
    pub warnings: Vec<ConfigWarning>,
}

/// Reads a reference database, keeping the protocols for which `implemented` says yes.
pub(crate) fn read_reference(
    text: &str,
    file: &str,
    implemented: &dyn Fn(&str) -> bool,
) -> Result<ReferenceDatabase, ConfigFileError> {
    let reference: ReferenceFile = json::read(text).map_err(|error| ConfigFileError::from_read(file, error))?;
    read_protocols(reference, file, implemented).map_err(|error| ConfigFileError::invalid(file, error))
}

fn read_protocols(
    reference: ReferenceFile,
    file: &str,
    implemented: &dyn Fn(&str) -> bool,
) -> PResult<ReferenceDatabase> {
    let root = Loc::Root;
    let major = reference.version.major;
    if !REFERENCE_MAJORS.contains(&major) {
        return Err(root.key("version").key("major").err(format!(
            "the reference device config format version {major} is not supported (Plugboard reads versions 4 and 5, \
             and its own format)"
        )));
    }
    let minor = reference.version.minor.unwrap_or(0);
    let mut reader = Reader { file, warnings: Vec::new() };
    let mut protocols = BTreeMap::new();
    let mut skipped_protocols = Vec::new();
    let protocols_loc = root.key("protocols");
    for (name, raw) in reference.protocols {
        if !valid_protocol_name(&name) || !implemented(&name) {
            skipped_protocols.push(name);
            continue;
        }
        let loc = protocols_loc.key(&name);
        let entry: ProtocolEntry = json::read_object_at(raw.get(), &loc)?;
        if let Some(protocol) = reader.protocol(&name, &loc, entry)? {
            protocols.insert(name, protocol);
        }
    }
    if protocols.is_empty() {
        return Err(root.err("none of the protocols in this file is implemented by Plugboard"));
    }
    Ok(ReferenceDatabase { major, minor, protocols, skipped_protocols, warnings: reader.warnings })
}

struct Reader<'f> {
    file: &'f str,
    warnings: Vec<ConfigWarning>,
}

impl Reader<'_> {
    fn ignore(&mut self, loc: &Loc, message: impl Into<String>) {
        self.warnings.push(ConfigWarning::Ignored {
            file: self.file.to_string(),
            path: loc.path(),
            message: message.into(),
        });
    }

    /// One protocol; `None` (with a warning) when nothing usable is left of it.
    fn protocol(&mut self, name: &str, loc: &Loc, entry: ProtocolEntry) -> PResult<Option<ProtocolDef>> {
        let mut identify = Identify::default();
        let mut endpoints: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let communication_loc = loc.key("communication");
        for (position, transports) in entry.communication.unwrap_or_default().into_iter().enumerate() {
            let entry_loc = communication_loc.index(position);
            for (transport, raw) in transports {
                let spec_loc = entry_loc.key(&transport);
                match transport.as_str() {
                    "btle" => self.btle(
                        &spec_loc,
                        json::read_object_at(raw.get(), &spec_loc)?,
                        &mut identify,
                        &mut endpoints,
                    )?,
                    "serial" => identify.serial = Some(serial(&spec_loc, json::read_object_at(raw.get(), &spec_loc)?)?),
                    "websocket" => {
                        let spec: WebsocketEntry = json::read_object_at(raw.get(), &spec_loc)?;
                        non_empty(&spec_loc.key("name"), &spec.name)?;
                        identify.websocket_names.push(spec.name);
                    }
                    other => self.ignore(&spec_loc, format!("Plugboard has no {other:?} transport")),
                }
            }
        }
        if let Some(ble) = &identify.ble {
            let recognisable =
                !ble.names.is_empty() || !ble.manufacturer_data.is_empty() || !ble.advertised_services.is_empty();
            if !recognisable || endpoints.is_empty() {
                self.ignore(
                    loc,
                    format!("{name}: its Bluetooth LE entry has no names or no services Plugboard can use"),
                );
                identify.ble = None;
            }
        }
        let Some(defaults_entry) = entry.defaults else {
            self.ignore(loc, format!("{name} has no defaults; Plugboard needs them to describe its devices"));
            return Ok(None);
        };
        let Some(defaults) = self.model(&loc.key("defaults"), defaults_entry.0, true)? else {
            return Ok(None);
        };
        let configurations_loc = loc.key("configurations");
        let mut read = Vec::new();
        for (position, model_entry) in entry.configurations.unwrap_or_default().into_iter().enumerate() {
            if let Some(model) = self.model(&configurations_loc.index(position), model_entry.0, false)? {
                read.push((position, model));
            }
        }
        // An identifier listed twice belongs to its last configuration, as in the reference
        // (which fills a map in file order).
        let mut seen = BTreeSet::new();
        let mut models = Vec::with_capacity(read.len());
        for (position, mut model) in read.into_iter().rev() {
            model.identifiers.retain(|identifier| seen.insert(identifier.clone()));
            if model.identifiers.is_empty() {
                self.ignore(
                    &configurations_loc.index(position),
                    "its identifiers are all used by later configurations",
                );
            } else {
                models.push(model);
            }
        }
        models.reverse();
        models.shrink_to_fit();
        Ok(Some(ProtocolDef { name: name.to_string(), identify, endpoints, defaults, models }))
    }

    fn btle(
        &mut self,
        loc: &Loc,
        spec: BtleEntry,
        identify: &mut Identify,
        endpoints: &mut BTreeMap<String, BTreeMap<String, String>>,
    ) -> PResult<()> {
        let ble = identify.ble.get_or_insert_with(BleIdentify::default);
        let names_loc = loc.key("names");
        for (position, name) in spec.names.unwrap_or_default().into_iter().enumerate() {
            let wildcard_inside = name.trim_end_matches('*').contains('*');
            // Blank names too: Plugboard's format refuses them, the converted file must load.
            if name.trim().is_empty() || name == "*" || wildcard_inside {
                self.ignore(&names_loc.index(position), "not a usable name ('*' may only end a name)");
            } else if !ble.names.contains(&name) {
                ble.names.push(name);
            }
        }
        ble.manufacturer_data
            .extend(spec.manufacturer_data.unwrap_or_default().into_iter().map(|rule| rule.0.into_rule()));
        let services_loc = loc.key("advertised_services");
        for (position, uuid) in spec.advertised_services.unwrap_or_default().iter().enumerate() {
            ble.advertised_services.push(uuid_at(&services_loc.index(position), uuid)?);
        }
        let services_loc = loc.key("services");
        for (service, characteristics) in spec.services.unwrap_or_default() {
            let service_loc = services_loc.key(&service);
            let Some(service_uuid) = normalize_uuid(&service) else {
                self.ignore(&service_loc, format!("service {service:?} is not a UUID"));
                continue;
            };
            let by_endpoint = endpoints.entry(service_uuid).or_default();
            for (endpoint, characteristic) in characteristics {
                let characteristic_loc = service_loc.key(&endpoint);
                if is_endpoint_name(&endpoint) {
                    let uuid = uuid_at(&characteristic_loc, &characteristic)?;
                    by_endpoint.insert(endpoint, uuid);
                } else {
                    self.ignore(&characteristic_loc, format!("Plugboard has no endpoint named {endpoint:?}"));
                }
            }
        }
        endpoints.retain(|_, by_endpoint| !by_endpoint.is_empty());
        ble.names.shrink_to_fit();
        ble.manufacturer_data.shrink_to_fit();
        ble.advertised_services.shrink_to_fit();
        Ok(())
    }

    /// A configuration (or the defaults); `None` (with a warning) when nothing usable is left.
    fn model(&mut self, loc: &Loc, entry: ModelEntry, is_defaults: bool) -> PResult<Option<ModelDef>> {
        let identifiers = if is_defaults {
            Vec::new()
        } else {
            let Some(mut identifiers) = entry.identifier else {
                self.ignore(loc, "a configuration without an identifier matches nothing");
                return Ok(None);
            };
            let identifiers_loc = loc.key("identifier");
            for (position, identifier) in identifiers.iter().enumerate() {
                non_empty(&identifiers_loc.index(position), identifier)?;
            }
            if identifiers.is_empty() {
                self.ignore(&identifiers_loc, "a configuration without an identifier matches nothing");
                return Ok(None);
            }
            identifiers.shrink_to_fit();
            identifiers
        };
        let name = match entry.name {
            Some(name) => {
                non_empty(&loc.key("name"), &name)?;
                name
            }
            None if is_defaults => return Err(loc.key("name").err("missing (required)")),
            // A configuration without a name shows as its first identifier.
            None => identifiers[0].clone(),
        };
        if let Some(variant) = &entry.protocol_variant {
            non_empty(&loc.key("protocol_variant"), variant)?;
        }
        let message_gap_ms = entry
            .message_gap_ms
            .map(|gap| whole_in(&loc.key("message_gap_ms"), i64::from(gap), 0, 60_000).map(|gap| gap as u32))
            .transpose()?;
        let features = match entry.features {
            Some(list) => {
                let features_loc = loc.key("features");
                let mut features: Vec<Feature> = Vec::new();
                for (position, feature_entry) in list.into_iter().enumerate() {
                    if let Some(feature) =
                        self.feature(&features_loc.index(position), feature_entry.0, features.last())?
                    {
                        features.push(feature);
                    }
                }
                features.shrink_to_fit();
                if !features.is_empty() {
                    Some(features)
                } else if is_defaults {
                    // Defaults without features: a device that is none of the listed models
                    // connects with nothing to drive.
                    Some(Vec::new())
                } else {
                    // The reference treats an empty list like a missing one: the defaults apply.
                    None
                }
            }
            None if is_defaults => Some(Vec::new()),
            None => None,
        };
        Ok(Some(ModelDef { identifiers, name, variant: entry.protocol_variant, message_gap_ms, features }))
    }

    fn feature(&mut self, loc: &Loc, entry: FeatureEntry, previous: Option<&Feature>) -> PResult<Option<Feature>> {
        let next = previous.map_or(0, |feature| feature.index + 1);
        let index = match entry.index {
            Some(index) if index < next => {
                self.ignore(&loc.key("index"), format!("feature indices must increase (expected {next} or more)"));
                return Ok(None);
            }
            Some(index) => index,
            None => next,
        };
        let mut outputs = Vec::new();
        let output_loc = loc.key("output");
        for (type_name, raw) in entry.output.unwrap_or_default() {
            if let Some(output) = self.output(&output_loc.key(&type_name), &type_name, &raw)? {
                outputs.push(output);
            }
        }
        let mut inputs = Vec::new();
        let input_loc = loc.key("input");
        for (type_name, raw) in entry.input.unwrap_or_default() {
            if let Some(input) = self.input(&input_loc.key(&type_name), &type_name, &raw)? {
                inputs.push(input);
            }
        }
        if outputs.is_empty() && inputs.is_empty() {
            // The reference keeps placeholders (an index and an id, nothing else); those go
            // quietly. A feature whose outputs were all unusable was warned about above.
            return Ok(None);
        }
        outputs.shrink_to_fit();
        inputs.shrink_to_fit();
        Ok(Some(Feature { index, description: entry.description.unwrap_or_default(), outputs, inputs }))
    }

    fn output(&mut self, loc: &Loc, type_name: &str, raw: &RawValue) -> PResult<Option<Output>> {
        let kind = match type_name {
            "hw_position_with_duration" => OutputType::HwPositionWithDuration,
            name => match output_type_from_name(name).filter(|kind| *kind != OutputType::HwPositionWithDuration) {
                Some(kind) => kind,
                None => {
                    self.ignore(loc, format!("Plugboard has no {type_name:?} output"));
                    return Ok(None);
                }
            },
        };
        let spec: OutputEntry = json::read_object_at(raw.get(), loc)?;
        let range = steps_from_zero(pair(&loc.key("value"), &spec.value)?);
        if let Some(problem) = output_range_problem(kind, range) {
            self.ignore(loc, format!("unusable step range: {problem}"));
            return Ok(None);
        }
        let duration = match (kind, spec.duration) {
            (OutputType::HwPositionWithDuration, Some(values)) => {
                let duration_loc = loc.key("duration");
                let duration = pair(&duration_loc, &values)?;
                // Plugboard's own format refuses these too: the converted file must load.
                if duration.min < 0 {
                    self.ignore(&duration_loc, "unusable duration range: durations are milliseconds, 0 or more");
                    return Ok(None);
                }
                Some(duration)
            }
            (OutputType::HwPositionWithDuration, None) => {
                self.ignore(loc, "hw_position_with_duration without a duration range");
                return Ok(None);
            }
            (_, _) => None,
        };
        Ok(Some(Output { kind, range, duration }))
    }

    fn input(&mut self, loc: &Loc, type_name: &str, raw: &RawValue) -> PResult<Option<Input>> {
        let Some(kind) = input_type_from_name(type_name) else {
            self.ignore(loc, format!("Plugboard has no {type_name:?} input"));
            return Ok(None);
        };
        let spec: InputEntry = json::read_object_at(raw.get(), loc)?;
        let value_loc = loc.key("value");
        let ranges = spec
            .value
            .iter()
            .enumerate()
            .map(|(position, values)| pair(&value_loc.index(position), values))
            .collect::<PResult<Vec<Range>>>()?;
        let command_loc = loc.key("command");
        let mut commands = Vec::new();
        for (position, name) in spec.command.iter().enumerate() {
            let command = match name.to_ascii_lowercase().as_str() {
                "read" => InputCommand::Read,
                "subscribe" => InputCommand::Subscribe,
                other => {
                    self.ignore(&command_loc.index(position), format!("unknown input command {other:?}"));
                    continue;
                }
            };
            if !commands.contains(&command) {
                commands.push(command);
            }
        }
        if ranges.is_empty() || commands.is_empty() {
            self.ignore(loc, "an input needs a value range and a command");
            return Ok(None);
        }
        commands.shrink_to_fit();
        Ok(Some(Input { kind, ranges, commands }))
    }
}

/// The reference's serial settings (`parity` is "N", "O" or "E").
fn serial(loc: &Loc, spec: SerialEntry) -> PResult<SerialSettings> {
    let mut settings = SerialSettings::default();
    if let Some(baud) = spec.baud_rate {
        settings.baud_rate = whole_in(&loc.key("baud_rate"), i64::from(baud), 1, i64::from(u32::MAX))? as u32;
    }
    if let Some(bits) = spec.data_bits {
        settings.data_bits = whole_in(&loc.key("data_bits"), i64::from(bits), 5, 8)? as u8;
    }
    if let Some(bits) = spec.stop_bits {
        settings.stop_bits = whole_in(&loc.key("stop_bits"), i64::from(bits), 1, 2)? as u8;
    }
    if let Some(text) = &spec.parity {
        settings.parity = Parity::parse(text)
            .ok_or_else(|| loc.key("parity").err(format!("{text:?} is not a parity (N, O or E)")))?;
    }
    Ok(settings)
}

/// The steps a client sees for an output's `value` range. The reference engine counts steps
/// from 0 up to the range's top whatever its start, and hands a step to its handler as it is:
/// a Umove heater listed as `[37, 42]` offers steps 0..=42, and step 40 is 40 °C on the device.
/// So a range that starts above 0 reads as `[0, top]`, which keeps the bytes the reference's.
fn steps_from_zero(range: Range) -> Range {
    if range.min > 0 && range.max >= range.min {
        Range::new(0, range.max)
    } else {
        range
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::{InputType, OutputType};

    use super::*;
    use crate::config::database::{Database, DatabaseFormat};
    use crate::config::export::to_plugboard_json;

    /// A reference-format file exercising every shape the reader handles.
    const SAMPLE: &str = r#"{
      "version": {"major": 5, "minor": 57},
      "protocols": {
        "lovense": {
          "communication": [{"btle": {
            "names": ["LVS-*", "LVS-*", "A*B"],
            "manufacturer_data": [{"company": 620, "data": [255, 33]}],
            "advertised_services": ["5A300001-0023-4BD4-BBD5-A6920E4C5653"],
            "services": {"0000fff0-0000-1000-8000-00805f9b34fb": {
              "tx": "0000fff2-0000-1000-8000-00805f9b34fb", "rx": "0000fff1-0000-1000-8000-00805f9b34fb",
              "mystery": "0000fff9-0000-1000-8000-00805f9b34fb"}}}},
            {"lovense_connect_service": {"port": 30010}}],
          "defaults": {"id": "d", "name": "Lovense Device", "features": [
            {"id": "a", "index": 0, "output": {"vibrate": {"value": [0, 20]}}},
            {"id": "b", "index": 1, "description": "battery Level",
             "input": {"battery": {"command": ["Read"], "value": [[0, 100]]}}}]},
          "configurations": [
            {"id": "1", "identifier": ["B"], "name": "Old Max"},
            {"id": "2", "identifier": ["B", "P"], "name": "Lovense Max", "message_gap_ms": 50, "features": [
              {"id": "x", "index": 0, "output": {"vibrate": {"value": [0, 20]}, "wiggle": {"value": [0, 3]},
                                                      "oscillate": {"value": [-5, 20]}}},
              {"id": "y", "index": 1},
              {"id": "z", "index": 3, "output": {"rotate": {"value": [-20, 20]}, "temperature": {"value": [37, 42]}}},
              {"id": "w", "index": 2, "output": {"vibrate": {"value": [0, 20]}}}]},
            {"id": "3", "identifier": [], "name": "Nobody"}]
        },
        "tcode-v03": {
          "communication": [{"serial": {"port": "default", "baud_rate": 9600, "data_bits": 8, "stop_bits": 1, "parity": "E"}},
                            {"websocket": {"name": "Stroker"}}],
          "defaults": {"id": "t", "name": "TCode", "protocol_variant": "single", "features": [
            {"id": "p", "index": 0, "output": {
              "hw_position_with_duration": {"value": [0, 999], "duration": [0, 99999]},
              "position": {"value": [0, 999]}}}]}
        },
        "kiiroo-v21": {
          "communication": [{"btle": {"names": ["Pearl2.1"], "services": {
            "00001900-0000-1000-8000-00805f9b34fb": {"tx": "00001902-0000-1000-8000-00805f9b34fb"}}}}],
          "defaults": {"id": "k", "name": "Kiiroo V2.1 Device", "features": []},
          "configurations": [{"id": "k1", "identifier": ["Pearl2.1"], "name": "Kiiroo Pearl 2.1", "features": [
            {"id": "v", "index": 0, "output": {"vibrate": {"value": [0, 100]}}}]}]
        },
        "some-unwritten-brand": {
          "communication": [{"btle": {"names": ["Nope"], "services": {}}}],
          "defaults": {"id": "n", "name": "Nope", "features": []}
        }
      }
    }"#;

    fn sample() -> Database {
        Database::from_json_str(SAMPLE, "sample.json").unwrap_or_else(|error| panic!("{error}"))
    }

    fn warnings(db: &Database) -> Vec<String> {
        db.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn tells_the_formats_apart() {
        let value: Value = serde_json::from_str(SAMPLE).unwrap();
        assert!(is_reference_format(&value));
        let own: Value = serde_json::from_str(crate::config::database::BUILTIN_DATABASE_JSON).unwrap();
        assert!(!is_reference_format(&own));
        assert_eq!(sample().format, DatabaseFormat::Reference);
        assert_eq!((sample().version_major, sample().version_minor), (5, 57));
    }

    #[test]
    fn keeps_implemented_protocols_only() {
        let db = sample();
        let names: Vec<&str> = db.protocols().map(|protocol| protocol.name.as_str()).collect();
        assert_eq!(names, ["kiiroo-v21", "lovense", "tcode-v03"]);
        assert_eq!(db.skipped_protocols, ["some-unwritten-brand"]);
    }

    #[test]
    fn ble_identification_and_endpoints() {
        let db = sample();
        let lovense = db.protocol("lovense").unwrap();
        let ble = lovense.identify.ble.as_ref().unwrap();
        assert_eq!(ble.names, ["LVS-*"], "duplicates and unusable wildcards dropped");
        assert_eq!(ble.manufacturer_data[0].company, 620);
        assert_eq!(ble.advertised_services, ["5a300001-0023-4bd4-bbd5-a6920e4c5653"]);
        let service = &lovense.endpoints["0000fff0-0000-1000-8000-00805f9b34fb"];
        assert_eq!(service.keys().collect::<Vec<_>>(), ["rx", "tx"]);
        let text = warnings(&db).join("\n");
        assert!(text.contains("$.protocols.lovense.communication[0].btle.names[2]: ignored"), "{text}");
        assert!(text.contains("no endpoint named \"mystery\""), "{text}");
        assert!(text.contains("$.protocols.lovense.communication[1].lovense_connect_service: ignored"), "{text}");
    }

    #[test]
    fn serial_and_websocket() {
        let db = sample();
        let tcode = db.protocol("tcode-v03").unwrap();
        let serial = tcode.identify.serial.unwrap();
        assert_eq!((serial.baud_rate, serial.parity), (9600, Parity::Even));
        assert_eq!(tcode.identify.websocket_names, ["Stroker"]);
        let definition = db.definition("tcode-v03", None).unwrap();
        assert_eq!(definition.variant.as_deref(), Some("single"));
        let with_duration = definition.features[0].output(OutputType::HwPositionWithDuration).unwrap();
        assert_eq!(with_duration.duration, Some(Range::new(0, 99_999)));
        assert!(definition.features[0].output(OutputType::Position).is_some());
    }

    #[test]
    fn configurations() {
        let db = sample();
        // "B" is listed twice: the later configuration wins, as in the reference.
        let max = db.definition("lovense", Some("B")).unwrap();
        assert_eq!(max.name, "Lovense Max");
        assert_eq!(max.message_gap_ms, Some(50));
        // The placeholder feature 1 is dropped, index 3 is kept, the decreasing index 2 goes.
        assert_eq!(max.features.iter().map(|f| f.index).collect::<Vec<_>>(), [0, 3]);
        assert_eq!(max.features[0].outputs.len(), 1, "wiggle is no output type, -5..20 no step range");
        assert_eq!(max.features[1].outputs.len(), 2, "rotate, and the heater");
        assert_eq!(max.features[1].outputs[0].range, Range::new(-20, 20));
        let heater = max.features[1].output(OutputType::Temperature).unwrap();
        assert_eq!(heater.range, Range::new(0, 42), "37..42 is steps 0..=42, as the reference counts them");
        // A model without features inherits the defaults' (battery included).
        let lovense = db.protocol("lovense").unwrap();
        assert_eq!(lovense.models.len(), 1, "the emptied and the identifier-less configurations are gone");
        let unknown = db.definition("lovense", Some("QQ")).unwrap();
        assert_eq!(unknown.features[1].inputs[0].kind, InputType::Battery);
        let text = warnings(&db).join("\n");
        assert!(
            text.contains("configurations[0]: ignored: its identifiers are all used by later configurations"),
            "{text}"
        );
        assert!(
            text.contains("configurations[2].identifier: ignored: a configuration without an identifier"),
            "{text}"
        );
        assert!(text.contains("features[3].index: ignored: feature indices must increase"), "{text}");
        assert!(!text.contains("temperature"), "{text}");
        assert!(text.contains("oscillate: ignored: unusable step range: a signed range must be symmetric"), "{text}");
    }

    /// As the reference: a device that is none of the models gets the defaults, here with no
    /// features.
    #[test]
    fn defaults_without_features_describe_unknown_models_with_nothing_to_drive() {
        let db = sample();
        assert_eq!(db.definition("kiiroo-v21", Some("Pearl2.1")).unwrap().name, "Kiiroo Pearl 2.1");
        for identifier in [Some("Pearl9"), None] {
            let unknown = db.definition("kiiroo-v21", identifier).unwrap();
            assert_eq!((unknown.name.as_str(), unknown.features.len()), ("Kiiroo V2.1 Device", 0));
        }
    }

    #[test]
    fn written_in_plugboard_format_it_reads_back_the_same() {
        let db = sample();
        let text = to_plugboard_json(&db, Some("sample v5.57"));
        let again = Database::from_json_str(&text, "written.json").unwrap_or_else(|error| panic!("{error}\n{text}"));
        assert_eq!(again.format, DatabaseFormat::Plugboard);
        for protocol in db.protocols() {
            assert_eq!(again.protocol(&protocol.name), Some(protocol));
        }
        assert!(text.contains(r#""imported_from": "sample v5.57""#));
        // The skipped feature index is written; the counted ones are not.
        assert!(text.contains(r#""index": 3,"#), "{text}");
        let feature_3 =
            r#""outputs": [{"type": "rotate", "range": [-20, 20]}, {"type": "temperature", "range": [0, 42]}]"#;
        assert!(text.contains(feature_3), "{text}");
        let builtin = Database::builtin().unwrap();
        let again = Database::from_json_str(&to_plugboard_json(&builtin, None), "b").unwrap();
        assert!(builtin.protocols().all(|protocol| again.protocol(&protocol.name) == Some(protocol)));
    }

    /// Found by the `device_config` fuzz target: a negative duration was read, and the database
    /// written from it in Plugboard's format did not load ("durations are milliseconds").
    #[test]
    fn negative_duration_is_ignored() {
        let text = r#"{"version":{"major":5},"protocols":{"lovense":{"defaults":{"name":"Lo","features":[{"output":
            {"hw_position_with_duration":{"value":[0,9],"duration":[-10,9]},"position":{"value":[0,9]}}}]}}}}"#;
        let db = Database::from_json_str(text, "r.json").unwrap();
        let outputs = &db.protocol("lovense").unwrap().defaults.features.as_ref().unwrap()[0].outputs;
        assert_eq!(outputs.iter().map(|output| output.kind).collect::<Vec<_>>(), [OutputType::Position]);
        let text = warnings(&db).join("\n");
        assert!(text.contains("hw_position_with_duration.duration: ignored: unusable duration range"), "{text}");
        Database::from_json_str(&to_plugboard_json(&db, None), "written.json").unwrap();
    }

    /// Found by the `device_config` fuzz target: a BLE name of spaces was kept, and the
    /// database written from it in Plugboard's format did not load ("must not be empty").
    #[test]
    fn blank_ble_name_is_ignored() {
        let text = r#"{"version": {"major": 5}, "protocols": {"libo-vibes": {"communication": [{"btle": {
            "names": [" ", "Libo"], "services": {"00006000-0000-1000-8000-00805f9b34fb": {
            "tx": "00006001-0000-1000-8000-00805f9b34fb"}}}}], "defaults": {"name": " e"}}}}"#;
        let db = Database::from_json_str(text, "r.json").unwrap();
        let ble = db.protocol("libo-vibes").unwrap().identify.ble.as_ref().unwrap();
        assert_eq!(ble.names, ["Libo"]);
        let text = warnings(&db).join("\n");
        assert!(text.contains("names[0]: ignored: not a usable name"), "{text}");
        Database::from_json_str(&to_plugboard_json(&db, None), "written.json").unwrap();
    }

    /// Protocol names with `_` (`pink_punch`, `htk_bm` in the reference database) are read,
    /// kept when implemented, and written and read back in Plugboard's format.
    #[test]
    fn protocol_names_with_underscores() {
        let entry = |name: &str| {
            format!(
                r#""{name}": {{"communication": [{{"btle": {{"names": ["Toy_1"], "services": {{
                  "0000ffe0-0000-1000-8000-00805f9b34fb": {{"tx": "0000ffe1-0000-1000-8000-00805f9b34fb"}}}}}}}}],
                  "defaults": {{"id": "d", "name": "Toy", "features": [{{"id": "a", "index": 0,
                  "output": {{"vibrate": {{"value": [0, 100]}}}}}}]}}}}"#
            )
        };
        let text = format!(
            r#"{{"version": {{"major": 5, "minor": 57}}, "protocols": {{{}, {}, {}, {}}}}}"#,
            entry("pink_punch"),
            entry("htk_bm"),
            entry("Upper_Case"),
            entry("-dash"),
        );
        let read = read_reference(&text, "r.json", &|_| true).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(read.protocols.keys().collect::<Vec<_>>(), ["htk_bm", "pink_punch"]);
        assert_eq!(read.skipped_protocols, ["-dash", "Upper_Case"], "not protocol names");

        // Plugboard's own format takes the same names.
        let own = r#"{"version": {"major": 1}, "protocols": {"htk_bm": {
            "identify": {"ble": {"names": ["HTK"]}},
            "endpoints": {"0000ffe0-0000-1000-8000-00805f9b34fb": {"tx": "0000ffe1-0000-1000-8000-00805f9b34fb"}},
            "defaults": {"name": "HTK", "features": [{"outputs": [{"type": "vibrate", "range": [0, 1]}]}]}}}}"#;
        let db = Database::from_json_str(own, "own.json").unwrap_or_else(|error| panic!("{error}"));
        let again = Database::from_json_str(&to_plugboard_json(&db, None), "written.json").unwrap();
        assert_eq!(again.protocol("htk_bm"), db.protocol("htk_bm"));
        assert!(again.protocol("htk_bm").is_some());
    }

    /// The reference writes serial parity as a letter (`N` for the Kizuna and the Next Level
    /// Racing pad, as for TCode and Nobra), and some models' feature indices skip (TryFun's
    /// `TF-ROCK` has only feature 1): both survive the import into Plugboard's format.
    #[test]
    fn parity_letters_and_a_first_feature_above_zero() {
        let text = r#"{"version": {"major": 5, "minor": 57}, "protocols": {
          "nobra": {
            "communication": [{"serial": {"baud_rate": 19200, "data_bits": 8, "parity": "N", "port": "default", "stop_bits": 1}}],
            "defaults": {"id": "n", "name": "Nobra", "features": [{"id": "m", "index": 0, "output": {"vibrate": {"value": [0, 15]}}}]}},
          "tcode-v03": {
            "communication": [{"serial": {"baud_rate": 9600, "data_bits": 7, "parity": "O", "port": "default", "stop_bits": 2}}],
            "defaults": {"id": "t", "name": "TCode", "features": [{"id": "p", "index": 0, "output": {"position": {"value": [0, 999]}}}]}},
          "aneros": {
            "communication": [{"btle": {"names": ["Massage Demo"], "services": {
              "0000ff00-0000-1000-8000-00805f9b34fb": {"tx": "0000ff01-0000-1000-8000-00805f9b34fb"}}}}],
            "defaults": {"id": "d", "name": "Aneros", "features": [{"id": "a", "index": 0, "output": {"vibrate": {"value": [0, 127]}}}]},
            "configurations": [{"id": "1", "identifier": ["Rock"], "name": "Only feature 1", "features": [
              {"id": "b", "index": 1, "output": {"vibrate": {"value": [0, 127]}}}]}]}
        }}"#;
        let db = Database::from_json_str(text, "r.json").unwrap_or_else(|error| panic!("{error}"));
        assert!(warnings(&db).is_empty(), "{:?}", warnings(&db));
        let nobra = db.protocol("nobra").unwrap().identify.serial.unwrap();
        assert_eq!(nobra, SerialSettings { baud_rate: 19_200, data_bits: 8, stop_bits: 1, parity: Parity::None });
        let tcode = db.protocol("tcode-v03").unwrap().identify.serial.unwrap();
        assert_eq!(tcode, SerialSettings { baud_rate: 9600, data_bits: 7, stop_bits: 2, parity: Parity::Odd });
        let rock = db.definition("aneros", Some("Rock")).unwrap();
        assert_eq!(rock.features.iter().map(|f| f.index).collect::<Vec<_>>(), [1]);

        let written = to_plugboard_json(&db, None);
        assert!(written.contains(r#""parity": "none""#) && written.contains(r#""parity": "odd""#), "{written}");
        assert!(written.contains(r#""index": 1"#), "{written}");
        let again = Database::from_json_str(&written, "written.json").unwrap_or_else(|error| panic!("{error}"));
        for protocol in db.protocols() {
            assert_eq!(again.protocol(&protocol.name), Some(protocol));
        }
        let bad = text.replace(r#""parity": "N""#, r#""parity": "X""#);
        let error = Database::from_json_str(&bad, "r.json").unwrap_err().to_string();
        assert!(error.contains(r#""X" is not a parity (N, O or E)"#), "{error}");
    }

    #[test]
    fn errors() {
        let error = |text: &str| Database::from_json_str(text, "r.json").unwrap_err().to_string();
        assert!(error(r#"{"version": {"major": 4}, "protocols": {"x": {"defaults": {"name": "X", "features": []}}}}"#)
            .contains("none of the protocols in this file is implemented"));
        assert!(error(r#"{"protocols": {"lovense": {"communication": []}}}"#).contains("$.version: missing"));
        assert!(error(r#"{"version": {"major": 5}, "protocols": {"lovense": {"communication": {}}}}"#)
            .contains("$.protocols.lovense.communication: expected an array"));
        // A reference file of the buttplug 9 era (major 3, kebab-case) is named as unsupported.
        assert!(error(r#"{"version": {"major": 3}, "protocols": {}}"#).contains("format version 3 is not supported"));
    }
}
