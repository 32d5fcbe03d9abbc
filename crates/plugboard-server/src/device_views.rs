//! What front ends show of devices: every connected device joined with what the user device
//! config says about it (its name, allow or deny, output limits), and the devices the config
//! remembers that are not connected. The join lives here, next to the engine, so that every
//! front end shows the same truth; front ends only format it.

use plugboard_devices::config::user::{UserConfig, UserDevice};
use plugboard_devices::{ClientId, DeviceSnapshot};
use plugboard_protocol::model::{Feature, InputCommand, InputType, Output, OutputType, Range};

use crate::config::DeviceOptions;

/// One device as a front end lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceView {
    /// `None` for a device the user config remembers but that is not connected.
    pub index: Option<u32>,
    /// The model name (for a device that is not connected: the identifier it was last seen
    /// with, or its address).
    pub name: String,
    /// The name the user gave it.
    pub display_name: Option<String>,
    pub protocol: String,
    /// `ble`, `serial`, `websocket` or `virtual`; empty for a device that is not connected
    /// (the user config does not say how it was reached).
    pub transport: &'static str,
    pub address: String,
    pub connected: bool,
    /// The last battery reading in percent.
    pub battery: Option<u8>,
    /// Allowed by the user (once any device is, only allowed ones connect).
    pub allowed: bool,
    /// Never connected.
    pub denied: bool,
    pub outputs: Vec<OutputView>,
    /// The inputs a front end may read (battery, signal strength...).
    pub inputs: Vec<InputView>,
}

/// One output of a connected device: its level now, and the user's settings for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputView {
    pub feature_index: u32,
    pub kind: OutputType,
    pub value: i32,
    /// The range advertised to clients.
    pub range: Range,
    /// For an output that moves to a position in a given time: the times it takes, in ms.
    pub duration: Option<Range>,
    /// The client that set it last (`None`: nobody yet, or the user's STOP ALL).
    pub owner: Option<ClientId>,
    /// The part of the hardware's range the user allows, when narrowed.
    pub limit: Option<Range>,
    /// Hidden from clients by the user.
    pub disabled: bool,
}

/// One input of a connected device that can be read on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputView {
    pub feature_index: u32,
    pub kind: InputType,
}

/// What the user device config says: per device (by address) its name, access and limits,
/// and which protocol each serial port belongs to. Taken from a running engine
/// (`Engine::user_device_config`) or, while none runs, read with [`UserDeviceConfig::load`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDeviceConfig {
    config: UserConfig,
}

impl From<UserConfig> for UserDeviceConfig {
    fn from(config: UserConfig) -> UserDeviceConfig {
        UserDeviceConfig { config }
    }
}

impl UserDeviceConfig {
    /// Reads the files an engine started with `options` would read. A file that cannot be
    /// read counts as empty here: the engine reports it (and moves a corrupt one aside) when
    /// it starts.
    pub fn load(options: &DeviceOptions) -> UserDeviceConfig {
        match crate::hardware::load_user_config(options) {
            Ok(loaded) => loaded.config.into(),
            Err(error) => {
                tracing::debug!(%error, "the user device config could not be read; no devices are remembered");
                UserDeviceConfig::default()
            }
        }
    }

    /// The connected devices, each joined with its settings, followed by the remembered
    /// devices that are not connected (in address order).
    pub fn device_views(&self, connected: &[DeviceSnapshot]) -> Vec<DeviceView> {
        let mut views: Vec<DeviceView> = connected.iter().map(|device| self.connected_view(device)).collect();
        let remembered = self
            .config
            .devices
            .iter()
            .filter(|(address, _)| !connected.iter().any(|device| &device.address == *address))
            .map(|(address, user)| remembered_view(address, user));
        views.extend(remembered);
        views
    }

    /// The protocol a serial port is bound to, if the user bound it to one.
    pub fn serial_port_protocol(&self, path: &str) -> Option<&str> {
        self.config.serial_ports.iter().find(|binding| binding.port == path).map(|binding| binding.protocol.as_str())
    }

