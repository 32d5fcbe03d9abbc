//! Kiiroo: the protocols kiiroo-v2, kiiroo-v21, kiiroo-v21-initialized, kiiroo-v2-vibrator,
//! kiiroo-spot, kiiroo-prowand and kiiroo-powershot, and the speed of a stroke.
//!
//! Every command goes to `tx`.
//!
//! | protocol | init | encoding | write |
//! |---|---|---|---|
//! | `kiiroo-v2` (Fleshlight Launch, Onyx 2) | `00` to `firmware` (w/r): command mode | linear `pos speed` | w/o |
//! | `kiiroo-v21` | none | vibrate `01 S`; linear `03 00 speed pos` | w/o |
//! | `kiiroo-v21-initialized` | `03 00 64 19`, then `03 00 64 00` (w/r) | as `kiiroo-v21`; keepalive: repeat last every 2 s | w/o |
//! | `kiiroo-v2-vibrator` | none | `m0 m1 m2`: every motor each time (missing motors 0) | w/o |
//! | `kiiroo-spot` | none | `00 ff 00 00 00 S` | w/o |
//! | `kiiroo-spot-v2` (Spot 2, `SPOT W2`) | none | `01 S S 03 e8 ff` | w/r |
//! | `kiiroo-prowand` | none | `00 00 64 (S ? ff : 00) S S` | w/o |
//! | `kiiroo-powershot` | none | `01 00 00 S0 S1 00` (one motor: S0 = S1) | w/r |
//!
//! Positions are 0..=99 (clamped); `speed` is the stroke-speed formula ([`speed`]) for the move from
//! the previous position to the new one in the level's duration (0 ms without one). The
//! `kiiroo-v2` firmware write is the Launch's switch from its boot/firmware mode into command
//! mode: the reference database gives the Launch two alternative services, each with its own
//! `firmware` characteristic, and the transport maps `firmware` to whichever one the device has.
//!
//! Battery: `kiiroo-v21` reads 20 bytes from `whitelist` and uses byte 5 (falling back to the
//! standard `rxblebattery` without a `whitelist` endpoint); the others use the
//! [`DeviceHandler::battery`] default (the Spot 2's battery, a read of the standard battery
//! characteristic whose first byte is the level, is that default too).
//!
//! # The stroke speed and the previous position
//!
//! The speed depends on how far the stroker moves, so on the *previous* position. The reference
//! remembers it in the handler; Plugboard's handlers keep no state (encoders are pure) and read
//! it from the level instead ([`OutputLevel::last_written`], the position last written, 0 before
//! the first move), which is exact: see [`previous_position`].

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, is_position, lookup, motor_slots, read_ble_battery, value_of, ChangeSet, DeviceHandler, Keepalive,
    OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// `kiiroo-v2` init packet, written with response to `firmware`.
pub const V2_INIT_PACKET: [u8; 1] = [0x00];
/// `kiiroo-v21-initialized` init packets, written in this order with response.
pub const INIT_PACKETS: [[u8; 4]; 2] = [[0x03, 0x00, 0x64, 0x19], [0x03, 0x00, 0x64, 0x00]];
/// `kiiroo-v21-initialized` keepalive period.
pub const KEEPALIVE: Duration = Duration::from_secs(2);
/// The highest linear position.
pub const MAX_POSITION: u8 = 99;

/// Which Kiiroo protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `kiiroo-v2` (Fleshlight Launch, Onyx 2): a linear-only stroker.
    V2,
    /// `kiiroo-v21`
    V21,
    /// `kiiroo-v21-initialized`
    V21Initialized,
    /// `kiiroo-v2-vibrator`
    V2Vibrator,
    /// `kiiroo-spot`
    Spot,
    /// `kiiroo-spot-v2`
    SpotV2,
    /// `kiiroo-prowand`
    ProWand,
    /// `kiiroo-powershot`
    PowerShot,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::V2 => "kiiroo-v2",
            Variant::V21 => "kiiroo-v21",
            Variant::V21Initialized => "kiiroo-v21-initialized",
            Variant::V2Vibrator => "kiiroo-v2-vibrator",
            Variant::Spot => "kiiroo-spot",
            Variant::SpotV2 => "kiiroo-spot-v2",
            Variant::ProWand => "kiiroo-prowand",
            Variant::PowerShot => "kiiroo-powershot",
        }
    }

    /// How many vibrate outputs the packet has room for.
    fn max_motors(self) -> usize {
        match self {
            Variant::V2 => 0,
            Variant::V21 | Variant::V21Initialized | Variant::Spot | Variant::SpotV2 | Variant::ProWand => 1,
            Variant::PowerShot => 2,
            Variant::V2Vibrator => 3,
        }
    }

    fn has_linear(self) -> bool {
        matches!(self, Variant::V2 | Variant::V21 | Variant::V21Initialized)
    }
}

