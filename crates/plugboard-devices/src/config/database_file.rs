//! Plugboard's device database file as written (`device-config/plugboard-devices.json`): the
//! serde types that mirror its JSON. [`super::database`] reads them into a [`super::Database`]
//! and checks what the shape cannot say; [`super::export`] writes a database through them; and
//! `device-config/plugboard-devices.schema.json` is generated from them ([`super::schema`]).
//!
//! Every object is an [`Object`], which refuses an array in its place. The format is strict: an
//! unknown key is an error (it is most often a typo in a file written
//! by hand), named by its JSON path.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::json::Object;
use super::json::Pair;

/// The device database: per protocol, how its hardware is recognised, its Bluetooth LE
/// endpoints, and the device models it knows.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Plugboard device database")]
pub struct DatabaseFile {
    /// Where an editor finds this schema.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub version: Object<VersionFile>,
    /// Which reference device database this file was generated from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<String>,
    /// By protocol name: lowercase letters, digits, '-' and '_'.
    #[schemars(extend("minProperties" = 1, "propertyNames" = {"pattern": "^[a-z0-9_][a-z0-9_-]*$"}))]
    pub protocols: BTreeMap<String, Object<ProtocolFile>>,
}

/// `major`: the format (this Plugboard reads 1); `minor`: the revision of the data.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionFile {
    #[schemars(range(min = 1, max = 1))]
    pub major: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor: Option<u32>,
}

/// One protocol.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtocolFile {
    /// How the protocol's hardware is recognised on each transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identify: Option<Object<IdentifyFile>>,
    /// BLE service UUID to endpoint name (`tx`, `rx`, `generic0` .. `generic31`, ...) to
    /// characteristic UUID. Needed by every protocol recognised over BLE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<BTreeMap<Uuid, BTreeMap<String, Uuid>>>")]
    pub endpoints: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// What a device of this protocol is when no model matches its identifier.
    pub defaults: Object<DefaultsFile>,
    /// The models the protocol knows, by the identifiers its identify step produces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<Object<ModelFile>>>,
}

/// How a protocol's hardware is recognised.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifyFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ble: Option<Object<BleFile>>,
    /// Port settings (the ports themselves are bound in the user config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Object<SerialFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket: Option<Object<WebsocketFile>>,
}

/// What a Bluetooth LE advertisement must show; any one rule that matches is enough.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BleFile {
    /// Exact names, or prefixes ending in `*` ("LVS-*").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<BleName>>")]
    pub names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_data: Option<Vec<Object<ManufacturerDataFile>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Uuid>>")]
    pub advertised_services: Option<Vec<String>>,
}

/// A manufacturer-data rule: the company id, and optionally bytes that must match.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManufacturerDataFile {
    pub company: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<u8>>,
}

/// How to open a serial port of this protocol.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SerialFile {
    #[schemars(range(min = 1))]
    pub baud_rate: u32,
    /// 8 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 8))]
    pub data_bits: Option<u8>,
    /// 1 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2))]
    pub stop_bits: Option<u8>,
    /// `none` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ParityName>")]
    pub parity: Option<String>,
}

/// Identifiers that device-websocket clients announce.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebsocketFile {
    #[schemars(with = "Vec<NonEmpty>")]
    pub names: Vec<String>,
}

/// A protocol's defaults: a model without identifiers.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultsFile {
    #[schemars(with = "NonEmpty")]
    pub name: String,
    /// A protocol-specific sub-variant, if the protocol needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<NonEmpty>")]
    pub variant: Option<String>,
    /// The least time between two messages to the device, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 60000))]
    pub message_gap_ms: Option<u32>,
    /// Empty: the protocol knows only its listed models.
    pub features: Vec<Object<FeatureFile>>,
}

/// A device model.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// The identifiers the protocol's identify step produces for this model.
    #[schemars(with = "Vec<NonEmpty>", length(min = 1))]
    pub identifiers: Vec<String>,
    #[schemars(with = "NonEmpty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<NonEmpty>")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 60000))]
    pub message_gap_ms: Option<u32>,
    /// Left out: the protocol defaults' features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub features: Option<Vec<Object<FeatureFile>>>,
}

/// One feature: at least one output or input.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureFile {
    /// Counted from 0 when left out; given, it must be more than the previous feature's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<Object<OutputFile>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<Object<InputFile>>>,
}

/// An output and its range of hardware steps.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputFile {
    #[serde(rename = "type")]
    #[schemars(with = "OutputTypeName")]
    pub kind: String,
    /// `[0, max]`, or `[-max, max]` for outputs with a direction.
    #[schemars(with = "RangeSchema")]
    pub range: Pair,
    /// `[min_ms, max_ms]`; position_with_duration outputs only, and they need it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RangeSchema>")]
    pub duration: Option<Pair>,
}

/// An input (a sensor) and what clients may do with it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    #[serde(rename = "type")]
    #[schemars(with = "InputTypeName")]
    pub kind: String,
    #[schemars(with = "Vec<RangeSchema>", length(min = 1))]
    pub ranges: Vec<Pair>,
    #[schemars(with = "Vec<InputCommandName>", length(min = 1))]
    pub commands: Vec<String>,
}

// Schema-only types: what the strings and pairs above may hold. The readers check the same
// (the messages name the JSON path); these tell editors.

/// The output types Plugboard's files name.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OutputTypeName {
    Vibrate,
    Rotate,
    Oscillate,
    Constrict,
    Inflate,
    Temperature,
    Led,
    Spray,
    Position,
    PositionWithDuration,
}

#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum InputTypeName {
    Battery,
    Rssi,
    Button,
    Pressure,
    Depth,
    Position,
}

#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum InputCommandName {
    Read,
    Subscribe,
}

/// Serial parity; Intiface's `N`, `O` and `E` are read too.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ParityName {
    None,
    Odd,
    Even,
}

/// `[min, max]` with `min <= max`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct RangeSchema([i32; 2]);

/// A UUID, 8-4-4-4-12 hex digits (any case).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Uuid(
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
    String,
);

/// Text that is not only white space.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct NonEmpty(#[schemars(regex(pattern = r"\S"))] String);

/// A name, or a prefix ending in `*`; `*` nowhere else.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct BleName(#[schemars(regex(pattern = r"^[^*]*[^*\s][^*]*\*?$"))] String);
