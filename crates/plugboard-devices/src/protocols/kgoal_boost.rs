//! KGoal Boost (advertised as `Boost`): a Kegel trainer with inputs only, two pressure
//! readings streamed from one characteristic and a standard battery.
//!
//! GATT: `rxpressure` `10c2be2d-d2d5-b7a8-5f42-e2468c9ebbf5` in service
//! `8e7c6065-7656-17ad-1b41-b53d1a548e0d` (notifications); `rxblebattery` the standard battery
//! level `00002a19-…` in `0000180f-…` (a one-byte read, the percentage).
//!
//! # Inputs
//!
//! Feature 0 is the normalised pressure and feature 1 the raw one, both subscribe-only
//! (0..=2000); feature 2 the battery (read). While either pressure is subscribed, `rxpressure`
//! is (the device task subscribes it for the first and unsubscribes it after the last). Each
//! notification of at least 7 bytes carries both: normalised = big-endian bytes 3..=4, raw =
//! bytes 5..=6 (`00 00 00 01 2c 03 e8` is 300 and 1000); shorter ones are skipped. A
//! subscriber hears a reading when it differs from the last notification's (the device task
//! keeps the last reading of every input, subscribed or not).
//!
//! No outputs, no initialisation: a stop writes nothing (it ends the client's subscriptions).
//!
//! # Where Plugboard differs from the reference
//!
//! The reference starts both "last values" at 0, so a first reading of 0 is never sent; here
//! the first reading after connecting is sent whatever its value.

use plugboard_protocol::model::{Feature, InputType, Reading};

use super::{ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The shortest notification that carries both readings.
pub const READING_LENGTH: usize = 7;

pub struct KgoalBoost;

pub static KGOAL_BOOST: KgoalBoost = KgoalBoost;

pub static PROTOCOLS: &[&dyn Protocol] = &[&KGOAL_BOOST];

/// (normalised, raw) from a notification of `rxpressure`.
pub fn pressures(bytes: &[u8]) -> Option<(u16, u16)> {
    if bytes.len() < READING_LENGTH {
        return None;
    }
    Some((u16::from_be_bytes([bytes[3], bytes[4]]), u16::from_be_bytes([bytes[5], bytes[6]])))
}

impl Protocol for KgoalBoost {
    fn name(&self) -> &'static str {
        "kgoal-boost"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            if let Some(feature) = features.iter().find(|feature| !feature.outputs.is_empty()) {
                return Err(ProtocolError::Definition(format!(
                    "kgoal-boost has no outputs, the definition has some on feature {}",
                    feature.index
                )));
            }
            let pressure: Vec<u32> = features
                .iter()
                .filter(|feature| feature.input(InputType::Pressure).is_some())
                .map(|feature| feature.index)
                .collect();
            if pressure.len() > 2 {
                return Err(ProtocolError::Definition(format!(
                    "kgoal-boost reports two pressures, the definition has {}",
                    pressure.len()
                )));
            }
            Ok(Box::new(Pressures { normalised: pressure.first().copied(), raw: pressure.get(1).copied() })
                as Box<dyn DeviceHandler>)
        })
    }
}

/// The decoder of one connected trainer: which features carry which pressure.
struct Pressures {
    normalised: Option<u32>,
    raw: Option<u32>,
}

impl DeviceHandler for Pressures {
    fn encode(&self, _levels: &[OutputLevel], _changed: ChangeSet) -> Vec<Write> {
        Vec::new()
    }

    fn input_endpoint(&self, feature_index: u32, kind: InputType) -> Option<Endpoint> {
        let ours = [self.normalised, self.raw].contains(&Some(feature_index));
        (ours && kind == InputType::Pressure).then_some(Endpoint::RxPressure)
    }

    fn decode_input(&self, endpoint: Endpoint, bytes: &[u8]) -> Vec<(u32, Reading)> {
        let Some((normalised, raw)) = pressures(bytes).filter(|_| endpoint == Endpoint::RxPressure) else {
            if endpoint == Endpoint::RxPressure {
                tracing::debug!(length = bytes.len(), "a KGoal Boost notification too short for its pressures");
            }
            return Vec::new();
        };
        [(self.normalised, normalised), (self.raw, raw)]
            .into_iter()
            .filter_map(|(feature, value)| Some((feature?, Reading::Pressure(value.into()))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::{Input, InputCommand, OutputType, Range};

    use super::*;
    use crate::protocols::test_support::{feature, hex};
    use crate::testing::FakeHardware;

    pub(crate) fn boost() -> Vec<Feature> {
        let input = |kind, max, command| Input { kind, ranges: vec![Range::new(0, max)], commands: vec![command] };
        let mut features = vec![feature(0, &[]), feature(1, &[]), feature(2, &[])];
        features[0].inputs.push(input(InputType::Pressure, 2000, InputCommand::Subscribe));
        features[1].inputs.push(input(InputType::Pressure, 2000, InputCommand::Subscribe));
        features[2].inputs.push(input(InputType::Battery, 100, InputCommand::Read));
        features
    }

    #[tokio::test]
    async fn both_pressures_from_one_notification() {
        let hw = FakeHardware::with_endpoints("Boost", "aa", &[Endpoint::RxPressure, Endpoint::RxBleBattery]);
        let handler = KGOAL_BOOST.initialize(&hw, None, &boost()).await.unwrap();
        assert!(hw.events().is_empty(), "nothing at connect");
        assert_eq!(handler.input_endpoint(0, InputType::Pressure), Some(Endpoint::RxPressure));
        assert_eq!(handler.input_endpoint(1, InputType::Pressure), Some(Endpoint::RxPressure));
        assert_eq!(handler.input_endpoint(2, InputType::Pressure), None);
        assert_eq!(handler.input_endpoint(0, InputType::Button), None);
        assert_eq!(
            handler.decode_input(Endpoint::RxPressure, &hex("00 00 00 01 2c 03 e8")),
            [(0, Reading::Pressure(300)), (1, Reading::Pressure(1000))]
        );
        assert_eq!(
            handler.decode_input(Endpoint::RxPressure, &hex("00 00 00 ff ff 00 00 99")),
            [(0, Reading::Pressure(65535)), (1, Reading::Pressure(0))]
        );
        assert!(handler.decode_input(Endpoint::RxPressure, &hex("00 00 00 01 2c 03")).is_empty(), "too short");
        assert!(handler.decode_input(Endpoint::Rx, &hex("00 00 00 01 2c 03 e8")).is_empty());
        assert_eq!(handler.pushed_battery_endpoint(), None);
        hw.set_read(Endpoint::RxBleBattery, &[64]);
        assert_eq!(handler.battery(&hw).await, Ok(64), "the standard battery read");
    }

    #[tokio::test]
    async fn a_definition_with_outputs_is_refused() {
        let hw = FakeHardware::new("Boost", "aa");
        let mut features = boost();
        features.push(feature(3, &[(OutputType::Vibrate, 0, 20)]));
        assert!(matches!(KGOAL_BOOST.initialize(&hw, None, &features).await, Err(ProtocolError::Definition(_))));
    }
}

#[cfg(test)]
pub(crate) mod vectors {
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&KGOAL_BOOST, None, &[
        // No outputs: a stop writes nothing (subscriptions end in the device manager).
        Stop(&[]),
    ])];
}
