//! Protocol families: how output levels become bytes, and the talkative parts around that.
//!
//! A protocol (one per device-config protocol name, see [`all`] and [`by_name`]) is a
//! stateless [`Protocol`]; a family file implements one or several related protocols. The
//! connect pipeline uses one like this:
//!
//! ```text
//! let protocol = protocols::by_name("lovense")?;
//! let identifier = protocol.identify(&*hw, &advertisement).await?;   // may query the device
//! let features = /* definition lookup by (protocol.name(), identifier) */;
//! let handler = protocol.initialize_advertised(&*hw, &advertisement, identifier.as_deref(), &features).await?;
//! // the device task from here on:
//! let mut levels = OutputLevel::for_features(&features);
//! ... levels[i].value = v; changed.insert(i);
//! for write in handler.encode(&levels, changed) { hw.write(write).await; }
//! for i in changed { levels[i].commit(); }
//! ```
//!
//! # Who owns what
//!
//! * The **device task** owns the output state: one [`OutputLevel`] per output of the device
//!   (including the small history encoders need, [`OutputLevel::last_nonzero`]) and the set of
//!   outputs changed since the last flush ([`ChangeSet`]).
//! * A [`DeviceHandler`] (made once per connected device by [`Protocol::initialize`]) holds only
//!   immutable facts decided at connect time (which encoding a Lovense uses, which output is a
//!   WeVibe's internal motor). Its [`DeviceHandler::encode`] is a pure function of its
//!   arguments: no I/O, no interior mutability, no atomics. Encoders of whole-state packets
//!   (WeVibe, Satisfyer, Lovense `Mply`) therefore read the other outputs from the state they
//!   are given rather than remembering them.
//! * A device that needs writes over time (a loop stepping a machine's speed, a stroker glided
//!   toward a position, a pump switched off a second later, a frame counter) keeps that state in
//!   a [`HandlerState`] the device task owns and lends to each call; the task runs the ticks
//!   the handler asks for. [`timed`] has the contract.
//!
//! # Inputs
//!
//! Inputs other than a battery read go through the device task too. While a client subscribes
//! to an input, the task subscribes to the endpoint [`DeviceHandler::input_endpoint`] names;
//! every notification goes through [`DeviceHandler::decode_input`] (pure), and the task keeps
//! the last reading of each input and forwards the ones that changed to subscribers. A device
//! that pushes its battery level ([`DeviceHandler::pushed_battery_endpoint`]) has its battery
//! reads answered from the last level it pushed.
//!
//! # Batching without command ids
//!
//! The reference engine tags every write with "command ids" so that its message-gap batching
//! can let a newer packet replace an older pending one (and never merge a Lovense
//! `RotateChange;`). With pure, whole-state encoders that is not needed: the device task should
//! batch *state* (latest value per output wins; [`ChangeSet`] accumulates) and call `encode`
//! once when the window closes. The result is the same latest-wins behaviour, direction toggles
//! are computed against what was really written, and [`Write`] stays a plain packet.
//!
//! # Stops and keepalive
//!
//! A stop is no special encoding: the device task sets every output whose
//! [`OutputType::stops_at_zero`] to 0, marks the ones that were not 0 already as changed, and
//! encodes. For [`Keepalive::RepeatLast`] the task encodes the all-zero state with
//! [`ChangeSet::ALL`] right after initialize, writes it (seeding the packet to repeat), and
//! repeats the last written packets whenever nothing was written for the period.
//! [`Keepalive::ResendState`] encodes the whole state again each time instead of repeating
//! bytes, so that every packet gets a number of its own; it needs no seed, and its first frame,
//! the stopped state, goes out one period after initialize. For
//! [`Keepalive::WhileRunning`] it encodes the running outputs again whenever nothing was
//! written for the period, as long as anything runs. A time-driven handler is told which
//! flush is a stop ([`Flush::stop`]) and ends its loops in it.
//!
//! # Rolling counters
//!
//! Some devices want a counter in every packet (a frame number, a request id) that moves on with
//! each one. An encoder keeps no counter: the device task numbers the writes it makes through
//! [`DeviceHandler::encode_numbered`] from 0 at connect ([`FrameNumber`]), and passes the number
//! of the first write of each encode. The encoder puts that number (or its own start plus it)
//! into the packets, so the same arguments still give the same bytes and a test can show any
//! point of the sequence.
//!
//! # Adding a protocol
//!
//! 1. **One file**, `protocols/<family>.rs` (a family file may hold several related
//!    protocols). Its module docs give the byte table: every packet, init write, keepalive and
//!    reply, and where it deliberately differs from the reference. A protocol that writes one
//!    packet per changed output, or one packet with every output, to one endpoint, after fixed
//!    init writes, is a [`single_packet::SinglePacket`] static plus one small packet function
//!    (`amorelie.rs`, `zalo.rs`); anything that reads, waits for answers or decides facts at
//!    connect implements [`Protocol`] and [`DeviceHandler`] itself (`lovense.rs`), and a device
//!    driven over time implements [`DeviceHandler::flush`] and [`DeviceHandler::tick`] instead
//!    of `encode` (`fmachine.rs`; see [`timed`]). The file
//!    exposes `pub static PROTOCOLS: &[&dyn Protocol] = &[&FOO];` and ends with the `vectors`
//!    module of step 4 (empty until then). The protocol's name, spelt as in the reference
//!    device database, is written once: in [`Protocol::name`] (the `name` field of a
//!    `SinglePacket`).
//! 2. **One line**: the file's module name in `families!` below, in alphabetical order. From
//!    then on [`all`], [`names`], [`by_name`], `plugboard-engine --list-protocols` and the
//!    database reader know the protocol.
//! 3. **The database**: run `scripts/import-reference-device-config.sh`. It rewrites
//!    `device-config/plugboard-devices.json` with every registered protocol and all its models,
//!    and prints the coverage figures `device-config/README.md` quotes (update them and the
//!    protocol list there). Commit the regenerated file; after a merge, regenerate it rather
//!    than merging it by hand.
//! 4. **The vectors**: at the end of the file, after its unit tests,
//!
//!    ```text
//!    #[cfg(test)]
//!    pub(crate) mod vectors {
//!        use plugboard_protocol::model::OutputType::*;
//!
//!        use super::*;
//!        use crate::protocols::test_vectors::*;
//!
//!        pub(crate) static VECTORS: &[Vector] = &[
//!            Vector::new(&FOO, Some("<model identifier>"), &[
//!                Set(&[(0, Vibrate, 20)], &[tx(&[0x01, 0x14])]),
//!                Set(&[(1, Rotate, -5)], &[tx(&[0x02, 0x05]), tx(&[0x03, 0x01])]),
//!                Stop(&[tx(&[0x01, 0x00]), tx(&[0x02, 0x00])]),
//!            ]),
//!        ];
//!    }
//!    ```
//!
//!    A vector names a model of the database (`None`: the protocol's defaults), whose features
//!    the test takes from the database; its steps are `Set` (feature index, type, value),
//!    `Move` (feature index, position, duration in ms), `Stop`, each with the exact writes
//!    (`tx`, `tx_with_response`, `write_to(endpoint, with_response, bytes)`), or `Ignored`
//!    with the reason an accepted output is not driven. The fake device is named after the
//!    model and has every endpoint the database names; `.endpoints(&[..])` gives it fewer,
//!    `.answering(fn)` scripts what it answers during `initialize` (reads, replies to writes,
//!    notifications on subscribe; a `testing::SimulatedDevice` for answers computed from what
//!    is written), and `.advertising(&[(company, data)])` gives it manufacturer data. If the file has an item named like one of `test_vectors`
//!    (`tx`), import that one by name. Take the expected bytes from the reference
//!    implementation's byte layouts, never from what the encoder happens to write.
//! 5. **The check**: `cargo test -p plugboard-devices protocols`. Besides the file's own tests,
//!    `test_vectors` runs every vector through the protocol's real `initialize` and `encode`,
//!    and fails unless, for every registered protocol: it is in the database; every output
//!    type of its models and defaults is set by some step that sets outputs of that type only
//!    (to a non-zero value) and expects writes, or is declared `Ignored`; and every such type
//!    appears in a stop vector, a `Stop` taken while every output of the model runs. A `Stop`
//!    that expects no write while anything but a position or a spray runs is an error in
//!    itself. A registered protocol without vectors does not count as implemented. And
//!    `every_builtin_model_fits_its_protocol` (below) initialises every model of the database
//!    with its protocol.

