//! The Handy over BLE: protobuf
//! messages, encoded by hand (the few messages needed do not justify a protobuf dependency;
//! see [`pb`]). Every command is written with response to `tx`.
//!
//! # `thehandy` (firmware 3, "handyplug")
//!
//! No identify, no init. A move to position P (0..=100) in D ms is one `Payload` holding one
//! `LinearCmd` (id 2, device 0) with one vector (index 0, duration D, position P / 100 as a
//! double):
//!
//! | message | field | number | wire |
//! |---|---|---|---|
//! | Payload | messages (repeated Message) | 1 | len |
//! | Message | oneof: Ok 100, Error 101, Ping 102, RequestServerInfo 200, ServerInfo 201, LinearCmd 403 | | len |
//! | LinearCmd | id / device_index / vectors (repeated) | 1 / 2 / 3 | varint / varint / len |
//! | Vector | index / duration (ms) / position (0..1) | 1 / 2 / 3 | varint / varint / 64-bit |
//!
//! P = 50, 500 ms: `0a 13 9a 19 10 08 02 1a 0c 10 f4 03 19 00 00 00 00 00 00 e0 3f`.
//! As everywhere in proto3, zero values are left out (position 0 has no position field).
//! The reference defines a `Ping` (id 999, [`HANDYPLUG_PING`]) as a keepalive only where the
//! OS requires one (iOS); Plugboard has no keepalive for either generation.
//!
//! # `thehandy-v3` (firmware 4+, RPC)
//!
//! * Identify: the BLE name `OHD_hwN_…`; the identifier is its second `_` field (`hw1` The Oh!,
//!   `hw3` Handy 2, `hw4` Handy 2 Pro); a name with fewer than three fields gives the defaults.
//! * Init: subscribe to `rx`, then write (without response) a battery-get request (id 1) and a
//!   capabilities-get request (id 2), each followed by waiting for one notification on `rx`.
//!   The replies are not needed (the reference only logs them); Plugboard waits at most
//!   [`REPLY_TIMEOUT`] for each and carries on without one, where the reference waits forever.
//! * Commands: `RpcMessage { type: 1 (request), request: Request { id, params } }` with
//!   `RequestHdspXpTSet` (744: xp = P / 100 as a float, t = D ms, stop_on_target false) for a
//!   move, `RequestHvpSet` (900: amplitude = S / 100 as a float, frequency 100 Hz, position 0)
//!   for vibration S (The Oh!, 0..=100) and `RequestHvpStop` (901) for vibration 0.
//!
//! | message | field | number | wire |
//! |---|---|---|---|
//! | RpcMessage | type / request | 1 / 2 | varint / len |
//! | Request | id / battery-get 710 / capabilities-get 713 / HdspXpTSet 744 / HvpSet 900 / HvpStop 901 | 2 / … | varint / len |
//! | RequestHdspXpTSet | xp / t / stop_on_target | 1 / 2 / 3 | 32-bit / varint / varint |
//! | RequestHvpSet | amplitude / frequency / position | 1 / 2 / 3 | 32-bit / varint / 32-bit |
//!
//! Request ids: every request carries an id of its own. The init requests are 1 and 2, the
//! commands count on from [`FIRST_COMMAND_ID`] (3), one per request: the device task numbers
//! the writes ([`FrameNumber`]; see "Rolling counters" in `protocols/mod.rs`) and the encoder
//! adds that number. The reference numbers its command requests with a counter of its own too
//! (starting again at 0, so its first ids repeat the init requests'); ids pair a request with
//! its response, and responses are not read.
//!
//! Stops: a stop leaves positions alone (nothing is sent to a stroker); the Oh!'s vibration is
//! stopped with `RequestHvpStop`.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{
    clamp_byte, lookup, next_data, Advertisement, ChangeSet, DeviceHandler, FrameNumber, OutputLevel, Protocol,
    ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The `thehandy-v3` init: how long to wait for each reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// The request id of the first `thehandy-v3` command after connecting (init requests use 1 and
