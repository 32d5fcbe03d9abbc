//! The types the front end sees, camelCase in JSON. The front end's TypeScript models
//! (`ui/src/models.ts`) are generated from these, doc comments included, by the test in
//! `typescript.rs`, which fails when the checked-in file is stale.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub server: ServerView,
    pub clients: Vec<ClientView>,
    pub devices: Vec<DeviceView>,
    pub hardware: HardwareView,
    pub settings: Settings,
    pub tray_available: bool,
    pub tray_message: Option<String>,
    /// Set when the settings file could not be read or saved (for example it was corrupt and
    /// was moved aside).
    pub settings_message: Option<String>,
    /// The global STOP shortcut, as registered.
    pub shortcut: ShortcutView,
    /// Web pages (Origins, normalized and sorted) whose HTTP requests were refused while the
    /// user is asked about them (answered by `answer_web_page`).
    pub web_pages_asking: Vec<String>,
}

/// The global STOP shortcut: its keys, whether it is registered, and where it is heard.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShortcutView {
    /// As the settings write it, such as "Ctrl+Alt+Shift+S"; empty when turned off.
    pub keys: String,
    /// Registered: pressing it stops every device.
    pub active: bool,
    /// Why it is not registered, in the user's words.
    pub problem: Option<String>,
    /// Where it is heard (any window on X11 and through the portal; less on Wayland without
    /// it), for the settings.
    pub where_it_works: String,
    /// How the shortcut reaches Plugboard.
    pub mechanism: ShortcutMechanism,
    /// Through the portal: the combination the desktop assigned, in the desktop's words (it may
    /// differ from `keys`); `None` until one is assigned, and with the X grab.
    pub assigned_trigger: Option<String>,
}

