//! What the engine is started with.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use plugboard_devices::virtual_device::VirtualDeviceSpec;
use plugboard_protocol::SpecVersion;

use crate::access::AccessRules;
use crate::approval::RemoteClients;
use crate::limits::Limits;

/// The name announced in ServerInfo unless told otherwise.
pub const DEFAULT_SERVER_NAME: &str = "Plugboard";
/// The conventional Buttplug websocket port games connect to.
pub const DEFAULT_WEBSOCKET_PORT: u16 = 12345;
/// How many clients may be connected at once unless told otherwise.
pub const DEFAULT_MAX_CLIENTS: usize = 64;

/// Everything the engine needs to start.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Addresses to listen on. The first must bind; later ones (such as `[::1]` on a machine
    /// without IPv6) are skipped with a warning when the address does not exist there.
    pub listen: Vec<SocketAddr>,
    pub server_name: String,
    /// Milliseconds a client may go without Ping before its devices stop; 0 disables it.
    pub max_ping_time_ms: u32,
    pub max_clients: usize,
    /// What each connection may do: frame size, messages per frame and per second, time to
    /// handshake, websocket keepalive.
    pub limits: Limits,
    /// Clients asking for a newer spec version than this get a handshake error.
    pub max_spec_version: SpecVersion,
    /// Virtual devices to create at start, in index order.
    pub virtual_devices: Vec<VirtualDeviceSpec>,
    /// Hardware: device database, user config, transports.
    pub devices: DeviceOptions,
    /// Web pages (by Origin) let in at every door (`--allowed-origins`). Without [`WebPages::ask`],
    /// other web pages are refused with HTTP 403: at the websocket upgrade only when a list is
    /// given (`None`: any web page may use the websocket), at HTTP surfaces always. Clients
    /// without an Origin (native apps) are not affected. See the `gate` module.
    pub allowed_origins: Option<Vec<String>>,
    /// Whether unapproved web pages wait for the user's answer, and the ones approved for good.
    pub web_pages: WebPages,
    /// Whether clients from other machines wait for the front end's approval.
    pub remote_clients: RemoteClients,
    /// Client name → the addresses of the only devices it may see and use (see `access`).
    pub device_access: AccessRules,
    /// The Lovense local API, for games made for Lovense toys (off unless asked for).
    pub lovense_api: LovenseApiOptions,
    /// Client mode: a websocket server (`ws://host:port`) the engine dials, serving the Buttplug
    /// protocol over that connection and dialling again when it drops (see `dial_out`). With it,
    /// `listen` may be empty: the engine then listens nowhere.
    pub websocket_client_address: Option<String>,
    /// The REST API's port (`--rest-api-port`; 0 picks a free one); `None`: no REST API. It
    /// listens on the websocket's addresses, at this port (the `rest` module).
    pub rest_api_port: Option<u16>,
}

/// The HTTP port of Lovense Remote's "Game Mode", where games made for Lovense look first.
pub const DEFAULT_LOVENSE_API_PORT: u16 = 20010;
/// Its HTTPS port.
pub const DEFAULT_LOVENSE_API_HTTPS_PORT: u16 = 30010;

/// The Lovense local API (the `lovense` module). It listens on the same addresses as the
/// websocket (loopback unless the user chose every interface), at its own ports.
#[derive(Debug, Clone)]
pub struct LovenseApiOptions {
    pub enabled: bool,
    /// HTTP port; 0 picks a free one.
    pub port: u16,
    /// HTTPS port (0 picks a free one); `None`: no HTTPS.
    pub https_port: Option<u16>,
    /// Where the self-signed HTTPS certificate is kept; `None`: the OS config dir.
    pub certificate_dir: Option<PathBuf>,
}

impl Default for LovenseApiOptions {
    fn default() -> Self {
        LovenseApiOptions {
            enabled: false,
            port: DEFAULT_LOVENSE_API_PORT,
            https_port: Some(DEFAULT_LOVENSE_API_HTTPS_PORT),
            certificate_dir: None,
        }
    }
}

