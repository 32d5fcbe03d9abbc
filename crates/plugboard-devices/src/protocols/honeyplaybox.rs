//! Honey Play Box: HPB-* and JXT00* devices. Service
//! 0xFF12 with `tx` (0xFF03, written with response) and `rx` (0xFF02, notifications); battery
//! is the standard `rxblebattery` read.
//!
//! Every packet is a frame:
//!
//! | bytes | meaning |
//! |---|---|
//! | `02 a5 5a 55 aa f0` | header |
//! | `C` | frame counter |
//! | `T K` | type, command |
//! | `LL LL` | data length, u16 big-endian |
//! | data | |
//! | `03` | end |
//! | `RR RR` | CRC-16/MODBUS (init `ffff`, reflected poly `a001`) over type, command, length and data, big-endian |
//!
//! * Handshake (init): subscribe `rx`, send type `b1` command `01` data `00 10` (counter 0, 1, 2
//!   for attempts 1, 2, 3) and wait 1 s, 2 s, 3 s for a reply frame (notifications are
//!   reassembled, see [`FrameCollector`]). Its data starts with a response code: `90 00` is
//!   success and data bytes 2..18 are the 16-byte session random; any other code fails the
//!   connection. Three silent attempts fail it with a timeout.
//! * Command: type `b1` command `03`, data = one 8-byte group per output (in feature-index
//!   order, motor number = position) `(motor<<4 | 1) 00 05 00 3c 00 00 strength` (mode 1, 60 x
//!   100 ms, frequency 0), then the first 8 bytes of the MD5 of: `b1 03`, the data length
//!   (groups + 8) as u16 big-endian, the groups, the fixed secret [`SECRET`] and the session
//!   random. Strength: vibrate, oscillate and rotate (speed) 0..=100; constrict level `L` >
//!   0 is sent as `100 + L` (0 stays 0). Whole state: one frame with every output whenever any
//!   changed. The device stops unless the frame is repeated: keepalive every 500 ms.
//!
//! The frame counter moves on with every frame, keepalives included, as in the reference: the
//! handshake frames count 0, 1, 2, and the first command frame carries the last handshake
//! frame's counter plus 2 (the reference moves its counter on once more before that frame).
//! The device task numbers the frames ([`FrameNumber`]; see "Rolling counters" in
//! `protocols/mod.rs`) and the encoder adds that number to the handler's first counter. The
//! keepalive encodes the whole state again with the next number ([`Keepalive::ResendState`])
//! rather than repeating the last frame's bytes.
//!
//! Differences from the reference engine:
//! * The keepalive writes after exactly 500 ms without a write; the reference looks every
//!   100 ms, so it writes 500 to 600 ms after the last one. As in the reference, nothing is
//!   written right after the handshake: the first keepalive frame, 500 ms later, carries the
//!   stopped state (and the counter the reference gives it).
//! * Strengths above 100 are clamped (values above 100 are how constrict levels travel).

use std::time::Duration;

use md5::{Digest, Md5};
use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{
    clamp_byte, lookup, motor_slots, next_data, value_of, ChangeSet, DeviceHandler, FrameNumber, Keepalive,
    OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The 6-byte frame header.
pub const HEADER: [u8; 6] = [0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0];
/// The end-of-data byte.
pub const ETX: u8 = 0x03;
/// The frame type of handshake and command frames.
pub const TYPE: u8 = 0xb1;
/// The handshake command and its data.
pub const CMD_HANDSHAKE: u8 = 0x01;
pub const HANDSHAKE_DATA: [u8; 2] = [0x00, 0x10];
/// The output command.
pub const CMD_OUTPUT: u8 = 0x03;
/// The response code of a successful handshake.
pub const SUCCESS: u16 = 0x9000;
/// How many handshake frames are sent; attempt `n` (from 1) waits `n` seconds.
pub const HANDSHAKE_ATTEMPTS: u8 = 3;
/// How often the state is sent again (in a new frame) when nothing new was sent.
pub const KEEPALIVE: Duration = Duration::from_millis(500);
/// The fixed secret in every command signature.
pub const SECRET: [u8; 16] =
    [0x8b, 0xe3, 0xfd, 0x04, 0x68, 0x35, 0x09, 0x86, 0x12, 0x1a, 0xbf, 0x03, 0x30, 0xe9, 0xe3, 0xc5];
/// The highest strength of a vibrate, oscillate or rotate output.
pub const MAX_STRENGTH: u8 = 100;
/// Constrict levels travel as `CONSTRICT_OFFSET + level`.
pub const CONSTRICT_OFFSET: u8 = 100;

/// Bytes before the data in a frame: header, counter, type, command, length.
const DATA_START: usize = 11;
/// Bytes after the data: end byte and CRC.
const TRAILER: usize = 3;

/// CRC-16/MODBUS.
pub fn crc16_modbus(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xffff;
    for &byte in bytes {
        crc ^= byte as u16;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xa001 } else { crc >> 1 };
        }
    }
    crc
}

