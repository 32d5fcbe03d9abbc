//! Galaku. Service 0x1000 with `tx`
//! (0x1001) and, for `galaku`, `rxblebattery` (0x1002, notifications). No init.
//!
//! Every packet is a 12-byte obfuscated frame: the plain frame is `23`, ten data bytes and a
//! checksum (the byte sum of the first eleven, mod 256); it is then scrambled with a fixed key
//! table, see [`obfuscate`]. Values are device steps 0..=100.
//!
//! | protocol / device | data bytes (before obfuscation) | write |
//! |---|---|---|
//! | `galaku`, one output | `5a 00 00 01 31 S 00 00 00 00` | `tx` w/o |
//! | `galaku`, two outputs | `5a 00 00 01 40 03 S0 S1 00 00` (S0: first output, S1: second, by feature index), whole state | `tx` w/o |
//! | `galaku`, name `AC695X_1(BLE)`, one output | not obfuscated, 16 bytes: `aa 01 0a 03 S on 00 00 00 00 00 00 00 00 00 00`, on = `01` if S > 0 | `tx` w/o |
//! | `galaku` battery query | `5a 00 00 01 13 00 00 00 00 00`; the answer is the first byte of the next `rxblebattery` notification (`rx` on the device websocket) | `tx` w/r |
//! | `galaku-pump` | `60 03 S_osc S_vibe` in place of `31 S` / `40 03 S0 S1`: `5a 00 00 01 60 03 So Sv 00 00`, whole state | `tx` w/r |
//!
//! The outputs of the two-output `galaku` devices in the reference database are a vibrate,
//! oscillate, rotate or constrict on feature 0 and on feature 1; they all travel the same way.
//! (The reference engine has no rotate handler for this protocol, so it rejects the rotate of
//! the one model with a rotator; here the rotator is simply the second slot, speed only.)
//! The `galaku-pump` slots are picked by output type: oscillate (the pump) and vibrate.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{
    clamp_byte, lookup, motor_slots, next_data, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol,
    ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The first byte of every Galaku frame.
pub const FRAME_START: u8 = 0x23;
/// The BLE name of the model that takes plain 16-byte packets.
pub const CAIPING_NAME: &str = "AC695X_1(BLE)";
/// How long the battery query waits for its notification.
pub const BATTERY_TIMEOUT: Duration = Duration::from_secs(2);
/// The highest level (device steps) any Galaku output takes.
pub const MAX_LEVEL: u8 = 100;

/// The key table of the obfuscation (row chosen by the previous output byte, column by position).
const KEYS: [[u8; 12]; 4] = [
    [0x00, 0x18, 0x98, 0xf7, 0xa5, 0x3d, 0x0d, 0x29, 0x25, 0x50, 0x44, 0x46],
    [0x00, 0x45, 0x6e, 0x6a, 0x6f, 0x78, 0x20, 0x53, 0x2d, 0x31, 0x2e, 0x37],
    [0x00, 0x65, 0x78, 0x20, 0x54, 0x6f, 0x79, 0x73, 0x0a, 0x8e, 0x9d, 0xa3],
    [0x00, 0xc5, 0xd6, 0xe7, 0xf8, 0x0a, 0x32, 0x20, 0x6f, 0x62, 0x0d, 0x0a],
];

/// The data bytes of the battery query.
pub const BATTERY_QUERY: [u8; 10] = [0x5a, 0x00, 0x00, 0x01, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00];

/// Scrambles a plain frame: the first byte stays, every later byte `p` becomes
/// `(k XOR first XOR p) + k` (mod 256), where `k` is the key in the row picked by the low two
/// bits of the previous *scrambled* byte and the column of the byte's position.
pub fn obfuscate(plain: &[u8; 12]) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[0] = plain[0];
    for i in 1..plain.len() {
        let key = KEYS[(out[i - 1] & 3) as usize][i];
        out[i] = (key ^ plain[0] ^ plain[i]).wrapping_add(key);
    }
    out
}

