//! Buttplug spec versions (docs/architecture.md, Spec versions and conversion); how a client's
//! RequestServerInfo names one is in [`crate::handshake`].

use std::fmt;

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