/// How the STOP shortcut reaches Plugboard (docs/architecture.md, "The STOP shortcut").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ShortcutMechanism {
    /// Grabbed from the X server: X11 sessions, and Wayland sessions without the portal
    /// (where only X11 windows pass it on).
    #[default]
    KeyGrab,
    /// Bound through the desktop's XDG GlobalShortcuts portal (Wayland sessions that offer it).
    Portal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerView {
    pub running: bool,
    pub url: Option<String>,
    pub port: u16,
    pub server_name: String,
    pub all_interfaces: bool,
    pub max_ping_time_ms: u32,
    pub start_on_launch: bool,
    pub error: Option<ServerError>,
    /// The address to type into a game made for Lovense, while the Lovense API runs.
    pub lovense_api_url: Option<String>,
    /// The REST API's base URL for scripts, while it runs.
    pub rest_api_url: Option<String>,
    /// The name the server is announced as over mDNS, while it is.
    pub mdns_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ServerErrorKind {
    PortInUse,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerError {
    pub kind: ServerErrorKind,
    pub message: String,
    pub port: Option<u16>,
    /// The process holding the port, when it could be found.
    pub held_by: Option<String>,
    pub next_free_port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    pub id: u64,
    /// How it reaches Plugboard: "Buttplug v3" (with its spec version), "this window".
    pub kind: String,
    /// A client inside the app (this window's controls): no address, nothing to disconnect.
    pub local: bool,
    pub name: Option<String>,
    /// The negotiated spec version, such as "v3" ("Lovense API" for an app calling the
    /// Lovense API); absent until the handshake is done.
    pub spec_version: Option<String>,
    /// Where it connects from; absent for a client inside the app.
    pub address: Option<String>,
    pub origin: Option<String>,
    /// RFC 3339
    pub connected_since: String,
    pub messages_in: u64,
    pub messages_out: u64,
    pub last_error: Option<String>,
    /// A client from another machine, or a web page the user has not allowed, waiting for the
    /// user to allow or refuse it.
    pub awaiting_approval: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    /// Absent for a device that is known but not connected.
    pub index: Option<u32>,
    pub name: String,
    pub display_name: Option<String>,
    pub protocol: String,
    /// "ble", "serial", "websocket" or "virtual"; empty for a device that is not connected.
    pub transport: String,
    pub address: String,
    pub connected: bool,
    pub battery: Option<u8>,
    pub allowed: bool,
    pub denied: bool,
    pub outputs: Vec<OutputView>,
    /// What the window can read on demand (battery, signal strength).
    pub inputs: Vec<InputView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutputView {
    pub feature_index: u32,
    /// The output type's v4 name, such as "Vibrate".
    pub kind: String,
    pub value: i32,
    pub min: i32,
    pub max: i32,
    pub limit: Option<[i32; 2]>,
    pub disabled: bool,
    /// For a position reached in a given time: the times a move may take, in milliseconds.
    pub duration: Option<[i32; 2]>,
    /// Who set it last, as the Apps view names them ("this window", a game's name); absent
    /// when nobody has or the one who did has left.
    pub owner: Option<String>,
    /// Set last by this window's controls.
    pub owned_by_window: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InputView {
    pub feature_index: u32,
    /// "Battery" or "Rssi" (and the other input types' names).
    pub kind: String,
}

/// A value read from a device's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InputReading {
    pub value: i32,
    /// The value with its unit, such as "64 %" or "-52 dBm".
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HardwareView {
    pub transports: Vec<TransportView>,
    pub serial_ports: Vec<SerialPortView>,
    pub device_websocket: DeviceWebsocketView,
    pub scanning: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransportView {
    pub name: String,
    pub enabled: bool,
    pub ready: bool,
    pub reason: Option<String>,
    pub remedy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SerialPortView {
    pub path: String,
    pub description: String,
    pub bound_protocol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceWebsocketView {
    pub enabled: bool,
    pub port: u16,
}

/// The user's settings, saved as JSON in the OS config dir. Missing fields take defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub port: u16,
    pub server_name: String,
    pub all_interfaces: bool,
    pub max_ping_time_ms: u32,
    pub start_server_on_launch: bool,
    pub close_to_tray: bool,
    pub start_minimized: bool,
    /// Start Plugboard when the user logs in (an autostart entry of the desktop session; off
    /// by default).
    pub launch_at_login: bool,
    pub use_bluetooth_le: bool,
    pub use_serial: bool,
    pub use_device_websocket_server: bool,
    pub device_websocket_port: u16,
    /// With allInterfaces: let clients from other machines in without asking.
    pub allow_all_remote_clients: bool,
    /// Clients from other machines the user allowed for good (changed by `answer_client` and
    /// `forget_approved_client`, not by `save_settings`).
    pub approved_clients: Vec<ApprovedClient>,
    /// Let every web page use the websocket without asking (off: a web page the user has not
    /// allowed waits until they answer). Apps that are not web pages are never asked about.
    pub allow_any_web_page: bool,
    /// Web pages (Origins) the user always allows (changed by `answer_client` and
    /// `forget_web_page`, not by `save_settings`). Settings saved before this list existed
    /// had "Only let these web pages connect" (`allowedOrigins`): `settings::load` reads
    /// those pages into this list.
    pub remembered_web_pages: Vec<String>,
    /// Client name → addresses of the only devices it may use (changed by
    /// `set_client_device_access`, not by `save_settings`).
    pub client_device_access: BTreeMap<String, Vec<String>>,
    /// The global key combination that stops every device, such as "Ctrl+Alt+Shift+S";
    /// empty turns it off.
    pub stop_shortcut: String,
    /// Light or dark; by default the system's preference.
    pub theme: Theme,
    /// A desktop notification when a device connects or disconnects (on by default: the window
    /// is usually hidden behind a game when a toy drops out).
    pub notify_device_connections: bool,
    /// A desktop notification when a device's battery falls under 15 % (on by default).
    pub notify_low_battery: bool,
    /// Answer the Lovense local API, so that games made for Lovense use the toys (off by
    /// default).
    pub lovense_api: bool,
    pub lovense_api_port: u16,
    /// 0 turns HTTPS off.
    pub lovense_api_https_port: u16,
    /// Serve the REST API (docs/rest-api.md) for scripts at `rest_api_port` (off by default).
    pub rest_api: bool,
    pub rest_api_port: u16,
    /// Announce the server on the local network over mDNS as intiface-engine does, so apps
    /// that look for Intiface find it (off by default; only while listening on all
    /// interfaces, since a server on this machine only has nothing to announce).
    pub mdns: bool,
    /// Where "Check for device updates" downloads the device database from (http:// or
    /// https://); empty: the reference database's published file.
    pub device_database_url: String,
}

/// The REST API's port until the user changes it: next to the websocket's.
pub const DEFAULT_REST_API_PORT: u16 = 12346;

/// The window's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    /// Whatever the system prefers (light or dark), following it when it changes.
    #[default]
    System,
    Light,
    Dark,
}

/// The STOP shortcut until the user changes it: three modifiers and a letter, which desktops
/// and games leave alone.
pub const DEFAULT_STOP_SHORTCUT: &str = "Ctrl+Alt+Shift+S";

/// A remembered approval: the client's IP address and its Origin (absent for an app that is
/// not a web page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApprovedClient {
    pub address: String,
    pub origin: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            port: plugboard_server::DEFAULT_WEBSOCKET_PORT,
            server_name: plugboard_server::DEFAULT_SERVER_NAME.to_owned(),
            all_interfaces: false,
            max_ping_time_ms: 0,
            start_server_on_launch: false,
            close_to_tray: true,
            start_minimized: false,
            launch_at_login: false,
            use_bluetooth_le: true,
            use_serial: true,
            use_device_websocket_server: false,
            device_websocket_port: plugboard_server::DEFAULT_DEVICE_WEBSOCKET_PORT,
            allow_all_remote_clients: false,
            approved_clients: Vec::new(),
            allow_any_web_page: false,
            remembered_web_pages: Vec::new(),
            client_device_access: BTreeMap::new(),
            stop_shortcut: DEFAULT_STOP_SHORTCUT.to_owned(),
            theme: Theme::System,
            notify_device_connections: true,
            notify_low_battery: true,
            lovense_api: false,
            lovense_api_port: plugboard_server::DEFAULT_LOVENSE_API_PORT,
            lovense_api_https_port: plugboard_server::DEFAULT_LOVENSE_API_HTTPS_PORT,
            rest_api: false,
            rest_api_port: DEFAULT_REST_API_PORT,
            mdns: false,
            device_database_url: String::new(),
        }
    }
}

/// What came of "Export logs": where the file went, or that the user cancelled the dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum LogExport {
    #[serde(rename_all = "camelCase")]
    Saved {
        path: String,
        lines: usize,
    },
    Cancelled,
}

/// What "Check for device updates" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDatabaseUpdate {
    /// How many device models the new database adds.
    pub models_added: u32,
    /// For the user: what was added, and when the server uses it.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    /// RFC 3339
    pub time: String,
    pub level: LogLevel,
    pub target: String,
    pub message: String,
}

