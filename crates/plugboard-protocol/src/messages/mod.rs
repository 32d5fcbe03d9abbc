//! Every Buttplug message of spec v0 to v4, as Rust values that serialize to the exact wire
//! shapes. A message on the wire is a one-key object, `{"Name": body}`; see [`crate::frame`]
//! for frames and for decoding, which needs to know the session's spec version.

mod client;
mod server;

pub use client::*;
pub use server::*;

use serde::Serialize;

use crate::SpecVersion;

/// A message from a client, of any spec version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ClientMessage {
    RequestServerInfo(RequestServerInfo),
    Ping(IdOnly),
    StartScanning(IdOnly),
    StopScanning(IdOnly),
    RequestDeviceList(IdOnly),
    StopDeviceCmd(DeviceIndexOnly),
    StopAllDevices(IdOnly),
    RequestLog(RequestLog),
    Test(Test),
    SingleMotorVibrateCmd(SingleMotorVibrateCmd),
    #[serde(rename = "FleshlightLaunchFW12Cmd")]
    FleshlightLaunchFw12Cmd(FleshlightLaunchFw12Cmd),
    VorzeA10CycloneCmd(VorzeA10CycloneCmd),
    LovenseCmd(BrandCmd),
    KiirooCmd(BrandCmd),
    VibrateCmd(VibrateCmd),
    RotateCmd(RotateCmd),
    LinearCmd(LinearCmd),
    BatteryLevelCmd(DeviceIndexOnly),
    #[serde(rename = "RSSILevelCmd")]
    RssiLevelCmd(DeviceIndexOnly),
    RawWriteCmd(RawWriteCmd),
    RawReadCmd(RawReadCmd),
    RawSubscribeCmd(RawEndpointCmd),
    RawUnsubscribeCmd(RawEndpointCmd),
    ScalarCmd(ScalarCmd),
    SensorReadCmd(SensorCmd),
    SensorSubscribeCmd(SensorCmd),
    SensorUnsubscribeCmd(SensorCmd),
    StopCmd(StopCmd),
    OutputCmd(OutputCmd),
    InputCmd(InputCmd),
    Disconnect(IdOnly),
}

/// A message from the server, of any spec version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ServerMessage {
    Ok(IdOnly),
    Error(ErrorMessage),
    ServerInfo(ServerInfo),
    ScanningFinished(IdOnly),
    DeviceList(DeviceList),
    DeviceAdded(DeviceAdded),
    DeviceRemoved(DeviceRemoved),
    Log(Log),
    Test(Test),
    BatteryLevelReading(BatteryLevelReading),
    #[serde(rename = "RSSILevelReading")]
    RssiLevelReading(RssiLevelReading),
    RawReading(RawReading),
    SensorReading(SensorReading),
    InputReading(InputReading),
}