/// The default port of the device-websocket server (the reference engine's).
pub const DEFAULT_DEVICE_WEBSOCKET_PORT: u16 = 54817;

/// Where devices come from.
#[derive(Debug, Clone)]
pub struct DeviceOptions {
    /// Replaces the built-in device database (and any downloaded one).
    pub device_config_file: Option<PathBuf>,
    /// Where a device database downloaded by "Check for device updates" is kept; used when it
    /// passes its review ([`crate::database_update::database_in_use`]). `None`: in the OS
    /// config dir.
    pub downloaded_database_path: Option<PathBuf>,
    /// A user device config to read: Plugboard's own, or Intiface's (read, never written).
    pub user_device_config_file: Option<PathBuf>,
    /// Where Plugboard keeps its own user config; `None`: the OS config dir.
    pub own_user_config_path: Option<PathBuf>,
    pub use_bluetooth_le: bool,
    pub use_serial: bool,
    pub use_device_websocket_server: bool,
    pub device_websocket_port: u16,
    /// Let devices on the network dial in (default: this machine only).
    pub device_websocket_all_interfaces: bool,
}

impl DeviceOptions {
    pub fn any_transport(&self) -> bool {
        self.use_bluetooth_le || self.use_serial || self.use_device_websocket_server
    }

    /// Where the downloaded device database is kept: the path given, else the config dir's.
    pub fn downloaded_database_location(&self) -> Option<PathBuf> {
        self.downloaded_database_path.clone().or_else(crate::paths::default_downloaded_database_path)
    }
}

impl Default for DeviceOptions {
    fn default() -> Self {
        DeviceOptions {
            device_config_file: None,
            downloaded_database_path: None,
            user_device_config_file: None,
            own_user_config_path: None,
            use_bluetooth_le: false,
            use_serial: false,
            use_device_websocket_server: false,
            device_websocket_port: DEFAULT_DEVICE_WEBSOCKET_PORT,
            device_websocket_all_interfaces: false,
        }
    }
}

impl EngineConfig {
    /// Listen on IPv4 and IPv6 loopback at `port` (0 picks a free port, the same on both).
    pub fn loopback(port: u16) -> EngineConfig {
        EngineConfig { listen: loopback_addresses(port), ..EngineConfig::default() }
    }

    /// Listen on every interface at `port`: anyone on the network can then control devices.
    pub fn all_interfaces(port: u16) -> EngineConfig {
        EngineConfig {
            listen: vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
            ],
            ..EngineConfig::default()
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            listen: loopback_addresses(DEFAULT_WEBSOCKET_PORT),
            server_name: DEFAULT_SERVER_NAME.to_owned(),
            max_ping_time_ms: 0,
            max_clients: DEFAULT_MAX_CLIENTS,
            limits: Limits::default(),
            max_spec_version: SpecVersion::NEWEST,
            virtual_devices: Vec::new(),
            devices: DeviceOptions::default(),
            allowed_origins: None,
            web_pages: WebPages::default(),
            remote_clients: RemoteClients::default(),
            device_access: AccessRules::new(),
            lovense_api: LovenseApiOptions::default(),
            websocket_client_address: None,
            rest_api_port: None,
        }
    }
}

fn loopback_addresses(port: u16) -> Vec<SocketAddr> {
    vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port), SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)]
}

/// How the engine treats web pages, beyond the `--allowed-origins` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebPages {
    /// Ask the user about each web page that is not approved (the desktop app). False: the
    /// headless behaviour described in the module documentation. A waiting websocket client
    /// is refused after [`RemoteClients::timeout`](crate::RemoteClients::timeout), as a client
    /// from another machine is.
    pub ask: bool,
    /// Let every web page use the websocket without asking (the app's "Let any web page
    /// connect", which restores the old behaviour); HTTP surfaces still ask.
    pub websocket_open_to_all: bool,
    /// Origins the user approved for good ("Always allow"); the front end keeps them.
    pub approved: Vec<String>,
}