    fn connected_view(&self, device: &DeviceSnapshot) -> DeviceView {
        let user = self.config.device(&device.address);
        DeviceView {
            index: Some(device.info.index),
            name: device.info.name.clone(),
            display_name: device.info.display_name.clone().or_else(|| user.and_then(|u| u.display_name.clone())),
            protocol: device.protocol.clone(),
            transport: device.transport,
            address: device.address.clone(),
            connected: true,
            battery: device.battery,
            allowed: user.is_some_and(|u| u.allow),
            denied: user.is_some_and(|u| u.deny),
            outputs: output_views(device, user),
            inputs: input_views(device),
        }
    }
}

/// Every output of every feature, in feature order, with its level and the user's settings.
fn output_views(device: &DeviceSnapshot, user: Option<&UserDevice>) -> Vec<OutputView> {
    let outputs = device.info.features.iter().flat_map(|feature| feature.outputs.iter().map(move |o| (feature, o)));
    outputs.map(|(feature, output)| output_view(device, feature, output, user)).collect()
}

/// Every input that can be read, in feature order.
fn input_views(device: &DeviceSnapshot) -> Vec<InputView> {
    let inputs = device.info.features.iter().flat_map(|feature| feature.inputs.iter().map(move |i| (feature, i)));
    inputs
        .filter(|(_, input)| input.can(InputCommand::Read))
        .map(|(feature, input)| InputView { feature_index: feature.index, kind: input.kind })
        .collect()
}

fn output_view(device: &DeviceSnapshot, feature: &Feature, output: &Output, user: Option<&UserDevice>) -> OutputView {
    let level = device.outputs.iter().find(|level| level.feature_index == feature.index && level.kind == output.kind);
    let setting = user.and_then(|u| u.output(feature.index, output.kind));
    OutputView {
        feature_index: feature.index,
        kind: output.kind,
        value: level.map_or(0, |level| level.value),
        range: output.range,
        duration: output.duration,
        owner: level.and_then(|level| level.owner),
        limit: setting.and_then(|s| s.limit),
        disabled: setting.is_some_and(|s| s.disabled),
    }
}

