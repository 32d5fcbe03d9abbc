//! The device database: which protocols exist, how their hardware is recognised, and which
//! device models each protocol knows (`device-config/plugboard-devices.json`).
//!
//! The built-in copy is embedded in the binary; `--device-config-file` replaces it whole.
//! Loading validates everything and names the file and the JSON path of the first problem.

use std::collections::{BTreeMap, BTreeSet};

use plugboard_protocol::model::{Feature, Input, InputCommand, Output, OutputType, Range};

use super::common::{
    endpoint_names, input_type_from_name, output_range_problem, output_type_at, serial_overrides, ConfigWarning,
};
// The protocol registry's test checks its names with the same rule.
pub(crate) use super::common::valid_protocol_name;
pub use super::common::{
    is_endpoint_name, output_type_from_name, output_type_name, BleIdentify, ConfigFileError, Identify,
    ManufacturerData, ModelDef, Parity, ProtocolDef, SerialSettings,
};
pub use super::database_file::{
    BleFile, DatabaseFile, DefaultsFile, FeatureFile, IdentifyFile, InputFile, ManufacturerDataFile, ModelFile,
    OutputFile, OutputTypeName, ParityName, ProtocolFile, SerialFile, VersionFile, WebsocketFile,
};
use super::json::{non_empty, normalize_uuid, pair, uuid_at, whole_in, Loc, Object, PResult};

/// The database shipped with Plugboard.
pub const BUILTIN_DATABASE_JSON: &str = include_str!("../../../../device-config/plugboard-devices.json");
/// The name the built-in database goes by in messages.
pub const BUILTIN_DATABASE_NAME: &str = "<built-in device-config/plugboard-devices.json>";
/// The format version this build reads (`version.major`).
pub const DATABASE_FORMAT_MAJOR: u32 = 1;

/// A fully resolved device definition: what a connected device is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDefinition {
    pub protocol: String,
    /// The model identifier that matched, or `None` when the protocol defaults were used.
    pub identifier: Option<String>,
    pub name: String,
    pub variant: Option<String>,
    /// `None`: the transport's default.
    pub message_gap_ms: Option<u32>,
    pub features: Vec<Feature>,
}

/// Which format a database file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseFormat {
    /// Plugboard's own (`device-config/plugboard-devices.json`).
    Plugboard,
    /// The reference engine's v4/v5 format (see [`super::reference`]).
    Reference,
}

/// The device database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// Where it came from (a path, or [`BUILTIN_DATABASE_NAME`]).
    pub source: String,
    pub format: DatabaseFormat,
    pub version_major: u32,
    pub version_minor: u32,
    protocols: BTreeMap<String, ProtocolDef>,
    /// Which reference database the data comes from, as a Plugboard-format file says
    /// (`imported_from`, e.g. "reference device config v5.57"); see [`Database::data_version`].
    pub imported_from: Option<String>,
    /// Protocols the file lists that Plugboard does not implement (reference files only).
    pub skipped_protocols: Vec<String>,
    /// What was read but not used (reference files only: Plugboard's own format is strict).
    pub warnings: Vec<ConfigWarning>,
}

