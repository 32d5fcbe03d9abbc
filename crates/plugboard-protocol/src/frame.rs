//! Frames: the JSON text of one websocket message. A frame is an array of one-key message
//! objects; several arrays back to back in one frame are accepted (docs/architecture.md, Spec versions and conversion).
//!
//! Decoding is two steps, so a session can handle the handshake before it knows the version:
//! [`split_frame`] cuts a frame into [`RawMessage`]s (name + undecoded body), then
//! [`RawMessage::decode_client`] decodes one for the negotiated [`SpecVersion`]. Nothing here
//! panics on any input; every failure is a [`DecodeError`] with the best Id that can be read.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{DecodeError, DecodeErrorKind};
use crate::messages::*;
use crate::SpecVersion;

/// One message of a frame, not yet decoded.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub name: String,
    pub body: Box<RawValue>,
}

/// Cuts a frame into its messages. One result per message, in order; a frame that is not
/// JSON, not an array, or an empty array yields a single error. Malformed elements become
/// errors in their place, so the well-formed messages around them are still answered.
pub fn split_frame(text: &str) -> Vec<Result<RawMessage, DecodeError>> {
    split_frame_limited(text, usize::MAX).unwrap_or_default()
}

/// A frame that holds more messages than a server accepts in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyMessages {
    /// The limit.
    pub max: usize,
    /// How many messages were counted before giving up (more than `max`; the rest is not read).
    pub counted: usize,
}

/// Like [`split_frame`], but a frame of more than `max_messages` results (messages, and errors
/// in their place) is refused as a whole before any message body is copied out of it.
///
/// The frame is read as raw JSON: each array is cut into its elements, and each element into
/// its one key and its body, without building a tree of values. A body is parsed once, when it
/// is decoded into its message type.
pub fn split_frame_limited(
    text: &str,
    max_messages: usize,
) -> Result<Vec<Result<RawMessage, DecodeError>>, TooManyMessages> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    let mut arrays = 0usize;
    let too_many = |counted: usize| TooManyMessages { max: max_messages, counted };
    loop {
        let next = match stream.next() {
            None => break,
            Some(next) => next,
        };
        arrays += 1;
        // Every array (or stray value) adds at least one result: `[][][]...` counts too.
        if out.len() >= max_messages {
            return Err(too_many(out.len() + 1));
        }
        let value = match next {
            Ok(value) => value,
            Err(e) => {
                out.push(Err(DecodeError::new(0, DecodeErrorKind::InvalidJson(e.to_string()))));
                break;
            }
        };
        if !value.get().starts_with('[') {
            out.push(Err(DecodeError::new(0, DecodeErrorKind::NotAnArray)));
            continue;
        }
        let room = max_messages - out.len();
        let items = match read_elements(value, room) {
            Ok(Elements::Within(items)) => items,
            Ok(Elements::Beyond(counted)) => return Err(too_many(out.len() + counted)),
            // The stream already found a whole array, so this cannot fail; if it did, it is
            // reported like any JSON error.
            Err(e) => {
                out.push(Err(DecodeError::new(0, DecodeErrorKind::InvalidJson(e.to_string()))));
                continue;
            }
        };
        if items.is_empty() {
            out.push(Err(DecodeError::new(0, DecodeErrorKind::EmptyArray)));
            continue;
        }
        out.extend(items.into_iter().map(split_element));
    }
    if arrays == 0 {
        out.push(Err(DecodeError::new(0, DecodeErrorKind::InvalidJson("the frame is empty".into()))));
    }
    Ok(out)
}

/// The Ids of a frame's messages, read without decoding anything else: what a server needs to
/// answer messages it refuses whatever they say (a client over its message rate). The Ids are
/// those [`split_frame_limited`] then [`RawMessage::id`] would give.
///
/// Only the plain shape is read this way: one array of one-key objects, each body an object
/// with one whole-number `Id`, no key given twice, at most `max_messages` of them, and no stop
/// among them (a stop is never refused for the rate: see [`is_stop`]). `None` for anything else
/// (the caller then splits the frame as usual, which answers every oddity and runs the stops).
pub fn message_ids(text: &str, max_messages: usize) -> Option<Vec<u32>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let ids = serde::de::DeserializeSeed::deserialize(IdsWithin { room: max_messages }, &mut deserializer).ok()?;
    deserializer.end().ok()?;
    (!ids.is_empty()).then_some(ids)
}

