//! Plugboard's user device config: what the user decided about particular devices (by
//! address), which serial ports and websocket identifiers belong to which protocol.
//!
//! ```json
//! {"format": "plugboard-user-device-config", "version": 1,
//!  "devices": {"E3:81:AA:10:22:9F": {"protocol": "lovense", "identifier": "B",
//!      "display_name": "Bedroom Max", "index": 0, "allow": false, "deny": false,
//!      "outputs": [{"feature": 0, "type": "vibrate", "limit": [0, 12]},
//!                  {"feature": 1, "type": "constrict", "disabled": true}]}},
//!  "serial_ports": [{"port": "/dev/ttyUSB0", "protocol": "tcode-v03", "baud_rate": 115200}],
//!  "websocket_devices": [{"identifier": "FakeHush", "protocol": "lovense"}]}
//! ```

use std::collections::{BTreeMap, BTreeSet};

use plugboard_protocol::model::{OutputType, Range};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{output_type_at, output_type_name, protocol_name, serial_overrides, ConfigFileError};
pub use super::common::{ConfigWarning, SerialOverrides};
use super::database_file::{OutputTypeName, ParityName};
use super::json::{self, non_empty, pair, whole_in, Loc, Object, PResult, Pair};

/// The `format` value Plugboard writes.
pub const USER_CONFIG_FORMAT: &str = "plugboard-user-device-config";
/// The `version` Plugboard writes and reads.
pub const USER_CONFIG_VERSION: u32 = 1;

/// The user's settings for one output of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSetting {
    /// Feature index in the device definition.
    pub feature: u32,
    pub kind: OutputType,
    /// The part of the hardware's range to use, `[lo, hi]` with `0 <= lo <= hi` (for signed
    /// outputs such as rotation, a range of speeds in either direction).
    pub limit: Option<Range>,
    /// Hide this output from clients.
    pub disabled: bool,
}

impl OutputSetting {
    /// The range of hardware steps that client commands map onto, given the output's range
    /// in the device definition: the limit clamped to `[0, base.max]`, or `[0, base.max]`
    /// without a limit.
    pub fn hardware_range(&self, base: Range) -> Range {
        let top = base.max.max(0);
        match self.limit {
            None => Range::new(0, top),
            Some(limit) => {
                let hi = limit.max.clamp(0, top);
                let lo = limit.min.clamp(0, hi);
                Range::new(lo, hi)
            }
        }
    }
}

/// What the user decided about one device (keyed by address in [`UserConfig::devices`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserDevice {
    /// The protocol and identifier it was last seen with (informational).
    pub protocol: Option<String>,
    pub identifier: Option<String>,
    pub display_name: Option<String>,
    /// Stable device index; assigned on first connection.
    pub index: Option<u32>,
    pub allow: bool,
    pub deny: bool,
    pub message_gap_ms: Option<u32>,
    pub outputs: Vec<OutputSetting>,
}

impl UserDevice {
    pub fn output(&self, feature: u32, kind: OutputType) -> Option<&OutputSetting> {
        self.outputs.iter().find(|output| output.feature == feature && output.kind == kind)
    }
}

/// A serial port that belongs to a protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialBinding {
    pub port: String,
    pub protocol: String,
    pub settings: SerialOverrides,
}

/// A device-websocket identifier that belongs to a protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebsocketBinding {
    pub identifier: String,
    pub protocol: String,
}

/// Whether a device at an address may be connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressDecision {
    Allowed,
    /// The user denied this address.
    Denied,
    /// Some addresses are allowed and this is not one of them.
    NotOnAllowList,
}

/// The user device config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserConfig {
    /// By device address.
    pub devices: BTreeMap<String, UserDevice>,
    pub serial_ports: Vec<SerialBinding>,
    pub websocket_devices: Vec<WebsocketBinding>,
}

impl UserConfig {
    pub fn device(&self, address: &str) -> Option<&UserDevice> {
        self.devices.get(address)
    }

    /// The entry for `address`, created empty if needed.
    pub fn device_mut(&mut self, address: &str) -> &mut UserDevice {
        self.devices.entry(address.to_string()).or_default()
    }

    /// Deny wins; if any address is allowed, only allowed addresses may connect.
    pub fn address_decision(&self, address: &str) -> AddressDecision {
        let device = self.devices.get(address);
        if device.is_some_and(|device| device.deny) {
            return AddressDecision::Denied;
        }
        let allow_list_in_use = self.devices.values().any(|device| device.allow);
        if allow_list_in_use && !device.is_some_and(|device| device.allow) {
            return AddressDecision::NotOnAllowList;
        }
        AddressDecision::Allowed
    }

