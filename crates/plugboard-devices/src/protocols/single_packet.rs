//! The shape most protocols share, written once: a device that takes one packet for each
//! output that changed (or one packet carrying every output whenever any changed), always on
//! the same endpoint with the same write type, after at most a few fixed init writes, with or
//! without a keepalive.
//!
//! Such a protocol is a [`SinglePacket`] static, a description plus one small function that
//! builds a packet, and needs no [`Protocol`] or [`DeviceHandler`] implementation of its own:
//!
//! ```text
//! pub static PICOBONG: SinglePacket = SinglePacket {
//!     name: "picobong",
//!     outputs: Outputs::of(&[OutputType::Vibrate]).at_most(1),
//!     endpoint: Endpoint::Tx,
//!     with_response: false,
//!     init: &[],
//!     packets: Packets::PerOutput(packet),
//!     keepalive: Keepalive::None,
//! };
//!
//! /// `01 01 S`, or `01 ff 00` for 0.
//! fn packet(level: &OutputLevel) -> Vec<u8> { ... }
//! ```
//!
//! A device that counts its packets (a rolling frame number in each) takes
//! [`Packets::NumberedPerOutput`]: the packet function also gets the packet's [`FrameNumber`].
//!
//! A protocol that sends single packets but learns something at connect time that its packets
//! depend on (Foreo's mode byte comes from the device's name) implements [`Protocol`] itself and
//! builds its handler with [`SinglePacketHandler::new`] and an [`Encoder`] closure. Anything
//! else (several writes per output, replies, per-device state decided by a handshake) keeps
//! full control through [`Protocol`] and [`DeviceHandler`].

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    find_level, lookup, Advertisement, ChangeSet, DeviceHandler, FrameNumber, Keepalive, OutputLevel, Protocol,
    ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// A protocol described by data; see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct SinglePacket {
    /// The device-config protocol name.
    pub name: &'static str,
    /// The outputs a device definition may have. A definition with any other output is refused
    /// at connect, before anything is written.
    pub outputs: Outputs,
    /// Where every packet goes.
    pub endpoint: Endpoint,
    /// Whether packets are written with response.
    pub with_response: bool,
    /// Written in this order by [`Protocol::initialize`], each to its own endpoint.
    pub init: &'static [FixedWrite],
    /// How output levels become packets.
    pub packets: Packets,
    /// Whether the device stops unless packets are repeated.
    pub keepalive: Keepalive,
}

/// How a [`SinglePacket`] protocol turns levels into packets.
#[derive(Debug, Clone, Copy)]
pub enum Packets {
    /// One packet for each output that changed, built from that output alone (its feature
    /// index, type, value and history are in the [`OutputLevel`]).
    PerOutput(fn(&OutputLevel) -> Vec<u8>),
    /// One packet carrying every output of the device, written whenever any of them changed.
    /// The function gets the device's outputs in feature-index order.
    WholeState(fn(&[OutputLevel]) -> Vec<u8>),
    /// As [`Packets::PerOutput`], for devices that count their packets: the function also gets
    /// the packet's [`FrameNumber`] (see "Rolling counters" in `protocols/mod.rs`).
    NumberedPerOutput(fn(&OutputLevel, FrameNumber) -> Vec<u8>),
}

/// A write known when the code is written: an init packet, or an expected write in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedWrite {
    pub endpoint: Endpoint,
    pub with_response: bool,
    pub data: &'static [u8],
}

impl FixedWrite {
    pub fn write(&self) -> Write {
        Write { endpoint: self.endpoint, data: self.data.to_vec(), with_response: self.with_response }
    }
}

/// `data` written to `tx` without response.
pub const fn tx(data: &'static [u8]) -> FixedWrite {
    FixedWrite { endpoint: Endpoint::Tx, with_response: false, data }
}

/// `data` written to `tx` with response.
pub const fn tx_with_response(data: &'static [u8]) -> FixedWrite {
    FixedWrite { endpoint: Endpoint::Tx, with_response: true, data }
}

/// `data` written to any endpoint.
pub const fn write_to(endpoint: Endpoint, with_response: bool, data: &'static [u8]) -> FixedWrite {
    FixedWrite { endpoint, with_response, data }
}

/// Which outputs a device definition may have: at least one, of the given types, and
/// optionally at most so many, on low enough feature indices, or one of each type.
#[derive(Debug, Clone, Copy)]
pub struct Outputs {
    kinds: &'static [OutputType],
    most: usize,
    last_feature: u32,
    one_per_type: bool,
}

impl Outputs {
    /// Any number of outputs of these types (`Constrict` and `Inflate` are one output type), on
    /// any feature.
    pub const fn of(kinds: &'static [OutputType]) -> Outputs {
        Outputs { kinds, most: usize::MAX, last_feature: u32::MAX, one_per_type: false }
    }