/// Whether a message of this name is a stop (`StopDeviceCmd`, `StopAllDevices`, `StopCmd`).
/// A server holds no stop back: not for a client's message rate, not behind other commands
/// (docs/architecture.md, "Safety").
pub fn is_stop(name: &str) -> bool {
    matches!(name, "StopDeviceCmd" | "StopAllDevices" | "StopCmd")
}

/// Reads an array of messages for their Ids, giving up past `room` of them.
struct IdsWithin {
    room: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for IdsWithin {
    type Value = Vec<u32>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for IdsWithin {
    type Value = Vec<u32>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an array of messages")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ids = Vec::new();
        while let Some(IdOfMessage(id)) = seq.next_element()? {
            if ids.len() == self.room {
                return Err(serde::de::Error::custom("too many messages"));
            }
            ids.push(id);
        }
        Ok(ids)
    }
}

/// `{"Name": {"Id": n, ...}}`, read for `n` alone.
struct IdOfMessage(u32);

impl<'de> Deserialize<'de> for IdOfMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = IdOfMessage;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("an object with one key")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // A name with escapes cannot be borrowed: not the plain shape.
                let Some(name) = map.next_key::<&'de str>()? else {
                    return Err(serde::de::Error::custom("no key"));
                };
                if is_stop(name) {
                    return Err(serde::de::Error::custom("a stop is read whole"));
                }
                let IdOfBody(id) = map.next_value()?;
                match map.next_key::<serde::de::IgnoredAny>()? {
                    None => Ok(IdOfMessage(id)),
                    Some(_) => Err(serde::de::Error::custom("more than one key")),
                }
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A body's `Id`: there once, a whole number that fits in a u32 (other keys are not read).
struct IdOfBody(u32);

impl<'de> Deserialize<'de> for IdOfBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = IdOfBody;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a message body with an Id")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut id = None;
                // A key with escapes cannot be borrowed: not the plain shape.
                while let Some(key) = map.next_key::<&'de str>()? {
                    if key != "Id" {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    } else if id.replace(map.next_value::<u32>()?).is_some() {
                        return Err(serde::de::Error::custom("Id given twice"));
                    }
                }
                id.map(IdOfBody).ok_or_else(|| serde::de::Error::custom("no Id"))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// An array's elements as raw JSON, borrowed from the frame.
enum Elements<'a> {
    Within(Vec<&'a RawValue>),
    /// More than there was room for: how many there were (counted, not kept).
    Beyond(usize),
}

/// Cuts a raw array into its elements, keeping at most `room` of them.
fn read_elements(array: &RawValue, room: usize) -> serde_json::Result<Elements<'_>> {
    let mut deserializer = serde_json::Deserializer::from_str(array.get());
    let elements = serde::de::DeserializeSeed::deserialize(ElementsWithin { room }, &mut deserializer)?;
    deserializer.end()?;
    Ok(elements)
}

/// Reads an array's elements up to `room`, then only counts the rest.
struct ElementsWithin {
    room: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for ElementsWithin {
    type Value = Elements<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ElementsWithin {
    type Value = Elements<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an array of messages")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            if items.len() == self.room {
                let mut counted = items.len() + 1;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    counted += 1;
                }
                return Ok(Elements::Beyond(counted));
            }
            items.push(item);
        }
        Ok(Elements::Within(items))
    }
}

/// One element of a frame: `{"Name": body}`. A key given twice counts once, the last body
/// winning, as in any JSON object read into a map.
struct OneKey<'a> {
    name: String,
    body: &'a RawValue,
}

impl<'de> Deserialize<'de> for OneKey<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OneKeyVisitor)
    }
}

struct OneKeyVisitor;