use std::collections::BTreeMap;
use std::time::Duration;

use plugboard_protocol::model::{Feature, InputType, OutputType, Reading};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Notification, Write};

/// Declares the protocol family modules and collects what each one registers.
///
/// Every family file named here must expose `pub static PROTOCOLS: &[&dyn Protocol]` (the
/// protocols it implements, by their statics; their names come from [`Protocol::name`] alone)
/// and, for tests, `pub(crate) mod vectors` with `pub(crate) static VECTORS: &[Vector]` (see
/// "Adding a protocol" above). A file without either does not compile.
macro_rules! families {
    ($($family:ident),* $(,)?) => {
        $(pub mod $family;)*

        /// Each family file's protocols, in the order of the list below.
        static FAMILIES: &[&[&dyn Protocol]] = &[$($family::PROTOCOLS),*];

        /// Each family file's test vectors.
        #[cfg(test)]
        static FAMILY_VECTORS: &[&[test_vectors::Vector]] = &[$($family::vectors::VECTORS),*];
    };
}

// One line per family file.
families! {
    activejoy,
    adrienlastic,
    amorelie,
    aneros,
    ankni,
    bananasome,
    cachito,
    connect_only,
    cowgirl,
    cowgirl_cone,
    cueme,
    cupido,
    deepsire,
    feelingso,
    fleshy_thrust,
    fluffer,
    fmachine,
    foreo,
    fox,
    fredorch,
    fredorch_rotary,
    galaku,
    hgod,
    hismith,
    honeyplaybox,
    htk_bm,
    itoys,
    jejoue,
    joyhub,
    kgoal_boost,
    kiiroo,
    kiiroo_v1,
    kiiroo_v3,
    kizuna,
    lelo,
    leten,
    libo,
    lioness,
    loob,
    lovedistance,
    lovehoney_desire,
    lovense,
    lovenuts,
    luvmazer,
    magic_motion,
    mannuo,
    maxpro,
    meese,
    mizzzee,
    mizzzee_v3,
    monsterpub,
    motorbunny,
    muse,
    mysteryvibe,
    nextlevelracing,
    nexus_revo,
    nobra,
    omobo,
    ossm,
    patoo,
    picobong,
    pink_punch,
    prettylove,
    realov,
    sakuraneko,
    satisfyer,
    sayberx,
    sensee,
    serveu,
    sexverse,
    sexverse_lg389,
    sexverse_v3,
    sexverse_v6,
    svakom,
    svakom_models,
    synchro,
    tcode_v03,
    thehandy,
    tryfun,
    tryfun_blackhole,
    tryfun_meta2,
    umove,
    utimi,
    vibcrafter,
    vibratissimo,
    vorze,
    wetoy,
    wevibe,
    xibao,
    xiuxiuda,
    xuanhuan,
    yiciyuan,
    youcups,
    youou,
    zalo,
}

