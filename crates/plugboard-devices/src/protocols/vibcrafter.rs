//! VibCrafter and Vibio: AES-encrypted ASCII commands after a challenge-response
//! authentication. One implementation, two parameter sets.
//!
//! | protocol | GATT service | `tx` (w/o) | `rx` (notify) | key (ASCII) | token | challenge |
//! |---|---|---|---|---|---|---|
//! | `vibcrafter` | `53300051-0060-…` | `53300052-…` | `53300053-…` | `jdk#Cra%f5Vib28r` | 6 letters/digits | 4 letters/digits `:` secret of letters/digits `;` |
//! | `vibio` | `53300021-0050-…` | `53300022-…` | `53300023-…` | `jdk#vib%y5fir21a` | 8 letters/digits | 4 hex digits `:` secret of anything but `;` `;` |
//!
//! Every write and every notification is one AES-128-ECB ciphertext of an ASCII text with
//! PKCS#7 padding ([`super::aes_ecb`]).
//!
//! # Authentication
//!
//! 1. Subscribe to `rx`.
//! 2. Write `Auth:<token>;` with a random token.
//! 3. Wait for the device's answer:
//!    * `OK;`: authenticated.
//!    * a challenge (the table's pattern, the whole text): write `Auth:<h>;`, where `h` is the
//!      first two bytes of SHA-256(secret) in lowercase hex, and wait again.
//!    * anything else (other text, bytes that do not decrypt, a disconnect): the connection
//!      fails.
//!
//! Worked example (VibCrafter, token `abc123`): `Auth:abc123;` is written as
//! `00 33 41 70 f0 12 4c 24 da 42 97 a8 b1 17 7c 30`; the device's challenge `Zq9x:HelloWorld1;`
//! arrives in two blocks; SHA-256(`HelloWorld1`) starts `90 b4`, so `Auth:90b4;` is written as
//! `d4 87 4e c4 39 e0 46 25 05 d6 19 43 9d 5c 36 64`; the device answers `OK;`
//! (`12 0a 6d ef a7 05 e3 6f a0 46 e6 cd f6 09 f6 7a`).
//!
//! # Outputs
//!
//! Vibrate on features 0 and 1 (0..=99; Janna, Clara and Dodson have only feature 0). Any
//! change writes the whole state, `MtInt:` + both levels as two digits each + `;`
//! (`MtInt:5099;`), a missing second motor as `00`. A stop is `MtInt:0000;`, one write.
//!
//! # Where Plugboard differs from the reference
//!
//! The reference waits for the device's answer for ever and panics on a notification that does
//! not decrypt. Here each answer is awaited for at most [`ANSWER_TIMEOUT`], at most
//! [`MAX_CHALLENGES`] challenges are answered, and anything unexpected fails the connection with
//! a [`ProtocolError::Handshake`] that tells the user what to do. Only notifications from `rx`
//! count as answers (the reference takes any endpoint's).

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::aes_ecb::{alphanumeric, os_random, sha256, Cipher, RandomSource};
use super::single_packet::Outputs;
use super::{lookup, next_data, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long the device may take to answer each step of the authentication.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// How many challenges are answered before the device is given up on.
pub const MAX_CHALLENGES: usize = 4;
/// The highest motor level.
pub const MAX_LEVEL: i32 = 99;

/// A protocol of this family: its name, key, token length and challenge pattern.
pub struct EncryptedAscii {
    name: &'static str,
    /// The brand, for messages to the user.
    brand: &'static str,
    cipher: Cipher,
    token_length: usize,
    /// The secret to hash if the text is a challenge.
    challenge: fn(&str) -> Option<&str>,
    random: RandomSource,
}

pub static VIBCRAFTER: EncryptedAscii = EncryptedAscii {
    name: "vibcrafter",
    brand: "VibCrafter",
    cipher: Cipher::new(b"jdk#Cra%f5Vib28r"),
    token_length: 6,
    challenge: vibcrafter_challenge,
    random: os_random,
};

pub static VIBIO: EncryptedAscii = EncryptedAscii {
    name: "vibio",
    brand: "Vibio",
    cipher: Cipher::new(b"jdk#vib%y5fir21a"),
    token_length: 8,
    challenge: vibio_challenge,
    random: os_random,
};

pub static PROTOCOLS: &[&dyn Protocol] = &[&VIBCRAFTER, &VIBIO];

/// `XXXX:secret;`: four letters or digits, then a secret of letters and digits.
fn vibcrafter_challenge(text: &str) -> Option<&str> {
    let (prefix, secret) = split_challenge(text)?;
    let valid = prefix.bytes().all(|b| b.is_ascii_alphanumeric()) && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then_some(secret)
}

/// `hhhh:secret;`: four hex digits, then a secret of anything but `;`.
fn vibio_challenge(text: &str) -> Option<&str> {
    let (prefix, secret) = split_challenge(text)?;
    (prefix.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.contains(';')).then_some(secret)
}

/// A four-byte prefix, `:`, a non-empty secret and a final `;`.
fn split_challenge(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_suffix(';')?;
    let (prefix, secret) = (body.get(..4)?, body.get(4..)?.strip_prefix(':')?);
    (!secret.is_empty()).then_some((prefix, secret))
}

/// The answer to a challenge: `Auth:` + the first two bytes of SHA-256(secret) in hex + `;`.
pub fn challenge_answer(secret: &str) -> String {
    let digest = sha256(&[secret.as_bytes()]);
    format!("Auth:{:02x}{:02x};", digest[0], digest[1])
}

impl EncryptedAscii {
    /// The same protocol with another random source (tests fix the token with it).
    pub const fn with_random(&'static self, random: RandomSource) -> EncryptedAscii {
        EncryptedAscii { random, ..*self }
    }

    fn write(&self, text: &str) -> Write {
        Write::without_response(Endpoint::Tx, self.cipher.encrypt(text.as_bytes()))
    }

    fn refused(&self, what: String) -> ProtocolError {
        ProtocolError::Handshake(format!(
            "the {} toy {what}; switch it off and on again, keep it close, and scan again",
            self.brand
        ))
    }

    async fn authenticate(&self, hw: &dyn Hardware) -> Result<(), ProtocolError> {
        let mut notifications = hw.notifications();
        hw.subscribe(Endpoint::Rx).await?;
        let token = alphanumeric(self.random, self.token_length);
        hw.write(self.write(&format!("Auth:{token};"))).await?;
        let mut challenges = 0;
        loop {
            let deadline = Instant::now() + ANSWER_TIMEOUT;
            let Some(bytes) = next_data(&mut notifications, Endpoint::Rx, deadline).await? else {
                return Err(self.refused(format!(
                    "did not answer its authentication within {} s",
                    ANSWER_TIMEOUT.as_secs()
                )));
            };
            let text = match self.cipher.decrypt(&bytes).map(String::from_utf8) {
                Ok(Ok(text)) => text,
                Ok(Err(_)) => return Err(self.refused("answered its authentication with text that is not ASCII".into())),
                Err(error) => return Err(self.refused(format!("answered its authentication with {error}"))),
            };
            if text == "OK;" {
                return Ok(());
            }
            let Some(secret) = (self.challenge)(&text) else {
                return Err(self.refused(format!("refused the authentication (it answered {text:?})")));
            };
            if challenges == MAX_CHALLENGES {
                return Err(self.refused(format!("asked more than {MAX_CHALLENGES} challenges")));
            }
            challenges += 1;
            hw.write(self.write(&challenge_answer(secret))).await?;
        }
    }
}

impl Protocol for EncryptedAscii {
    fn name(&self) -> &'static str {
        self.name
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let motors = Outputs::of(&[OutputType::Vibrate]).up_to_feature(1).check(self.name, features)?;
            self.authenticate(hw).await?;
            Ok(Box::new(MotorText { cipher: self.cipher, motors }) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one connected device: `MtInt:AABB;`, encrypted.
struct MotorText {
    cipher: Cipher,
    /// The vibrate outputs, (feature index, type), on features 0 and 1.
    motors: Vec<(u32, OutputType)>,
}

impl DeviceHandler for MotorText {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.motors.iter().any(|&motor| lookup(levels, changed, motor).1) {
            return Vec::new();
        }
        let level = |feature: u32| value_of(levels, (feature, OutputType::Vibrate)).clamp(0, MAX_LEVEL);
        let text = format!("MtInt:{:02}{:02};", level(0), level(1));
        vec![Write::without_response(Endpoint::Tx, self.cipher.encrypt(text.as_bytes()))]
    }
}

/// A VibCrafter or Vibio toy as it answers the authentication, for tests and simulated
/// peripherals: pure functions of the bytes written.
#[cfg(any(test, feature = "testing"))]
pub mod simulated {
    use super::*;
    use crate::testing::SimulatedDevice;

    /// Answers `Auth:<token>;` with `OK;`, or with a challenge first when it has one; answers
    /// the right `Auth:<hash>;` with `OK;` and a wrong one with silence.
    pub struct Toy {
        protocol: &'static EncryptedAscii,
        challenge: Option<&'static str>,
    }

    impl Toy {
        pub fn new(protocol: &'static EncryptedAscii) -> Toy {
            Toy { protocol, challenge: None }
        }

        /// Challenges every token with `text` (e.g. `Zq9x:HelloWorld1;`).
        pub fn challenging(self, text: &'static str) -> Toy {
            Toy { challenge: Some(text), ..self }
        }

        /// The plaintext answer to a written plaintext, if any.
        pub fn answer(&self, written: &str) -> Option<&'static str> {
            let token = written.strip_prefix("Auth:")?.strip_suffix(';')?;
            let expected = self.challenge.and_then(|text| (self.protocol.challenge)(text)).map(challenge_answer);
            if expected.as_deref() == Some(written) {
                return Some("OK;");
            }
            let is_token = token.len() == self.protocol.token_length && token.bytes().all(|b| b.is_ascii_alphanumeric());
            match (is_token, self.challenge) {
                (true, Some(challenge)) => Some(challenge),
                (true, None) => Some("OK;"),
                (false, _) => None,
            }
        }
    }

    impl SimulatedDevice for Toy {
        fn on_write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
            let cipher = self.protocol.cipher;
            let written = cipher.decrypt(data).ok().and_then(|text| String::from_utf8(text).ok());
            match written.as_deref().filter(|_| endpoint == Endpoint::Tx).and_then(|text| self.answer(text)) {
                Some(answer) => vec![(Endpoint::Rx, cipher.encrypt(answer.as_bytes()))],
                None => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::Vibrate;

    use super::simulated::Toy;
    use super::*;
    use crate::protocols::test_support::{bytes, features, hex, Sim};
    use crate::testing::{Event, FakeHardware};

    /// The tokens of the facts' worked examples: `abc123` (6) and `abcd1234` (8).
    fn abc123(buffer: &mut [u8]) {
        // Indexes into the alphabet A-Z a-z 0-9.
        const TOKEN: [u8; 6] = [26, 27, 28, 53, 54, 55];
        buffer.copy_from_slice(&TOKEN[..buffer.len()]);
    }

    fn abcd1234(buffer: &mut [u8]) {
        const TOKEN: [u8; 8] = [26, 27, 28, 29, 53, 54, 55, 56];
        buffer.copy_from_slice(&TOKEN[..buffer.len()]);
    }

    static FIXED_VIBCRAFTER: EncryptedAscii = VIBCRAFTER.with_random(abc123);
    static FIXED_VIBIO: EncryptedAscii = VIBIO.with_random(abcd1234);

    fn toy() -> FakeHardware {
        FakeHardware::new("be gentle", "aa")
    }

    fn two_motors() -> Vec<Feature> {
        features(&[(Vibrate, 0, 99), (Vibrate, 0, 99)])
    }

    #[tokio::test(start_paused = true)]
    async fn vibcrafter_answers_a_challenge_then_is_authenticated() {
        let hw = toy();
        hw.simulate(Toy::new(&VIBCRAFTER).challenging("Zq9x:HelloWorld1;"));
        FIXED_VIBCRAFTER.initialize(&hw, Some("be gentle"), &two_motors()).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Subscribe(Endpoint::Rx),
                Event::Write(Write::without_response(Endpoint::Tx, hex("00 33 41 70 f0 12 4c 24 da 42 97 a8 b1 17 7c 30"))),
                Event::Write(Write::without_response(Endpoint::Tx, hex("d4 87 4e c4 39 e0 46 25 05 d6 19 43 9d 5c 36 64"))),
            ]
        );
    }

    #[test]
    fn the_simulated_toys_speak_the_facts_bytes() {
        let cipher = VIBCRAFTER.cipher;
        let challenge = Toy::new(&VIBCRAFTER).challenging("Zq9x:HelloWorld1;");
        let written = hex("00 33 41 70 f0 12 4c 24 da 42 97 a8 b1 17 7c 30");
        let blocks = hex(
            "bf 4e cb 17 d6 a5 90 45 d6 4f 79 d1 19 f9 0b e9 b0 37 71 1a a2 4d a5 f2 ac 00 33 e6 dc a4 b7 14",
        );
        use crate::testing::SimulatedDevice;
        assert_eq!(challenge.on_write(Endpoint::Tx, &written), vec![(Endpoint::Rx, blocks)]);
        let ok = hex("12 0a 6d ef a7 05 e3 6f a0 46 e6 cd f6 09 f6 7a");
        let reply = hex("d4 87 4e c4 39 e0 46 25 05 d6 19 43 9d 5c 36 64");
        assert_eq!(challenge.on_write(Endpoint::Tx, &reply), vec![(Endpoint::Rx, ok.clone())]);
        assert_eq!(challenge.on_write(Endpoint::Tx, &cipher.encrypt(b"Auth:0000;")), vec![], "a wrong hash");
        assert_eq!(challenge.on_write(Endpoint::Rx, &written), vec![], "only tx is listened to");

        let vibio = Toy::new(&VIBIO).challenging("1a2B:secret-x;");
        let written = hex("02 9d a0 70 22 a9 17 77 2f f8 89 ca f8 93 40 e0");
        let challenge = hex("9b 14 67 27 92 87 8d db 9a 06 6d 89 37 6e 31 b6");
        assert_eq!(vibio.on_write(Endpoint::Tx, &written), vec![(Endpoint::Rx, challenge)]);
        let reply = hex("a0 a7 16 d2 dc 90 08 77 ae 0f e3 f1 51 d7 68 a2");
        let ok = hex("73 f4 cb d1 1a 61 e4 18 5e 8e 48 62 83 59 5a 24");
        assert_eq!(vibio.on_write(Endpoint::Tx, &reply), vec![(Endpoint::Rx, ok)]);
    }

    #[tokio::test(start_paused = true)]
    async fn vibio_answers_its_own_challenge_pattern() {
        let hw = FakeHardware::new("Elle_Vibio", "aa");
        hw.simulate(Toy::new(&VIBIO).challenging("1a2B:secret-x;"));
        FIXED_VIBIO.initialize(&hw, Some("Elle_Vibio"), &two_motors()).await.unwrap();
        let writes: Vec<Vec<u8>> = hw.writes().into_iter().map(|w| w.data).collect();
        assert_eq!(
            writes,
            vec![
                hex("02 9d a0 70 22 a9 17 77 2f f8 89 ca f8 93 40 e0"),
                hex("a0 a7 16 d2 dc 90 08 77 ae 0f e3 f1 51 d7 68 a2")
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ok_at_once_needs_no_challenge() {
        let hw = toy();
        hw.simulate(Toy::new(&VIBCRAFTER));
        FIXED_VIBCRAFTER.initialize(&hw, None, &two_motors()).await.unwrap();
        assert_eq!(hw.writes().len(), 1);
    }

    #[test]
    fn challenge_patterns() {
        assert_eq!(vibcrafter_challenge("Zq9x:HelloWorld1;"), Some("HelloWorld1"));
        assert_eq!(vibcrafter_challenge("Zq9x:Hello-World;"), None, "letters and digits only");
        assert_eq!(vibcrafter_challenge("Zq9:Hello;"), None);
        assert_eq!(vibcrafter_challenge("Zq9x:;"), None, "an empty secret");
        assert_eq!(vibcrafter_challenge("Zq9x:abc"), None, "no final ;");
        assert_eq!(vibio_challenge("1a2B:secret-x;"), Some("secret-x"));
        assert_eq!(vibio_challenge("1a2g:secret;"), None, "hex digits only");
        assert_eq!(vibio_challenge("1a2B:sec;ret;"), None);
        assert_eq!(vibio_challenge("é1a2:x;"), None, "a multibyte prefix is no challenge, and no panic");
        assert_eq!(challenge_answer("HelloWorld1"), "Auth:90b4;");
        assert_eq!(challenge_answer("secret-x"), "Auth:1e89;");
    }

    #[tokio::test(start_paused = true)]
    async fn a_wrong_answer_fails_the_connection_and_says_what_to_do() {
        for answer in [VIBCRAFTER.cipher.encrypt(b"NO;"), vec![1, 2, 3], VIBCRAFTER.cipher.encrypt(&[0xff, 0xfe])] {
            let hw = toy();
            hw.reply(Endpoint::Tx, &hex("00 33 41 70 f0 12 4c 24 da 42 97 a8 b1 17 7c 30"), Endpoint::Rx, &answer);
            let error = FIXED_VIBCRAFTER.initialize(&hw, None, &two_motors()).await.err().unwrap();
            assert!(matches!(error, ProtocolError::Handshake(_)), "{error}");
            assert!(error.to_string().contains("switch it off and on again"), "{error}");
            assert_eq!(hw.writes().len(), 1, "nothing after a refusal");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_answer_gives_up_after_the_timeout() {
        let hw = toy();
        let started = Instant::now();
        let error = FIXED_VIBCRAFTER.initialize(&hw, None, &two_motors()).await.err().unwrap();
        assert_eq!(started.elapsed(), ANSWER_TIMEOUT);
        assert_eq!(
            error.to_string(),
            "the VibCrafter toy did not answer its authentication within 5 s; switch it off and on again, keep it \
             close, and scan again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_toy_that_keeps_challenging_is_given_up_on() {
        let hw = toy();
        let challenge = VIBCRAFTER.cipher.encrypt(b"Zq9x:HelloWorld1;");
        let token = hex("00 33 41 70 f0 12 4c 24 da 42 97 a8 b1 17 7c 30");
        let answer = VIBCRAFTER.cipher.encrypt(challenge_answer("HelloWorld1").as_bytes());
        hw.reply(Endpoint::Tx, &token, Endpoint::Rx, &challenge);
        hw.reply(Endpoint::Tx, &answer, Endpoint::Rx, &challenge);
        let error = FIXED_VIBCRAFTER.initialize(&hw, None, &two_motors()).await.err().unwrap();
        assert!(error.to_string().contains("more than 4 challenges"), "{error}");
        assert_eq!(hw.writes().len(), 1 + MAX_CHALLENGES);
    }

    #[tokio::test(start_paused = true)]
    async fn a_disconnect_in_the_middle_fails_at_once() {
        let hw = toy();
        hw.simulate(Toy::new(&VIBCRAFTER).challenging("Zq9x:HelloWorld1;"));
        hw.drop_after_writes(2);
        let started = Instant::now();
        let error = FIXED_VIBCRAFTER.initialize(&hw, None, &two_motors()).await.err().unwrap();
        assert_eq!(error, ProtocolError::Hardware(crate::hardware::HardwareError::Disconnected));
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_definition_it_cannot_drive_is_refused_before_any_write() {
        let hw = toy();
        let error = VIBCRAFTER.initialize(&hw, None, &features(&[(OutputType::Rotate, 0, 99)])).await.err().unwrap();
        assert!(matches!(error, ProtocolError::Definition(_)));
        assert!(hw.events().is_empty());
    }

    #[test]
    fn whole_state_text_per_change() {
        let features = two_motors();
        let handler = MotorText { cipher: VIBIO.cipher, motors: vec![(0, Vibrate), (1, Vibrate)] };
        let mut toy = Sim::new(Box::new(handler), &features);
        let decrypt = |writes: Vec<Write>| -> Vec<String> {
            bytes(&writes).iter().map(|b| String::from_utf8(VIBIO.cipher.decrypt(b).unwrap()).unwrap()).collect()
        };
        assert_eq!(toy.set(0, Vibrate, 40), vec![Write::without_response(Endpoint::Tx, hex("61 af cf 02 7f 15 86 6f 7b 45 bb 5d 70 f0 ac 34"))]);
        assert_eq!(decrypt(toy.set(1, Vibrate, 7)), ["MtInt:4007;"]);
        assert_eq!(decrypt(toy.set(1, Vibrate, 120)), ["MtInt:4099;"], "clamped");
        assert_eq!(decrypt(toy.stop()), ["MtInt:0000;"]);
        assert!(toy.stop().is_empty());
    }
}

#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::simulated::Toy;
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&VIBCRAFTER, Some("be gentle"), &[
            // MtInt:5000;
            Set(&[(0, Vibrate, 50)], &[tx(&[
                0xeb, 0xcc, 0x1a, 0xdd, 0xb0, 0x13, 0x23, 0x40, 0xd5, 0x1b, 0x7e, 0x97, 0xb6, 0x1c, 0xa3, 0x20,
            ])]),
            // MtInt:5099;
            Set(&[(1, Vibrate, 99)], &[tx(&[
                0xbe, 0xce, 0x76, 0x4b, 0x96, 0x94, 0xc1, 0xb5, 0xb3, 0x14, 0xbd, 0xc1, 0xda, 0x41, 0x04, 0x3b,
            ])]),
            // MtInt:9999;
            Set(&[(0, Vibrate, 99)], &[tx(&[
                0xbe, 0xff, 0xfe, 0xbb, 0x3a, 0xbe, 0x3f, 0xe6, 0x3d, 0x06, 0xe4, 0xa8, 0x64, 0xe4, 0xe1, 0x8b,
            ])]),
            // MtInt:0000;
            Stop(&[tx(&[
                0xdf, 0xf0, 0x2f, 0x0d, 0xf4, 0x5b, 0x1f, 0x07, 0x21, 0x62, 0x3f, 0x8c, 0xf1, 0xb9, 0x61, 0x38,
            ])]),
        ])
        .answering(|hw| hw.simulate(Toy::new(&VIBCRAFTER).challenging("Zq9x:HelloWorld1;"))),
        Vector::new(&VIBCRAFTER, Some("Janna"), &[
            Set(&[(0, Vibrate, 50)], &[tx(&[
                0xeb, 0xcc, 0x1a, 0xdd, 0xb0, 0x13, 0x23, 0x40, 0xd5, 0x1b, 0x7e, 0x97, 0xb6, 0x1c, 0xa3, 0x20,
            ])]),
            Stop(&[tx(&[
                0xdf, 0xf0, 0x2f, 0x0d, 0xf4, 0x5b, 0x1f, 0x07, 0x21, 0x62, 0x3f, 0x8c, 0xf1, 0xb9, 0x61, 0x38,
            ])]),
        ])
        .answering(|hw| hw.simulate(Toy::new(&VIBCRAFTER))),
        Vector::new(&VIBIO, Some("Rivera_Vibio"), &[
            // MtInt:4000;
            Set(&[(0, Vibrate, 40)], &[tx(&[
                0x61, 0xaf, 0xcf, 0x02, 0x7f, 0x15, 0x86, 0x6f, 0x7b, 0x45, 0xbb, 0x5d, 0x70, 0xf0, 0xac, 0x34,
            ])]),
            // MtInt:4099;
            Set(&[(1, Vibrate, 99)], &[tx(&[
                0x95, 0xf4, 0xd7, 0x4b, 0x6f, 0x37, 0x98, 0xdb, 0x8e, 0x14, 0xfa, 0xdf, 0xda, 0x5c, 0xbb, 0xa5,
            ])]),
            // MtInt:0000;
            Stop(&[tx(&[
                0x25, 0x52, 0xe7, 0xb4, 0x3b, 0x92, 0x75, 0x30, 0x88, 0x07, 0x0a, 0x6f, 0x5b, 0x71, 0x8d, 0x1d,
            ])]),
        ])
        .answering(|hw| hw.simulate(Toy::new(&VIBIO).challenging("1a2B:secret-x;"))),
        Vector::new(&VIBIO, Some("Clara_Vibio"), &[
            Set(&[(0, Vibrate, 40)], &[tx(&[
                0x61, 0xaf, 0xcf, 0x02, 0x7f, 0x15, 0x86, 0x6f, 0x7b, 0x45, 0xbb, 0x5d, 0x70, 0xf0, 0xac, 0x34,
            ])]),
            Stop(&[tx(&[
                0x25, 0x52, 0xe7, 0xb4, 0x3b, 0x92, 0x75, 0x30, 0x88, 0x07, 0x0a, 0x6f, 0x5b, 0x71, 0x8d, 0x1d,
            ])]),
        ])
        .answering(|hw| hw.simulate(Toy::new(&VIBIO))),
    ];
}
