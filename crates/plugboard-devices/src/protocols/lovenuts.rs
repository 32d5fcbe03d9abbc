//! Love Nuts (`Love_Nuts`): service 0xFFF0, `tx` 0xFFF1, written without response; no init.
//!
//! | output | packet |
//! |---|---|
//! | vibrate v (0..=15) | `45 56 4f 4c` (ASCII `EVOL`), ten times `vv` (v in both nibbles), `00 ff` |
//!
//! So 5 is `45 56 4f 4c 55 55 55 55 55 55 55 55 55 55 00 ff`.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The highest level: one nibble.
pub const MAX_LEVEL: u8 = 15;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LOVENUTS];

/// The `lovenuts` protocol: one vibrator.
pub static LOVENUTS: SinglePacket = SinglePacket {
    name: "lovenuts",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `EVOL`, ten level bytes, `00 ff`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(level.value, MAX_LEVEL);
    let mut data = b"EVOL".to_vec();
    data.extend([(v << 4) | v; 10]);
    data.extend([0x00, 0xff]);
    data
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 15)]);
        let mut nut = Sim::new(Box::new(LOVENUTS.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&nut.set(0, Vibrate, 5)), [hex("45 56 4f 4c 55 55 55 55 55 55 55 55 55 55 00 ff")]);
        assert_eq!(bytes(&nut.set(0, Vibrate, 15)), [hex("45 56 4f 4c ff ff ff ff ff ff ff ff ff ff 00 ff")]);
        assert_eq!(bytes(&nut.set(0, Vibrate, 99)), [hex("45 56 4f 4c ff ff ff ff ff ff ff ff ff ff 00 ff")], "clamped");
        assert_eq!(bytes(&nut.stop()), [hex("45 56 4f 4c 00 00 00 00 00 00 00 00 00 00 00 ff")]);
        assert_eq!(bytes(&nut.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(LOVENUTS.handler(&[]).is_err());
        assert!(LOVENUTS.handler(&features(&[(Vibrate, 0, 15); 2])).is_err());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(LOVENUTS.name(), "lovenuts");
        let hw = FakeHardware::new("Love_Nuts", "aa");
        LOVENUTS.initialize(&hw, None, &features(&[(Vibrate, 0, 15)])).await.unwrap();
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&LOVENUTS, None, &[
        Set(&[(0, Vibrate, 5)], &[tx(b"EVOL\x55\x55\x55\x55\x55\x55\x55\x55\x55\x55\x00\xff")]),
        Stop(&[tx(b"EVOL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff")]),
    ])];
}
