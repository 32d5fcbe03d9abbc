//! How spec v0–v3 see a canonical device: the attribute lists each legacy command indexes
//! into (docs/architecture.md, Spec versions and conversion). Listing devices and converting commands both use these lists, so
//! an index a client reads from a device list is the index its commands address.

use crate::model::{DeviceInfo, Input, InputCommand, InputType, Output, OutputType};

/// One entry of a legacy attribute list: a feature and one of its outputs.
#[derive(Debug, Clone, Copy)]
pub struct OutputEntry<'a> {
    pub feature_index: u32,
    pub description: &'a str,
    pub output: &'a Output,
}

/// One entry of a legacy sensor list: a feature and one of its inputs.
#[derive(Debug, Clone, Copy)]
pub struct InputEntry<'a> {
    pub feature_index: u32,
    pub description: &'a str,
    pub input: &'a Input,
}

/// The legacy lists of one device.
pub struct LegacyView<'a> {
    device: &'a DeviceInfo,
}

/// Output types that spec v3 clients know. Temperature, Led and Spray came with v4; the
/// v3-era clients fail on ActuatorType strings they do not know, so those stay hidden.
fn known_to_v3(kind: OutputType) -> bool {
    matches!(
        kind,
        OutputType::Vibrate
            | OutputType::Rotate
            | OutputType::Oscillate
            | OutputType::Constrict
            | OutputType::Inflate
            | OutputType::Position
    )
}

/// Input types that spec v3 clients know.
fn sensor_known_to_v3(kind: InputType) -> bool {
    matches!(kind, InputType::Battery | InputType::Rssi | InputType::Button | InputType::Pressure)
}

impl<'a> LegacyView<'a> {
    pub fn new(device: &'a DeviceInfo) -> LegacyView<'a> {
        LegacyView { device }
    }

    fn outputs(&self) -> impl Iterator<Item = OutputEntry<'a>> + 'a {
        self.device.features.iter().flat_map(|feature| {
            feature.outputs.iter().map(move |output| OutputEntry {
                feature_index: feature.index,
                description: &feature.description,
                output,
            })
        })
    }

    fn inputs(&self) -> impl Iterator<Item = InputEntry<'a>> + 'a {
        self.device.features.iter().flat_map(|feature| {
            feature.inputs.iter().map(move |input| InputEntry {
                feature_index: feature.index,
                description: &feature.description,
                input,
            })
        })
    }

    /// v3 ScalarCmd: every level or position output, feature by feature
    /// (position-with-duration is LinearCmd's).
    pub fn scalar(&self) -> Vec<OutputEntry<'a>> {
        self.outputs()
            .filter(|e| e.output.kind != OutputType::HwPositionWithDuration && known_to_v3(e.output.kind))
            .collect()
    }

    /// v1/v2 VibrateCmd (and SingleMotorVibrateCmd): the vibrators of the ScalarCmd list.
    pub fn vibrate(&self) -> Vec<OutputEntry<'a>> {
        self.outputs().filter(|e| e.output.kind == OutputType::Vibrate).collect()
    }

    /// v1–v3 RotateCmd: rotators that can turn both ways.
    pub fn rotate(&self) -> Vec<OutputEntry<'a>> {
        self.outputs().filter(|e| e.output.kind == OutputType::Rotate && e.output.range.is_bidirectional()).collect()
    }

    /// VorzeA10CycloneCmd: every rotator.
    pub fn any_rotate(&self) -> Vec<OutputEntry<'a>> {
        self.outputs().filter(|e| e.output.kind == OutputType::Rotate).collect()
    }

    /// v1–v3 LinearCmd: position-with-duration outputs.
    pub fn linear(&self) -> Vec<OutputEntry<'a>> {
        self.outputs().filter(|e| e.output.kind == OutputType::HwPositionWithDuration).collect()
    }

    /// FleshlightLaunchFW12Cmd: one entry per feature that can take a position, preferring
    /// position-with-duration (which carries the move's speed) over a bare position.
    pub fn launch_targets(&self) -> Vec<OutputEntry<'a>> {
        self.device
            .features
            .iter()
            .filter_map(|feature| {
                let output = feature
                    .output(OutputType::HwPositionWithDuration)
                    .or_else(|| feature.output(OutputType::Position))?;
                Some(OutputEntry { feature_index: feature.index, description: &feature.description, output })
            })
            .collect()
    }

    /// v3 SensorReadCmd: inputs that can be read.
    pub fn sensor_read(&self) -> Vec<InputEntry<'a>> {
        self.inputs().filter(|e| sensor_known_to_v3(e.input.kind) && e.input.can(InputCommand::Read)).collect()
    }

    /// v3 SensorSubscribeCmd: inputs that can be subscribed to.
    pub fn sensor_subscribe(&self) -> Vec<InputEntry<'a>> {
        self.inputs().filter(|e| sensor_known_to_v3(e.input.kind) && e.input.can(InputCommand::Subscribe)).collect()
    }

    /// v2 BatteryLevelCmd / RSSILevelCmd: the first readable input of that type.
    pub fn readable(&self, kind: InputType) -> Option<InputEntry<'a>> {
        self.inputs().find(|e| e.input.kind == kind && e.input.can(InputCommand::Read))
    }
}