pub(crate) mod aes_ecb;
#[cfg(any(test, feature = "testing"))]
pub mod simulated_devices;
pub mod single_packet;
pub mod timed;
pub mod virtual_protocol;

pub use timed::{Flush, HandlerState, Timed};

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
pub(crate) mod test_vectors;

/// The engine's own virtual devices: registered under `virtual`, which is not a protocol of the
/// device database (so neither in [`all`] nor in [`names`]).
static VIRTUAL: virtual_protocol::VirtualProtocol = virtual_protocol::VirtualProtocol;

/// Every implemented protocol of the device database, family by family.
pub fn all() -> impl Iterator<Item = &'static dyn Protocol> {
    FAMILIES.iter().flat_map(|family| family.iter().copied())
}

/// The device database names of the implemented protocols (what `--list-protocols` prints).
pub fn names() -> impl Iterator<Item = &'static str> {
    all().map(|protocol| protocol.name())
}

/// The protocol registered under a device-config protocol name (one of [`names`], or
/// `"virtual"` for the engine's virtual devices).
pub fn by_name(name: &str) -> Option<&'static dyn Protocol> {
    if name == VIRTUAL.name() {
        return Some(&VIRTUAL);
    }
    all().find(|protocol| protocol.name() == name)
}

/// What a transport saw of a device before connecting. BLE fills everything it has; serial and
/// websocket transports give just a name ([`Advertisement::named`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advertisement {
    /// The advertised local name (BLE) or the name the transport knows the device by.
    pub name: String,
    /// Manufacturer-specific data by company id.
    pub manufacturer_data: BTreeMap<u16, Vec<u8>>,
}

impl Advertisement {
    pub fn named(name: &str) -> Advertisement {
        Advertisement { name: name.to_owned(), manufacturer_data: BTreeMap::new() }
    }

    /// The device's name: the advertised one, or the hardware's own when nothing was
    /// advertised. Protocols that tell models apart by name identify with this.
    pub fn name_or<'a>(&'a self, hw: &'a dyn Hardware) -> &'a str {
        if self.name.is_empty() {
            hw.name()
        } else {
            &self.name
        }
    }
}

