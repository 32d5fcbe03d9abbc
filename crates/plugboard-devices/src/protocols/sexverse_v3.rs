//! Sexverse v3 (`sexverse-v3`): the Tay vibrators (`TAY001`, `TAY006`, `TAY009`) and the Zeus
//! (`TA-S001A`, a vibrator and an oscillator). One packet per changed output to `tx` (`fe02`
//! in service `fff0`), with response; no init.
//!
//! | output | bytes |
//! |---|---|
//! | vibrate or oscillate v (0..=20) on feature i | `a1 04 v (i + 1)` |
//!
//! The toys stop unless they hear from the host: the last packets written are written again
//! whenever nothing was written for 100 ms ([`Keepalive::RepeatLast`]), seeded with a stop
//! right after connecting. As in the reference engine, that repeats the packets of the last
//! change only: with both of the Zeus's outputs running, the one changed last.
//!
//! **Unverified**: the reference engine has no oscillate command for this protocol (it refuses
//! one, and its stop skips the Zeus's oscillator). Plugboard encodes the oscillator the way
//! the same packet addresses every other feature, `a1 04 v 02`, and stops it with `a1 04 00
//! 02`; no capture of the vendor's app confirms it.

use std::time::Duration;

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// How long the toys run on one packet, as far as the reference engine knows.
pub const KEEPALIVE: Duration = Duration::from_millis(100);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SEXVERSE_V3];

/// The `sexverse-v3` protocol. The feature number is one byte, 1-based.
pub static SEXVERSE_V3: SinglePacket = SinglePacket {
    name: "sexverse-v3",
    outputs: Outputs::of(&[OutputType::Vibrate, OutputType::Oscillate]).up_to_feature(254),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::RepeatLast(KEEPALIVE),
};

/// `a1 04 v (i + 1)`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xa1, 0x04, clamp_byte(level.value, u8::MAX), level.feature_index as u8 + 1]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn tay_vibrator() {
        let features = features(&[(Vibrate, 0, 20)]);
        let mut tay = Sim::new(Box::new(SEXVERSE_V3.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&tay.all()), [[0xa1, 0x04, 0x00, 0x01]], "the keepalive seed is a stop");
        assert_eq!(bytes_with_response(&tay.set(0, Vibrate, 10)), [[0xa1, 0x04, 0x0a, 0x01]]);
        assert_eq!(bytes_with_response(&tay.stop()), [[0xa1, 0x04, 0x00, 0x01]]);
        assert_eq!(tay.handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(100)));
    }

    #[test]
    fn zeus_vibrator_and_oscillator() {
        let features = features(&[(Vibrate, 0, 20), (Oscillate, 0, 20)]);
        let mut zeus = Sim::new(Box::new(SEXVERSE_V3.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&zeus.set(1, Oscillate, 20)), [[0xa1, 0x04, 0x14, 0x02]]);
        assert_eq!(
            bytes_with_response(&zeus.flush(&[(0, Vibrate, 5), (1, Oscillate, 7)])),
            [[0xa1, 0x04, 0x05, 0x01], [0xa1, 0x04, 0x07, 0x02]]
        );
        assert_eq!(bytes_with_response(&zeus.stop()), [[0xa1, 0x04, 0x00, 0x01], [0xa1, 0x04, 0x00, 0x02]]);
    }

    #[tokio::test]
    async fn no_init_and_definitions() {
        let hw = FakeHardware::with_endpoints("TAY001", "aa", &[Endpoint::Tx]);
        SEXVERSE_V3.initialize(&hw, Some("TAY001"), &features(&[(Vibrate, 0, 20)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert!(SEXVERSE_V3.handler(&features(&[(Rotate, 0, 20)])).is_err());
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
        Vector::new(&SEXVERSE_V3, Some("TAY001"), &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0xa1, 0x04, 0x0a, 0x01])]),
            Stop(&[tx_with_response(&[0xa1, 0x04, 0x00, 0x01])]),
        ]),
        Vector::new(&SEXVERSE_V3, None, &[
            Set(&[(0, Vibrate, 20)], &[tx_with_response(&[0xa1, 0x04, 0x14, 0x01])]),
            Stop(&[tx_with_response(&[0xa1, 0x04, 0x00, 0x01])]),
        ]),
        // The oscillator's bytes are Plugboard's (see the module docs).
        Vector::new(&SEXVERSE_V3, Some("TA-S001A"), &[
            Set(&[(1, Oscillate, 20)], &[tx_with_response(&[0xa1, 0x04, 0x14, 0x02])]),
            Set(&[(0, Vibrate, 5)], &[tx_with_response(&[0xa1, 0x04, 0x05, 0x01])]),
            Stop(&[tx_with_response(&[0xa1, 0x04, 0x00, 0x01]), tx_with_response(&[0xa1, 0x04, 0x00, 0x02])]),
        ]),
    ];
}
