//! Yiciyuan (`YCY-FJB-01`, `YCY-FJB-02`): three axes in one whole-state packet, and a
//! battery level the toy pushes by itself.
//!
//! GATT service `0000ff40-…`: `tx` `0000ff41-…` (written without response), `rxblebattery`
//! `0000ff42-…` (notifications; not the standard battery characteristic).
//!
//! # Outputs
//!
//! Feature 0 is the stroke (oscillate 0..=100), features 1 and 2 vibrate (0..=100, the second
//! is "axis c"). Each level goes to the toy's 0..=20 scale rounded half up,
//! `L = (min(v, 100) × 20 + 50) / 100` (3 → 1, 8 → 2, 50 → 10, 99 → 20), and any change
//! writes `35 12 L0 L1 L2` and eleven `00`:
//!
//! * stroke 50: `35 12 0a 00 00 …`; then vibrate 100: `35 12 0a 14 00 …`
//! * stop: `35 12 00 00 00 …`, one write.
//!
//! # Battery
//!
//! The toy notifies `35 13 ?? level` on `rxblebattery` (at least four bytes; other
//! notifications are not battery reports). The device task subscribes to it as soon as the toy
//! is connected, and answers a battery read with the last level pushed, waiting a bounded time
//! for the first one (`device_inputs::PUSHED_BATTERY_WAIT`).
//!
//! # Where Plugboard differs from the reference
//!
//! The reference subscribes to `rxblebattery` on the first battery read and then waits for the
//! next report without limit, so a read can hang for ever and the first read of a toy that
//! reports rarely takes as long as its next report. Plugboard subscribes at connect and keeps
//! the last level, and a read gives up after a bounded wait.

use plugboard_protocol::model::{Feature, InputType, OutputType, Reading};