/// A device the user config remembers that is not connected.
fn remembered_view(address: &str, user: &UserDevice) -> DeviceView {
    DeviceView {
        index: None,
        name: user.identifier.clone().unwrap_or_else(|| address.to_owned()),
        display_name: user.display_name.clone(),
        protocol: user.protocol.clone().unwrap_or_default(),
        transport: "",
        address: address.to_owned(),
        connected: false,
        battery: None,
        allowed: user.allow,
        denied: user.deny,
        outputs: Vec::new(),
        inputs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use plugboard_devices::config::user::{OutputSetting, SerialBinding};
    use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
    use plugboard_devices::OutputLevel;

    use super::*;

    fn dual_vibrator(address: &str) -> DeviceSnapshot {
        DeviceSnapshot {
            info: VirtualDeviceSpec::new(VirtualKind::DualVibrator).device_info(4),
            outputs: vec![OutputLevel { feature_index: 1, kind: OutputType::Vibrate, value: 7, owner: Some(1) }],
            address: address.into(),
            transport: "virtual",
            protocol: "virtual".into(),
            battery: Some(80),
        }
    }

    #[test]
    fn a_connected_device_shows_its_levels_and_the_users_settings() {
        let mut config = UserConfig::default();
        config.devices.insert(
            "virtual:4".into(),
            UserDevice {
                display_name: Some("Desk".into()),
                allow: true,
                outputs: vec![OutputSetting {
                    feature: 1,
                    kind: OutputType::Vibrate,
                    limit: Some(Range::new(2, 12)),
                    disabled: true,
                }],
                ..Default::default()
            },
        );
        let views = UserDeviceConfig::from(config).device_views(&[dual_vibrator("virtual:4")]);
        assert_eq!(views.len(), 1, "a connected device is listed once");
        let device = &views[0];
        assert_eq!((device.index, device.connected, device.transport), (Some(4), true, "virtual"));
        assert_eq!(device.display_name.as_deref(), Some("Desk"));
        assert_eq!((device.allowed, device.denied, device.battery), (true, false, Some(80)));
        let outputs: Vec<_> = device
            .outputs
            .iter()
            .map(|o| (o.feature_index, o.value, o.range.max, o.limit, o.disabled, o.owner))
            .collect();
        assert_eq!(
            outputs,
            vec![(0, 0, 20, None, false, None), (1, 7, 20, Some(Range::new(2, 12)), true, Some(1))],
            "levels with the client that set them"
        );
        assert_eq!(device.inputs, vec![], "a dual vibrator has nothing to read");
    }

    #[test]
    fn inputs_that_can_be_read_are_listed_and_a_timed_position_has_its_durations() {
        let device = |kind, index| DeviceSnapshot {
            info: VirtualDeviceSpec::new(kind).device_info(index),
            outputs: vec![],
            address: format!("virtual:{index}"),
            transport: "virtual",
            protocol: "virtual".into(),
            battery: None,
        };
        let config = UserDeviceConfig::default();
        let views = config.device_views(&[device(VirtualKind::LovenseMax, 0), device(VirtualKind::Stroker, 1)]);
        assert_eq!(views[0].inputs, vec![InputView { feature_index: 2, kind: InputType::Battery }]);
        let durations: Vec<_> = views[1].outputs.iter().map(|o| (o.kind, o.duration)).collect();
        assert_eq!(
            durations,
            vec![(OutputType::Position, None), (OutputType::HwPositionWithDuration, Some(Range::new(0, 60_000)))]
        );
    }

    #[test]
    fn remembered_devices_that_are_not_connected_follow_the_connected_ones() {
        let mut config = UserConfig::default();
        let remembered = UserDevice {
            protocol: Some("lovense".into()),
            identifier: Some("B".into()),
            deny: true,
            ..Default::default()
        };
        config.devices.insert("AA:BB:CC:DD:EE:FF".into(), remembered);
        config.devices.insert("00:11:22:33:44:55".into(), UserDevice::default());
        let views = UserDeviceConfig::from(config).device_views(&[dual_vibrator("virtual:4")]);
        let listed: Vec<_> = views.iter().map(|d| (d.address.as_str(), d.index, d.connected)).collect();
        assert_eq!(
            listed,
            vec![("virtual:4", Some(4), true), ("00:11:22:33:44:55", None, false), ("AA:BB:CC:DD:EE:FF", None, false)]
        );
        let lovense = &views[2];
        assert_eq!((lovense.name.as_str(), lovense.protocol.as_str(), lovense.transport), ("B", "lovense", ""));
        assert!(lovense.denied && !lovense.allowed && lovense.outputs.is_empty());
        assert_eq!(views[1].name, "00:11:22:33:44:55", "without an identifier the address names it");
    }

    #[test]
    fn serial_ports_are_looked_up_by_path() {
        let mut config = UserConfig::default();
        config.serial_ports.push(SerialBinding {
            port: "/dev/ttyUSB0".into(),
            protocol: "tcode-v03".into(),
            settings: Default::default(),
        });
        let config = UserDeviceConfig::from(config);
        assert_eq!(config.serial_port_protocol("/dev/ttyUSB0"), Some("tcode-v03"));
        assert_eq!(config.serial_port_protocol("/dev/ttyUSB1"), None);
    }

    #[test]
    fn a_stopped_engine_reads_the_file_it_would_start_with() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user-device-config.json");
        std::fs::write(
            &path,
            r#"{"format": "plugboard-user-device-config", "version": 1,
                "devices": {"AA:BB:CC:DD:EE:FF": {"protocol": "lovense", "display_name": "Mine", "allow": true}}}"#,
        )
        .unwrap();
        let options = DeviceOptions { own_user_config_path: Some(path), ..DeviceOptions::default() };
        let views = UserDeviceConfig::load(&options).device_views(&[]);
        assert_eq!(views.len(), 1);
        assert_eq!((views[0].display_name.as_deref(), views[0].allowed), (Some("Mine"), true));

        let missing = DeviceOptions { own_user_config_path: Some(dir.path().join("none.json")), ..options };
        assert_eq!(UserDeviceConfig::load(&missing), UserDeviceConfig::default());
    }
}