    pub fn is_allowed(&self, address: &str) -> bool {
        self.address_decision(address) == AddressDecision::Allowed
    }

    /// The stable index of the device at `address`: the one it already has, else the lowest
    /// index no known device uses (recorded, with the protocol and identifier if unknown).
    pub fn assign_index(&mut self, address: &str, protocol: &str, identifier: Option<&str>) -> u32 {
        self.assign_index_avoiding(address, protocol, identifier, &BTreeSet::new())
    }

    /// [`UserConfig::assign_index`], where a new index is also none of `in_use` (the indexes of
    /// devices the config does not know, such as virtual ones).
    pub fn assign_index_avoiding(
        &mut self,
        address: &str,
        protocol: &str,
        identifier: Option<&str>,
        in_use: &BTreeSet<u32>,
    ) -> u32 {
        if let Some(index) = self.devices.get(address).and_then(|device| device.index) {
            return index;
        }
        let mut used: BTreeSet<u32> = self.devices.values().filter_map(|device| device.index).collect();
        used.extend(in_use);
        let mut index = 0u32;
        while used.contains(&index) {
            index = index.saturating_add(1);
        }
        let device = self.device_mut(address);
        device.index = Some(index);
        if device.protocol.is_none() {
            device.protocol = Some(protocol.to_string());
        }
        if device.identifier.is_none() {
            device.identifier = identifier.map(str::to_string);
        }
        index
    }

    /// Lays `newer` over this config: its devices replace ones at the same address, its
    /// bindings come first. An older device whose index a newer one uses loses its index (it
    /// gets a new one when it next connects); their addresses are returned.
    pub fn overlay(&mut self, newer: UserConfig) -> Vec<String> {
        let taken: BTreeSet<u32> = newer.devices.values().filter_map(|device| device.index).collect();
        let mut cleared = Vec::new();
        for (address, device) in self.devices.iter_mut() {
            if newer.devices.contains_key(address) {
                continue;
            }
            if device.index.is_some_and(|index| taken.contains(&index)) {
                device.index = None;
                cleared.push(address.clone());
            }
        }
        self.devices.extend(newer.devices);
        let mut serial = newer.serial_ports;
        for binding in self.serial_ports.drain(..) {
            if !serial.iter().any(|b| b.port == binding.port && b.protocol == binding.protocol) {
                serial.push(binding);
            }
        }
        self.serial_ports = serial;
        let mut websocket = newer.websocket_devices;
        for binding in self.websocket_devices.drain(..) {
            if !websocket.iter().any(|b| b.identifier == binding.identifier && b.protocol == binding.protocol) {
                websocket.push(binding);
            }
        }
        self.websocket_devices = websocket;
        cleared
    }

    /// Parses Plugboard's own user config text; `file` names it in messages. Unknown keys
    /// are reported as warnings; anything else wrong is an error.
    pub fn from_json_str(text: &str, file: &str) -> Result<(UserConfig, Vec<ConfigWarning>), ConfigFileError> {
        let mut warnings = Vec::new();
        let raw: UserConfigFile = json::read_noting_ignored(text, |path| {
            warnings.push(ConfigWarning::Ignored { file: file.to_string(), path, message: "unknown key".to_string() })
        })
        .map_err(|error| ConfigFileError::from_read(file, error))?;
        let config = raw.into_config(file, &mut warnings).map_err(|error| ConfigFileError::invalid(file, error))?;
        Ok((config, warnings))
    }

    /// The config as Plugboard writes it (pretty JSON, ending in a newline).
    pub fn to_json_string(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(&UserConfigFile::from_config(self)).unwrap_or_else(|_| "{}".to_string());
        text.push('\n');
        text
    }
}

/// Plugboard's user device config file, as written (`device-config/README.md` describes it;
/// `device-config/plugboard-user-device-config.schema.json` is generated from this type).
/// Unknown keys are read past with a warning: a newer Plugboard may have added them.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Plugboard user device config", extend("additionalProperties" = true))]
pub struct UserConfigFile {
    /// Where an editor finds the schema of this file.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Always "plugboard-user-device-config".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<FormatName>")]
    pub format: Option<String>,
    /// The format's version; this Plugboard writes and reads 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1))]
    pub version: Option<u32>,
    /// What the user decided about each device, by device address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<BTreeMap<String, Object<UserDeviceFile>>>,
    /// Serial ports that belong to a protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_ports: Option<Vec<Object<SerialBindingFile>>>,
    /// Device-websocket identifiers that belong to a protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket_devices: Option<Vec<Object<WebsocketBindingFile>>>,
}

