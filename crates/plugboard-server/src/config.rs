//! What the engine is started with.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use plugboard_devices::virtual_device::VirtualDeviceSpec;
use plugboard_protocol::SpecVersion;

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
    /// Clients asking for a newer spec version than this get a handshake error.
    pub max_spec_version: SpecVersion,
    /// Virtual devices to create at start, in index order.
    pub virtual_devices: Vec<VirtualDeviceSpec>,
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
            max_spec_version: SpecVersion::NEWEST,
            virtual_devices: Vec::new(),
        }
    }
}

fn loopback_addresses(port: u16) -> Vec<SocketAddr> {
    vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port), SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)]
}
