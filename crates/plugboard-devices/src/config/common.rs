//! What every config reader shares, so that none needs another: the errors and warnings of
//! config files, the serial settings and their overrides, the entries of the device database
//! (built by both its readers, Plugboard's format in [`super::database`] and the reference's
//! in [`super::reference`]), and the names of output types, input types, parities and
//! protocols as the files spell them.

use std::collections::BTreeMap;

use plugboard_protocol::model::{Feature, InputType, OutputType, Range};

use super::json::{non_empty, whole_in, Loc, PResult, PathError, ReadError};
use crate::hardware::Endpoint;

/// Whether `name` is an endpoint name a protocol may map a characteristic to
/// (`generic0` .. `generic31` included). The one list of names is [`Endpoint`]'s.
pub fn is_endpoint_name(name: &str) -> bool {
    name.parse::<Endpoint>().is_ok()
}

pub(crate) fn endpoint_names() -> String {
    Endpoint::NAMED.iter().filter_map(|e| e.static_name()).collect::<Vec<_>>().join(", ")
}

/// A database or user-config file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigFileError {
    #[error("{file}: cannot read: {message}")]
    Read { file: String, message: String },
    #[error("{file}: not valid JSON: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {path}: {message}")]
    Invalid { file: String, path: String, message: String },
}

impl ConfigFileError {
    pub(crate) fn invalid(file: &str, error: PathError) -> ConfigFileError {
        ConfigFileError::Invalid { file: file.to_string(), path: error.path, message: error.message }
    }

    pub(crate) fn from_read(file: &str, error: ReadError) -> ConfigFileError {
        match error {
            ReadError::Syntax(message) => ConfigFileError::Syntax { file: file.to_string(), message },
            ReadError::Invalid(error) => ConfigFileError::invalid(file, error),
        }
    }
}

/// Serial line parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parity {
    None,
    Odd,
    Even,
}

impl Parity {
    pub fn name(self) -> &'static str {
        match self {
            Parity::None => "none",
            Parity::Odd => "odd",
            Parity::Even => "even",
        }
    }

    /// Plugboard spells it `none`/`odd`/`even`; Intiface files use `N`/`O`/`E`.
    pub fn parse(text: &str) -> Option<Parity> {
        match text.to_ascii_lowercase().as_str() {
            "none" | "n" => Some(Parity::None),
            "odd" | "o" => Some(Parity::Odd),
            "even" | "e" => Some(Parity::Even),
            _ => None,
        }
    }
}

/// How to open a serial port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SerialSettings {
    pub baud_rate: u32,
    pub data_bits: u8,
    pub stop_bits: u8,
    pub parity: Parity,
}

impl Default for SerialSettings {
    /// 115200 8N1.
    fn default() -> SerialSettings {
        SerialSettings { baud_rate: 115_200, data_bits: 8, stop_bits: 1, parity: Parity::None }
    }
}

/// A manufacturer-data rule: the company id, and optionally bytes that must match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ManufacturerData {
    pub company: u16,
    pub data: Option<Vec<u8>>,
}

/// How a BLE device of a protocol is recognised from its advertisement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BleIdentify {
    /// Exact names, or prefixes ending in `*`.
    pub names: Vec<String>,
    pub manufacturer_data: Vec<ManufacturerData>,
    /// Lowercase UUIDs.
    pub advertised_services: Vec<String>,
}

/// How a protocol's hardware is recognised on each transport.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identify {
    pub ble: Option<BleIdentify>,
    /// Port settings for this protocol. Ports themselves are bound in the user config.
    pub serial: Option<SerialSettings>,
    /// Identifiers that device-websocket clients announce (usually empty in the database;
    /// the user config binds them).
    pub websocket_names: Vec<String>,
}

/// A device model (or a protocol's defaults) as written in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDef {
    /// Identifiers the protocol's identify step produces for this model (empty for defaults).
    pub identifiers: Vec<String>,
    pub name: String,
    /// A protocol-specific sub-variant, if the protocol needs one.
    pub variant: Option<String>,
    pub message_gap_ms: Option<u32>,
    /// `None`: the protocol's default features.
    pub features: Option<Vec<Feature>>,
}

/// One protocol's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolDef {
    pub name: String,
    pub identify: Identify,
    /// BLE service UUID -> endpoint name -> characteristic UUID (all UUIDs lowercase).
    pub endpoints: BTreeMap<String, BTreeMap<String, String>>,
    pub defaults: ModelDef,
    pub models: Vec<ModelDef>,
}

pub(crate) fn valid_protocol_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A parity as Plugboard (`none`, `odd`, `even`) or Intiface (`N`, `O`, `E`) writes it.
pub(crate) fn parity_at(loc: &Loc, text: &str) -> PResult<Parity> {
    Parity::parse(text).ok_or_else(|| loc.err(format!("{text:?} is not a parity (none, odd or even)")))
}