impl<'de> serde::de::Visitor<'de> for OneKeyVisitor {
    type Value = OneKey<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an object with one key")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(name) = map.next_key::<String>()? else {
            return Err(serde::de::Error::custom("no key"));
        };
        let mut body = map.next_value::<&'de RawValue>()?;
        while let Some(key) = map.next_key::<String>()? {
            if key != name {
                return Err(serde::de::Error::custom("more than one key"));
            }
            body = map.next_value()?;
        }
        Ok(OneKey { name, body })
    }
}

fn split_element(element: &RawValue) -> Result<RawMessage, DecodeError> {
    match serde_json::from_str::<OneKey>(element.get()) {
        Ok(OneKey { name, body }) => Ok(RawMessage { name, body: body.to_owned() }),
        Err(_) => Err(DecodeError::new(0, DecodeErrorKind::NotASingleKeyObject)),
    }
}

/// Reads `Id` out of a body that failed to decode, so the error can answer it.
fn salvage_id(body: &RawValue) -> u32 {
    #[derive(Deserialize)]
    struct AnyId {
        #[serde(rename = "Id")]
        id: Option<serde_json::Value>,
    }
    let read = |text: &str| {
        serde_json::from_str::<AnyId>(text)
            .ok()
            .and_then(|any| any.id)
            .and_then(|id| id.as_u64())
            .and_then(|id| u32::try_from(id).ok())
    };
    read(body.get()).or_else(|| normalized(body).and_then(|body| read(body.get()))).unwrap_or(0)
}

/// The body as it reads into a map of JSON values: a key given twice counts once, the last
/// value winning (the reference server reads bodies into maps). `None` for a body no map can
/// hold (a number beyond f64, nesting deeper than serde_json's limit).
fn normalized(body: &RawValue) -> Option<Box<RawValue>> {
    let value: serde_json::Value = serde_json::from_str(body.get()).ok()?;
    serde_json::value::to_raw_value(&value).ok()
}

impl RawMessage {
    /// The Id the message carries, if it can be read (0 otherwise).
    pub fn id(&self) -> u32 {
        salvage_id(&self.body)
    }

