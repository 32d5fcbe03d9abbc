//! Buttplug spec versions and how a client's RequestServerInfo names one (docs/architecture.md, Spec versions and conversion).

use std::fmt;

use crate::error::Error;
use crate::messages::RequestServerInfo;

/// A Buttplug message spec version. Every wire shape in this crate is chosen by one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecVersion {
    V0,
    V1,
    V2,
    V3,
    V4,
}

impl SpecVersion {
    /// Every version, oldest first.
    pub const ALL: [SpecVersion; 5] = [Self::V0, Self::V1, Self::V2, Self::V3, Self::V4];
    /// The newest version this crate speaks.
    pub const NEWEST: SpecVersion = SpecVersion::V4;
    /// The minor version announced to v4 clients.
    pub const V4_MINOR: u32 = 0;

    /// The version's number as it appears on the wire.
    pub fn number(self) -> u32 {
        self as u32
    }

    /// The version with that number, if this crate knows it.
    pub fn from_number(number: u32) -> Option<SpecVersion> {
        Self::ALL.get(number as usize).copied()
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.number())
    }
}

/// What a RequestServerInfo asks for, before the server's own limit is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedVersion {
    /// `MessageVersion`, or `ProtocolVersionMajor` for v4 and newer; 0 when neither is given.
    pub major: u32,
    /// `ProtocolVersionMinor` for v4 clients, 0 otherwise.
    pub minor: u32,
}

impl RequestServerInfo {
    /// The version this handshake asks for (docs/architecture.md, Spec versions and conversion): `ProtocolVersionMajor` when
    /// present (with `ProtocolVersionMinor` required beside it), else `MessageVersion`, else 0.
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
