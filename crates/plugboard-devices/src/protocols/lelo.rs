//! Lelo.
//!
//! | protocol | GATT (svc 0xFFF0) | init | packet | write |
//! |---|---|---|---|---|
//! | `lelo-harmony` | `tx` 0xFFF2, `command` 0xFFF1, `whitelist` 0x0A11 | authentication on `whitelist` | per output: `0a 12 (feature index + 1) 08 00 00 00 00 S 00` | w/o |
//! | `lelo-f1s` | `tx` 0xFFF1, `rx` 0x0AA4 | subscribe to `rx` | both motors: `01 S0 S1` | w/o |
//! | `lelo-f1sv2` | `tx` 0xFFF1, `txvibrate` 0xFFF2, `rx` 0x0A04, `whitelist` 0x0A10, `generic0` 0x0A11 | authentication on `whitelist`; on `generic0` when the device has no `whitelist` | `01 S0 S1` (w/r); Harmony packets after `generic0` authentication | w/r (Harmony packets w/o) |
//!
//! Values are clamped to 0..=100. Harmony packets go out for vibrate and rotate outputs (the
//! database's Lelo rotations are 0..=100 speeds without a direction; a negative value is taken
//! by magnitude). `S0`/`S1` are the vibrate outputs on features 0 and 1 (0 for a missing one);
//! the packet always carries both and is resent whole when either changes.
//!
//! The F1s needs its power button pressed after connecting before it obeys; the subscription to
//! `rx` (where the button reports) makes that press less likely to switch it off. Nothing else
//! is done with `rx`.
//!
//! # Authentication (Harmony, F1s V2)
//!
//! Subscribe to the security characteristic and wait for notifications:
//!
//! * all zero bytes: not authorised yet. The user has to press the device's power button; the
//!   device then sends a token. Keep waiting.
//! * `01 00 00 00 00 00 00 00`: authorised, done (stay subscribed).
//! * anything else is a token: unsubscribe (the device does not accept it while subscribed),
//!   write the same bytes back to the characteristic with response, subscribe again and keep
//!   waiting for the verdict.
//!
//! For `lelo-harmony` "authorised" is any notification whose first byte is `01` and the rest
//! zero, and "not authorised" any all-zero notification; for `lelo-f1sv2` both must be exactly
//! the 8-byte forms (anything else is a token). This mirrors the two reference handshakes.
//!
//! The reference waits without limit for the button press. Here the whole handshake has a
//! deadline, [`AUTH_TIMEOUT`], from the first subscribe (tokens do not extend it); after it,
//! initialize fails with [`ProtocolError::Timeout`] and the connect pipeline drops the device.
//! A disconnect during the wait fails at once.
//!
//! The reference sends the Harmony packets of an F1s V2 authenticated on `generic0` to `tx`
//! (0xFFF1 in this protocol's map, where a Harmony-protocol device has its `command`), not to
//! 0xFFF2; this module does the same.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{
    clamp_byte, lookup, motor_slots, next_data, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol,
    ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long the authentication handshake may take (the user has to press the power button).
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(60);
/// The highest motor value.
pub const MAX_VALUE: u8 = 100;
/// The "authorised" notification.
pub const AUTHORISED: [u8; 8] = [1, 0, 0, 0, 0, 0, 0, 0];
/// The "not authorised (press the button)" notification.
pub const NOT_AUTHORISED: [u8; 8] = [0; 8];

/// Which Lelo protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `lelo-harmony`
    Harmony,
    /// `lelo-f1s`
    F1s,
    /// `lelo-f1sv2`
    F1sV2,
}

impl Variant {
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Harmony => "lelo-harmony",
            Variant::F1s => "lelo-f1s",
            Variant::F1sV2 => "lelo-f1sv2",
        }
    }
}

/// A Lelo protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct Lelo {
    variant: Variant,
}

