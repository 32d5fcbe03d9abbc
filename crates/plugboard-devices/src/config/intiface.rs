//! Reading Intiface's user device config (the v4/v5 `user_configs` file), so users bring
//! their names, indices, allow/deny, output limits, serial ports and websocket devices along.
//!
//! Plugboard reads such a file and never writes it. Reading is lenient: an entry Plugboard
//! cannot use is skipped with a warning naming its JSON path; only a file whose overall shape
//! is wrong is an error.

use std::collections::BTreeMap;

use plugboard_protocol::model::{OutputType, Range};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::common::{output_type_from_name, protocol_name, serial_overrides, ConfigFileError, ConfigWarning};
use super::json::{self, non_empty, pair, whole_in, Loc, Object, PResult, Pair};
use super::user::{OutputSetting, SerialBinding, UserConfig, UserDevice, WebsocketBinding};

/// What kind of user config a JSON document is, told apart by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserConfigKind {
    /// Plugboard's own format (no `user_configs` key).
    Plugboard,
    /// Intiface's v4/v5 file (`user_configs`), with its `version.major` if present.
    Intiface { major: Option<u32> },
    /// Intiface's v3 (buttplug 9 era) file (`user-configs`, kebab-case): not supported.
    IntifaceV3,
}

/// Tells the kinds apart.
pub fn detect_kind(value: &Value) -> UserConfigKind {
    let Some(object) = value.as_object() else { return UserConfigKind::Plugboard };
    if object.contains_key("user_configs") {
        let major = object
            .get("version")
            .and_then(|version| version.get("major"))
            .and_then(Value::as_u64)
            .and_then(|major| u32::try_from(major).ok());
        UserConfigKind::Intiface { major }
    } else if object.contains_key("user-configs") {
        UserConfigKind::IntifaceV3
    } else {
        UserConfigKind::Plugboard
    }
}

// Intiface's file, as far as Plugboard reads it. Each entry Plugboard may have to skip (a
// protocol, a communication entry, a device, a feature, an output) is kept as raw JSON and
// read on its own, so that a damaged one is skipped with a warning instead of failing the file.

#[derive(Deserialize)]
struct IntifaceFile {
    version: Option<Object<VersionEntry>>,
    user_configs: Option<Object<UserConfigsEntry>>,
}