/// How much a log line matters, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// Every level, most important first (the order of the window's level filter).
    pub const ALL: [LogLevel; 5] = [LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug, LogLevel::Trace];

    /// The name in JSON and in exported logs: `ERROR`, `WARN`...
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "ERROR",
            LogLevel::Warn => "WARN",
            LogLevel::Info => "INFO",
            LogLevel::Debug => "DEBUG",
            LogLevel::Trace => "TRACE",
        }
    }
}

impl From<tracing::Level> for LogLevel {
    fn from(level: tracing::Level) -> LogLevel {
        match level {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        }
    }
}

/// RFC 3339 (UTC, whole seconds) for a point in time, such as `2024-02-29T12:34:56Z`.
pub fn rfc3339(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_709_210_096)), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn settings_are_camel_case_and_default_missing_fields() {
        let value = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(value["serverName"], "Plugboard");
        assert_eq!(value["startServerOnLaunch"], false);
        let partial: Settings = serde_json::from_str(r#"{"port": 4000}"#).unwrap();
        assert_eq!(partial, Settings { port: 4000, ..Settings::default() });
    }

    #[test]
    fn server_error_kind_is_camel_case() {
        assert_eq!(serde_json::to_value(ServerErrorKind::PortInUse).unwrap(), "portInUse");
    }

    #[test]
    fn log_levels_are_named_as_tracing_names_them() {
        for level in [tracing::Level::ERROR, tracing::Level::WARN, tracing::Level::INFO, tracing::Level::TRACE] {
            let ours = LogLevel::from(level);
            assert_eq!(ours.name(), level.as_str());
            assert_eq!(serde_json::to_value(ours).unwrap(), level.as_str());
        }
        assert!(LogLevel::ALL.is_sorted(), "most important first");
    }
}