/// 2); each later request's is one more.
pub const FIRST_COMMAND_ID: u32 = 3;
/// The highest position (and vibration) level.
pub const MAX_LEVEL: u8 = 100;
/// The handyplug keepalive ping (id 999) the reference uses on iOS only; not sent by Plugboard.
pub const HANDYPLUG_PING: [u8; 8] = [0x0a, 0x06, 0xb2, 0x06, 0x03, 0x08, 0xe7, 0x07];

/// A minimal proto3 writer: varints, 32/64-bit floats and nested messages, fields in the
/// order written, zero scalars left out (as proto3 and the reference's encoder do).
pub mod pb {
    const VARINT: u32 = 0;
    const FIXED64: u32 = 1;
    const LEN: u32 = 2;
    const FIXED32: u32 = 5;

    pub fn varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
        varint(out, u64::from((field << 3) | wire));
    }

    /// A varint field (uint32, bool, enum); left out when 0.
    pub fn uint(out: &mut Vec<u8>, field: u32, value: u64) {
        if value != 0 {
            key(out, field, VARINT);
            varint(out, value);
        }
    }

    /// A double field; left out when 0.
    pub fn double(out: &mut Vec<u8>, field: u32, value: f64) {
        if value != 0.0 {
            key(out, field, FIXED64);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A float field; left out when 0.
    pub fn float(out: &mut Vec<u8>, field: u32, value: f32) {
        if value != 0.0 {
            key(out, field, FIXED32);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A nested message field (always written, also when empty: it selects a oneof case).
    pub fn message(out: &mut Vec<u8>, field: u32, body: &[u8]) {
        key(out, field, LEN);
        varint(out, body.len() as u64);
        out.extend_from_slice(body);
    }
}

// ---------------------------------------------------------------------------------------------
// Firmware 3: handyplug

/// `thehandy` (firmware 3).
#[derive(Debug, Clone, Copy, Default)]
pub struct TheHandy;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&THEHANDY, &THEHANDY_V3];

/// `thehandy`.
pub static THEHANDY: TheHandy = TheHandy;

impl Protocol for TheHandy {
    fn name(&self) -> &'static str {
        "thehandy"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(TheHandyHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The handyplug `Payload` with one `LinearCmd` moving to `position` (0..=100) in `duration_ms`.
pub fn handyplug_linear(position: i32, duration_ms: u32) -> Vec<u8> {
    let mut vector = Vec::new();
    pb::uint(&mut vector, 1, 0); // index
    pb::uint(&mut vector, 2, u64::from(duration_ms));
    pb::double(&mut vector, 3, f64::from(clamp_byte(position, MAX_LEVEL)) / 100.0);
    let mut linear = Vec::new();
    pb::uint(&mut linear, 1, 2); // id
    pb::uint(&mut linear, 2, 0); // device_index
    pb::message(&mut linear, 3, &vector);
    let mut message = Vec::new();
    pb::message(&mut message, 403, &linear);
    let mut payload = Vec::new();
    pb::message(&mut payload, 1, &message);
    payload
}

/// The encoder of a firmware-3 Handy: one position-with-duration output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TheHandyHandler {
    slot: (u32, OutputType),
}

impl TheHandyHandler {
    pub fn new(features: &[Feature]) -> Result<TheHandyHandler, ProtocolError> {
        let slots = slots(features);
        match slots.as_slice() {
            [slot @ (_, OutputType::HwPositionWithDuration)] => Ok(TheHandyHandler { slot: *slot }),
            _ => Err(ProtocolError::Definition(format!(
                "thehandy supports one position-with-duration output, got {slots:?}"
            ))),
        }
    }
}

impl DeviceHandler for TheHandyHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        match lookup(levels, changed, self.slot) {
            (Some(level), true) => {
                vec![Write::with_response(Endpoint::Tx, handyplug_linear(level.value, level.duration_ms.unwrap_or(0)))]
            }
            _ => Vec::new(),
        }
    }
}

fn slots(features: &[Feature]) -> Vec<(u32, OutputType)> {
    features.iter().flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output.kind))).collect()
}

// ---------------------------------------------------------------------------------------------
// Firmware 4+: RPC

/// `thehandy-v3` (firmware 4 and later).
#[derive(Debug, Clone, Copy, Default)]
pub struct TheHandyV3;

