//! Settings as JSON in the OS config dir (`~/.config/plugboard/settings.json` on Linux),
//! written atomically. A file that does not parse is moved aside and reported. Settings the
//! user saves are checked first ([`checked`]).

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
    serde_json::from_slice::<Settings>(bytes).is_ok()
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
    match serde_json::from_slice::<Settings>(&bytes) {
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

/// The settings as the user saved them, tidied (blank Origins dropped), or a sentence saying
/// what is wrong with them.
pub fn checked(mut settings: Settings) -> Result<Settings, String> {
    if settings.server_name.trim().is_empty() {
        return Err("The server name cannot be empty.".to_owned());
    }
    settings.allowed_origins =
        settings.allowed_origins.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    if let Some(bad) = settings.allowed_origins.iter().find(|o| !looks_like_origin(o)) {
        return Err(format!(
            "'{bad}' is not an Origin: write it as the web page's scheme and host, like https://game.example or http://localhost:5173."
        ));
    }
    Ok(settings)
}

/// `scheme://host[:port]`, or `null` (what sandboxed pages and files send).
fn looks_like_origin(text: &str) -> bool {
    if text == "null" {
        return true;
    }
    match text.split_once("://") {
        Some((scheme, host)) => {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !host.trim_end_matches('/').is_empty()
                && !host.trim_end_matches('/').contains(['/', ' ', '?', '#'])
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host() {
        for good in ["https://game.example", "http://localhost:5173", "https://game.example/", "null", "app://x"] {
            assert!(looks_like_origin(good), "{good}");
        }
        for bad in ["game.example", "https://", "https://game.example/play", "https://a b", "://x"] {
            assert!(!looks_like_origin(bad), "{bad}");
        }
    }

    #[test]
    fn saved_settings_are_checked_and_tidied() {
        let blank_name = Settings { server_name: " ".into(), ..Settings::default() };
        assert_eq!(checked(blank_name), Err("The server name cannot be empty.".to_owned()));
        let origins = vec![" https://game.example ".to_owned(), "".to_owned()];
        let tidied = checked(Settings { allowed_origins: origins, ..Settings::default() }).unwrap();
        assert_eq!(tidied.allowed_origins, vec!["https://game.example"]);
        let bad = Settings { allowed_origins: vec!["game.example".into()], ..Settings::default() };
        assert!(checked(bad).unwrap_err().starts_with("'game.example' is not an Origin"));
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