impl Database {
    /// A database of `protocols`, read from `source` (a path, or [`BUILTIN_DATABASE_NAME`]) in
    /// `format` version `(major, minor)`, with nothing skipped and nothing to warn about.
    pub(crate) fn new(
        source: &str,
        format: DatabaseFormat,
        (version_major, version_minor): (u32, u32),
        protocols: BTreeMap<String, ProtocolDef>,
    ) -> Database {
        Database {
            source: source.to_string(),
            format,
            version_major,
            version_minor,
            protocols,
            imported_from: None,
            skipped_protocols: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn protocol(&self, name: &str) -> Option<&ProtocolDef> {
        self.protocols.get(name)
    }

    /// All protocols, by name.
    pub fn protocols(&self) -> impl Iterator<Item = &ProtocolDef> {
        self.protocols.values()
    }

    /// The definition for a device of `protocol` that identified itself as `identifier`:
    /// the model with that identifier, else the protocol defaults, even defaults without
    /// features (an unknown Kiiroo v2.1 connects with nothing to drive, as the reference
    /// connects it). `None` for an unknown protocol.
    pub fn definition(&self, protocol: &str, identifier: Option<&str>) -> Option<DeviceDefinition> {
        let def = self.protocols.get(protocol)?;
        let model = identifier.and_then(|id| def.models.iter().find(|model| model.identifiers.iter().any(|m| m == id)));
        let defaults = &def.defaults;
        Some(match model {
            Some(model) => DeviceDefinition {
                protocol: def.name.clone(),
                identifier: identifier.map(str::to_string),
                name: model.name.clone(),
                variant: model.variant.clone().or_else(|| defaults.variant.clone()),
                message_gap_ms: model.message_gap_ms.or(defaults.message_gap_ms),
                features: model.features.clone().or_else(|| defaults.features.clone()).unwrap_or_default(),
            },
            None => DeviceDefinition {
                protocol: def.name.clone(),
                identifier: None,
                name: defaults.name.clone(),
                variant: defaults.variant.clone(),
                message_gap_ms: defaults.message_gap_ms,
                features: defaults.features.clone().unwrap_or_default(),
            },
        })
    }
}

/// A vector that is grown by pushing (as serde reads a list) keeps up to twice the room it
/// needs; the database lives as long as the engine, so its lists are cut to length.
fn fitted<T>(mut list: Vec<T>) -> Vec<T> {
    list.shrink_to_fit();
    list
}

impl DatabaseFile {
    /// Checks what the JSON shape cannot say, and gives the protocols.
    pub(crate) fn into_protocols(self) -> PResult<BTreeMap<String, ProtocolDef>> {
        let root = Loc::Root;
        let major = self.version.major;
        if major != DATABASE_FORMAT_MAJOR {
            return Err(root.key("version").key("major").err(format!(
                "format version {major} is not supported (this Plugboard reads its own format version \
                 {DATABASE_FORMAT_MAJOR} and the reference's versions 4 and 5)"
            )));
        }
        let protocols_loc = root.key("protocols");
        if self.protocols.is_empty() {
            return Err(protocols_loc.err("no protocols"));
        }
        let mut protocols = BTreeMap::new();
        for (name, file) in self.protocols {
            let loc = protocols_loc.key(&name);
            if !valid_protocol_name(&name) {
                return Err(loc.err("protocol names are lowercase letters, digits and '-' (e.g. \"wevibe-8bit\")"));
            }
            let protocol = file.0.into_protocol(&name, &loc)?;
            protocols.insert(name, protocol);
        }
        Ok(protocols)
    }
}

impl ProtocolFile {
    fn into_protocol(self, name: &str, loc: &Loc) -> PResult<ProtocolDef> {
        let identify = match self.identify {
            Some(identify) => identify.0.into_identify(&loc.key("identify"))?,
            None => Identify::default(),
        };
        let endpoints_loc = loc.key("endpoints");
        let mut endpoints = BTreeMap::new();
        for (service, characteristics) in self.endpoints.unwrap_or_default() {
            let service_loc = endpoints_loc.key(&service);
            let service_uuid = normalize_uuid(&service)
                .ok_or_else(|| service_loc.err(format!("service {service:?} is not a UUID")))?;
            let mut by_endpoint = BTreeMap::new();
            for (endpoint, characteristic) in characteristics {
                let characteristic_loc = service_loc.key(&endpoint);
                if !is_endpoint_name(&endpoint) {
                    return Err(characteristic_loc.err(format!(
                        "unknown endpoint name {endpoint:?} (one of {}, generic0..generic31)",
                        endpoint_names()
                    )));
                }
                let uuid = uuid_at(&characteristic_loc, &characteristic)?;
                by_endpoint.insert(endpoint, uuid);
            }
            if by_endpoint.is_empty() {
                return Err(service_loc.err("a service needs at least one endpoint"));
            }
            if endpoints.insert(service_uuid, by_endpoint).is_some() {
                return Err(service_loc.err("this service is listed twice (UUIDs are compared ignoring case)"));
            }
        }
        if identify.ble.is_some() && endpoints.is_empty() {
            return Err(endpoints_loc.err("a protocol recognised over BLE needs at least one service in \"endpoints\""));
        }
        let defaults = self.defaults.0.into_model(&loc.key("defaults"))?;
        let models_loc = loc.key("models");
        let files = self.models.unwrap_or_default();
        let mut models = Vec::with_capacity(files.len());
        let mut seen = BTreeSet::new();
        for (position, file) in files.into_iter().enumerate() {
            let model_loc = models_loc.index(position);
            let model = file.0.into_model(&model_loc)?;
            for identifier in &model.identifiers {
                if !seen.insert(identifier.clone()) {
                    return Err(model_loc.err(format!("identifier {identifier:?} is used by another model of {name}")));
                }
            }
            models.push(model);
        }
        Ok(ProtocolDef { name: name.to_string(), identify, endpoints, defaults, models })
    }
}

impl IdentifyFile {
    fn into_identify(self, loc: &Loc) -> PResult<Identify> {
        let ble = self.ble.map(|ble| ble.0.into_ble(&loc.key("ble"))).transpose()?;
        let serial = self.serial.map(|serial| serial.0.into_settings(&loc.key("serial"))).transpose()?;
        let websocket_names = match self.websocket {
            Some(websocket) => names(&loc.key("websocket").key("names"), websocket.0.names)?,
            None => Vec::new(),
        };
        Ok(Identify { ble, serial, websocket_names })
    }
}

/// A list of names, none of them blank.
fn names(loc: &Loc, list: Vec<String>) -> PResult<Vec<String>> {
    for (position, name) in list.iter().enumerate() {
        non_empty(&loc.index(position), name)?;
    }
    Ok(fitted(list))
}

impl BleFile {
    fn into_ble(self, loc: &Loc) -> PResult<BleIdentify> {
        let names_loc = loc.key("names");
        let names = names(&names_loc, self.names.unwrap_or_default())?;
        for (position, name) in names.iter().enumerate() {
            if name.trim_end_matches('*').contains('*') || name == "*" {
                return Err(names_loc
                    .index(position)
                    .err("'*' may only end a name, after at least one character (\"LVS-*\")"));
            }
        }
        let manufacturer_data: Vec<ManufacturerData> =
            self.manufacturer_data.unwrap_or_default().into_iter().map(|rule| rule.0.into_rule()).collect();
        let services_loc = loc.key("advertised_services");
        let advertised_services = self
            .advertised_services
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(position, uuid)| uuid_at(&services_loc.index(position), uuid))
            .collect::<PResult<Vec<String>>>()?;
        if names.is_empty() && manufacturer_data.is_empty() && advertised_services.is_empty() {
            return Err(loc.err("needs names, manufacturer_data or advertised_services to recognise anything"));
        }
        Ok(BleIdentify { names, manufacturer_data, advertised_services })
    }
}

impl ManufacturerDataFile {
    pub(crate) fn into_rule(self) -> ManufacturerData {
        ManufacturerData { company: self.company, data: self.data.map(fitted) }
    }
}

impl SerialFile {
    fn into_settings(self, loc: &Loc) -> PResult<SerialSettings> {
        let overrides =
            serial_overrides(loc, Some(self.baud_rate), self.data_bits, self.stop_bits, self.parity.as_deref())?;
        Ok(overrides.apply_to(SerialSettings::default()))
    }
}

/// A model's or the defaults' message gap: 0 to 60 s.
fn message_gap(loc: &Loc, gap: Option<u32>) -> PResult<Option<u32>> {
    gap.map(|gap| whole_in(&loc.key("message_gap_ms"), i64::from(gap), 0, 60_000).map(|gap| gap as u32)).transpose()
}

fn variant(loc: &Loc, variant: Option<String>) -> PResult<Option<String>> {
    if let Some(text) = &variant {
        non_empty(&loc.key("variant"), text)?;
    }
    Ok(variant)
}

impl DefaultsFile {
    fn into_model(self, loc: &Loc) -> PResult<ModelDef> {
        non_empty(&loc.key("name"), &self.name)?;
        let variant = variant(loc, self.variant)?;
        let message_gap_ms = message_gap(loc, self.message_gap_ms)?;
        // Defaults without features: a protocol that only knows its listed models (the
        // reference's Kiiroo v2.1).
        let features = features(&loc.key("features"), self.features)?;
        Ok(ModelDef { identifiers: Vec::new(), name: self.name, variant, message_gap_ms, features: Some(features) })
    }
}

impl ModelFile {
    fn into_model(self, loc: &Loc) -> PResult<ModelDef> {
        let identifiers_loc = loc.key("identifiers");
        let identifiers = names(&identifiers_loc, self.identifiers)?;
        if identifiers.is_empty() {
            return Err(identifiers_loc.err("a model needs at least one identifier"));
        }
        non_empty(&loc.key("name"), &self.name)?;
        let variant = variant(loc, self.variant)?;
        let message_gap_ms = message_gap(loc, self.message_gap_ms)?;
        let features = match self.features {
            Some(list) if list.is_empty() => {
                return Err(loc
                    .key("features")
                    .err("a device needs at least one feature (leave \"features\" out to use the defaults)"))
            }
            Some(list) => Some(features(&loc.key("features"), list)?),
            None => None,
        };
        Ok(ModelDef { identifiers, name: self.name, variant, message_gap_ms, features })
    }
}

/// A model's features, allocated at their final length.
fn features(loc: &Loc, files: Vec<Object<FeatureFile>>) -> PResult<Vec<Feature>> {
    let mut features: Vec<Feature> = Vec::with_capacity(files.len());
    for (position, file) in files.into_iter().enumerate() {
        let feature_loc = loc.index(position);
        // Indices count up from 0; a file may skip some (the reference database gives a
        // JoyHub's LED index 6), and they must keep increasing.
        let next = features.last().map_or(0, |previous| previous.index + 1);
        let index = match file.index {
            Some(index) if index < next => {
                return Err(feature_loc
                    .key("index")
                    .err(format!("feature indices must increase (expected {next} or more)")))
            }
            Some(index) => index,
            None => next,
        };
        features.push(file.0.into_feature(&feature_loc, index)?);
    }
    Ok(features)
}

impl FeatureFile {
    fn into_feature(self, loc: &Loc, index: u32) -> PResult<Feature> {
        let outputs_loc = loc.key("outputs");
        let output_files = self.outputs.unwrap_or_default();
        let mut outputs: Vec<Output> = Vec::with_capacity(output_files.len());
        for (position, file) in output_files.into_iter().enumerate() {
            let output_loc = outputs_loc.index(position);
            let output = file.0.into_output(&output_loc)?;
            if outputs.iter().any(|known| known.kind == output.kind) {
                return Err(
                    output_loc.err(format!("this feature already has a {} output", output_type_name(output.kind)))
                );
            }
            outputs.push(output);
        }
        let inputs_loc = loc.key("inputs");
        let input_files = self.inputs.unwrap_or_default();
        let mut inputs: Vec<Input> = Vec::with_capacity(input_files.len());
        for (position, file) in input_files.into_iter().enumerate() {
            let input_loc = inputs_loc.index(position);
            let name = file.kind.clone();
            let input = file.0.into_input(&input_loc)?;
            if inputs.iter().any(|known| known.kind == input.kind) {
                return Err(input_loc.err(format!("this feature already has a {name} input")));
            }
            inputs.push(input);
        }
        if outputs.is_empty() && inputs.is_empty() {
            return Err(loc.err("a feature needs at least one output or input"));
        }
        Ok(Feature { index, description: self.description.unwrap_or_default(), outputs, inputs })
    }
}

impl OutputFile {
    fn into_output(self, loc: &Loc) -> PResult<Output> {
        let kind = output_type_at(&loc.key("type"), &self.kind)?;
        let range_loc = loc.key("range");
        let range = pair(&range_loc, &self.range)?;
        if let Some(problem) = output_range_problem(kind, range) {
            return Err(range_loc.err(problem));
        }
        let duration = match (kind, self.duration) {
            (OutputType::HwPositionWithDuration, Some(values)) => {
                let duration_loc = loc.key("duration");
                let duration = pair(&duration_loc, &values)?;
                if duration.min < 0 {
                    return Err(duration_loc.err("durations are milliseconds, 0 or more"));
                }
                Some(duration)
            }
            (OutputType::HwPositionWithDuration, None) => {
                return Err(loc.key("duration").err("position_with_duration needs a duration range [min_ms, max_ms]"))
            }
            (_, Some(_)) => return Err(loc.key("duration").err("only position_with_duration outputs have a duration")),
            (_, None) => None,
        };
        Ok(Output { kind, range, duration })
    }
}

impl InputFile {
    fn into_input(self, loc: &Loc) -> PResult<Input> {
        let kind = input_type_from_name(&self.kind).ok_or_else(|| {
            loc.key("type")
                .err(format!("unknown input type {:?} (battery, rssi, button, pressure, depth, position)", self.kind))
        })?;
        let ranges_loc = loc.key("ranges");
        let ranges = self
            .ranges
            .iter()
            .enumerate()
            .map(|(position, values)| pair(&ranges_loc.index(position), values))
            .collect::<PResult<Vec<Range>>>()?;
        if ranges.is_empty() {
            return Err(ranges_loc.err("an input needs at least one range"));
        }
        let commands_loc = loc.key("commands");
        let mut commands = Vec::with_capacity(self.commands.len());
        for (position, name) in self.commands.iter().enumerate() {
            let command_loc = commands_loc.index(position);
            let command = match name.as_str() {
                "read" => InputCommand::Read,
                "subscribe" => InputCommand::Subscribe,
                other => return Err(command_loc.err(format!("unknown input command {other:?} (read, subscribe)"))),
            };
            if commands.contains(&command) {
                return Err(command_loc.err("listed twice"));
            }
            commands.push(command);
        }
        if commands.is_empty() {
            return Err(commands_loc.err("an input needs at least one command (read, subscribe)"));
        }
        Ok(Input { kind, ranges, commands })
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::InputType;
    use serde_json::Value;

    use super::*;

    const LOVENSE_MODELS: &[(&str, &str)] = &[
        ("B", "Lovense Max"),
        ("P", "Lovense Edge"),
        ("A", "Lovense Nora"),
        ("C", "Lovense Nora"),
        ("CB", "Lovense Velvo"),
        ("L", "Lovense Ambi"),
        ("S", "Lovense Lush"),
        ("AN", "Lovense Lush Anal"),
        ("Z", "Lovense Hush"),
        ("ZA", "Lovense Synth"),
        ("W", "Lovense Domi"),
        ("O", "Lovense Osci"),
        ("V", "Lovense Mission"),
        ("CA", "Lovense Mission 2"),
        ("X", "Lovense Ferri"),
        ("R", "Lovense Diamo"),
        ("ToyS", "Loveai Dolp"),
        ("QB", "Loveai Fizz"),
        ("F", "Lovense Sex Machine"),
        ("FS", "Lovense Mini Sex Machine"),
        ("J", "Lovense Dolce"),
        ("OC", "Lovense Osci 3"),
        ("ED", "Lovense Gush"),
        ("EZ", "Lovense Gush 2"),
        ("EB", "Lovense Hyphy"),
        ("T", "Lovense Calor"),
        ("EI", "Lovense Flexer (Firmware update needed)"),
        ("EI-FW3", "Lovense Flexer"),
        ("N", "Lovense Gemini"),
        ("EA", "Lovense Gravity"),
        ("Q", "Lovense Tenera"),
        ("EL", "Lovense Ridge"),
        ("U", "Lovense Lapis"),
        ("SD", "Lovense Vulse"),
        ("H", "Lovense Solace"),
        ("BA", "Lovense Solace Pro"),
        ("WD", "Lovense Spinel"),
    ];

    fn builtin() -> Database {
        Database::builtin().unwrap_or_else(|error| panic!("built-in database: {error}"))
    }

    #[test]
    fn builtin_database_parses_and_has_the_first_families() {
        let db = builtin();
        assert_eq!(db.version_major, 1);
        for name in ["lovense", "wevibe", "wevibe-8bit", "wevibe-chorus", "satisfyer", "tcode-v03"] {
            assert!(db.protocol(name).is_some(), "{name} missing");
        }
    }

    #[test]
    fn every_lovense_identifier_resolves_to_its_model() {
        let db = builtin();
        for (identifier, name) in LOVENSE_MODELS {
            let def = db.definition("lovense", Some(identifier)).unwrap();
            assert_eq!(def.name, *name, "identifier {identifier}");
            assert_eq!(def.identifier.as_deref(), Some(*identifier));
            let battery = def.features.iter().filter_map(|f| f.input(InputType::Battery)).count();
            assert_eq!(battery, 1, "{name} has a battery input");
        }
        let lovense = db.protocol("lovense").unwrap();
        let count: usize = lovense.models.iter().map(|model| model.identifiers.len()).sum();
        assert_eq!(count, LOVENSE_MODELS.len(), "no extra identifiers");
        // Unknown letters fall back to one vibrator + battery.
        let unknown = db.definition("lovense", Some("QQ")).unwrap();
        assert_eq!(unknown.identifier, None);
        assert_eq!(unknown.name, "Lovense Device");
        assert_eq!(unknown.features[0].outputs, vec![Output::new(OutputType::Vibrate, Range::new(0, 20))]);
    }

    #[test]
    fn builtin_ranges_follow_the_protocol_table() {
        let db = builtin();
        let output = |protocol: &str, id: Option<&str>, feature: usize, kind: OutputType| {
            db.definition(protocol, id).unwrap().features[feature].output(kind).unwrap().clone()
        };
        assert_eq!(output("lovense", Some("B"), 1, OutputType::Constrict).range, Range::new(0, 3));
        assert_eq!(output("lovense", Some("A"), 1, OutputType::Rotate).range, Range::new(-20, 20));
        assert_eq!(output("wevibe", Some("Sync"), 1, OutputType::Vibrate).range, Range::new(0, 15));
        assert_eq!(output("wevibe-8bit", Some("Vector"), 0, OutputType::Vibrate).range, Range::new(0, 12));
        assert_eq!(output("wevibe-chorus", Some("Chorus"), 0, OutputType::Vibrate).range, Range::new(0, 30));
        let satisfyer = db.definition("satisfyer", Some("10006")).unwrap();
        assert_eq!(satisfyer.features.len(), 2);
        assert_eq!(satisfyer.features[1].outputs[0].range, Range::new(0, 100));
        let tcode = db.definition("tcode-v03", None).unwrap();
        assert_eq!(tcode.message_gap_ms, Some(20));
        assert_eq!(output("tcode-v03", None, 0, OutputType::Position).range, Range::new(0, 999));
        let with_duration = output("tcode-v03", None, 0, OutputType::HwPositionWithDuration);
        assert_eq!(with_duration.range, Range::new(0, 999));
        assert!(with_duration.duration.is_some());
        assert_eq!(db.protocol("tcode-v03").unwrap().identify.serial, Some(SerialSettings::default()));
        assert_eq!(
            db.protocol("lovense").unwrap().endpoints.get("0000fff0-0000-1000-8000-00805f9b34fb").unwrap()["tx"],
            "0000fff2-0000-1000-8000-00805f9b34fb"
        );
    }

    #[test]
    fn schema_and_example_are_json() {
        let schema = include_str!("../../../../device-config/plugboard-devices.schema.json");
        let value: Value = serde_json::from_str(schema).unwrap();
        assert!(value.get("$defs").is_some());
    }

    fn minimal(protocol_body: &str) -> String {
        format!(r#"{{"version": {{"major": 1, "minor": 0}}, "protocols": {{"toy": {protocol_body}}}}}"#)
    }

    fn error_of(text: &str) -> String {
        Database::from_json_str(text, "test.json").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_file_and_the_path() {
        let feature = r#"{"outputs": [{"type": "vibrate", "range": [0, 10]}]}"#;
        assert_eq!(
            error_of(&minimal(&format!(
                r#"{{"defaults": {{"name": "T", "features": [{feature}]}}, "models": [{{"identifiers": ["a"], "name": 7}}]}}"#
            ))),
            "test.json: $.protocols.toy.models[0].name: expected a string, found a number"
        );
        assert_eq!(
            error_of(&minimal(
                r#"{"defaults": {"name": "T", "features": [{"outputs": [{"type": "vibrate", "range": [5, 2]}]}]}}"#
            )),
            "test.json: $.protocols.toy.defaults.features[0].outputs[0].range: min 5 is greater than max 2"
        );
        assert!(error_of(&minimal(
            r#"{"defaults": {"name": "T", "features": [{"outputs": [{"type": "wiggle", "range": [0, 2]}]}]}}"#
        ))
        .starts_with(
            "test.json: $.protocols.toy.defaults.features[0].outputs[0].type: unknown output type \"wiggle\""
        ));
        assert!(error_of(&minimal(r#"{"defaults": {"name": "T", "featurs": []}}"#))
            .starts_with("test.json: $.protocols.toy.defaults.featurs: unknown key"));
        assert_eq!(
            error_of(&minimal(r#"{"defaults": {"name": "T"}}"#)),
            "test.json: $.protocols.toy.defaults.features: missing (required)"
        );
        assert!(error_of("{").starts_with("test.json: not valid JSON: "));
        assert!(error_of(r#"{"version": {"major": 2}, "protocols": {}}"#)
            .contains("$.version.major: format version 2 is not supported"));
        assert!(error_of(&minimal(&format!(r#"{{"identify": {{"ble": {{"names": ["A*B"]}}}}, "endpoints": {{}}, "defaults": {{"name": "T", "features": [{feature}]}}}}"#)))
            .contains("$.protocols.toy.identify.ble.names[0]"));
        assert!(error_of(&minimal(&format!(
            r#"{{"identify": {{"ble": {{"names": ["A"]}}}}, "defaults": {{"name": "T", "features": [{feature}]}}}}"#
        )))
        .contains("$.protocols.toy.endpoints: a protocol recognised over BLE"));
        assert!(error_of(&minimal(&format!(r#"{{"identify": {{"ble": {{"names": ["A"]}}}}, "endpoints": {{"0000fff0-0000-1000-8000-00805f9b34fb": {{"tz": "0000fff1-0000-1000-8000-00805f9b34fb"}}}}, "defaults": {{"name": "T", "features": [{feature}]}}}}"#)))
            .contains("unknown endpoint name \"tz\""));
        assert!(error_of(&minimal(&format!(r#"{{"defaults": {{"name": "T", "features": [{feature}]}}, "models": [{{"identifiers": ["a"], "name": "A"}}, {{"identifiers": ["a"], "name": "B"}}]}}"#)))
            .contains("$.protocols.toy.models[1]: identifier \"a\" is used by another model"));
        assert!(error_of(&minimal(
            r#"{"defaults": {"name": "T", "features": [{"outputs": [{"type": "rotate", "range": [-5, 20]}]}]}}"#
        ))
        .contains("symmetric"));
        assert!(error_of(&minimal(r#"{"defaults": {"name": "T", "features": [{"outputs": [{"type": "position_with_duration", "range": [0, 20]}]}]}}"#)).contains("duration"));
        assert!(error_of(&minimal(r#"{"defaults": {"name": "T", "features": [{"outputs": [{"type": "vibrate", "range": [0, 20], "duration": [0, 5]}]}]}}"#)).contains("only position_with_duration"));
        assert!(error_of(&minimal(r#"{"identify": {"serial": {"data_bits": 8}}, "defaults": {"name": "T", "features": [{"description": "x"}]}}"#)).contains("$.protocols.toy.identify.serial.baud_rate: missing"));
    }

    /// serde's derived structs also read an array of their fields in order; no file means that.
    #[test]
    fn an_array_is_no_object() {
        assert_eq!(
            error_of(r#"{"version": [1, 0], "protocols": {}}"#),
            "test.json: $.version: expected an object, found an array"
        );
        assert_eq!(
            error_of(&minimal(r#"{"defaults": {"name": "T", "features": [["x"]]}}"#)),
            "test.json: $.protocols.toy.defaults.features[0]: expected an object, found an array"
        );
        assert!(error_of("[]").starts_with("test.json: $: expected an object"));
    }

    #[test]
    fn models_inherit_defaults() {
        let text = minimal(
            r#"{"defaults": {"name": "T", "message_gap_ms": 30, "variant": "v1",
                             "features": [{"outputs": [{"type": "vibrate", "range": [0, 10]}]}]},
                "models": [{"identifiers": ["a", "b"], "name": "A"},
                           {"identifiers": ["c"], "name": "C", "message_gap_ms": 5,
                            "features": [{"outputs": [{"type": "rotate", "range": [-3, 3]}]},
                                         {"inputs": [{"type": "battery", "ranges": [[0, 100]], "commands": ["read", "subscribe"]}]}]}]}"#,
        );
        let db = Database::from_json_str(&text, "t").unwrap();
        let a = db.definition("toy", Some("b")).unwrap();
        assert_eq!((a.name.as_str(), a.message_gap_ms, a.variant.as_deref()), ("A", Some(30), Some("v1")));
        assert_eq!(a.features[0].outputs[0].range, Range::new(0, 10));
        let c = db.definition("toy", Some("c")).unwrap();
        assert_eq!(c.message_gap_ms, Some(5));
        assert_eq!(c.features[1].index, 1);
        assert_eq!(c.features[1].inputs[0].commands, vec![InputCommand::Read, InputCommand::Subscribe]);
        assert!(db.definition("nope", None).is_none());
    }

    #[test]
    fn endpoint_names() {
        for good in ["tx", "rxblemodel", "generic0", "generic31", "whitelist"] {
            assert!(is_endpoint_name(good), "{good}");
        }
        for bad in ["TX", "generic32", "generic", "generic01", "generic-1", ""] {
            assert!(!is_endpoint_name(bad), "{bad}");
        }
    }
}