    /// Decodes the body as written; a body that does not decode that way is read again as a
    /// map would hold it ([`normalized`]), so a key given twice decodes as it does in the
    /// reference. Only failing bodies pay for the second reading.
    fn body_as<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        let error = match serde_json::from_str(self.body.get()) {
            Ok(body) => return Ok(body),
            Err(error) => error,
        };
        let error = match normalized(&self.body) {
            Some(body) => match serde_json::from_str(body.get()) {
                Ok(body) => return Ok(body),
                Err(error) => error,
            },
            None => error,
        };
        Err(DecodeError::new(
            self.id(),
            DecodeErrorKind::InvalidFields { name: self.name.clone(), detail: clean_serde_error(&error) },
        ))
    }

    /// Whether this message exists, in this direction, in `version`.
    fn check_version(&self, direction: Direction, version: SpecVersion) -> Result<(), DecodeError> {
        match message_in_version(&self.name, direction, version) {
            Some(true) => Ok(()),
            Some(false) => {
                Err(DecodeError::new(self.id(), DecodeErrorKind::NotInVersion { name: self.name.clone(), version }))
            }
            None => Err(DecodeError::new(self.id(), DecodeErrorKind::UnknownMessage(self.name.clone()))),
        }
    }

    /// Decodes a RequestServerInfo without knowing the version yet (the handshake).
    pub fn decode_handshake(&self) -> Result<RequestServerInfo, DecodeError> {
        let message: RequestServerInfo = self.body_as()?;
        if message.id == 0 {
            return Err(DecodeError::new(0, DecodeErrorKind::ZeroId(self.name.clone())));
        }
        Ok(message)
    }

    /// Decodes a client message for a session that negotiated `version`.
    pub fn decode_client(&self, version: SpecVersion) -> Result<ClientMessage, DecodeError> {
        self.check_version(Direction::ClientToServer, version)?;
        let message = match self.name.as_str() {
            "RequestServerInfo" => ClientMessage::RequestServerInfo(self.body_as()?),
            "Ping" => ClientMessage::Ping(self.body_as()?),
            "StartScanning" => ClientMessage::StartScanning(self.body_as()?),
            "StopScanning" => ClientMessage::StopScanning(self.body_as()?),
            "RequestDeviceList" => ClientMessage::RequestDeviceList(self.body_as()?),
            "StopDeviceCmd" => ClientMessage::StopDeviceCmd(self.body_as()?),
            "StopAllDevices" => ClientMessage::StopAllDevices(self.body_as()?),
            "RequestLog" => ClientMessage::RequestLog(self.body_as()?),
            "Test" => ClientMessage::Test(self.body_as()?),
            "SingleMotorVibrateCmd" => ClientMessage::SingleMotorVibrateCmd(self.body_as()?),
            "FleshlightLaunchFW12Cmd" => ClientMessage::FleshlightLaunchFw12Cmd(self.body_as()?),
            "VorzeA10CycloneCmd" => ClientMessage::VorzeA10CycloneCmd(self.body_as()?),
            "LovenseCmd" => ClientMessage::LovenseCmd(self.body_as()?),
            "KiirooCmd" => ClientMessage::KiirooCmd(self.body_as()?),
            "VibrateCmd" => ClientMessage::VibrateCmd(self.body_as()?),
            "RotateCmd" => ClientMessage::RotateCmd(self.body_as()?),
            "LinearCmd" => ClientMessage::LinearCmd(self.body_as()?),
            "BatteryLevelCmd" => ClientMessage::BatteryLevelCmd(self.body_as()?),
            "RSSILevelCmd" => ClientMessage::RssiLevelCmd(self.body_as()?),
            "RawWriteCmd" => ClientMessage::RawWriteCmd(self.body_as()?),
            "RawReadCmd" => ClientMessage::RawReadCmd(self.body_as()?),
            "RawSubscribeCmd" => ClientMessage::RawSubscribeCmd(self.body_as()?),
            "RawUnsubscribeCmd" => ClientMessage::RawUnsubscribeCmd(self.body_as()?),
            "ScalarCmd" => ClientMessage::ScalarCmd(self.body_as()?),
            "SensorReadCmd" => ClientMessage::SensorReadCmd(self.body_as()?),
            "SensorSubscribeCmd" => ClientMessage::SensorSubscribeCmd(self.body_as()?),
            "SensorUnsubscribeCmd" => ClientMessage::SensorUnsubscribeCmd(self.body_as()?),
            "StopCmd" => ClientMessage::StopCmd(self.body_as()?),
            "OutputCmd" => ClientMessage::OutputCmd(self.body_as()?),
            "InputCmd" => ClientMessage::InputCmd(self.body_as()?),
            "Disconnect" => ClientMessage::Disconnect(self.body_as()?),
            other => return Err(DecodeError::new(self.id(), DecodeErrorKind::UnknownMessage(other.to_owned()))),
        };
        if let ClientMessage::RequestServerInfo(rsi) = &message {
            check_handshake_shape(rsi, version).map_err(|detail| {
                DecodeError::new(rsi.id, DecodeErrorKind::InvalidFields { name: self.name.clone(), detail })
            })?;
        }
        validate_client(&message)?;
        Ok(message)
    }

    /// Decodes a server message as a client speaking `version` would (used by clients and tests).
    pub fn decode_server(&self, version: SpecVersion) -> Result<ServerMessage, DecodeError> {
        self.check_version(Direction::ServerToClient, version)?;
        let name = self.name.as_str();
        use SpecVersion::*;
        Ok(match name {
            "Ok" => ServerMessage::Ok(self.body_as()?),
            "Error" => ServerMessage::Error(self.body_as()?),
            "ServerInfo" => {
                let info: ServerInfo = self.body_as()?;
                let expected = ServerInfo::for_version(version, info.id, &info.server_name, info.max_ping_time);
                let same_shape = info.message_version.is_some() == expected.message_version.is_some()
                    && info.major_version.is_some() == expected.major_version.is_some()
                    && info.minor_version.is_some() == expected.minor_version.is_some()
                    && info.build_version.is_some() == expected.build_version.is_some()
                    && info.protocol_version_major.is_some() == expected.protocol_version_major.is_some()
                    && info.protocol_version_minor.is_some() == expected.protocol_version_minor.is_some();
                if !same_shape {
                    return Err(DecodeError::new(
                        info.id,
                        DecodeErrorKind::InvalidFields {
                            name: self.name.clone(),
                            detail: format!("the fields do not match the spec {version} shape"),
                        },
                    ));
                }
                ServerMessage::ServerInfo(info)
            }
            "ScanningFinished" => ServerMessage::ScanningFinished(self.body_as()?),
            "DeviceList" => ServerMessage::DeviceList(match version {
                V0 => DeviceList::V0(self.body_as()?),
                V1 => {
                    let list: DeviceListBody<Vec<DeviceV2>> = self.body_as()?;
                    self.reject_step_counts(list.devices.iter())?;
                    DeviceList::V1(list)
                }
                V2 => DeviceList::V2(self.body_as()?),
                V3 => DeviceList::V3(self.body_as()?),
                V4 => DeviceList::V4(self.body_as()?),
            }),
            "DeviceAdded" => ServerMessage::DeviceAdded(match version {
                V0 => DeviceAdded::V0(self.device_added_as()?),
                V1 => {
                    let added: DeviceAddedBody<DeviceV2> = self.device_added_as()?;
                    self.reject_step_counts(std::iter::once(&added.device))?;
                    DeviceAdded::V1(added)
                }
                V2 => DeviceAdded::V2(self.device_added_as()?),
                V3 => DeviceAdded::V3(self.device_added_as()?),
                V4 => unreachable!("DeviceAdded is not in v4; checked above"),
            }),
            "DeviceRemoved" => ServerMessage::DeviceRemoved(self.body_as()?),
            "Log" => ServerMessage::Log(self.body_as()?),
            "Test" => ServerMessage::Test(self.body_as()?),
            "BatteryLevelReading" => ServerMessage::BatteryLevelReading(self.body_as()?),
            "RSSILevelReading" => ServerMessage::RssiLevelReading(self.body_as()?),
            "RawReading" => ServerMessage::RawReading(self.body_as()?),
            "SensorReading" => ServerMessage::SensorReading(self.body_as()?),
            "InputReading" => ServerMessage::InputReading(self.body_as()?),
            other => return Err(DecodeError::new(self.id(), DecodeErrorKind::UnknownMessage(other.to_owned()))),
        })
    }

    /// DeviceAdded is `Id` plus a device's fields; decode them apart so unknown fields are
    /// still rejected (serde cannot deny unknown fields through `flatten`).
    fn device_added_as<D: DeserializeOwned>(&self) -> Result<DeviceAddedBody<D>, DecodeError> {
        let invalid = |detail: String| {
            DecodeError::new(self.id(), DecodeErrorKind::InvalidFields { name: self.name.clone(), detail })
        };
        let mut map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(self.body.get()).map_err(|e| invalid(clean_serde_error(&e)))?;
        let id = map
            .remove("Id")
            .and_then(|id| id.as_u64())
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| invalid("missing or invalid field `Id`".into()))?;
        let device =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| invalid(clean_serde_error(&e)))?;
        Ok(DeviceAddedBody { id, device })
    }

    fn reject_step_counts<'a>(&self, mut devices: impl Iterator<Item = &'a DeviceV2>) -> Result<(), DecodeError> {
        if devices.any(|d| d.device_messages.values().any(|a| a.step_count.is_some())) {
            return Err(DecodeError::new(
                self.id(),
                DecodeErrorKind::InvalidFields {
                    name: self.name.clone(),
                    detail: "StepCount is not part of spec v1".into(),
                },
            ));
        }
        Ok(())
    }
}

