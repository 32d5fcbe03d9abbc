//! Settings as JSON in the OS config dir (`~/.config/plugboard/settings.json` on Linux),
//! written atomically. A file that does not parse is moved aside and reported. Settings the
//! user saves are checked first ([`checked`]). Older files are read as they are: a renamed
//! setting is moved to its new name ([`migrate`]), and a setting that is gone is ignored.

use std::path::{Path, PathBuf};

use plugboard_server::files;

use crate::models::Settings;

pub const FILE_NAME: &str = "settings.json";

/// What loading found.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub settings: Settings,
    /// A sentence for the user when the file could not be used.
    pub message: Option<String>,
}

fn parses(bytes: &[u8]) -> bool {
    parse(bytes).is_ok()
}

/// Settings from a file's bytes, older names included.
fn parse(bytes: &[u8]) -> Result<Settings, serde_json::Error> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
    migrate(&mut value);
    serde_json::from_value(value)
}

/// Moves renamed settings to their new names. The list "Only let these web pages connect"
/// (`allowedOrigins`, with its switch `restrictOrigins`) became the web pages the user always
/// allows (`rememberedWebPages`): every web page not in it is now asked about.
fn migrate(value: &mut serde_json::Value) {
    let Some(object) = value.as_object_mut() else { return };
    if let Some(old) = object.remove("allowedOrigins") {
        object.entry("rememberedWebPages").or_insert(old);
    }
    object.remove("restrictOrigins");
}

/// Reads the settings at `path`; defaults when there is no file. A file that does not parse
/// is moved aside (its bytes untouched) and the defaults are used.
pub fn load(path: &Path) -> Loaded {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Loaded { settings: Settings::default(), message: None }
        }
        Err(error) => {
            return Loaded {
                settings: Settings::default(),
                message: Some(format!(
                    "The settings file {} could not be read ({error}); using the defaults.",
                    path.display()
                )),
            }
        }
    };
    match parse(&bytes) {
        Ok(settings) => Loaded { settings, message: None },
        Err(parse_error) => {
            let message = match files::move_aside(path) {
                Ok(aside) => format!(
                    "The settings file {} was not valid ({parse_error}); it was kept as {} and the defaults are used.",
                    path.display(),
                    aside.display()
                ),
                Err(error) => format!(
                    "The settings file {} was not valid ({parse_error}) and could not be moved aside ({error}); using the defaults.",
                    path.display()
                ),
            };
            tracing::warn!("{message}");
            Loaded { settings: Settings::default(), message: Some(message) }
        }
    }
}

/// Writes `settings` to `path` atomically. A file there that is not valid settings is moved
/// aside first; a sentence saying so is returned.
pub fn save(path: &Path, settings: &Settings) -> Result<Option<String>, String> {
    let mut json =
        serde_json::to_vec_pretty(settings).map_err(|e| format!("The settings could not be encoded: {e}."))?;
    json.push(b'\n');
    match files::replace_file(path, &json, parses) {
        Ok(None) => Ok(None),
        Ok(Some(aside)) => {
            let message = format!(
                "The settings file {} was not valid; it was kept as {} and replaced.",
                path.display(),
                aside.display()
            );
            tracing::warn!("{message}");
            Ok(Some(message))
        }
        Err(error) => Err(format!("The settings could not be saved to {}: {error}.", path.display())),
    }
}

/// Plugboard's config dir, shared with the engine's user device config (the engine decides
/// where it is).
pub fn default_dir() -> Option<PathBuf> {
    plugboard_server::default_config_dir()
}

/// The settings as the user saved them, or a sentence saying what is wrong with them.
pub fn checked(settings: Settings) -> Result<Settings, String> {
    if settings.server_name.trim().is_empty() {
        return Err("The server name cannot be empty.".to_owned());
    }
    let url = settings.device_database_url.trim();
    if !url.is_empty() && !url.starts_with("https://") && !url.starts_with("http://") {
        return Err(format!(
            "The device database address \"{url}\" must start with https:// or http:// (leave it empty for the reference database)."
        ));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_are_checked() {
        let blank_name = Settings { server_name: " ".into(), ..Settings::default() };
        assert_eq!(checked(blank_name), Err("The server name cannot be empty.".to_owned()));
        let not_http = Settings { device_database_url: "ftp://example.com/db.json".into(), ..Settings::default() };
        assert!(checked(not_http).unwrap_err().contains("must start with https://"));
        let https = Settings { device_database_url: "https://example.com/db.json".into(), ..Settings::default() };
        assert!(checked(https).is_ok());
    }

    #[test]
    fn the_old_list_of_allowed_web_pages_becomes_the_remembered_web_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let old = r#"{"port": 12345, "restrictOrigins": true, "allowedOrigins": ["https://game.example"]}"#;
        std::fs::write(&path, old).unwrap();
        let loaded = load(&path);
        assert_eq!(loaded.message, None);
        assert_eq!(loaded.settings.remembered_web_pages, vec!["https://game.example"]);
        assert!(!loaded.settings.allow_any_web_page, "web pages are asked about");
        // Written back under the new name only.
        save(&path, &loaded.settings).unwrap();
        let saved = std::fs::read_to_string(&path).unwrap();
        assert!(saved.contains("\"rememberedWebPages\"") && !saved.contains("allowedOrigins"), "{saved}");
        assert!(!saved.contains("restrictOrigins"), "{saved}");
        assert_eq!(load(&path).settings.remembered_web_pages, vec!["https://game.example"]);
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = load(&dir.path().join(FILE_NAME));
        assert_eq!(loaded, Loaded { settings: Settings::default(), message: None });
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(FILE_NAME);
        let settings = Settings { port: 4242, close_to_tray: false, ..Settings::default() };
        assert_eq!(save(&path, &settings), Ok(None));
        assert_eq!(load(&path).settings, settings);
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)], "no temporary file left behind");
    }

    #[test]
    fn corrupt_file_is_moved_aside_on_load_and_on_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"{ not json").unwrap();
        let loaded = load(&path);
        assert_eq!(loaded.settings, Settings::default());
        assert!(loaded.message.unwrap().contains("was not valid"));
        assert!(!path.exists());
        let aside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read(&aside[0]).unwrap(), b"{ not json");

        std::fs::write(&path, b"[1, 2]").unwrap();
        let message = save(&path, &Settings::default()).unwrap().unwrap();
        assert!(message.contains("kept as"));
        assert_eq!(load(&path).settings, Settings::default());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