impl Lelo {
    pub const fn new(variant: Variant) -> Lelo {
        Lelo { variant }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LELO_HARMONY, &LELO_F1S, &LELO_F1SV2];

pub static LELO_HARMONY: Lelo = Lelo::new(Variant::Harmony);
pub static LELO_F1S: Lelo = Lelo::new(Variant::F1s);
pub static LELO_F1SV2: Lelo = Lelo::new(Variant::F1sV2);

/// What a security notification means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthReply {
    /// Waiting for the power button.
    NotAuthorised,
    Authorised,
    /// A token to write back.
    Token(Vec<u8>),
}

/// How strictly notifications are recognised (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `lelo-harmony`: all-zero of any length / `01` followed by zeros.
    Harmony,
    /// `lelo-f1sv2`: exactly [`NOT_AUTHORISED`] / [`AUTHORISED`].
    F1sV2,
}

/// Classifies one security notification.
pub fn classify(style: AuthStyle, bytes: &[u8]) -> AuthReply {
    match style {
        AuthStyle::Harmony if bytes.iter().all(|&b| b == 0) => AuthReply::NotAuthorised,
        AuthStyle::Harmony if bytes[0] == 1 && bytes[1..].iter().all(|&b| b == 0) => AuthReply::Authorised,
        AuthStyle::F1sV2 if bytes == NOT_AUTHORISED => AuthReply::NotAuthorised,
        AuthStyle::F1sV2 if bytes == AUTHORISED => AuthReply::Authorised,
        _ => AuthReply::Token(bytes.to_vec()),
    }
}

/// Runs the handshake on `endpoint` until the device says it is authorised, or fails after
/// [`AUTH_TIMEOUT`].
pub async fn authenticate(hw: &dyn Hardware, endpoint: Endpoint, style: AuthStyle) -> Result<(), ProtocolError> {
    let deadline = Instant::now() + AUTH_TIMEOUT;
    // Take the receiver before subscribing so nothing the device sends is missed.
    let mut notifications = hw.notifications();
    hw.subscribe(endpoint).await?;
    let mut prompted = false;
    loop {
        let Some(bytes) = next_data(&mut notifications, endpoint, deadline).await? else {
            return Err(ProtocolError::Timeout("the Lelo authentication (press the power button)"));
        };
        match classify(style, &bytes) {
            AuthReply::NotAuthorised => {
                if !prompted {
                    tracing::info!(name = hw.name(), "Lelo is not authorised yet: press its power button to connect");
                    prompted = true;
                }
            }
            AuthReply::Authorised => {
                tracing::debug!(name = hw.name(), "Lelo authorised");
                return Ok(());
            }
            AuthReply::Token(token) => {
                tracing::debug!(name = hw.name(), "Lelo sent a token, writing it back");
                hw.unsubscribe(endpoint).await?;
                hw.write(Write::with_response(endpoint, token)).await?;
                hw.subscribe(endpoint).await?;
            }
        }
    }
}

impl Protocol for Lelo {
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
            // The definition is checked before anyone is asked to press a button.
            let handler = match self.variant {
                Variant::Harmony => {
                    let handler = LeloHandler::new(Encoding::Harmony, features)?;
                    authenticate(hw, Endpoint::Whitelist, AuthStyle::Harmony).await?;
                    handler
                }
                Variant::F1s => {
                    let handler = LeloHandler::new(Encoding::F1s { with_response: false }, features)?;
                    hw.subscribe(Endpoint::Rx).await?;
                    handler
                }
                Variant::F1sV2 => {
                    let (security, encoding) = if hw.has_endpoint(Endpoint::Whitelist) {
                        (Endpoint::Whitelist, Encoding::F1s { with_response: true })
                    } else {
                        (Endpoint::Generic(0), Encoding::Harmony)
                    };
                    let handler = LeloHandler::new(encoding, features)?;
                    authenticate(hw, security, AuthStyle::F1sV2).await?;
                    handler
                }
            };
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The packet layout of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// One `0a 12 ...` packet per output, w/o.
    Harmony,
    /// `01 S0 S1` for both motors.
    F1s { with_response: bool },
}

