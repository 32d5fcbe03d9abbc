//! Pink Punch (Sunset Mushroom `Pink_Punch`, `PinkPunch_Peachu`, `PinkPunch_DreamBunny`,
//! `PinkPunch_Peacaron`): service 0xFFE0, `tx` 0xFFE1, written **with** response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=100) | `09 v` |
//!
//! The protocol's name has an underscore (`pink_punch`), as the reference database spells it.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&PINK_PUNCH];

/// The `pink_punch` protocol: one vibrator.
pub static PINK_PUNCH: SinglePacket = SinglePacket {
    name: "pink_punch",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `09 v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x09, clamp_byte(level.value, u8::MAX)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut toy = Sim::new(Box::new(PINK_PUNCH.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 50)), [[0x09, 0x32]]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 100)), [[0x09, 0x64]]);
        assert_eq!(bytes_with_response(&toy.stop()), [[0x09, 0x00]]);
        assert_eq!(toy.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(PINK_PUNCH.name(), "pink_punch");
        assert!(PINK_PUNCH.handler(&features(&[(Vibrate, 0, 100); 2])).is_err());
        let hw = FakeHardware::new("PinkPunch_Peachu", "aa");
        PINK_PUNCH.initialize(&hw, None, &features(&[(Vibrate, 0, 100)])).await.unwrap();
        assert!(hw.events().is_empty());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&PINK_PUNCH, Some("Pink_Punch"), &[
            Set(&[(0, Vibrate, 50)], &[tx_with_response(&[0x09, 0x32])]),
            Stop(&[tx_with_response(&[0x09, 0x00])]),
        ]),
        Vector::new(&PINK_PUNCH, Some("PinkPunch_Peacaron"), &[
            Set(&[(0, Vibrate, 100)], &[tx_with_response(&[0x09, 0x64])]),
            Stop(&[tx_with_response(&[0x09, 0x00])]),
        ]),
    ];
}
