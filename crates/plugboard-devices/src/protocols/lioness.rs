//! Lioness (`Lioness`, `Lioness2`): `rx` D973F2E6 in service D973F2E5, `tx` D973F2F4 in
//! service D973F2ED. The toy only talks to a host it is bonded with (PIN 6496).
//!
//! | step | bytes |
//! |---|---|
//! | init | subscribe to `rx`, then `01 aa aa bb cc 10` to `tx` **with** response |
//! | vibrate v (0..=100) | `02 aa bb cc cc v` to `tx` without response |
//!
//! Notifications on `rx` are not read (the subscription is part of the unlock). When the
//! unlock write fails the toy is almost always not paired with the operating system, and the
//! error says so and how to fix it, as the reference's does.

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{clamp_byte, DeviceHandler, Keepalive, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Write};

/// The unlock packet written at connect, with response.
pub const UNLOCK: [u8; 6] = [0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10];

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LIONESS];

/// The `lioness` protocol: the unlock, then the packets of [`PACKETS`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Lioness;

pub static LIONESS: Lioness = Lioness;

/// The packets after the unlock: one vibrator.
static PACKETS: SinglePacket = SinglePacket {
    name: "lioness",
    outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(packet),
    keepalive: Keepalive::None,
};

/// `02 aa bb cc cc v`.
fn packet(level: &OutputLevel) -> Vec<u8> {
    vec![0x02, 0xaa, 0xbb, 0xcc, 0xcc, clamp_byte(level.value, u8::MAX)]
}

impl Protocol for Lioness {
    fn name(&self) -> &'static str {
        PACKETS.name
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = PACKETS.handler(features)?;
            hw.subscribe(Endpoint::Rx).await?;
            hw.write(Write::with_response(Endpoint::Tx, UNLOCK.to_vec())).await.map_err(|error| match error {
                HardwareError::Disconnected => ProtocolError::Hardware(error),
                error => ProtocolError::Hardware(HardwareError::Io(format!(
                    "the Lioness refused its unlock packet ({error}); it works only once paired with the operating \
                     system: pair it in the system's Bluetooth settings with PIN 6496 (or 006496), then connect again"
                ))),
            })?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, hex, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut lioness = Sim::new(Box::new(PACKETS.handler(&features).unwrap()), &features);
        assert_eq!(bytes(&lioness.set(0, Vibrate, 100)), [hex("02 aa bb cc cc 64")]);
        assert_eq!(bytes(&lioness.set(0, Vibrate, 37)), [hex("02 aa bb cc cc 25")]);
        assert_eq!(bytes(&lioness.stop()), [hex("02 aa bb cc cc 00")]);
        assert_eq!(bytes(&lioness.stop()), Vec::<Vec<u8>>::new());
    }

    #[tokio::test]
    async fn init_subscribes_then_unlocks_with_response() {
        assert_eq!(LIONESS.name(), "lioness");
        let hw = FakeHardware::new("Lioness", "aa");
        let handler = LIONESS.initialize(&hw, Some("Lioness"), &features(&[(Vibrate, 0, 100)])).await.unwrap();
        assert_eq!(
            hw.events(),
            [Event::Subscribe(Endpoint::Rx), Event::Write(Write::with_response(Endpoint::Tx, hex("01 aa aa bb cc 10")))]
        );
        assert_eq!(handler.keepalive(), Keepalive::None);
    }

    #[tokio::test]
    async fn a_refused_unlock_says_to_pair_with_the_pin() {
        let hw = FakeHardware::new("Lioness", "aa");
        hw.fail_writes(Some(HardwareError::Io("GATT write rejected: insufficient authentication".into())));
        let error = LIONESS.initialize(&hw, None, &features(&[(Vibrate, 0, 100)])).await.err().unwrap();
        let text = error.to_string();
        assert!(text.contains("PIN 6496 (or 006496)"), "{text}");
        assert!(text.contains("insufficient authentication"), "{text}");

        hw.fail_writes(Some(HardwareError::Disconnected));
        let error = LIONESS.initialize(&hw, None, &features(&[(Vibrate, 0, 100)])).await.err().unwrap();
        assert_eq!(error, ProtocolError::Hardware(HardwareError::Disconnected), "a lost link is not a pairing problem");
    }

    #[tokio::test]
    async fn a_bad_definition_touches_nothing() {
        let hw = FakeHardware::new("Lioness", "aa");
        assert!(LIONESS.initialize(&hw, None, &features(&[(Vibrate, 0, 100); 2])).await.is_err());
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

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&LIONESS, None, &[
        Set(&[(0, Vibrate, 100)], &[tx(&[0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0x64])]),
        Stop(&[tx(&[0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0x00])]),
    ])];
}
