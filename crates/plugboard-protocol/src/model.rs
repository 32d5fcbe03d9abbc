//! Plugboard's canonical device model (docs/architecture.md, Spec versions and conversion).
//!
//! One model, close to spec v4. A device has a stable index, a name, an optional display
//! name, a message gap and features; a feature has outputs and inputs, each with integer
//! ranges. Every spec version is a view of this model (see [`crate::convert`]).

use serde::{Deserialize, Serialize};

/// An inclusive integer range, `[min, max]` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "[i32; 2]", into = "[i32; 2]")]
pub struct Range {
    pub min: i32,
    pub max: i32,
}

impl Range {
    pub const fn new(min: i32, max: i32) -> Range {
        Range { min, max }
    }

    /// The number of non-zero steps a client can ask for in one direction: the range's top.
    /// (A `[-20, 20]` rotator and a `[0, 20]` vibrator both have 20 steps.)
    pub fn step_count(&self) -> u32 {
        self.max.max(0) as u32
    }

    /// Whether the output can go both ways (a signed range such as `[-20, 20]`).
    pub fn is_bidirectional(&self) -> bool {
        self.min < 0
    }

    pub fn contains(&self, value: i32) -> bool {
        (self.min..=self.max).contains(&value)
    }
}

impl From<[i32; 2]> for Range {
    fn from([min, max]: [i32; 2]) -> Range {
        Range { min, max }
    }
}

impl From<Range> for [i32; 2] {
    fn from(range: Range) -> [i32; 2] {
        [range.min, range.max]
    }
}

/// What an output does. `Inflate` is kept for v3-era air pumps; it is shown to v4 clients as
/// `Constrict`, the current name for the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OutputType {
    Vibrate,
    Rotate,
    Oscillate,
    Constrict,
    Inflate,
    Temperature,
    Led,
    Spray,
    Position,
    HwPositionWithDuration,
}

impl OutputType {
    /// Outputs that a stop sets to zero. Positions are left where they are: "stopping" a
    /// stroker means not moving it, not sending it to one end.
    pub fn stops_at_zero(self) -> bool {
        !matches!(self, OutputType::Position | OutputType::HwPositionWithDuration)
    }

    /// The v4 wire name of this output type.
    pub fn v4_name(self) -> &'static str {
        match self {
            OutputType::Vibrate => "Vibrate",
            OutputType::Rotate => "Rotate",
            OutputType::Oscillate => "Oscillate",
            OutputType::Constrict | OutputType::Inflate => "Constrict",
            OutputType::Temperature => "Temperature",
            OutputType::Led => "Led",
            OutputType::Spray => "Spray",
            OutputType::Position => "Position",
            OutputType::HwPositionWithDuration => "HwPositionWithDuration",
        }
    }
}

/// What an input measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum InputType {
    #[serde(alias = "battery")]
    Battery,
    #[serde(alias = "RSSI", alias = "rssi")]
    Rssi,
    #[serde(alias = "button")]
    Button,
    #[serde(alias = "pressure")]
    Pressure,
    #[serde(alias = "depth")]
    Depth,
    #[serde(alias = "position")]
    Position,
}

/// What a client may do with an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum InputCommand {
    #[serde(alias = "read")]
    Read,
    #[serde(alias = "subscribe")]
    Subscribe,
    #[serde(alias = "unsubscribe")]
    Unsubscribe,
}

/// One output of a feature, with the range advertised to clients. User limits never change
/// this range; the device task maps it onto the limited hardware range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub kind: OutputType,
    pub range: Range,
    /// Only for `HwPositionWithDuration`: the allowed move duration in milliseconds.
    pub duration: Option<Range>,
}

impl Output {
    pub fn new(kind: OutputType, range: Range) -> Output {
        Output { kind, range, duration: None }
    }

    /// The command that stops this output, or `None` for outputs a stop leaves alone.
    pub fn stop_command(&self) -> Option<OutputCommand> {
        self.kind.stops_at_zero().then_some(OutputCommand { kind: self.kind, value: 0, duration_ms: None })
    }
}

/// One input of a feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputType,
    /// One range per value in a reading.
    pub ranges: Vec<Range>,
    /// What clients may do: `Read`, `Subscribe` (which implies `Unsubscribe`).
    pub commands: Vec<InputCommand>,
}

impl Input {
    pub fn can(&self, command: InputCommand) -> bool {
        match command {
            InputCommand::Unsubscribe => self.commands.contains(&InputCommand::Subscribe),
            other => self.commands.contains(&other),
        }
    }
}

/// A feature: a part of a device that clients address by index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Feature {
    pub index: u32,
    pub description: String,
    pub outputs: Vec<Output>,
    pub inputs: Vec<Input>,
}

impl Feature {
    pub fn output(&self, kind: OutputType) -> Option<&Output> {
        self.outputs.iter().find(|output| output.kind == kind)
    }
    pub fn input(&self, kind: InputType) -> Option<&Input> {
        self.inputs.iter().find(|input| input.kind == kind)
    }
}

/// A connected device as every front end and client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Global, stable index.
    pub index: u32,
    /// The model name from the device database.
    pub name: String,
    /// The user's name for it, if they gave one.
    pub display_name: Option<String>,
    /// The shortest time between two writes to the hardware, in milliseconds.
    pub message_gap_ms: u32,
    pub features: Vec<Feature>,
}

impl DeviceInfo {
    pub fn feature(&self, index: u32) -> Option<&Feature> {
        self.features.iter().find(|feature| feature.index == index)
    }
}

/// A command for one output, in the output's advertised steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputCommand {
    pub kind: OutputType,
    /// Signed for bidirectional outputs (rotation direction is the sign).
    pub value: i32,
    /// Only for `HwPositionWithDuration`.
    pub duration_ms: Option<u32>,
}

/// An output command aimed at one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeatureCommand {
    pub feature_index: u32,
    pub command: OutputCommand,
}

/// Which outputs and inputs a stop applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopScope {
    /// `None`: every device.
    pub device_index: Option<u32>,
    /// `None`: every feature of the device.
    pub feature_index: Option<u32>,
    pub inputs: bool,
    pub outputs: bool,
}

impl StopScope {
    pub const EVERYTHING: StopScope =
        StopScope { device_index: None, feature_index: None, inputs: true, outputs: true };

    pub fn device(device_index: u32) -> StopScope {
        StopScope { device_index: Some(device_index), ..StopScope::EVERYTHING }
    }
}

/// A value read from an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Percent, 0..=100.
    Battery(u8),
    /// dBm, negative.
    Rssi(i8),
    /// 1 pressed, 0 released.
    Button(u8),
    Pressure(u32),
}

impl Reading {
    pub fn input_type(&self) -> InputType {
        match self {
            Reading::Battery(_) => InputType::Battery,
            Reading::Rssi(_) => InputType::Rssi,
            Reading::Button(_) => InputType::Button,
            Reading::Pressure(_) => InputType::Pressure,
        }
    }

    /// The reading as the integers of a v3 SensorReading's `Data`.
    pub fn as_data(&self) -> i32 {
        match *self {
            Reading::Battery(v) => v as i32,
            Reading::Rssi(v) => v as i32,
            Reading::Button(v) => v as i32,
            Reading::Pressure(v) => v.min(i32::MAX as u32) as i32,
        }
    }
}
