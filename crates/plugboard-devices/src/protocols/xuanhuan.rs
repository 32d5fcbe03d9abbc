//! Xuanhuan (`xuanhuan`): a masturbator named `QUXIN` with one vibrator. Packets to `tx`
//! (`fe02` in service `fffe`), with response; no init.
//!
//! | vibrate v (0..=10) | bytes |
//! |---|---|
//! | any | `03 02 00 v` |
//!
//! The toy needs its level again every 300 ms: while it is not 0 the packet is written again
//! whenever nothing was written for 300 ms ([`Keepalive::WhileRunning`]); a 0 is written once.
//! The reference engine writes each command at once too, and repeats the level from a loop
//! that wakes every 300 ms whatever else was written; Plugboard's repetition counts from the
//! last write, so a busy client does not get its packets doubled.

use std::time::Duration;

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// How long the toy runs on one packet.
pub const REPEAT: Duration = Duration::from_millis(300);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&XUANHUAN];

/// The `xuanhuan` protocol: one vibrator.
pub static XUANHUAN: SinglePacket = SinglePacket {
    name: "xuanhuan",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::WhileRunning(REPEAT),
};

/// `03 02 00 v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x03, 0x02, 0x00, clamp_byte(level.value, u8::MAX)]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 10)]);
        let mut toy = Sim::new(Box::new(XUANHUAN.handler(&features).unwrap()), &features);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 5)), [[0x03, 0x02, 0x00, 0x05]]);
        assert_eq!(bytes_with_response(&toy.stop()), [[0x03, 0x02, 0x00, 0x00]]);
        assert_eq!(toy.handler.keepalive(), Keepalive::WhileRunning(Duration::from_millis(300)));
    }

    #[tokio::test]
    async fn no_init() {
        let hw = FakeHardware::with_endpoints("QUXIN", "aa", &[Endpoint::Tx]);
        XUANHUAN.initialize(&hw, None, &features(&[(Vibrate, 0, 10)])).await.unwrap();
        assert!(hw.events().is_empty());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. The repetition is the device task's
/// (its tests cover it with Xuanhuan's handler).
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&XUANHUAN, None, &[
        Set(&[(0, Vibrate, 5)], &[tx_with_response(&[0x03, 0x02, 0x00, 0x05])]),
        Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0x03, 0x02, 0x00, 0x0a])]),
        Stop(&[tx_with_response(&[0x03, 0x02, 0x00, 0x00])]),
    ])];
}
