//! What the engine refuses: a start it cannot make, a device setting that makes no sense.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "Port {port} is already in use on {address}, probably by another Buttplug server such as \
         Intiface or a second Plugboard. Stop that program, or start Plugboard on another port \
         (--websocket-port {suggestion})."
    )]
    PortInUse { address: std::net::IpAddr, port: u16, suggestion: u16 },
    #[error(
        "Port {port} for the Lovense API is already in use on {address}, probably by Lovense Remote's \
         Game Mode or a second Plugboard. Close that program, or use another port ({flag} {suggestion}) \
         and type that port into the game."
    )]
    LovensePortInUse { address: std::net::IpAddr, port: u16, flag: &'static str, suggestion: u16 },
    #[error(
        "Port {port} for the REST API is already in use on {address}, probably by intiface-engine's REST \
         API or a second Plugboard. Stop that program, or use another port (--rest-api-port {suggestion})."
    )]
    RestPortInUse { address: std::net::IpAddr, port: u16, suggestion: u16 },
    #[error("Cannot start the Lovense API over HTTPS: {0}")]
    LovenseCertificate(String),
    #[error("Cannot listen on {address}: {source}. Check the address, or listen on 127.0.0.1.")]
    Bind { address: SocketAddr, source: std::io::Error },
    #[error("No address to listen on was given.")]
    NoAddress,
    /// `--websocket-client-address` is not an address the engine can dial; the text says why.
    #[error("{0}")]
    WebsocketClientAddress(String),
    #[error("{0}")]
    DeviceConfig(String),
    #[error("Cannot start the {transport} device transport: {message}")]
    Transport { transport: &'static str, message: String },
}

/// A device setting the engine refused; the message says why, for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSetting(pub String);