/// A complete frame.
pub fn build_frame(kind: u8, command: u8, data: &[u8], counter: u8) -> Vec<u8> {
    let length = u16::try_from(data.len()).expect("frame data fits a u16 length");
    let mut signed = vec![kind, command];
    signed.extend_from_slice(&length.to_be_bytes());
    signed.extend_from_slice(data);
    let crc = crc16_modbus(&signed);
    let mut frame = Vec::with_capacity(DATA_START + data.len() + TRAILER);
    frame.extend_from_slice(&HEADER);
    frame.push(counter);
    frame.extend_from_slice(&signed);
    frame.push(ETX);
    frame.extend_from_slice(&crc.to_be_bytes());
    frame
}

/// The handshake frame of attempt `counter`.
pub fn handshake_frame(counter: u8) -> Vec<u8> {
    build_frame(TYPE, CMD_HANDSHAKE, &HANDSHAKE_DATA, counter)
}

/// The data of a command frame: the groups and their signature.
pub fn command_data(random: &[u8; 16], strengths: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(strengths.len() * 8 + 8);
    for (motor, &strength) in strengths.iter().enumerate() {
        data.extend_from_slice(&[((motor as u8 & 0x0f) << 4) | 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, strength]);
    }
    let length = u16::try_from(data.len() + 8).expect("groups fit a u16 length");
    let mut signed = vec![TYPE, CMD_OUTPUT];
    signed.extend_from_slice(&length.to_be_bytes());
    signed.extend_from_slice(&data);
    signed.extend_from_slice(&SECRET);
    signed.extend_from_slice(random);
    data.extend_from_slice(&md5(&signed)[..8]);
    data
}

/// Reassembles frames from notifications: syncs on the header, waits for the length the
/// header announces, and drops a candidate whose end byte is not `03` (resyncing one byte
/// later). Bytes that cannot start a frame are dropped.
#[derive(Debug, Clone, Default)]
pub struct FrameCollector {
    buffer: Vec<u8>,
}

impl FrameCollector {
    /// Adds bytes; returns every frame completed by them, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.buffer.extend_from_slice(bytes);
        let mut frames = Vec::new();
        loop {
            match self.buffer.windows(HEADER.len()).position(|window| window == HEADER) {
                Some(start) => {
                    self.buffer.drain(..start);
                }
                None => {
                    // Keep a tail that may be the start of a header split across notifications.
                    let keep = (1..HEADER.len())
                        .rev()
                        .find(|&n| self.buffer.len() >= n && self.buffer[self.buffer.len() - n..] == HEADER[..n])
                        .unwrap_or(0);
                    self.buffer.drain(..self.buffer.len() - keep);
                    break;
                }
            }
            if self.buffer.len() < DATA_START {
                break;
            }
            let length = u16::from_be_bytes([self.buffer[9], self.buffer[10]]) as usize;
            let end = DATA_START + length;
            if self.buffer.len() < end + TRAILER {
                break;
            }
            if self.buffer[end] != ETX {
                self.buffer.drain(..1);
                continue;
            }
            frames.push(self.buffer.drain(..end + TRAILER).collect());
        }
        frames
    }
}

/// What a reply frame to the handshake says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeReply {
    /// `90 00` and the session random.
    Random([u8; 16]),
    /// Any other response code.
    Failed(u16),
    /// No response code, or success without a full random: keep waiting.
    Unusable,
}

/// Reads a reassembled frame (see [`FrameCollector`]) as a handshake reply. The CRC is not
/// checked (the reference engine does not either).
pub fn parse_handshake_reply(frame: &[u8]) -> HandshakeReply {
    if frame.len() < DATA_START + TRAILER {
        return HandshakeReply::Unusable;
    }
    let length = u16::from_be_bytes([frame[9], frame[10]]) as usize;
    let Some(data) = frame.get(DATA_START..DATA_START + length) else {
        return HandshakeReply::Unusable;
    };
    let Some(code) = data.get(..2) else {
        return HandshakeReply::Unusable;
    };
    let code = u16::from_be_bytes([code[0], code[1]]);
    if code != SUCCESS {
        return HandshakeReply::Failed(code);
    }
    match data.get(2..18) {
        Some(random) => HandshakeReply::Random(random.try_into().expect("16 bytes")),
        None => HandshakeReply::Unusable,
    }
}

/// The Honey Play Box protocol family (`honeyplaybox`).
#[derive(Debug, Clone, Copy, Default)]
pub struct HoneyPlayBox;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&HONEYPLAYBOX];

pub static HONEYPLAYBOX: HoneyPlayBox = HoneyPlayBox;

