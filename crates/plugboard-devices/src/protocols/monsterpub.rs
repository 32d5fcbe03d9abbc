//! MonsterPub / Tracy's Dog. Service 0x6000 with `tx`
//! (0x6001), `txmode` (0x6002), `txvibrate` (0x6003) and `generic0` (0x600A), each present only
//! on some models; the model string on `rxblemodel` (0x6014); an authentication
//! characteristic `rx` (0x8001) on some models. No battery.
//!
//! * Identify: read `rxblemodel` (500 ms at most); the identifier is the text with every NUL
//!   removed (`MP2_JK_N_P1`). A failed or missing read gives `Unknown` (what the reference
//!   engine keys such devices by); text that is not UTF-8 is an error.
//! * Init, only if `rx` exists: read it (at least 16 bytes); byte 0 picks one of four 15-byte
//!   keys ([`AUTH_KEYS`]); bytes 1..=15 XOR the key are written back to `rx` with response.
//! * Encoding: one packet with every output's level (0..=100) in feature-index order, whenever
//!   any changed, to the first endpoint the device has of:
//!
//! | endpoint | packet | write |
//! |---|---|---|
//! | `txvibrate` | `S0 S1 ..` | w/o |
//! | `tx` | `S0 S1 ..`; an all-zero packet goes to `txmode` instead | w/o; to `txmode` w/r |
//! | `generic0` (Tracy's Dog 3-motor) | `03 S0 S1 S2` | w/o |
//!
//! Reference database shapes: one vibrate (default), vibrate 0 + vibrate 1, oscillate 0 +
//! vibrate 1 (MonsterPub Pop), and three vibrators (Tracy's Dog Craybit Pro).

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, lookup, motor_slots, value_of, Advertisement, ChangeSet, DeviceHandler, OutputLevel, Protocol,
    ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long identify waits for the model read.
pub const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// How long init waits for the authentication read.
pub const AUTH_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// The identifier when the model cannot be read.
pub const UNKNOWN_MODEL: &str = "Unknown";
/// The highest level of every output.
pub const MAX_LEVEL: u8 = 100;

/// The authentication keys, by the first byte of the `rx` read ("2IPO", "LSBB", "SIS6" and
/// "TALK" repeated to 15 bytes).
pub const AUTH_KEYS: [[u8; 15]; 4] =
    [*b"2IPO2IPO2IPO2IP", *b"LSBBLSBBLSBBLSB", *b"SIS6SIS6SIS6SIS", *b"TALKTALKTALKTAL"];

/// The MonsterPub protocol family (`monsterpub`).
#[derive(Debug, Clone, Copy, Default)]
pub struct MonsterPub;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MONSTERPUB];

pub static MONSTERPUB: MonsterPub = MonsterPub;

/// The identifier in a model read: the text without NULs. Not UTF-8: an error.
pub fn identifier_from_model(bytes: &[u8]) -> Result<String, ProtocolError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| ProtocolError::BadReply("monsterpub model name is not UTF-8".into()))?;
    Ok(text.replace('\0', ""))
}

/// The answer to an authentication read: bytes 1..=15 XOR the key picked by byte 0.
pub fn auth_answer(challenge: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let (&key_index, rest) =
        challenge.split_first().ok_or_else(|| ProtocolError::BadReply("empty monsterpub auth read".into()))?;
    let payload = rest.get(..15).ok_or_else(|| {
        ProtocolError::BadReply(format!("monsterpub auth read of {} bytes, need 16", challenge.len()))
    })?;
    let key = AUTH_KEYS
        .get(key_index as usize)
        .ok_or_else(|| ProtocolError::BadReply(format!("monsterpub auth key index {key_index}")))?;
    Ok(payload.iter().zip(key).map(|(byte, k)| byte ^ k).collect())
}

impl Protocol for MonsterPub {
    fn name(&self) -> &'static str {
        "monsterpub"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            if !hw.has_endpoint(Endpoint::RxBleModel) {
                return Ok(Some(UNKNOWN_MODEL.to_owned()));
            }
            match tokio::time::timeout(MODEL_READ_TIMEOUT, hw.read(Endpoint::RxBleModel)).await {
                Ok(Ok(bytes)) => identifier_from_model(&bytes).map(Some),
                Ok(Err(error)) => {
                    tracing::debug!(%error, "monsterpub: model read failed");
                    Ok(Some(UNKNOWN_MODEL.to_owned()))
                }
                Err(_elapsed) => {
                    tracing::debug!("monsterpub: model read timed out");
                    Ok(Some(UNKNOWN_MODEL.to_owned()))
                }
            }
        })
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let target = if hw.has_endpoint(Endpoint::TxVibrate) {
                Target::TxVibrate
            } else if hw.has_endpoint(Endpoint::Tx) {
                Target::Tx
            } else {
                Target::Generic0
            };
            let handler = MonsterPubHandler::new(features, target)?;
            if hw.has_endpoint(Endpoint::Rx) {
                let challenge = tokio::time::timeout(AUTH_READ_TIMEOUT, hw.read(Endpoint::Rx))
                    .await
                    .map_err(|_| ProtocolError::Timeout("monsterpub auth read"))??;
                let answer = auth_answer(&challenge)?;
                hw.write(Write::with_response(Endpoint::Rx, answer)).await?;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// Where a MonsterPub takes its motor packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `txvibrate`.
    TxVibrate,
    /// `tx`, with stops to `txmode`.
    Tx,
    /// `generic0`, with an `03` prefix.
    Generic0,
}

