//! Canonical devices and readings to the messages of each spec version (docs/architecture.md, Spec versions and conversion).

use std::collections::BTreeMap;

use crate::error::Error;
use crate::messages::*;
use crate::model::{DeviceInfo, InputType, OutputType, Reading};
use crate::SpecVersion;

use super::incoming::ReadingReply;
use super::legacy_view::{InputEntry, LegacyView, OutputEntry};

/// The DeviceList answering a RequestDeviceList (or, with Id 0, the v4 change event).
pub fn device_list<'a>(
    version: SpecVersion,
    id: u32,
    devices: impl IntoIterator<Item = &'a DeviceInfo>,
) -> ServerMessage {
    let devices = devices.into_iter();
    ServerMessage::DeviceList(match version {
        SpecVersion::V0 => DeviceList::V0(DeviceListBody { id, devices: devices.map(device_v0).collect() }),
        SpecVersion::V1 => {
            DeviceList::V1(DeviceListBody { id, devices: devices.map(|d| device_v2(d, false)).collect() })
        }
        SpecVersion::V2 => {
            DeviceList::V2(DeviceListBody { id, devices: devices.map(|d| device_v2(d, true)).collect() })
        }
        SpecVersion::V3 => DeviceList::V3(DeviceListBody { id, devices: devices.map(device_v3).collect() }),
        SpecVersion::V4 => DeviceList::V4(DeviceListBody {
            id,
            devices: devices.map(|d| (d.index.to_string(), device_v4(d))).collect(),
        }),
    })
}

/// The DeviceAdded event for a v0–v3 client; `None` for v4, whose clients get a DeviceList.
pub fn device_added(version: SpecVersion, device: &DeviceInfo) -> Option<ServerMessage> {
    let added = match version {
        SpecVersion::V0 => DeviceAdded::V0(DeviceAddedBody { id: 0, device: device_v0(device) }),
        SpecVersion::V1 => DeviceAdded::V1(DeviceAddedBody { id: 0, device: device_v2(device, false) }),
        SpecVersion::V2 => DeviceAdded::V2(DeviceAddedBody { id: 0, device: device_v2(device, true) }),
        SpecVersion::V3 => DeviceAdded::V3(DeviceAddedBody { id: 0, device: device_v3(device) }),
        SpecVersion::V4 => return None,
    };
    Some(ServerMessage::DeviceAdded(added))
}

/// The DeviceRemoved event for a v0–v3 client; `None` for v4, whose clients get a DeviceList.
pub fn device_removed(version: SpecVersion, device_index: u32) -> Option<ServerMessage> {
    (version < SpecVersion::V4).then_some(ServerMessage::DeviceRemoved(DeviceRemoved { id: 0, device_index }))
}

/// Whether a device offers v0/v1's FleshlightLaunchFW12Cmd and VorzeA10CycloneCmd. The
/// reference never offers them; Plugboard converts them, so it does.
fn legacy_extras(view: &LegacyView<'_>) -> (bool, bool) {
    (!view.launch_targets().is_empty(), !view.any_rotate().is_empty())
}

fn device_v0(device: &DeviceInfo) -> DeviceV0 {
    let view = LegacyView::new(device);
    let (launch, vorze) = legacy_extras(&view);
    let mut names = vec!["StopDeviceCmd".to_owned()];
    if !view.vibrate().is_empty() {
        names.push("SingleMotorVibrateCmd".into());
    }
    if launch {
        names.push("FleshlightLaunchFW12Cmd".into());
    }
    if vorze {
        names.push("VorzeA10CycloneCmd".into());
    }
    names.sort();
    DeviceV0 { device_index: device.index, device_name: device.name.clone(), device_messages: names }
}

fn counted(entries: &[OutputEntry<'_>], with_steps: bool) -> MessageAttributesV2 {
    MessageAttributesV2 {
        feature_count: Some(entries.len() as u32),
        step_count: with_steps.then(|| entries.iter().map(|e| e.output.range.step_count()).collect()),
    }
}

/// v1 (`with_steps` false) and v2 (`with_steps` true).
fn device_v2(device: &DeviceInfo, with_steps: bool) -> DeviceV2 {
    let view = LegacyView::new(device);
    let mut messages = BTreeMap::new();
    messages.insert("StopDeviceCmd".to_owned(), MessageAttributesV2::default());
    let vibrators = view.vibrate();
    if !vibrators.is_empty() {
        messages.insert("VibrateCmd".into(), counted(&vibrators, with_steps));
    }
    let rotators = view.rotate();
    if !rotators.is_empty() {
        messages.insert("RotateCmd".into(), counted(&rotators, with_steps));
    }
    let axes = view.linear();
    if !axes.is_empty() {
        messages.insert("LinearCmd".into(), counted(&axes, with_steps));
    }
    if with_steps {
        if view.readable(InputType::Battery).is_some() {
            messages.insert("BatteryLevelCmd".into(), MessageAttributesV2::default());
        }
        if view.readable(InputType::Rssi).is_some() {
            messages.insert("RSSILevelCmd".into(), MessageAttributesV2::default());
        }
    } else {
        if !vibrators.is_empty() {
            messages.insert("SingleMotorVibrateCmd".into(), MessageAttributesV2::default());
        }
        let (launch, vorze) = legacy_extras(&view);
        if launch {
            messages.insert("FleshlightLaunchFW12Cmd".into(), MessageAttributesV2::default());
        }
        if vorze {
            messages.insert("VorzeA10CycloneCmd".into(), MessageAttributesV2::default());
        }
    }
    DeviceV2 { device_index: device.index, device_name: device.name.clone(), device_messages: messages }
}

fn actuator_name(kind: OutputType) -> &'static str {
    match kind {
        OutputType::Vibrate => "Vibrate",
        OutputType::Rotate => "Rotate",
        OutputType::Oscillate => "Oscillate",
        OutputType::Constrict => "Constrict",
        OutputType::Inflate => "Inflate",
        OutputType::Temperature => "Temperature",
        OutputType::Led => "Led",
        OutputType::Spray => "Spray",
        OutputType::Position | OutputType::HwPositionWithDuration => "Position",
    }
}

