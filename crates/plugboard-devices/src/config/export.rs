//! Writing a [`Database`] in Plugboard's own format, the way `device-config/plugboard-devices.json`
//! is laid out: one protocol part per block, short objects (a feature, an endpoint map) on one
//! line so that a diff of the file reads as a diff of devices.
//!
//! The converter (`examples/import_reference_database.rs`) uses this to regenerate the built-in
//! database from the reference's; reading the written text back gives an equal database (tested).

use plugboard_protocol::model::{Feature, InputCommand, InputType, Range};
use serde_json::{json, Map, Value};

use super::database::{output_type_name, Database, Identify, ModelDef, ProtocolDef};

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
    let mut root = Map::new();
    root.insert("$schema".into(), json!(SCHEMA));
    root.insert("version".into(), json!({"major": super::database::DATABASE_FORMAT_MAJOR, "minor": 0}));
    if let Some(source) = imported_from {
        root.insert("imported_from".into(), json!(source));
    }
    let protocols: Map<String, Value> =
        database.protocols().map(|protocol| (protocol.name.clone(), protocol_value(protocol))).collect();
    root.insert("protocols".into(), Value::Object(protocols));
    let mut text = String::new();
    write_value(&mut text, &Value::Object(root), 0);
    text.push('\n');
    text
}

fn protocol_value(protocol: &ProtocolDef) -> Value {
    let mut map = Map::new();
    if let Some(identify) = identify_value(&protocol.identify) {
        map.insert("identify".into(), identify);
    }
    if !protocol.endpoints.is_empty() {
        map.insert("endpoints".into(), json!(protocol.endpoints));
    }
    map.insert("defaults".into(), model_value(&protocol.defaults));
    if !protocol.models.is_empty() {
        map.insert("models".into(), Value::Array(protocol.models.iter().map(model_value).collect()));
    }
    Value::Object(map)
}

fn identify_value(identify: &Identify) -> Option<Value> {
    let mut map = Map::new();
    if let Some(ble) = &identify.ble {
        let mut entry = Map::new();
        if !ble.names.is_empty() {
            entry.insert("names".into(), json!(ble.names));
        }
        if !ble.manufacturer_data.is_empty() {
            let list = ble
                .manufacturer_data
                .iter()
                .map(|rule| match &rule.data {
                    Some(data) => json!({"company": rule.company, "data": data}),
                    None => json!({"company": rule.company}),
                })
                .collect();
            entry.insert("manufacturer_data".into(), Value::Array(list));
        }
        if !ble.advertised_services.is_empty() {
            entry.insert("advertised_services".into(), json!(ble.advertised_services));
        }
        map.insert("ble".into(), Value::Object(entry));
    }
    if let Some(serial) = &identify.serial {
        map.insert(
            "serial".into(),
            json!({
                "baud_rate": serial.baud_rate,
                "data_bits": serial.data_bits,
                "stop_bits": serial.stop_bits,
                "parity": serial.parity.name(),
            }),
        );
    }
    if !identify.websocket_names.is_empty() {
        map.insert("websocket".into(), json!({"names": identify.websocket_names}));
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

fn model_value(model: &ModelDef) -> Value {
    let mut map = Map::new();
    if !model.identifiers.is_empty() {
        map.insert("identifiers".into(), json!(model.identifiers));
    }
    map.insert("name".into(), json!(model.name));
    if let Some(variant) = &model.variant {
        map.insert("variant".into(), json!(variant));
    }
    if let Some(gap) = model.message_gap_ms {
        map.insert("message_gap_ms".into(), json!(gap));
    }
    if let Some(features) = &model.features {
        let mut next = 0;
        let list = features
            .iter()
            .map(|feature| {
                // The index is written only where it skips ahead; a reader counts from 0.
                let value = feature_value(feature, feature.index != next);
                next = feature.index + 1;
                value
            })
            .collect();
        map.insert("features".into(), Value::Array(list));
    }
    Value::Object(map)
}

fn range_value(range: Range) -> Value {
    json!([range.min, range.max])
}

fn feature_value(feature: &Feature, with_index: bool) -> Value {
    let mut map = Map::new();
    if with_index {
        map.insert("index".into(), json!(feature.index));
    }
    if !feature.description.is_empty() {
        map.insert("description".into(), json!(feature.description));
    }
    if !feature.outputs.is_empty() {
        let outputs = feature
            .outputs
            .iter()
            .map(|output| {
                let mut entry = Map::new();
                entry.insert("type".into(), json!(output_type_name(output.kind)));
                entry.insert("range".into(), range_value(output.range));
                if let Some(duration) = output.duration {
                    entry.insert("duration".into(), range_value(duration));
                }
                Value::Object(entry)
            })
            .collect();
        map.insert("outputs".into(), Value::Array(outputs));
    }
    if !feature.inputs.is_empty() {
        let inputs = feature
            .inputs
            .iter()
            .map(|input| {
                json!({
                    "type": input_type_name(input.kind),
                    "ranges": input.ranges.iter().map(|range| range_value(*range)).collect::<Vec<_>>(),
                    // Unsubscribe goes with subscribe; database files never list it.
                    "commands": input.commands.iter().filter_map(|command| match command {
                        InputCommand::Read => Some("read"),
                        InputCommand::Subscribe => Some("subscribe"),
                        InputCommand::Unsubscribe => None,
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        map.insert("inputs".into(), Value::Array(inputs));
    }
    Value::Object(map)
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
        _ => unreachable!("scalars are written on one line above"),
    }
}