#[derive(Deserialize)]
struct VersionEntry {
    major: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct UserConfigsEntry {
    protocols: Option<BTreeMap<String, Box<RawValue>>>,
    devices: Option<Vec<Box<RawValue>>>,
    simulated_devices: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct ProtocolEntry {
    communication: Option<Vec<Box<RawValue>>>,
}

#[derive(Deserialize)]
struct SerialEntry {
    port: String,
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
struct DeviceEntry {
    identifier: Object<DeviceIdentifier>,
    config: Option<Object<DeviceSettingsEntry>>,
}

#[derive(Deserialize)]
struct DeviceIdentifier {
    address: String,
    protocol: String,
    identifier: Option<String>,
}

#[derive(Deserialize)]
struct DeviceSettingsEntry {
    user_config: Option<Object<UserSettingsEntry>>,
    features: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct UserSettingsEntry {
    allow: Option<bool>,
    deny: Option<bool>,
    display_name: Option<String>,
    index: Option<u32>,
    message_gap_ms: Option<u32>,
}

#[derive(Deserialize)]
struct FeatureEntry {
    output: Option<BTreeMap<String, Box<RawValue>>>,
}

#[derive(Deserialize)]
struct OutputEntry {
    value: Option<Pair>,
    disabled: Option<bool>,
    reverse: Option<bool>,
}

/// Reads Intiface user config text.
pub fn read_intiface_str(text: &str, file: &str) -> Result<(UserConfig, Vec<ConfigWarning>), ConfigFileError> {
    let intiface: IntifaceFile = json::read(text).map_err(|error| ConfigFileError::from_read(file, error))?;
    let mut reader = Reader { file, warnings: Vec::new() };
    let config = reader.read(intiface).map_err(|error| ConfigFileError::invalid(file, error))?;
    Ok((config, reader.warnings))
}

struct Reader<'f> {
    file: &'f str,
    warnings: Vec<ConfigWarning>,
}

impl Reader<'_> {
    fn warn(&mut self, path: String, message: impl Into<String>) {
        self.warnings.push(ConfigWarning::Ignored { file: self.file.to_string(), path, message: message.into() });
    }

    /// A problem with one entry, which is skipped: `what` says what was skipped.
    fn skipped(&mut self, error: json::PathError, what: &str) {
        self.warn(error.path, format!("{}; {what} skipped", error.message));
    }

    fn read(&mut self, intiface: IntifaceFile) -> PResult<UserConfig> {
        let root = Loc::Root;
        if let Some(raw) = intiface.version.and_then(|version| version.0.major) {
            let version_loc = root.key("version");
            let major_loc = version_loc.key("major");
            match json::read_at::<i64>(raw.get(), &major_loc) {
                Ok(4 | 5) => {}
                Ok(major) => self.warn(major_loc.path(), format!("version {major}: read as version 5")),
                Err(error) => self.warn(error.path, error.message),
            }
        }
        let mut config = UserConfig::default();
        let Some(Object(user)) = intiface.user_configs else {
            return Err(root.err("not an Intiface user config (no \"user_configs\")"));
        };
        let user_loc = root.key("user_configs");
        let protocols_loc = user_loc.key("protocols");
        for (name, raw) in user.protocols.unwrap_or_default() {
            let loc = protocols_loc.key(&name);
            if let Err(error) = self.read_protocol(&loc, name.clone(), &raw, &mut config) {
                self.skipped(error, "entry");
            }
        }
        let devices_loc = user_loc.key("devices");
        for (position, raw) in user.devices.unwrap_or_default().iter().enumerate() {
            let loc = devices_loc.index(position);
            match self.read_device(&loc, raw) {
                Ok((address, device)) => self.add_device(&loc, address, device, &mut config),
                Err(error) => self.skipped(error, "device entry"),
            }
        }
        if let Some(simulated) = user.simulated_devices {
            let empty = matches!(serde_json::from_str::<Vec<serde::de::IgnoredAny>>(simulated.get()), Ok(list) if list.is_empty());
            if !empty {
                self.warn(
                    user_loc.key("simulated_devices").path(),
                    "simulated devices are not imported (use Plugboard's virtual devices)",
                );
            }
        }
        Ok(config)
    }

    fn add_device(&mut self, loc: &Loc, address: String, mut device: UserDevice, config: &mut UserConfig) {
        if config.devices.contains_key(&address) {
            self.warn(loc.path(), format!("a second entry for address {address:?}; the first one is kept"));
            return;
        }
        if let Some(index) = device.index {
            if let Some((other, _)) = config.devices.iter().find(|(_, d)| d.index == Some(index)) {
                self.warn(
                    loc.path(),
                    format!("index {index} is already used by {other}; a new index will be assigned"),
                );
                device.index = None;
            }
        }
        config.devices.insert(address, device);
    }

    fn read_protocol(&mut self, loc: &Loc, name: String, raw: &RawValue, config: &mut UserConfig) -> PResult<()> {
        let protocol = protocol_name(loc, name)?;
        let mut unknown = Vec::new();
        let entry: ProtocolEntry = json::read_at_noting_ignored(raw.get(), loc, |path| unknown.push(path))?;
        for path in unknown {
            self.warn(path, "only communication entries (serial, websocket) are imported");
        }
        let communication_loc = loc.key("communication");
        for (position, raw) in entry.communication.unwrap_or_default().iter().enumerate() {
            let entry_loc = communication_loc.index(position);
            if let Err(error) = self.read_communication(&entry_loc, raw, &protocol, config) {
                self.skipped(error, "entry");
            }
        }
        Ok(())
    }

    fn read_communication(
        &mut self,
        loc: &Loc,
        raw: &RawValue,
        protocol: &str,
        config: &mut UserConfig,
    ) -> PResult<()> {
        let specifiers: BTreeMap<String, Box<RawValue>> = json::read_at(raw.get(), loc)?;
        for (kind, raw) in specifiers {
            let spec_loc = loc.key(&kind);
            match kind.as_str() {
                "serial" => {
                    let spec: SerialEntry = json::read_object_at(raw.get(), &spec_loc)?;
                    non_empty(&spec_loc.key("port"), &spec.port)?;
                    let settings = serial_overrides(
                        &spec_loc,
                        spec.baud_rate,
                        spec.data_bits,
                        spec.stop_bits,
                        spec.parity.as_deref(),
                    )?;
                    config.serial_ports.push(SerialBinding {
                        port: spec.port,
                        protocol: protocol.to_string(),
                        settings,
                    });
                }
                "websocket" => {
                    let spec: WebsocketEntry = json::read_object_at(raw.get(), &spec_loc)?;
                    non_empty(&spec_loc.key("name"), &spec.name)?;
                    config
                        .websocket_devices
                        .push(WebsocketBinding { identifier: spec.name, protocol: protocol.to_string() });
                }
                other => self.warn(spec_loc.path(), format!("{other} specifiers are not imported")),
            }
        }
        Ok(())
    }

    fn read_device(&mut self, loc: &Loc, raw: &RawValue) -> PResult<(String, UserDevice)> {
        let entry: DeviceEntry = json::read_object_at(raw.get(), loc)?;
        let identifier_loc = loc.key("identifier");
        let identifier = entry.identifier.0;
        non_empty(&identifier_loc.key("address"), &identifier.address)?;
        let protocol_loc = identifier_loc.key("protocol");
        let protocol =
            protocol_name(&protocol_loc, identifier.protocol).map_err(|error| protocol_loc.err(error.message))?;
        let mut device =
            UserDevice { protocol: Some(protocol), identifier: identifier.identifier, ..UserDevice::default() };
        let Some(Object(settings)) = entry.config else { return Ok((identifier.address, device)) };
        let config_loc = loc.key("config");
        if let Some(Object(user)) = settings.user_config {
            device.allow = user.allow.unwrap_or(false);
            device.deny = user.deny.unwrap_or(false);
            device.display_name = user.display_name.filter(|name| !name.trim().is_empty());
            device.index = user.index;
            let user_loc = config_loc.key("user_config");
            let gap_loc = user_loc.key("message_gap_ms");
            device.message_gap_ms = user
                .message_gap_ms
                .map(|gap| whole_in(&gap_loc, i64::from(gap), 0, 60_000).map(|gap| gap as u32))
                .transpose()?;
        }
        if let Some(raw) = settings.features {
            let features_loc = config_loc.key("features");
            // Features are matched by their position in the list (= feature index).
            let features = match json::read_at::<Vec<Box<RawValue>>>(raw.get(), &features_loc) {
                Ok(features) => features,
                Err(error) => {
                    self.skipped(error, "output settings");
                    Vec::new()
                }
            };
            for (index, raw) in features.iter().enumerate() {
                let feature_loc = features_loc.index(index);
                let outputs = match json::read_object_at::<FeatureEntry>(raw.get(), &feature_loc) {
                    Ok(FeatureEntry { output: Some(outputs) }) => outputs,
                    Ok(FeatureEntry { output: None }) => continue,
                    Err(error) => {
                        self.skipped(error, "feature");
                        continue;
                    }
                };
                let output_loc = feature_loc.key("output");
                for (name, raw) in outputs {
                    match self.read_output(&output_loc.key(&name), index as u32, &name, &raw) {
                        Ok(Some(setting)) => device.outputs.push(setting),
                        Ok(None) => {}
                        Err(error) => self.skipped(error, "output"),
                    }
                }
            }
        }
        Ok((identifier.address, device))
    }

    fn read_output(&mut self, loc: &Loc, feature: u32, name: &str, raw: &RawValue) -> PResult<Option<OutputSetting>> {
        let kind = match name {
            "hw_position_with_duration" => OutputType::HwPositionWithDuration,
            other => match output_type_from_name(other) {
                Some(kind) => kind,
                None => return Err(loc.err(format!("unknown output type {other:?}"))),
            },
        };
        let spec: OutputEntry = json::read_object_at(raw.get(), loc)?;
        let limit = match &spec.value {
            Some(values) => {
                let range = pair(&loc.key("value"), values)?;
                // Intiface keeps user ranges inside [0, max]; a signed range is read as its
                // magnitudes.
                Some(Range::new(range.min.max(0), range.max.max(0)))
            }
            None => None,
        };
        let disabled = spec.disabled.unwrap_or(false);
        if spec.reverse.unwrap_or(false) {
            self.warn(loc.key("reverse").path(), "reversed positions are not supported yet");
        }
        if limit.is_none() && !disabled {
            return Ok(None);
        }
        Ok(Some(OutputSetting { feature, kind, limit, disabled }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::database::Parity;
    use crate::config::user::SerialOverrides;

    /// Written by hand after the shape of Intiface's v5 `user_configs` file.
    const V5_EXAMPLE: &str = r#"{
      "version": {"major": 5, "minor": 57},
      "user_configs": {
        "protocols": {
          "tcode-v03": {"communication": [
            {"serial": {"port": "/dev/ttyUSB0", "baud_rate": 115200, "data_bits": 8, "stop_bits": 1, "parity": "N"}}
          ]},
          "lovense": {"communication": [
            {"websocket": {"name": "FakeHush"}},
            {"btle": {"names": ["MyToy"], "services": {}}}
          ]}
        },
        "devices": [
          {"identifier": {"address": "E3:81:AA:10:22:9F", "protocol": "lovense", "identifier": "B"},
           "config": {"id": "4a4f0a43-5b1c-4b3e-9b3a-3d5d2b0f7a11", "base_id": "0b8cc5c9-6a48-4b53-8a63-2a4b7cf1d001",
             "features": [
               {"id": "f0", "base_id": "b0", "output": {"vibrate": {"value": [0, 15], "disabled": false}}},
               {"id": "f1", "base_id": "b1", "output": {"constrict": {"value": [0, 3], "disabled": true}}},
               {"id": "f2", "base_id": "b2", "input": {"battery": {"value": [[0, 100]], "command": ["Read"]}}}
             ],
             "user_config": {"allow": false, "deny": false, "display_name": "Bedroom Max", "index": 0, "message_gap_ms": 50}}},
          {"identifier": {"address": "/dev/ttyUSB0", "protocol": "tcode-v03", "identifier": null},
           "config": {"id": "x", "base_id": "y",
             "features": [{"id": "p", "base_id": "q", "output": {
                "position": {"value": [10, 90], "reverse": true},
                "hw_position_with_duration": {"value": [0, 800], "duration": [0, 5000]}}}],
             "user_config": {"allow": true, "deny": false, "index": 1}}},
          {"identifier": {"address": "11:22", "protocol": "wevibe", "identifier": "Sync"},
           "config": {"features": [{"output": {"vibrate": {"value": [0, 15]}}}, {"output": {"vibrate": {"value": [0, 8]}}}],
             "user_config": {"allow": false, "deny": true, "index": 1}}},
          {"identifier": {"address": "broken"}, "config": {}},
          {"identifier": {"address": "E3:81:AA:10:22:9F", "protocol": "lovense", "identifier": "Z"},
           "config": {"user_config": {"allow": false, "deny": false, "index": 7}}}
        ],
        "simulated_devices": [{"identifier": "simulated-2vibe", "address": "simulated:1", "display_name": "Sim"}]
      }
    }"#;

    #[test]
    fn kinds_are_told_apart_by_content() {
        let kind = |text: &str| detect_kind(&serde_json::from_str(text).unwrap());
        assert_eq!(kind(V5_EXAMPLE), UserConfigKind::Intiface { major: Some(5) });
        assert_eq!(
            kind(r#"{"version": {"major": 4, "minor": 0}, "user_configs": {}}"#),
            UserConfigKind::Intiface { major: Some(4) }
        );
        assert_eq!(kind(r#"{"user-configs": {}}"#), UserConfigKind::IntifaceV3);
        assert_eq!(kind(r#"{"format": "plugboard-user-device-config", "version": 1}"#), UserConfigKind::Plugboard);
        assert_eq!(kind(r#"{}"#), UserConfigKind::Plugboard);
    }

    #[test]
    fn reads_a_v5_file() {
        let (config, warnings) = read_intiface_str(V5_EXAMPLE, "intiface.json").unwrap();
        let max = config.device("E3:81:AA:10:22:9F").unwrap();
        assert_eq!(max.protocol.as_deref(), Some("lovense"));
        assert_eq!(max.identifier.as_deref(), Some("B"));
        assert_eq!(max.display_name.as_deref(), Some("Bedroom Max"));
        assert_eq!((max.index, max.allow, max.deny, max.message_gap_ms), (Some(0), false, false, Some(50)));
        let vibrate = max.output(0, OutputType::Vibrate).unwrap();
        assert_eq!((vibrate.limit, vibrate.disabled), (Some(Range::new(0, 15)), false));
        let constrict = max.output(1, OutputType::Constrict).unwrap();
        assert_eq!((constrict.limit, constrict.disabled), (Some(Range::new(0, 3)), true));
        assert_eq!(max.outputs.len(), 2, "inputs are not outputs");

        let tcode = config.device("/dev/ttyUSB0").unwrap();
        assert_eq!(tcode.identifier, None);
        assert!(tcode.allow);
        assert_eq!(tcode.output(0, OutputType::Position).unwrap().limit, Some(Range::new(10, 90)));
        assert_eq!(tcode.output(0, OutputType::HwPositionWithDuration).unwrap().limit, Some(Range::new(0, 800)));

        let sync = config.device("11:22").unwrap();
        assert!(sync.deny);
        assert_eq!(sync.index, None, "index 1 was taken by the TCode device");
        assert_eq!(sync.output(1, OutputType::Vibrate).unwrap().limit, Some(Range::new(0, 8)));

        assert_eq!(config.devices.len(), 3, "the broken entry and the second entry for one address are skipped");
        assert_eq!(
            config.serial_ports,
            vec![SerialBinding {
                port: "/dev/ttyUSB0".into(),
                protocol: "tcode-v03".into(),
                settings: SerialOverrides {
                    baud_rate: Some(115200),
                    data_bits: Some(8),
                    stop_bits: Some(1),
                    parity: Some(Parity::None)
                },
            }]
        );
        assert_eq!(
            config.websocket_devices,
            vec![WebsocketBinding { identifier: "FakeHush".into(), protocol: "lovense".into() }]
        );

        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        let has = |fragment: &str| text.iter().any(|w| w.contains(fragment));
        assert!(
            has("$.user_configs.protocols.lovense.communication[1].btle: ignored: btle specifiers are not imported"),
            "{text:#?}"
        );
        assert!(has("$.user_configs.devices[1].config.features[0].output.position.reverse"), "{text:#?}");
        assert!(has("$.user_configs.devices[2]: ignored: index 1 is already used"), "{text:#?}");
        assert!(has("$.user_configs.devices[3].identifier.protocol: ignored: missing"), "{text:#?}");
        assert!(has("$.user_configs.devices[4]: ignored: a second entry"), "{text:#?}");
        assert!(has("$.user_configs.simulated_devices"), "{text:#?}");
        assert!(text.iter().all(|w| w.starts_with("intiface.json: ")));
    }

    #[test]
    fn a_v4_file_and_bad_shapes() {
        let v4 = r#"{"version": {"major": 4, "minor": 0}, "user_configs": {"devices": [
            {"identifier": {"address": "A", "protocol": "lovense", "identifier": "S"},
             "config": {"features": [{"output": {"vibrate": {"value": [-5, 12]}}}, {"output": {"wobble": {"value": [0, 1]}}}],
                        "user_config": {"allow": true, "deny": false, "index": 2, "display_name": ""}}}]}}"#;
        let (config, warnings) = read_intiface_str(v4, "v4.json").unwrap();
        let device = config.device("A").unwrap();
        assert_eq!(device.display_name, None);
        assert_eq!(device.output(0, OutputType::Vibrate).unwrap().limit, Some(Range::new(0, 12)));
        assert_eq!(device.outputs.len(), 1);
        assert_eq!(warnings.len(), 1);

        assert!(read_intiface_str(r#"{"user_configs": []}"#, "x.json")
            .unwrap_err()
            .to_string()
            .starts_with("x.json: $.user_configs: expected an object"));
        assert!(read_intiface_str(r#"{"user_configs": {"devices": {}}}"#, "x.json").is_err());
        assert!(read_intiface_str(r#"{"other": 1}"#, "x.json").is_err());
        assert!(read_intiface_str("not json", "x.json").is_err());
        // Odd but well-formed entries never fail the file.
        let odd = r#"{"version": {"major": "five"}, "user_configs": {"protocols": {"BAD NAME": {}, "ok": {"communication": [{"serial": {"port": 5}}, 3]}},
                      "devices": [1, {"identifier": {"address": "Q", "protocol": "ok"}, "config": {"features": [{"output": []}]}}]}}"#;
        let (config, warnings) = read_intiface_str(odd, "odd.json").unwrap();
        assert_eq!(config.devices.len(), 1);
        assert!(warnings.len() >= 5, "{warnings:#?}");
    }
}
