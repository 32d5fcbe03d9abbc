//! Kiiroo v3: the Keon (BLE names `KEON WIFI`, `Keon Wifi`) and the Keon 2 (`KEON2`). The
//! reference drives these exactly as `kiiroo-v21` (see `kiiroo.rs`), with no init:
//!
//! | output | packet (to `tx`, without response) |
//! |---|---|
//! | position with duration (feature 0: Keon 0..=99, Keon 2 0..=100; duration in ms) | `03 00 speed pos` |
//!
//! `speed` is the Launch's stroke speed for the move from the position last written (0 before
//! the first move), [`kiiroo::speed`], with the distance counted in hundredths of the full
//! stroke of 99 and capped at one stroke: 0 to 100 on a Keon 2 is the speed of 0 to 99.
//! Positions go out as they are, up to the model's highest (100 on a Keon 2).
//!
//! A device with no model of its own (the defaults have no features, as in the reference) is
//! connected with nothing to drive.
//!
//! **Battery**: read from `whitelist` (the characteristic `2a19` in service `1400`); the level
//! is byte 5 of the 20 bytes it gives. Like `kiiroo-v21`, Plugboard takes byte 5 of any answer
//! of 6 bytes or more where the reference insists on exactly 20.
//!
//! **Two `tx` characteristics**: the database lists `tx` in service `1400` (`1801`, beside
//! `whitelist`: the `kiiroo-v21` layout) and in service `1900` (`1800`, with `rx` `1903`). The
//! BLE transport maps an endpoint to the first service found in the database's order, so a
//! device with both services is written through `1400`/`1801`, and one with only `1900`
//! through `1800`; the reference picks between them in no fixed order.
//!
//! **Stops**: as in the reference, a stop leaves positions alone, so nothing is written to a
//! stroker. (To be changed: a stop should halt a move in progress.)

use plugboard_protocol::model::{Feature, OutputType};

use super::kiiroo;
use super::single_packet::Outputs;
use super::{clamp_byte, lookup, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&KIIROO_V3];

/// The `kiiroo-v3` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct KiirooV3;

pub static KIIROO_V3: KiirooV3 = KiirooV3;

/// Where the battery level is in the `whitelist` read.
pub const BATTERY_BYTE: usize = 5;

impl Protocol for KiirooV3 {
    fn name(&self) -> &'static str {
        "kiiroo-v3"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(KeonHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of a Keon: one position-with-duration output (none for an unknown model) and its
/// highest position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeonHandler {
    slot: Option<(u32, OutputType)>,
    highest: u8,
}

impl KeonHandler {
    pub fn new(features: &[Feature]) -> Result<KeonHandler, ProtocolError> {
        let has_outputs = features.iter().any(|feature| !feature.outputs.is_empty());
        let slot = if has_outputs {
            let outputs = Outputs::of(&[OutputType::HwPositionWithDuration]).at_most(1);
            Some(outputs.check("kiiroo-v3", features)?[0])
        } else {
            None
        };
        let stroker = slot.and_then(|slot| {
            let feature = features.iter().find(|feature| feature.index == slot.0)?;
            feature.outputs.iter().find(|output| output.kind == OutputType::HwPositionWithDuration)
        });
        let highest = stroker.map_or(kiiroo::MAX_POSITION, |output| clamp_byte(output.range.max, u8::MAX));
        Ok(KeonHandler { slot, highest })
    }

