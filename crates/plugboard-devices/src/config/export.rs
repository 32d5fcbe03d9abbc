//! Writing a [`Database`] in Plugboard's own format, the way `device-config/plugboard-devices.json`
//! is laid out: one protocol part per block, short objects (a feature, an endpoint map) on one
//! line so that a diff of the file reads as a diff of devices.
//!
//! The converter (`examples/import_reference_database.rs`) uses this to regenerate the built-in
//! database from the reference's; reading the written text back gives an equal database (tested).

use plugboard_protocol::model::{Feature, InputCommand, InputType, Range};
use serde_json::{Map, Value};

use super::common::{output_type_name, Identify, ModelDef, ProtocolDef};
use super::database::{Database, DATABASE_FORMAT_MAJOR};
use super::database_file::{
    BleFile, DatabaseFile, DefaultsFile, FeatureFile, IdentifyFile, InputFile, ManufacturerDataFile, ModelFile, Object,
    OutputFile, ProtocolFile, SerialFile, VersionFile, WebsocketFile,
};

/// Where the JSON schema sits relative to the database file.
const SCHEMA: &str = "./plugboard-devices.schema.json";

/// Lines up to this width stay on one line.
const LINE_WIDTH: usize = 110;

/// Key order in the written file: the order a reader wants (name before features, type before
/// range). Keys not listed follow in alphabetical order.
const KEY_ORDER: &[&str] = &[
    "$schema",
    "version",
    "imported_from",
    "protocols",
    "major",
    "minor",
    "identify",
    "endpoints",
    "defaults",
    "models",
    "ble",
    "serial",
    "websocket",
    "names",
    "manufacturer_data",
    "advertised_services",
    "company",
    "data",
    "baud_rate",
    "data_bits",
    "stop_bits",
    "parity",
    "identifiers",
    "name",
    "variant",
    "message_gap_ms",
    "features",
    "index",
    "description",
    "outputs",
    "inputs",
    "type",
    "range",
    "duration",
    "ranges",
    "commands",
];

/// The database as Plugboard-format JSON text. `imported_from` (e.g. "reference device config
/// v5.57") is recorded in the file so a reader knows where the facts came from.
pub fn to_plugboard_json(database: &Database, imported_from: Option<&str>) -> String {
    let file = database_file(database, imported_from);
    // The file types hold strings, numbers and maps with string keys: nothing that JSON
    // cannot hold, so this cannot fail.
    let value = serde_json::to_value(&file).unwrap_or(Value::Null);
    let mut text = String::new();
    write_value(&mut text, &value, 0);
    text.push('\n');
    text
}

/// The database in the types of Plugboard's file format.
pub fn database_file(database: &Database, imported_from: Option<&str>) -> DatabaseFile {
    DatabaseFile {
        schema: Some(SCHEMA.to_string()),
        version: Object(VersionFile { major: DATABASE_FORMAT_MAJOR, minor: Some(0) }),
        imported_from: imported_from.map(str::to_string),
        protocols: database
            .protocols()
            .map(|protocol| (protocol.name.clone(), Object(protocol_file(protocol))))
            .collect(),
    }
}

fn protocol_file(protocol: &ProtocolDef) -> ProtocolFile {
    let models = &protocol.models;
    ProtocolFile {
        identify: identify_file(&protocol.identify),
        endpoints: (!protocol.endpoints.is_empty()).then(|| protocol.endpoints.clone()),
        defaults: Object(defaults_file(&protocol.defaults)),
        models: (!models.is_empty()).then(|| models.iter().map(|model| Object(model_file(model))).collect()),
    }
}

fn identify_file(identify: &Identify) -> Option<Object<IdentifyFile>> {
    let ble = identify.ble.as_ref().map(|ble| {
        Object(BleFile {
            names: (!ble.names.is_empty()).then(|| ble.names.clone()),
            manufacturer_data: (!ble.manufacturer_data.is_empty()).then(|| {
                ble.manufacturer_data
                    .iter()
                    .map(|rule| Object(ManufacturerDataFile { company: rule.company, data: rule.data.clone() }))
                    .collect()
            }),
            advertised_services: (!ble.advertised_services.is_empty()).then(|| ble.advertised_services.clone()),
        })
    });
    let serial = identify.serial.map(|serial| {
        Object(SerialFile {
            baud_rate: serial.baud_rate,
            data_bits: Some(serial.data_bits),
            stop_bits: Some(serial.stop_bits),
            parity: Some(serial.parity.name().to_string()),
        })
    });
    let websocket = (!identify.websocket_names.is_empty())
        .then(|| Object(WebsocketFile { names: identify.websocket_names.clone() }));
    (ble.is_some() || serial.is_some() || websocket.is_some()).then_some(Object(IdentifyFile {
        ble,
        serial,
        websocket,
    }))
}

