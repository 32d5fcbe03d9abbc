//! The Cowgirl and The Unicorn (BLE names `THE COWGIRL`, `THE UNICORN`): saddle machines with a
//! vibrator and a rotator. Service `fe00` with `tx` `fe01`, written **with** response; no init.
//!
//! One packet carries both outputs and is written whenever either changes:
//!
//! | bytes | meaning |
//! |---|---|
//! | `00 01` | header |
//! | `vib` | the vibrate level, 0..=255 |
//! | `rot` | the rotate speed, 0..=255 (one direction only: the database's range has no negative half) |
//!
//! A stop is `00 01 00 00`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, value_of_type, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&COWGIRL];

/// The `cowgirl` protocol.
pub static COWGIRL: SinglePacket = SinglePacket {
    name: "cowgirl",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Rotate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::WholeState(packet),
    keepalive: Keepalive::None,
};

/// `00 01 vib rot`.
fn packet(outputs: &[OutputLevel]) -> Vec<u8> {
    let of = |kind: OutputType| clamp_byte(value_of_type(outputs, kind), u8::MAX);
    vec![0x00, 0x01, of(OutputType::Vibrate), of(OutputType::Rotate)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn whole_state() {
        let features = features(&[(Vibrate, 0, 255), (Rotate, 0, 255)]);
        let mut saddle = Sim::new(Box::new(COWGIRL.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&saddle.set(0, Vibrate, 100)), [hex("00 01 64 00")]);
        assert_eq!(bytes_with_response(&saddle.set(1, Rotate, 200)), [hex("00 01 64 c8")]);
        assert_eq!(bytes_with_response(&saddle.set(0, Vibrate, 0)), [hex("00 01 00 c8")]);
        assert_eq!(bytes_with_response(&saddle.set(1, Rotate, -20)), [hex("00 01 00 00")], "no direction");
        saddle.flush(&[(0, Vibrate, 100), (1, Rotate, 200)]);
        assert_eq!(bytes_with_response(&saddle.stop()), [hex("00 01 00 00")], "one packet stops both");
    }

    #[test]
    fn definitions() {
        assert!(COWGIRL.handler(&features(&[(Vibrate, 0, 255); 2])).is_err());
        assert!(COWGIRL.handler(&features(&[(Oscillate, 0, 255)])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        let hw = FakeHardware::new("THE UNICORN", "aa");
        let handler = COWGIRL.initialize(&hw, None, &features(&[(Vibrate, 0, 255)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
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
        Vector::new(&COWGIRL, Some("THE COWGIRL"), &[
            Set(&[(0, Vibrate, 100)], &[tx_with_response(&[0x00, 0x01, 0x64, 0x00])]),
            Set(&[(1, Rotate, 200)], &[tx_with_response(&[0x00, 0x01, 0x64, 0xc8])]),
            Set(&[(0, Vibrate, 0)], &[tx_with_response(&[0x00, 0x01, 0x00, 0xc8])]),
            Set(&[(0, Vibrate, 255)], &[tx_with_response(&[0x00, 0x01, 0xff, 0xc8])]),
            Stop(&[tx_with_response(&[0x00, 0x01, 0x00, 0x00])]),
        ]),
        Vector::new(&COWGIRL, Some("THE UNICORN"), &[
            Set(&[(1, Rotate, 50)], &[tx_with_response(&[0x00, 0x01, 0x00, 0x32])]),
            Stop(&[tx_with_response(&[0x00, 0x01, 0x00, 0x00])]),
        ]),
    ];
}