/// A Kiiroo protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct Kiiroo {
    variant: Variant,
}

impl Kiiroo {
    pub const fn new(variant: Variant) -> Kiiroo {
        Kiiroo { variant }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&KIIROO_V2, &KIIROO_V21, &KIIROO_V21_INITIALIZED, &KIIROO_V2_VIBRATOR, &KIIROO_SPOT, &KIIROO_SPOT_V2, &KIIROO_PROWAND, &KIIROO_POWERSHOT];

/// `kiiroo-v2`.
pub static KIIROO_V2: Kiiroo = Kiiroo::new(Variant::V2);
/// `kiiroo-v21`.
pub static KIIROO_V21: Kiiroo = Kiiroo::new(Variant::V21);
/// `kiiroo-v21-initialized`.
pub static KIIROO_V21_INITIALIZED: Kiiroo = Kiiroo::new(Variant::V21Initialized);
/// `kiiroo-v2-vibrator`.
pub static KIIROO_V2_VIBRATOR: Kiiroo = Kiiroo::new(Variant::V2Vibrator);
/// `kiiroo-spot`.
pub static KIIROO_SPOT: Kiiroo = Kiiroo::new(Variant::Spot);
/// `kiiroo-spot-v2`.
pub static KIIROO_SPOT_V2: Kiiroo = Kiiroo::new(Variant::SpotV2);
/// `kiiroo-prowand`.
pub static KIIROO_PROWAND: Kiiroo = Kiiroo::new(Variant::ProWand);
/// `kiiroo-powershot`.
pub static KIIROO_POWERSHOT: Kiiroo = Kiiroo::new(Variant::PowerShot);

impl Protocol for Kiiroo {
    fn name(&self) -> &'static str {
        self.variant.name()
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = KiirooHandler::new(self.variant, features)?;
            match self.variant {
                Variant::V2 => hw.write(Write::with_response(Endpoint::Firmware, V2_INIT_PACKET.to_vec())).await?,
                Variant::V21Initialized => {
                    for packet in INIT_PACKETS {
                        hw.write(Write::with_response(Endpoint::Tx, packet.to_vec())).await?;
                    }
                }
                _ => {}
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The stroke speed for moving from `previous` to `target` (positions 0..=99, clamped) in
/// `duration_ms`: `250 * ((duration * 90) / (distance * 100))^-1.05 * 99` with
/// `distance = |previous - target| / 99`, saturated into a byte. Distance 0 gives 0, duration
/// 0 (with a distance) gives 255.
pub fn speed(previous: i32, target: i32, duration_ms: u32) -> u8 {
    let (previous, target) = (clamp_byte(previous, MAX_POSITION), clamp_byte(target, MAX_POSITION));
    let distance = f64::from(previous.abs_diff(target)) / f64::from(MAX_POSITION);
    let speed = 250.0 * ((f64::from(duration_ms) * 90.0) / (distance * 100.0)).powf(-1.05) * 99.0;
    // `as` saturates (inf -> 255) and maps NaN (0 / 0) to 0.
    speed as u8
}

/// The position a stroker moves from when `level` (a position output) is encoded: the one last
/// written (0 before the first move, which is where the reference assumes a stroker starts).
pub fn previous_position(level: &OutputLevel) -> i32 {
    level.last_written
}

/// The encoder of one Kiiroo device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KiirooHandler {
    variant: Variant,
    motors: Vec<(u32, OutputType)>,
    linear: Option<(u32, OutputType)>,
}

impl KiirooHandler {
    /// Vibrate outputs (up to the variant's motor count) and, for the v2.1 variants, at most one
    /// position output.
    pub fn new(variant: Variant, features: &[Feature]) -> Result<KiirooHandler, ProtocolError> {
        let motors = motor_slots(features);
        if let Some((_, kind)) = motors.iter().find(|(_, kind)| *kind != OutputType::Vibrate) {
            return Err(ProtocolError::Definition(format!("{} has no command for {kind:?} outputs", variant.name())));
        }
        let linears: Vec<(u32, OutputType)> = features
            .iter()
            .flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output.kind)))
            .filter(|(_, kind)| is_position(*kind))
            .collect();
        let linear_max = usize::from(variant.has_linear());
        if linears.len() > linear_max {
            return Err(ProtocolError::Definition(format!(
                "{} supports {linear_max} position outputs, got {}",
                variant.name(),
                linears.len()
            )));
        }
        if motors.len() > variant.max_motors() {
            return Err(ProtocolError::Definition(format!(
                "{} supports up to {} vibrators, got {}",
                variant.name(),
                variant.max_motors(),
                motors.len()
            )));
        }
        // No outputs at all is the v2.1 protocols' defaults (an unknown model): nothing to write.
        Ok(KiirooHandler { variant, motors, linear: linears.first().copied() })
    }

    /// The v2.1 linear packet `03 00 speed pos`.
    pub fn linear_packet(previous: i32, target: i32, duration_ms: u32) -> [u8; 4] {
        [0x03, 0x00, speed(previous, target, duration_ms), clamp_byte(target, MAX_POSITION)]
    }

    /// The v2 (Launch) linear packet `pos speed`.
    pub fn launch_packet(previous: i32, target: i32, duration_ms: u32) -> [u8; 2] {
        [clamp_byte(target, MAX_POSITION), speed(previous, target, duration_ms)]
    }

    fn motor_packet(&self, levels: &[OutputLevel]) -> Write {
        let value = |n: usize| self.motors.get(n).map_or(0, |&slot| value_of(levels, slot));
        match self.variant {
            // V2 has no motors (rejected in `new`); the v2.1 byte layout is harmless if reached.
            Variant::V2 | Variant::V21 | Variant::V21Initialized => {
                Write::without_response(Endpoint::Tx, vec![0x01, clamp_byte(value(0), 100)])
            }
            Variant::V2Vibrator => Write::without_response(
                Endpoint::Tx,
                vec![clamp_byte(value(0), 100), clamp_byte(value(1), 100), clamp_byte(value(2), 100)],
            ),
            Variant::Spot => {
                Write::without_response(Endpoint::Tx, vec![0x00, 0xff, 0x00, 0x00, 0x00, clamp_byte(value(0), 255)])
            }
            Variant::SpotV2 => {
                let s = clamp_byte(value(0), 255);
                Write::with_response(Endpoint::Tx, vec![0x01, s, s, 0x03, 0xe8, 0xff])
            }
            Variant::ProWand => {
                let s = clamp_byte(value(0), 255);
                Write::without_response(Endpoint::Tx, vec![0x00, 0x00, 0x64, if s != 0 { 0xff } else { 0x00 }, s, s])
            }
            Variant::PowerShot => {
                let s0 = clamp_byte(value(0), 255);
                let s1 = if self.motors.len() > 1 { clamp_byte(value(1), 255) } else { s0 };
                Write::with_response(Endpoint::Tx, vec![0x01, 0x00, 0x00, s0, s1, 0x00])
            }
        }
    }
}

