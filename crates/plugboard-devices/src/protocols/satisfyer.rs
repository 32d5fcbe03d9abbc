//! Satisfyer.
//!
//! * Identify: the advertised manufacturer data (company 93, e.g. `00 00 27 15`) read as a
//!   big-endian u32 in decimal (`"10005"`); without it, the same from the 4 bytes read from
//!   `rxblemodel` (a Hot Spot answers `00 00 27 15`). An answer of another length is taken as
//!   text, trimmed, which the reference would read as model 0 (the defaults).
//! * Init: write `01` to `command`, with response.
//! * Encoding: every motor's value repeated 4 times, all motors concatenated, to `tx` without
//!   response (1 motor = 4 bytes, 2 = 8). The device stops unless the packet is repeated, so the
//!   keepalive is "repeat the last packet every 500 ms".

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, lookup, motor_slots, value_of, Advertisement, ChangeSet, DeviceHandler, Keepalive, OutputLevel,
    Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The Bluetooth SIG company id Satisfyer advertises under.
pub const COMPANY_ID: u16 = 93;
/// How often the last packet is repeated.
pub const KEEPALIVE: Duration = Duration::from_millis(500);

/// The Satisfyer protocol family (`satisfyer`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Satisfyer;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SATISFYER];

pub static SATISFYER: Satisfyer = Satisfyer;

/// The identifier in advertised manufacturer data: company 93's data, else any company's data
/// that starts `00 00 27` or `00 00 28` (the known Satisfyer prefixes); its first 4 bytes as a
/// big-endian u32, in decimal.
pub fn identifier_from_advertisement(advertisement: &Advertisement) -> Option<String> {
    let data = advertisement.manufacturer_data.get(&COMPANY_ID).filter(|data| data.len() >= 4).or_else(|| {
        advertisement
            .manufacturer_data
            .values()
            .find(|data| data.len() >= 4 && data[0] == 0 && data[1] == 0 && matches!(data[2], 0x27 | 0x28))
    })?;
    Some(u32::from_be_bytes([data[0], data[1], data[2], data[3]]).to_string())
}

impl Protocol for Satisfyer {
    fn name(&self) -> &'static str {
        "satisfyer"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            if let Some(identifier) = identifier_from_advertisement(advertisement) {
                return Ok(Some(identifier));
            }
            if !hw.has_endpoint(Endpoint::RxBleModel) {
                return Ok(None);
            }
            let model = hw.read(Endpoint::RxBleModel).await?;
            if let Ok(number) = <[u8; 4]>::try_from(model.as_slice()) {
                return Ok(Some(u32::from_be_bytes(number).to_string()));
            }
            let model = String::from_utf8_lossy(&model);
            let model = model.trim_matches(|c: char| c.is_whitespace() || c == '\0');
            Ok((!model.is_empty()).then(|| model.to_owned()))
        })
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = SatisfyerHandler::new(features)?;
            hw.write(Write::with_response(Endpoint::Command, vec![0x01])).await?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one Satisfyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SatisfyerHandler {
    motors: Vec<(u32, OutputType)>,
}

impl SatisfyerHandler {
    /// Every non-position output is a motor (vibrate, and the air-pulse "constrict"/"oscillate"
    /// outputs some models define), in definition order. Range 0..=100.
    pub fn new(features: &[Feature]) -> Result<SatisfyerHandler, ProtocolError> {
        let motors = motor_slots(features);
        if motors.is_empty() {
            return Err(ProtocolError::Definition("satisfyer device with no motor outputs".into()));
        }
        Ok(SatisfyerHandler { motors })
    }
}