/// The state of one output, owned by the device task and read by encoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLevel {
    pub feature_index: u32,
    pub kind: OutputType,
    /// The level to put out now, in the device's steps (after user limits). Signed for
    /// bidirectional outputs (rotation direction is the sign).
    pub value: i32,
    /// Only for [`OutputType::HwPositionWithDuration`]: how long the move should take.
    pub duration_ms: Option<u32>,
    /// The last non-zero `value` that was encoded and written (0: none since connect). The
    /// device task updates it with [`OutputLevel::commit`] after each flush; encoders use it
    /// for "which way is the motor turning right now" (Lovense `RotateChange;`).
    pub last_nonzero: i32,
    /// The last `value` that was encoded and written, zero included (0 before anything was):
    /// where a stroker is, for encoders whose speed depends on the distance moved (Kiiroo,
    /// Vorze Piston).
    pub last_written: i32,
}

impl OutputLevel {
    /// An output at rest, with no history.
    pub fn new(feature_index: u32, kind: OutputType) -> OutputLevel {
        OutputLevel { feature_index, kind, value: 0, duration_ms: None, last_nonzero: 0, last_written: 0 }
    }

    /// One level per output of the features, in the canonical order: features as given, then
    /// each feature's outputs as listed. Encoders find outputs by (feature index, type), so the
    /// order is a convention for the device task, not something encoders depend on.
    pub fn for_features(features: &[Feature]) -> Vec<OutputLevel> {
        features
            .iter()
            .flat_map(|feature| feature.outputs.iter().map(|output| OutputLevel::new(feature.index, output.kind)))
            .collect()
    }

    /// Records that the current value has been written: call after the writes of a flush, for
    /// every output that was in the flush's [`ChangeSet`].
    pub fn commit(&mut self) {
        self.last_written = self.value;
        if self.value != 0 {
            self.last_nonzero = self.value;
        }
    }
}

/// The position of the level for (feature index, type) in `levels`. `Inflate` and `Constrict`
/// are the same output (see [`OutputType`]).
pub fn find_level(levels: &[OutputLevel], feature_index: u32, kind: OutputType) -> Option<usize> {
    levels.iter().position(|level| level.feature_index == feature_index && same_kind(level.kind, kind))
}

fn same_kind(a: OutputType, b: OutputType) -> bool {
    fn canonical(kind: OutputType) -> OutputType {
        if kind == OutputType::Inflate {
            OutputType::Constrict
        } else {
            kind
        }
    }
    canonical(a) == canonical(b)
}

/// Which entries of an [`OutputLevel`] slice changed since the last flush, by position.
///
/// A 64-bit set: positions 0..=63 are tracked exactly; positions from 64 up are all treated as
/// changed whenever any of them was inserted (a spurious rewrite is harmless, a missed one is
/// not). No known device has more than a handful of outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeSet {
    bits: u64,
    high: bool,
}

impl ChangeSet {
    pub const NONE: ChangeSet = ChangeSet { bits: 0, high: false };
    /// Every output (used to seed a keepalive packet or to resend the whole state).
    pub const ALL: ChangeSet = ChangeSet { bits: u64::MAX, high: true };

    pub fn only(index: usize) -> ChangeSet {
        let mut set = ChangeSet::NONE;
        set.insert(index);
        set
    }

    pub fn insert(&mut self, index: usize) {
        if index < 64 {
            self.bits |= 1 << index;
        } else {
            self.high = true;
        }
    }

    pub fn contains(&self, index: usize) -> bool {
        if index < 64 {
            self.bits & (1 << index) != 0
        } else {
            self.high
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bits == 0 && !self.high
    }

    /// The positions in `0..len` that are in the set.
    pub fn iter(self, len: usize) -> impl Iterator<Item = usize> {
        (0..len).filter(move |&i| self.contains(i))
    }
}

impl FromIterator<usize> for ChangeSet {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> ChangeSet {
        let mut set = ChangeSet::NONE;
        for index in iter {
            set.insert(index);
        }
        set
    }
}

/// Whether the device task must rewrite packets while nothing new is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keepalive {
    /// Nothing: the device holds its state.
    None,
    /// Rewrite the last written packets whenever nothing was written for this long (the device
    /// stops by itself otherwise). Seed with a stop right after initialize.
    RepeatLast(Duration),
    /// Encode the whole state again ([`ChangeSet::ALL`]) and write it whenever nothing was
    /// written for this long: for devices that stop by themselves unless they hear from the
    /// host, and that count the packets they hear (each one needs a new [`FrameNumber`], so
    /// repeating the last bytes would not do). Not seeded: the first resend comes one period
    /// after initialize, as the reference engine's keepalive loop sends its first frame.
    ResendState(Duration),
    /// While any output that stops at zero runs, write the running outputs' packets again
    /// whenever nothing was written for this long (each packet lasts about that long); nothing
    /// once everything is at rest, and no seed.
    WhileRunning(Duration),
}

