//! Fluffer (and the MotorBunny toys sold under it): AES-encrypted packets after an
//! authentication derived from the toy's manufacturer data.
//!
//! Matched by manufacturer data of company `0x684a` (26698), whatever the name; the model is the
//! advertised name (`FDGTHING`, `FDG2G`, `FDPR`, `MBO`/`MB Controller`, `MBB`/`MB Link 201`).
//! GATT service `53300031-0060-4bd4-bbe5-a6920e4c5663`: `tx` `53300032-…` (written without
//! response), `rx` `53300033-…` (notifications). Every packet is one AES-128-ECB block of a
//! short plaintext with PKCS#7 padding, key `jdk#Flu%y6fer32f` ([`super::aes_ecb`]).
//!
//! # Authentication
//!
//! Let `adv` be the company id in little-endian (`4a 68`) followed by the manufacturer data.
//!
//! 1. Subscribe to `rx`.
//! 2. Derive up to four bytes: `k = adv[2] ^ adv[1]`; for `adv[3..7]`, each byte that is
//!    neither 0 nor `k` is XORed with `k`.
//! 3. With four random bytes `r`, let `h` be the first four bytes of SHA-256(`r` ++ derived).
//! 4. Write `a5 01 08` ++ `r` ++ `h`.
//! 5. The toy answers `a5 01 01 00` on `rx` if it agrees; then write `82 0e 02 00 01`.
//!
//! Worked example: data `10 00 78 21 33` gives `k = 78` and `00 78 59 4b`; with `r` =
//! `01 02 03 04`, `h` = `37 bb 3f 6f`, and the block written is
//! `49 b0 6c 7b 3f 66 30 93 fa 77 2f 54 ba 9f d1 8d`. The toy's agreement is
//! `fb 14 63 04 20 5c 54 79 bb 6b a6 c9 69 fd aa 96`; the second write
//! `d9 a0 64 11 f5 e2 4e 7e 05 db 14 1d 95 63 05 d5`.
//!
//! Without manufacturer data of that company (or with none after the company id) there is no
//! authentication, as in the reference (a warning is logged).
//!
//! # Outputs
//!
//! Two slots: `s1` is feature 0 (vibrate 0..=100), `s2` feature 1 (MotorBunny Classic: rotate
//! -100..=100, as `v` clockwise and `|v| + 100` anticlockwise, so -10 is `6e`; MotorBunny Buck:
//! oscillate 0..=100). Any change writes the whole state, `82 0f 05 00 s1 s2 00 00`:
//!
//! | state | block |
//! |---|---|
//! | stopped | `d3 af 8c b6 b5 05 3c 01 7e c0 d3 7f 5b 06 44 21` |
//! | vibrate 50 | `4d 8f ad 2b 38 d0 70 1c 81 37 7d 72 96 c0 15 26` |
//! | vibrate 50, rotate -10 | `18 d8 fd 96 19 a0 6a 69 6c 9c d5 ef 62 6d bb 17` |
//!
//! A stop is one write of the stopped state.
//!
//! # Where Plugboard differs from the reference
//!
//! * The reference waits for the toy's answer for ever, takes it from any endpoint, and panics
//!   when it does not decrypt (or when the manufacturer data is empty after the company id).
//!   Here the answer must come on `rx` within [`ANSWER_TIMEOUT`]; anything else fails the
//!   connection with a [`ProtocolError::Handshake`] saying what to do.
//! * The reference's keepalive (`80 02 00` every 5 s) runs only where the platform asks for
//!   one (iOS), never on Linux; Plugboard sends none either.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::aes_ecb::{os_random, sha256, Cipher, RandomSource};
use super::single_packet::Outputs;
use super::{
    lookup, next_data, value_of, Advertisement, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The manufacturer data company id Fluffer toys advertise.
pub const COMPANY: u16 = 0x684a;
/// How long the toy may take to answer the authentication.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// The key of every packet.
pub const CIPHER: Cipher = Cipher::new(b"jdk#Flu%y6fer32f");
/// The toy's agreement to the authentication.
pub const AGREED: [u8; 4] = [0xa5, 0x01, 0x01, 0x00];
/// Written once the toy agreed.
pub const AFTER_AUTHENTICATION: [u8; 5] = [0x82, 0x0e, 0x02, 0x00, 0x01];

pub struct Fluffer {
    random: RandomSource,
}

pub static FLUFFER: Fluffer = Fluffer { random: os_random };

pub static PROTOCOLS: &[&dyn Protocol] = &[&FLUFFER];

impl Fluffer {
    /// The protocol with another random source (tests fix the challenge with it).
    pub const fn with_random(random: RandomSource) -> Fluffer {
        Fluffer { random }
    }

    async fn connect(
        &self,
        hw: &dyn Hardware,
        advertised: Option<Vec<u8>>,
        features: &[Feature],
    ) -> Result<Box<dyn DeviceHandler>, ProtocolError> {
        let slots = Outputs::of(&[OutputType::Vibrate, OutputType::Rotate, OutputType::Oscillate])
            .up_to_feature(1)
            .one_per_type()
            .check("fluffer", features)?;
        let mut notifications = hw.notifications();
        hw.subscribe(Endpoint::Rx).await?;
        match advertised.as_deref().and_then(derived_bytes) {
            Some(derived) => self.authenticate(hw, &mut notifications, &derived).await?,
            None => tracing::warn!(
                device = hw.address(),
                "a Fluffer toy without manufacturer data of company 0x684a: connecting without authentication"
            ),
        }
        Ok(Box::new(WholeState { slots }))
    }

    async fn authenticate(
        &self,
        hw: &dyn Hardware,
        notifications: &mut tokio::sync::broadcast::Receiver<crate::hardware::Notification>,
        derived: &[u8],
    ) -> Result<(), ProtocolError> {
        let mut random = [0u8; 4];
        (self.random)(&mut random);
        hw.write(Write::without_response(Endpoint::Tx, CIPHER.encrypt(&challenge(random, derived)))).await?;
        let refused = |what: String| {
            ProtocolError::Handshake(format!(
                "the Fluffer toy {what}; switch it off and on again, keep it close, and scan again"
            ))
        };
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let Some(answer) = next_data(notifications, Endpoint::Rx, deadline).await? else {
            return Err(refused(format!("did not answer its authentication within {} s", ANSWER_TIMEOUT.as_secs())));
        };
        match CIPHER.decrypt(&answer) {
            Ok(plain) if plain == AGREED => {}
            Ok(plain) => return Err(refused(format!("refused the authentication (it answered {plain:02x?})"))),
            Err(error) => return Err(refused(format!("answered its authentication with {error}"))),
        }
        hw.write(Write::without_response(Endpoint::Tx, CIPHER.encrypt(&AFTER_AUTHENTICATION))).await?;
        Ok(())
    }
}

/// The company id in little-endian followed by the manufacturer data of [`COMPANY`].
pub fn advertised_bytes(advertisement: &Advertisement) -> Option<Vec<u8>> {
    let data = advertisement.manufacturer_data.get(&COMPANY)?;
    Some(COMPANY.to_le_bytes().iter().chain(data).copied().collect())
}

/// The (up to four) bytes the authentication hashes, from [`advertised_bytes`]; `None` when
/// there is no data byte to derive the key from.
pub fn derived_bytes(advertised: &[u8]) -> Option<Vec<u8>> {
    let key = advertised.get(2)? ^ advertised.get(1)?;
    let data = advertised.get(3..).unwrap_or_default();
    Some(data.iter().take(4).map(|&byte| if byte == 0 || byte == key { byte } else { byte ^ key }).collect())
}

/// The plaintext of the challenge: `a5 01 08`, the random bytes and the first four bytes of
/// SHA-256(random ++ derived).
pub fn challenge(random: [u8; 4], derived: &[u8]) -> Vec<u8> {
    let digest = sha256(&[&random, derived]);
    [&[0xa5, 0x01, 0x08][..], &random, &digest[..4]].concat()
}

impl Protocol for Fluffer {
    fn name(&self) -> &'static str {
        "fluffer"
    }

    /// Without the advertisement there is nothing to authenticate with.
    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(self.connect(hw, None, features))
    }

    fn initialize_advertised<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(self.connect(hw, advertised_bytes(advertisement), features))
    }
}