/// Which side sends a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// The wire name of every message, its direction, and the spec versions that contain it
/// (the Buttplug spec, and what the reference server accepts).
pub const MESSAGE_TABLE: &[(&str, Direction, SpecVersion, SpecVersion)] = {
    use Direction::*;
    use SpecVersion::*;
    &[
        ("RequestServerInfo", ClientToServer, V0, V4),
        ("Ping", ClientToServer, V0, V4),
        ("StartScanning", ClientToServer, V0, V4),
        ("StopScanning", ClientToServer, V0, V4),
        ("RequestDeviceList", ClientToServer, V0, V4),
        ("StopDeviceCmd", ClientToServer, V0, V3),
        ("StopAllDevices", ClientToServer, V0, V3),
        ("RequestLog", ClientToServer, V0, V1),
        ("Test", ClientToServer, V0, V1),
        ("SingleMotorVibrateCmd", ClientToServer, V0, V1),
        ("FleshlightLaunchFW12Cmd", ClientToServer, V0, V1),
        ("VorzeA10CycloneCmd", ClientToServer, V0, V1),
        ("LovenseCmd", ClientToServer, V0, V1),
        ("KiirooCmd", ClientToServer, V0, V1),
        ("VibrateCmd", ClientToServer, V1, V3),
        ("RotateCmd", ClientToServer, V1, V3),
        ("LinearCmd", ClientToServer, V1, V3),
        ("BatteryLevelCmd", ClientToServer, V2, V2),
        ("RSSILevelCmd", ClientToServer, V2, V2),
        ("RawWriteCmd", ClientToServer, V2, V3),
        ("RawReadCmd", ClientToServer, V2, V3),
        ("RawSubscribeCmd", ClientToServer, V2, V3),
        ("RawUnsubscribeCmd", ClientToServer, V2, V3),
        ("ScalarCmd", ClientToServer, V3, V3),
        ("SensorReadCmd", ClientToServer, V3, V3),
        ("SensorSubscribeCmd", ClientToServer, V3, V3),
        ("SensorUnsubscribeCmd", ClientToServer, V3, V3),
        ("StopCmd", ClientToServer, V4, V4),
        ("OutputCmd", ClientToServer, V4, V4),
        ("InputCmd", ClientToServer, V4, V4),
        ("Disconnect", ClientToServer, V4, V4),
        ("Ok", ServerToClient, V0, V4),
        ("Error", ServerToClient, V0, V4),
        ("ServerInfo", ServerToClient, V0, V4),
        ("ScanningFinished", ServerToClient, V0, V4),
        ("DeviceList", ServerToClient, V0, V4),
        ("DeviceAdded", ServerToClient, V0, V3),
        ("DeviceRemoved", ServerToClient, V0, V3),
        ("Log", ServerToClient, V0, V1),
        ("Test", ServerToClient, V0, V1),
        ("BatteryLevelReading", ServerToClient, V2, V2),
        ("RSSILevelReading", ServerToClient, V2, V2),
        ("RawReading", ServerToClient, V2, V3),
        ("SensorReading", ServerToClient, V3, V3),
        ("InputReading", ServerToClient, V4, V4),
    ]
};

/// Whether the message `name` sent in `direction` exists in `version`; `None` when the name
/// is not a Buttplug message in that direction at all.
pub fn message_in_version(name: &str, direction: Direction, version: SpecVersion) -> Option<bool> {
    MESSAGE_TABLE
        .iter()
        .find(|(n, d, _, _)| *n == name && *d == direction)
        .map(|(_, _, first, last)| (*first..=*last).contains(&version))
}

