//! Client messages of any version to canonical requests (docs/architecture.md, Spec versions and conversion).

use std::collections::HashMap;

use crate::error::Error;
use crate::messages::{
    ActuatorType, ClientMessage, FleshlightLaunchFw12Cmd, InputCmd, LinearCmd, OutputCmd, OutputCommandV4, RotateCmd,
    ScalarCmd, SensorCmd, SensorType, SingleMotorVibrateCmd, StopCmd, VibrateCmd, VorzeA10CycloneCmd,
};
use crate::model::{DeviceInfo, FeatureCommand, InputCommand, InputType, OutputCommand, OutputType, StopScope};

use super::legacy_view::{InputEntry, LegacyView, OutputEntry};
use super::steps;

/// Looks devices up by index. The server implements it over its device map.
pub trait DeviceLookup {
    fn device(&self, index: u32) -> Option<&DeviceInfo>;
}

impl DeviceLookup for [DeviceInfo] {
    fn device(&self, index: u32) -> Option<&DeviceInfo> {
        self.iter().find(|device| device.index == index)
    }
}

impl DeviceLookup for Vec<DeviceInfo> {
    fn device(&self, index: u32) -> Option<&DeviceInfo> {
        self.as_slice().device(index)
    }
}

impl<S: std::hash::BuildHasher> DeviceLookup for HashMap<u32, DeviceInfo, S> {
    fn device(&self, index: u32) -> Option<&DeviceInfo> {
        self.get(&index)
    }
}

/// How a reading must be answered: the shape the asking client's version expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingReply {
    /// v4 InputReading.
    InputReading,
    /// v3 SensorReading, echoing the client's sensor index and type.
    SensorReading { sensor_index: u32, sensor_type: SensorType },
    /// v2 BatteryLevelReading.
    BatteryLevel,
    /// v2 RSSILevelReading.
    RssiLevel,
}

/// A read, subscribe or unsubscribe on one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputRequest {
    pub device_index: u32,
    pub feature_index: u32,
    pub kind: InputType,
    pub command: InputCommand,
    pub reply: ReadingReply,
}

/// What a client message asks the engine to do, in canonical terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// A RequestServerInfo after the handshake (the session answers it with an error).
    Handshake,
    Ping,
    StartScanning,
    StopScanning,
    RequestDeviceList,
    /// v4 Disconnect: stop this client's outputs, answer Ok, close.
    Disconnect,
    /// v0/v1 Test: echo the string back.
    Test(String),
    Stop(StopScope),
    /// Output commands for one device, sorted by feature index, executed as one batch.
    Output {
        device_index: u32,
        commands: Vec<FeatureCommand>,
    },
    Input(InputRequest),
}

/// What a session remembers between legacy messages. Only FleshlightLaunchFW12Cmd needs it:
/// its speed becomes a duration, which depends on where the last move ended.
#[derive(Debug, Clone, Default)]
pub struct LegacyState {
    launch_positions: HashMap<(u32, u32), f64>,
}

