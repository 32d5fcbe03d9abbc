//! Mizz Zee v3 (`mizzzee-v3`): a vibrator named `XHTKJ`. Every packet is 20 bytes to `tx`
//! (`ff12` in service `ff10`), with response; no init.
//!
//! | vibrate v (0..=1000) | bytes |
//! |---|---|
//! | 0 | `03 12` and eighteen `00` |
//! | 1..=1000 | `03 12 f3`, `00 fc 00 fe 40 01 lo hi`, `00 fc 00 fe 40 01 lo hi`, `00` |
//!
//! `lo hi` is m = (s << 6) | 0x3c as a little-endian u16, where s = ⌊((v / 1000) × 0.7 + 0.3) ×
//! 1023⌋ is a 10-bit intensity: the toy's useful range starts at 30 % (s = 307 for v = 1), and
//! v = 1000 gives s = 1023. The reference engine computes s in 32-bit floats; for every v here
//! that gives the same integer as exact arithmetic, which is what [`intensity`] uses.
//!
//! The toy stops unless it hears from the host: the last packet is written again whenever
//! nothing was written for 200 ms ([`Keepalive::RepeatLast`]), the all-zero packet included.

use std::time::Duration;

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest vibrate value.
pub const MAX_VALUE: i32 = 1000;
/// How long the toy runs on one packet, as far as the reference engine knows.
pub const KEEPALIVE: Duration = Duration::from_millis(200);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MIZZZEE_V3];

/// The `mizzzee-v3` protocol: one vibrator.
pub static MIZZZEE_V3: SinglePacket = SinglePacket {
    name: "mizzzee-v3",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::RepeatLast(KEEPALIVE),
};

/// The 10-bit intensity s for a level 1..=1000: 307 + ⌊v × 716.1 / 1000⌋ written in integers,
/// ⌊(v × 7161 + 3069000) / 10000⌋.
pub fn intensity(value: i32) -> u16 {
    let value = value.clamp(1, MAX_VALUE) as u32;
    ((value * 7161 + 3_069_000) / 10_000) as u16
}

/// The 20-byte packet.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let mut data = vec![0x03, 0x12];
    if level.value <= 0 {
        data.resize(20, 0x00);
        return data;
    }
    const FILL: [u8; 6] = [0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01];
    let level = ((intensity(level.value) << 6) | 0x3c).to_le_bytes();
    data.push(0xf3);
    for _ in 0..2 {
        data.extend(FILL);
        data.extend(level);
    }
    data.push(0x00);
    data
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn intensity_is_the_reference_formula() {
        for v in 1..=MAX_VALUE {
            // The reference's single-precision computation.
            let reference = (((v as f32 / 1000.0) * 0.7 + 0.3) * 1023.0) as u16;
            assert_eq!(intensity(v), reference, "v = {v}");
        }
        assert_eq!((intensity(1), intensity(1000)), (307, 1023));
    }

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 1000)]);
        let mut toy = Sim::new(Box::new(MIZZZEE_V3.handler(&features).unwrap()), &features);
        let frame = |tail: &str| hex(&format!("03 12 f3 00 fc 00 fe 40 01 {tail} 00 fc 00 fe 40 01 {tail} 00"));
        assert_eq!(bytes_with_response(&toy.all()), [vec![0x03, 0x12].into_iter().chain([0; 18]).collect::<Vec<_>>()]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 1)), [frame("fc 4c")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 100)), [frame("bc 5e")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 500)), [frame("3c a6")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 999)), [frame("bc ff")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 1000)), [frame("fc ff")]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 5000)), [frame("fc ff")], "clamped");
        assert_eq!(bytes_with_response(&toy.stop()), [hex("03 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")]);
        assert_eq!(toy.handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(200)));
    }

    #[tokio::test]
    async fn no_init() {
        let hw = FakeHardware::with_endpoints("XHTKJ", "aa", &[Endpoint::Tx]);
        MIZZZEE_V3.initialize(&hw, None, &features(&[(Vibrate, 0, 1000)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert!(MIZZZEE_V3.handler(&features(&[(Vibrate, 0, 1000); 2])).is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&MIZZZEE_V3, None, &[
        Set(&[(0, Vibrate, 1)], &[tx_with_response(&[
            0x03, 0x12, 0xf3, 0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01, 0xfc, 0x4c, 0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01, 0xfc,
            0x4c, 0x00,
        ])]),
        Set(&[(0, Vibrate, 500)], &[tx_with_response(&[
            0x03, 0x12, 0xf3, 0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01, 0x3c, 0xa6, 0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01, 0x3c,
            0xa6, 0x00,
        ])]),
        Stop(&[tx_with_response(&[0x03, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
    ])];
}