    /// At most `count` outputs in all.
    pub const fn at_most(self, count: usize) -> Outputs {
        Outputs { most: count, ..self }
    }

    /// Outputs only on features `0..=index` (for packets that carry the feature index).
    pub const fn up_to_feature(self, index: u32) -> Outputs {
        Outputs { last_feature: index, ..self }
    }

    /// At most one output of each type (for packets that say the type but not the feature).
    pub const fn one_per_type(self) -> Outputs {
        Outputs { one_per_type: true, ..self }
    }

    /// The outputs of `features` as (feature index, type), in feature-index order, if they are
    /// acceptable; `protocol` names the protocol in the error otherwise.
    pub fn check(&self, protocol: &str, features: &[Feature]) -> Result<Vec<(u32, OutputType)>, ProtocolError> {
        let mut slots: Vec<(u32, OutputType)> = features
            .iter()
            .flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output.kind)))
            .collect();
        slots.sort_by_key(|&(index, _)| index);
        let refuse = |why: String| Err(ProtocolError::Definition(format!("{protocol} {why}")));
        if let Some((_, kind)) = slots.iter().find(|(_, kind)| !self.kinds.iter().any(|k| same_type(*k, *kind))) {
            return refuse(format!("has no command for {kind:?} outputs"));
        }
        if let Some((index, _)) = slots.iter().find(|(index, _)| *index > self.last_feature) {
            return refuse(format!("has no command for outputs on feature {index}"));
        }
        if slots.is_empty() {
            return refuse("needs at least one output".into());
        }
        if slots.len() > self.most {
            return refuse(format!("drives at most {} outputs, the definition has {}", self.most, slots.len()));
        }
        if self.one_per_type {
            for (i, (_, kind)) in slots.iter().enumerate() {
                if slots[..i].iter().any(|(_, earlier)| same_type(*earlier, *kind)) {
                    return refuse(format!("drives one {kind:?} output, the definition has more"));
                }
            }
        }
        Ok(slots)
    }
}

fn same_type(a: OutputType, b: OutputType) -> bool {
    let canonical = |kind| if kind == OutputType::Inflate { OutputType::Constrict } else { kind };
    canonical(a) == canonical(b)
}

impl SinglePacket {
    /// The handler for a device with these features, without any I/O: what
    /// [`Protocol::initialize`] returns after the init writes.
    pub fn handler(&self, features: &[Feature]) -> Result<SinglePacketHandler, ProtocolError> {
        let encoder = match self.packets {
            Packets::PerOutput(packet) => Encoder::PerOutput(Box::new(packet)),
            Packets::WholeState(packet) => Encoder::WholeState(Box::new(packet)),
            Packets::NumberedPerOutput(packet) => Encoder::NumberedPerOutput(Box::new(packet)),
        };
        let handler =
            SinglePacketHandler::new(self.name, &self.outputs, features, self.endpoint, self.with_response, encoder)?;
        Ok(handler.with_keepalive(self.keepalive))
    }
}

impl Protocol for SinglePacket {
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
            let handler = self.handler(features)?;
            for write in self.init {
                hw.write(write.write()).await?;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// A [`SinglePacket`] protocol whose every device identifies as one model, whatever it
/// advertises: for devices whose advertised names carry a per-unit suffix, so that a user's
/// settings for the toy do not depend on it.
#[derive(Debug, Clone, Copy)]
pub struct FixedIdentifier {
    /// The identifier of every device of the protocol.
    pub identifier: &'static str,
    /// The rest of the protocol.
    pub packets: &'static SinglePacket,
}

impl Protocol for FixedIdentifier {
    fn name(&self) -> &'static str {
        self.packets.name
    }

    fn identify<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move { Ok(Some(self.identifier.to_owned())) })
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        self.packets.initialize(hw, identifier, features)
    }
}

/// Builds the packet of one output (see [`Packets::PerOutput`]).
pub type OutputPacket = Box<dyn Fn(&OutputLevel) -> Vec<u8> + Send + Sync>;
/// Builds the packet of the whole state (see [`Packets::WholeState`]).
pub type StatePacket = Box<dyn Fn(&[OutputLevel]) -> Vec<u8> + Send + Sync>;
/// Builds the numbered packet of one output (see [`Packets::NumberedPerOutput`]).
pub type NumberedOutputPacket = Box<dyn Fn(&OutputLevel, FrameNumber) -> Vec<u8> + Send + Sync>;

/// How a [`SinglePacketHandler`] builds packets: the functions of [`Packets`], or closures that
/// hold something learned at connect time.
pub enum Encoder {
    PerOutput(OutputPacket),
    WholeState(StatePacket),
    NumberedPerOutput(NumberedOutputPacket),
}

