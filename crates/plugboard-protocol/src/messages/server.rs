//! Bodies of the messages a server sends, every spec version (the Buttplug spec; device lists as in docs/architecture.md, Spec versions and conversion).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Error};
use crate::model::{InputCommand, InputType, Range};

use super::client::{LogLevel, SensorType};

/// `{"Id":n,"ErrorCode":c,"ErrorMessage":"..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ErrorMessage {
    pub id: u32,
    pub error_code: u8,
    pub error_message: String,
}

// Errors are told to clients as `Error` messages; the conversion lives here, with the message,
// so that the error types need nothing of the wire shapes.
impl Error {
    /// The `Error` message answering the message with this Id (0 for events).
    pub fn to_message(&self, id: u32) -> super::ServerMessage {
        super::ServerMessage::Error(ErrorMessage {
            id,
            error_code: self.code().number(),
            error_message: self.text().to_owned(),
        })
    }
}

impl DecodeError {
    /// The `Error` message to send back, with the message's Id (or 0).
    pub fn to_message(&self) -> super::ServerMessage {
        self.to_error().to_message(self.id)
    }
}

/// ServerInfo in every shape: v0/v1 carry the software version numbers and MessageVersion,
/// v2/v3 only MessageVersion, v4 ProtocolVersionMajor/Minor. Build one with
/// [`ServerInfo::for_version`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ServerInfo {
    pub id: u32,
    pub server_name: String,
    pub max_ping_time: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version_major: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version_minor: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceRemoved {
    pub id: u32,
    pub device_index: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Log {
    pub id: u32,
    pub log_level: LogLevel,
    pub log_message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BatteryLevelReading {
    pub id: u32,
    pub device_index: u32,
    pub battery_level: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RssiLevelReading {
    pub id: u32,
    pub device_index: u32,
    #[serde(rename = "RSSILevel")]
    pub rssi_level: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawReading {
    pub id: u32,
    pub device_index: u32,
    pub endpoint: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SensorReading {
    pub id: u32,
    pub device_index: u32,
    pub sensor_index: u32,
    pub sensor_type: SensorType,
    pub data: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ReadingValue<T> {
    pub value: T,
}

/// The `Reading` object of a v4 InputReading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InputReadingValue {
    Battery(ReadingValue<u8>),
    Rssi(ReadingValue<i8>),
    Button(ReadingValue<u8>),
    Pressure(ReadingValue<u32>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InputReading {
    pub id: u32,
    pub device_index: u32,
    pub feature_index: u32,
    pub reading: InputReadingValue,
}

// ---- device descriptions, one shape per version (docs/architecture.md, Spec versions and conversion) ----

/// v0: the message names a device accepts, sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceV0 {
    pub device_index: u32,
    pub device_name: String,
    pub device_messages: Vec<String>,
}

/// v1/v2 per-message attributes: `{}`, `{"FeatureCount":n}` or (v2) with `StepCount`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MessageAttributesV2 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_count: Option<Vec<u32>>,
}

/// v1 and v2: message name to attributes (v1 never carries `StepCount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceV2 {
    pub device_index: u32,
    pub device_name: String,
    pub device_messages: BTreeMap<String, MessageAttributesV2>,
}

/// `{}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ActuatorAttributes {
    pub feature_descriptor: String,
    pub step_count: u32,
    pub actuator_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SensorAttributes {
    pub feature_descriptor: String,
    pub sensor_type: SensorType,
    pub sensor_range: Vec<Range>,
}

/// v3 `DeviceMessages`: attribute arrays per message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceMessagesV3 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar_cmd: Option<Vec<ActuatorAttributes>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_cmd: Option<Vec<ActuatorAttributes>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_cmd: Option<Vec<ActuatorAttributes>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor_read_cmd: Option<Vec<SensorAttributes>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor_subscribe_cmd: Option<Vec<SensorAttributes>>,
    pub stop_device_cmd: Empty,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceV3 {
    pub device_index: u32,
    pub device_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_display_name: Option<String>,
    pub device_message_timing_gap: u32,
    pub device_messages: DeviceMessagesV3,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OutputProperties {
    pub value: Range,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Range>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InputProperties {
    pub value: Vec<Range>,
    pub command: Vec<InputCommand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FeatureV4 {
    pub feature_index: u32,
    pub feature_description: String,
    /// Output type name (v4 spelling) to its properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<BTreeMap<String, OutputProperties>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<BTreeMap<InputType, InputProperties>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceV4 {
    pub device_index: u32,
    pub device_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_display_name: Option<String>,
    pub device_message_timing_gap: u32,
    /// Keyed by the feature index as a decimal string.
    pub device_features: BTreeMap<String, FeatureV4>,
}

/// A DeviceList in the shape of one spec version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DeviceList {
    V0(DeviceListBody<Vec<DeviceV0>>),
    V1(DeviceListBody<Vec<DeviceV2>>),
    V2(DeviceListBody<Vec<DeviceV2>>),
    V3(DeviceListBody<Vec<DeviceV3>>),
    /// Devices keyed by the device index as a decimal string.
    V4(DeviceListBody<BTreeMap<String, DeviceV4>>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceListBody<D> {
    pub id: u32,
    pub devices: D,
}

/// A DeviceAdded event in the shape of one spec version (v4 has none: it sends DeviceList).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DeviceAdded {
    V0(DeviceAddedBody<DeviceV0>),
    V1(DeviceAddedBody<DeviceV2>),
    V2(DeviceAddedBody<DeviceV2>),
    V3(DeviceAddedBody<DeviceV3>),
}

/// `{"Id":0, ...device fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceAddedBody<D> {
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(flatten)]
    pub device: D,
}
