//! Leten (`leten`): vibrators named `T528-LT`, `F537-LT`, `F520A-LT`, `F520B-LT`. The `tx`
//! characteristic (`fff1` in service `fff0`) takes every write, with response; an `rx`
//! characteristic in another service (`ffe1` in `ffe0`) exists but nothing is read from it.
//!
//! | step | bytes |
//! |---|---|
//! | init | `04 01` |
//! | vibrate v (0..=25) | `02 v` |
//!
//! The toy stops unless it hears from the host: the last packet is written again whenever
//! nothing was written for a second ([`Keepalive::RepeatLast`]), `02 00` included, so a stop
//! is seeded right after connecting, as the reference engine does.
//!
//! The vendor's app sometimes asks `04 00` and waits for `01` on `rx` before `04 01`; the
//! reference engine never does, and neither does Plugboard.

use std::time::Duration;

use plugboard_protocol::model::OutputType;

use super::single_packet::{tx_with_response, Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The init packet.
pub const INIT: [u8; 2] = [0x04, 0x01];
/// How long the toy runs on one packet, as far as the reference engine knows.
pub const KEEPALIVE: Duration = Duration::from_secs(1);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LETEN];

/// The `leten` protocol: one vibrator.
pub static LETEN: SinglePacket = SinglePacket {
    name: "leten",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[tx_with_response(&INIT)],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::RepeatLast(KEEPALIVE),
};

/// `02 v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x02, clamp_byte(level.value, u8::MAX)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::*;
    use crate::hardware::Write;
    use crate::testing::{Event, FakeHardware};

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 25)]);
        let mut toy = Sim::new(Box::new(LETEN.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&toy.all()), [[0x02, 0x00]], "the keepalive seed is a stop");
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 13)), [[0x02, 0x0d]]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 25)), [[0x02, 0x19]]);
        assert_eq!(bytes_with_response(&toy.stop()), [[0x02, 0x00]]);
        assert_eq!(toy.handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(1000)));
    }

    #[test]
    fn definitions() {
        assert!(LETEN.handler(&features(&[(Vibrate, 0, 25)])).is_ok());
        assert!(LETEN.handler(&features(&[(Vibrate, 0, 25); 2])).is_err());
        assert!(LETEN.handler(&features(&[(Rotate, 0, 25)])).is_err());
    }

    #[tokio::test]
    async fn init_writes_04_01_with_response() {
        let hw = FakeHardware::with_endpoints("T528-LT", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        LETEN.initialize(&hw, Some("T528-LT"), &features(&[(Vibrate, 0, 25)])).await.unwrap();
        assert_eq!(hw.events(), [Event::Write(Write::with_response(Endpoint::Tx, vec![0x04, 0x01]))]);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&LETEN, None, &[
        Set(&[(0, Vibrate, 13)], &[tx_with_response(&[0x02, 0x0d])]),
        Set(&[(0, Vibrate, 25)], &[tx_with_response(&[0x02, 0x19])]),
        Stop(&[tx_with_response(&[0x02, 0x00])]),
    ])];
}
