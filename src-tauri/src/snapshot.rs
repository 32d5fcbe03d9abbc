//! The snapshot the window renders, built from what the engine reports, the window's settings
//! and the state of the shell. Pure functions, one per part of the snapshot, so each is
//! unit-tested without a window or an engine.

use std::collections::BTreeMap;

use plugboard_server::{
    self as engine, Approval, ClientId, ClientKind, ClientSnapshot, DeviceSnapshot, HardwareStatus, UserDeviceConfig,
};

use crate::models::*;

/// Whether the tray icon exists, and why not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrayStatus {
    pub available: bool,
    pub message: Option<String>,
}

/// What the running engine reports.
#[derive(Debug, Clone, Default)]
pub struct RunningInfo {
    pub url: String,
    pub port: u16,
    pub clients: Vec<ClientSnapshot>,
    pub devices: Vec<DeviceSnapshot>,
    pub statuses: BTreeMap<String, HardwareStatus>,
    pub scanning: bool,
    pub device_websocket_port: Option<u16>,
    pub lovense_api_url: Option<String>,
    pub rest_api_url: Option<String>,
    pub mdns_name: Option<String>,
    /// Web pages refused over HTTP while the user is asked about them.
    pub web_pages_asking: Vec<String>,
}

/// Everything a snapshot is made of.
pub struct SnapshotInput {
    pub settings: Settings,
    pub running: Option<RunningInfo>,
    /// The running engine's, or the one a stopped engine would start with.
    pub user_config: UserDeviceConfig,
    pub serial_ports: Vec<engine::SerialPort>,
    pub server_error: Option<ServerError>,
    pub tray: TrayStatus,
    pub settings_message: Option<String>,
    pub shortcut: ShortcutView,
}

/// The snapshot from what the engine, the settings and the user device config say.
pub fn build_snapshot(input: SnapshotInput) -> Snapshot {
    let SnapshotInput { settings, running, user_config, serial_ports, server_error, tray, settings_message, shortcut } =
        input;
    let run = running.as_ref();
    let connected = run.map(|r| r.devices.as_slice()).unwrap_or_default();
    let clients = run.map(|r| r.clients.as_slice()).unwrap_or_default();
    Snapshot {
        server: server_view(&settings, run, server_error),
        clients: clients.iter().map(client_view).collect(),
        devices: user_config.device_views(connected).into_iter().map(|device| device_view(device, clients)).collect(),
        hardware: HardwareView {
            transports: transport_views(&settings, run),
            serial_ports: serial_port_views(serial_ports, &user_config),
            device_websocket: DeviceWebsocketView {
                enabled: settings.use_device_websocket_server,
                port: run.and_then(|r| r.device_websocket_port).unwrap_or(settings.device_websocket_port),
            },
            scanning: run.is_some_and(|r| r.scanning),
        },
        settings,
        tray_available: tray.available,
        tray_message: tray.message,
        settings_message,
        shortcut,
        web_pages_asking: web_pages_asking(run),
    }
}

/// The web pages asking over HTTP, sorted so that the prompts keep their places.
fn web_pages_asking(run: Option<&RunningInfo>) -> Vec<String> {
    let mut pages = run.map(|r| r.web_pages_asking.clone()).unwrap_or_default();
    pages.sort();
    pages
}

/// The server as it runs, or as the settings will start it.
fn server_view(settings: &Settings, run: Option<&RunningInfo>, error: Option<ServerError>) -> ServerView {
    ServerView {
        running: run.is_some(),
        url: run.map(|r| r.url.clone()),
        port: run.map_or(settings.port, |r| r.port),
        server_name: settings.server_name.clone(),
        all_interfaces: settings.all_interfaces,
        max_ping_time_ms: settings.max_ping_time_ms,
        start_on_launch: settings.start_server_on_launch,
        error,
        lovense_api_url: run.and_then(|r| r.lovense_api_url.clone()),
        rest_api_url: run.and_then(|r| r.rest_api_url.clone()),
        mdns_name: run.and_then(|r| r.mdns_name.clone()),
    }
}

fn client_view(client: &ClientSnapshot) -> ClientView {
    ClientView {
        id: client.id,
        kind: client.kind.label(client.spec_version),
        local: client.peer.is_none(),
        name: client.name.clone(),
        spec_version: match client.kind {
            ClientKind::LovenseApi | ClientKind::RestApi => Some(client.kind.label(None)),
            ClientKind::Buttplug | ClientKind::Window => client.spec_version.map(|v| v.to_string()),
        },
        address: client.peer.map(|peer| peer.to_string()),
        origin: client.origin.clone(),
        connected_since: rfc3339(client.connected_since),
        messages_in: client.messages_in,
        messages_out: client.messages_out,
        last_error: client.last_error.clone(),
        awaiting_approval: client.approval == Approval::Pending,
    }
}