/// The encoder of one connected toy.
struct WholeState {
    /// The outputs, (feature index, type): feature 0 is `s1`, feature 1 `s2`.
    slots: Vec<(u32, OutputType)>,
}

impl DeviceHandler for WholeState {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.slots.iter().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let slot = |feature: u32| {
            let Some(&(index, kind)) = self.slots.iter().find(|(index, _)| *index == feature) else { return 0 };
            let value = value_of(levels, (index, kind));
            let magnitude = value.unsigned_abs().min(100) as u8;
            if kind == OutputType::Rotate && value < 0 {
                magnitude + 100
            } else {
                magnitude
            }
        };
        let plain = [0x82, 0x0f, 0x05, 0x00, slot(0), slot(1), 0x00, 0x00];
        vec![Write::without_response(Endpoint::Tx, CIPHER.encrypt(&plain))]
    }
}

/// A Fluffer toy as it answers the authentication, for tests and simulated peripherals: a
/// pure function of its manufacturer data and the bytes written.
#[cfg(any(test, feature = "testing"))]
pub mod simulated {
    use super::*;
    use crate::testing::SimulatedDevice;

    /// Agrees to a challenge whose hash matches its manufacturer data; stays silent otherwise.
    pub struct Toy {
        /// The manufacturer data of company [`COMPANY`] it advertises.
        pub manufacturer_data: &'static [u8],
    }