/// The obfuscated frame carrying ten data bytes.
pub fn frame(data: [u8; 10]) -> [u8; 12] {
    let mut plain = [0u8; 12];
    plain[0] = FRAME_START;
    plain[1..11].copy_from_slice(&data);
    plain[11] = plain[..11].iter().fold(0u8, |sum, &b| sum.wrapping_add(b));
    obfuscate(&plain)
}

/// Which Galaku protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `galaku`: one or two outputs, battery by query.
    Galaku,
    /// `galaku-pump`: a pump (oscillate) and a vibrator, written with response.
    Pump,
}

impl Variant {
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Galaku => "galaku",
            Variant::Pump => "galaku-pump",
        }
    }
}

/// A Galaku protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct Galaku {
    variant: Variant,
}

impl Galaku {
    pub const fn new(variant: Variant) -> Galaku {
        Galaku { variant }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&GALAKU, &GALAKU_PUMP];

pub static GALAKU: Galaku = Galaku::new(Variant::Galaku);
pub static GALAKU_PUMP: Galaku = Galaku::new(Variant::Pump);

impl Protocol for Galaku {
    fn name(&self) -> &'static str {
        self.variant.name()
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let caiping = hw.name() == CAIPING_NAME || identifier == Some(CAIPING_NAME);
            let handler = match self.variant {
                Variant::Galaku => GalakuHandler::new(features, caiping)?,
                Variant::Pump => GalakuHandler::pump(features)?,
            };
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

type Slot = (u32, OutputType);

/// How one Galaku device packs its outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One output: `31 S`.
    Single(Slot),
    /// One output on the `AC695X_1(BLE)`: the plain 16-byte packet.
    Caiping(Slot),
    /// Two outputs: `40 03 S0 S1`.
    Dual(Slot, Slot),
    /// `galaku-pump`: `60 03 S_osc S_vibe`; either may be missing from a definition (sent as 0).
    Pump { oscillate: Option<Slot>, vibrate: Option<Slot> },
}

/// The encoder of one Galaku device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalakuHandler {
    layout: Layout,
}

impl GalakuHandler {
    /// A `galaku` device: one output (any feature), or two (first and second by feature
    /// index). `caiping`: the device is the `AC695X_1(BLE)`, whose single output takes plain
    /// packets.
    pub fn new(features: &[Feature], caiping: bool) -> Result<GalakuHandler, ProtocolError> {
        let mut slots = motor_slots(features);
        slots.sort_by_key(|slot| slot.0);
        let layout = match slots[..] {
            [only] if caiping => Layout::Caiping(only),
            [only] => Layout::Single(only),
            [first, second] => Layout::Dual(first, second),
            _ => {
                return Err(ProtocolError::Definition(format!(
                    "galaku takes one or two outputs, the definition has {}",
                    slots.len()
                )))
            }
        };
        Ok(GalakuHandler { layout })
    }

    /// A `galaku-pump` device: its oscillate output is the pump, its vibrate output the
    /// vibrator (at most one of each, at least one of them).
    pub fn pump(features: &[Feature]) -> Result<GalakuHandler, ProtocolError> {
        let mut oscillate = None;
        let mut vibrate = None;
        for slot in motor_slots(features) {
            let place = match slot.1 {
                OutputType::Oscillate => &mut oscillate,
                OutputType::Vibrate => &mut vibrate,
                other => {
                    return Err(ProtocolError::Definition(format!("galaku-pump has no command for {other:?}")));
                }
            };
            if place.replace(slot).is_some() {
                return Err(ProtocolError::Definition(format!("galaku-pump takes one {:?} output", slot.1)));
            }
        }
        if oscillate.is_none() && vibrate.is_none() {
            return Err(ProtocolError::Definition("galaku-pump needs an oscillate or vibrate output".into()));
        }
        Ok(GalakuHandler { layout: Layout::Pump { oscillate, vibrate } })
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }
}