    /// `03 00 speed pos` for the move from `previous` to `target` in `duration_ms`.
    pub fn packet(&self, previous: i32, target: i32, duration_ms: u32) -> [u8; 4] {
        let (previous, target) = (clamp_byte(previous, self.highest), clamp_byte(target, self.highest));
        let distance = i32::from(previous.abs_diff(target).min(kiiroo::MAX_POSITION));
        [0x03, 0x00, kiiroo::speed(0, distance, duration_ms), target]
    }
}

impl DeviceHandler for KeonHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let Some(slot) = self.slot else { return Vec::new() };
        match lookup(levels, changed, slot) {
            (Some(level), true) => {
                let packet = self.packet(level.last_written, level.value, level.duration_ms.unwrap_or(0));
                vec![Write::without_response(Endpoint::Tx, packet.to_vec())]
            }
            _ => Vec::new(),
        }
    }

    fn battery<'a>(&'a self, hw: &'a dyn Hardware) -> BoxFuture<'a, Result<u8, ProtocolError>> {
        Box::pin(async move {
            let bytes = hw.read(Endpoint::Whitelist).await?;
            match bytes.get(BATTERY_BYTE) {
                Some(&percent) => Ok(percent.min(100)),
                None => Err(ProtocolError::BadReply(format!(
                    "battery read of {} bytes, the level is byte {BATTERY_BYTE}",
                    bytes.len()
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use plugboard_protocol::model::{Output, Range};

    use super::super::test_support::{bytes, feature, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn keon(highest: i32) -> Vec<Feature> {
        let mut stroker = feature(0, &[]);
        stroker.outputs.push(Output {
            kind: HwPositionWithDuration,
            range: Range::new(0, highest),
            duration: Some(Range::new(0, 100_000)),
        });
        vec![stroker]
    }

    fn sim(features: &[Feature]) -> Sim {
        Sim::new(Box::new(KeonHandler::new(features).unwrap()), features)
    }

    #[test]
    fn keon_moves_as_kiiroo_v21() {
        let mut toy = sim(&keon(99));
        let mut stroke = |pos, ms| bytes(&toy.flush_with_duration(&[(0, HwPositionWithDuration, pos, Some(ms))]));
        assert_eq!(stroke(99, 500), [[0x03, 0x00, 0x28, 0x63]]);
        assert_eq!(stroke(0, 200), [[0x03, 0x00, 0x6a, 0x00]]);
        assert_eq!(stroke(0, 300), [[0x03, 0x00, 0x00, 0x00]], "no distance: speed 0");
        assert_eq!(stroke(100, 500), [[0x03, 0x00, 0x28, 0x63]], "the Keon's highest is 99");
    }

    #[test]
    fn keon_2_reaches_100() {
        let mut toy = sim(&keon(100));
        let mut stroke = |pos, ms| bytes(&toy.flush_with_duration(&[(0, HwPositionWithDuration, pos, Some(ms))]));
        assert_eq!(stroke(100, 500), [[0x03, 0x00, 0x28, 0x64]], "a distance of 100 counts as a full stroke");
        // 100 -> 50: 50 hundredths of the stroke, as 0 -> 50.
        assert_eq!(stroke(50, 1000), [[0x03, 0x00, kiiroo::speed(0, 50, 1000), 0x32]]);
        assert_eq!(stroke(100, 1000), [[0x03, 0x00, kiiroo::speed(0, 50, 1000), 0x64]]);
        assert!(toy.stop().is_empty(), "the encoder leaves positions to the device task");
    }

    #[tokio::test]
    async fn battery_is_byte_5_of_whitelist() {
        let handler = KeonHandler::new(&keon(99)).unwrap();
        let hw = FakeHardware::with_endpoints("KEON2", "aa", &[Endpoint::Tx, Endpoint::Whitelist]);
        hw.set_read(Endpoint::Whitelist, &[0, 0, 0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(handler.battery(&hw).await, Ok(77));
        hw.set_read(Endpoint::Whitelist, &[1, 2, 3]);
        assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::BadReply(_))));
        let without = FakeHardware::with_endpoints("KEON2", "aa", &[Endpoint::Tx]);
        assert!(handler.battery(&without).await.is_err());
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        let unknown_model = KeonHandler::new(&[]).expect("the defaults: no features");
        assert!(unknown_model.encode(&[], ChangeSet::ALL).is_empty(), "nothing to drive");
        let two = [keon(99), keon(99)].concat();
        assert!(KeonHandler::new(&two).is_err());
        assert!(KeonHandler::new(&super::super::test_support::features(&[(Vibrate, 0, 10)])).is_err());
        let hw = FakeHardware::new("KEON WIFI", "aa");
        let handler = KIIROO_V3.initialize(&hw, Some("KEON WIFI"), &keon(99)).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&KIIROO_V3, Some("KEON WIFI"), &[
            Move(&[(0, 99, 500)], &[tx(&[0x03, 0x00, 0x28, 0x63])]),
            Move(&[(0, 0, 200)], &[tx(&[0x03, 0x00, 0x6a, 0x00])]),
            Stop(&[]),
        ]),
        Vector::new(&KIIROO_V3, Some("KEON2"), &[
            Move(&[(0, 100, 500)], &[tx(&[0x03, 0x00, 0x28, 0x64])]),
            Move(&[(0, 1, 200)], &[tx(&[0x03, 0x00, 0x6a, 0x01])]),
            Stop(&[]),
        ]),
    ];
}
