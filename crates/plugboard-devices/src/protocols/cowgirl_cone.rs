//! The Cowgirl Cone (`CG-CONE`): service 0xFFE0, `tx` 0xFFE1, every write without response.
//!
//! | step | bytes |
//! |---|---|
//! | init | `aa 56 00 00`, then a 3 s wait before the device is reported |
//! | vibrate v (0..=128) | `f1 01 v 00` |
//!
//! The wait is the reference's: the cone ignores commands while it wakes up, so the device is
//! not offered to clients (and cannot be sent anything) until it has passed.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::{tx, Outputs, Packets, SinglePacket};
use super::{clamp_byte, DeviceHandler, Keepalive, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware};

/// The wake-up packet written at connect.
pub const WAKE_UP: [u8; 4] = [0xaa, 0x56, 0x00, 0x00];
/// How long the cone needs after the wake-up packet.
pub const WAKE_UP_WAIT: Duration = Duration::from_secs(3);

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&COWGIRL_CONE];

/// The `cowgirl-cone` protocol: the packets of [`PACKETS`], then the wait.
#[derive(Debug, Clone, Copy, Default)]
pub struct CowgirlCone;

pub static COWGIRL_CONE: CowgirlCone = CowgirlCone;

/// The packets: the wake-up at init, one vibrator.
static PACKETS: SinglePacket = SinglePacket {
    name: "cowgirl-cone",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[tx(&WAKE_UP)],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `f1 01 v 00`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0xf1, 0x01, clamp_byte(level.value, u8::MAX), 0x00]
}

impl Protocol for CowgirlCone {
    fn name(&self) -> &'static str {
        PACKETS.name
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = PACKETS.initialize(hw, identifier, features).await?;
            tokio::time::sleep(WAKE_UP_WAIT).await;
            Ok(handler)
        })
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use tokio::time::Instant;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::hardware::Write;
    use crate::testing::{Event, FakeHardware};

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 128)]);
        let mut cone = Sim::new(Box::new(PACKETS.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&cone.set(0, Vibrate, 64)), [hex("f1 01 40 00")]);
        assert_eq!(bytes(&cone.set(0, Vibrate, 128)), [hex("f1 01 80 00")]);
        assert_eq!(bytes(&cone.stop()), [hex("f1 01 00 00")]);
        assert_eq!(bytes(&cone.stop()), Vec::<Vec<u8>>::new());
    }

    #[tokio::test(start_paused = true)]
    async fn init_wakes_the_cone_then_waits_three_seconds() {
        assert_eq!(COWGIRL_CONE.name(), "cowgirl-cone");
        let hw = FakeHardware::new("CG-CONE", "aa");
        let started = Instant::now();
        let handler = COWGIRL_CONE.initialize(&hw, Some("CG-CONE"), &features(&[(Vibrate, 0, 128)])).await.unwrap();
        assert_eq!(started.elapsed(), WAKE_UP_WAIT);
        assert_eq!(hw.events(), [Event::Write(Write::without_response(Endpoint::Tx, hex("aa 56 00 00")))]);
        assert_eq!(handler.keepalive(), Keepalive::None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_bad_definition_writes_nothing_and_does_not_wait() {
        let hw = FakeHardware::new("CG-CONE", "aa");
        let started = Instant::now();
        assert!(COWGIRL_CONE.initialize(&hw, None, &features(&[(Rotate, 0, 128)])).await.is_err());
        assert!(hw.events().is_empty());
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&COWGIRL_CONE, Some("CG-CONE"), &[
        Set(&[(0, Vibrate, 64)], &[tx(&[0xf1, 0x01, 0x40, 0x00])]),
        Set(&[(0, Vibrate, 128)], &[tx(&[0xf1, 0x01, 0x80, 0x00])]),
        Stop(&[tx(&[0xf1, 0x01, 0x00, 0x00])]),
    ])];
}