/// The encoder of one Lelo device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeloHandler {
    encoding: Encoding,
    slots: Vec<(u32, OutputType)>,
}

impl LeloHandler {
    /// Harmony: vibrate and rotate outputs on features 0..=254. F1s: vibrate outputs on
    /// features 0 and 1.
    pub fn new(encoding: Encoding, features: &[Feature]) -> Result<LeloHandler, ProtocolError> {
        let slots = motor_slots(features);
        for &(index, kind) in &slots {
            let fits = match encoding {
                Encoding::Harmony => matches!(kind, OutputType::Vibrate | OutputType::Rotate) && index < 255,
                Encoding::F1s { .. } => kind == OutputType::Vibrate && index < 2,
            };
            if !fits {
                return Err(ProtocolError::Definition(format!(
                    "lelo ({encoding:?}) has no command for {kind:?} on feature {index}"
                )));
            }
        }
        if slots.is_empty() {
            return Err(ProtocolError::Definition("lelo device with no outputs".into()));
        }
        Ok(LeloHandler { encoding, slots })
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
}

/// The Harmony packet for the output on `feature_index`.
pub fn harmony_packet(feature_index: u32, value: i32) -> [u8; 10] {
    let s = clamp_byte(value.saturating_abs(), MAX_VALUE);
    [0x0a, 0x12, feature_index as u8 + 1, 0x08, 0x00, 0x00, 0x00, 0x00, s, 0x00]
}

impl DeviceHandler for LeloHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        match self.encoding {
            Encoding::Harmony => self
                .slots
                .iter()
                .filter_map(|&slot| match lookup(levels, changed, slot) {
                    (Some(level), true) => {
                        Some(Write::without_response(Endpoint::Tx, harmony_packet(slot.0, level.value).to_vec()))
                    }
                    _ => None,
                })
                .collect(),
            Encoding::F1s { with_response } => {
                if !self.slots.iter().any(|&slot| lookup(levels, changed, slot).1) {
                    return Vec::new();
                }
                let motor = |index: u32| clamp_byte(value_of(levels, (index, OutputType::Vibrate)), MAX_VALUE);
                let data = vec![0x01, motor(0), motor(1)];
                vec![Write { endpoint: Endpoint::Tx, data, with_response }]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, bytes_with_response, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::hardware::HardwareError;
    use crate::testing::{Event, FakeHardware};

    fn sim(encoding: Encoding, outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(LeloHandler::new(encoding, &features).unwrap()), &features)
    }

    fn harmony(feature: u8, s: u8) -> Vec<u8> {
        vec![0x0a, 0x12, feature, 0x08, 0x00, 0x00, 0x00, 0x00, s, 0x00]
    }