/// `thehandy-v3`.
pub static THEHANDY_V3: TheHandyV3 = TheHandyV3;

/// The identifier in an `OHD_hwN_…` name: the second `_`-separated field, if there are at
/// least three.
pub fn v3_identifier_from_name(name: &str) -> Option<String> {
    let fields: Vec<&str> = name.split('_').collect();
    (fields.len() > 2).then(|| fields[1].to_owned())
}

/// `RpcMessage { type: request, request: Request { id, <field>: params } }`.
pub fn rpc_request(id: u32, field: u32, params: &[u8]) -> Vec<u8> {
    let mut request = Vec::new();
    pb::uint(&mut request, 2, u64::from(id));
    pb::message(&mut request, field, params);
    let mut rpc = Vec::new();
    pb::uint(&mut rpc, 1, 1); // MESSAGE_TYPE_REQUEST
    pb::message(&mut rpc, 2, &request);
    rpc
}

/// `Request` oneof field numbers.
pub mod request {
    pub const BATTERY_GET: u32 = 710;
    pub const CAPABILITIES_GET: u32 = 713;
    pub const HDSP_XP_T_SET: u32 = 744;
    pub const HVP_SET: u32 = 900;
    pub const HVP_STOP: u32 = 901;
}

/// The move request `id`: position 0..=100 in `duration_ms`, not stopping on target.
pub fn v3_move(id: u32, position: i32, duration_ms: u32) -> Vec<u8> {
    let mut params = Vec::new();
    pb::float(&mut params, 1, f32::from(clamp_byte(position, MAX_LEVEL)) / 100.0);
    pb::uint(&mut params, 2, u64::from(duration_ms));
    pb::uint(&mut params, 3, 0); // stop_on_target: false
    rpc_request(id, request::HDSP_XP_T_SET, &params)
}

/// The vibration request `id` for level 0..=100: `HvpSet` at 100 Hz, or `HvpStop` for 0.
pub fn v3_vibrate(id: u32, level: i32) -> Vec<u8> {
    let level = clamp_byte(level, MAX_LEVEL);
    if level == 0 {
        return rpc_request(id, request::HVP_STOP, &[]);
    }
    let mut params = Vec::new();
    pb::float(&mut params, 1, f32::from(level) / 100.0);
    pb::uint(&mut params, 2, 100);
    pb::float(&mut params, 3, 0.0);
    rpc_request(id, request::HVP_SET, &params)
}

impl Protocol for TheHandyV3 {
    fn name(&self) -> &'static str {
        "thehandy-v3"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            let name = advertisement.name_or(hw);
            Ok(v3_identifier_from_name(name))
        })
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = TheHandyV3Handler::new(features)?;
            let mut notifications = hw.notifications();
            hw.subscribe(Endpoint::Rx).await?;
            for (id, field) in [(1, request::BATTERY_GET), (2, request::CAPABILITIES_GET)] {
                hw.write(Write::without_response(Endpoint::Tx, rpc_request(id, field, &[]))).await?;
                let deadline = Instant::now() + REPLY_TIMEOUT;
                if next_data(&mut notifications, Endpoint::Rx, deadline).await?.is_none() {
                    tracing::debug!(name = hw.name(), id, "thehandy-v3: no reply to init request, carrying on");
                }
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of a firmware-4 Handy: a position-with-duration output (the strokers) and/or a
/// vibrate output (The Oh!).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TheHandyV3Handler {
    position: Option<(u32, OutputType)>,
    vibrate: Option<(u32, OutputType)>,
}

impl TheHandyV3Handler {
    pub fn new(features: &[Feature]) -> Result<TheHandyV3Handler, ProtocolError> {
        let (mut position, mut vibrate) = (None, None);
        for slot in slots(features) {
            let place = match slot.1 {
                OutputType::HwPositionWithDuration => &mut position,
                OutputType::Vibrate => &mut vibrate,
                kind => return Err(ProtocolError::Definition(format!("thehandy-v3 has no command for {kind:?}"))),
            };
            if place.replace(slot).is_some() {
                return Err(ProtocolError::Definition(format!("thehandy-v3 supports one {:?} output", slot.1)));
            }
        }
        if position.is_none() && vibrate.is_none() {
            return Err(ProtocolError::Definition("thehandy-v3 device without outputs".into()));
        }
        Ok(TheHandyV3Handler { position, vibrate })
    }
}