/// The number the device task gives a write: every write it makes through
/// [`DeviceHandler::encode_numbered`] counts, from 0 when the device connects (wrapping at
/// 2^32). Protocols whose packets carry a rolling counter take it from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FrameNumber(pub u32);

impl FrameNumber {
    /// The first write after connecting.
    pub const FIRST: FrameNumber = FrameNumber(0);

    /// The number of the write `offset` places after this one.
    pub fn plus(self, offset: usize) -> FrameNumber {
        FrameNumber(self.0.wrapping_add(offset as u32))
    }

    /// The low byte: a counter that runs from 0 to 255 and wraps.
    pub fn low_byte(self) -> u8 {
        self.0 as u8
    }
}

/// Why identify, initialize, battery or handler construction failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Hardware(#[from] HardwareError),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("unexpected reply from the device: {0}")]
    BadReply(String),
    #[error("not supported by this protocol: {0}")]
    Unsupported(String),
    /// The device definition does not fit the protocol (e.g. a WeVibe with three motors).
    #[error("device definition does not fit the protocol: {0}")]
    Definition(String),
    /// The device did not finish a handshake it needs before it takes commands (an
    /// authentication): the text says what happened and what the user can do about it.
    #[error("{0}")]
    Handshake(String),
}

/// A protocol family (one device-config protocol name). Stateless and shared by all devices.
pub trait Protocol: Send + Sync {
    /// The device-config protocol name.
    fn name(&self) -> &'static str;

    /// Works out which model this is. `Ok(None)` means "use the protocol defaults". May talk
    /// to the device (Lovense asks `DeviceType;`); the default uses the advertised name, or the
    /// hardware's name if nothing was advertised (a serial port path, a websocket name).
    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move { Ok(default_identifier(hw, advertisement)) })
    }

    /// The protocol whose database entries describe a device this protocol identified as
    /// `identifier`: its own name, except where the reference hands a device over to a sibling
    /// protocol after identifying it (Hismith's newer models are `hismith-mini` devices).
    fn definition_protocol(&self, _identifier: Option<&str>) -> &'static str {
        self.name()
    }

    /// Sends init packets and returns the per-device handler for the device whose definition
    /// (looked up by identifier) has these features.
    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>>;

    /// [`Protocol::initialize`] for a device that advertised `advertisement`: what the connect
    /// pipeline calls. A protocol whose initialisation depends on the advertisement (Fluffer
    /// derives its authentication from the manufacturer data) overrides it; the default ignores
    /// the advertisement.
    fn initialize_advertised<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _advertisement: &'a Advertisement,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        self.initialize(hw, identifier, features)
    }
}

/// Everything protocol-specific about one connected device.
///
/// A handler implements [`DeviceHandler::encode`]; one that keeps state or time (a loop, a
/// delayed packet, a counter) implements [`DeviceHandler::initial_state`],
/// [`DeviceHandler::flush`] and [`DeviceHandler::tick`] instead (see [`timed`]).
pub trait DeviceHandler: Send + Sync {
    /// The writes that bring the device to `levels`, for the outputs in `changed` (whole-state
    /// protocols send one packet with every output if anything changed). Pure: no I/O, and the
    /// same arguments always give the same writes. An empty `changed` gives no writes. The
    /// default writes nothing: for handlers that implement [`DeviceHandler::flush`] instead.
    fn encode(&self, _levels: &[OutputLevel], _changed: ChangeSet) -> Vec<Write> {
        Vec::new()
    }

    /// The state this handler keeps between calls, made once per connection; the device task
    /// owns it and lends it to [`DeviceHandler::flush`], [`DeviceHandler::tick`] and
    /// [`DeviceHandler::notified`]. None by default.
    fn initial_state(&self) -> HandlerState {
        HandlerState::none()
    }

    /// The writes of one flush and the time of the next tick (see [`timed`] for the contract,
    /// stops above all). Pure like `encode`: the same flush and state give the same answer and
    /// the same new state. The default is [`DeviceHandler::encode_numbered`] (numbered from
    /// [`Flush::frame`]), with no tick.
    fn flush(&self, flush: &Flush<'_>, _state: &mut HandlerState) -> Timed {
        Timed::writes(self.encode_numbered(flush.levels, flush.changed, flush.frame))
    }

    /// Called at the time the last answer asked for, and once when the device task starts:
    /// what to write now, and when to be called again. Nothing by default.
    fn tick(&self, _levels: &[OutputLevel], _state: &mut HandlerState, _now: Instant) -> Timed {
        Timed::default()
    }