/// Converts one decoded client message into a canonical request, checking it against the
/// device it addresses. Errors are what the client gets back (code 3 or 4).
pub fn to_request(
    message: &ClientMessage,
    devices: &(impl DeviceLookup + ?Sized),
    state: &mut LegacyState,
) -> Result<Request, Error> {
    use ClientMessage as M;
    let device = |index: u32| devices.device(index).ok_or_else(|| Error::device_not_available(index));
    Ok(match message {
        M::RequestServerInfo(_) => Request::Handshake,
        M::Ping(_) => Request::Ping,
        M::StartScanning(_) => Request::StartScanning,
        M::StopScanning(_) => Request::StopScanning,
        M::RequestDeviceList(_) => Request::RequestDeviceList,
        M::Disconnect(_) => Request::Disconnect,
        M::Test(m) => Request::Test(m.test_string.clone()),
        M::StopAllDevices(_) => Request::Stop(StopScope::EVERYTHING),
        M::StopDeviceCmd(m) => {
            device(m.device_index)?;
            Request::Stop(StopScope::device(m.device_index))
        }
        M::StopCmd(m) => stop_cmd(m, devices)?,
        M::SingleMotorVibrateCmd(m) => single_motor_vibrate_cmd(device(m.device_index)?, m)?,
        M::VibrateCmd(m) => vibrate_cmd(device(m.device_index)?, m)?,
        M::RotateCmd(m) => rotate_cmd(device(m.device_index)?, m)?,
        M::LinearCmd(m) => linear_cmd(device(m.device_index)?, m)?,
        M::ScalarCmd(m) => scalar_cmd(device(m.device_index)?, m)?,
        M::FleshlightLaunchFw12Cmd(m) => launch_cmd(device(m.device_index)?, m, state)?,
        M::VorzeA10CycloneCmd(m) => vorze_cmd(device(m.device_index)?, m)?,
        M::OutputCmd(m) => output_cmd(device(m.device_index)?, m)?,
        M::InputCmd(m) => input_cmd(device(m.device_index)?, m)?,
        M::BatteryLevelCmd(m) => {
            legacy_level_read(device(m.device_index)?, InputType::Battery, ReadingReply::BatteryLevel)?
        }
        M::RssiLevelCmd(m) => legacy_level_read(device(m.device_index)?, InputType::Rssi, ReadingReply::RssiLevel)?,
        M::SensorReadCmd(m) => sensor(device(m.device_index)?, m, InputCommand::Read)?,
        M::SensorSubscribeCmd(m) => sensor(device(m.device_index)?, m, InputCommand::Subscribe)?,
        M::SensorUnsubscribeCmd(m) => sensor(device(m.device_index)?, m, InputCommand::Unsubscribe)?,
        M::LovenseCmd(_)
        | M::KiirooCmd(_)
        | M::RequestLog(_)
        | M::RawWriteCmd(_)
        | M::RawReadCmd(_)
        | M::RawSubscribeCmd(_)
        | M::RawUnsubscribeCmd(_) => return Err(refusal(message)),
    })
}

/// A v3/v4 StopCmd: everything, one device or one feature; its inputs, outputs or both.
fn stop_cmd(m: &StopCmd, devices: &(impl DeviceLookup + ?Sized)) -> Result<Request, Error> {
    let device = |index: u32| devices.device(index).ok_or_else(|| Error::device_not_available(index));
    let scope = StopScope {
        device_index: m.device_index,
        feature_index: m.feature_index,
        inputs: m.inputs.unwrap_or(true),
        outputs: m.outputs.unwrap_or(true),
    };
    match (m.device_index, m.feature_index) {
        (None, Some(_)) => {
            return Err(Error::message("StopCmd with a FeatureIndex also needs the DeviceIndex of that feature."))
        }
        (Some(d), feature) => {
            let info = device(d)?;
            if let Some(f) = feature {
                if info.feature(f).is_none() {
                    return Err(Error::feature_index(d, info.features.len(), f));
                }
            }
        }
        (None, None) => {}
    }
    Ok(Request::Stop(scope))
}

/// A v0 SingleMotorVibrateCmd: every vibrator at one speed.
fn single_motor_vibrate_cmd(info: &DeviceInfo, m: &SingleMotorVibrateCmd) -> Result<Request, Error> {
    let vibrators = require(LegacyView::new(info).vibrate(), info, "vibrators")?;
    let commands = vibrators.iter().map(|e| level(e, m.speed)).collect();
    Ok(output(m.device_index, commands))
}

/// A v1/v2 VibrateCmd: vibrators by their index among the device's vibrators.
fn vibrate_cmd(info: &DeviceInfo, m: &VibrateCmd) -> Result<Request, Error> {
    let vibrators = require(LegacyView::new(info).vibrate(), info, "vibrators")?;
    let commands = m
        .speeds
        .iter()
        .map(|s| entry(&vibrators, info, s.index).map(|e| level(&e, s.speed)))
        .collect::<Result<_, _>>()?;
    Ok(output(m.device_index, commands))
}

/// A v1/v2 RotateCmd: rotators that turn both ways, each with its direction.
fn rotate_cmd(info: &DeviceInfo, m: &RotateCmd) -> Result<Request, Error> {
    let rotators = require(LegacyView::new(info).rotate(), info, "rotators that turn both ways")?;
    let commands = m
        .rotations
        .iter()
        .map(|r| entry(&rotators, info, r.index).map(|e| rotate(&e, r.speed, r.clockwise)))
        .collect::<Result<_, _>>()?;
    Ok(output(m.device_index, commands))
}