/// The level of a slot as a byte 0..=100 (a rotator's speed regardless of direction).
fn level(levels: &[OutputLevel], slot: Option<Slot>) -> u8 {
    slot.map_or(0, |slot| {
        let value = value_of(levels, slot);
        let value = if slot.1 == OutputType::Rotate { value.saturating_abs() } else { value };
        clamp_byte(value, MAX_LEVEL)
    })
}

impl DeviceHandler for GalakuHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let slots = match self.layout {
            Layout::Single(slot) | Layout::Caiping(slot) => [Some(slot), None],
            Layout::Dual(first, second) => [Some(first), Some(second)],
            Layout::Pump { oscillate, vibrate } => [oscillate, vibrate],
        };
        if !slots.iter().flatten().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let [a, b] = slots.map(|slot| level(levels, slot));
        let write = match self.layout {
            Layout::Single(_) => {
                Write::without_response(Endpoint::Tx, frame([0x5a, 0x00, 0x00, 0x01, 0x31, a, 0x00, 0x00, 0x00, 0x00]))
            }
            Layout::Caiping(_) => {
                let mut data = vec![0u8; 16];
                data[..6].copy_from_slice(&[0xaa, 0x01, 0x0a, 0x03, a, u8::from(a != 0)]);
                Write::without_response(Endpoint::Tx, data)
            }
            Layout::Dual(..) => {
                Write::without_response(Endpoint::Tx, frame([0x5a, 0x00, 0x00, 0x01, 0x40, 0x03, a, b, 0x00, 0x00]))
            }
            Layout::Pump { .. } => {
                Write::with_response(Endpoint::Tx, frame([0x5a, 0x00, 0x00, 0x01, 0x60, 0x03, a, b, 0x00, 0x00]))
            }
        };
        vec![write]
    }

    /// `galaku`: subscribes to `rxblebattery`, writes the obfuscated battery query (with
    /// response) and takes the first byte of the next `rxblebattery` notification (within
    /// [`BATTERY_TIMEOUT`]). A device without `rxblebattery` (one on the device websocket, which
    /// has only `tx` and `rx`) answers on `rx`. `galaku-pump` has no battery.
    fn battery<'a>(&'a self, hw: &'a dyn Hardware) -> BoxFuture<'a, Result<u8, ProtocolError>> {
        Box::pin(async move {
            if matches!(self.layout, Layout::Pump { .. }) {
                return Err(ProtocolError::Unsupported("galaku-pump battery".into()));
            }
            let answer = [Endpoint::RxBleBattery, Endpoint::Rx]
                .into_iter()
                .find(|&endpoint| hw.has_endpoint(endpoint))
                .ok_or_else(|| ProtocolError::Unsupported("battery (no rxblebattery or rx endpoint)".into()))?;
            // Take the receiver first so an answer racing the write is not lost.
            let mut notifications = hw.notifications();
            hw.subscribe(answer).await?;
            hw.write(Write::with_response(Endpoint::Tx, frame(BATTERY_QUERY))).await?;
            let deadline = Instant::now() + BATTERY_TIMEOUT;
            match next_data(&mut notifications, answer, deadline).await? {
                Some(bytes) => match bytes.first() {
                    Some(&percent) => Ok(percent.min(100)),
                    None => Err(ProtocolError::BadReply("empty galaku battery notification".into())),
                },
                None => Err(ProtocolError::Timeout("galaku battery notification")),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, Sim};
    use super::super::{Advertisement, Keepalive};
    use super::*;
    use crate::hardware::HardwareError;
    use crate::testing::{Event, FakeHardware};

    /// The reference database's shapes: outputs on features 0 (and 1), battery input after.
    fn one(kind: OutputType) -> Vec<Feature> {
        vec![feature(0, &[(kind, 0, 100)]), feature(1, &[])]
    }

    fn two(first: OutputType, second: OutputType) -> Vec<Feature> {
        vec![feature(0, &[(first, 0, 100)]), feature(1, &[(second, 0, 100)]), feature(2, &[])]
    }

    fn sim(features: Vec<Feature>, caiping: bool) -> Sim {
        Sim::new(Box::new(GalakuHandler::new(&features, caiping).unwrap()), &features)
    }

    fn wo(bytes: [u8; 12]) -> Write {
        Write { endpoint: Endpoint::Tx, data: bytes.to_vec(), with_response: false }
    }

    fn wr(bytes: [u8; 12]) -> Write {
        Write { endpoint: Endpoint::Tx, data: bytes.to_vec(), with_response: true }
    }

    #[test]
    fn obfuscation_matches_the_documented_example() {
        // Worked example: single vibe 50.
        assert_eq!(
            frame([0x5a, 0x00, 0x00, 0x01, 0x31, 50, 0x00, 0x00, 0x00, 0x00]),
            [0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x29, 0xc3, 0xbb, 0xa3, 0x3b, 0xd2]
        );
        // The checksum wraps: 23+5a+01+31+ff = 0x1ae -> ae, obfuscated like any byte.
        let plain = [0x23, 0x5a, 0x00, 0x00, 0x01, 0x31, 0xff, 0, 0, 0, 0, 0xae];
        assert_eq!(frame([0x5a, 0x00, 0x00, 0x01, 0x31, 0xff, 0, 0, 0, 0]), obfuscate(&plain));
    }

    #[test]
    fn single_vibrator() {
        let mut toy = sim(one(Vibrate), false);
        assert_eq!(
            toy.set(0, Vibrate, 50),
            [wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x29, 0xc3, 0xbb, 0xa3, 0x3b, 0xd2])]
        );
        assert_eq!(
            toy.set(0, Vibrate, 100),
            [wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x57, 0x23, 0xbb, 0xa3, 0x3b, 0x44])]
        );
        assert_eq!(
            toy.set(0, Vibrate, 1),
            [wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x3c, 0x33, 0xbb, 0xa3, 0x3b, 0xa3])]
        );
        let stop = wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x3b, 0x23, 0xbb, 0xa3, 0x3b, 0x90]);
        assert_eq!(toy.stop(), std::slice::from_ref(&stop));
        assert_eq!(toy.stop(), []);
        // Out-of-range levels are clamped to 0..=100.
        assert_eq!(
            toy.set(0, Vibrate, 250),
            [wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x57, 0x23, 0xbb, 0xa3, 0x3b, 0x44])]
        );
        assert_eq!(toy.set(0, Vibrate, -3), [stop]);
    }

    #[test]
    fn two_outputs_whole_state() {
        // Every two-output shape of the reference database: oscillate+vibrate, vibrate+vibrate,
        // vibrate+rotate, vibrate+constrict.
        let zero = wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xf2]);
        let both = wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x75, 0x43, 0x3b, 0x16]);
        let first_only = wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x97, 0xbb, 0xa3, 0x3b, 0x16]);
        for (a, b) in [(Oscillate, Vibrate), (Vibrate, Vibrate), (Vibrate, Rotate), (Vibrate, Constrict)] {
            let mut toy = sim(two(a, b), false);
            assert_eq!(toy.all(), std::slice::from_ref(&zero), "{a:?}+{b:?}");
            assert_eq!(toy.flush(&[(0, a, 30), (1, b, 70)]), std::slice::from_ref(&both), "{a:?}+{b:?}");
            assert_eq!(toy.flush(&[(0, a, 100), (1, b, 0)]), std::slice::from_ref(&first_only), "{a:?}+{b:?}");
            assert_eq!(toy.stop(), std::slice::from_ref(&zero), "{a:?}+{b:?}");
            assert_eq!(toy.stop(), []);
        }
        // The second slot alone changing still sends the first slot's level.
        let mut toy = sim(two(Vibrate, Vibrate), false);
        toy.set(0, Vibrate, 30);
        assert_eq!(toy.set(1, Vibrate, 70), [both]);
        // A rotator's level is its speed.
        let mut toy = sim(two(Vibrate, Rotate), false);
        toy.set(0, Vibrate, 30);
        assert_eq!(
            toy.set(1, Rotate, -70),
            [wo([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x75, 0x43, 0x3b, 0x16])]
        );
    }

    #[test]
    fn caiping_plain_packets() {
        let mut toy = sim(one(Vibrate), true);
        let mut on = vec![0u8; 16];
        on[..6].copy_from_slice(&[0xaa, 0x01, 0x0a, 0x03, 0x2a, 0x01]);
        assert_eq!(toy.set(0, Vibrate, 42), [Write::without_response(Endpoint::Tx, on)]);
        let mut off = vec![0u8; 16];
        off[..4].copy_from_slice(&[0xaa, 0x01, 0x0a, 0x03]);
        assert_eq!(toy.stop(), [Write::without_response(Endpoint::Tx, off)]);
    }

    #[test]
    fn pump_whole_state_with_response() {
        let features = vec![feature(0, &[(Oscillate, 0, 100)]), feature(1, &[(Vibrate, 0, 100)])];
        let mut toy = Sim::new(Box::new(GalakuHandler::pump(&features).unwrap()), &features);
        assert_eq!(
            toy.set(0, Oscillate, 40),
            [wr([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x4b, 0xbb, 0xa3, 0x3b, 0x2a])]
        );
        assert_eq!(
            toy.set(1, Vibrate, 90),
            [wr([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x4b, 0x85, 0x43, 0x3b, 0x54])]
        );
        assert_eq!(
            toy.set(0, Oscillate, 0),
            [wr([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0x85, 0x43, 0x3b, 0x1c])]
        );
        let zero = wr([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xd2]);
        assert_eq!(toy.stop(), std::slice::from_ref(&zero));
        assert_eq!(toy.all(), [zero]);

        // Slots go by output type, not by feature order.
        let swapped = vec![feature(0, &[(Vibrate, 0, 100)]), feature(1, &[(Oscillate, 0, 100)])];
        let mut toy = Sim::new(Box::new(GalakuHandler::pump(&swapped).unwrap()), &swapped);
        assert_eq!(
            toy.set(1, Oscillate, 40),
            [wr([0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x4b, 0xbb, 0xa3, 0x3b, 0x2a])]
        );
    }

    #[test]
    fn definitions() {
        assert_eq!(GalakuHandler::new(&one(Vibrate), false).unwrap().layout(), Layout::Single((0, Vibrate)));
        assert_eq!(GalakuHandler::new(&one(Vibrate), true).unwrap().layout(), Layout::Caiping((0, Vibrate)));
        // The caiping packet is for single-output devices only.
        assert_eq!(
            GalakuHandler::new(&two(Vibrate, Vibrate), true).unwrap().layout(),
            Layout::Dual((0, Vibrate), (1, Vibrate))
        );
        // Ordered by feature index whatever the definition order.
        let reversed = vec![feature(1, &[(Rotate, 0, 100)]), feature(0, &[(Vibrate, 0, 100)])];
        assert_eq!(GalakuHandler::new(&reversed, false).unwrap().layout(), Layout::Dual((0, Vibrate), (1, Rotate)));
        assert!(GalakuHandler::new(&[feature(0, &[])], false).is_err());
        let three =
            vec![feature(0, &[(Vibrate, 0, 100)]), feature(1, &[(Vibrate, 0, 100)]), feature(2, &[(Vibrate, 0, 100)])];
        assert!(GalakuHandler::new(&three, false).is_err());
        assert!(GalakuHandler::pump(&[]).is_err());
        assert!(GalakuHandler::pump(&two(Vibrate, Vibrate)).is_err());
        assert!(GalakuHandler::pump(&two(Vibrate, Rotate)).is_err());
        assert_eq!(
            GalakuHandler::pump(&one(Vibrate)).unwrap().layout(),
            Layout::Pump { oscillate: None, vibrate: Some((0, Vibrate)) }
        );
    }

    #[tokio::test]
    async fn names_init_and_keepalive() {
        assert_eq!(GALAKU.name(), "galaku");
        assert_eq!(GALAKU_PUMP.name(), "galaku-pump");

        let hw = FakeHardware::with_endpoints("GX85", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        assert_eq!(GALAKU.identify(&hw, &Advertisement::named("GX85")).await.unwrap().as_deref(), Some("GX85"));
        let handler = GALAKU.initialize(&hw, Some("GX85"), &one(Vibrate)).await.unwrap();
        assert!(hw.events().is_empty(), "no init");
        assert_eq!(handler.keepalive(), Keepalive::None);

        // The AC695X_1(BLE) is recognised by its name.
        let hw = FakeHardware::with_endpoints(CAIPING_NAME, "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        let handler = GALAKU.initialize(&hw, Some(CAIPING_NAME), &one(Vibrate)).await.unwrap();
        let mut levels = OutputLevel::for_features(&one(Vibrate));
        levels[0].value = 7;
        assert_eq!(handler.encode(&levels, ChangeSet::ALL)[0].data[..6], [0xaa, 0x01, 0x0a, 0x03, 0x07, 0x01]);

        let hw = FakeHardware::with_endpoints("V415", "aa", &[Endpoint::Tx]);
        let features = vec![feature(0, &[(Oscillate, 0, 100)]), feature(1, &[(Vibrate, 0, 100)])];
        let handler = GALAKU_PUMP.initialize(&hw, Some("V415"), &features).await.unwrap();
        assert!(hw.events().is_empty(), "no init");
        assert_eq!(handler.keepalive(), Keepalive::None);
        assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::Unsupported(_))));
    }

    const BATTERY_QUERY_FRAME: [u8; 12] = [0x23, 0x81, 0xbb, 0xab, 0xd2, 0xce, 0xd3, 0x23, 0xbb, 0xa3, 0x3b, 0xc2];

    #[tokio::test(start_paused = true)]
    async fn battery_query_and_notification() {
        assert_eq!(frame(BATTERY_QUERY), BATTERY_QUERY_FRAME);
        let hw = FakeHardware::with_endpoints("G312", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        hw.reply(Endpoint::Tx, &BATTERY_QUERY_FRAME, Endpoint::RxBleBattery, &[0x4b, 0x11]);
        let features = two(Oscillate, Vibrate);
        let handler = GALAKU.initialize(&hw, Some("G312"), &features).await.unwrap();
        assert_eq!(handler.battery(&hw).await, Ok(75));
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::RxBleBattery), Event::Write(wr(BATTERY_QUERY_FRAME))]);

        // Over 100 reads as full; an empty notification is a bad reply.
        let hw = FakeHardware::with_endpoints("G312", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        hw.reply(Endpoint::Tx, &BATTERY_QUERY_FRAME, Endpoint::RxBleBattery, &[0xc8]);
        assert_eq!(handler.battery(&hw).await, Ok(100));
        let hw = FakeHardware::with_endpoints("G312", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        hw.reply(Endpoint::Tx, &BATTERY_QUERY_FRAME, Endpoint::RxBleBattery, &[]);
        assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::BadReply(_))));

        // No answer: a timeout after BATTERY_TIMEOUT.
        let silent = FakeHardware::with_endpoints("G312", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        let started = Instant::now();
        assert_eq!(handler.battery(&silent).await, Err(ProtocolError::Timeout("galaku battery notification")));
        assert_eq!(started.elapsed(), BATTERY_TIMEOUT);

        // Without the characteristic there is no battery.
        let bare = FakeHardware::with_endpoints("G312", "aa", &[Endpoint::Tx]);
        assert!(matches!(handler.battery(&bare).await, Err(ProtocolError::Unsupported(_))));
        assert!(bare.events().is_empty());
    }

    /// A Galaku on the device websocket (`tx` and `rx` only): the query goes out all the same,
    /// and the device's answer arrives on `rx`.
    #[tokio::test(start_paused = true)]
    async fn battery_over_the_device_websocket() {
        let hw = FakeHardware::new("Differential-galaku", "DIFF-galaku");
        hw.reply(Endpoint::Tx, &BATTERY_QUERY_FRAME, Endpoint::Rx, &[0x49]);
        let features = two(Vibrate, Vibrate);
        let handler = GALAKU.initialize(&hw, None, &features).await.unwrap();
        assert_eq!(handler.battery(&hw).await, Ok(73));
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Rx), Event::Write(wr(BATTERY_QUERY_FRAME))]);
    }

    #[tokio::test(start_paused = true)]
    async fn battery_disconnect_is_an_error() {
        let hw = Arc::new(FakeHardware::with_endpoints("GX85", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]));
        let handler = GalakuHandler::new(&one(Vibrate), false).unwrap();
        let device = hw.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            device.drop_connection();
        });
        assert_eq!(handler.battery(&*hw).await, Err(ProtocolError::Hardware(HardwareError::Disconnected)));
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
        // One output: `31 S`, obfuscated.
        Vector::new(&GALAKU, Some("GX85"), &[
            Set(&[(0, Vibrate, 50)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x29, 0xc3, 0xbb, 0xa3, 0x3b, 0xd2])]),
            Set(&[(0, Vibrate, 100)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x57, 0x23, 0xbb, 0xa3, 0x3b, 0x44])]),
            Stop(&[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x3b, 0x23, 0xbb, 0xa3, 0x3b, 0x90])]),
        ]),
        // Two outputs, whatever their types: `40 03 S0 S1`, here 30 and 70.
        Vector::new(&GALAKU, Some("G317"), &[
            Set(&[(0, Oscillate, 30)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x3b, 0xa3, 0x3b, 0x00])]),
            Set(&[(1, Vibrate, 70)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x75, 0x43, 0x3b, 0x16])]),
            Stop(&[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xf2])]),
        ]),
        Vector::new(&GALAKU, Some("G302"), &[
            Set(&[(0, Vibrate, 30)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x3b, 0xa3, 0x3b, 0x00])]),
            Set(&[(1, Vibrate, 70)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x75, 0x43, 0x3b, 0x16])]),
            Stop(&[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xf2])]),
        ]),
        Vector::new(&GALAKU, Some("G339"), &[
            Set(&[(1, Rotate, 70)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x33, 0x79, 0x43, 0x3b, 0x38])]),
            Set(&[(0, Vibrate, 30)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x75, 0x43, 0x3b, 0x16])]),
            Stop(&[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xf2])]),
        ]),
        Vector::new(&GALAKU, Some("TFG1"), &[
            Set(&[(1, Constrict, 70)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x33, 0x79, 0x43, 0x3b, 0x38])]),
            Set(&[(0, Vibrate, 30)], &[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x3d, 0x75, 0x43, 0x3b, 0x16])]),
            Stop(&[tx(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x7b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xf2])]),
        ]),
        // The AC695X_1(BLE) takes plain 16-byte packets.
        Vector::new(&GALAKU, Some("AC695X_1(BLE)"), &[
            Set(&[(0, Vibrate, 42)], &[tx(&[0xaa, 0x01, 0x0a, 0x03, 0x2a, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
            Stop(&[tx(&[0xaa, 0x01, 0x0a, 0x03, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
        ]),
        // The pump: `60 03 So Sv`, with response.
        Vector::new(&GALAKU_PUMP, Some("V415"), &[
            Set(
                &[(0, Oscillate, 40)],
                &[tx_with_response(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x4b, 0xbb, 0xa3, 0x3b, 0x2a])],
            ),
            Set(
                &[(1, Vibrate, 90)],
                &[tx_with_response(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x4b, 0x85, 0x43, 0x3b, 0x54])],
            ),
            Stop(&[tx_with_response(&[0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xd2])]),
        ]),
    ];
}