use super::single_packet::Outputs;
use super::{lookup, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The first two bytes of a battery report.
pub const BATTERY_REPORT: [u8; 2] = [0x35, 0x13];

pub struct Yiciyuan;

pub static YICIYUAN: Yiciyuan = Yiciyuan;

pub static PROTOCOLS: &[&dyn Protocol] = &[&YICIYUAN];

/// A level on the toy's 0..=20 scale, rounded half up.
pub fn toy_level(value: i32) -> u8 {
    ((value.clamp(0, 100) * 20 + 50) / 100) as u8
}

/// The battery level in a report, if `bytes` is one.
pub fn battery_report(bytes: &[u8]) -> Option<u8> {
    (bytes.len() >= 4 && bytes[..2] == BATTERY_REPORT).then(|| bytes[3].min(100))
}

impl Protocol for Yiciyuan {
    fn name(&self) -> &'static str {
        "yiciyuan"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let slots = Outputs::of(&[OutputType::Oscillate, OutputType::Vibrate])
                .up_to_feature(2)
                .check(self.name(), features)?;
            let battery_feature = features
                .iter()
                .find(|feature| feature.input(InputType::Battery).is_some())
                .map(|feature| feature.index)
                .filter(|_| hw.has_endpoint(Endpoint::RxBleBattery));
            Ok(Box::new(ThreeAxes { slots, battery_feature }) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one connected toy.
struct ThreeAxes {
    /// The outputs, (feature index, type), on features 0..=2.
    slots: Vec<(u32, OutputType)>,
    /// The feature whose battery input the reports fill.
    battery_feature: Option<u32>,
}

impl DeviceHandler for ThreeAxes {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.slots.iter().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let mut packet = vec![0u8; 16];
        packet[..2].copy_from_slice(&[0x35, 0x12]);
        for &(feature, kind) in &self.slots {
            packet[2 + feature as usize] = toy_level(value_of(levels, (feature, kind)));
        }
        vec![Write::without_response(Endpoint::Tx, packet)]
    }

    fn battery<'a>(&'a self, _hw: &'a dyn Hardware) -> BoxFuture<'a, Result<u8, ProtocolError>> {
        Box::pin(async { Err(ProtocolError::Unsupported("battery reads (the toy reports its level by itself)".into())) })
    }

    fn pushed_battery_endpoint(&self) -> Option<Endpoint> {
        self.battery_feature.map(|_| Endpoint::RxBleBattery)
    }

    fn decode_input(&self, endpoint: Endpoint, bytes: &[u8]) -> Vec<(u32, Reading)> {
        match (endpoint, self.battery_feature, battery_report(bytes)) {
            (Endpoint::RxBleBattery, Some(feature), Some(level)) => vec![(feature, Reading::Battery(level))],
            _ => Vec::new(),
        }
    }
}

/// A Yiciyuan toy as it reports its battery, for tests and simulated peripherals.
#[cfg(any(test, feature = "testing"))]
pub mod simulated {
    use super::*;
    use crate::testing::SimulatedDevice;

    /// Reports `battery` percent whenever `rxblebattery` is subscribed.
    pub struct Toy {
        pub battery: u8,
    }

    impl SimulatedDevice for Toy {
        fn on_subscribe(&self, endpoint: Endpoint) -> Vec<(Endpoint, Vec<u8>)> {
            match endpoint {
                Endpoint::RxBleBattery => vec![(endpoint, vec![0x35, 0x13, 0x00, self.battery])],
                _ => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use plugboard_protocol::model::{Input, InputCommand, Range};

    use super::*;
    use crate::protocols::test_support::{bytes, feature, hex, Sim};
    use crate::testing::FakeHardware;

    fn fjb() -> Vec<Feature> {
        let mut battery = feature(3, &[]);
        battery.inputs.push(Input {
            kind: InputType::Battery,
            ranges: vec![Range::new(0, 100)],
            commands: vec![InputCommand::Read],
        });
        vec![feature(0, &[(Oscillate, 0, 100)]), feature(1, &[(Vibrate, 0, 100)]), feature(2, &[(Vibrate, 0, 100)]), battery]
    }

    #[test]
    fn levels_round_half_up_to_twenty_steps() {
        let mapped: Vec<u8> = [0, 1, 2, 3, 7, 8, 50, 99, 100, 150, -5].iter().map(|&v| toy_level(v)).collect();
        assert_eq!(mapped, [0, 0, 0, 1, 1, 2, 10, 20, 20, 20, 0]);
    }

    #[test]
    fn whole_state_packets() {
        let features = fjb();
        let handler = ThreeAxes { slots: vec![(0, Oscillate), (1, Vibrate), (2, Vibrate)], battery_feature: Some(3) };
        let mut toy = Sim::new(Box::new(handler), &features);
        assert_eq!(bytes(&toy.set(0, Oscillate, 50)), [hex("35 12 0a 00 00 00 00 00 00 00 00 00 00 00 00 00")]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 100)), [hex("35 12 0a 14 00 00 00 00 00 00 00 00 00 00 00 00")]);
        assert_eq!(bytes(&toy.set(2, Vibrate, 3)), [hex("35 12 0a 14 01 00 00 00 00 00 00 00 00 00 00 00")]);
        assert_eq!(bytes(&toy.stop()), [hex("35 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00")]);
    }

    #[tokio::test]
    async fn battery_reports_are_pushed_and_decoded() {
        let hw = FakeHardware::with_endpoints("YCY-FJB-01", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        let handler = YICIYUAN.initialize(&hw, Some("YCY-FJB-01"), &fjb()).await.unwrap();
        assert!(hw.events().is_empty(), "nothing at connect: the device task subscribes");
        assert_eq!(handler.pushed_battery_endpoint(), Some(Endpoint::RxBleBattery));
        assert_eq!(handler.decode_input(Endpoint::RxBleBattery, &hex("35 13 00 4b")), [(3, Reading::Battery(75))]);
        assert_eq!(handler.decode_input(Endpoint::RxBleBattery, &hex("35 13 00 ff 01")), [(3, Reading::Battery(100))]);
        assert!(handler.decode_input(Endpoint::RxBleBattery, &hex("35 13 00")).is_empty(), "too short");
        assert!(handler.decode_input(Endpoint::RxBleBattery, &hex("35 12 00 4b")).is_empty(), "not a report");
        assert!(handler.decode_input(Endpoint::Tx, &hex("35 13 00 4b")).is_empty(), "another endpoint");
        assert!(handler.battery(&hw).await.is_err(), "never a one-byte read of the characteristic");
    }

    #[tokio::test]
    async fn without_a_battery_feature_or_endpoint_nothing_is_pushed() {
        let hw = FakeHardware::with_endpoints("YCY-FJB-01", "aa", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        let handler = YICIYUAN.initialize(&hw, None, &fjb()[..3]).await.unwrap();
        assert_eq!(handler.pushed_battery_endpoint(), None);
        let hw = FakeHardware::with_endpoints("YCY-FJB-01", "aa", &[Endpoint::Tx]);
        let handler = YICIYUAN.initialize(&hw, None, &fjb()).await.unwrap();
        assert_eq!(handler.pushed_battery_endpoint(), None);
    }
}

#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::simulated::Toy;
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&YICIYUAN, Some("YCY-FJB-01"), &[
        Set(&[(0, Oscillate, 50)], &[tx(&[0x35, 0x12, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
        Set(&[(1, Vibrate, 100)], &[tx(&[0x35, 0x12, 0x0a, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
        Set(&[(2, Vibrate, 3)], &[tx(&[0x35, 0x12, 0x0a, 0x14, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
        Stop(&[tx(&[0x35, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
    ])
    .answering(|hw| hw.simulate(Toy { battery: 75 }))];
}