/// Decodes a whole frame for a session that negotiated `version`.
pub fn decode_client_frame(text: &str, version: SpecVersion) -> Vec<Result<ClientMessage, DecodeError>> {
    split_frame(text).into_iter().map(|raw| raw.and_then(|raw| raw.decode_client(version))).collect()
}

/// Decodes a whole frame of server messages as a client speaking `version` would.
pub fn decode_server_frame(text: &str, version: SpecVersion) -> Vec<Result<ServerMessage, DecodeError>> {
    split_frame(text).into_iter().map(|raw| raw.and_then(|raw| raw.decode_server(version))).collect()
}

/// Encodes messages as one frame: `[{"Name":{...}}, ...]`.
pub fn encode_frame<M: Serialize>(messages: &[M]) -> String {
    // Serialising these types cannot fail: every map key is a string.
    serde_json::to_string(messages).unwrap_or_else(|e| panic!("message serialisation is infallible: {e}"))
}

/// Encodes one message as a frame of its own (what the server sends: one message per frame).
pub fn encode_message<M: Serialize>(message: &M) -> String {
    encode_frame(std::slice::from_ref(message))
}

fn check_handshake_shape(rsi: &RequestServerInfo, version: SpecVersion) -> Result<(), String> {
    let v4_fields = rsi.protocol_version_major.is_some() || rsi.protocol_version_minor.is_some();
    match version {
        SpecVersion::V0 if rsi.message_version.is_some() || v4_fields => {
            Err("spec v0 has no version fields in RequestServerInfo".into())
        }
        SpecVersion::V1 | SpecVersion::V2 | SpecVersion::V3 if v4_fields || rsi.message_version.is_none() => {
            Err(format!("spec {version} needs MessageVersion and no ProtocolVersion fields"))
        }
        SpecVersion::V4
            if rsi.message_version.is_some()
                || rsi.protocol_version_major.is_none()
                || rsi.protocol_version_minor.is_none() =>
        {
            Err("spec v4 needs ProtocolVersionMajor and ProtocolVersionMinor".into())
        }
        _ => Ok(()),
    }
}