    impl Toy {
        /// The plaintext answer to a written plaintext, if any.
        pub fn answer(&self, written: &[u8]) -> Option<[u8; 4]> {
            let advertised: Vec<u8> = COMPANY.to_le_bytes().iter().chain(self.manufacturer_data).copied().collect();
            let derived = derived_bytes(&advertised)?;
            let random: [u8; 4] = written.get(3..7)?.try_into().ok()?;
            (written == challenge(random, &derived)).then_some(AGREED)
        }
    }

    impl SimulatedDevice for Toy {
        fn on_write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
            let written = CIPHER.decrypt(data).ok().filter(|_| endpoint == Endpoint::Tx);
            match written.and_then(|plain| self.answer(&plain)) {
                Some(answer) => vec![(Endpoint::Rx, CIPHER.encrypt(&answer))],
                None => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::simulated::Toy;
    use super::*;
    use crate::hardware::HardwareError;
    use crate::protocols::test_support::{bytes, feature, hex, Sim};
    use crate::testing::{Event, FakeHardware};

    fn one_two_three_four(buffer: &mut [u8]) {
        buffer.copy_from_slice(&[1, 2, 3, 4]);
    }

    static FIXED: Fluffer = Fluffer::with_random(one_two_three_four);
    const DATA: &[u8] = &[0x10, 0x00, 0x78, 0x21, 0x33];

    fn advertisement() -> Advertisement {
        let mut advertisement = Advertisement::named("MBO");
        advertisement.manufacturer_data.insert(COMPANY, DATA.to_vec());
        advertisement
    }

    fn classic() -> Vec<Feature> {
        vec![feature(0, &[(Vibrate, 0, 100)]), feature(1, &[(Rotate, -100, 100)])]
    }

    fn challenge_block() -> Vec<u8> {
        hex("49 b0 6c 7b 3f 66 30 93 fa 77 2f 54 ba 9f d1 8d")
    }

    #[test]
    fn the_derived_bytes_and_the_challenge_of_the_worked_example() {
        let advertised = advertised_bytes(&advertisement()).unwrap();
        assert_eq!(advertised, hex("4a 68 10 00 78 21 33"));
        let derived = derived_bytes(&advertised).unwrap();
        assert_eq!(derived, hex("00 78 59 4b"));
        assert_eq!(challenge([1, 2, 3, 4], &derived), hex("a5 01 08 01 02 03 04 37 bb 3f 6f"));
        assert_eq!(derived_bytes(&hex("4a 68 10 44")), Some(hex("3c")), "short data derives fewer bytes");
        assert_eq!(derived_bytes(&hex("4a 68")), None, "no data byte: nothing to derive (the reference panics)");
        assert_eq!(advertised_bytes(&Advertisement::named("MBO")), None);
    }

    #[tokio::test(start_paused = true)]
    async fn authenticates_with_the_manufacturer_data() {
        let hw = FakeHardware::new("MBO", "aa");
        hw.simulate(Toy { manufacturer_data: DATA });
        FIXED.initialize_advertised(&hw, &advertisement(), Some("MBO"), &classic()).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Subscribe(Endpoint::Rx),
                Event::Write(Write::without_response(Endpoint::Tx, challenge_block())),
                Event::Write(Write::without_response(Endpoint::Tx, hex("d9 a0 64 11 f5 e2 4e 7e 05 db 14 1d 95 63 05 d5"))),
            ]
        );
    }

