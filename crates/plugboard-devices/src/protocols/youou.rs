//! Youou wand vibrator (BLE names `VX001_*`). Service `fff0` with `tx` `fff6`, written without
//! response; no init. Every device identifies as the model `VX001_`; the database has none, so
//! the protocol's defaults describe it (one vibrator, 0..=255).
//!
//! One 17-byte frame per change of the vibrator:
//!
//! | bytes | meaning |
//! |---|---|
//! | `aa 55` | header |
//! | `n` | the frame counter: 0 for the first frame after connecting, one more for each frame, wrapping after 255 |
//! | `02 03 01` | constant |
//! | `v` | the level, 0..=255 |
//! | `s` | `01` while running, else `00` |
//! | `x` | the XOR of the eight bytes before it |
//! | `ff` and seven `00` | constant |
//!
//! Examples: frame 1 at 128 is `aa 55 01 02 03 01 80 01 7f ff 00 00 00 00 00 00 00`; frame 0
//! at 0 is `aa 55 00 02 03 01 00 00 ff ff 00 …`. The counter is the device task's frame
//! number ("Rolling counters" in `protocols/mod.rs`), which moves on with every frame written,
//! as the reference's moves on with every frame it builds. The reference notes that levels
//! above about 247 select a pattern on this device; the database's range allows them, and
//! Plugboard sends them as the reference would.
//!
//! # Where Plugboard differs from the reference
//!
//! The reference cannot connect this device: it files the identifier under the protocol name
//! `Youou` while its database calls the protocol `youou`, so not even the defaults are found
//! and the connection fails. Plugboard looks it up under `youou` and connects it.

use plugboard_protocol::model::OutputType;

use super::single_packet::{FixedIdentifier, Outputs, Packets, SinglePacket};
use super::{clamp_byte, FrameNumber, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The model identifier of every Youou device.
pub const IDENTIFIER: &str = "VX001_";

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&YOUOU];

/// The `youou` protocol: [`FRAMES`] behind the fixed identifier [`IDENTIFIER`].
pub static YOUOU: FixedIdentifier = FixedIdentifier { identifier: IDENTIFIER, packets: &FRAMES };

/// How levels become frames.
pub static FRAMES: SinglePacket = SinglePacket {
    name: "youou",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::NumberedPerOutput(packet),
    keepalive: Keepalive::None,
};

/// The frame for level `level` with counter `counter`.
pub fn frame(counter: u8, level: u8) -> [u8; 17] {
    let mut frame = [0u8; 17];
    frame[..8].copy_from_slice(&[0xaa, 0x55, counter, 0x02, 0x03, 0x01, level, u8::from(level != 0)]);
    frame[8] = frame[..8].iter().fold(0, |xor, byte| xor ^ byte);
    frame[9] = 0xff;
    frame
}

fn packet(output: &OutputLevel, number: FrameNumber) -> Vec<u8> {
    frame(number.low_byte(), clamp_byte(output.value, u8::MAX)).to_vec()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::super::{Advertisement, ChangeSet, DeviceHandler};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn frames() {
        assert_eq!(frame(0, 0).to_vec(), hex("aa 55 00 02 03 01 00 00 ff ff 00 00 00 00 00 00 00"));
        assert_eq!(frame(1, 128).to_vec(), hex("aa 55 01 02 03 01 80 01 7f ff 00 00 00 00 00 00 00"));
        assert_eq!(frame(2, 255).to_vec(), hex("aa 55 02 02 03 01 ff 01 03 ff 00 00 00 00 00 00 00"));
        assert_eq!(frame(255, 1).to_vec(), hex("aa 55 ff 02 03 01 01 01 00 ff 00 00 00 00 00 00 00"));
    }

    #[test]
    fn frames_count_from_connect_and_wrap() {
        let wand = features(&[(Vibrate, 0, 255)]);
        let mut toy = Sim::new(Box::new(FRAMES.handler(&wand).unwrap()), &wand);
        assert_eq!(bytes(&toy.set(0, Vibrate, 128)), [frame(0, 128).to_vec()]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 255)), [frame(1, 255).to_vec()]);
        assert_eq!(bytes(&toy.stop()), [frame(2, 0).to_vec()]);
        let handler = FRAMES.handler(&wand).unwrap();
        assert_eq!(bytes(&handler.encode_numbered(&toy.levels, ChangeSet::ALL, FrameNumber(256))), [frame(0, 0)]);
    }

    #[tokio::test]
    async fn identifies_as_vx001_and_writes_nothing_at_connect() {
        let hw = FakeHardware::new("VX001_3A", "aa");
        let identifier = YOUOU.identify(&hw, &Advertisement::named("VX001_3A")).await.unwrap();
        assert_eq!(identifier.as_deref(), Some("VX001_"));
        let handler = YOUOU.initialize(&hw, identifier.as_deref(), &features(&[(Vibrate, 0, 255)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
        assert!(YOUOU.initialize(&hw, None, &features(&[(Rotate, 0, 255)])).await.is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. The third byte counts the frames.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&YOUOU, None, &[
        Set(&[(0, Vibrate, 128)], &[tx(&[
            0xaa, 0x55, 0x00, 0x02, 0x03, 0x01, 0x80, 0x01, 0x7e, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ])]),
        Set(&[(0, Vibrate, 255)], &[tx(&[
            0xaa, 0x55, 0x01, 0x02, 0x03, 0x01, 0xff, 0x01, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ])]),
        Stop(&[tx(&[
            0xaa, 0x55, 0x02, 0x02, 0x03, 0x01, 0x00, 0x00, 0xfd, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ])]),
    ])];
}