/// serde's messages end with " at line 1 column 42"; people do not need that part.
fn clean_serde_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(pos) => text[..pos].to_owned(),
        None => text,
    }
}

/// Range and sanity checks the JSON types cannot express (the bounds of the Buttplug spec's message schema).
fn validate_client(message: &ClientMessage) -> Result<(), DecodeError> {
    let id = message.id();
    let name = message.name();
    let out_of_range =
        |detail: String| DecodeError::new(id, DecodeErrorKind::OutOfRange { name: name.to_owned(), detail });
    let unit = |what: &str, value: f64| -> Result<(), DecodeError> {
        if (0.0..=1.0).contains(&value) {
            Ok(())
        } else {
            Err(out_of_range(format!("{what} must be between 0.0 and 1.0, got {value}.")))
        }
    };
    let non_empty = |what: &str, len: usize| -> Result<(), DecodeError> {
        if len == 0 {
            Err(out_of_range(format!("{what} must list at least one entry.")))
        } else {
            Ok(())
        }
    };
    if id == 0 {
        return Err(DecodeError::new(0, DecodeErrorKind::ZeroId(name.to_owned())));
    }
    match message {
        ClientMessage::SingleMotorVibrateCmd(m) => unit("Speed", m.speed)?,
        ClientMessage::FleshlightLaunchFw12Cmd(m) if m.position > 99 || m.speed > 99 => {
            return Err(out_of_range(format!(
                "Position and Speed must be between 0 and 99, got {} and {}.",
                m.position, m.speed
            )));
        }
        // The spec's schema allows 100 although the text says 0 to 99; accept what the schema does.
        ClientMessage::VorzeA10CycloneCmd(m) if m.speed > 100 => {
            return Err(out_of_range(format!("Speed must be between 0 and 100, got {}.", m.speed)));
        }
        ClientMessage::VibrateCmd(m) => {
            non_empty("Speeds", m.speeds.len())?;
            for s in &m.speeds {
                unit("Speed", s.speed)?;
            }
        }
        ClientMessage::RotateCmd(m) => {
            non_empty("Rotations", m.rotations.len())?;
            for r in &m.rotations {
                unit("Speed", r.speed)?;
            }
        }
        ClientMessage::LinearCmd(m) => {
            non_empty("Vectors", m.vectors.len())?;
            for v in &m.vectors {
                unit("Position", v.position)?;
            }
        }
        ClientMessage::ScalarCmd(m) => {
            non_empty("Scalars", m.scalars.len())?;
            for s in &m.scalars {
                unit("Scalar", s.scalar)?;
            }
        }
        ClientMessage::RawWriteCmd(m) => non_empty("Data", m.data.len())?,
        _ => {}
    }
    Ok(())
}
