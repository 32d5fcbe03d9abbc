//! Two vibrator protocols on the same `aa 55 06 01 01 01 v` frame: ManNuo (names `Sex toys`,
//! `Sex Toys`, `LXCDVP`, `MANO PRODUCT`) and the MyMuse Link Plus (`MM Massager`). Both use
//! service 0xFFF0, `tx` 0xFFF1, one vibrator, no init.
//!
//! | protocol | vibrate v | vibrate 0 | write |
//! |---|---|---|---|
//! | `mannuo` (v 0..=3) | `aa 55 06 01 01 01 v fa x` | the same with v = 0 | **with** response |
//! | `mymuselinkplus` (v 0..=3) | `aa 55 06 01 01 01 v ff` | `aa 55 06 aa 00 00 00 00` | without response |
//!
//! `x` is the XOR of the eight bytes before it (`02` for the ManNuo's stop, `03` for level 1).

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The MyMuse Link Plus's stop packet.
pub const MYMUSE_STOP: [u8; 8] = [0xaa, 0x55, 0x06, 0xaa, 0x00, 0x00, 0x00, 0x00];

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MANNUO, &MYMUSELINKPLUS];

/// The `mannuo` protocol: one vibrator, XOR-checked frames.
pub static MANNUO: SinglePacket = SinglePacket {
    name: "mannuo",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(mannuo_packet),
    keepalive: Keepalive::None,
};

/// The `mymuselinkplus` protocol: one vibrator, a stop packet of its own.
pub static MYMUSELINKPLUS: SinglePacket = SinglePacket {
    name: "mymuselinkplus",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(mymuse_packet),
    keepalive: Keepalive::None,
};

/// The frame both start with: `aa 55 06 01 01 01 v`.
fn frame(level: &OutputLevel) -> Vec<u8> {
    vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, clamp_byte(level.value, u8::MAX)]
}

/// `aa 55 06 01 01 01 v fa x`.
fn mannuo_packet(level: &OutputLevel) -> Vec<u8> {
    let mut data = frame(level);
    data.push(0xfa);
    data.push(data.iter().fold(0, |xor, byte| xor ^ byte));
    data
}

/// `aa 55 06 01 01 01 v ff`, or [`MYMUSE_STOP`] for 0.
fn mymuse_packet(level: &OutputLevel) -> Vec<u8> {
    if level.value <= 0 {
        return MYMUSE_STOP.to_vec();
    }
    let mut data = frame(level);
    data.push(0xff);
    data
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(protocol: &SinglePacket) -> Sim {
        let features = features(&[(Vibrate, 0, 3)]);
        Sim::new(Box::new(protocol.handler(&features).unwrap()), &features)
    }

    #[test]
    fn mannuo_frames_end_in_their_xor() {
        let mut toy = sim(&MANNUO);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 1)), [hex("aa 55 06 01 01 01 01 fa 03")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 2)), [hex("aa 55 06 01 01 01 02 fa 00")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 3)), [hex("aa 55 06 01 01 01 03 fa 01")]);
        assert_eq!(bytes_with_response(&toy.stop()), [hex("aa 55 06 01 01 01 00 fa 02")]);
        assert_eq!(toy.stop(), []);
    }

    #[test]
    fn mymuse_has_a_stop_packet_of_its_own() {
        let mut toy = sim(&MYMUSELINKPLUS);
        assert_eq!(bytes(&toy.set(0, Vibrate, 1)), [hex("aa 55 06 01 01 01 01 ff")]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 3)), [hex("aa 55 06 01 01 01 03 ff")]);
        assert_eq!(bytes(&toy.stop()), [hex("aa 55 06 aa 00 00 00 00")]);
        assert_eq!(toy.stop(), []);
    }

    #[test]
    fn definitions() {
        for protocol in [&MANNUO, &MYMUSELINKPLUS] {
            assert!(protocol.handler(&[]).is_err());
            assert!(protocol.handler(&features(&[(Vibrate, 0, 3); 2])).is_err());
        }
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!((MANNUO.name(), MYMUSELINKPLUS.name()), ("mannuo", "mymuselinkplus"));
        for protocol in [&MANNUO, &MYMUSELINKPLUS] {
            let hw = FakeHardware::new("MM Massager", "aa");
            protocol.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.unwrap();
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
        Vector::new(&MANNUO, None, &[
            Set(&[(0, Vibrate, 1)], &[tx_with_response(&[0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x01, 0xfa, 0x03])]),
            Set(&[(0, Vibrate, 2)], &[tx_with_response(&[0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x02, 0xfa, 0x00])]),
            Stop(&[tx_with_response(&[0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x00, 0xfa, 0x02])]),
        ]),
        Vector::new(&MYMUSELINKPLUS, None, &[
            Set(&[(0, Vibrate, 3)], &[tx(&[0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x03, 0xff])]),
            Stop(&[tx(&[0xaa, 0x55, 0x06, 0xaa, 0x00, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