impl DeviceHandler for TheHandyV3Handler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        self.encode_numbered(levels, changed, FrameNumber::FIRST)
    }

    fn encode_numbered(&self, levels: &[OutputLevel], changed: ChangeSet, first: FrameNumber) -> Vec<Write> {
        let id = |n: usize| FIRST_COMMAND_ID.wrapping_add(first.plus(n).0);
        let mut requests = Vec::new();
        if let Some((Some(level), true)) = self.vibrate.map(|slot| lookup(levels, changed, slot)) {
            requests.push(v3_vibrate(id(requests.len()), level.value));
        }
        if let Some((Some(level), true)) = self.position.map(|slot| lookup(levels, changed, slot)) {
            requests.push(v3_move(id(requests.len()), level.value, level.duration_ms.unwrap_or(0)));
        }
        requests.into_iter().map(|request| Write::with_response(Endpoint::Tx, request)).collect()
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use plugboard_protocol::model::{Output, Range};

    use super::super::test_support::{feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn stroker() -> Vec<Feature> {
        let mut f = feature(0, &[]);
        f.outputs.push(Output {
            kind: HwPositionWithDuration,
            range: Range::new(0, 100),
            duration: Some(Range::new(0, 100000)),
        });
        vec![f]
    }

    fn w(data: &[u8]) -> Write {
        Write::with_response(Endpoint::Tx, data.to_vec())
    }

    #[test]
    fn names() {
        assert_eq!(THEHANDY.name(), "thehandy");
        assert_eq!(THEHANDY_V3.name(), "thehandy-v3");
    }

    #[test]
    fn varints() {
        let encode = |value| {
            let mut out = Vec::new();
            pb::varint(&mut out, value);
            out
        };
        assert_eq!(encode(0), [0x00]);
        assert_eq!(encode(127), [0x7f]);
        assert_eq!(encode(128), [0x80, 0x01]);
        assert_eq!(encode(500), [0xf4, 0x03]);
        assert_eq!(encode(100000), [0xa0, 0x8d, 0x06]);
    }

    #[test]
    fn handyplug_moves() {
        // Worked example: P = 50 in 500 ms.
        assert_eq!(
            handyplug_linear(50, 500),
            [
                0x0a, 0x13, 0x9a, 0x19, 0x10, 0x08, 0x02, 0x1a, 0x0c, 0x10, 0xf4, 0x03, 0x19, 0, 0, 0, 0, 0, 0, 0xe0,
                0x3f
            ]
        );
        // Position 100 (1.0 = 3ff0000000000000) in 100000 ms.
        assert_eq!(
            handyplug_linear(100, 100000),
            [
                0x0a, 0x14, 0x9a, 0x19, 0x11, 0x08, 0x02, 0x1a, 0x0d, 0x10, 0xa0, 0x8d, 0x06, 0x19, 0, 0, 0, 0, 0, 0,
                0xf0, 0x3f
            ]
        );
        // Position 0: no position field; 0 ms: no duration field.
        assert_eq!(handyplug_linear(0, 250), [0x0a, 0x0a, 0x9a, 0x19, 0x07, 0x08, 0x02, 0x1a, 0x03, 0x10, 0xfa, 0x01]);
        assert_eq!(handyplug_linear(0, 0), [0x0a, 0x07, 0x9a, 0x19, 0x04, 0x08, 0x02, 0x1a, 0x00]);
        // Clamped to 100.
        assert_eq!(handyplug_linear(250, 100000), handyplug_linear(100, 100000));
        // Position 25 = 0.25 = 3fd0000000000000.
        assert_eq!(handyplug_linear(25, 1)[11..], [0x19, 0, 0, 0, 0, 0, 0, 0xd0, 0x3f]);
    }

    #[test]
    fn handyplug_ping_layout() {
        // Payload { Message { Ping (102) { id: 999 } } }.
        let mut ping = Vec::new();
        pb::uint(&mut ping, 1, 999);
        let mut message = Vec::new();
        pb::message(&mut message, 102, &ping);
        let mut payload = Vec::new();
        pb::message(&mut payload, 1, &message);
        assert_eq!(payload, HANDYPLUG_PING);
    }

    #[tokio::test]
    async fn thehandy_moves_without_init() {
        let hw = FakeHardware::with_endpoints("The Handy", "aa", &[Endpoint::Tx, Endpoint::Firmware]);
        let features = stroker();
        let handler = THEHANDY.initialize(&hw, Some("The Handy"), &features).await.unwrap();
        assert!(hw.events().is_empty(), "no init");
        assert_eq!(handler.keepalive(), Keepalive::None);
        let mut handy = Sim::new(handler, &features);
        assert_eq!(
            handy.flush_with_duration(&[(0, HwPositionWithDuration, 50, Some(500))]),
            [w(&handyplug_linear(50, 500))]
        );
        assert_eq!(
            handy.flush_with_duration(&[(0, HwPositionWithDuration, 0, Some(250))]),
            [w(&[0x0a, 0x0a, 0x9a, 0x19, 0x07, 0x08, 0x02, 0x1a, 0x03, 0x10, 0xfa, 0x01])]
        );
        assert!(handy.stop().is_empty(), "a stop leaves the position alone");
        // No duration given: an immediate move.
        assert_eq!(
            handy.flush(&[(0, HwPositionWithDuration, 100)]),
            [w(&[0x0a, 0x10, 0x9a, 0x19, 0x0d, 0x08, 0x02, 0x1a, 0x09, 0x19, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])]
        );
    }

    #[test]
    fn thehandy_definitions() {
        assert!(TheHandyHandler::new(&stroker()).is_ok());
        assert!(TheHandyHandler::new(&[]).is_err());
        assert!(TheHandyHandler::new(&features(&[(Vibrate, 0, 100)])).is_err());
        let mut two = stroker();
        two.extend(features(&[(Vibrate, 0, 100)]));
        assert!(TheHandyHandler::new(&two).is_err());
    }

    #[test]
    fn v3_identifiers() {
        assert_eq!(v3_identifier_from_name("OHD_hw4_1A2B").as_deref(), Some("hw4"));
        assert_eq!(v3_identifier_from_name("OHD_hw1_x_y").as_deref(), Some("hw1"));
        assert_eq!(v3_identifier_from_name("OHD_hw3"), None);
        assert_eq!(v3_identifier_from_name("The Handy"), None);
    }

    #[tokio::test]
    async fn v3_identify_uses_the_advertised_name_then_the_hardware_name() {
        let hw = FakeHardware::new("OHD_hw3_CAFE", "aa");
        let advertised = Advertisement::named("OHD_hw1_BEEF");
        assert_eq!(THEHANDY_V3.identify(&hw, &advertised).await.unwrap().as_deref(), Some("hw1"));
        assert_eq!(THEHANDY_V3.identify(&hw, &Advertisement::default()).await.unwrap().as_deref(), Some("hw3"));
        assert!(hw.events().is_empty());
    }

    #[test]
    fn v3_requests() {
        // RpcMessage { type 1, request { id 1, battery-get (710) {} } }.
        assert_eq!(rpc_request(1, request::BATTERY_GET, &[]), [0x08, 0x01, 0x12, 0x05, 0x10, 0x01, 0xb2, 0x2c, 0x00]);
        assert_eq!(
            rpc_request(2, request::CAPABILITIES_GET, &[]),
            [0x08, 0x01, 0x12, 0x05, 0x10, 0x02, 0xca, 0x2c, 0x00]
        );
        // Move to 25 in 1500 ms: xp 0.25 (3e800000), t 1500.
        assert_eq!(
            v3_move(3, 25, 1500),
            [0x08, 0x01, 0x12, 0x0d, 0x10, 0x03, 0xc2, 0x2e, 0x08, 0x0d, 0x00, 0x00, 0x80, 0x3e, 0x10, 0xdc, 0x0b]
        );
        // Move to 0 in 0 ms: an empty HdspXpTSet.
        assert_eq!(v3_move(3, 0, 0), [0x08, 0x01, 0x12, 0x05, 0x10, 0x03, 0xc2, 0x2e, 0x00]);
        // Move to 100 (1.0 = 3f800000) in 100000 ms; clamped above 100.
        let full = [
            0x08, 0x01, 0x12, 0x0e, 0x10, 0x03, 0xc2, 0x2e, 0x09, 0x0d, 0x00, 0x00, 0x80, 0x3f, 0x10, 0xa0, 0x8d, 0x06,
        ];
        assert_eq!(v3_move(3, 100, 100000), full);
        assert_eq!(v3_move(3, 300, 100000), full);
        // Vibrate 50: amplitude 0.5 (3f000000), frequency 100.
        assert_eq!(
            v3_vibrate(3, 50),
            [0x08, 0x01, 0x12, 0x0c, 0x10, 0x03, 0xa2, 0x38, 0x07, 0x0d, 0x00, 0x00, 0x00, 0x3f, 0x10, 0x64]
        );
        // Vibrate 0: HvpStop (901).
        assert_eq!(v3_vibrate(3, 0), [0x08, 0x01, 0x12, 0x05, 0x10, 0x03, 0xaa, 0x38, 0x00]);
        assert_eq!(v3_vibrate(3, -5), v3_vibrate(3, 0));
        // Ids from 128 take two varint bytes.
        assert_eq!(v3_vibrate(300, 0), [0x08, 0x01, 0x12, 0x06, 0x10, 0xac, 0x02, 0xaa, 0x38, 0x00]);
    }

    #[test]
    fn v3_stroker_and_oh() {
        let features = stroker();
        let mut handy2 = Sim::new(Box::new(TheHandyV3Handler::new(&features).unwrap()), &features);
        assert_eq!(
            handy2.flush_with_duration(&[(0, HwPositionWithDuration, 25, Some(1500))]),
            [w(&v3_move(3, 25, 1500))]
        );
        assert_eq!(
            handy2.flush_with_duration(&[(0, HwPositionWithDuration, 75, Some(500))]),
            [w(&v3_move(4, 75, 500))],
            "each request has an id of its own"
        );
        assert!(handy2.stop().is_empty());

        let oh_features = features_oh();
        let mut oh = Sim::new(Box::new(TheHandyV3Handler::new(&oh_features).unwrap()), &oh_features);
        assert_eq!(oh.set(0, Vibrate, 50), [w(&v3_vibrate(3, 50))]);
        assert_eq!(
            oh.set(0, Vibrate, 100),
            [w(&[0x08, 0x01, 0x12, 0x0c, 0x10, 0x04, 0xa2, 0x38, 0x07, 0x0d, 0x00, 0x00, 0x80, 0x3f, 0x10, 0x64])]
        );
        assert_eq!(oh.stop(), [w(&[0x08, 0x01, 0x12, 0x05, 0x10, 0x05, 0xaa, 0x38, 0x00])]);
        assert!(oh.stop().is_empty());
    }

    fn features_oh() -> Vec<Feature> {
        features(&[(Vibrate, 0, 100)])
    }

    #[test]
    fn v3_definitions() {
        assert!(TheHandyV3Handler::new(&[]).is_err());
        assert!(TheHandyV3Handler::new(&features(&[(Vibrate, 0, 100); 2])).is_err());
        assert!(TheHandyV3Handler::new(&features(&[(Rotate, -100, 100)])).is_err());
        let mut both = stroker();
        both.extend(vec![feature(1, &[(Vibrate, 0, 100)])]);
        let handler = TheHandyV3Handler::new(&both).unwrap();
        let mut sim = Sim::new(Box::new(handler), &both);
        assert_eq!(
            sim.flush_with_duration(&[(1, Vibrate, 50, None), (0, HwPositionWithDuration, 25, Some(1500))]),
            [w(&v3_vibrate(3, 50)), w(&v3_move(4, 25, 1500))]
        );
    }

    #[tokio::test]
    async fn v3_init_asks_battery_and_capabilities() {
        let hw = FakeHardware::new("OHD_hw3_CAFE", "aa");
        let battery = rpc_request(1, request::BATTERY_GET, &[]);
        let capabilities = rpc_request(2, request::CAPABILITIES_GET, &[]);
        // Responses (type 3) as the device sends them: id 1 with battery level 80, id 2 with
        // empty capabilities. Their content is not used.
        let battery_reply = [0x08, 0x03, 0x22, 0x09, 0x08, 0x01, 0xb2, 0x2c, 0x04, 0x0a, 0x02, 0x08, 0x50];
        let capabilities_reply = [0x08, 0x03, 0x22, 0x05, 0x08, 0x02, 0xca, 0x2c, 0x00];
        hw.reply(Endpoint::Tx, &battery, Endpoint::Rx, &battery_reply);
        hw.reply(Endpoint::Tx, &capabilities, Endpoint::Rx, &capabilities_reply);
        let started = Instant::now();
        let features = stroker();
        let handler = THEHANDY_V3.initialize(&hw, Some("hw3"), &features).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Subscribe(Endpoint::Rx),
                Event::Write(Write::without_response(Endpoint::Tx, battery)),
                Event::Write(Write::without_response(Endpoint::Tx, capabilities)),
            ]
        );
        assert!(started.elapsed() < REPLY_TIMEOUT, "answered at once, no waiting");
        assert_eq!(handler.keepalive(), Keepalive::None);
    }

    #[tokio::test(start_paused = true)]
    async fn v3_init_carries_on_without_replies() {
        let hw = FakeHardware::new("OHD_hw1_BEEF", "aa");
        let features = features_oh();
        let started = Instant::now();
        let handler = THEHANDY_V3.initialize(&hw, Some("hw1"), &features).await.unwrap();
        assert_eq!(started.elapsed(), REPLY_TIMEOUT * 2);
        assert_eq!(hw.writes().len(), 2);
        let levels = [OutputLevel { value: 50, ..OutputLevel::new(0, Vibrate) }];
        assert_eq!(handler.encode(&levels, ChangeSet::ALL), [w(&v3_vibrate(3, 50))]);
    }

    #[tokio::test]
    async fn v3_init_fails_without_rx() {
        let hw = FakeHardware::with_endpoints("OHD_hw3_CAFE", "aa", &[Endpoint::Tx]);
        assert!(THEHANDY_V3.initialize(&hw, Some("hw3"), &stroker()).await.is_err());
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
        // Firmware 3: a handyplug Payload with one LinearCmd (50 % in 500 ms).
        Vector::new(&THEHANDY, None, &[
            Move(&[(0, 50, 500)], &[tx_with_response(&[
                0x0a, 0x13, 0x9a, 0x19, 0x10, 0x08, 0x02, 0x1a, 0x0c, 0x10, 0xf4, 0x03, 0x19, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0xe0, 0x3f,
            ])]),
            Move(&[(0, 100, 100000)], &[tx_with_response(&[
                0x0a, 0x14, 0x9a, 0x19, 0x11, 0x08, 0x02, 0x1a, 0x0d, 0x10, 0xa0, 0x8d, 0x06, 0x19, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0xf0, 0x3f,
            ])]),
            Stop(&[]),
        ]),
        // Firmware 4: RPC requests with ids from 3; the init requests go unanswered here.
        Vector::new(&THEHANDY_V3, Some("hw3"), &[
            Move(&[(0, 25, 1500)], &[tx_with_response(&[
                0x08, 0x01, 0x12, 0x0d, 0x10, 0x03, 0xc2, 0x2e, 0x08, 0x0d, 0x00, 0x00, 0x80, 0x3e, 0x10, 0xdc, 0x0b,
            ])]),
            Stop(&[]),
        ]),
        // The Oh!: HvpSet at 100 Hz, HvpStop for 0; the id (byte 5) counts the requests.
        Vector::new(&THEHANDY_V3, Some("hw1"), &[
            Set(&[(0, Vibrate, 50)], &[tx_with_response(&[
                0x08, 0x01, 0x12, 0x0c, 0x10, 0x03, 0xa2, 0x38, 0x07, 0x0d, 0x00, 0x00, 0x00, 0x3f, 0x10, 0x64,
            ])]),
            Stop(&[tx_with_response(&[0x08, 0x01, 0x12, 0x05, 0x10, 0x04, 0xaa, 0x38, 0x00])]),
        ]),
    ];
}
