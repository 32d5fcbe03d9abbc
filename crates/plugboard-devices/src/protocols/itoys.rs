//! iToys (and the Defyeah and Bestvibe toys on the same board): service 0xFFA0, `tx` 0xFFA1,
//! written without response; no init. One packet per changed output, its type in byte 1:
//!
//! | output | packet |
//! |---|---|
//! | vibrate v | `a0 01 00 00 v ff` (the `ff` stays at 0) |
//! | oscillate v | `a0 06 on 00 on v` |
//! | rotate v | `a0 08 on 00 |v| g` |
//! | constrict v | `a0 0d 00 00 v h` |
//!
//! `on` is `01` for a level above 0 and `00` for 0; `g` is `ff` and `h` is `64` when running,
//! `00` at 0. The packets say the output type but not the feature, so a device has at most one
//! output of each type (every model does). Rotation has no direction in the database (0..=3);
//! a negative level is sent by its magnitude, as the reference does.
//!
//! | model | outputs |
//! |---|---|
//! | `26-021-B` Seagull (the defaults) | vibrate 0..=3 |
//! | `SML-2310-SZ-B` Twinkling Stars | vibrate 0..=3, oscillate 0..=255 |
//! | `ASF-001-BT-R` Defyeah sex machine | oscillate 0..=255 |
//! | `IJVB-W10-BT-RX` Bestvibe | vibrate 0..=3, rotate 0..=3 |
//! | `YSSY-073-BT` Lach | vibrate 0..=255, constrict 0..=1 |

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&ITOYS];

/// The `itoys` protocol: one output of each of the four types at most.
pub static ITOYS: SinglePacket = SinglePacket {
    name: "itoys",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate, OutputType::Rotate, OutputType::Constrict])
        .one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// The packet of one output, by its type.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let value = clamp_byte(level.value.saturating_abs(), u8::MAX);
    let on = u8::from(value != 0);
    let when_on = |byte: u8| if value != 0 { byte } else { 0x00 };
    match level.kind {
        OutputType::Oscillate => vec![0xa0, 0x06, on, 0x00, on, value],
        OutputType::Rotate => vec![0xa0, 0x08, on, 0x00, value, when_on(0xff)],
        OutputType::Constrict | OutputType::Inflate => vec![0xa0, 0x0d, 0x00, 0x00, value, when_on(0x64)],
        _ => vec![0xa0, 0x01, 0x00, 0x00, value, 0xff],
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(ITOYS.handler(&features).unwrap()), &features)
    }

    #[test]
    fn vibrate_keeps_its_ff_at_zero() {
        let mut seagull = sim(&[(Vibrate, 0, 3)]);
        assert_eq!(bytes(&seagull.set(0, Vibrate, 2)), [hex("a0 01 00 00 02 ff")]);
        assert_eq!(bytes(&seagull.set(0, Vibrate, 3)), [hex("a0 01 00 00 03 ff")]);
        assert_eq!(bytes(&seagull.stop()), [hex("a0 01 00 00 00 ff")]);
    }

    #[test]
    fn oscillate() {
        let mut machine = sim(&[(Oscillate, 0, 255)]);
        assert_eq!(bytes(&machine.set(0, Oscillate, 128)), [hex("a0 06 01 00 01 80")]);
        assert_eq!(bytes(&machine.set(0, Oscillate, 255)), [hex("a0 06 01 00 01 ff")]);
        assert_eq!(bytes(&machine.stop()), [hex("a0 06 00 00 00 00")]);
    }

    #[test]
    fn rotate_by_magnitude() {
        let mut bestvibe = sim(&[(Vibrate, 0, 3), (Rotate, 0, 3)]);
        assert_eq!(bytes(&bestvibe.set(1, Rotate, 2)), [hex("a0 08 01 00 02 ff")]);
        assert_eq!(bytes(&bestvibe.set(1, Rotate, -3)), [hex("a0 08 01 00 03 ff")]);
        assert_eq!(bytes(&bestvibe.set(0, Vibrate, 1)), [hex("a0 01 00 00 01 ff")]);
        assert_eq!(bytes(&bestvibe.stop()), [hex("a0 01 00 00 00 ff"), hex("a0 08 00 00 00 00")]);
    }

    #[test]
    fn constrict() {
        let mut lach = sim(&[(Vibrate, 0, 255), (Constrict, 0, 1)]);
        assert_eq!(bytes(&lach.set(1, Constrict, 1)), [hex("a0 0d 00 00 01 64")]);
        assert_eq!(bytes(&lach.stop()), [hex("a0 0d 00 00 00 00")]);
    }

    #[test]
    fn definitions() {
        assert!(ITOYS.handler(&[]).is_err());
        assert!(ITOYS.handler(&features(&[(Vibrate, 0, 3); 2])).is_err(), "packets carry no feature index");
        assert!(ITOYS.handler(&features(&[(Spray, 0, 1)])).is_err());
        assert!(ITOYS.handler(&features(&[(Vibrate, 0, 3), (Oscillate, 0, 9), (Rotate, 0, 3)])).is_ok());
    }

    #[tokio::test]
    async fn no_init() {
        assert_eq!(ITOYS.name(), "itoys");
        let hw = FakeHardware::new("YSSY-073-BT", "aa");
        ITOYS.initialize(&hw, None, &features(&[(Vibrate, 0, 255), (Constrict, 0, 1)])).await.unwrap();
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
        Vector::new(&ITOYS, Some("26-021-B"), &[
            Set(&[(0, Vibrate, 2)], &[tx(&[0xa0, 0x01, 0x00, 0x00, 0x02, 0xff])]),
            Stop(&[tx(&[0xa0, 0x01, 0x00, 0x00, 0x00, 0xff])]),
        ]),
        Vector::new(&ITOYS, Some("SML-2310-SZ-B"), &[
            Set(&[(0, Vibrate, 3)], &[tx(&[0xa0, 0x01, 0x00, 0x00, 0x03, 0xff])]),
            Set(&[(1, Oscillate, 128)], &[tx(&[0xa0, 0x06, 0x01, 0x00, 0x01, 0x80])]),
            Stop(&[tx(&[0xa0, 0x01, 0x00, 0x00, 0x00, 0xff]), tx(&[0xa0, 0x06, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&ITOYS, Some("ASF-001-BT-R"), &[
            Set(&[(0, Oscillate, 255)], &[tx(&[0xa0, 0x06, 0x01, 0x00, 0x01, 0xff])]),
            Stop(&[tx(&[0xa0, 0x06, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&ITOYS, Some("IJVB-W10-BT-RX"), &[
            Set(&[(1, Rotate, 2)], &[tx(&[0xa0, 0x08, 0x01, 0x00, 0x02, 0xff])]),
            Set(&[(0, Vibrate, 1)], &[tx(&[0xa0, 0x01, 0x00, 0x00, 0x01, 0xff])]),
            Stop(&[tx(&[0xa0, 0x01, 0x00, 0x00, 0x00, 0xff]), tx(&[0xa0, 0x08, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&ITOYS, Some("YSSY-073-BT"), &[
            Set(&[(1, Constrict, 1)], &[tx(&[0xa0, 0x0d, 0x00, 0x00, 0x01, 0x64])]),
            Set(&[(0, Vibrate, 200)], &[tx(&[0xa0, 0x01, 0x00, 0x00, 0xc8, 0xff])]),
            Stop(&[tx(&[0xa0, 0x01, 0x00, 0x00, 0x00, 0xff]), tx(&[0xa0, 0x0d, 0x00, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