impl ClientMessage {
    /// The wire name.
    pub fn name(&self) -> &'static str {
        use ClientMessage::*;
        match self {
            RequestServerInfo(_) => "RequestServerInfo",
            Ping(_) => "Ping",
            StartScanning(_) => "StartScanning",
            StopScanning(_) => "StopScanning",
            RequestDeviceList(_) => "RequestDeviceList",
            StopDeviceCmd(_) => "StopDeviceCmd",
            StopAllDevices(_) => "StopAllDevices",
            RequestLog(_) => "RequestLog",
            Test(_) => "Test",
            SingleMotorVibrateCmd(_) => "SingleMotorVibrateCmd",
            FleshlightLaunchFw12Cmd(_) => "FleshlightLaunchFW12Cmd",
            VorzeA10CycloneCmd(_) => "VorzeA10CycloneCmd",
            LovenseCmd(_) => "LovenseCmd",
            KiirooCmd(_) => "KiirooCmd",
            VibrateCmd(_) => "VibrateCmd",
            RotateCmd(_) => "RotateCmd",
            LinearCmd(_) => "LinearCmd",
            BatteryLevelCmd(_) => "BatteryLevelCmd",
            RssiLevelCmd(_) => "RSSILevelCmd",
            RawWriteCmd(_) => "RawWriteCmd",
            RawReadCmd(_) => "RawReadCmd",
            RawSubscribeCmd(_) => "RawSubscribeCmd",
            RawUnsubscribeCmd(_) => "RawUnsubscribeCmd",
            ScalarCmd(_) => "ScalarCmd",
            SensorReadCmd(_) => "SensorReadCmd",
            SensorSubscribeCmd(_) => "SensorSubscribeCmd",
            SensorUnsubscribeCmd(_) => "SensorUnsubscribeCmd",
            StopCmd(_) => "StopCmd",
            OutputCmd(_) => "OutputCmd",
            InputCmd(_) => "InputCmd",
            Disconnect(_) => "Disconnect",
        }
    }

    /// The message Id.
    pub fn id(&self) -> u32 {
        use ClientMessage::*;
        match self {
            RequestServerInfo(m) => m.id,
            Ping(m) | StartScanning(m) | StopScanning(m) | RequestDeviceList(m) | StopAllDevices(m) | Disconnect(m) => {
                m.id
            }
            StopDeviceCmd(m) | BatteryLevelCmd(m) | RssiLevelCmd(m) => m.id,
            RequestLog(m) => m.id,
            Test(m) => m.id,
            SingleMotorVibrateCmd(m) => m.id,
            FleshlightLaunchFw12Cmd(m) => m.id,
            VorzeA10CycloneCmd(m) => m.id,
            LovenseCmd(m) | KiirooCmd(m) => m.id,
            VibrateCmd(m) => m.id,
            RotateCmd(m) => m.id,
            LinearCmd(m) => m.id,
            RawWriteCmd(m) => m.id,
            RawReadCmd(m) => m.id,
            RawSubscribeCmd(m) | RawUnsubscribeCmd(m) => m.id,
            ScalarCmd(m) => m.id,
            SensorReadCmd(m) | SensorSubscribeCmd(m) | SensorUnsubscribeCmd(m) => m.id,
            StopCmd(m) => m.id,
            OutputCmd(m) => m.id,
            InputCmd(m) => m.id,
        }
    }
}

impl ServerMessage {
    /// The wire name.
    pub fn name(&self) -> &'static str {
        use ServerMessage::*;
        match self {
            Ok(_) => "Ok",
            Error(_) => "Error",
            ServerInfo(_) => "ServerInfo",
            ScanningFinished(_) => "ScanningFinished",
            DeviceList(_) => "DeviceList",
            DeviceAdded(_) => "DeviceAdded",
            DeviceRemoved(_) => "DeviceRemoved",
            Log(_) => "Log",
            Test(_) => "Test",
            BatteryLevelReading(_) => "BatteryLevelReading",
            RssiLevelReading(_) => "RSSILevelReading",
            RawReading(_) => "RawReading",
            SensorReading(_) => "SensorReading",
            InputReading(_) => "InputReading",
        }
    }

    /// `Ok` answering the message with this Id.
    pub fn ok(id: u32) -> ServerMessage {
        ServerMessage::Ok(IdOnly { id })
    }
}

impl ServerInfo {
    /// ServerInfo in the shape `version` expects (docs/architecture.md, Spec versions and conversion): v0–v3 echo the client's
    /// own version number, v4 gets 4 and this server's minor version.
    pub fn for_version(version: SpecVersion, id: u32, server_name: &str, max_ping_time: u32) -> ServerInfo {
        let mut info = ServerInfo {
            id,
            server_name: server_name.to_owned(),
            max_ping_time,
            message_version: None,
            major_version: None,
            minor_version: None,
            build_version: None,
            protocol_version_major: None,
            protocol_version_minor: None,
        };
        match version {
            SpecVersion::V0 | SpecVersion::V1 => {
                info.message_version = Some(version.number());
                info.major_version = Some(0);
                info.minor_version = Some(0);
                info.build_version = Some(0);
            }
            SpecVersion::V2 | SpecVersion::V3 => info.message_version = Some(version.number()),
            SpecVersion::V4 => {
                info.protocol_version_major = Some(4);
                info.protocol_version_minor = Some(SpecVersion::V4_MINOR);
            }
        }
        info
    }
}
