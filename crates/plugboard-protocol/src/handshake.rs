//! The handshake: which spec version a client's RequestServerInfo asks for, and which one the
//! session speaks (docs/architecture.md, Spec versions and conversion).

use crate::error::Error;
use crate::messages::RequestServerInfo;
use crate::version::SpecVersion;

/// What a RequestServerInfo asks for, before the server's own limit is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedVersion {
    /// `MessageVersion`, or `ProtocolVersionMajor` for v4 and newer; 0 when neither is given.
    pub major: u32,
    /// `ProtocolVersionMinor` for v4 clients, 0 otherwise.
    pub minor: u32,
}

impl RequestServerInfo {
    /// The version this handshake asks for (docs/architecture.md, Spec versions and conversion):
    /// `ProtocolVersionMajor` when present (with `ProtocolVersionMinor` required beside it),
    /// else `MessageVersion`, else 0.
    pub fn requested_version(&self) -> Result<RequestedVersion, Error> {
        match (self.message_version, self.protocol_version_major, self.protocol_version_minor) {
            (None, None, None) => Ok(RequestedVersion { major: 0, minor: 0 }),
            (Some(major), None, None) => Ok(RequestedVersion { major, minor: 0 }),
            (None, Some(major), Some(minor)) => Ok(RequestedVersion { major, minor }),
            (None, Some(_), None) | (None, None, Some(_)) => Err(Error::message(
                "RequestServerInfo for spec v4 needs both ProtocolVersionMajor and ProtocolVersionMinor.",
            )),
            (Some(_), _, _) => Err(Error::message(
                "RequestServerInfo may carry MessageVersion (spec v1 to v3) or \
                 ProtocolVersionMajor/ProtocolVersionMinor (spec v4), not both.",
            )),
        }
    }

    /// The spec version the session will speak, given the newest version the server allows.
    /// A client newer than `max` gets a handshake error (code 1) naming what the server speaks.
    pub fn negotiate(&self, max: SpecVersion) -> Result<SpecVersion, Error> {
        let requested = self.requested_version()?;
        match SpecVersion::from_number(requested.major) {
            Some(version) if version <= max => Ok(version),
            _ => Err(Error::handshake(format!(
                "This client asks for Buttplug spec v{}, but this server speaks spec v0 to {}. \
                 Update the server, or use a client library for spec {} or older.",
                requested.major, max, max
            ))),
        }
    }
}
