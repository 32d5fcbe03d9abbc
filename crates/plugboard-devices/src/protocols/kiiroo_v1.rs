//! Kiiroo v1: the first Pearl (BLE name `PEARL`, a vibrator) and Onyx (`ONYX`, a stroker with
//! five positions). Their service is Microchip's "transparent UART" `49535343-fe7d-…`, with
//! `tx` `…8841…`, `rx` `…1e4d…` and `command` `…aca3…`.
//!
//! **There is no handler for these devices in the reference (buttplug_server 12.0.2)**, which
//! lists them in its database but never connects them. The facts here come from the older
//! implementation of the Buttplug project (its C# library's Kiiroo first-generation protocol);
//! nothing could be compared byte for byte.
//!
//! | step | bytes |
//! |---|---|
//! | init 1 | subscribe to `rx` (what it sends is not used; the Onyx is said to need it) |
//! | init 2 | `01 00` to `command`, with response (mode select) |
//! | init 3 | `30 2c` (ASCII `0,`) to `tx`, with response (start position) |
//! | Pearl: vibrate (feature 0, 0..=4) | ASCII `<v>,\n` to `tx` without response: 4 is `34 2c 0a`, a stop `30 2c 0a` |
//! | Onyx: position with duration (feature 0, 0..=4) | ASCII `<4 − p>,\n` to `tx` without response: the device counts its positions the other way round |
//!
//! A device with no model of its own (the defaults have no features) is connected with nothing
//! to drive.
//!
//! The Onyx repeats its last position every 500 ms while nothing else is written, as the older
//! implementation did to keep it awake ([`Keepalive::RepeatLast`]).
//!
//! # Where Plugboard differs from the older implementation
//!
//! The older implementation moved the Onyx gradually: a timer stepped the written position
//! towards the target over the move's duration. With five positions the steps are coarse, so
//! Plugboard writes the target once per move and lets the device move at its own pace; the
//! duration is not used.
//!
//! **Stops**: a stop sets the Pearl's vibrator to 0, and leaves the Onyx's position alone.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::Outputs;
use super::{clamp_byte, lookup, ChangeSet, DeviceHandler, Keepalive, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&KIIROO_V1];

/// The `kiiroo-v1` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct KiirooV1;

pub static KIIROO_V1: KiirooV1 = KiirooV1;

/// Init 2: the mode select, to `command` with response.
pub const MODE_SELECT: [u8; 2] = [0x01, 0x00];
/// Init 3: the start position `0,`, to `tx` with response.
pub const START_POSITION: [u8; 2] = *b"0,";
/// The highest level and position.
pub const HIGHEST: u8 = 4;
/// How often the Onyx's last position is repeated when nothing else was written.
pub const ONYX_KEEPALIVE: Duration = Duration::from_millis(500);

/// The ASCII command `<n>,\n`.
pub fn command(n: u8) -> Vec<u8> {
    format!("{n},\n").into_bytes()
}

impl Protocol for KiirooV1 {
    fn name(&self) -> &'static str {
        "kiiroo-v1"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = KiirooV1Handler::new(features)?;
            hw.subscribe(Endpoint::Rx).await?;
            hw.write(Write::with_response(Endpoint::Command, MODE_SELECT.to_vec())).await?;
            hw.write(Write::with_response(Endpoint::Tx, START_POSITION.to_vec())).await?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of a Pearl (a vibrator) or an Onyx (a position-with-duration output); no output
/// for an unknown model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KiirooV1Handler {
    slot: Option<(u32, OutputType)>,
}

impl KiirooV1Handler {
    pub fn new(features: &[Feature]) -> Result<KiirooV1Handler, ProtocolError> {
        if features.iter().all(|feature| feature.outputs.is_empty()) {
            return Ok(KiirooV1Handler { slot: None });
        }
        let outputs = Outputs::of(&[OutputType::Vibrate, OutputType::HwPositionWithDuration]).at_most(1);
        Ok(KiirooV1Handler { slot: Some(outputs.check("kiiroo-v1", features)?[0]) })
    }

    fn is_onyx(&self) -> bool {
        self.slot.is_some_and(|(_, kind)| kind == OutputType::HwPositionWithDuration)
    }
}

