//! Adrien Lastic (Palpitation `LVS-S001`, Revelation `LVS-S002`): a Lovense look-alike on the
//! Nordic UART service (`tx` 6E400002), written **with** response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=16) | ASCII `MotorValue:vv;`, v in decimal, at least two digits |
//!
//! So 5 is `MotorValue:05;`, 16 is `MotorValue:16;` and the stop is `MotorValue:00;`.
//!
//! # Telling it from a Lovense
//!
//! Its names match Lovense's `LVS-*` pattern and Lovense lists the same GATT service, so both
//! protocols match the toy; the database's BLE name for this protocol is a placeholder that
//! matches nothing, and the toy is recognised by the service it advertises (0x1320). Matching
//! puts a protocol matched by an advertised service ahead of one matched only by a name
//! pattern (`config::matching::candidates`), so the toy is tried as an Adrien Lastic first and
//! never receives Lovense's `DeviceType;` query. The reference picks one of the two in no
//! fixed order.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest level the database gives the toys.
pub const MAX_LEVEL: i32 = 16;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&ADRIENLASTIC];

/// The `adrienlastic` protocol: one vibrator.
pub static ADRIENLASTIC: SinglePacket = SinglePacket {
    name: "adrienlastic",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `MotorValue:vv;`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    format!("MotorValue:{:02};", level.value.clamp(0, MAX_LEVEL)).into_bytes()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    fn text(writes: &[crate::hardware::Write]) -> Vec<String> {
        bytes_with_response(writes).into_iter().map(|data| String::from_utf8(data).unwrap()).collect()
    }

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 16)]);
        let mut toy = Sim::new(Box::new(ADRIENLASTIC.handler(&features).unwrap()), &features);
        assert_eq!(text(&toy.set(0, Vibrate, 5)), ["MotorValue:05;"]);
        assert_eq!(text(&toy.set(0, Vibrate, 16)), ["MotorValue:16;"]);
        assert_eq!(text(&toy.set(0, Vibrate, 40)), ["MotorValue:16;"], "clamped");
        assert_eq!(
            bytes_with_response(&toy.stop()),
            [vec![0x4d, 0x6f, 0x74, 0x6f, 0x72, 0x56, 0x61, 0x6c, 0x75, 0x65, 0x3a, 0x30, 0x30, 0x3b]]
        );
        assert_eq!(toy.stop(), []);
    }

    #[test]
    fn definitions() {
        assert!(ADRIENLASTIC.handler(&[]).is_err());
        assert!(ADRIENLASTIC.handler(&features(&[(Vibrate, 0, 16); 2])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(ADRIENLASTIC.name(), "adrienlastic");
        let hw = FakeHardware::new("LVS-S001", "aa");
        ADRIENLASTIC.initialize(&hw, Some("LVS-S001"), &features(&[(Vibrate, 0, 16)])).await.unwrap();
        assert!(hw.events().is_empty(), "no Lovense DeviceType; query");
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
        Vector::new(&ADRIENLASTIC, Some("LVS-S001"), &[
            Set(&[(0, Vibrate, 5)], &[tx_with_response(b"MotorValue:05;")]),
            Set(&[(0, Vibrate, 16)], &[tx_with_response(b"MotorValue:16;")]),
            Stop(&[tx_with_response(b"MotorValue:00;")]),
        ]),
        Vector::new(&ADRIENLASTIC, Some("LVS-S002"), &[
            Set(&[(0, Vibrate, 9)], &[tx_with_response(b"MotorValue:09;")]),
            Stop(&[tx_with_response(b"MotorValue:00;")]),
        ]),
    ];
}