    #[test]
    fn the_simulated_toy_agrees_with_the_facts_bytes_only() {
        use crate::testing::SimulatedDevice;
        let toy = Toy { manufacturer_data: DATA };
        let agreed = hex("fb 14 63 04 20 5c 54 79 bb 6b a6 c9 69 fd aa 96");
        assert_eq!(toy.on_write(Endpoint::Tx, &challenge_block()), vec![(Endpoint::Rx, agreed)]);
        let other = Toy { manufacturer_data: &[0x11, 0x00, 0x78, 0x21, 0x33] };
        assert_eq!(other.on_write(Endpoint::Tx, &challenge_block()), vec![], "another toy's hash");
        assert_eq!(toy.on_write(Endpoint::Tx, &[1, 2, 3]), vec![]);
    }

    #[tokio::test(start_paused = true)]
    async fn without_manufacturer_data_there_is_no_authentication() {
        let hw = FakeHardware::new("FDGTHING", "aa");
        FIXED.initialize_advertised(&hw, &Advertisement::named("FDGTHING"), None, &classic()).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Rx)]);
        let hw = FakeHardware::new("FDGTHING", "aa");
        let mut empty = Advertisement::named("FDGTHING");
        empty.manufacturer_data.insert(COMPANY, Vec::new());
        FIXED.initialize_advertised(&hw, &empty, None, &classic()).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Rx)], "and no panic");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_or_garbage_fails_the_connection() {
        let answers = [CIPHER.encrypt(&[0xa5, 0x01, 0x01, 0x01]), vec![0xde, 0xad], CIPHER.encrypt(&[])];
        for answer in answers {
            let hw = FakeHardware::new("MBO", "aa");
            hw.reply(Endpoint::Tx, &challenge_block(), Endpoint::Rx, &answer);
            let error = FIXED.initialize_advertised(&hw, &advertisement(), None, &classic()).await.err().unwrap();
            assert!(matches!(error, ProtocolError::Handshake(_)), "{error}");
            assert!(error.to_string().contains("switch it off and on again"), "{error}");
            assert_eq!(hw.writes().len(), 1, "nothing written after a refusal");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_on_another_endpoint_is_not_taken() {
        let hw = FakeHardware::with_endpoints("MBO", "aa", &[Endpoint::Tx, Endpoint::Rx, Endpoint::Generic(0)]);
        hw.subscribe(Endpoint::Generic(0)).await.unwrap();
        hw.reply(Endpoint::Tx, &challenge_block(), Endpoint::Generic(0), &CIPHER.encrypt(&AGREED));
        let started = Instant::now();
        let error = FIXED.initialize_advertised(&hw, &advertisement(), None, &classic()).await.err().unwrap();
        assert_eq!(started.elapsed(), ANSWER_TIMEOUT);
        assert_eq!(
            error.to_string(),
            "the Fluffer toy did not answer its authentication within 5 s; switch it off and on again, keep it \
             close, and scan again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_disconnect_during_the_wait_fails_at_once() {
        let hw = FakeHardware::new("MBO", "aa");
        hw.drop_after_writes(1);
        let error = FIXED.initialize_advertised(&hw, &advertisement(), None, &classic()).await.err().unwrap();
        assert_eq!(error, ProtocolError::Hardware(HardwareError::Disconnected));
    }

    #[test]
    fn whole_state_blocks() {
        let features = classic();
        let handler = WholeState { slots: vec![(0, Vibrate), (1, Rotate)] };
        let mut toy = Sim::new(Box::new(handler), &features);
        assert_eq!(bytes(&toy.set(0, Vibrate, 50)), [hex("4d 8f ad 2b 38 d0 70 1c 81 37 7d 72 96 c0 15 26")]);
        assert_eq!(bytes(&toy.set(1, Rotate, -10)), [hex("18 d8 fd 96 19 a0 6a 69 6c 9c d5 ef 62 6d bb 17")]);
        let plain = |writes: Vec<Write>| CIPHER.decrypt(&writes[0].data).unwrap();
        assert_eq!(plain(toy.set(1, Rotate, -100)), hex("82 0f 05 00 32 c8 00 00"));
        assert_eq!(plain(toy.set(1, Rotate, 100)), hex("82 0f 05 00 32 64 00 00"));
        assert_eq!(bytes(&toy.stop()), [hex("d3 af 8c b6 b5 05 3c 01 7e c0 d3 7f 5b 06 44 21")]);
        assert!(toy.stop().is_empty());
    }
}

#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::simulated::Toy;
    use super::*;
    use crate::protocols::test_vectors::*;

    /// Manufacturer data of the facts' worked example.
    const DATA: &[u8] = &[0x10, 0x00, 0x78, 0x21, 0x33];
    /// `82 0f 05 00 00 00 00 00`
    const STOPPED: FixedWrite =
        tx(&[0xd3, 0xaf, 0x8c, 0xb6, 0xb5, 0x05, 0x3c, 0x01, 0x7e, 0xc0, 0xd3, 0x7f, 0x5b, 0x06, 0x44, 0x21]);
    /// `82 0f 05 00 32 00 00 00`
    const VIBRATE_50: FixedWrite =
        tx(&[0x4d, 0x8f, 0xad, 0x2b, 0x38, 0xd0, 0x70, 0x1c, 0x81, 0x37, 0x7d, 0x72, 0x96, 0xc0, 0x15, 0x26]);

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&FLUFFER, Some("MBO"), &[
            Set(&[(0, Vibrate, 50)], &[VIBRATE_50]),
            // `82 0f 05 00 32 6e 00 00`
            Set(&[(1, Rotate, -10)], &[tx(&[
                0x18, 0xd8, 0xfd, 0x96, 0x19, 0xa0, 0x6a, 0x69, 0x6c, 0x9c, 0xd5, 0xef, 0x62, 0x6d, 0xbb, 0x17,
            ])]),
            Stop(&[STOPPED]),
        ])
        .advertising(&[(COMPANY, DATA)])
        .answering(|hw| hw.simulate(Toy { manufacturer_data: DATA })),
        Vector::new(&FLUFFER, Some("MBB"), &[
            Set(&[(0, Vibrate, 50)], &[VIBRATE_50]),
            // `82 0f 05 00 32 1e 00 00`
            Set(&[(1, Oscillate, 30)], &[tx(&[
                0x92, 0x90, 0xf5, 0x95, 0x1e, 0x7b, 0xf2, 0x46, 0x05, 0x26, 0x20, 0x86, 0x58, 0x90, 0xfc, 0xca,
            ])]),
            Stop(&[STOPPED]),
        ])
        .advertising(&[(COMPANY, DATA)])
        .answering(|hw| hw.simulate(Toy { manufacturer_data: DATA })),
        Vector::new(&FLUFFER, Some("FDGTHING"), &[
            // `82 0f 05 00 64 00 00 00`
            Set(&[(0, Vibrate, 100)], &[tx(&[
                0x34, 0x86, 0x9a, 0x67, 0x7b, 0x8e, 0x6f, 0xa9, 0xe9, 0x2b, 0x53, 0xf8, 0x37, 0xc5, 0x25, 0x3c,
            ])]),
            Stop(&[STOPPED]),
        ]),
    ];
}