/// Who set an output last, as the Apps view names them, and whether it was this window.
fn owner_view(owner: Option<ClientId>, clients: &[ClientSnapshot]) -> (Option<String>, bool) {
    let Some(client) = owner.and_then(|id| clients.iter().find(|client| client.id == id)) else {
        return (None, false);
    };
    match client.kind {
        ClientKind::Window => (Some(client.kind.label(None)), true),
        ClientKind::Buttplug | ClientKind::LovenseApi | ClientKind::RestApi => {
            (Some(client.name.clone().unwrap_or_else(|| format!("app {}", client.id))), false)
        }
    }
}

/// The engine's view of a device, in the window's JSON. Destructured whole, so a field the
/// engine adds is not dropped unnoticed.
fn device_view(device: engine::DeviceView, clients: &[ClientSnapshot]) -> DeviceView {
    let engine::DeviceView {
        index,
        name,
        display_name,
        protocol,
        transport,
        address,
        connected,
        battery,
        allowed,
        denied,
        outputs,
        inputs,
    } = device;
    DeviceView {
        index,
        name,
        display_name,
        protocol,
        transport: transport.to_owned(),
        address,
        connected,
        battery,
        allowed,
        denied,
        outputs: outputs.into_iter().map(|output| output_view(output, clients)).collect(),
        inputs: inputs.into_iter().map(input_view).collect(),
    }
}

fn output_view(output: engine::OutputView, clients: &[ClientSnapshot]) -> OutputView {
    let engine::OutputView { feature_index, kind, value, range, duration, owner, limit, disabled } = output;
    let (owner, owned_by_window) = owner_view(owner, clients);
    OutputView {
        feature_index,
        kind: kind.v4_name().to_owned(),
        value,
        min: range.min,
        max: range.max,
        limit: limit.map(<[i32; 2]>::from),
        disabled,
        duration: duration.map(<[i32; 2]>::from),
        owner,
        owned_by_window,
    }
}

fn input_view(input: engine::InputView) -> InputView {
    let engine::InputView { feature_index, kind } = input;
    InputView { feature_index, kind: input_type_name(kind).to_owned() }
}

/// An input type as the window names it (the spec's v4 spelling).
pub fn input_type_name(kind: engine::InputType) -> &'static str {
    use engine::InputType::*;
    match kind {
        Battery => "Battery",
        Rssi => "Rssi",
        Button => "Button",
        Pressure => "Pressure",
        Depth => "Depth",
        Position => "Position",
    }
}

/// The three hardware transports: turned on in the settings, and usable or why not.
fn transport_views(settings: &Settings, run: Option<&RunningInfo>) -> Vec<TransportView> {
    [
        ("ble", settings.use_bluetooth_le),
        ("serial", settings.use_serial),
        ("websocket", settings.use_device_websocket_server),
    ]
    .into_iter()
    .map(|(name, enabled)| transport_view(name, enabled, run))
    .collect()
}

fn transport_view(name: &str, enabled: bool, run: Option<&RunningInfo>) -> TransportView {
    let status = run.and_then(|r| r.statuses.get(name));
    let (ready, reason, remedy) = match (enabled, run, status) {
        (false, _, _) => (false, Some("Turned off in the settings.".to_owned()), None),
        (true, None, _) => (false, Some("The server is stopped.".to_owned()), Some("Start the server.".to_owned())),
        (true, Some(_), Some(HardwareStatus::Unavailable { reason, remedy })) => {
            (false, Some(reason.clone()), Some(remedy.clone()))
        }
        (true, Some(_), _) => (true, None, None),
    };
    TransportView { name: name.to_owned(), enabled, ready, reason, remedy }
}