/// The encoder of one MonsterPub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonsterPubHandler {
    target: Target,
    motors: Vec<(u32, OutputType)>,
}

impl MonsterPubHandler {
    /// Every non-position output, ordered by feature index.
    pub fn new(features: &[Feature], target: Target) -> Result<MonsterPubHandler, ProtocolError> {
        let mut motors = motor_slots(features);
        if motors.is_empty() {
            return Err(ProtocolError::Definition("monsterpub device with no outputs".into()));
        }
        motors.sort_by_key(|slot| slot.0);
        Ok(MonsterPubHandler { target, motors })
    }

    pub fn target(&self) -> Target {
        self.target
    }
}

impl DeviceHandler for MonsterPubHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.motors.iter().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let speeds: Vec<u8> = self.motors.iter().map(|&slot| clamp_byte(value_of(levels, slot), MAX_LEVEL)).collect();
        let write = match self.target {
            Target::TxVibrate => Write::without_response(Endpoint::TxVibrate, speeds),
            Target::Tx if speeds.iter().all(|&s| s == 0) => Write::with_response(Endpoint::TxMode, speeds),
            Target::Tx => Write::without_response(Endpoint::Tx, speeds),
            Target::Generic0 => {
                let mut data = vec![0x03];
                data.extend(speeds);
                Write::without_response(Endpoint::Generic(0), data)
            }
        };
        vec![write]
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn sim(outputs: &[(OutputType, i32, i32)], target: Target) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(MonsterPubHandler::new(&features, target).unwrap()), &features)
    }

    fn wo(endpoint: Endpoint, data: &[u8]) -> Write {
        Write { endpoint, data: data.to_vec(), with_response: false }
    }

    fn wr(endpoint: Endpoint, data: &[u8]) -> Write {
        Write { endpoint, data: data.to_vec(), with_response: true }
    }

    #[test]
    fn txvibrate_whole_state() {
        let mut toy = sim(&[(Vibrate, 0, 100), (Vibrate, 0, 100)], Target::TxVibrate);
        assert_eq!(toy.set(1, Vibrate, 40), [wo(Endpoint::TxVibrate, &[0x00, 0x28])]);
        assert_eq!(toy.set(0, Vibrate, 100), [wo(Endpoint::TxVibrate, &[0x64, 0x28])]);
        assert_eq!(toy.stop(), [wo(Endpoint::TxVibrate, &[0x00, 0x00])], "stops stay on txvibrate");
        assert_eq!(toy.stop(), []);
        assert_eq!(toy.set(0, Vibrate, 200), [wo(Endpoint::TxVibrate, &[0x64, 0x00])], "clamped to 100");
    }

    #[test]
    fn tx_with_stops_on_txmode() {
        let mut toy = sim(&[(Vibrate, 0, 100)], Target::Tx);
        assert_eq!(toy.set(0, Vibrate, 55), [wo(Endpoint::Tx, &[0x37])]);
        assert_eq!(toy.stop(), [wr(Endpoint::TxMode, &[0x00])]);
        assert_eq!(toy.all(), [wr(Endpoint::TxMode, &[0x00])]);

        // MonsterPub Pop: oscillate 0 + vibrate 1; a packet with any motor on goes to tx.
        let mut pop = sim(&[(Oscillate, 0, 100), (Vibrate, 0, 100)], Target::Tx);
        assert_eq!(pop.set(0, Oscillate, 20), [wo(Endpoint::Tx, &[0x14, 0x00])]);
        assert_eq!(pop.set(1, Vibrate, 30), [wo(Endpoint::Tx, &[0x14, 0x1e])]);
        assert_eq!(pop.set(0, Oscillate, 0), [wo(Endpoint::Tx, &[0x00, 0x1e])]);
        assert_eq!(pop.set(1, Vibrate, 0), [wr(Endpoint::TxMode, &[0x00, 0x00])]);
    }

    #[test]
    fn generic0_three_vibrators() {
        // Tracy's Dog Craybit Pro.
        let mut toy = sim(&[(Vibrate, 0, 100), (Vibrate, 0, 100), (Vibrate, 0, 100)], Target::Generic0);
        assert_eq!(toy.set(2, Vibrate, 9), [wo(Endpoint::Generic(0), &[0x03, 0x00, 0x00, 0x09])]);
        assert_eq!(
            toy.flush(&[(0, Vibrate, 1), (1, Vibrate, 2)]),
            [wo(Endpoint::Generic(0), &[0x03, 0x01, 0x02, 0x09])]
        );
        assert_eq!(toy.stop(), [wo(Endpoint::Generic(0), &[0x03, 0x00, 0x00, 0x00])]);
    }

    #[test]
    fn motors_in_feature_index_order() {
        let reversed = vec![feature(1, &[(Vibrate, 0, 100)]), feature(0, &[(Oscillate, 0, 100)])];
        let mut toy = Sim::new(Box::new(MonsterPubHandler::new(&reversed, Target::TxVibrate).unwrap()), &reversed);
        assert_eq!(toy.set(0, Oscillate, 5), [wo(Endpoint::TxVibrate, &[0x05, 0x00])]);
        assert!(MonsterPubHandler::new(&[], Target::Tx).is_err());
    }

    #[test]
    fn auth_answers() {
        let mut challenge = vec![0x00];
        challenge.extend_from_slice(b"2IPO2IPO2IPO2IP");
        assert_eq!(auth_answer(&challenge).unwrap(), vec![0; 15]);
        let challenge =
            [0x03, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f];
        assert_eq!(
            auth_answer(&challenge).unwrap(),
            vec![0x55, 0x43, 0x4f, 0x4f, 0x51, 0x47, 0x4b, 0x43, 0x5d, 0x4b, 0x47, 0x47, 0x59, 0x4f, 0x43]
        );
        // Extra bytes after the 16th are ignored.
        let mut long = challenge.to_vec();
        long.push(0xee);
        assert_eq!(auth_answer(&long).unwrap().len(), 15);
        assert!(matches!(auth_answer(&[]), Err(ProtocolError::BadReply(_))));
        assert!(matches!(auth_answer(&challenge[..15]), Err(ProtocolError::BadReply(_))));
        let mut bad_key = challenge;
        bad_key[0] = 4;
        assert!(matches!(auth_answer(&bad_key), Err(ProtocolError::BadReply(_))));
    }

    #[tokio::test]
    async fn identify_reads_the_model() {
        let hw = FakeHardware::with_endpoints("MonsterPub", "aa", &[Endpoint::TxVibrate, Endpoint::RxBleModel]);
        hw.set_read(Endpoint::RxBleModel, b"MP2_JK_N_P1\0\0\0\0\0");
        let id = MONSTERPUB.identify(&hw, &Advertisement::named("MonsterPub")).await.unwrap();
        assert_eq!(id.as_deref(), Some("MP2_JK_N_P1"));
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::RxBleModel)]);

        // Every NUL goes, not just trailing ones; nothing else is trimmed.
        hw.set_read(Endpoint::RxBleModel, b"TDG_\0CRAYBIT_PT\0");
        let id = MONSTERPUB.identify(&hw, &Advertisement::named("TracyDog")).await.unwrap();
        assert_eq!(id.as_deref(), Some("TDG_CRAYBIT_PT"));

        hw.set_read(Endpoint::RxBleModel, &[0xff, 0xfe]);
        assert!(matches!(
            MONSTERPUB.identify(&hw, &Advertisement::named("MonsterPub")).await,
            Err(ProtocolError::BadReply(_))
        ));

        // A failed read (nothing scripted) or no model characteristic: "Unknown".
        let unreadable = FakeHardware::with_endpoints("MonsterPub", "aa", &[Endpoint::Tx, Endpoint::RxBleModel]);
        let id = MONSTERPUB.identify(&unreadable, &Advertisement::named("MonsterPub")).await.unwrap();
        assert_eq!(id.as_deref(), Some(UNKNOWN_MODEL));
        let bare = FakeHardware::with_endpoints("MonsterPub", "aa", &[Endpoint::Tx]);
        let id = MONSTERPUB.identify(&bare, &Advertisement::named("MonsterPub")).await.unwrap();
        assert_eq!(id.as_deref(), Some(UNKNOWN_MODEL));
        assert!(bare.events().is_empty());
    }

    #[tokio::test]
    async fn init_authenticates_when_rx_exists() {
        assert_eq!(MONSTERPUB.name(), "monsterpub");
        let hw = FakeHardware::with_endpoints(
            "MonsterPub",
            "aa",
            &[Endpoint::Tx, Endpoint::TxMode, Endpoint::TxVibrate, Endpoint::Rx, Endpoint::RxBleModel],
        );
        let challenge =
            [0x01, 0x4c, 0x53, 0x42, 0x42, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x4c, 0x53, 0x42];
        hw.set_read(Endpoint::Rx, &challenge);
        let f = features(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let handler = MONSTERPUB.initialize(&hw, Some("MP2_JK_N_P1"), &f).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Read(Endpoint::Rx),
                Event::Write(wr(
                    Endpoint::Rx,
                    &[0x00, 0x00, 0x00, 0x00, 0x4c, 0x53, 0x42, 0x42, 0xb3, 0xac, 0xbd, 0xbd, 0x00, 0x00, 0x00]
                )),
            ]
        );
        assert_eq!(handler.keepalive(), Keepalive::None);
        assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::Unsupported(_))));
        // txvibrate wins over tx.
        let mut levels = OutputLevel::for_features(&f);
        levels[0].value = 1;
        assert_eq!(handler.encode(&levels, ChangeSet::ALL), [wo(Endpoint::TxVibrate, &[0x01, 0x00])]);

        // A short challenge fails the init without writing anything.
        let short = FakeHardware::with_endpoints("MonsterPub", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        short.set_read(Endpoint::Rx, &[0x00]);
        assert!(matches!(MONSTERPUB.initialize(&short, None, &f).await, Err(ProtocolError::BadReply(_))));
        assert!(short.writes().is_empty());
    }

    #[tokio::test]
    async fn init_picks_the_endpoint() {
        let f = features(&[(Vibrate, 0, 100)]);
        let mut levels = OutputLevel::for_features(&f);
        levels[0].value = 50;

        // No rx: no authentication; tx (stops to txmode).
        let hw = FakeHardware::with_endpoints("MonsterPub", "aa", &[Endpoint::Tx, Endpoint::TxMode]);
        let handler = MONSTERPUB.initialize(&hw, Some("Unknown"), &f).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.encode(&levels, ChangeSet::ALL), [wo(Endpoint::Tx, &[0x32])]);

        // Neither txvibrate nor tx: generic0.
        let hw = FakeHardware::with_endpoints("TracyDog", "aa", &[Endpoint::Generic(0)]);
        let handler = MONSTERPUB.initialize(&hw, Some("TDG_CRAYBIT_PT"), &f).await.unwrap();
        assert_eq!(handler.encode(&levels, ChangeSet::ALL), [wo(Endpoint::Generic(0), &[0x03, 0x32])]);
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
        // Every endpoint of the database entry: `txvibrate` wins, after the authentication on
        // `rx` (challenge key 0: the answer is bytes 1..=15 XOR "2IPO..." and written back).
        Vector::new(&MONSTERPUB, Some("MP2_JK_N_P1"), &[
            Set(&[(1, Vibrate, 40)], &[write_to(Endpoint::TxVibrate, false, &[0x00, 0x28])]),
            Set(&[(0, Vibrate, 100)], &[write_to(Endpoint::TxVibrate, false, &[0x64, 0x28])]),
            Stop(&[write_to(Endpoint::TxVibrate, false, &[0x00, 0x00])]),
        ])
        .answering(|device| device.set_read(Endpoint::Rx, b"\x002IPO2IPO2IPO2IP")),
        // A device with `tx`: motor packets there, an all-zero packet to `txmode` with response.
        Vector::new(&MONSTERPUB, Some("MP_SUCKBANG_P5"), &[
            Set(&[(0, Oscillate, 20)], &[write_to(Endpoint::Tx, false, &[0x14, 0x00])]),
            Set(&[(1, Vibrate, 30)], &[write_to(Endpoint::Tx, false, &[0x14, 0x1e])]),
            Stop(&[write_to(Endpoint::TxMode, true, &[0x00, 0x00])]),
        ])
        .endpoints(&[Endpoint::Tx, Endpoint::TxMode, Endpoint::RxBleModel]),
        Vector::new(&MONSTERPUB, Some("MP_MXY_N_P1"), &[
            Set(&[(0, Vibrate, 55)], &[write_to(Endpoint::Tx, false, &[0x37])]),
            Stop(&[write_to(Endpoint::TxMode, true, &[0x00])]),
        ])
        .endpoints(&[Endpoint::Tx, Endpoint::TxMode, Endpoint::RxBleModel]),
        // Tracy's Dog Craybit Pro: `03` and every motor on `generic0`.
        Vector::new(&MONSTERPUB, Some("TDG_CRAYBIT_PT"), &[
            Set(&[(2, Vibrate, 9)], &[write_to(Endpoint::Generic(0), false, &[0x03, 0x00, 0x00, 0x09])]),
            Set(&[(0, Vibrate, 1), (1, Vibrate, 2)], &[write_to(Endpoint::Generic(0), false, &[0x03, 0x01, 0x02, 0x09])]),
            Stop(&[write_to(Endpoint::Generic(0), false, &[0x03, 0x00, 0x00, 0x00])]),
        ])
        .endpoints(&[Endpoint::Generic(0), Endpoint::RxBleModel]),
    ];
}
