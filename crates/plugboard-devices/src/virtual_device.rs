//! In-process virtual devices: what kinds there are and what they look like to clients.
//!
//! They are real devices of the `virtual` transport
//! ([`transport::virtual_device::VirtualHardware`](crate::transport::virtual_device::VirtualHardware)),
//! speaking the `virtual` protocol and driven by a device task like any hardware
//! ([`DeviceManager::add_virtual`](crate::DeviceManager::add_virtual)).

use std::fmt;
use std::str::FromStr;

use plugboard_protocol::model::{
    DeviceInfo, Feature, Input, InputCommand, InputType, Output, OutputType, Range, Reading,
};

/// The kinds of virtual device the engine can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VirtualKind {
    /// One vibrator, 20 steps.
    Vibrator,
    /// Two vibrators, 20 steps each.
    DualVibrator,
    /// A rotator whose sign is its direction, 20 steps each way.
    Rotator,
    /// A linear stroker: position, and position with a move duration, 0..=100.
    Stroker,
    /// Like a Lovense Max: vibrator, air pump (constrict, 3 steps), battery.
    LovenseMax,
    /// One of each kind of output a toy has, six in all (two vibrators, a rotator, an
    /// oscillator, a constrictor, a stroker that moves in a given time), and a battery: to
    /// try every control of a front end, and a game that uses many outputs.
    Sampler,
}

impl VirtualKind {
    pub const ALL: [VirtualKind; 6] =
        [Self::Vibrator, Self::DualVibrator, Self::Rotator, Self::Stroker, Self::LovenseMax, Self::Sampler];

    /// The name used on the command line (`--virtual-device KIND`).
    pub fn cli_name(self) -> &'static str {
        match self {
            VirtualKind::Vibrator => "vibrator",
            VirtualKind::DualVibrator => "dual-vibrator",
            VirtualKind::Rotator => "rotator",
            VirtualKind::Stroker => "stroker",
            VirtualKind::LovenseMax => "lovense-max",
            VirtualKind::Sampler => "sampler",
        }
    }

    /// The device name clients see unless another is given.
    pub fn default_name(self) -> &'static str {
        match self {
            VirtualKind::Vibrator => "Virtual Vibrator",
            VirtualKind::DualVibrator => "Virtual Dual Vibrator",
            VirtualKind::Rotator => "Virtual Rotator",
            VirtualKind::Stroker => "Virtual Stroker",
            VirtualKind::LovenseMax => "Virtual Lovense Max",
            VirtualKind::Sampler => "Virtual Sampler",
        }
    }

    fn features(self) -> Vec<Feature> {
        let output = |index, description: &str, kind, range| Feature {
            index,
            description: description.into(),
            outputs: vec![Output::new(kind, range)],
            inputs: vec![],
        };
        let vibrator = |index, description: &str| output(index, description, OutputType::Vibrate, Range::new(0, 20));
        let battery = |index| Feature {
            index,
            description: "Battery Level".into(),
            outputs: vec![],
            inputs: vec![Input {
                kind: InputType::Battery,
                ranges: vec![Range::new(0, 100)],
                commands: vec![InputCommand::Read],
            }],
        };
        let timed_stroke = Output {
            kind: OutputType::HwPositionWithDuration,
            range: Range::new(0, 100),
            duration: Some(Range::new(0, 60_000)),
        };
        match self {
            VirtualKind::Vibrator => vec![vibrator(0, "Vibrator")],
            VirtualKind::DualVibrator => vec![vibrator(0, "Vibrator 1"), vibrator(1, "Vibrator 2")],
            VirtualKind::Rotator => vec![output(0, "Rotator", OutputType::Rotate, Range::new(-20, 20))],
            VirtualKind::Stroker => vec![Feature {
                index: 0,
                description: "Stroke".into(),
                outputs: vec![Output::new(OutputType::Position, Range::new(0, 100)), timed_stroke.clone()],
                inputs: vec![],
            }],
            VirtualKind::LovenseMax => vec![
                vibrator(0, "Vibrator"),
                output(1, "Air Pump", OutputType::Constrict, Range::new(0, 3)),
                battery(2),
            ],
            VirtualKind::Sampler => vec![
                vibrator(0, "Vibrator 1"),
                vibrator(1, "Vibrator 2"),
                output(2, "Rotator", OutputType::Rotate, Range::new(-20, 20)),
                output(3, "Oscillator", OutputType::Oscillate, Range::new(0, 20)),
                output(4, "Squeeze", OutputType::Constrict, Range::new(0, 5)),
                Feature { index: 5, description: "Stroke".into(), outputs: vec![timed_stroke], inputs: vec![] },
                battery(6),
            ],
        }
    }
}

impl fmt::Display for VirtualKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cli_name())
    }
}

impl FromStr for VirtualKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VirtualKind::ALL.into_iter().find(|kind| kind.cli_name() == s).ok_or_else(|| {
            let known: Vec<_> = VirtualKind::ALL.iter().map(|k| k.cli_name()).collect();
            format!("unknown virtual device kind '{s}'; known kinds: {}", known.join(", "))
        })
    }
}

/// A virtual device to create: its kind and, optionally, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualDeviceSpec {
    pub kind: VirtualKind,
    pub name: Option<String>,
}

impl VirtualDeviceSpec {
    pub fn new(kind: VirtualKind) -> VirtualDeviceSpec {
        VirtualDeviceSpec { kind, name: None }
    }

    pub fn named(kind: VirtualKind, name: impl Into<String>) -> VirtualDeviceSpec {
        VirtualDeviceSpec { kind, name: Some(name.into()) }
    }

    /// The canonical description of this device at `index`.
    pub fn device_info(&self, index: u32) -> DeviceInfo {
        DeviceInfo {
            index,
            name: self.name.clone().unwrap_or_else(|| self.kind.default_name().to_owned()),
            display_name: None,
            message_gap_ms: 0,
            features: self.kind.features(),
        }
    }

    /// What the device answers when an input is read.
    pub fn read(&self, kind: InputType) -> Option<Reading> {
        match (self.kind, kind) {
            (VirtualKind::LovenseMax, InputType::Battery) => Some(Reading::Battery(80)),
            (VirtualKind::Sampler, InputType::Battery) => Some(Reading::Battery(64)),
            _ => None,
        }
    }
}

/// `KIND[:NAME]`, as given to `--virtual-device`.
impl FromStr for VirtualDeviceSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((kind, name)) if !name.trim().is_empty() => Ok(VirtualDeviceSpec::named(kind.parse()?, name.trim())),
            Some((_, _)) => Err(format!("'{s}' has an empty name after ':'; use KIND or KIND:NAME")),
            None => Ok(VirtualDeviceSpec::new(s.parse()?)),
        }
    }
}