/// The machine's serial ports, each with the protocol the user bound it to.
fn serial_port_views(ports: Vec<engine::SerialPort>, user_config: &UserDeviceConfig) -> Vec<SerialPortView> {
    ports
        .into_iter()
        .map(|port| SerialPortView {
            bound_protocol: user_config.serial_port_protocol(&port.path).map(str::to_owned),
            path: port.path,
            description: port.description,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_server::{DeviceOptions, OutputLevel, OutputType, VirtualDeviceSpec, VirtualKind};

    fn input() -> SnapshotInput {
        SnapshotInput {
            settings: Settings::default(),
            running: None,
            user_config: UserDeviceConfig::default(),
            serial_ports: vec![],
            server_error: None,
            tray: TrayStatus::default(),
            settings_message: None,
            shortcut: ShortcutView::default(),
        }
    }

    /// A user device config as the engine reads it from its file.
    fn user_config(json: &str) -> UserDeviceConfig {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user-device-config.json");
        std::fs::write(&path, json).unwrap();
        UserDeviceConfig::load(&DeviceOptions { own_user_config_path: Some(path), ..DeviceOptions::default() })
    }

    #[test]
    fn stopped_server_shows_settings_and_known_devices() {
        let mut input = input();
        input.user_config = user_config(
            r#"{"format": "plugboard-user-device-config", "version": 1,
                "devices": {"AA:BB:CC:DD:EE:FF": {"protocol": "lovense", "display_name": "Mine", "index": 3,
                                                  "allow": true, "deny": false}}}"#,
        );
        input.serial_ports =
            vec![engine::SerialPort { path: "/dev/ttyUSB0".into(), description: "USB 1a86:7523".into() }];
        let snapshot = build_snapshot(input);
        assert!(!snapshot.server.running);
        assert_eq!(snapshot.server.url, None);
        assert_eq!(snapshot.server.port, 12345);
        assert_eq!(snapshot.devices.len(), 1);
        let device = &snapshot.devices[0];
        assert_eq!((device.index, device.connected, device.transport.as_str()), (None, false, ""));
        assert_eq!(device.display_name.as_deref(), Some("Mine"));
        assert!(device.allowed && !device.denied);
        assert_eq!(snapshot.hardware.serial_ports[0].bound_protocol, None);
        assert_eq!(snapshot.hardware.transports[0].reason.as_deref(), Some("The server is stopped."));
        assert!(!snapshot.hardware.transports[2].enabled);
    }

    #[test]
    fn serial_ports_show_the_protocol_they_are_bound_to() {
        let mut input = input();
        input.user_config = user_config(
            r#"{"format": "plugboard-user-device-config", "version": 1,
                "serial_ports": [{"port": "/dev/ttyUSB0", "protocol": "tcode-v03"}]}"#,
        );
        input.serial_ports = vec![
            engine::SerialPort { path: "/dev/ttyUSB0".into(), description: "USB 1a86:7523".into() },
            engine::SerialPort { path: "/dev/ttyS0".into(), description: String::new() },
        ];
        let ports = build_snapshot(input).hardware.serial_ports;
        let bound: Vec<_> = ports.iter().map(|p| (p.path.as_str(), p.bound_protocol.as_deref())).collect();
        assert_eq!(bound, vec![("/dev/ttyUSB0", Some("tcode-v03")), ("/dev/ttyS0", None)]);
    }

    #[test]
    fn web_pages_asking_over_http_are_listed_in_order_while_the_server_runs() {
        assert!(build_snapshot(input()).web_pages_asking.is_empty(), "a stopped server asks about nothing");
        let mut input = input();
        input.running = Some(RunningInfo {
            web_pages_asking: vec!["https://b.example".into(), "https://a.example".into()],
            ..Default::default()
        });
        assert_eq!(build_snapshot(input).web_pages_asking, vec!["https://a.example", "https://b.example"]);
    }

    #[test]
    fn running_server_shows_virtual_devices_with_levels() {
        let spec = VirtualDeviceSpec::new(VirtualKind::DualVibrator);
        let device = DeviceSnapshot {
            info: spec.device_info(0),
            outputs: vec![OutputLevel { feature_index: 1, kind: OutputType::Vibrate, value: 7, owner: Some(1) }],
            address: "virtual:0".into(),
            transport: "virtual",
            protocol: "virtual".into(),
            battery: Some(80),
        };
        let mut input = input();
        input.running = Some(RunningInfo {
            url: "ws://127.0.0.1:4000".into(),
            port: 4000,
            devices: vec![device],
            statuses: [(
                "ble".to_owned(),
                HardwareStatus::Unavailable { reason: "No adapter.".into(), remedy: "Plug one in.".into() },
            )]
            .into(),
            ..Default::default()
        });
        let snapshot = build_snapshot(input);
        assert!(snapshot.server.running);
        assert_eq!(snapshot.server.url.as_deref(), Some("ws://127.0.0.1:4000"));
        let device = &snapshot.devices[0];
        assert_eq!(
            (device.index, device.address.as_str(), device.transport.as_str()),
            (Some(0), "virtual:0", "virtual")
        );
        let levels: Vec<_> =
            device.outputs.iter().map(|o| (o.feature_index, o.kind.as_str(), o.value, o.max)).collect();
        assert_eq!(levels, vec![(0, "Vibrate", 0, 20), (1, "Vibrate", 7, 20)]);
        assert_eq!(device.battery, Some(80));
        let ble = &snapshot.hardware.transports[0];
        assert_eq!(
            (ble.ready, ble.reason.as_deref(), ble.remedy.as_deref()),
            (false, Some("No adapter."), Some("Plug one in."))
        );
        assert!(snapshot.hardware.transports[1].ready, "serial enabled and running");
    }

    #[test]
    fn a_transport_turned_off_says_so_whether_or_not_the_server_runs() {
        let settings = Settings { use_serial: false, ..Settings::default() };
        for run in [None, Some(RunningInfo::default())] {
            let serial = transport_view("serial", settings.use_serial, run.as_ref());
            assert_eq!((serial.ready, serial.reason.as_deref()), (false, Some("Turned off in the settings.")));
        }
    }
}