/// Output type names in Plugboard's files.
pub fn output_type_from_name(name: &str) -> Option<OutputType> {
    Some(match name {
        "vibrate" => OutputType::Vibrate,
        "rotate" => OutputType::Rotate,
        "oscillate" => OutputType::Oscillate,
        "constrict" => OutputType::Constrict,
        "inflate" => OutputType::Inflate,
        "temperature" => OutputType::Temperature,
        "led" => OutputType::Led,
        "spray" => OutputType::Spray,
        "position" => OutputType::Position,
        "position_with_duration" => OutputType::HwPositionWithDuration,
        _ => return None,
    })
}

/// The name [`output_type_from_name`] reads.
pub fn output_type_name(kind: OutputType) -> &'static str {
    match kind {
        OutputType::Vibrate => "vibrate",
        OutputType::Rotate => "rotate",
        OutputType::Oscillate => "oscillate",
        OutputType::Constrict => "constrict",
        OutputType::Inflate => "inflate",
        OutputType::Temperature => "temperature",
        OutputType::Led => "led",
        OutputType::Spray => "spray",
        OutputType::Position => "position",
        OutputType::HwPositionWithDuration => "position_with_duration",
    }
}

pub(crate) const OUTPUT_TYPE_NAMES: &str =
    "vibrate, rotate, oscillate, constrict, inflate, temperature, led, spray, position, position_with_duration";

pub(crate) fn input_type_from_name(name: &str) -> Option<InputType> {
    Some(match name {
        "battery" => InputType::Battery,
        "rssi" => InputType::Rssi,
        "button" => InputType::Button,
        "pressure" => InputType::Pressure,
        "depth" => InputType::Depth,
        "position" => InputType::Position,
        _ => return None,
    })
}

/// An output type's name, or an error at `loc`.
pub(crate) fn output_type_at(loc: &Loc, name: &str) -> PResult<OutputType> {
    output_type_from_name(name).ok_or_else(|| loc.err(format!("unknown output type {name:?} ({OUTPUT_TYPE_NAMES})")))
}

/// Why `range` cannot be the step range of a `kind` output, if it cannot.
pub(crate) fn output_range_problem(kind: OutputType, range: Range) -> Option<String> {
    if range.max <= 0 {
        Some(format!("{} needs a range with a positive top, e.g. [0, 20]", output_type_name(kind)))
    } else if range.min < 0 && range.min != -range.max {
        Some("a signed range must be symmetric, e.g. [-20, 20]".to_string())
    } else if range.min > 0 {
        Some("a range starts at 0 (or is symmetric around 0, e.g. [-20, 20])".to_string())
    } else {
        None
    }
}

/// Something in a config file that was not used, or a file that had to be moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigWarning {
    /// A value was ignored (an unknown key, an entry Plugboard does not support).
    Ignored { file: String, path: String, message: String },
    /// A file did not parse; it was moved to `moved_to`, byte for byte.
    MovedAside { file: String, moved_to: String, error: String },
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigWarning::Ignored { file, path, message } => write!(f, "{file}: {path}: ignored: {message}"),
            ConfigWarning::MovedAside { file, moved_to, error } => {
                write!(
                    f,
                    "{file} could not be read ({error}); it was moved to {moved_to} and a new file will be written"
                )
            }
        }
    }
}

/// Serial settings that override the protocol's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SerialOverrides {
    pub baud_rate: Option<u32>,
    pub data_bits: Option<u8>,
    pub stop_bits: Option<u8>,
    pub parity: Option<Parity>,
}

impl SerialOverrides {
    pub fn apply_to(&self, base: SerialSettings) -> SerialSettings {
        SerialSettings {
            baud_rate: self.baud_rate.unwrap_or(base.baud_rate),
            data_bits: self.data_bits.unwrap_or(base.data_bits),
            stop_bits: self.stop_bits.unwrap_or(base.stop_bits),
            parity: self.parity.unwrap_or(base.parity),
        }
    }
}

/// A protocol name as the user config and Intiface's give it.
pub(crate) fn protocol_name(loc: &Loc, name: String) -> PResult<String> {
    non_empty(loc, &name)?;
    if !valid_protocol_name(&name) {
        return Err(loc.err(format!("{name:?} is not a protocol name (e.g. \"tcode-v03\")")));
    }
    Ok(name)
}

/// Serial settings that override the protocol's (Plugboard and Intiface spellings of parity);
/// `loc` is the object that holds them.
pub(crate) fn serial_overrides(
    loc: &Loc,
    baud_rate: Option<u32>,
    data_bits: Option<u8>,
    stop_bits: Option<u8>,
    parity: Option<&str>,
) -> PResult<SerialOverrides> {
    let baud_rate = baud_rate
        .map(|baud| whole_in(&loc.key("baud_rate"), i64::from(baud), 1, i64::from(u32::MAX)).map(|baud| baud as u32))
        .transpose()?;
    let data_bits = data_bits
        .map(|bits| whole_in(&loc.key("data_bits"), i64::from(bits), 5, 8).map(|bits| bits as u8))
        .transpose()?;
    let stop_bits = stop_bits
        .map(|bits| whole_in(&loc.key("stop_bits"), i64::from(bits), 1, 2).map(|bits| bits as u8))
        .transpose()?;
    let parity = parity.map(|text| parity_at(&loc.key("parity"), text)).transpose()?;
    Ok(SerialOverrides { baud_rate, data_bits, stop_bits, parity })
}
