//! Bodies of the messages a client sends, every spec version (the Buttplug spec).
//!
//! Every body rejects unknown fields, as the reference schema does. Shapes that differ
//! between versions (RequestServerInfo) carry optional fields checked by the decoder.

use serde::{Deserialize, Serialize};

/// `{"Id": n}`: Ping, StartScanning, StopScanning, RequestDeviceList, StopAllDevices, Disconnect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdOnly {
    #[serde(rename = "Id")]
    pub id: u32,
}

/// `{"Id", "DeviceIndex"}`: StopDeviceCmd, BatteryLevelCmd, RSSILevelCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DeviceIndexOnly {
    pub id: u32,
    pub device_index: u32,
}

/// RequestServerInfo in all three shapes: v0 (no version), v1–v3 (`MessageVersion`),
/// v4 (`ProtocolVersionMajor` + `ProtocolVersionMinor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RequestServerInfo {
    pub id: u32,
    pub client_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version_major: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version_minor: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogLevel {
    Off,
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// v0–v1 RequestLog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RequestLog {
    pub id: u32,
    pub log_level: LogLevel,
}

/// v0–v1 Test (echoed by the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Test {
    pub id: u32,
    pub test_string: String,
}

/// v0–v1 SingleMotorVibrateCmd: one speed for every vibrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SingleMotorVibrateCmd {
    pub id: u32,
    pub device_index: u32,
    pub speed: f64,
}

/// v0–v1 FleshlightLaunchFW12Cmd: position and speed in 0..=99.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FleshlightLaunchFw12Cmd {
    pub id: u32,
    pub device_index: u32,
    pub position: u32,
    pub speed: u32,
}

/// v0–v1 VorzeA10CycloneCmd: speed in 0..=100 (99 and 100 are both full) and a direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VorzeA10CycloneCmd {
    pub id: u32,
    pub device_index: u32,
    pub speed: u32,
    pub clockwise: bool,
}

/// v0–v1 LovenseCmd and KiirooCmd: a raw command string for one brand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BrandCmd {
    pub id: u32,
    pub device_index: u32,
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VibrateSpeed {
    pub index: u32,
    pub speed: f64,
}

/// v1–v3 VibrateCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VibrateCmd {
    pub id: u32,
    pub device_index: u32,
    pub speeds: Vec<VibrateSpeed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Rotation {
    pub index: u32,
    pub speed: f64,
    pub clockwise: bool,
}

/// v1–v3 RotateCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RotateCmd {
    pub id: u32,
    pub device_index: u32,
    pub rotations: Vec<Rotation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Vector {
    pub index: u32,
    pub duration: u32,
    pub position: f64,
}

/// v1–v3 LinearCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LinearCmd {
    pub id: u32,
    pub device_index: u32,
    pub vectors: Vec<Vector>,
}

/// v2–v3 RawWriteCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawWriteCmd {
    pub id: u32,
    pub device_index: u32,
    pub endpoint: String,
    pub data: Vec<u8>,
    pub write_with_response: bool,
}

/// v2–v3 RawReadCmd. The spec, the schema and the reference disagree on the length and wait
/// fields (the reference server accepts both), so every spelling is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawReadCmd {
    pub id: u32,
    pub device_index: u32,
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_for_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
}

/// v2–v3 RawSubscribeCmd and RawUnsubscribeCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawEndpointCmd {
    pub id: u32,
    pub device_index: u32,
    pub endpoint: String,
}

/// v3 ActuatorType strings. `Inflate` is the v3-era name for an air pump (a Constrict output
/// in the current model); Temperature, Led and Spray are accepted as the newer reference does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActuatorType {
    Vibrate,
    Rotate,
    Oscillate,
    Constrict,
    Inflate,
    Position,
    Temperature,
    Led,
    Spray,
}

/// v3 SensorType strings; `RSSI` is the v3 spelling, `Rssi` (v4's) is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SensorType {
    Battery,
    #[serde(rename = "RSSI", alias = "Rssi")]
    Rssi,
    Button,
    Pressure,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Scalar {
    pub index: u32,
    pub scalar: f64,
    pub actuator_type: ActuatorType,
}

/// v3 ScalarCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ScalarCmd {
    pub id: u32,
    pub device_index: u32,
    pub scalars: Vec<Scalar>,
}

/// v3 SensorReadCmd, SensorSubscribeCmd and SensorUnsubscribeCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SensorCmd {
    pub id: u32,
    pub device_index: u32,
    pub sensor_index: u32,
    pub sensor_type: SensorType,
}

/// v4 StopCmd: no DeviceIndex means every device; Inputs and Outputs default to true.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct StopCmd {
    pub id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OutputValue {
    pub value: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PositionWithDuration {
    pub value: u32,
    pub duration: u32,
}

/// The `Command` object of a v4 OutputCmd: one output type and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OutputCommandV4 {
    Vibrate(OutputValue),
    Rotate(OutputValue),
    Oscillate(OutputValue),
    Constrict(OutputValue),
    Spray(OutputValue),
    Temperature(OutputValue),
    Led(OutputValue),
    Position(OutputValue),
    HwPositionWithDuration(PositionWithDuration),
}

/// v4 OutputCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OutputCmd {
    pub id: u32,
    pub device_index: u32,
    pub feature_index: u32,
    pub command: OutputCommandV4,
}

/// v4 InputCmd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct InputCmd {
    pub id: u32,
    pub device_index: u32,
    pub feature_index: u32,
    #[serde(rename = "Type")]
    pub input_type: crate::model::InputType,
    pub command: crate::model::InputCommand,
}