fn actuators(entries: Vec<OutputEntry<'_>>) -> Option<Vec<ActuatorAttributes>> {
    (!entries.is_empty()).then(|| {
        entries
            .iter()
            .map(|e| ActuatorAttributes {
                feature_descriptor: e.description.to_owned(),
                step_count: e.output.range.step_count(),
                actuator_type: actuator_name(e.output.kind).to_owned(),
            })
            .collect()
    })
}

fn sensor_type(kind: InputType) -> SensorType {
    match kind {
        InputType::Battery => SensorType::Battery,
        InputType::Rssi => SensorType::Rssi,
        InputType::Button => SensorType::Button,
        // The v3 sensor lists only hold the four v3 types (see LegacyView).
        InputType::Pressure | InputType::Depth | InputType::Position => SensorType::Pressure,
    }
}

fn sensors(entries: Vec<InputEntry<'_>>) -> Option<Vec<SensorAttributes>> {
    (!entries.is_empty()).then(|| {
        entries
            .iter()
            .map(|e| SensorAttributes {
                feature_descriptor: e.description.to_owned(),
                sensor_type: sensor_type(e.input.kind),
                sensor_range: e.input.ranges.clone(),
            })
            .collect()
    })
}

fn device_v3(device: &DeviceInfo) -> DeviceV3 {
    let view = LegacyView::new(device);
    DeviceV3 {
        device_index: device.index,
        device_name: device.name.clone(),
        device_display_name: device.display_name.clone(),
        device_message_timing_gap: device.message_gap_ms,
        device_messages: DeviceMessagesV3 {
            scalar_cmd: actuators(view.scalar()),
            rotate_cmd: actuators(view.rotate()),
            linear_cmd: actuators(view.linear()),
            sensor_read_cmd: sensors(view.sensor_read()),
            sensor_subscribe_cmd: sensors(view.sensor_subscribe()),
            stop_device_cmd: Empty {},
        },
    }
}

/// A device in the shape of a v4 DeviceList entry (also what the REST API shows of it).
pub fn device_v4(device: &DeviceInfo) -> DeviceV4 {
    let features = device
        .features
        .iter()
        .filter(|f| !f.outputs.is_empty() || !f.inputs.is_empty())
        .map(|f| {
            let output: BTreeMap<String, OutputProperties> = f
                .outputs
                .iter()
                .map(|o| (o.kind.v4_name().to_owned(), OutputProperties { value: o.range, duration: o.duration }))
                .collect();
            let input: BTreeMap<InputType, InputProperties> = f
                .inputs
                .iter()
                .map(|i| (i.kind, InputProperties { value: i.ranges.clone(), command: i.commands.clone() }))
                .collect();
            let feature = FeatureV4 {
                feature_index: f.index,
                feature_description: f.description.clone(),
                output: (!output.is_empty()).then_some(output),
                input: (!input.is_empty()).then_some(input),
            };
            (f.index.to_string(), feature)
        })
        .collect();
    DeviceV4 {
        device_index: device.index,
        device_name: device.name.clone(),
        device_display_name: device.display_name.clone(),
        device_message_timing_gap: device.message_gap_ms,
        device_features: features,
    }
}

/// A reading, in the shape the asking client expects. `id` is the request's Id for a read,
/// 0 for subscription events.
pub fn reading_message(
    id: u32,
    device_index: u32,
    feature_index: u32,
    reply: ReadingReply,
    reading: Reading,
) -> Result<ServerMessage, Error> {
    Ok(match reply {
        ReadingReply::InputReading => ServerMessage::InputReading(InputReading {
            id,
            device_index,
            feature_index,
            reading: match reading {
                Reading::Battery(value) => InputReadingValue::Battery(ReadingValue { value }),
                Reading::Rssi(value) => InputReadingValue::Rssi(ReadingValue { value }),
                Reading::Button(value) => InputReadingValue::Button(ReadingValue { value }),
                Reading::Pressure(value) => InputReadingValue::Pressure(ReadingValue { value }),
            },
        }),
        ReadingReply::SensorReading { sensor_index, sensor_type } => ServerMessage::SensorReading(SensorReading {
            id,
            device_index,
            sensor_index,
            sensor_type,
            data: vec![reading.as_data()],
        }),
        ReadingReply::BatteryLevel => match reading {
            Reading::Battery(percent) => ServerMessage::BatteryLevelReading(BatteryLevelReading {
                id,
                device_index,
                battery_level: f64::from(percent.min(100)) / 100.0,
            }),
            other => return Err(mismatch(other, "BatteryLevelCmd")),
        },
        ReadingReply::RssiLevel => match reading {
            Reading::Rssi(dbm) => {
                ServerMessage::RssiLevelReading(RssiLevelReading { id, device_index, rssi_level: i32::from(dbm) })
            }
            other => return Err(mismatch(other, "RSSILevelCmd")),
        },
    })
}

fn mismatch(reading: Reading, request: &str) -> Error {
    Error::unknown(format!(
        "The device answered {request} with a {:?} reading; this is a server bug.",
        reading.input_type()
    ))
}
