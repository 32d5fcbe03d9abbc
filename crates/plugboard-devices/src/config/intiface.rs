//! Reading Intiface's user device config (the v4/v5 `user_configs` file), so users bring
//! their names, indices, allow/deny, output limits, serial ports and websocket devices along.
//!
//! Plugboard reads such a file and never writes it. Reading is lenient: an entry Plugboard
//! cannot use is skipped with a warning naming its JSON path; only a file whose overall shape
//! is wrong is an error.

use plugboard_protocol::model::{OutputType, Range};
use serde_json::Value;

use super::database::{output_type_from_name, valid_protocol_name, ConfigFileError};
use super::json::{Node, PResult};
use super::user::{
    parse_serial_overrides, ConfigWarning, OutputSetting, SerialBinding, UserConfig, UserDevice, WebsocketBinding,
};

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

/// Reads Intiface user config text.
pub fn read_intiface_str(text: &str, file: &str) -> Result<(UserConfig, Vec<ConfigWarning>), ConfigFileError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|error| ConfigFileError::Syntax { file: file.to_string(), message: error.to_string() })?;
    read_intiface_value(&value, file)
}

/// Reads an already parsed Intiface user config.
pub fn read_intiface_value(value: &Value, file: &str) -> Result<(UserConfig, Vec<ConfigWarning>), ConfigFileError> {
    let mut reader = Reader { file, warnings: Vec::new() };
    let config = reader.read(&Node::root(value)).map_err(|error| ConfigFileError::invalid(file, error))?;
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

    fn read(&mut self, root: &Node) -> PResult<UserConfig> {
        root.object()?;
        if let Some(major_node) = root.get("version")?.map(|v| v.get("major")).transpose()?.flatten() {
            match major_node.i64() {
                Ok(4 | 5) => {}
                Ok(major) => self.warn(major_node.path.clone(), format!("version {major}: read as version 5")),
                Err(error) => self.warn(error.path, error.message),
            }
        }
        let mut config = UserConfig::default();
        let Some(user) = root.get("user_configs")? else {
            return Err(root.err("not an Intiface user config (no \"user_configs\")"));
        };
        user.object()?;
        if let Some(protocols) = user.get("protocols")? {
            for (name, protocol) in protocols.entries()? {
                if let Err(error) = self.read_protocol(name, &protocol, &mut config) {
                    self.warn(error.path, format!("{}; entry skipped", error.message));
                }
            }
        }
        if let Some(devices) = user.get("devices")? {
            for node in devices.array()? {
                match self.read_device(&node) {
                    Ok((address, device)) => self.add_device(&node, address, device, &mut config),
                    Err(error) => self.warn(error.path, format!("{}; device entry skipped", error.message)),
                }
            }
        }
        if let Some(simulated) = user.get("simulated_devices")? {
            if simulated.array().map(|items| !items.is_empty()).unwrap_or(true) {
                self.warn(
                    simulated.path.clone(),
                    "simulated devices are not imported (use Plugboard's virtual devices)",
                );
            }
        }
        Ok(config)
    }

    fn add_device(&mut self, node: &Node, address: String, mut device: UserDevice, config: &mut UserConfig) {
        if config.devices.contains_key(&address) {
            self.warn(node.path.clone(), format!("a second entry for address {address:?}; the first one is kept"));
            return;
        }
        if let Some(index) = device.index {
            if let Some((other, _)) = config.devices.iter().find(|(_, d)| d.index == Some(index)) {
                self.warn(
                    node.path.clone(),
                    format!("index {index} is already used by {other}; a new index will be assigned"),
                );
                device.index = None;
            }
        }
        config.devices.insert(address, device);
    }

    fn read_protocol(&mut self, name: &str, node: &Node, config: &mut UserConfig) -> PResult<()> {
        if !valid_protocol_name(name) {
            return Err(node.err(format!("{name:?} is not a protocol name")));
        }
        for path in node.unknown_keys(&["communication"])? {
            self.warn(path, "only communication entries (serial, websocket) are imported");
        }
        let Some(list) = node.get("communication")? else { return Ok(()) };
        for entry in list.array()? {
            let result = (|| -> PResult<()> {
                for (kind, spec) in entry.entries()? {
                    match kind {
                        "serial" => {
                            let port = spec.require("port")?.non_empty_str()?.to_string();
                            let settings = parse_serial_overrides(&spec)?;
                            config.serial_ports.push(SerialBinding { port, protocol: name.to_string(), settings });
                        }
                        "websocket" => {
                            let identifier = spec.require("name")?.non_empty_str()?.to_string();
                            config.websocket_devices.push(WebsocketBinding { identifier, protocol: name.to_string() });
                        }
                        other => self.warn(spec.path.clone(), format!("{other} specifiers are not imported")),
                    }
                }
                Ok(())
            })();
            if let Err(error) = result {
                self.warn(error.path, format!("{}; entry skipped", error.message));
            }
        }
        Ok(())
    }

    fn read_device(&mut self, node: &Node) -> PResult<(String, UserDevice)> {
        let identifier = node.require("identifier")?;
        let address = identifier.require("address")?.non_empty_str()?.to_string();
        let protocol_node = identifier.require("protocol")?;
        let protocol = protocol_node.non_empty_str()?;
        if !valid_protocol_name(protocol) {
            return Err(protocol_node.err(format!("{protocol:?} is not a protocol name")));
        }
        let mut device = UserDevice {
            protocol: Some(protocol.to_string()),
            identifier: identifier.get("identifier")?.map(|i| i.str().map(str::to_string)).transpose()?,
            ..UserDevice::default()
        };
        let Some(config) = node.get("config")? else { return Ok((address, device)) };
        if let Some(user) = config.get("user_config")? {
            device.allow = user.get("allow")?.map(|b| b.bool()).transpose()?.unwrap_or(false);
            device.deny = user.get("deny")?.map(|b| b.bool()).transpose()?.unwrap_or(false);
            device.display_name = user
                .get("display_name")?
                .map(|n| n.str().map(str::to_string))
                .transpose()?
                .filter(|name| !name.trim().is_empty());
            device.index = user.get("index")?.map(|i| i.u32()).transpose()?;
            device.message_gap_ms =
                user.get("message_gap_ms")?.map(|g| g.int_in(0, 60_000).map(|g| g as u32)).transpose()?;
        }
        if let Some(features) = config.get("features")? {
            // Features are matched by their position in the list (= feature index).
            let features = match features.array() {
                Ok(features) => features,
                Err(error) => {
                    self.warn(error.path, format!("{}; output settings skipped", error.message));
                    Vec::new()
                }
            };
            for (index, feature) in features.iter().enumerate() {
                let outputs = match feature.get("output").and_then(|o| o.map(|o| o.entries()).transpose()) {
                    Ok(Some(outputs)) => outputs,
                    Ok(None) => continue,
                    Err(error) => {
                        self.warn(error.path, format!("{}; feature skipped", error.message));
                        continue;
                    }
                };
                for (name, output) in outputs {
                    match self.read_output(index as u32, name, &output) {
                        Ok(Some(setting)) => device.outputs.push(setting),
                        Ok(None) => {}
                        Err(error) => self.warn(error.path, format!("{}; output skipped", error.message)),
                    }
                }
            }
        }
        Ok((address, device))
    }

    fn read_output(&mut self, feature: u32, name: &str, node: &Node) -> PResult<Option<OutputSetting>> {
        let kind = match name {
            "hw_position_with_duration" => OutputType::HwPositionWithDuration,
            other => match output_type_from_name(other) {
                Some(kind) => kind,
                None => return Err(node.err(format!("unknown output type {other:?}"))),
            },
        };
        let limit = match node.get("value")? {
            Some(value) => {
                let range = value.range()?;
                // Intiface keeps user ranges inside [0, max]; a signed range is read as its
                // magnitudes.
                Some(Range::new(range.min.max(0), range.max.max(0)))
            }
            None => None,
        };
        let disabled = node.get("disabled")?.map(|d| d.bool()).transpose()?.unwrap_or(false);
        if node.get("reverse")?.map(|r| r.bool()).transpose()?.unwrap_or(false) {
            self.warn(node.path_of("reverse"), "reversed positions are not supported yet");
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

    /// Written by hand after the v5 user config shape (buttplug-protocol.md §10.3).
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