fn defaults_file(model: &ModelDef) -> DefaultsFile {
    DefaultsFile {
        name: model.name.clone(),
        variant: model.variant.clone(),
        message_gap_ms: model.message_gap_ms,
        features: model.features.as_deref().map(feature_files).unwrap_or_default(),
    }
}

fn model_file(model: &ModelDef) -> ModelFile {
    ModelFile {
        identifiers: model.identifiers.clone(),
        name: model.name.clone(),
        variant: model.variant.clone(),
        message_gap_ms: model.message_gap_ms,
        features: model.features.as_deref().map(feature_files),
    }
}

fn feature_files(features: &[Feature]) -> Vec<Object<FeatureFile>> {
    let mut next = 0;
    features
        .iter()
        .map(|feature| {
            // The index is written only where it skips ahead; a reader counts from 0.
            let file = Object(feature_file(feature, feature.index != next));
            next = feature.index + 1;
            file
        })
        .collect()
}

fn pair(range: Range) -> Vec<i64> {
    vec![i64::from(range.min), i64::from(range.max)]
}

fn feature_file(feature: &Feature, with_index: bool) -> FeatureFile {
    let outputs = feature.outputs.iter().map(|output| {
        Object(OutputFile {
            kind: output_type_name(output.kind).to_string(),
            range: pair(output.range),
            duration: output.duration.map(pair),
        })
    });
    let inputs = feature.inputs.iter().map(|input| {
        Object(InputFile {
            kind: input_type_name(input.kind).to_string(),
            ranges: input.ranges.iter().copied().map(pair).collect(),
            // Unsubscribe goes with subscribe; database files never list it.
            commands: input
                .commands
                .iter()
                .filter_map(|command| match command {
                    InputCommand::Read => Some("read".to_string()),
                    InputCommand::Subscribe => Some("subscribe".to_string()),
                    InputCommand::Unsubscribe => None,
                })
                .collect(),
        })
    });
    FeatureFile {
        index: with_index.then_some(feature.index),
        description: (!feature.description.is_empty()).then(|| feature.description.clone()),
        outputs: (!feature.outputs.is_empty()).then(|| outputs.collect()),
        inputs: (!feature.inputs.is_empty()).then(|| inputs.collect()),
    }
}

fn input_type_name(kind: InputType) -> &'static str {
    match kind {
        InputType::Battery => "battery",
        InputType::Rssi => "rssi",
        InputType::Button => "button",
        InputType::Pressure => "pressure",
        InputType::Depth => "depth",
        InputType::Position => "position",
    }
}

fn ordered_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    let rank = |key: &str| KEY_ORDER.iter().position(|known| *known == key).unwrap_or(KEY_ORDER.len());
    entries.sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    entries
}

/// One line: `{"a": 1, "b": [2, 3]}`.
fn compact(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("[{}]", items.iter().map(compact).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            ordered_entries(map)
                .into_iter()
                .map(|(key, value)| format!("{}: {}", Value::String(key.clone()), compact(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        scalar => scalar.to_string(),
    }
}

fn write_value(out: &mut String, value: &Value, indent: usize) {
    let one_line = compact(value);
    let is_container = matches!(value, Value::Array(_) | Value::Object(_));
    // The top level and the protocol map are always expanded, whatever their size.
    if !is_container || (indent >= 4 && indent + one_line.len() <= LINE_WIDTH) {
        out.push_str(&one_line);
        return;
    }
    let pad = " ".repeat(indent + 2);
    match value {
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                write_value(out, item, indent + 2);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("{\n");
            let entries = ordered_entries(map);
            let count = entries.len();
            for (i, (key, item)) in entries.into_iter().enumerate() {
                out.push_str(&pad);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_value(out, item, indent + 2);
                out.push_str(if i + 1 < count { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