/// The one `format` value (for the schema).
#[derive(JsonSchema)]
#[allow(dead_code)]
enum FormatName {
    #[serde(rename = "plugboard-user-device-config")]
    UserDeviceConfig,
}

/// One device's entry.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct UserDeviceFile {
    /// The protocol the device was last seen with (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The model identifier it was last seen with (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The name clients see instead of the model's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The device's stable index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Allow list: once any device is allowed, only allowed devices connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<bool>,
    /// Never connect this device (wins over allow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<bool>,
    /// The least time between two messages to the device, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 60000))]
    pub message_gap_ms: Option<u32>,
    /// Limits and switches for single outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<Object<OutputSettingFile>>>,
}

/// The user's setting for one output of a device.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct OutputSettingFile {
    /// The feature's index in the device definition.
    pub feature: u32,
    #[serde(rename = "type")]
    #[schemars(with = "OutputTypeName")]
    pub kind: String,
    /// `[lo, hi]` with `0 <= lo <= hi`: the part of the hardware's steps to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<[u32; 2]>")]
    pub limit: Option<Pair>,
    /// Hide this output from clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// A serial port bound to a protocol.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct SerialBindingFile {
    /// The port's name (`/dev/ttyUSB0`, `COM3`).
    pub port: String,
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub baud_rate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 8))]
    pub data_bits: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2))]
    pub stop_bits: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ParityName>")]
    pub parity: Option<String>,
}

/// A device-websocket identifier bound to a protocol.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct WebsocketBindingFile {
    pub identifier: String,
    pub protocol: String,
}

impl UserConfigFile {
    fn from_config(config: &UserConfig) -> UserConfigFile {
        let devices = config
            .devices
            .iter()
            .map(|(address, device)| (address.clone(), Object(UserDeviceFile::from_device(device))));
        let serial_ports = config.serial_ports.iter().map(|binding| {
            let settings = &binding.settings;
            Object(SerialBindingFile {
                port: binding.port.clone(),
                protocol: binding.protocol.clone(),
                baud_rate: settings.baud_rate,
                data_bits: settings.data_bits,
                stop_bits: settings.stop_bits,
                parity: settings.parity.map(|parity| parity.name().to_string()),
            })
        });
        let websocket_devices = config.websocket_devices.iter().map(|binding| {
            Object(WebsocketBindingFile { identifier: binding.identifier.clone(), protocol: binding.protocol.clone() })
        });
        UserConfigFile {
            schema: None,
            format: Some(USER_CONFIG_FORMAT.to_string()),
            version: Some(USER_CONFIG_VERSION),
            devices: Some(devices.collect()),
            serial_ports: Some(serial_ports.collect()),
            websocket_devices: Some(websocket_devices.collect()),
        }
    }

    fn into_config(self, file: &str, warnings: &mut Vec<ConfigWarning>) -> PResult<UserConfig> {
        let root = Loc::Root;
        if let Some(format) = &self.format {
            if format != USER_CONFIG_FORMAT {
                return Err(root.key("format").err(format!("expected {USER_CONFIG_FORMAT:?}")));
            }
        }
        if let Some(version) = self.version {
            if version > USER_CONFIG_VERSION {
                return Err(root.key("version").err(format!(
                    "version {version} was written by a newer Plugboard (this one reads version {USER_CONFIG_VERSION})"
                )));
            }
        }
        let mut config = UserConfig::default();
        let devices_loc = root.key("devices");
        let mut indices: BTreeMap<u32, String> = BTreeMap::new();
        for (address, raw) in self.devices.unwrap_or_default() {
            let loc = devices_loc.key(&address);
            if address.trim().is_empty() {
                return Err(loc.err("a device address must not be empty"));
            }
            let mut device = raw.0.into_device(&loc)?;
            if let Some(index) = device.index {
                if let Some(other) = indices.get(&index) {
                    warnings.push(ConfigWarning::Ignored {
                        file: file.to_string(),
                        path: loc.key("index").path(),
                        message: format!("index {index} is already used by {other}; a new index will be assigned"),
                    });
                    device.index = None;
                } else {
                    indices.insert(index, address.clone());
                }
            }
            config.devices.insert(address, device);
        }
        let serial_loc = root.key("serial_ports");
        for (position, Object(raw)) in self.serial_ports.unwrap_or_default().into_iter().enumerate() {
            let loc = serial_loc.index(position);
            non_empty(&loc.key("port"), &raw.port)?;
            let protocol = protocol_name(&loc.key("protocol"), raw.protocol)?;
            let settings = serial_overrides(&loc, raw.baud_rate, raw.data_bits, raw.stop_bits, raw.parity.as_deref())?;
            config.serial_ports.push(SerialBinding { port: raw.port, protocol, settings });
        }
        let websocket_loc = root.key("websocket_devices");
        for (position, Object(raw)) in self.websocket_devices.unwrap_or_default().into_iter().enumerate() {
            let loc = websocket_loc.index(position);
            non_empty(&loc.key("identifier"), &raw.identifier)?;
            let protocol = protocol_name(&loc.key("protocol"), raw.protocol)?;
            config.websocket_devices.push(WebsocketBinding { identifier: raw.identifier, protocol });
        }
        Ok(config)
    }
}