    /// Called with bytes the device notified on `endpoint` (once subscribed): what to write in
    /// answer. The pending tick stays as it is. Nothing by default.
    fn notified(
        &self,
        _endpoint: Endpoint,
        _bytes: &[u8],
        _levels: &[OutputLevel],
        _state: &mut HandlerState,
        _now: Instant,
    ) -> Vec<Write> {
        Vec::new()
    }

    /// [`DeviceHandler::encode`] for a device that numbers its packets (see "Rolling counters"
    /// above): the writes returned are the device's writes number `first`, `first.plus(1)`, ...
    /// (`first` is `_first` here only because the default ignores it). The device task calls
    /// this, with the number of writes it has encoded since connect.
    /// A protocol whose packets carry a counter implements it (its `encode` is then the encode
    /// of the first writes, from [`FrameNumber::FIRST`]); for every other protocol the default
    /// ignores the number. Pure, like `encode`.
    fn encode_numbered(&self, levels: &[OutputLevel], changed: ChangeSet, _first: FrameNumber) -> Vec<Write> {
        self.encode(levels, changed)
    }

    /// The keepalive policy for this device.
    fn keepalive(&self) -> Keepalive {
        Keepalive::None
    }

    /// Reads the battery level in percent. The default reads one byte from `rxblebattery`
    /// (the standard BLE battery characteristic) and is unsupported without it.
    fn battery<'a>(&'a self, hw: &'a dyn Hardware) -> BoxFuture<'a, Result<u8, ProtocolError>> {
        Box::pin(read_ble_battery(hw))
    }

    /// Where the device reports its battery level by itself, in notifications that
    /// [`DeviceHandler::decode_input`] turns into [`Reading::Battery`], instead of being asked
    /// ([`DeviceHandler::battery`]). The device task subscribes to it as soon as it runs (so no
    /// report is missed) and answers a battery read with the last level reported, waiting a
    /// bounded time for the first one. `None`: the battery is read.
    fn pushed_battery_endpoint(&self) -> Option<Endpoint> {
        None
    }

    /// The endpoint whose notifications carry input `kind` of feature `feature_index`: the
    /// device task subscribes to it while any client subscribes to that input, and unsubscribes
    /// when no subscribed input needs it any more. `None`: nothing to subscribe to.
    fn input_endpoint(&self, _feature_index: u32, _kind: InputType) -> Option<Endpoint> {
        None
    }

    /// The readings one notification carries, as (feature index, reading). Pure, like
    /// [`DeviceHandler::encode`]: the device task keeps the last reading of every input, sends
    /// subscribers the ones that changed, and answers battery reads of devices that push their level from them.
    fn decode_input(&self, _endpoint: Endpoint, _bytes: &[u8]) -> Vec<(u32, Reading)> {
        Vec::new()
    }
}

/// The identifier the default [`Protocol::identify`] gives: the advertised name, else the
/// hardware's name, else none.
pub fn default_identifier(hw: &dyn Hardware, advertisement: &Advertisement) -> Option<String> {
    [advertisement.name.as_str(), hw.name()].into_iter().find(|name| !name.is_empty()).map(str::to_owned)
}

/// Reads the standard BLE battery characteristic (`rxblebattery`, one byte, percent).
pub async fn read_ble_battery(hw: &dyn Hardware) -> Result<u8, ProtocolError> {
    if !hw.has_endpoint(Endpoint::RxBleBattery) {
        return Err(ProtocolError::Unsupported("battery (no rxblebattery endpoint)".into()));
    }
    let bytes = hw.read(Endpoint::RxBleBattery).await?;
    match bytes.first() {
        Some(&percent) => Ok(percent.min(100)),
        None => Err(ProtocolError::BadReply("empty battery read".into())),
    }
}

/// Waits until `deadline` for the next bytes notified on `endpoint`, skipping notifications
/// for other endpoints. `Ok(None)` on timeout; an error if the device disconnects.
pub(crate) async fn next_data(
    notifications: &mut broadcast::Receiver<Notification>,
    endpoint: Endpoint,
    deadline: Instant,
) -> Result<Option<Vec<u8>>, ProtocolError> {
    loop {
        match tokio::time::timeout_at(deadline, notifications.recv()).await {
            Err(_elapsed) => return Ok(None),
            Ok(Ok(Notification::Data { endpoint: from, bytes })) if from == endpoint => return Ok(Some(bytes)),
            Ok(Ok(Notification::Data { .. })) => continue,
            Ok(Ok(Notification::Disconnected)) | Ok(Err(broadcast::error::RecvError::Closed)) => {
                return Err(HardwareError::Disconnected.into())
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
        }
    }
}

/// The non-position outputs of the features in canonical order: what whole-state packets carry.
pub(crate) fn motor_slots(features: &[Feature]) -> Vec<(u32, OutputType)> {
    features
        .iter()
        .flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output.kind)))
        .filter(|(_, kind)| !is_position(*kind))
        .collect()
}