impl DeviceHandler for SatisfyerHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.motors.iter().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let data =
            self.motors.iter().flat_map(|&slot| [clamp_byte(value_of(levels, slot), u8::MAX); 4]).collect::<Vec<u8>>();
        vec![Write::without_response(Endpoint::Tx, data)]
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::RepeatLast(KEEPALIVE)
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn sim(outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(SatisfyerHandler::new(&features).unwrap()), &features)
    }

    #[test]
    fn one_motor_repeated_four_times() {
        let mut sf = sim(&[(Vibrate, 0, 100)]);
        assert_eq!(bytes(&sf.all()), [[0, 0, 0, 0]], "keepalive seed");
        assert_eq!(bytes(&sf.set(0, Vibrate, 50)), [[50, 50, 50, 50]]);
        assert_eq!(bytes(&sf.set(0, Vibrate, 100)), [[100, 100, 100, 100]]);
        assert_eq!(bytes(&sf.stop()), [[0, 0, 0, 0]]);
    }

    #[test]
    fn two_motors_concatenated() {
        let mut sf = sim(&[(Vibrate, 0, 100), (Constrict, 0, 100)]);
        assert_eq!(bytes(&sf.set(1, Constrict, 30)), [[0, 0, 0, 0, 30, 30, 30, 30]]);
        assert_eq!(bytes(&sf.set(0, Vibrate, 0x64)), [[0x64, 0x64, 0x64, 0x64, 0x1e, 0x1e, 0x1e, 0x1e]]);
        assert_eq!(bytes(&sf.flush(&[(0, Vibrate, 1), (1, Constrict, 2)])), [[1, 1, 1, 1, 2, 2, 2, 2]]);
        assert_eq!(bytes(&sf.stop()), [[0; 8]]);
        assert_eq!(bytes(&sf.stop()), [] as [[u8; 8]; 0]);
    }

    #[test]
    fn keepalive_and_definitions() {
        let handler = SatisfyerHandler::new(&features(&[(Vibrate, 0, 100)])).unwrap();
        assert_eq!(handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(500)));
        assert!(SatisfyerHandler::new(&[]).is_err());
    }

    fn advertised(company: u16, data: &[u8]) -> Advertisement {
        let mut advertisement = Advertisement::named("SF Pro 2");
        advertisement.manufacturer_data.insert(company, data.to_vec());
        advertisement
    }

    #[test]
    fn identifier_from_manufacturer_data() {
        assert_eq!(identifier_from_advertisement(&advertised(93, &[0x00, 0x00, 0x27, 0x15])).as_deref(), Some("10005"));
        assert_eq!(identifier_from_advertisement(&advertised(93, &[0x00, 0x00, 0x28, 0x0a])).as_deref(), Some("10250"));
        assert_eq!(identifier_from_advertisement(&advertised(76, &[0x00, 0x00, 0x27, 0x15])).as_deref(), Some("10005"));
        assert_eq!(identifier_from_advertisement(&advertised(76, &[0x02, 0x15, 0x27, 0x15])), None);
        assert_eq!(identifier_from_advertisement(&advertised(93, &[0x00, 0x27])), None);
        assert_eq!(identifier_from_advertisement(&Advertisement::named("SF Pro 2")), None);
    }

    #[tokio::test]
    async fn identify_prefers_advertisement_then_model() {
        let hw =
            FakeHardware::with_endpoints("SF Pro 2", "aa", &[Endpoint::Tx, Endpoint::Command, Endpoint::RxBleModel]);
        hw.set_read(Endpoint::RxBleModel, b"SF-10005\0\0");
        let adv = advertised(93, &[0x00, 0x00, 0x27, 0x15]);
        assert_eq!(Satisfyer.identify(&hw, &adv).await.unwrap().as_deref(), Some("10005"));
        assert!(hw.events().is_empty(), "nothing read when advertised");

        assert_eq!(
            Satisfyer.identify(&hw, &Advertisement::named("SF Pro 2")).await.unwrap().as_deref(),
            Some("SF-10005")
        );
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::RxBleModel)]);

        // The model characteristic holds the same 4 bytes as the advertisement, big-endian.
        let numbered =
            FakeHardware::with_endpoints("SF Pro 2", "aa", &[Endpoint::Tx, Endpoint::Command, Endpoint::RxBleModel]);
        numbered.set_read(Endpoint::RxBleModel, &[0x00, 0x00, 0x27, 0x15]);
        assert_eq!(
            Satisfyer.identify(&numbered, &Advertisement::named("SF Pro 2")).await.unwrap().as_deref(),
            Some("10005")
        );

        let bare = FakeHardware::with_endpoints("SF Pro 2", "aa", &[Endpoint::Tx, Endpoint::Command]);
        assert_eq!(Satisfyer.identify(&bare, &Advertisement::named("SF Pro 2")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn init_writes_01_to_command() {
        let hw = FakeHardware::with_endpoints("SF Pro 2", "aa", &[Endpoint::Tx, Endpoint::Command]);
        let features = features(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let handler = Satisfyer.initialize(&hw, Some("10005"), &features).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Write(Write::with_response(Endpoint::Command, vec![0x01]))]);
        assert_eq!(handler.keepalive(), Keepalive::RepeatLast(KEEPALIVE));
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
        // Every motor's level four times.
        Vector::new(&SATISFYER, Some("10005"), &[
            Set(&[(0, Vibrate, 50)], &[tx(&[50, 50, 50, 50])]),
            Set(&[(0, Vibrate, 100)], &[tx(&[100, 100, 100, 100])]),
            Stop(&[tx(&[0, 0, 0, 0])]),
        ]),
        Vector::new(&SATISFYER, Some("10006"), &[
            Set(&[(1, Vibrate, 30)], &[tx(&[0, 0, 0, 0, 30, 30, 30, 30])]),
            Set(&[(0, Vibrate, 0x64)], &[tx(&[0x64, 0x64, 0x64, 0x64, 0x1e, 0x1e, 0x1e, 0x1e])]),
            Stop(&[tx(&[0, 0, 0, 0, 0, 0, 0, 0])]),
        ]),
        Vector::new(&SATISFYER, Some("10065"), &[
            Set(&[(0, Vibrate, 1), (1, Vibrate, 2), (2, Vibrate, 3)], &[tx(&[1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])]),
            Stop(&[tx(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
        ]),
    ];
}
