//! Mizz Zee: two generations of the vendor's vibrator protocol on service 0xEEA0, each its own
//! characteristic as `tx`, written without response; no init, one vibrator (0..=68).
//!
//! | protocol | names | `tx` | vibrate v |
//! |---|---|---|---|
//! | `mizzzee` | `NFY008` | 0xEEA1 | `69 96 03 01 on v` (`on`: `01` above 0, `00` at 0) |
//! | `mizzzee-v2` | `XHT` | 0xEE01 | `69 96 04 02 v 2c v` |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MIZZZEE, &MIZZZEE_V2];

/// The `mizzzee` protocol.
pub static MIZZZEE: SinglePacket = SinglePacket {
    name: "mizzzee",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(v1_packet),
    keepalive: Keepalive::None,
};

/// The `mizzzee-v2` protocol.
pub static MIZZZEE_V2: SinglePacket = SinglePacket {
    name: "mizzzee-v2",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(v2_packet),
    keepalive: Keepalive::None,
};

/// `69 96 03 01 on v`.
fn v1_packet(level: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(level.value, u8::MAX);
    vec![0x69, 0x96, 0x03, 0x01, u8::from(v != 0), v]
}

/// `69 96 04 02 v 2c v`.
fn v2_packet(level: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(level.value, u8::MAX);
    vec![0x69, 0x96, 0x04, 0x02, v, 0x2c, v]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(protocol: &SinglePacket) -> Sim {
        let features = features(&[(Vibrate, 0, 68)]);
        Sim::new(Box::new(protocol.handler(&features).unwrap()), &features)
    }

    #[test]
    fn mizzzee() {
        let mut toy = sim(&MIZZZEE);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [hex("69 96 03 01 01 01")]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 68)), [hex("69 96 03 01 01 44")]);
        assert_eq!(bytes(&toy.stop()), [hex("69 96 03 01 00 00")]);
        assert_eq!(toy.stop(), []);
    }

    #[test]
    fn mizzzee_v2() {
        let mut toy = sim(&MIZZZEE_V2);
        assert_eq!(bytes(&toy.set(0, Vibrate, 34)), [hex("69 96 04 02 22 2c 22")]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 68)), [hex("69 96 04 02 44 2c 44")]);
        assert_eq!(bytes(&toy.stop()), [hex("69 96 04 02 00 2c 00")]);
        assert_eq!(toy.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!((MIZZZEE.name(), MIZZZEE_V2.name()), ("mizzzee", "mizzzee-v2"));
        for protocol in [&MIZZZEE, &MIZZZEE_V2] {
            assert!(protocol.handler(&features(&[(Vibrate, 0, 68); 2])).is_err());
            let hw = FakeHardware::new("XHT", "aa");
            protocol.initialize(&hw, None, &features(&[(Vibrate, 0, 68)])).await.unwrap();
            assert!(hw.events().is_empty());
        }
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
        Vector::new(&MIZZZEE, None, &[
            Set(&[(0, Vibrate, 68)], &[tx(&[0x69, 0x96, 0x03, 0x01, 0x01, 0x44])]),
            Stop(&[tx(&[0x69, 0x96, 0x03, 0x01, 0x00, 0x00])]),
        ]),
        Vector::new(&MIZZZEE_V2, None, &[
            Set(&[(0, Vibrate, 34)], &[tx(&[0x69, 0x96, 0x04, 0x02, 0x22, 0x2c, 0x22])]),
            Stop(&[tx(&[0x69, 0x96, 0x04, 0x02, 0x00, 0x2c, 0x00])]),
        ]),
    ];
}