impl DeviceHandler for KiirooV1Handler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let Some(slot) = self.slot else { return Vec::new() };
        let (Some(level), true) = lookup(levels, changed, slot) else { return Vec::new() };
        let n = clamp_byte(level.value, HIGHEST);
        let n = if self.is_onyx() { HIGHEST - n } else { n };
        vec![Write::without_response(Endpoint::Tx, command(n))]
    }

    fn keepalive(&self) -> Keepalive {
        if self.is_onyx() {
            Keepalive::RepeatLast(ONYX_KEEPALIVE)
        } else {
            Keepalive::None
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use plugboard_protocol::model::{Output, Range};

    use super::super::test_support::{ascii, feature, features, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn onyx() -> Vec<Feature> {
        let mut stroker = feature(0, &[]);
        stroker.outputs.push(Output {
            kind: HwPositionWithDuration,
            range: Range::new(0, 4),
            duration: Some(Range::new(0, 100_000)),
        });
        vec![stroker]
    }

    #[test]
    fn pearl_vibrates_in_ascii() {
        let pearl = features(&[(Vibrate, 0, 4)]);
        let mut toy = Sim::new(Box::new(KiirooV1Handler::new(&pearl).unwrap()), &pearl);
        assert_eq!(ascii(&toy.set(0, Vibrate, 4)), ["4,\n"]);
        assert_eq!(ascii(&toy.set(0, Vibrate, 2)), ["2,\n"]);
        assert_eq!(ascii(&toy.set(0, Vibrate, 9)), ["4,\n"], "clamped");
        assert_eq!(ascii(&toy.stop()), ["0,\n"]);
        assert_eq!(toy.handler.keepalive(), Keepalive::None);
    }

    #[test]
    fn onyx_positions_are_inverted() {
        let onyx = onyx();
        let mut toy = Sim::new(Box::new(KiirooV1Handler::new(&onyx).unwrap()), &onyx);
        let mut moved = |p, ms| ascii(&toy.flush_with_duration(&[(0, HwPositionWithDuration, p, Some(ms))]));
        assert_eq!(moved(4, 500), ["0,\n"]);
        assert_eq!(moved(0, 500), ["4,\n"]);
        assert_eq!(moved(1, 100), ["3,\n"]);
        assert!(toy.stop().is_empty(), "the encoder leaves positions to the device task");
        assert_eq!(toy.handler.keepalive(), Keepalive::RepeatLast(ONYX_KEEPALIVE));
    }

    #[tokio::test]
    async fn init_subscribes_then_selects_the_mode_then_the_start_position() {
        let endpoints = [Endpoint::Tx, Endpoint::Rx, Endpoint::Command];
        let hw = FakeHardware::with_endpoints("PEARL", "aa", &endpoints);
        KIIROO_V1.initialize(&hw, Some("PEARL"), &features(&[(Vibrate, 0, 4)])).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Subscribe(Endpoint::Rx),
                Event::Write(Write::with_response(Endpoint::Command, vec![0x01, 0x00])),
                Event::Write(Write::with_response(Endpoint::Tx, vec![0x30, 0x2c])),
            ]
        );
        let unknown = FakeHardware::with_endpoints("KIIROO", "aa", &endpoints);
        let handler = KIIROO_V1.initialize(&unknown, None, &[]).await.expect("the defaults: no features");
        assert!(handler.encode(&[], ChangeSet::ALL).is_empty(), "nothing to drive");
        assert_eq!(handler.keepalive(), Keepalive::None);
        let refused = FakeHardware::with_endpoints("ONYX", "aa", &endpoints);
        assert!(KIIROO_V1.initialize(&refused, None, &features(&[(Rotate, 0, 4)])).await.is_err());
        assert!(refused.events().is_empty(), "a refused definition touches nothing");
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
        Vector::new(&KIIROO_V1, Some("PEARL"), &[
            Set(&[(0, Vibrate, 4)], &[tx(b"4,\n")]),
            Set(&[(0, Vibrate, 1)], &[tx(b"1,\n")]),
            Stop(&[tx(b"0,\n")]),
        ]),
        Vector::new(&KIIROO_V1, Some("ONYX"), &[
            Move(&[(0, 4, 500)], &[tx(b"0,\n")]),
            Move(&[(0, 1, 500)], &[tx(b"3,\n")]),
            Stop(&[]),
        ]),
    ];
}