    #[test]
    fn harmony_two_vibrators() {
        // Defaults (Tiani Harmony, Hugo 2, F2S, Boomerang, F1s V3) and Switch.
        let mut tiani = sim(Encoding::Harmony, &[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        assert_eq!(bytes(&tiani.set(0, Vibrate, 100)), [harmony(1, 0x64)]);
        assert_eq!(bytes(&tiani.set(1, Vibrate, 33)), [harmony(2, 0x21)]);
        assert_eq!(bytes(&tiani.flush(&[(0, Vibrate, 1), (1, Vibrate, 2)])), [harmony(1, 1), harmony(2, 2)]);
        assert_eq!(bytes(&tiani.stop()), [harmony(1, 0), harmony(2, 0)]);
        assert_eq!(bytes(&tiani.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn harmony_vibrate_and_rotate() {
        // Ida Wave and Enigma Double Sonic: vibrate feature 0, rotate (0..100) feature 1.
        let mut ida = sim(Encoding::Harmony, &[(Vibrate, 0, 100), (Rotate, 0, 100)]);
        assert_eq!(bytes(&ida.set(1, Rotate, 70)), [harmony(2, 0x46)]);
        assert_eq!(bytes(&ida.set(1, Rotate, -20)), [harmony(2, 0x14)], "magnitude");
        assert_eq!(bytes(&ida.set(0, Vibrate, 250)), [harmony(1, 0x64)], "clamped");
        assert_eq!(bytes(&ida.stop()), [harmony(1, 0), harmony(2, 0)]);
    }

    #[test]
    fn harmony_single_vibrator() {
        // Tor 3, Gigi 3, Liv 3, Sona 3 Cruise, Tiani Twist, Surfer 2.
        let mut tor = sim(Encoding::Harmony, &[(Vibrate, 0, 100)]);
        assert_eq!(bytes(&tor.set(0, Vibrate, 5)), [harmony(1, 5)]);
        assert_eq!(bytes(&tor.stop()), [harmony(1, 0)]);
    }

    #[test]
    fn f1s_whole_state() {
        let mut f1s = sim(Encoding::F1s { with_response: false }, &[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        assert_eq!(bytes(&f1s.all()), [[0x01, 0x00, 0x00]]);
        assert_eq!(bytes(&f1s.set(0, Vibrate, 40)), [[0x01, 0x28, 0x00]]);
        assert_eq!(bytes(&f1s.set(1, Vibrate, 100)), [[0x01, 0x28, 0x64]]);
        assert_eq!(bytes(&f1s.set(0, Vibrate, 0)), [[0x01, 0x00, 0x64]]);
        assert_eq!(bytes(&f1s.flush(&[(0, Vibrate, 7), (1, Vibrate, 300)])), [[0x01, 0x07, 0x64]]);
        assert_eq!(bytes(&f1s.stop()), [[0x01, 0x00, 0x00]]);
        assert_eq!(bytes(&f1s.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn f1sv2_whole_state_with_response() {
        let mut f1s = sim(Encoding::F1s { with_response: true }, &[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        assert_eq!(bytes_with_response(&f1s.set(1, Vibrate, 9)), [[0x01, 0x00, 0x09]]);
        assert_eq!(bytes_with_response(&f1s.stop()), [[0x01, 0x00, 0x00]]);

        let mut one = sim(Encoding::F1s { with_response: true }, &[(Vibrate, 0, 100)]);
        assert_eq!(bytes_with_response(&one.set(0, Vibrate, 9)), [[0x01, 0x09, 0x00]]);
    }

    #[test]
    fn definitions() {
        for encoding in [Encoding::Harmony, Encoding::F1s { with_response: false }] {
            assert!(LeloHandler::new(encoding, &[]).is_err());
            assert!(LeloHandler::new(encoding, &features(&[(Oscillate, 0, 100)])).is_err());
        }
        let f1s = Encoding::F1s { with_response: true };
        assert!(LeloHandler::new(f1s, &features(&[(Vibrate, 0, 100); 3])).is_err(), "F1s has two motors");
        assert!(LeloHandler::new(f1s, &features(&[(Vibrate, 0, 100), (Rotate, 0, 100)])).is_err());
        assert!(LeloHandler::new(Encoding::Harmony, &features(&[(Vibrate, 0, 100); 3])).is_ok());
    }

    #[test]
    fn classify_replies() {
        use AuthReply::*;
        for style in [AuthStyle::Harmony, AuthStyle::F1sV2] {
            assert_eq!(classify(style, &[0; 8]), NotAuthorised);
            assert_eq!(classify(style, &[1, 0, 0, 0, 0, 0, 0, 0]), Authorised);
            assert_eq!(
                classify(style, &[0x12, 0x34, 0, 0, 0, 0, 0, 0x99]),
                Token(vec![0x12, 0x34, 0, 0, 0, 0, 0, 0x99])
            );
            assert_eq!(classify(style, &[1, 0, 0, 0, 0, 0, 0, 1]), Token(vec![1, 0, 0, 0, 0, 0, 0, 1]));
        }
        assert_eq!(classify(AuthStyle::Harmony, &[]), NotAuthorised);
        assert_eq!(classify(AuthStyle::Harmony, &[0, 0]), NotAuthorised);
        assert_eq!(classify(AuthStyle::Harmony, &[1, 0, 0]), Authorised);
        assert_eq!(classify(AuthStyle::F1sV2, &[0, 0]), Token(vec![0, 0]));
        assert_eq!(classify(AuthStyle::F1sV2, &[1, 0, 0]), Token(vec![1, 0, 0]));
        assert_eq!(classify(AuthStyle::F1sV2, &[]), Token(vec![]));
    }

    const TOKEN: [u8; 8] = [0x5a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
    const STEP: Duration = Duration::from_millis(100);

    fn harmony_hw() -> FakeHardware {
        FakeHardware::with_endpoints("Ida Wave", "aa", &[Endpoint::Tx, Endpoint::Command, Endpoint::Whitelist])
    }

    /// Plays the device's side of a handshake on `endpoint`: each notification after a short
    /// pause, asserting it was delivered (the protocol was subscribed at that moment).
    async fn device_says(hw: &FakeHardware, endpoint: Endpoint, notifications: &[&[u8]]) {
        for bytes in notifications {
            tokio::time::sleep(STEP).await;
            assert!(hw.notify(endpoint, bytes), "not subscribed when the device sent {bytes:02x?}");
        }
    }

    fn handshake_events(endpoint: Endpoint) -> Vec<Event> {
        vec![
            Event::Subscribe(endpoint),
            Event::Unsubscribe(endpoint),
            Event::Write(Write::with_response(endpoint, TOKEN.to_vec())),
            Event::Subscribe(endpoint),
        ]
    }

    #[tokio::test(start_paused = true)]
    async fn harmony_handshake_after_button_press() {
        let hw = harmony_hw();
        let features = features(&[(Vibrate, 0, 100), (Rotate, 0, 100)]);
        let start = Instant::now();
        let (handler, ()) = tokio::join!(
            LELO_HARMONY.initialize(&hw, Some("Ida Wave"), &features),
            // Not authorised (twice, while the user finds the button), the token, then authorised.
            device_says(&hw, Endpoint::Whitelist, &[&[0; 8], &[0; 8], &TOKEN, &AUTHORISED]),
        );
        let handler = handler.unwrap();
        assert_eq!(start.elapsed(), STEP * 4);
        assert_eq!(hw.events(), handshake_events(Endpoint::Whitelist));
        assert_eq!(handler.keepalive(), Keepalive::None);
        let mut ida = Sim::new(handler, &features);
        assert_eq!(bytes(&ida.set(0, Vibrate, 50)), [harmony(1, 0x32)]);
    }

    #[tokio::test(start_paused = true)]
    async fn harmony_already_authorised() {
        let hw = harmony_hw();
        let features = features(&[(Vibrate, 0, 100)]);
        let (handler, ()) = tokio::join!(
            LELO_HARMONY.initialize(&hw, Some("TOR3"), &features),
            device_says(&hw, Endpoint::Whitelist, &[&[1, 0, 0, 0, 0, 0, 0, 0]]),
        );
        assert!(handler.is_ok());
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Whitelist)]);
    }

    #[tokio::test(start_paused = true)]
    async fn harmony_times_out_without_a_button_press() {
        let hw = harmony_hw();
        let features = features(&[(Vibrate, 0, 100)]);
        let start = Instant::now();
        let (result, ()) = tokio::join!(
            LELO_HARMONY.initialize(&hw, Some("TOR3"), &features),
            // Prompts keep coming but do not extend the deadline.
            device_says(&hw, Endpoint::Whitelist, &[&[0; 8], &[0; 8], &[0; 8]]),
        );
        assert!(matches!(result, Err(ProtocolError::Timeout(_))), "{:?}", result.err());
        assert_eq!(start.elapsed(), AUTH_TIMEOUT);
        assert_eq!(hw.writes(), vec![]);
    }

    #[tokio::test(start_paused = true)]
    async fn token_does_not_extend_the_deadline() {
        let hw = harmony_hw();
        let features = features(&[(Vibrate, 0, 100)]);
        let start = Instant::now();
        let (result, ()) = tokio::join!(LELO_HARMONY.initialize(&hw, Some("TOR3"), &features), async {
            tokio::time::sleep(AUTH_TIMEOUT - STEP).await;
            assert!(hw.notify(Endpoint::Whitelist, &TOKEN));
        });
        assert!(matches!(result, Err(ProtocolError::Timeout(_))), "{:?}", result.err());
        assert_eq!(start.elapsed(), AUTH_TIMEOUT);
        assert_eq!(hw.events(), handshake_events(Endpoint::Whitelist));
    }

    #[tokio::test(start_paused = true)]
    async fn disconnect_during_the_handshake_fails_at_once() {
        let hw = harmony_hw();
        let features = features(&[(Vibrate, 0, 100)]);
        let start = Instant::now();
        let (result, ()) = tokio::join!(LELO_HARMONY.initialize(&hw, Some("TOR3"), &features), async {
            tokio::time::sleep(STEP).await;
            hw.drop_connection();
        });
        assert_eq!(result.err(), Some(ProtocolError::Hardware(HardwareError::Disconnected)));
        assert_eq!(start.elapsed(), STEP);
    }

    #[tokio::test]
    async fn bad_definition_fails_before_the_handshake() {
        let hw = harmony_hw();
        let result = LELO_HARMONY.initialize(&hw, None, &features(&[(Constrict, 0, 3)])).await;
        assert!(matches!(result, Err(ProtocolError::Definition(_))));
        assert!(hw.events().is_empty());
    }

    #[tokio::test]
    async fn f1s_subscribes_to_rx() {
        let hw = FakeHardware::with_endpoints("F1s", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let features = features(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let handler = LELO_F1S.initialize(&hw, Some("F1s"), &features).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Rx)]);
        let mut f1s = Sim::new(handler, &features);
        assert_eq!(bytes(&f1s.set(1, Vibrate, 1)), [[0x01, 0x00, 0x01]]);
    }

    fn f1sv2_hw(whitelist: bool) -> FakeHardware {
        let mut endpoints = vec![Endpoint::Tx, Endpoint::TxVibrate, Endpoint::Rx, Endpoint::Generic(0)];
        if whitelist {
            endpoints.push(Endpoint::Whitelist);
        }
        FakeHardware::with_endpoints("F1SV2A", "aa", &endpoints)
    }

    #[tokio::test(start_paused = true)]
    async fn f1sv2_with_whitelist_speaks_f1s_with_response() {
        let hw = f1sv2_hw(true);
        let features = features(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let (handler, ()) = tokio::join!(
            LELO_F1SV2.initialize(&hw, Some("F1SV2A"), &features),
            device_says(&hw, Endpoint::Whitelist, &[&NOT_AUTHORISED, &TOKEN, &AUTHORISED]),
        );
        assert_eq!(hw.events(), handshake_events(Endpoint::Whitelist));
        let mut f1s = Sim::new(handler.unwrap(), &features);
        assert_eq!(bytes_with_response(&f1s.set(0, Vibrate, 100)), [[0x01, 0x64, 0x00]]);
        assert_eq!(bytes_with_response(&f1s.stop()), [[0x01, 0x00, 0x00]]);
    }

    #[tokio::test(start_paused = true)]
    async fn f1sv2_without_whitelist_authenticates_on_generic0_and_speaks_harmony() {
        let hw = f1sv2_hw(false);
        let features = features(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let (handler, ()) = tokio::join!(
            LELO_F1SV2.initialize(&hw, Some("F1SV2X"), &features),
            device_says(&hw, Endpoint::Generic(0), &[&TOKEN, &AUTHORISED]),
        );
        assert_eq!(hw.events(), handshake_events(Endpoint::Generic(0)));
        let mut toy = Sim::new(handler.unwrap(), &features);
        assert_eq!(bytes(&toy.set(1, Vibrate, 60)), [harmony(2, 0x3c)]);
    }

    #[tokio::test(start_paused = true)]
    async fn f1sv2_short_zero_notification_is_a_token() {
        // Only the exact 8-byte forms are verdicts for the F1s V2.
        let hw = f1sv2_hw(true);
        let features = features(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let (handler, ()) = tokio::join!(
            LELO_F1SV2.initialize(&hw, Some("F1SV2A"), &features),
            device_says(&hw, Endpoint::Whitelist, &[&[0, 0, 0, 0], &AUTHORISED]),
        );
        assert!(handler.is_ok());
        assert_eq!(
            hw.events(),
            vec![
                Event::Subscribe(Endpoint::Whitelist),
                Event::Unsubscribe(Endpoint::Whitelist),
                Event::Write(Write::with_response(Endpoint::Whitelist, vec![0, 0, 0, 0])),
                Event::Subscribe(Endpoint::Whitelist),
            ]
        );
    }

    #[test]
    fn names() {
        let statics: [&Lelo; 3] = [&LELO_HARMONY, &LELO_F1S, &LELO_F1SV2];
        assert_eq!(statics.map(|p| p.name()), ["lelo-harmony", "lelo-f1s", "lelo-f1sv2"]);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;
    use crate::testing::FakeHardware;

    /// The device says it is authorised as soon as anyone subscribes to its security
    /// characteristic (`whitelist`, or `generic0` on an F1s V2 without one).
    fn authorised(device: &FakeHardware) {
        device.notify_on_subscribe(Endpoint::Whitelist, &AUTHORISED);
        device.notify_on_subscribe(Endpoint::Generic(0), &AUTHORISED);
    }

    pub(crate) static VECTORS: &[Vector] = &[
        // Harmony packets: `0a 12 (feature index + 1) 08 00 00 00 00 S 00`, after the device
        // said it is authorised.
        Vector::new(&LELO_HARMONY, None, &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0x0a, 0x12, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00])]),
            Set(&[(1, Vibrate, 33)], &[tx(&[0x0a, 0x12, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00])]),
            Stop(&[
                tx(&[0x0a, 0x12, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x0a, 0x12, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]),
        ])
        .answering(authorised),
        Vector::new(&LELO_HARMONY, Some("IdaWave"), &[
            Set(&[(1, Rotate, 70)], &[tx(&[0x0a, 0x12, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x46, 0x00])]),
            Set(&[(0, Vibrate, 5)], &[tx(&[0x0a, 0x12, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00])]),
            Stop(&[
                tx(&[0x0a, 0x12, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x0a, 0x12, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]),
        ])
        .answering(authorised),
        // F1s: `01 S0 S1`, both motors each time.
        Vector::new(&LELO_F1S, None, &[
            Set(&[(0, Vibrate, 40)], &[tx(&[0x01, 0x28, 0x00])]),
            Set(&[(1, Vibrate, 100)], &[tx(&[0x01, 0x28, 0x64])]),
            Stop(&[tx(&[0x01, 0x00, 0x00])]),
        ]),
        // F1s V2 with a whitelist characteristic: F1s packets, with response.
        Vector::new(&LELO_F1SV2, Some("F1SV2A"), &[
            Set(&[(1, Vibrate, 9)], &[tx_with_response(&[0x01, 0x00, 0x09])]),
            Set(&[(0, Vibrate, 100)], &[tx_with_response(&[0x01, 0x64, 0x09])]),
            Stop(&[tx_with_response(&[0x01, 0x00, 0x00])]),
        ])
        .answering(authorised),
        // Without one it authenticates on generic0 and speaks Harmony.
        Vector::new(&LELO_F1SV2, None, &[
            Set(&[(1, Vibrate, 60)], &[tx(&[0x0a, 0x12, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00])]),
            Set(&[(0, Vibrate, 1)], &[tx(&[0x0a, 0x12, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00])]),
            Stop(&[
                tx(&[0x0a, 0x12, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x0a, 0x12, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]),
        ])
        .endpoints(&[Endpoint::Tx, Endpoint::TxVibrate, Endpoint::Rx, Endpoint::Generic(0)])
        .answering(authorised),
    ];
}
