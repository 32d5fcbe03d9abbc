//! Device configuration: the device database and the user's device settings.
//!
//! Every file is read through serde into types that mirror its JSON, then checked; problems are
//! named by their JSON path ([`json`] says how).
//!
//! - [`database`]: Plugboard's device database (`device-config/plugboard-devices.json`,
//!   embedded; `--device-config-file` replaces it): per protocol, how its hardware is
//!   recognised, its GATT endpoints, and its device models. [`database_file`] holds the types
//!   its JSON is read into and written from.
//! - `load`: reading a database in either format ([`Database::from_file`] and friends).
//! - [`export`]: writing a database in Plugboard's format (the converter's output).
//! - [`matching`]: which protocols may drive a found device (BLE advertisement, serial port,
//!   websocket identifier), user bindings first.
//! - [`user`]: Plugboard's user config: per address allow/deny, display name, stable index,
//!   output limits; serial port and websocket bindings.
//! - [`reference`]: reading the reference engine's v4/v5 device database format.
//! - [`intiface`]: reading Intiface's v4/v5 user config (read only).
//! - [`schema`]: the JSON Schemas of Plugboard's own formats, generated from their types.
//! - [`store`]: loading and saving the user config: atomic writes, moving unreadable files aside.
//! - [`update`]: judging a downloaded database before it replaces the one in use.
//!
//! The format is described for contributors and users in `device-config/README.md`.

mod common;
pub mod database;
pub mod database_file;
pub mod export;
pub mod intiface;
mod json;
mod load;
pub mod matching;
pub mod reference;
pub mod schema;
pub mod store;
pub mod update;
pub mod user;

pub use database::{
    ConfigFileError, Database, DatabaseFormat, DeviceDefinition, Identify, ModelDef, Parity, ProtocolDef,
    SerialSettings,
};
pub use intiface::{detect_kind, UserConfigKind};
pub use json::PathError;
pub use matching::{candidates, BleAdvertisement, Candidate, Discovered, MatchSource};
pub use store::{load_user_config, save_user_config, LoadedUserConfig, StoreError, UserConfigSource};
pub use user::{AddressDecision, ConfigWarning, OutputSetting, UserConfig, UserDevice};

#[cfg(test)]
mod tests {
    use super::*;

    /// Damaged files of every kind are errors or warnings, never panics.
    #[test]
    fn damaged_files_never_panic() {
        let inputs = [
            database::BUILTIN_DATABASE_JSON,
            include_str!("../../../../device-config/example-user-config.json"),
            r#"{"version": {"major": 5, "minor": 1}, "user_configs": {"protocols": {"tcode-v03": {"communication":
               [{"serial": {"port": "/dev/ttyUSB0", "baud_rate": 115200, "parity": "N"}}, {"websocket": {"name": "W"}}]}},
               "devices": [{"identifier": {"address": "A", "protocol": "lovense", "identifier": "B"},
               "config": {"features": [{"output": {"vibrate": {"value": [0, 15], "disabled": true}}}],
               "user_config": {"allow": true, "deny": false, "index": 3, "display_name": "N"}}}]}}"#,
        ];
        let replacements =
            ["", "0", "-1", "\"", "[", "]", "{}", "null", "*", "1e400", "4294967296", "[[[", "\"\\u0000\""];
        for input in inputs {
            let step = (input.len() / 60).max(1);
            for cut in (0..input.len()).step_by(step) {
                for replacement in replacements {
                    let text = format!("{}{}{}", &input[..cut], replacement, &input[(cut + 1).min(input.len())..]);
                    let _ = Database::from_json_str(&text, "fuzz");
                    let _ = UserConfig::from_json_str(&text, "fuzz");
                    let _ = intiface::read_intiface_str(&text, "fuzz");
                }
            }
        }
        let deep = "[".repeat(100_000);
        assert!(Database::from_json_str(&deep, "deep").is_err());
        assert!(UserConfig::from_json_str(&deep, "deep").is_err());
    }
}
