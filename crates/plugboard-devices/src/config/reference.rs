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
use serde_json::Value;

use super::database::{
    input_type_from_name, is_endpoint_name, output_range_problem, output_type_from_name, parse_manufacturer_data,
    valid_protocol_name, BleIdentify, Identify, ModelDef, Parity, ProtocolDef, SerialSettings,
};
use super::json::{Node, PResult};
use super::user::ConfigWarning;

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
    root: &Node,
    file: &str,
    implemented: &dyn Fn(&str) -> bool,
) -> PResult<ReferenceDatabase> {
    let version = root.require("version")?;
    let major_node = version.require("major")?;
    let major = major_node.u32()?;
    if !REFERENCE_MAJORS.contains(&major) {
        return Err(major_node.err(format!(
            "the reference device config format version {major} is not supported (Plugboard reads versions 4 and 5, \
             and its own format)"
        )));
    }
    let minor = match version.get("minor")? {
        Some(node) => node.u32()?,
        None => 0,
    };
    let mut reader = Reader { file, warnings: Vec::new() };
    let mut protocols = BTreeMap::new();
    let mut skipped_protocols = Vec::new();
    for (name, node) in root.require("protocols")?.entries()? {
        if !valid_protocol_name(name) || !implemented(name) {
            skipped_protocols.push(name.to_string());
            continue;
        }
        if let Some(protocol) = reader.protocol(name, &node)? {
            protocols.insert(name.to_string(), protocol);
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
    fn ignore(&mut self, node: &Node, message: impl Into<String>) {
        self.warnings.push(ConfigWarning::Ignored {
            file: self.file.to_string(),
            path: node.path.clone(),
            message: message.into(),
        });
    }

    /// One protocol; `None` (with a warning) when nothing usable is left of it.
    fn protocol(&mut self, name: &str, node: &Node) -> PResult<Option<ProtocolDef>> {
        let mut identify = Identify::default();
        let mut endpoints: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        if let Some(list) = node.get("communication")? {
            for entry in list.array()? {
                for (transport, spec) in entry.entries()? {
                    match transport {
                        "btle" => self.btle(&spec, &mut identify, &mut endpoints)?,
                        "serial" => identify.serial = Some(serial(&spec)?),
                        "websocket" => {
                            let name = spec.require("name")?.non_empty_str()?;
                            identify.websocket_names.push(name.to_string());
                        }
                        other => self.ignore(&spec, format!("Plugboard has no {other:?} transport")),
                    }
                }
            }
        }
        if let Some(ble) = &identify.ble {
            let recognisable =
                !ble.names.is_empty() || !ble.manufacturer_data.is_empty() || !ble.advertised_services.is_empty();
            if !recognisable || endpoints.is_empty() {
                self.ignore(
                    node,
                    format!("{name}: its Bluetooth LE entry has no names or no services Plugboard can use"),
                );
                identify.ble = None;
            }
        }
        let Some(defaults_node) = node.get("defaults")? else {
            self.ignore(node, format!("{name} has no defaults; Plugboard needs them to describe its devices"));
            return Ok(None);
        };
        let Some(defaults) = self.model(&defaults_node, true)? else {
            return Ok(None);
        };
        let mut read = Vec::new();
        if let Some(list) = node.get("configurations")? {
            for model_node in list.array()? {
                if let Some(model) = self.model(&model_node, false)? {
                    read.push((model_node, model));
                }
            }
        }
        // An identifier listed twice belongs to its last configuration, as in the reference
        // (which fills a map in file order).
        let mut seen = BTreeSet::new();
        let mut models = Vec::new();
        for (model_node, mut model) in read.into_iter().rev() {
            model.identifiers.retain(|identifier| seen.insert(identifier.clone()));
            if model.identifiers.is_empty() {
                self.ignore(&model_node, "its identifiers are all used by later configurations");
            } else {
                models.push(model);
            }
        }
        models.reverse();
        Ok(Some(ProtocolDef { name: name.to_string(), identify, endpoints, defaults, models }))
    }

    fn btle(
        &mut self,
        spec: &Node,
        identify: &mut Identify,
        endpoints: &mut BTreeMap<String, BTreeMap<String, String>>,
    ) -> PResult<()> {
        let ble = identify.ble.get_or_insert_with(BleIdentify::default);
        if let Some(names) = spec.get("names")? {
            for name_node in names.array()? {
                let name = name_node.str()?;
                let wildcard_inside = name.trim_end_matches('*').contains('*');
                // Blank names too: Plugboard's format refuses them, the converted file must load.
                if name.trim().is_empty() || name == "*" || wildcard_inside {
                    self.ignore(&name_node, "not a usable name ('*' may only end a name)");
                } else if !ble.names.iter().any(|known| known == name) {
                    ble.names.push(name.to_string());
                }
            }
        }
        if let Some(list) = spec.get("manufacturer_data")? {
            for entry in list.array()? {
                ble.manufacturer_data.push(parse_manufacturer_data(&entry)?);
            }
        }
        if let Some(list) = spec.get("advertised_services")? {
            for entry in list.array()? {
                ble.advertised_services.push(entry.uuid()?);
            }
        }
        if let Some(services) = spec.get("services")? {
            for (service, map) in services.entries()? {
                let Some(service_uuid) = super::json::normalize_uuid(service) else {
                    self.ignore(&map, format!("service {service:?} is not a UUID"));
                    continue;
                };
                let characteristics = endpoints.entry(service_uuid).or_default();
                for (endpoint, characteristic) in map.entries()? {
                    if is_endpoint_name(endpoint) {
                        characteristics.insert(endpoint.to_string(), characteristic.uuid()?);
                    } else {
                        self.ignore(&characteristic, format!("Plugboard has no endpoint named {endpoint:?}"));
                    }
                }
            }
            endpoints.retain(|_, characteristics| !characteristics.is_empty());
        }
        Ok(())
    }

    /// A configuration (or the defaults); `None` (with a warning) when nothing usable is left.
    fn model(&mut self, node: &Node, is_defaults: bool) -> PResult<Option<ModelDef>> {
        let identifiers = if is_defaults {
            Vec::new()
        } else {
            let Some(list) = node.get("identifier")? else {
                self.ignore(node, "a configuration without an identifier matches nothing");
                return Ok(None);
            };
            let identifiers = list.strings()?;
            if identifiers.is_empty() {
                self.ignore(&list, "a configuration without an identifier matches nothing");
                return Ok(None);
            }
            identifiers
        };
        let name = match node.get("name")? {
            Some(name) => name.non_empty_str()?.to_string(),
            None if is_defaults => return Err(node.require("name").err().unwrap_or_else(|| node.err("missing name"))),
            // A configuration without a name shows as its first identifier.
            None => identifiers[0].clone(),
        };
        let variant = node.get("protocol_variant")?.map(|v| v.non_empty_str().map(str::to_string)).transpose()?;
        let message_gap_ms =
            node.get("message_gap_ms")?.map(|gap| gap.int_in(0, 60_000).map(|ms| ms as u32)).transpose()?;
        let features = match node.get("features")? {
            Some(list) => {
                let mut features: Vec<Feature> = Vec::new();
                for feature_node in list.array()? {
                    if let Some(feature) = self.feature(&feature_node, features.last())? {
                        features.push(feature);
                    }
                }
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
        Ok(Some(ModelDef { identifiers, name, variant, message_gap_ms, features }))
    }

    fn feature(&mut self, node: &Node, previous: Option<&Feature>) -> PResult<Option<Feature>> {
        let next = previous.map_or(0, |feature| feature.index + 1);
        let index = match node.get("index")? {
            Some(index_node) => {
                let index = index_node.u32()?;
                if index < next {
                    self.ignore(&index_node, format!("feature indices must increase (expected {next} or more)"));
                    return Ok(None);
                }
                index
            }
            None => next,
        };
        let description = match node.get("description")? {
            Some(description) => description.str()?.to_string(),
            None => String::new(),
        };
        let mut outputs = Vec::new();
        if let Some(map) = node.get("output")? {
            for (type_name, spec) in map.entries()? {
                if let Some(output) = self.output(type_name, &spec)? {
                    outputs.push(output);
                }
            }
        }
        let mut inputs = Vec::new();
        if let Some(map) = node.get("input")? {
            for (type_name, spec) in map.entries()? {
                if let Some(input) = self.input(type_name, &spec)? {
                    inputs.push(input);
                }
            }
        }
        if outputs.is_empty() && inputs.is_empty() {
            // The reference keeps placeholders (an index and an id, nothing else); those go
            // quietly. A feature whose outputs were all unusable was warned about above.
            return Ok(None);
        }
        Ok(Some(Feature { index, description, outputs, inputs }))
    }

    fn output(&mut self, type_name: &str, spec: &Node) -> PResult<Option<Output>> {
        let kind = match type_name {
            "hw_position_with_duration" => OutputType::HwPositionWithDuration,
            name => match output_type_from_name(name).filter(|kind| *kind != OutputType::HwPositionWithDuration) {
                Some(kind) => kind,
                None => {
                    self.ignore(spec, format!("Plugboard has no {type_name:?} output"));
                    return Ok(None);
                }
            },
        };
        let range = spec.require("value")?.range()?;
        if let Some(problem) = output_range_problem(kind, range) {
            self.ignore(spec, format!("unusable step range: {problem}"));
            return Ok(None);
        }
        let duration = match (kind, spec.get("duration")?) {
            (OutputType::HwPositionWithDuration, Some(node)) => {
                let duration = node.range()?;
                // Plugboard's own format refuses these too: the converted file must load.
                if duration.min < 0 {
                    self.ignore(&node, "unusable duration range: durations are milliseconds, 0 or more");
                    return Ok(None);
                }
                Some(duration)
            }
            (OutputType::HwPositionWithDuration, None) => {
                self.ignore(spec, "hw_position_with_duration without a duration range");
                return Ok(None);
            }
            (_, _) => None,
        };
        Ok(Some(Output { kind, range, duration }))
    }

    fn input(&mut self, type_name: &str, spec: &Node) -> PResult<Option<Input>> {
        let Some(kind) = input_type_from_name(type_name) else {
            self.ignore(spec, format!("Plugboard has no {type_name:?} input"));
            return Ok(None);
        };
        let ranges = spec.require("value")?.array()?.iter().map(Node::range).collect::<PResult<Vec<Range>>>()?;
        let mut commands = Vec::new();
        for command_node in spec.require("command")?.array()? {
            let command = match command_node.str()?.to_ascii_lowercase().as_str() {
                "read" => InputCommand::Read,
                "subscribe" => InputCommand::Subscribe,
                other => {
                    self.ignore(&command_node, format!("unknown input command {other:?}"));
                    continue;
                }
            };
            if !commands.contains(&command) {
                commands.push(command);
            }
        }
        if ranges.is_empty() || commands.is_empty() {
            self.ignore(spec, "an input needs a value range and a command");
            return Ok(None);
        }
        Ok(Some(Input { kind, ranges, commands }))
    }
}

/// The reference's serial settings (`parity` is "N", "O" or "E"; `port` is bound per user).
fn serial(spec: &Node) -> PResult<SerialSettings> {
    let mut settings = SerialSettings::default();
    if let Some(baud) = spec.get("baud_rate")? {
        settings.baud_rate = baud.int_in(1, u32::MAX as i64)? as u32;
    }
    if let Some(bits) = spec.get("data_bits")? {
        settings.data_bits = bits.int_in(5, 8)? as u8;
    }
    if let Some(bits) = spec.get("stop_bits")? {
        settings.stop_bits = bits.int_in(1, 2)? as u8;
    }
    if let Some(parity) = spec.get("parity")? {
        let text = parity.str()?;
        settings.parity =
            Parity::parse(text).ok_or_else(|| parity.err(format!("{text:?} is not a parity (N, O or E)")))?;
    }
    Ok(settings)
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
              {"id": "x", "index": 0, "output": {"vibrate": {"value": [0, 20]}, "wiggle": {"value": [0, 3]}}},
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
        assert_eq!(max.features[0].outputs.len(), 1, "wiggle is no output type");
        assert_eq!(max.features[1].outputs.len(), 1, "temperature 37..42 is no usable step range");
        assert_eq!(max.features[1].outputs[0].range, Range::new(-20, 20));
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
        assert!(text.contains("temperature: ignored: unusable step range"), "{text}");
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
        assert!(text.contains(r#"{"index": 3, "outputs": [{"type": "rotate", "range": [-20, 20]}]}"#), "{text}");
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