pub(crate) fn is_position(kind: OutputType) -> bool {
    matches!(kind, OutputType::Position | OutputType::HwPositionWithDuration)
}

/// The value of (feature, type) in `levels` and whether it changed; a missing level reads as an
/// unchanged 0 (the device task always passes every output, so this is only defensive).
pub(crate) fn lookup(
    levels: &[OutputLevel],
    changed: ChangeSet,
    slot: (u32, OutputType),
) -> (Option<&OutputLevel>, bool) {
    match find_level(levels, slot.0, slot.1) {
        Some(i) => (Some(&levels[i]), changed.contains(i)),
        None => (None, false),
    }
}

pub(crate) fn value_of(levels: &[OutputLevel], slot: (u32, OutputType)) -> i32 {
    find_level(levels, slot.0, slot.1).map_or(0, |i| levels[i].value)
}

/// The level of the output of type `kind`, on whichever feature has it, or 0 when the device
/// has none: what a whole-state packet that names each output by its type carries (its
/// protocol allows one output of each type). `Inflate` and `Constrict` are the same output.
pub(crate) fn value_of_type(levels: &[OutputLevel], kind: OutputType) -> i32 {
    levels.iter().find(|level| same_kind(level.kind, kind)).map_or(0, |level| level.value)
}

/// A whole-state packet that carries each output's level as one byte in the slot of its
/// feature: `template` with the level of the output on feature `i` at `first_slot + i`. Slots
/// without an output keep the template's byte; an output past the template's end (which the
/// protocol's outputs check refuses at connect) is left out.
pub(crate) fn levels_by_feature(template: &[u8], first_slot: usize, levels: &[OutputLevel]) -> Vec<u8> {
    let mut packet = template.to_vec();
    for level in levels {
        if let Some(slot) = packet.get_mut(first_slot + level.feature_index as usize) {
            *slot = clamp_byte(level.value, u8::MAX);
        }
    }
    packet
}