/// A v1-v3 LinearCmd: axes moved to positions over durations.
fn linear_cmd(info: &DeviceInfo, m: &LinearCmd) -> Result<Request, Error> {
    let axes = require(LegacyView::new(info).linear(), info, "linear axes")?;
    let commands = m
        .vectors
        .iter()
        .map(|v| {
            entry(&axes, info, v.index).map(|e| FeatureCommand {
                feature_index: e.feature_index,
                command: OutputCommand {
                    kind: OutputType::HwPositionWithDuration,
                    value: steps::linear_to_steps(v.position, e.output.range),
                    duration_ms: Some(v.duration),
                },
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(output(m.device_index, commands))
}

/// A v3 ScalarCmd: outputs by their index among the device's scalar outputs, each with the
/// actuator type it must have.
fn scalar_cmd(info: &DeviceInfo, m: &ScalarCmd) -> Result<Request, Error> {
    let scalars = require(LegacyView::new(info).scalar(), info, "outputs")?;
    let commands = m
        .scalars
        .iter()
        .map(|s| {
            let e = entry(&scalars, info, s.index)?;
            if !actuator_matches(s.actuator_type, e.output.kind) {
                return Err(Error::device(format!(
                    "Output {} of device {} is {:?}, not {:?}; use the ActuatorType from the device list.",
                    s.index, m.device_index, e.output.kind, s.actuator_type
                )));
            }
            Ok(match e.output.kind {
                OutputType::Position => FeatureCommand {
                    feature_index: e.feature_index,
                    command: OutputCommand {
                        kind: OutputType::Position,
                        value: steps::position_to_steps(s.scalar, e.output.range),
                        duration_ms: None,
                    },
                },
                _ => level(&e, s.scalar),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(output(m.device_index, commands))
}

/// A v0 FleshlightLaunchFW12Cmd: its speed becomes a move duration, from where the last move of
/// the same feature ended (kept in `state`).
fn launch_cmd(info: &DeviceInfo, m: &FleshlightLaunchFw12Cmd, state: &mut LegacyState) -> Result<Request, Error> {
    let targets = require(LegacyView::new(info).launch_targets(), info, "position outputs")?;
    let goal = steps::launch_position(m.position);
    let commands = targets
        .iter()
        .map(|e| {
            let key = (m.device_index, e.feature_index);
            let previous = state.launch_positions.get(&key).copied().unwrap_or(0.0);
            state.launch_positions.insert(key, goal);
            let command = if e.output.kind == OutputType::HwPositionWithDuration {
                OutputCommand {
                    kind: OutputType::HwPositionWithDuration,
                    value: steps::linear_to_steps(goal, e.output.range),
                    duration_ms: Some(steps::launch_move_duration_ms(previous, goal, m.speed)),
                }
            } else {
                OutputCommand {
                    kind: OutputType::Position,
                    value: steps::position_to_steps(goal, e.output.range),
                    duration_ms: None,
                }
            };
            FeatureCommand { feature_index: e.feature_index, command }
        })
        .collect();
    Ok(output(m.device_index, commands))
}

/// A v0 VorzeA10CycloneCmd: every rotator at one speed and direction.
fn vorze_cmd(info: &DeviceInfo, m: &VorzeA10CycloneCmd) -> Result<Request, Error> {
    let rotators = require(LegacyView::new(info).any_rotate(), info, "rotators")?;
    let speed = steps::vorze_speed(m.speed);
    let commands = rotators.iter().map(|e| rotate(e, speed, m.clockwise)).collect();
    Ok(output(m.device_index, commands))
}

/// A v4 OutputCmd: one output of one feature, its value (and duration) checked against its range.
fn output_cmd(info: &DeviceInfo, m: &OutputCmd) -> Result<Request, Error> {
    let feature = info
        .feature(m.feature_index)
        .ok_or_else(|| Error::feature_index(m.device_index, info.features.len(), m.feature_index))?;
    let (kind, value, duration_ms) = match &m.command {
        OutputCommandV4::Vibrate(v) => (OutputType::Vibrate, v.value, None),
        OutputCommandV4::Rotate(v) => (OutputType::Rotate, v.value, None),
        OutputCommandV4::Oscillate(v) => (OutputType::Oscillate, v.value, None),
        OutputCommandV4::Constrict(v) => (OutputType::Constrict, v.value, None),
        OutputCommandV4::Spray(v) => (OutputType::Spray, v.value, None),
        OutputCommandV4::Temperature(v) => (OutputType::Temperature, v.value, None),
        OutputCommandV4::Led(v) => (OutputType::Led, v.value, None),
        OutputCommandV4::Position(v) => (OutputType::Position, v.value, None),
        OutputCommandV4::HwPositionWithDuration(v) => {
            (OutputType::HwPositionWithDuration, i32::try_from(v.value).unwrap_or(i32::MAX), Some(v.duration))
        }
    };
    let out = feature
        .output(kind)
        .or_else(|| (kind == OutputType::Constrict).then(|| feature.output(OutputType::Inflate)).flatten())
        .ok_or_else(|| {
            Error::device(format!(
                "Feature {} of device {} has no {} output.",
                m.feature_index,
                m.device_index,
                kind.v4_name()
            ))
        })?;
    let allowed = if out.range.is_bidirectional() {
        -(out.range.step_count() as i64)..=out.range.step_count() as i64
    } else {
        0..=out.range.step_count() as i64
    };
    if !allowed.contains(&(value as i64)) {
        return Err(Error::device(format!(
            "{} value {} is outside the range {}..={} of feature {} on device {}.",
            kind.v4_name(),
            value,
            allowed.start(),
            allowed.end(),
            m.feature_index,
            m.device_index
        )));
    }
    if let (Some(duration), Some(range)) = (duration_ms, out.duration) {
        if !range.contains(i32::try_from(duration).unwrap_or(i32::MAX)) {
            return Err(Error::device(format!(
                "Duration {duration} ms is outside the range {}..={} ms of feature {} on device {}.",
                range.min, range.max, m.feature_index, m.device_index
            )));
        }
    }
    let command = OutputCommand { kind: out.kind, value, duration_ms };
    Ok(output(m.device_index, vec![FeatureCommand { feature_index: m.feature_index, command }]))
}

/// A v4 InputCmd: a read, subscribe or unsubscribe that the input allows.
fn input_cmd(info: &DeviceInfo, m: &InputCmd) -> Result<Request, Error> {
    let feature = info
        .feature(m.feature_index)
        .ok_or_else(|| Error::feature_index(m.device_index, info.features.len(), m.feature_index))?;
    let input = feature.input(m.input_type).ok_or_else(|| {
        Error::device(format!(
            "Feature {} of device {} has no {:?} input.",
            m.feature_index, m.device_index, m.input_type
        ))
    })?;
    if !input.can(m.command) {
        return Err(Error::device(format!(
            "The {:?} input of feature {} on device {} does not allow {:?}.",
            m.input_type, m.feature_index, m.device_index, m.command
        )));
    }
    Ok(Request::Input(InputRequest {
        device_index: m.device_index,
        feature_index: m.feature_index,
        kind: m.input_type,
        command: m.command,
        reply: ReadingReply::InputReading,
    }))
}

/// Why a message this server knows but does not carry out is refused.
fn refusal(message: &ClientMessage) -> Error {
    use ClientMessage as M;
    match message {
        M::RequestLog(_) => Error::message(
            "RequestLog is not supported: this server does not send its log to clients. \
             Read the server's own log instead.",
        ),
        M::RawWriteCmd(_) | M::RawReadCmd(_) | M::RawSubscribeCmd(_) | M::RawUnsubscribeCmd(_) => Error::message(
            format!("{} gives raw access to device hardware, which this server does not allow.", message.name()),
        ),
        _ => Error::message(format!(
            "{} carries brand-specific raw commands, which this server does not forward. \
             Use VibrateCmd or SingleMotorVibrateCmd instead.",
            message.name()
        )),
    }
}

fn output(device_index: u32, mut commands: Vec<FeatureCommand>) -> Request {
    commands.sort_by_key(|c| c.feature_index);
    Request::Output { device_index, commands }
}

fn require<'a>(list: Vec<OutputEntry<'a>>, info: &DeviceInfo, what: &str) -> Result<Vec<OutputEntry<'a>>, Error> {
    if list.is_empty() {
        Err(Error::device(format!("Device {} ({}) has no {what}.", info.index, info.name)))
    } else {
        Ok(list)
    }
}

fn entry<'a>(list: &[OutputEntry<'a>], info: &DeviceInfo, index: u32) -> Result<OutputEntry<'a>, Error> {
    list.get(index as usize).copied().ok_or_else(|| Error::feature_index(info.index, list.len(), index))
}

fn level(e: &OutputEntry<'_>, value: f64) -> FeatureCommand {
    FeatureCommand {
        feature_index: e.feature_index,
        command: OutputCommand {
            kind: e.output.kind,
            value: steps::level_to_steps(value, e.output.range),
            duration_ms: None,
        },
    }
}

fn rotate(e: &OutputEntry<'_>, speed: f64, clockwise: bool) -> FeatureCommand {
    let magnitude = steps::level_to_steps(speed, e.output.range);
    let value = if clockwise || !e.output.range.is_bidirectional() { magnitude } else { -magnitude };
    FeatureCommand {
        feature_index: e.feature_index,
        command: OutputCommand { kind: OutputType::Rotate, value, duration_ms: None },
    }
}

/// v3 `Inflate` is the old name of an air pump, which the current model calls Constrict.
fn actuator_matches(actuator: ActuatorType, kind: OutputType) -> bool {
    match actuator {
        ActuatorType::Vibrate => kind == OutputType::Vibrate,
        ActuatorType::Rotate => kind == OutputType::Rotate,
        ActuatorType::Oscillate => kind == OutputType::Oscillate,
        ActuatorType::Constrict | ActuatorType::Inflate => matches!(kind, OutputType::Constrict | OutputType::Inflate),
        ActuatorType::Position => kind == OutputType::Position,
        ActuatorType::Temperature => kind == OutputType::Temperature,
        ActuatorType::Led => kind == OutputType::Led,
        ActuatorType::Spray => kind == OutputType::Spray,
    }
}

fn legacy_level_read(info: &DeviceInfo, kind: InputType, reply: ReadingReply) -> Result<Request, Error> {
    let entry = LegacyView::new(info).readable(kind).ok_or_else(|| {
        Error::device(format!("Device {} ({}) has no readable {:?} sensor.", info.index, info.name, kind))
    })?;
    Ok(input_request(info, &entry, InputCommand::Read, reply))
}

fn sensor(info: &DeviceInfo, m: &SensorCmd, command: InputCommand) -> Result<Request, Error> {
    let view = LegacyView::new(info);
    let list = match command {
        InputCommand::Read => view.sensor_read(),
        InputCommand::Subscribe | InputCommand::Unsubscribe => view.sensor_subscribe(),
    };
    let entry = list
        .get(m.sensor_index as usize)
        .ok_or_else(|| Error::feature_index(info.index, list.len(), m.sensor_index))?;
    let wanted = match m.sensor_type {
        SensorType::Battery => InputType::Battery,
        SensorType::Rssi => InputType::Rssi,
        SensorType::Button => InputType::Button,
        SensorType::Pressure => InputType::Pressure,
    };
    if entry.input.kind != wanted {
        return Err(Error::device(format!(
            "Sensor {} of device {} is {:?}, not {:?}; use the SensorType from the device list.",
            m.sensor_index, info.index, entry.input.kind, m.sensor_type
        )));
    }
    let reply = ReadingReply::SensorReading { sensor_index: m.sensor_index, sensor_type: m.sensor_type };
    Ok(input_request(info, entry, command, reply))
}

fn input_request(info: &DeviceInfo, entry: &InputEntry<'_>, command: InputCommand, reply: ReadingReply) -> Request {
    Request::Input(InputRequest {
        device_index: info.index,
        feature_index: entry.feature_index,
        kind: entry.input.kind,
        command,
        reply,
    })
}