/// The encoder of one device of a single-packet protocol.
pub struct SinglePacketHandler {
    /// The outputs, in feature-index order.
    slots: Vec<(u32, OutputType)>,
    endpoint: Endpoint,
    with_response: bool,
    encoder: Encoder,
    keepalive: Keepalive,
}

impl SinglePacketHandler {
    /// A handler writing `encoder`'s packets to `endpoint` for a device with these features,
    /// which `outputs` must accept (`protocol` names the protocol in the error otherwise). No
    /// keepalive unless [`SinglePacketHandler::with_keepalive`] says so.
    pub fn new(
        protocol: &str,
        outputs: &Outputs,
        features: &[Feature],
        endpoint: Endpoint,
        with_response: bool,
        encoder: Encoder,
    ) -> Result<SinglePacketHandler, ProtocolError> {
        let slots = outputs.check(protocol, features)?;
        Ok(SinglePacketHandler { slots, endpoint, with_response, encoder, keepalive: Keepalive::None })
    }

    pub fn with_keepalive(self, keepalive: Keepalive) -> SinglePacketHandler {
        SinglePacketHandler { keepalive, ..self }
    }

    fn write(&self, data: Vec<u8>) -> Write {
        Write { endpoint: self.endpoint, data, with_response: self.with_response }
    }
}

impl SinglePacketHandler {
    /// The outputs in `changed`, in feature-index order.
    fn changed<'a>(&'a self, levels: &'a [OutputLevel], changed: ChangeSet) -> impl Iterator<Item = &'a OutputLevel> {
        self.slots.iter().filter_map(move |&slot| match lookup(levels, changed, slot) {
            (Some(level), true) => Some(level),
            _ => None,
        })
    }
}