/// `value` clamped into `0..=max` as a byte.
pub(crate) fn clamp_byte(value: i32, max: u8) -> u8 {
    value.clamp(0, max as i32) as u8
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::{Output, Range};

    use super::test_support::feature;
    use super::*;
    use crate::testing::FakeHardware;

    #[test]
    fn registry_knows_every_name() {
        let names: Vec<&str> = names().collect();
        assert!(names.len() >= 55, "{names:?}");
        for protocol in all() {
            let found = by_name(protocol.name()).expect("registered");
            assert!(std::ptr::addr_eq(found, protocol), "{} is registered twice", protocol.name());
            assert!(crate::config::database::valid_protocol_name(protocol.name()), "{}", protocol.name());
        }
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "every name once");
        assert_eq!(by_name("virtual").map(|p| p.name()), Some("virtual"));
        assert!(!names.contains(&"virtual"), "the engine's virtual devices are not a database protocol");
        assert!(by_name("Lovense").is_none());
        assert!(by_name("xinput").is_none(), "a transport Plugboard does not have");
        assert!(by_name("").is_none());
    }

    #[test]
    fn change_set() {
        let mut set = ChangeSet::NONE;
        assert!(set.is_empty());
        set.insert(0);
        set.insert(3);
        assert!(set.contains(0) && set.contains(3) && !set.contains(1));
        assert_eq!(set.iter(10).collect::<Vec<_>>(), vec![0, 3]);
        assert!(!set.contains(64));
        set.insert(70);
        assert!(set.contains(64) && set.contains(100));
        assert!(ChangeSet::ALL.contains(5) && ChangeSet::ALL.contains(500));
        assert_eq!([1usize, 2].into_iter().collect::<ChangeSet>(), {
            let mut s = ChangeSet::only(1);
            s.insert(2);
            s
        });
    }

    #[test]
    fn the_value_of_a_type_is_that_output_s_on_any_feature_or_0() {
        let mut levels = vec![OutputLevel::new(0, OutputType::Vibrate), OutputLevel::new(2, OutputType::Inflate)];
        levels[0].value = 7;
        levels[1].value = 3;
        assert_eq!(value_of_type(&levels, OutputType::Vibrate), 7);
        assert_eq!(value_of_type(&levels, OutputType::Constrict), 3, "Inflate is Constrict");
        assert_eq!(value_of_type(&levels, OutputType::Rotate), 0, "no such output");
    }

    #[test]
    fn levels_by_feature_fill_their_slots_and_leave_the_rest() {
        let mut levels = vec![OutputLevel::new(0, OutputType::Oscillate), OutputLevel::new(2, OutputType::Vibrate)];
        levels[0].value = 0x80;
        levels[1].value = 1000;
        assert_eq!(
            levels_by_feature(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0xaa], 2, &levels),
            [0xa0, 0x03, 0x80, 0x00, 0xff, 0xaa]
        );
        levels.push(OutputLevel::new(9, OutputType::Vibrate));
        levels[2].value = 5;
        assert_eq!(levels_by_feature(&[0xa0, 0x00], 1, &levels), [0xa0, 0x80], "past the end: left out");
    }

    #[test]
    fn levels_for_features_and_commit() {
        let features = vec![
            feature(0, &[(OutputType::Vibrate, 0, 20)]),
            feature(1, &[(OutputType::Rotate, -20, 20), (OutputType::Constrict, 0, 3)]),
        ];
        let mut levels = OutputLevel::for_features(&features);
        assert_eq!(
            levels.iter().map(|l| (l.feature_index, l.kind)).collect::<Vec<_>>(),
            vec![(0, OutputType::Vibrate), (1, OutputType::Rotate), (1, OutputType::Constrict)]
        );
        assert_eq!(find_level(&levels, 1, OutputType::Inflate), Some(2));
        assert_eq!(find_level(&levels, 2, OutputType::Vibrate), None);

        levels[1].value = -5;
        levels[1].commit();
        levels[1].value = 0;
        levels[1].commit();
        assert_eq!(levels[1].last_nonzero, -5, "0 keeps the last direction");
        assert_eq!(levels[1].last_written, 0, "but the last written value is the 0");
    }

    #[test]
    fn motor_slots_skip_positions() {
        let mut f = feature(0, &[(OutputType::Oscillate, 0, 20)]);
        f.outputs.push(Output {
            kind: OutputType::HwPositionWithDuration,
            range: Range::new(0, 100),
            duration: Some(Range::new(0, 5000)),
        });
        let features = vec![f, feature(1, &[(OutputType::Vibrate, 0, 20)])];
        assert_eq!(motor_slots(&features), vec![(0, OutputType::Oscillate), (1, OutputType::Vibrate)]);
    }

    /// Every model of the built-in database (and every protocol's defaults) is accepted by its
    /// protocol: the database's features fit the encoder. Devices that wait for answers time
    /// out here (no answers are scripted; time is paused), which is fine; a definition error is
    /// not.
    #[tokio::test(start_paused = true)]
    async fn every_builtin_model_fits_its_protocol() {
        let database = crate::config::Database::builtin().unwrap();
        let mut checked = 0;
        for def in database.protocols() {
            let protocol = by_name(&def.name).unwrap_or_else(|| panic!("{} has no encoder", def.name));
            let mut endpoints: Vec<Endpoint> =
                def.endpoints.values().flat_map(|map| map.keys()).filter_map(|name| name.parse().ok()).collect();
            if endpoints.is_empty() {
                endpoints = vec![Endpoint::Tx, Endpoint::Rx];
            }
            let models = def.models.iter().map(|model| model.identifiers[0].as_str()).map(Some);
            for identifier in models.chain([None]) {
                let Some(definition) = database.definition(&def.name, identifier) else { continue };
                let hw = FakeHardware::with_endpoints("toy", "00:00", &endpoints);
                let result = tokio::time::timeout(
                    Duration::from_secs(60),
                    protocol.initialize(&hw, identifier, &definition.features),
                )
                .await;
                if let Ok(Err(ProtocolError::Definition(problem))) = result {
                    panic!("{} {:?} ({}): {problem}", def.name, identifier, definition.name);
                }
                checked += 1;
            }
        }
        assert!(checked > 400, "{checked}");
    }

    #[tokio::test]
    async fn default_identify_and_battery() {
        let hw = FakeHardware::with_endpoints("/dev/ttyUSB0", "/dev/ttyUSB0", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        let tcode = by_name("tcode-v03").unwrap();
        assert_eq!(tcode.identify(&hw, &Advertisement::default()).await.unwrap().as_deref(), Some("/dev/ttyUSB0"));
        assert_eq!(tcode.identify(&hw, &Advertisement::named("Cougar")).await.unwrap().as_deref(), Some("Cougar"));

        hw.set_read(Endpoint::RxBleBattery, &[77]);
        assert_eq!(read_ble_battery(&hw).await, Ok(77));
        let no_battery = FakeHardware::new("x", "y");
        assert!(matches!(read_ble_battery(&no_battery).await, Err(ProtocolError::Unsupported(_))));
    }
}