impl DeviceHandler for KiirooHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let mut writes = Vec::new();
        if self.motors.iter().any(|&slot| lookup(levels, changed, slot).1) {
            writes.push(self.motor_packet(levels));
        }
        if let Some(slot) = self.linear {
            if let (Some(level), true) = lookup(levels, changed, slot) {
                let (previous, duration_ms) = (previous_position(level), level.duration_ms.unwrap_or(0));
                let packet = match self.variant {
                    Variant::V2 => KiirooHandler::launch_packet(previous, level.value, duration_ms).to_vec(),
                    _ => KiirooHandler::linear_packet(previous, level.value, duration_ms).to_vec(),
                };
                writes.push(Write::without_response(Endpoint::Tx, packet));
            }
        }
        writes
    }

    fn keepalive(&self) -> Keepalive {
        match self.variant {
            Variant::V21Initialized => Keepalive::RepeatLast(KEEPALIVE),
            _ => Keepalive::None,
        }
    }

    fn battery<'a>(&'a self, hw: &'a dyn Hardware) -> BoxFuture<'a, Result<u8, ProtocolError>> {
        Box::pin(async move {
            if self.variant != Variant::V21 || !hw.has_endpoint(Endpoint::Whitelist) {
                return read_ble_battery(hw).await;
            }
            let bytes = hw.read(Endpoint::Whitelist).await?;
            match bytes.get(5) {
                Some(&percent) => Ok(percent.min(100)),
                None => Err(ProtocolError::BadReply(format!("battery read of {} bytes, need 6", bytes.len()))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use plugboard_protocol::model::{Output, Range};

    use super::super::test_support::{bytes, bytes_with_response, feature, features, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn sim(variant: Variant, features: &[Feature]) -> Sim {
        Sim::new(Box::new(KiirooHandler::new(variant, features).unwrap()), features)
    }

    /// A feature with one `HwPositionWithDuration` output, positions 0..99.
    fn linear(index: u32) -> Feature {
        let mut f = feature(index, &[]);
        f.outputs.push(Output {
            kind: HwPositionWithDuration,
            range: Range::new(0, 99),
            duration: Some(Range::new(0, 10000)),
        });
        f
    }

    #[test]
    fn speed_formula() {
        // Worked example: full stroke in 500 ms ~40, in 200 ms ~106.
        assert_eq!(speed(0, 99, 500), 40);
        assert_eq!(speed(99, 0, 200), 106);
        assert_eq!(speed(50, 50, 500), 0, "no distance");
        assert_eq!(speed(0, 50, 0), 255, "no time");
        assert_eq!(speed(0, 0, 0), 0, "NaN");
        assert_eq!(speed(0, 99, 50), 255, "saturates");
        assert_eq!(speed(0, 200, 500), 40, "positions clamped to 99");
        // 49 steps in 500 ms: 250 * (45000 / 49.49..)^-1.05 * 99 = 19.4.
        assert_eq!(speed(0, 49, 500), 19);
        // 20 steps in 200 ms: 19.8; 79 steps in 200 ms: 83.6.
        assert_eq!(speed(0, 20, 200), 19);
        assert_eq!(speed(99, 20, 200), 83);
    }

    #[test]
    fn v21_vibrate() {
        let mut pearl = sim(Variant::V21, &features(&[(Vibrate, 0, 100)]));
        assert_eq!(bytes(&pearl.set(0, Vibrate, 100)), [[0x01, 0x64]]);
        assert_eq!(bytes(&pearl.set(0, Vibrate, 7)), [[0x01, 0x07]]);
        assert_eq!(bytes(&pearl.stop()), [[0x01, 0x00]]);
        assert!(pearl.stop().is_empty());
    }

    #[test]
    fn v21_linear_speed_from_previous_position() {
        let features = vec![linear(0)];
        let mut keon = sim(Variant::V21, &features);
        let mut stroke =
            |pos, ms| bytes(&keon.flush_with_duration(&[(0, HwPositionWithDuration, pos, Some(ms))]));
        // From the start position 0 to 99 in 500 ms.
        assert_eq!(stroke(99, 500), [[0x03, 0x00, 40, 99]]);
        // Back from 99 to 0 in 200 ms.
        assert_eq!(stroke(0, 200), [[0x03, 0x00, 106, 0]]);
        // From 0 to 20 in 200 ms: 20 steps -> 19.
        assert_eq!(stroke(20, 200), [[0x03, 0x00, 19, 20]]);
        // 20 -> 98 in 500 ms.
        assert_eq!(stroke(98, 500), [[0x03, 0x00, 31, 98]]);
        // Same position, new duration: nothing to move, speed 0 (as the reference).
        assert_eq!(stroke(98, 300), [[0x03, 0x00, 0, 98]]);
        // A stop leaves positions alone.
        assert!(keon.stop().is_empty());
    }

    #[test]
    fn v21_strokes_between_zero_and_a_position_are_exact() {
        let mut keon = sim(Variant::V21, &[linear(0)]);
        let mut stroke =
            |pos, ms| bytes(&keon.flush_with_duration(&[(0, HwPositionWithDuration, pos, Some(ms))]));
        for _ in 0..3 {
            // 0 -> 99 and 99 -> 0, 500 ms each: the full-stroke speed 40 every time (the levels
            // never record the 0, see the module docs; the equal-target rule covers it).
            assert_eq!(stroke(99, 500), [[0x03, 0x00, 40, 99]]);
            assert_eq!(stroke(0, 500), [[0x03, 0x00, 40, 0]]);
        }
        // Half strokes 0 <-> 50 in 1 s: speed 9.
        assert_eq!(stroke(50, 1000), [[0x03, 0x00, 9, 50]]);
        assert_eq!(stroke(0, 1000), [[0x03, 0x00, 9, 0]]);
        assert_eq!(stroke(50, 1000), [[0x03, 0x00, 9, 50]]);
        // 50 -> 10 in 300 ms (40 steps): 26.
        assert_eq!(stroke(10, 300), [[0x03, 0x00, 26, 10]]);
    }

    #[test]
    fn previous_position_rules() {
        let mut level = OutputLevel::new(0, HwPositionWithDuration);
        assert_eq!(previous_position(&level), 0, "nothing written yet");
        level.value = 40;
        assert_eq!(previous_position(&level), 0, "first move starts from 0");
        level.commit();
        level.value = 70;
        assert_eq!(previous_position(&level), 40);
        level.commit();
        level.value = 0;
        assert_eq!(previous_position(&level), 70);
        level.commit();
        level.value = 30;
        assert_eq!(previous_position(&level), 0, "a move to 0 is remembered");
        level.commit();
        level.value = 30;
        assert_eq!(previous_position(&level), 30, "already there: no distance");
    }

    #[test]
    fn v2_launch_linear() {
        let features = vec![linear(0)];
        let mut launch = sim(Variant::V2, &features);
        assert_eq!(launch.handler.keepalive(), Keepalive::None);
        let mut stroke =
            |pos, ms| bytes(&launch.flush_with_duration(&[(0, HwPositionWithDuration, pos, Some(ms))]));
        // `pos speed`: full strokes in 500 ms and 200 ms.
        assert_eq!(stroke(99, 500), [[99, 40]]);
        assert_eq!(stroke(0, 200), [[0, 106]]);
        assert_eq!(stroke(99, 200), [[99, 106]]);
        // 99 -> 10 in 300 ms: 61; 10 -> 70 in 400 ms: 30.
        assert_eq!(stroke(10, 300), [[10, 61]]);
        assert_eq!(stroke(70, 400), [[70, 30]]);
        // Out of range positions are clamped to 99 (70 -> 99, 29 steps in 100 ms: 60).
        assert_eq!(stroke(150, 100), [[99, 60]]);
        // A stop leaves the stroker where it is.
        assert!(launch.stop().is_empty());
        // No duration: an instant move, the fastest speed.
        assert_eq!(bytes(&launch.flush(&[(0, HwPositionWithDuration, 20)])), [[20, 255]]);
    }

    #[test]
    fn v21_vibrate_and_linear_in_one_flush() {
        let features = vec![feature(0, &[(Vibrate, 0, 100)]), linear(1)];
        let mut titan = sim(Variant::V21, &features);
        assert_eq!(
            bytes(&titan.flush_with_duration(&[(0, Vibrate, 50, None), (1, HwPositionWithDuration, 99, Some(200))])),
            [vec![0x01, 0x32], vec![0x03, 0x00, 106, 99]]
        );
        assert_eq!(bytes(&titan.stop()), [[0x01, 0x00]]);
    }

    #[test]
    fn v21_initialized_keepalive_seed() {
        let features = vec![linear(0)];
        let mut onyx = sim(Variant::V21Initialized, &features);
        assert_eq!(onyx.handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(2000)));
        // The seed: position 0, no distance, speed 0.
        assert_eq!(bytes(&onyx.all()), [[0x03, 0x00, 0x00, 0x00]]);
        assert_eq!(
            bytes(&onyx.flush_with_duration(&[(0, HwPositionWithDuration, 99, Some(500))])),
            [[0x03, 0x00, 40, 99]]
        );
    }

    #[test]
    fn v2_vibrator_sends_all_motors() {
        let mut pearl2 = sim(Variant::V2Vibrator, &features(&[(Vibrate, 0, 100); 3]));
        assert_eq!(bytes(&pearl2.set(1, Vibrate, 20)), [[0x00, 0x14, 0x00]]);
        assert_eq!(bytes(&pearl2.flush(&[(0, Vibrate, 100), (2, Vibrate, 5)])), [[0x64, 0x14, 0x05]]);
        assert_eq!(bytes(&pearl2.stop()), [[0x00, 0x00, 0x00]]);

        let mut fuse = sim(Variant::V2Vibrator, &features(&[(Vibrate, 0, 100)]));
        assert_eq!(bytes(&fuse.set(0, Vibrate, 42)), [[0x2a, 0x00, 0x00]]);
    }

    #[test]
    fn spot() {
        let mut spot = sim(Variant::Spot, &features(&[(Vibrate, 0, 100)]));
        assert_eq!(bytes(&spot.set(0, Vibrate, 100)), [[0x00, 0xff, 0x00, 0x00, 0x00, 0x64]]);
        assert_eq!(bytes(&spot.stop()), [[0x00, 0xff, 0x00, 0x00, 0x00, 0x00]]);
    }

    #[test]
    fn spot_v2_writes_the_level_twice_with_response() {
        let mut spot2 = sim(Variant::SpotV2, &features(&[(Vibrate, 0, 100)]));
        assert_eq!(bytes_with_response(&spot2.set(0, Vibrate, 50)), [[0x01, 0x32, 0x32, 0x03, 0xe8, 0xff]]);
        assert_eq!(bytes_with_response(&spot2.set(0, Vibrate, 100)), [[0x01, 0x64, 0x64, 0x03, 0xe8, 0xff]]);
        assert_eq!(bytes_with_response(&spot2.stop()), [[0x01, 0x00, 0x00, 0x03, 0xe8, 0xff]]);
        assert_eq!(spot2.stop(), []);
        assert!(KiirooHandler::new(Variant::SpotV2, &features(&[(Vibrate, 0, 100); 2])).is_err());
    }

    #[test]
    fn prowand() {
        let mut wand = sim(Variant::ProWand, &features(&[(Vibrate, 0, 255)]));
        assert_eq!(bytes(&wand.set(0, Vibrate, 0x80)), [[0x00, 0x00, 0x64, 0xff, 0x80, 0x80]]);
        assert_eq!(bytes(&wand.stop()), [[0x00, 0x00, 0x64, 0x00, 0x00, 0x00]]);
    }

    #[test]
    fn powershot() {
        let mut shot = sim(Variant::PowerShot, &features(&[(Vibrate, 0, 100); 2]));
        assert_eq!(bytes_with_response(&shot.set(0, Vibrate, 10)), [[0x01, 0x00, 0x00, 0x0a, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&shot.set(1, Vibrate, 90)), [[0x01, 0x00, 0x00, 0x0a, 0x5a, 0x00]]);
        assert_eq!(bytes_with_response(&shot.stop()), [[0x01, 0x00, 0x00, 0x00, 0x00, 0x00]]);

        let mut single = sim(Variant::PowerShot, &features(&[(Vibrate, 0, 100)]));
        assert_eq!(bytes_with_response(&single.set(0, Vibrate, 3)), [[0x01, 0x00, 0x00, 0x03, 0x03, 0x00]]);
    }

    #[test]
    fn definitions() {
        assert!(KiirooHandler::new(Variant::V21, &features(&[(Vibrate, 0, 100); 2])).is_err());
        assert!(KiirooHandler::new(Variant::V21, &[linear(0), linear(1)]).is_err());
        assert!(KiirooHandler::new(Variant::Spot, &[linear(0)]).is_err());
        assert!(KiirooHandler::new(Variant::V2Vibrator, &features(&[(Vibrate, 0, 100); 4])).is_err());
        assert!(KiirooHandler::new(Variant::PowerShot, &features(&[(Rotate, -20, 20)])).is_err());
        let unknown_model = KiirooHandler::new(Variant::V21, &[]).expect("the defaults: no outputs");
        assert!(unknown_model.encode(&[], ChangeSet::ALL).is_empty());
        assert!(KiirooHandler::new(Variant::V2, &features(&[(Vibrate, 0, 100)])).is_err());
        assert!(KiirooHandler::new(Variant::V2, &[linear(0), linear(1)]).is_err());
        assert!(KiirooHandler::new(Variant::V2, &[linear(0)]).is_ok());
    }

    #[tokio::test]
    async fn init_writes() {
        let keon = vec![linear(0)];
        let hw = FakeHardware::new("Keon", "aa");
        let handler = KIIROO_V21_INITIALIZED.initialize(&hw, Some("Keon"), &keon).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Write(Write::with_response(Endpoint::Tx, vec![0x03, 0x00, 0x64, 0x19])),
                Event::Write(Write::with_response(Endpoint::Tx, vec![0x03, 0x00, 0x64, 0x00])),
            ]
        );
        assert_eq!(handler.keepalive(), Keepalive::RepeatLast(KEEPALIVE));

        // The Launch: `00` to firmware, with response, and nothing else.
        let hw = FakeHardware::with_endpoints("Launch", "aa", &[Endpoint::Tx, Endpoint::Rx, Endpoint::Firmware]);
        let handler = KIIROO_V2.initialize(&hw, Some("Launch"), &keon).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Write(Write::with_response(Endpoint::Firmware, vec![0x00]))]);
        assert_eq!(handler.keepalive(), Keepalive::None);
        let no_firmware = FakeHardware::new("Launch", "aa");
        assert!(KIIROO_V2.initialize(&no_firmware, Some("Launch"), &keon).await.is_err());

        for protocol in
            [&KIIROO_V21, &KIIROO_V2_VIBRATOR, &KIIROO_SPOT, &KIIROO_SPOT_V2, &KIIROO_PROWAND, &KIIROO_POWERSHOT]
        {
            let hw = FakeHardware::new("Pearl", "aa");
            let features = features(&[(Vibrate, 0, 100)]);
            let handler = protocol.initialize(&hw, None, &features).await.unwrap();
            assert!(hw.events().is_empty(), "{} has no init", protocol.name());
            assert_eq!(handler.keepalive(), Keepalive::None);
        }
    }

    #[test]
    fn names() {
        let names: Vec<_> = [
            &KIIROO_V2,
            &KIIROO_V21,
            &KIIROO_V21_INITIALIZED,
            &KIIROO_V2_VIBRATOR,
            &KIIROO_SPOT,
            &KIIROO_SPOT_V2,
            &KIIROO_PROWAND,
            &KIIROO_POWERSHOT,
        ]
        .iter()
        .map(|p| p.name())
        .collect();
        assert_eq!(
            names,
            [
                "kiiroo-v2",
                "kiiroo-v21",
                "kiiroo-v21-initialized",
                "kiiroo-v2-vibrator",
                "kiiroo-spot",
                "kiiroo-spot-v2",
                "kiiroo-prowand",
                "kiiroo-powershot"
            ]
        );
    }

    #[tokio::test]
    async fn battery() {
        let features = features(&[(Vibrate, 0, 100)]);
        let hw = FakeHardware::with_endpoints("Pearl", "aa", &[Endpoint::Tx, Endpoint::Whitelist]);
        let mut reply = [0u8; 20];
        reply[5] = 64;
        hw.set_read(Endpoint::Whitelist, &reply);
        let v21 = KIIROO_V21.initialize(&hw, None, &features).await.unwrap();
        assert_eq!(v21.battery(&hw).await, Ok(64));
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::Whitelist)]);

        hw.set_read(Endpoint::Whitelist, &[1, 2, 3]);
        assert!(matches!(v21.battery(&hw).await, Err(ProtocolError::BadReply(_))));

        let std = FakeHardware::with_endpoints("Spot", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        std.set_read(Endpoint::RxBleBattery, &[55]);
        let spot = KIIROO_SPOT.initialize(&std, None, &features).await.unwrap();
        assert_eq!(spot.battery(&std).await, Ok(55));
        // v2.1 without a whitelist endpoint falls back to the standard characteristic.
        assert_eq!(v21.battery(&std).await, Ok(55));

        // The Spot 2 reads a long value from the battery characteristic; the level is byte 0.
        let spot2_hw = FakeHardware::with_endpoints("SPOT W2", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        let mut reply = [0u8; 20];
        reply[0] = 81;
        reply[5] = 7;
        spot2_hw.set_read(Endpoint::RxBleBattery, &reply);
        let spot2 = KIIROO_SPOT_V2.initialize(&spot2_hw, None, &features).await.unwrap();
        assert_eq!(spot2.battery(&spot2_hw).await, Ok(81));
        assert_eq!(spot2_hw.events(), vec![Event::Read(Endpoint::RxBleBattery)]);
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
        // The Launch: `pos speed`, the speed from the distance moved in the duration.
        Vector::new(&KIIROO_V2, Some("Launch"), &[
            Move(&[(0, 99, 500)], &[tx(&[99, 40])]),
            Move(&[(0, 0, 200)], &[tx(&[0, 106])]),
            Move(&[(0, 10, 300)], &[tx(&[10, 6])]),
            Stop(&[]),
        ]),
        Vector::new(&KIIROO_V21, Some("Cliona"), &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0x01, 0x64])]),
            Set(&[(0, Vibrate, 7)], &[tx(&[0x01, 0x07])]),
            Stop(&[tx(&[0x01, 0x00])]),
        ]),
        // A vibrator and a stroker (`03 00 speed pos`); a stop leaves the stroker where it is.
        Vector::new(&KIIROO_V21, Some("Titan1.1"), &[
            Set(&[(0, Vibrate, 50)], &[tx(&[0x01, 0x32])]),
            Move(&[(1, 99, 200)], &[tx(&[0x03, 0x00, 106, 99])]),
            Stop(&[tx(&[0x01, 0x00])]),
        ]),
        Vector::new(&KIIROO_V21_INITIALIZED, Some("KEON"), &[
            Move(&[(0, 99, 500)], &[tx(&[0x03, 0x00, 40, 99])]),
            Move(&[(0, 20, 200)], &[tx(&[0x03, 0x00, 83, 20])]),
            Stop(&[]),
        ]),
        // Every motor each time; a model's missing motors are 0.
        Vector::new(&KIIROO_V2_VIBRATOR, None, &[
            Set(&[(1, Vibrate, 20)], &[tx(&[0x00, 0x14, 0x00])]),
            Set(&[(0, Vibrate, 100), (2, Vibrate, 5)], &[tx(&[0x64, 0x14, 0x05])]),
            Stop(&[tx(&[0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&KIIROO_V2_VIBRATOR, Some("Pearl2"), &[
            Set(&[(0, Vibrate, 42)], &[tx(&[0x2a, 0x00, 0x00])]),
            Stop(&[tx(&[0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&KIIROO_SPOT, None, &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0x00, 0xff, 0x00, 0x00, 0x00, 0x64])]),
            Stop(&[tx(&[0x00, 0xff, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // The Spot 2: the level twice, with response.
        Vector::new(&KIIROO_SPOT_V2, None, &[
            Set(&[(0, Vibrate, 50)], &[tx_with_response(&[0x01, 0x32, 0x32, 0x03, 0xe8, 0xff])]),
            Stop(&[tx_with_response(&[0x01, 0x00, 0x00, 0x03, 0xe8, 0xff])]),
        ]),
        Vector::new(&KIIROO_PROWAND, None, &[
            Set(&[(0, Vibrate, 0x80)], &[tx(&[0x00, 0x00, 0x64, 0xff, 0x80, 0x80])]),
            Stop(&[tx(&[0x00, 0x00, 0x64, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&KIIROO_POWERSHOT, None, &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0x01, 0x00, 0x00, 0x0a, 0x00, 0x00])]),
            Set(&[(1, Vibrate, 90)], &[tx_with_response(&[0x01, 0x00, 0x00, 0x0a, 0x5a, 0x00])]),
            Stop(&[tx_with_response(&[0x01, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
