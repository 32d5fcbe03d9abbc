//! TryFun: the Yuan series (`TRYFUN-ONE`, the defaults: an oscillator and a rotator) and the
//! Surge Pro (`TF-SPRAY`, a vibrator). Every write goes to `tx` **with** response; no init. One
//! frame per changed output, its type deciding the frame:
//!
//! | output | frame |
//! |---|---|
//! | oscillate v (0..=9) | `aa 02 07 v c`, c = `f9` - v |
//! | rotate v (0..=9) | `aa 02 08 v c`, c = `f8` - v |
//! | vibrate v (0..=4) | `00 02 00 05 a b 01 d e` |
//!
//! The Yuan's check byte `c` is `ff` minus the three bytes after `aa`, plus 3 (modulo 256). The
//! Surge Pro's frame is `a b d` = `02 v 00` when running and `01 02 01` at 0, with
//! e = `fd` - max(v, 1): the stop is `00 02 00 05 01 02 01 01 fc`, not zeros.
//!
//! The database gives `tx` in two services (0xFF10 / 0xFFF1 and 0xFFAC / 0xFFB5), one per
//! hardware layout; the transport maps `tx` to the one the device has. Rotation has no
//! direction (0..=9); a negative level is sent by its magnitude, where the reference would send
//! the wrapped byte.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&TRYFUN];

/// The `tryfun` protocol: at most one oscillator, one rotator and one vibrator (the frames say
/// the type, not the feature).
pub static TRYFUN: SinglePacket = SinglePacket {
    name: "tryfun",
    outputs: Outputs::of(&[OutputType::Oscillate, OutputType::Rotate, OutputType::Vibrate]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// The Yuan frame `aa 02 command v c`.
fn yuan_frame(command: u8, v: u8) -> Vec<u8> {
    let body = [0x02, command, v];
    let check = body.iter().fold(0xffu8, |check, byte| check.wrapping_sub(*byte)).wrapping_add(body.len() as u8);
    vec![0xaa, body[0], body[1], body[2], check]
}

/// The Surge Pro frame `00 02 00 05 a b 01 d e`.
fn surge_frame(v: u8) -> Vec<u8> {
    let (a, b, d) = if v == 0 { (0x01, 0x02, 0x01) } else { (0x02, v, 0x00) };
    vec![0x00, 0x02, 0x00, 0x05, a, b, 0x01, d, 0xfdu8.wrapping_sub(v.max(1))]
}

fn packet(level: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(level.value.saturating_abs(), u8::MAX);
    match level.kind {
        OutputType::Oscillate => yuan_frame(0x07, v),
        OutputType::Rotate => yuan_frame(0x08, v),
        _ => surge_frame(v),
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(TRYFUN.handler(&features).unwrap()), &features)
    }

    #[test]
    fn yuan_oscillate_and_rotate() {
        let mut yuan = sim(&[(Oscillate, 0, 9), (Rotate, 0, 9)]);
        assert_eq!(bytes_with_response(&yuan.set(0, Oscillate, 1)), [hex("aa 02 07 01 f8")]);
        assert_eq!(bytes_with_response(&yuan.set(0, Oscillate, 9)), [hex("aa 02 07 09 f0")]);
        assert_eq!(bytes_with_response(&yuan.set(1, Rotate, 9)), [hex("aa 02 08 09 ef")]);
        assert_eq!(bytes_with_response(&yuan.set(1, Rotate, -4)), [hex("aa 02 08 04 f4")]);
        assert_eq!(bytes_with_response(&yuan.stop()), [hex("aa 02 07 00 f9"), hex("aa 02 08 00 f8")]);
        assert_eq!(yuan.stop(), []);
    }

    #[test]
    fn surge_pro_vibrate() {
        let mut surge = sim(&[(Vibrate, 0, 4)]);
        assert_eq!(bytes_with_response(&surge.set(0, Vibrate, 1)), [hex("00 02 00 05 02 01 01 00 fc")]);
        assert_eq!(bytes_with_response(&surge.set(0, Vibrate, 4)), [hex("00 02 00 05 02 04 01 00 f9")]);
        assert_eq!(bytes_with_response(&surge.stop()), [hex("00 02 00 05 01 02 01 01 fc")]);
        assert_eq!(surge.stop(), []);
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert_eq!(TRYFUN.name(), "tryfun");
        assert!(TRYFUN.handler(&features(&[(Oscillate, 0, 9); 2])).is_err());
        assert!(TRYFUN.handler(&features(&[(Constrict, 0, 9)])).is_err());
        let hw = FakeHardware::new("TRYFUN-ONE", "aa");
        TRYFUN.initialize(&hw, None, &features(&[(Oscillate, 0, 9), (Rotate, 0, 9)])).await.unwrap();
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
        Vector::new(&TRYFUN, None, &[
            Set(&[(0, Oscillate, 9)], &[tx_with_response(&[0xaa, 0x02, 0x07, 0x09, 0xf0])]),
            Set(&[(1, Rotate, 9)], &[tx_with_response(&[0xaa, 0x02, 0x08, 0x09, 0xef])]),
            Stop(&[
                tx_with_response(&[0xaa, 0x02, 0x07, 0x00, 0xf9]),
                tx_with_response(&[0xaa, 0x02, 0x08, 0x00, 0xf8]),
            ]),
        ]),
        Vector::new(&TRYFUN, Some("TF-SPRAY"), &[
            Set(&[(0, Vibrate, 4)], &[tx_with_response(&[0x00, 0x02, 0x00, 0x05, 0x02, 0x04, 0x01, 0x00, 0xf9])]),
            Stop(&[tx_with_response(&[0x00, 0x02, 0x00, 0x05, 0x01, 0x02, 0x01, 0x01, 0xfc])]),
        ]),
    ];
}