impl Protocol for HoneyPlayBox {
    fn name(&self) -> &'static str {
        "honeyplaybox"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let outputs = HoneyPlayBoxHandler::outputs(features)?;
            // Take the receiver first so a reply racing the write is not lost.
            let mut notifications = hw.notifications();
            hw.subscribe(Endpoint::Rx).await?;
            let mut collector = FrameCollector::default();
            for attempt in 0..HANDSHAKE_ATTEMPTS {
                hw.write(Write::with_response(Endpoint::Tx, handshake_frame(attempt))).await?;
                let deadline = Instant::now() + Duration::from_secs(u64::from(attempt) + 1);
                while let Some(bytes) = next_data(&mut notifications, Endpoint::Rx, deadline).await? {
                    for frame in collector.push(&bytes) {
                        match parse_handshake_reply(&frame) {
                            HandshakeReply::Random(random) => {
                                let first_counter = attempt.wrapping_add(2);
                                return Ok(Box::new(HoneyPlayBoxHandler { random, first_counter, outputs })
                                    as Box<dyn DeviceHandler>);
                            }
                            HandshakeReply::Failed(code) => {
                                return Err(ProtocolError::BadReply(format!(
                                    "honeyplaybox handshake failed with code {code:04x}"
                                )));
                            }
                            HandshakeReply::Unusable => {
                                tracing::debug!(?frame, "honeyplaybox: unusable handshake reply");
                            }
                        }
                    }
                }
                tracing::debug!(attempt, "honeyplaybox: no handshake reply");
            }
            Err(ProtocolError::Timeout("honeyplaybox handshake reply"))
        })
    }
}

/// The encoder of one connected Honey Play Box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoneyPlayBoxHandler {
    random: [u8; 16],
    /// The counter of the first command frame; frame number `n` carries this plus `n`.
    first_counter: u8,
    outputs: Vec<(u32, OutputType)>,
}

impl HoneyPlayBoxHandler {
    /// A handler for a session random and the counter of its first command frame.
    pub fn new(
        features: &[Feature],
        random: [u8; 16],
        first_counter: u8,
    ) -> Result<HoneyPlayBoxHandler, ProtocolError> {
        Ok(HoneyPlayBoxHandler { random, first_counter, outputs: HoneyPlayBoxHandler::outputs(features)? })
    }

    /// The outputs in feature-index order (at most 16: the motor number is 4 bits).
    fn outputs(features: &[Feature]) -> Result<Vec<(u32, OutputType)>, ProtocolError> {
        let mut outputs = motor_slots(features);
        outputs.sort_by_key(|slot| slot.0);
        if outputs.is_empty() || outputs.len() > 16 {
            return Err(ProtocolError::Definition(format!(
                "honeyplaybox takes 1 to 16 outputs, the definition has {}",
                outputs.len()
            )));
        }
        for &(_, kind) in &outputs {
            if !matches!(
                kind,
                OutputType::Vibrate
                    | OutputType::Oscillate
                    | OutputType::Rotate
                    | OutputType::Constrict
                    | OutputType::Inflate
            ) {
                return Err(ProtocolError::Definition(format!("honeyplaybox has no command for {kind:?}")));
            }
        }
        Ok(outputs)
    }
}

/// The strength byte of an output at a level.
pub fn strength(kind: OutputType, value: i32) -> u8 {
    match kind {
        OutputType::Constrict | OutputType::Inflate if value > 0 => {
            clamp_byte(value, u8::MAX - CONSTRICT_OFFSET) + CONSTRICT_OFFSET
        }
        OutputType::Constrict | OutputType::Inflate => 0,
        OutputType::Rotate => clamp_byte(value.saturating_abs(), MAX_STRENGTH),
        _ => clamp_byte(value, MAX_STRENGTH),
    }
}

impl DeviceHandler for HoneyPlayBoxHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        self.encode_numbered(levels, changed, FrameNumber::FIRST)
    }

    fn encode_numbered(&self, levels: &[OutputLevel], changed: ChangeSet, first: FrameNumber) -> Vec<Write> {
        if !self.outputs.iter().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let strengths: Vec<u8> = self.outputs.iter().map(|&slot| strength(slot.1, value_of(levels, slot))).collect();
        let data = command_data(&self.random, &strengths);
        let counter = self.first_counter.wrapping_add(first.low_byte());
        vec![Write::with_response(Endpoint::Tx, build_frame(TYPE, CMD_OUTPUT, &data, counter))]
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::ResendState(KEEPALIVE)
    }
}

/// The MD5 digest of `message`, for the command signature.
pub fn md5(message: &[u8]) -> [u8; 16] {
    Md5::digest(message).into()
}

/// A Honey Play Box for harnesses standing in for hardware: it answers any handshake frame
/// with success and a fixed session random.
#[cfg(any(test, feature = "testing"))]
pub mod simulated {
    use super::*;
    use crate::testing::SimulatedDevice;

    pub struct Toy {
        pub random: [u8; 16],
    }

