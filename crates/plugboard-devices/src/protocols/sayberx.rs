//! SayberX (`sayberx`): the SayberX stroker (`SayberX`) and its X-Ring controller (`X-Ring *`).
//! ASCII to `tx` (`fff6` in service `fff0`), without response; no init.
//!
//! | output | bytes |
//! |---|---|
//! | vibrate v (0..=4, the stroke speed) | `AT+SPD` `v` `0` (`AT+SPD00` stops, `AT+SPD40` is the fastest) |
//!
//! The X-Ring (and any other device of the protocol's defaults) has no features in the device
//! database: it is the stroker's input ring, whose notifications on `rx` are not understood.
//! It is connected and listed with nothing to control, like `connect_only.rs`'s devices. A
//! ring advertises as `X-Ring` and a suffix, so it never matches the database's `X-Ring`
//! model by name and gets the (featureless) defaults either way.
//!
//! **Unverified**: the reference engine lists these devices in its database but has no handler
//! for them (it cannot connect them). The bytes come from the community's notes on the vendor's
//! app, which show two decimal digits from `00` to `40` with the units digit always 0; the
//! write type is not known, and without response is what Plugboard uses.

use plugboard_protocol::model::{Feature, OutputType};

use super::connect_only::NoOutputs;
use super::single_packet::{Encoder, Outputs, SinglePacketHandler};
use super::{clamp_byte, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware};

/// The fastest speed.
pub const MAX_VALUE: u8 = 4;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SAYBERX];

/// The `sayberx` protocol.
#[derive(Debug, Clone, Copy)]
pub struct SayberX;

pub static SAYBERX: SayberX = SayberX;

impl Protocol for SayberX {
    fn name(&self) -> &'static str {
        "sayberx"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            if features.iter().all(|feature| feature.outputs.is_empty()) {
                return Ok(Box::new(NoOutputs::new(self.name(), features)?) as Box<dyn DeviceHandler>);
            }
            let outputs = Outputs::of(&[OutputType::Vibrate]).at_most(1);
            let encoder = Encoder::PerOutput(Box::new(packet));
            let handler = SinglePacketHandler::new(self.name(), &outputs, features, Endpoint::Tx, false, encoder)?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// `AT+SPD` followed by the speed and a 0.
fn packet(level: &OutputLevel) -> Vec<u8> {
    format!("AT+SPD{}0", clamp_byte(level.value, MAX_VALUE)).into_bytes()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{ascii, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    #[tokio::test]
    async fn stroke_speed() {
        let hw = FakeHardware::with_endpoints("SayberX", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let features = features(&[(Vibrate, 0, 4)]);
        let handler = SAYBERX.initialize(&hw, Some("SayberX"), &features).await.unwrap();
        assert!(hw.events().is_empty(), "no init");
        let mut stroker = Sim::new(handler, &features);
        assert_eq!(ascii(&stroker.set(0, Vibrate, 1)), ["AT+SPD10"]);
        assert_eq!(ascii(&stroker.set(0, Vibrate, 4)), ["AT+SPD40"]);
        assert_eq!(ascii(&stroker.set(0, Vibrate, 9)), ["AT+SPD40"], "clamped");
        assert_eq!(ascii(&stroker.stop()), ["AT+SPD00"]);
        assert_eq!(stroker.handler.keepalive(), super::super::Keepalive::None);
    }

    #[tokio::test]
    async fn the_ring_connects_with_nothing_to_control() {
        let hw = FakeHardware::with_endpoints("X-Ring 0F313B", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let handler = SAYBERX.initialize(&hw, Some("X-Ring 0F313B"), &[]).await.unwrap();
        assert!(Sim::new(handler, &[]).all().is_empty());
        assert!(hw.events().is_empty());
        let two = features(&[(Vibrate, 0, 4); 2]);
        assert!(SAYBERX.initialize(&hw, None, &two).await.is_err());
        assert!(SAYBERX.initialize(&hw, None, &features(&[(Rotate, 0, 4)])).await.is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. From the community's notes (see the
/// module docs): there is no reference handler to take them from.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&SAYBERX, Some("SayberX"), &[
            Set(&[(0, Vibrate, 1)], &[tx(b"AT+SPD10")]),
            Set(&[(0, Vibrate, 4)], &[tx(b"AT+SPD40")]),
            Stop(&[tx(b"AT+SPD00")]),
        ]),
        Vector::new(&SAYBERX, Some("X-Ring"), &[Stop(&[])]),
        Vector::new(&SAYBERX, None, &[Stop(&[])]),
    ];
}