impl DeviceHandler for SinglePacketHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        self.encode_numbered(levels, changed, FrameNumber::FIRST)
    }

    fn encode_numbered(&self, levels: &[OutputLevel], changed: ChangeSet, first: FrameNumber) -> Vec<Write> {
        match &self.encoder {
            Encoder::PerOutput(packet) => {
                self.changed(levels, changed).map(|level| self.write(packet(level))).collect()
            }
            Encoder::NumberedPerOutput(packet) => self
                .changed(levels, changed)
                .enumerate()
                .map(|(n, level)| self.write(packet(level, first.plus(n))))
                .collect(),
            Encoder::WholeState(packet) => {
                if !self.slots.iter().any(|&slot| lookup(levels, changed, slot).1) {
                    return Vec::new();
                }
                let state: Vec<OutputLevel> = self
                    .slots
                    .iter()
                    .map(|&(index, kind)| {
                        find_level(levels, index, kind).map_or(OutputLevel::new(index, kind), |i| levels[i])
                    })
                    .collect();
                vec![self.write(packet(&state))]
            }
        }
    }

    fn keepalive(&self) -> Keepalive {
        self.keepalive
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn marker(level: &OutputLevel) -> Vec<u8> {
        vec![level.feature_index as u8, level.value as u8]
    }

    fn values(levels: &[OutputLevel]) -> Vec<u8> {
        levels.iter().map(|level| level.value as u8).collect()
    }

    static PER_OUTPUT: SinglePacket = SinglePacket {
        name: "per-output",
        outputs: Outputs::of(&[Vibrate, Constrict]).up_to_feature(2),
        endpoint: Endpoint::TxVibrate,
        with_response: true,
        init: &[tx(&[0x01]), write_to(Endpoint::TxMode, false, &[0x02, 0x03])],
        packets: Packets::PerOutput(marker),
        keepalive: Keepalive::None,
    };

    static WHOLE_STATE: SinglePacket = SinglePacket {
        name: "whole-state",
        outputs: Outputs::of(&[Vibrate, Rotate]).at_most(3).one_per_type(),
        endpoint: Endpoint::Tx,
        with_response: false,
        init: &[],
        packets: Packets::WholeState(values),
        keepalive: Keepalive::RepeatLast(std::time::Duration::from_millis(250)),
    };

    #[test]
    fn per_output_packets_in_feature_order() {
        let features = vec![feature(2, &[(Inflate, 0, 5)]), feature(0, &[(Vibrate, 0, 20)])];
        let mut toy = Sim::new(Box::new(PER_OUTPUT.handler(&features).unwrap()), &features);
        let write = |data: &[u8]| Write::with_response(Endpoint::TxVibrate, data.to_vec());
        assert_eq!(toy.set(2, Constrict, 3), [write(&[2, 3])]);
        assert_eq!(toy.flush(&[(2, Inflate, 4), (0, Vibrate, 9)]), [write(&[0, 9]), write(&[2, 4])]);
        assert_eq!(toy.stop(), [write(&[0, 0]), write(&[2, 0])]);
        assert_eq!(toy.stop(), []);
        assert_eq!(toy.handler.keepalive(), Keepalive::None);
    }

    #[test]
    fn whole_state_packet_when_anything_changed() {
        let features = features(&[(Rotate, -20, 20), (Vibrate, 0, 20)]);
        let mut toy = Sim::new(Box::new(WHOLE_STATE.handler(&features).unwrap()), &features);
        assert_eq!(toy.all(), [Write::without_response(Endpoint::Tx, vec![0, 0])], "keepalive seed");
        assert_eq!(toy.set(1, Vibrate, 7), [Write::without_response(Endpoint::Tx, vec![0, 7])]);
        assert_eq!(toy.stop(), [Write::without_response(Endpoint::Tx, vec![0, 0])]);
        assert_eq!(toy.stop(), []);
        assert_eq!(toy.handler.keepalive(), Keepalive::RepeatLast(std::time::Duration::from_millis(250)));
    }

    fn numbered(level: &OutputLevel, frame: FrameNumber) -> Vec<u8> {
        vec![frame.low_byte(), level.value as u8]
    }

    static NUMBERED: SinglePacket = SinglePacket {
        name: "numbered",
        outputs: Outputs::of(&[Vibrate]),
        endpoint: Endpoint::Tx,
        with_response: false,
        init: &[],
        packets: Packets::NumberedPerOutput(numbered),
        keepalive: Keepalive::None,
    };

    #[test]
    fn numbered_packets_count_on_from_the_number_given() {
        let features = features(&[(Vibrate, 0, 20), (Vibrate, 0, 20)]);
        let mut toy = Sim::new(Box::new(NUMBERED.handler(&features).unwrap()), &features);
        let write = |data: [u8; 2]| Write::without_response(Endpoint::Tx, data.to_vec());
        assert_eq!(toy.set(1, Vibrate, 5), [write([0, 5])]);
        assert_eq!(toy.flush(&[(0, Vibrate, 7), (1, Vibrate, 9)]), [write([1, 7]), write([2, 9])]);
        assert_eq!(toy.stop(), [write([3, 0]), write([4, 0])]);
        let handler = NUMBERED.handler(&features).unwrap();
        let wrapped = handler.encode_numbered(&toy.levels, ChangeSet::ALL, FrameNumber(255));
        assert_eq!(wrapped, [write([255, 0]), write([0, 0])], "the low byte wraps");
        assert_eq!(handler.encode(&toy.levels, ChangeSet::ALL), [write([0, 0]), write([1, 0])], "from the first");
    }

    #[test]
    fn definitions_are_checked() {
        assert!(PER_OUTPUT.handler(&[]).is_err(), "no outputs");
        assert!(PER_OUTPUT.handler(&[feature(0, &[])]).is_err(), "inputs only");
        assert!(PER_OUTPUT.handler(&features(&[(Rotate, 0, 5)])).is_err(), "type");
        assert!(PER_OUTPUT.handler(&[feature(3, &[(Vibrate, 0, 5)])]).is_err(), "feature index");
        assert!(PER_OUTPUT.handler(&features(&[(Vibrate, 0, 5); 3])).is_ok());
        assert!(WHOLE_STATE.handler(&features(&[(Vibrate, 0, 5), (Rotate, 0, 5)])).is_ok());
        assert!(WHOLE_STATE.handler(&features(&[(Vibrate, 0, 5); 2])).is_err(), "one per type");
        let four = vec![feature(0, &[(Vibrate, 0, 5), (Rotate, 0, 5)]), feature(1, &[(Vibrate, 0, 5)])];
        assert!(WHOLE_STATE.handler(&four).is_err());
        let error = PER_OUTPUT.handler(&features(&[(Position, 0, 5)])).err().unwrap();
        assert_eq!(
            error.to_string(),
            "device definition does not fit the protocol: per-output has no command for Position outputs"
        );
    }

    #[tokio::test]
    async fn initialize_checks_then_writes_the_init_packets() {
        let hw = FakeHardware::with_endpoints("toy", "aa", &[Endpoint::Tx, Endpoint::TxMode, Endpoint::TxVibrate]);
        let handler = PER_OUTPUT.initialize(&hw, None, &features(&[(Vibrate, 0, 5)])).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Write(Write::without_response(Endpoint::Tx, vec![0x01])),
                Event::Write(Write::without_response(Endpoint::TxMode, vec![0x02, 0x03])),
            ]
        );
        assert_eq!(handler.keepalive(), Keepalive::None);
        let untouched = FakeHardware::new("toy", "aa");
        assert!(PER_OUTPUT.initialize(&untouched, None, &[]).await.is_err());
        assert!(untouched.events().is_empty(), "a refused definition writes nothing");
        assert_eq!(PER_OUTPUT.name(), "per-output");
    }
}