    impl SimulatedDevice for Toy {
        fn on_write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
            let is_handshake = data.len() > DATA_START && data.starts_with(&HEADER) && data[7..9] == [TYPE, CMD_HANDSHAKE];
            if endpoint != Endpoint::Tx || !is_handshake {
                return Vec::new();
            }
            let mut reply = SUCCESS.to_be_bytes().to_vec();
            reply.extend_from_slice(&self.random);
            vec![(Endpoint::Rx, build_frame(TYPE, CMD_HANDSHAKE, &reply, data[6]))]
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, hex, Sim};
    use super::*;
    use crate::hardware::HardwareError;
    use crate::testing::{Event, FakeHardware};

    /// The session random the fake devices hand out.
    const RANDOM: [u8; 16] =
        [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f];

    const HANDSHAKE_0: [u8; 16] =
        [0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x00, 0xb1, 0x01, 0x00, 0x02, 0x00, 0x10, 0x03, 0x36, 0x86];

    /// A successful reply carrying [`RANDOM`].
    const REPLY: [u8; 32] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x00, 0xb1, 0x01, 0x00, 0x12, 0x90, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14,
        0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x03, 0x55, 0x0b,
    ];

    const REFUSAL: [u8; 16] =
        [0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x00, 0xb1, 0x01, 0x00, 0x02, 0x6a, 0x80, 0x03, 0xfa, 0xa8];

    fn wr(data: Vec<u8>) -> Write {
        Write { endpoint: Endpoint::Tx, data, with_response: true }
    }

    /// `frame` with frame counter `counter` (byte 6, which neither the CRC nor the signature
    /// covers), written with response.
    fn wr_at(counter: u8, frame: &[u8]) -> Write {
        let mut data = frame.to_vec();
        data[6] = counter;
        wr(data)
    }

    /// The shapes of the reference database: outputs on features 0 (and 1), battery after.
    fn shape(outputs: &[(OutputType, i32, i32)]) -> Vec<Feature> {
        let mut features: Vec<Feature> =
            outputs.iter().enumerate().map(|(i, &output)| feature(i as u32, &[output])).collect();
        features.push(feature(outputs.len() as u32, &[]));
        features
    }

    fn sim(outputs: &[(OutputType, i32, i32)], counter: u8) -> Sim {
        let features = shape(outputs);
        Sim::new(Box::new(HoneyPlayBoxHandler::new(&features, RANDOM, counter).unwrap()), &features)
    }

    #[test]
    fn md5_vectors() {
        let digest = |message: &[u8]| md5(message).iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(digest(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(digest(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(digest(b"The quick brown fox jumps over the lazy dog"), "9e107d9d372bb6826bd81d3542a419d6");
        // Padding edge cases (55, 56 and 64 bytes) and several blocks.
        assert_eq!(digest(&[b'x'; 55]), "04364420e25c512fd958a70738aa8f72");
        assert_eq!(digest(&[b'x'; 56]), "668a72d5ba17f08e62dabcafad6db14b");
        assert_eq!(digest(&[b'x'; 64]), "c1bb4f81d892b2d57947682aeb252456");
        assert_eq!(digest(&[b'a'; 100]), "36a92cc94a9e0fa21f625f8bfb007adf");
    }

    #[test]
    fn frames_and_crc() {
        assert_eq!(crc16_modbus(b"123456789"), 0x4b37, "the CRC-16/MODBUS check value");
        assert_eq!(handshake_frame(0), HANDSHAKE_0);
        assert_eq!(handshake_frame(2), hex("02 a5 5a 55 aa f0 02 b1 01 00 02 00 10 03 36 86"));
        assert_eq!(build_frame(TYPE, CMD_HANDSHAKE, &[0x90, 0x00], 7)[6], 7);
    }

    #[test]
    fn single_vibrator() {
        let mut toy = sim(&[(Vibrate, 0, 100)], 2);
        let fifty = hex("02 a5 5a 55 aa f0 02 b1 03 00 10 01 00 05 00 3c 00 00 32 6e f0 77 e1 4e b8 11 e6 03 28 08");
        let zero = hex("02 a5 5a 55 aa f0 02 b1 03 00 10 01 00 05 00 3c 00 00 00 88 d8 4e 12 09 03 de 95 03 d1 12");
        assert_eq!(toy.all(), [wr(zero.clone())], "the first keepalive frame: the handler's first counter");
        assert_eq!(toy.set(0, Vibrate, 50), [wr_at(3, &fifty)], "every frame counts one on");
        assert_eq!(toy.stop(), [wr_at(4, &zero)]);
        assert_eq!(toy.stop(), []);
        // Clamped to 100; negative is 0.
        assert_eq!(toy.set(0, Vibrate, -2), [wr_at(5, &zero)]);
        let mut levels = toy.levels.clone();
        levels[0].value = 150;
        assert_eq!(toy.handler.encode(&levels, ChangeSet::ALL), toy_at(&[(Vibrate, 0, 100)], &[100]));
        // The first counter is the handler's; the frame number adds to it, wrapping.
        let mut later = sim(&[(Vibrate, 0, 100)], 4);
        assert_eq!(later.set(0, Vibrate, 50), [wr_at(4, &fifty)]);
        assert_eq!(fifty[6], 2);
        let levels = later.levels.clone();
        let wrapped = later.handler.encode_numbered(&levels, ChangeSet::ALL, FrameNumber(253));
        assert_eq!(wrapped, [wr_at(1, &fifty)], "4 + 253 wraps to 1");
    }

    /// The writes for a device at the given values (counter 2).
    fn toy_at(outputs: &[(OutputType, i32, i32)], values: &[i32]) -> Vec<Write> {
        let mut toy = sim(outputs, 2);
        for (level, &value) in toy.levels.iter_mut().zip(values) {
            level.value = value;
        }
        toy.all()
    }

    #[test]
    fn two_outputs_whole_state() {
        let both = hex(
            "02 a5 5a 55 aa f0 02 b1 03 00 18 01 00 05 00 3c 00 00 1e 11 00 05 00 3c 00 00 64 17 78 3f af 5e d1 24 02 \
             03 e7 1d",
        );
        let zero = hex(
            "02 a5 5a 55 aa f0 02 b1 03 00 18 01 00 05 00 3c 00 00 00 11 00 05 00 3c 00 00 00 2c f8 58 ee 4c 51 b7 26 \
             03 8f 71",
        );
        let mut toy = sim(&[(Vibrate, 0, 100), (Vibrate, 0, 100)], 2);
        toy.set(0, Vibrate, 30);
        assert_eq!(toy.set(1, Vibrate, 100), [wr_at(3, &both)]);
        assert_eq!(toy.stop(), [wr_at(4, &zero)]);
        assert_eq!(toy.flush(&[(0, Vibrate, 30), (1, Vibrate, 100)]), [wr_at(5, &both)]);

        // Rotate (speed) + oscillate, in either order of the Joi Thrust models.
        let rotate_60_oscillate_20 = hex(
            "02 a5 5a 55 aa f0 02 b1 03 00 18 01 00 05 00 3c 00 00 3c 11 00 05 00 3c 00 00 14 f1 36 2d 83 70 6c 4a 92 \
             03 5d c7",
        );
        let mut thrust2 = sim(&[(Rotate, 0, 100), (Oscillate, 0, 100)], 2);
        assert_eq!(thrust2.flush(&[(0, Rotate, -60), (1, Oscillate, 20)]), [wr(rotate_60_oscillate_20.clone())]);
        assert_eq!(thrust2.stop(), [wr_at(3, &zero)]);
        assert_eq!(toy_at(&[(Oscillate, 0, 100), (Rotate, 0, 100)], &[60, 20]), [wr(rotate_60_oscillate_20.clone())]);
        // Vibrate + oscillate and vibrate + rotate put the same bytes in the same places.
        assert_eq!(toy_at(&[(Vibrate, 0, 100), (Oscillate, 0, 100)], &[60, 20]), [wr(rotate_60_oscillate_20.clone())]);
        assert_eq!(toy_at(&[(Vibrate, 0, 100), (Rotate, 0, 100)], &[60, 20]), [wr(rotate_60_oscillate_20)]);
        assert_eq!(toy_at(&[(Vibrate, 0, 100), (Rotate, 0, 100)], &[0, 0]), [wr(zero)]);
    }

    #[test]
    fn constrict_is_offset_by_100() {
        // Kaipro: vibrate + constrict 0..4.
        let mut toy = sim(&[(Vibrate, 0, 100), (Constrict, 0, 4)], 2);
        toy.set(0, Vibrate, 40);
        assert_eq!(
            toy.set(1, Constrict, 3),
            [wr(hex(
                "02 a5 5a 55 aa f0 03 b1 03 00 18 01 00 05 00 3c 00 00 28 11 00 05 00 3c 00 00 67 92 e2 66 84 a6 08 8a \
                 04 03 d9 38"
            ))]
        );
        assert_eq!(strength(Constrict, 0), 0);
        assert_eq!(strength(Constrict, 1), 101);
        assert_eq!(strength(Constrict, 4), 104);
        assert_eq!(strength(Constrict, -1), 0);
        assert_eq!(strength(Constrict, 999), 255);
        assert_eq!(strength(Vibrate, 101), 100);
        assert_eq!(strength(Rotate, -101), 100);
    }

    #[test]
    fn definitions() {
        assert!(HoneyPlayBoxHandler::new(&[feature(0, &[])], RANDOM, 2).is_err());
        assert!(HoneyPlayBoxHandler::new(&[feature(0, &[(Temperature, 0, 1)])], RANDOM, 2).is_err());
        let seventeen: Vec<Feature> = (0..17).map(|i| feature(i, &[(Vibrate, 0, 100)])).collect();
        assert!(HoneyPlayBoxHandler::new(&seventeen, RANDOM, 2).is_err());
        assert_eq!(
            HoneyPlayBoxHandler::new(&seventeen[..16], RANDOM, 2).unwrap().keepalive(),
            Keepalive::ResendState(KEEPALIVE)
        );
    }

    /// In a device task: the keepalive frames count too, as in the reference.
    #[tokio::test(start_paused = true)]
    async fn every_frame_counts_keepalives_included() {
        use crate::device_task::{DeviceTask, Slot, SlotChange, TaskCommand};
        let fake = Arc::new(device());
        let features = shape(&[(Vibrate, 0, 100)]);
        let handler = HoneyPlayBoxHandler::new(&features, RANDOM, 2).unwrap();
        let slots = vec![Slot { feature_index: 0, kind: Vibrate, advertised: plugboard_protocol::model::Range::new(0, 100) }];
        let task = DeviceTask::new(fake.clone(), Box::new(handler), slots, vec![], Duration::ZERO);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(task.run(rx));
        // (counter, strength) of each frame written since the last look.
        let frames = || fake.take_writes().iter().map(|write| (write.data[6], write.data[18])).collect::<Vec<_>>();
        let set = |value| TaskCommand::Set {
            changes: vec![SlotChange { slot: 0, value, duration_ms: None }],
            urgent: value == 0,
        };
        // As the reference: nothing right after the handshake; its keepalive's first frame,
        // the stopped state, comes 500 ms later and is the first to count on from the
        // handshake's counter.
        tokio::time::sleep(KEEPALIVE - Duration::from_millis(1)).await;
        assert_eq!(frames(), [], "nothing after the handshake until the keepalive is due");
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(frames(), [(2, 0)], "the stopped state, in the first command frame");
        tx.send(set(50)).unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(frames(), [(3, 50)]);
        tokio::time::sleep(KEEPALIVE - Duration::from_millis(1)).await;
        assert_eq!(frames(), [], "nothing before 500 ms of silence");
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(frames(), [(4, 50)], "the state again, in a frame of its own");
        tokio::time::sleep(KEEPALIVE).await;
        assert_eq!(frames(), [(5, 50)]);
        tx.send(set(0)).unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(frames(), [(6, 0)]);
        tokio::time::sleep(KEEPALIVE).await;
        assert_eq!(frames(), [(7, 0)], "the stopped state is kept alive too");
    }

    #[test]
    fn collector_reassembles_frames() {
        let mut collector = FrameCollector::default();
        // Split across notifications, with the header itself split and garbage first.
        assert!(collector.push(&[0xee, 0x02, 0xa5]).is_empty());
        assert!(collector.push(&REPLY[2..20]).is_empty());
        assert_eq!(collector.push(&REPLY[20..]), vec![REPLY.to_vec()]);
        // Two frames in one notification.
        let mut two = REFUSAL.to_vec();
        two.extend_from_slice(&REPLY);
        assert_eq!(collector.push(&two), vec![REFUSAL.to_vec(), REPLY.to_vec()]);
        // A candidate without the end byte is skipped and the next header found.
        let mut broken = REFUSAL.to_vec();
        broken[13] = 0x00;
        broken.extend_from_slice(&REPLY);
        assert_eq!(collector.push(&broken), vec![REPLY.to_vec()]);
        // Pure garbage leaves nothing behind.
        assert!(collector.push(&[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]).is_empty());
        assert_eq!(collector.push(&REFUSAL), vec![REFUSAL.to_vec()]);
    }

    #[test]
    fn handshake_replies() {
        assert_eq!(parse_handshake_reply(&REPLY), HandshakeReply::Random(RANDOM));
        assert_eq!(parse_handshake_reply(&REFUSAL), HandshakeReply::Failed(0x6a80));
        // Success without a full random, or no code at all: unusable.
        assert_eq!(
            parse_handshake_reply(&build_frame(TYPE, CMD_HANDSHAKE, &[0x90, 0x00, 0x01], 0)),
            HandshakeReply::Unusable
        );
        assert_eq!(parse_handshake_reply(&build_frame(TYPE, CMD_HANDSHAKE, &[0x90], 0)), HandshakeReply::Unusable);
        assert_eq!(parse_handshake_reply(&REPLY[..20]), HandshakeReply::Unusable);
    }

    fn device() -> FakeHardware {
        FakeHardware::with_endpoints("HPB-296", "aa", &[Endpoint::Tx, Endpoint::Rx, Endpoint::RxBleBattery])
    }

    #[tokio::test(start_paused = true)]
    async fn handshake_then_commands() {
        assert_eq!(HONEYPLAYBOX.name(), "honeyplaybox");
        let hw = device();
        // The reply comes in two notifications, as over a 20-byte MTU.
        hw.reply(Endpoint::Tx, &HANDSHAKE_0, Endpoint::Rx, &REPLY[..20]);
        hw.reply(Endpoint::Tx, &HANDSHAKE_0, Endpoint::Rx, &REPLY[20..]);
        let features = shape(&[(Vibrate, 0, 100)]);
        let started = Instant::now();
        let handler = HONEYPLAYBOX.initialize(&hw, Some("HPB-296"), &features).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Rx), Event::Write(wr(HANDSHAKE_0.to_vec()))]);
        assert_eq!(handler.keepalive(), Keepalive::ResendState(Duration::from_millis(500)));
        // One handshake frame: commands carry counter 2, signed with the device's random.
        let mut levels = OutputLevel::for_features(&features);
        levels[0].value = 50;
        assert_eq!(
            handler.encode(&levels, ChangeSet::ALL),
            [wr(hex("02 a5 5a 55 aa f0 02 b1 03 00 10 01 00 05 00 3c 00 00 32 6e f0 77 e1 4e b8 11 e6 03 28 08"))]
        );
        // Battery: the standard read.
        hw.set_read(Endpoint::RxBleBattery, &[61]);
        assert_eq!(handler.battery(&hw).await, Ok(61));
    }

    #[tokio::test(start_paused = true)]
    async fn the_simulated_toy_answers_the_handshake() {
        let hw = device();
        hw.simulate(simulated::Toy { random: RANDOM });
        let features = shape(&[(Vibrate, 0, 100)]);
        let handler = HONEYPLAYBOX.initialize(&hw, None, &features).await.unwrap();
        assert_eq!(handler.keepalive(), Keepalive::ResendState(KEEPALIVE));
        let mut levels = OutputLevel::for_features(&features);
        levels[0].value = 50;
        assert_eq!(
            handler.encode(&levels, ChangeSet::ALL),
            [wr(hex("02 a5 5a 55 aa f0 02 b1 03 00 10 01 00 05 00 3c 00 00 32 6e f0 77 e1 4e b8 11 e6 03 28 08"))],
            "signed with the simulated random"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn handshake_retries_with_growing_waits() {
        let hw = device();
        let handshake_1 = handshake_frame(1);
        // Only the second frame is answered.
        hw.reply(Endpoint::Tx, &handshake_1, Endpoint::Rx, &REPLY);
        let features = shape(&[(Vibrate, 0, 100)]);
        let started = Instant::now();
        let handler = HONEYPLAYBOX.initialize(&hw, None, &features).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(hw.writes(), vec![wr(HANDSHAKE_0.to_vec()), wr(handshake_1)]);
        let levels = OutputLevel::for_features(&features);
        assert_eq!(handler.encode(&levels, ChangeSet::ALL)[0].data[6], 3, "two handshake frames: counter 3");

        // Nobody answers: three frames, 1 + 2 + 3 seconds, then a timeout.
        let silent = device();
        let started = Instant::now();
        let result = HONEYPLAYBOX.initialize(&silent, None, &features).await;
        assert_eq!(result.err(), Some(ProtocolError::Timeout("honeyplaybox handshake reply")));
        assert_eq!(started.elapsed(), Duration::from_secs(6));
        assert_eq!(silent.writes(), vec![wr(HANDSHAKE_0.to_vec()), wr(handshake_frame(1)), wr(handshake_frame(2))]);
    }

    #[tokio::test(start_paused = true)]
    async fn handshake_refused_unusable_or_disconnected() {
        let features = shape(&[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        let hw = device();
        hw.reply(Endpoint::Tx, &HANDSHAKE_0, Endpoint::Rx, &REFUSAL);
        assert!(matches!(HONEYPLAYBOX.initialize(&hw, None, &features).await, Err(ProtocolError::BadReply(_))));
        assert_eq!(hw.writes().len(), 1, "a refusal is final");

        // An unusable reply (success, no random) is ignored; a later good one is taken.
        let hw = device();
        hw.reply(Endpoint::Tx, &HANDSHAKE_0, Endpoint::Rx, &build_frame(TYPE, CMD_HANDSHAKE, &[0x90, 0x00], 0));
        hw.reply(Endpoint::Tx, &HANDSHAKE_0, Endpoint::Rx, &REPLY);
        assert!(HONEYPLAYBOX.initialize(&hw, None, &features).await.is_ok());

        let hw = Arc::new(device());
        let device = hw.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            device.drop_connection();
        });
        let result = HONEYPLAYBOX.initialize(&*hw, None, &features).await;
        assert_eq!(result.err(), Some(ProtocolError::Hardware(HardwareError::Disconnected)));

        // A bad definition is refused before talking to the device.
        let hw = self::device();
        assert!(matches!(
            HONEYPLAYBOX.initialize(&hw, None, &[feature(0, &[])]).await,
            Err(ProtocolError::Definition(_))
        ));
        assert!(hw.events().is_empty());
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

    /// The first handshake frame.
    const HANDSHAKE: &[u8] = &[
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x00, 0xb1, 0x01, 0x00, 0x02, 0x00, 0x10, 0x03, 0x36, 0x86,
    ];

    /// Its answer: success, session random 10 11 .. 1f.
    const REPLY: &[u8] = &[
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x00, 0xb1, 0x01, 0x00, 0x12, 0x90, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14,
        0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x03, 0x55, 0x0b,
    ];

    /// `frame` with frame counter `counter` (byte 6, outside the CRC and the signature).
    const fn at<const N: usize>(counter: u8, mut frame: [u8; N]) -> [u8; N] {
        frame[6] = counter;
        frame
    }

    /// One output at 50 (counter 2: one handshake frame was sent).
    const VIBRATE_50: [u8; 30] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x10, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x32, 0x6e, 0xf0, 0x77, 0xe1, 0x4e, 0xb8, 0x11, 0xe6, 0x03, 0x28, 0x08,
    ];

    /// One output at 0.
    const ONE_STOPPED: [u8; 30] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x10, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x00, 0x88, 0xd8, 0x4e, 0x12, 0x09, 0x03, 0xde, 0x95, 0x03, 0xd1, 0x12,
    ];

    /// Two outputs at 30 and 100.
    const AT_30_100: [u8; 38] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x1e, 0x11, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x64, 0x17, 0x78, 0x3f, 0xaf, 0x5e, 0xd1, 0x24, 0x02, 0x03,
        0xe7, 0x1d,
    ];

    /// Two outputs at 60 and 20.
    const AT_60_20: [u8; 38] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x3c, 0x11, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x14, 0xf1, 0x36, 0x2d, 0x83, 0x70, 0x6c, 0x4a, 0x92, 0x03,
        0x5d, 0xc7,
    ];

    /// Vibrate 40 and constrict level 3 (sent as 103).
    const AT_40_103: [u8; 38] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x28, 0x11, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x67, 0x92, 0xe2, 0x66, 0x84, 0xa6, 0x08, 0x8a, 0x04, 0x03,
        0xd9, 0x38,
    ];

    /// Two outputs at 60 and 0.
    const AT_60_0: [u8; 38] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x3c, 0x11, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x00, 0xcf, 0x8a, 0x1e, 0xd1, 0x76, 0xc8, 0xc4, 0x6b, 0x03,
        0x88, 0x9f,
    ];

    /// Vibrate 0 and constrict level 3 (sent as 103).
    const AT_0_103: [u8; 38] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x00, 0x11, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x67, 0x21, 0xf1, 0x6a, 0xab, 0x26, 0x22, 0xb3, 0x69, 0x03,
        0xce, 0xc1,
    ];

    /// Two outputs at 0.
    const TWO_STOPPED: [u8; 38] = [
        0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02, 0xb1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00,
        0x00, 0x11, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x2c, 0xf8, 0x58, 0xee, 0x4c, 0x51, 0xb7, 0x26, 0x03,
        0x8f, 0x71,
    ];

    /// The device answers the first handshake frame with [`REPLY`].
    fn handshake(device: &FakeHardware) {
        device.reply(Endpoint::Tx, HANDSHAKE, Endpoint::Rx, REPLY);
    }

    pub(crate) static VECTORS: &[Vector] = &[
        // The frame counter starts at 2 after one handshake frame and counts every frame.
        Vector::new(&HONEYPLAYBOX, Some("HPB-0520"), &[
            Set(&[(0, Vibrate, 50)], &[tx_with_response(&VIBRATE_50)]),
            Stop(&[tx_with_response(&at(3, ONE_STOPPED))]),
        ])
        .answering(handshake),
        Vector::new(&HONEYPLAYBOX, Some("HPB-296"), &[
            Set(&[(0, Vibrate, 30), (1, Vibrate, 100)], &[tx_with_response(&AT_30_100)]),
            Stop(&[tx_with_response(&at(3, TWO_STOPPED))]),
        ])
        .answering(handshake),
        // Rotation is sent as its speed.
        Vector::new(&HONEYPLAYBOX, Some("HPB-376-1"), &[
            Set(&[(0, Rotate, 60)], &[tx_with_response(&AT_60_0)]),
            Set(&[(1, Oscillate, 20)], &[tx_with_response(&at(3, AT_60_20))]),
            Stop(&[tx_with_response(&at(4, TWO_STOPPED))]),
        ])
        .answering(handshake),
        Vector::new(&HONEYPLAYBOX, Some("HPB-274"), &[
            Set(&[(1, Constrict, 3)], &[tx_with_response(&AT_0_103)]),
            Set(&[(0, Vibrate, 40)], &[tx_with_response(&at(3, AT_40_103))]),
            Stop(&[tx_with_response(&at(4, TWO_STOPPED))]),
        ])
        .answering(handshake),
    ];
}
