//! Youcups Warrior II (`Youcups`): `tx` D44BC439 in service 0xFEE9, written without response;
//! no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=8) | ASCII `$SYS,v?`, v in decimal |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&YOUCUPS];

/// The `youcups` protocol: one vibrator.
pub static YOUCUPS: SinglePacket = SinglePacket {
    name: "youcups",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `$SYS,v?`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    format!("$SYS,{}?", clamp_byte(level.value, u8::MAX)).into_bytes()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{ascii, bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 8)]);
        let mut cup = Sim::new(Box::new(YOUCUPS.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&cup.set(0, Vibrate, 8)), [hex("24 53 59 53 2c 38 3f")]);
        assert_eq!(ascii(&cup.set(0, Vibrate, 3)), ["$SYS,3?"]);
        assert_eq!(bytes(&cup.stop()), [hex("24 53 59 53 2c 30 3f")]);
        assert_eq!(cup.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(YOUCUPS.name(), "youcups");
        assert!(YOUCUPS.handler(&features(&[(Vibrate, 0, 8); 2])).is_err());
        let hw = FakeHardware::new("Youcups", "aa");
        YOUCUPS.initialize(&hw, None, &features(&[(Vibrate, 0, 8)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&YOUCUPS, None, &[
        Set(&[(0, Vibrate, 8)], &[tx(b"$SYS,8?")]),
        Stop(&[tx(b"$SYS,0?")]),
    ])];
}