impl UserDeviceFile {
    fn from_device(device: &UserDevice) -> UserDeviceFile {
        let outputs = device.outputs.iter().map(|output| {
            Object(OutputSettingFile {
                feature: output.feature,
                kind: output_type_name(output.kind).to_string(),
                limit: output.limit.map(|limit| vec![i64::from(limit.min), i64::from(limit.max)]),
                disabled: output.disabled.then_some(true),
            })
        });
        UserDeviceFile {
            protocol: device.protocol.clone(),
            identifier: device.identifier.clone(),
            display_name: device.display_name.clone(),
            index: device.index,
            allow: Some(device.allow),
            deny: Some(device.deny),
            message_gap_ms: device.message_gap_ms,
            outputs: (!device.outputs.is_empty()).then(|| outputs.collect()),
        }
    }

    fn into_device(self, loc: &Loc) -> PResult<UserDevice> {
        let protocol = self.protocol.map(|name| protocol_name(&loc.key("protocol"), name)).transpose()?;
        let message_gap_ms = self
            .message_gap_ms
            .map(|gap| whole_in(&loc.key("message_gap_ms"), i64::from(gap), 0, 60_000).map(|gap| gap as u32))
            .transpose()?;
        let mut device = UserDevice {
            protocol,
            identifier: self.identifier,
            display_name: self.display_name.filter(|name| !name.trim().is_empty()),
            index: self.index,
            allow: self.allow.unwrap_or(false),
            deny: self.deny.unwrap_or(false),
            message_gap_ms,
            outputs: Vec::new(),
        };
        let outputs_loc = loc.key("outputs");
        for (position, Object(raw)) in self.outputs.unwrap_or_default().into_iter().enumerate() {
            let output_loc = outputs_loc.index(position);
            let kind = output_type_at(&output_loc.key("type"), &raw.kind)?;
            let limit = match &raw.limit {
                Some(values) => {
                    let limit_loc = output_loc.key("limit");
                    let limit = pair(&limit_loc, values)?;
                    if limit.min < 0 {
                        return Err(limit_loc.err("a limit is [lo, hi] with 0 <= lo <= hi"));
                    }
                    Some(limit)
                }
                None => None,
            };
            if device.output(raw.feature, kind).is_some() {
                return Err(output_loc.err(format!(
                    "feature {} {} is listed twice",
                    raw.feature,
                    output_type_name(kind)
                )));
            }
            device.outputs.push(OutputSetting {
                feature: raw.feature,
                kind,
                limit,
                disabled: raw.disabled.unwrap_or(false),
            });
        }
        Ok(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::common::Parity;

    fn allow_deny(entries: &[(&str, bool, bool)]) -> UserConfig {
        let mut config = UserConfig::default();
        for (address, allow, deny) in entries {
            let device = config.device_mut(address);
            device.allow = *allow;
            device.deny = *deny;
        }
        config
    }

    #[test]
    fn allow_and_deny() {
        let none = allow_deny(&[("a", false, false)]);
        assert_eq!(none.address_decision("a"), AddressDecision::Allowed);
        assert_eq!(none.address_decision("unknown"), AddressDecision::Allowed);

        let denied = allow_deny(&[("a", false, true)]);
        assert_eq!(denied.address_decision("a"), AddressDecision::Denied);
        assert_eq!(denied.address_decision("b"), AddressDecision::Allowed);

        let allow_list = allow_deny(&[("a", true, false), ("b", false, false)]);
        assert_eq!(allow_list.address_decision("a"), AddressDecision::Allowed);
        assert_eq!(allow_list.address_decision("b"), AddressDecision::NotOnAllowList);
        assert_eq!(allow_list.address_decision("new"), AddressDecision::NotOnAllowList);

        let both = allow_deny(&[("a", true, true), ("b", true, false)]);
        assert_eq!(both.address_decision("a"), AddressDecision::Denied, "deny wins");
        assert_eq!(both.address_decision("b"), AddressDecision::Allowed);
        assert!(!both.is_allowed("c"));
    }

    #[test]
    fn index_assignment_fills_holes_and_is_stable() {
        let mut config = UserConfig::default();
        config.device_mut("zero").index = Some(0);
        config.device_mut("two").index = Some(2);
        config.device_mut("five").index = Some(5);
        config.device_mut("named").display_name = Some("no index yet".into());
        assert_eq!(config.assign_index("new-1", "lovense", Some("Z")), 1);
        assert_eq!(config.assign_index("named", "lovense", None), 3);
        assert_eq!(config.assign_index("new-2", "wevibe", None), 4);
        assert_eq!(config.assign_index("new-3", "wevibe", None), 6);
        assert_eq!(config.assign_index("new-1", "other", None), 1, "stable");
        assert_eq!(config.assign_index("two", "x", None), 2);
        let new_1 = config.device("new-1").unwrap();
        assert_eq!((new_1.protocol.as_deref(), new_1.identifier.as_deref()), (Some("lovense"), Some("Z")));
        assert_eq!(config.device("named").unwrap().display_name.as_deref(), Some("no index yet"));
        // A forgotten device frees its index.
        config.devices.remove("two");
        assert_eq!(config.assign_index("new-4", "x", None), 2);
    }

    #[test]
    fn limits_parse_and_clamp() {
        let text = r#"{"version": 1, "devices": {"AA": {"index": 3, "outputs": [
            {"feature": 0, "type": "vibrate", "limit": [2, 15]},
            {"feature": 1, "type": "rotate", "limit": [0, 10], "disabled": true},
            {"feature": 2, "type": "position_with_duration", "limit": [100, 900]},
            {"feature": 3, "type": "vibrate", "disabled": true}]}}}"#;
        let (config, warnings) = UserConfig::from_json_str(text, "u.json").unwrap();
        assert!(warnings.is_empty());
        let device = config.device("AA").unwrap();
        let vibrate = device.output(0, OutputType::Vibrate).unwrap();
        assert_eq!(vibrate.limit, Some(Range::new(2, 15)));
        assert_eq!(vibrate.hardware_range(Range::new(0, 20)), Range::new(2, 15));
        assert_eq!(vibrate.hardware_range(Range::new(0, 10)), Range::new(2, 10), "clamped to the hardware");
        let rotate = device.output(1, OutputType::Rotate).unwrap();
        assert!(rotate.disabled);
        assert_eq!(rotate.hardware_range(Range::new(-20, 20)), Range::new(0, 10));
        assert_eq!(device.output(2, OutputType::HwPositionWithDuration).unwrap().limit, Some(Range::new(100, 900)));
        let plain = device.output(3, OutputType::Vibrate).unwrap();
        assert_eq!((plain.limit, plain.disabled), (None, true));
        assert_eq!(plain.hardware_range(Range::new(0, 20)), Range::new(0, 20));

        for (bad, fragment) in [
            (
                r#"{"devices": {"AA": {"outputs": [{"feature": 0, "type": "vibrate", "limit": [5, 2]}]}}}"#,
                "limit: min 5 is greater than max 2",
            ),
            (r#"{"devices": {"AA": {"outputs": [{"feature": 0, "type": "vibrate", "limit": [-1, 2]}]}}}"#, "0 <= lo"),
            (
                r#"{"devices": {"AA": {"outputs": [{"feature": 0, "type": "vibrate", "limit": [1]}]}}}"#,
                "expected [min, max]",
            ),
            (r#"{"devices": {"AA": {"outputs": [{"feature": 0, "type": "buzz"}]}}}"#, "unknown output type"),
            (
                r#"{"devices": {"AA": {"outputs": [{"feature": 0, "type": "vibrate"}, {"feature": 0, "type": "vibrate"}]}}}"#,
                "listed twice",
            ),
            (r#"{"devices": {"AA": {"index": -1}}}"#, "$.devices.AA.index"),
            (r#"{"devices": {"AA": {"allow": "yes"}}}"#, "$.devices.AA.allow: expected true or false"),
            (r#"{"version": 2}"#, "newer Plugboard"),
            (r#"[]"#, "expected an object"),
        ] {
            let error = UserConfig::from_json_str(bad, "u.json").unwrap_err().to_string();
            assert!(error.starts_with("u.json: $"), "{error}");
            assert!(error.contains(fragment), "{error} should contain {fragment}");
        }
    }

    #[test]
    fn an_array_is_no_object() {
        for (text, path) in [
            (r#"{"devices": {"AA": []}}"#, "$.devices.AA"),
            (r#"{"devices": {"AA": {"outputs": [[0, "vibrate"]]}}}"#, "$.devices.AA.outputs[0]"),
            (r#"{"serial_ports": [["COM3", "tcode-v03"]]}"#, "$.serial_ports[0]"),
        ] {
            let error = UserConfig::from_json_str(text, "u.json").unwrap_err().to_string();
            assert_eq!(error, format!("u.json: {path}: expected an object, found an array"));
        }
    }

    #[test]
    fn unknown_keys_and_duplicate_indices_are_warnings() {
        let text = r#"{"devices": {"A": {"index": 1, "colour": "red"}, "B": {"index": 1}}, "extra": true}"#;
        let (config, warnings) = UserConfig::from_json_str(text, "u.json").unwrap();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert_eq!(config.device("A").unwrap().index, Some(1));
        assert_eq!(config.device("B").unwrap().index, None);
        assert!(warnings.iter().any(|w| w.to_string().contains("$.devices.B.index")));
    }

    #[test]
    fn round_trip() {
        let mut config = UserConfig::default();
        let device = config.device_mut("E3:81:AA:10:22:9F");
        device.protocol = Some("lovense".into());
        device.identifier = Some("B".into());
        device.display_name = Some("Bedroom \"Max\"".into());
        device.index = Some(4);
        device.allow = true;
        device.message_gap_ms = Some(50);
        device.outputs.push(OutputSetting {
            feature: 1,
            kind: OutputType::Constrict,
            limit: Some(Range::new(0, 2)),
            disabled: true,
        });
        config.serial_ports.push(SerialBinding {
            port: "COM3".into(),
            protocol: "tcode-v03".into(),
            settings: SerialOverrides {
                baud_rate: Some(9600),
                data_bits: Some(7),
                stop_bits: Some(2),
                parity: Some(Parity::Odd),
            },
        });
        config.serial_ports.push(SerialBinding {
            port: "/dev/ttyACM0".into(),
            protocol: "tcode-v03".into(),
            settings: SerialOverrides::default(),
        });
        config.websocket_devices.push(WebsocketBinding { identifier: "FakeHush".into(), protocol: "lovense".into() });
        let text = config.to_json_string();
        let (back, warnings) = UserConfig::from_json_str(&text, "u.json").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(back, config);
        assert!(text.contains("\"format\": \"plugboard-user-device-config\""));
    }

    #[test]
    fn overlay_prefers_newer_entries() {
        let mut imported = UserConfig::default();
        imported.device_mut("a").index = Some(0);
        imported.device_mut("b").index = Some(1);
        imported.device_mut("c").display_name = Some("old".into());
        imported.websocket_devices.push(WebsocketBinding { identifier: "T".into(), protocol: "lovense".into() });
        let mut own = UserConfig::default();
        own.device_mut("c").display_name = Some("new".into());
        own.device_mut("x").index = Some(1);
        own.websocket_devices.push(WebsocketBinding { identifier: "T".into(), protocol: "lovense".into() });
        own.websocket_devices.push(WebsocketBinding { identifier: "U".into(), protocol: "lovense".into() });
        let cleared = imported.overlay(own);
        assert_eq!(cleared, ["b"]);
        assert_eq!(imported.device("c").unwrap().display_name.as_deref(), Some("new"));
        assert_eq!(imported.device("a").unwrap().index, Some(0));
        assert_eq!(imported.device("b").unwrap().index, None);
        assert_eq!(imported.device("x").unwrap().index, Some(1));
        assert_eq!(imported.websocket_devices.len(), 2);
    }

    #[test]
    fn example_user_config_parses() {
        let text = include_str!("../../../../device-config/example-user-config.json");
        let (config, warnings) = UserConfig::from_json_str(text, "example-user-config.json").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!config.devices.is_empty());
        assert!(!config.serial_ports.is_empty());
        assert!(!config.websocket_devices.is_empty());
    }
}
