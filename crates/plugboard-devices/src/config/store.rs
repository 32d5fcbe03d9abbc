//! Where the user config lives, and how it is read and written safely.
//!
//! * Writes are atomic: a temporary file in the same directory, flushed to disk, then renamed
//!   over the target.
//! * A file that does not parse is never overwritten: it is moved aside to
//!   `<name>.corrupt-<YYYYMMDDTHHMMSS>` (UTC; `-2`, `-3` ... appended if that name exists)
//!   and reported, before anything new is written at its path.
//! * An Intiface user config is read and never written; Plugboard keeps its own file (by
//!   default in the OS config directory) and lays it over the imported settings.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use super::common::{ConfigFileError, ConfigWarning};
use super::intiface::{detect_kind, read_intiface_str, UserConfigKind};
use super::user::UserConfig;

/// The file name of Plugboard's user config in its config directory.
pub const USER_CONFIG_FILE_NAME: &str = "user-device-config.json";

/// Why the user config could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] ConfigFileError),
    #[error("{file}: this is an Intiface user config from before version 4 (\"user-configs\"); only versions 4 and 5 can be read")]
    UnsupportedIntiface { file: String },
    #[error(
        "no configuration directory could be found (set HOME or XDG_CONFIG_HOME, or pass --user-device-config-file)"
    )]
    NoConfigDir,
}

fn io_error(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io { path: path.display().to_string(), source }
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory (created
/// if missing), flushed to disk, then renamed over `path`. A process killed at any moment
/// leaves the old file or the new one, whole (`tests/kill_during_write.rs`); a failed write
/// leaves no temporary file behind.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let name =
        path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    // A hidden name that says whose it is (`.user-device-config.json.tmp-XXXXXX`), so that one
    // left by a killed process is recognisable. tempfile removes it on every error path.
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".tmp-");
    let mut file = tempfile::Builder::new().prefix(&prefix).tempfile_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    #[cfg(unix)]
    {
        // Make the rename itself durable; not all file systems allow this, so best effort.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// A point in time as UTC, at whole seconds; before 1970 or past the year 9999 it is taken
/// as 1970-01-01.
fn utc(time: SystemTime) -> OffsetDateTime {
    let seconds = time.duration_since(UNIX_EPOCH).map(|since| since.as_secs()).unwrap_or(0);
    i64::try_from(seconds)
        .ok()
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A point in time as UTC calendar fields: (year, month, day, hour, minute, second).
pub fn utc_fields(time: SystemTime) -> (i64, i64, i64, i64, i64, i64) {
    let utc = utc(time);
    (
        i64::from(utc.year()),
        i64::from(u8::from(utc.month())),
        i64::from(utc.day()),
        i64::from(utc.hour()),
        i64::from(utc.minute()),
        i64::from(utc.second()),
    )
}

/// RFC 3339 in UTC at whole seconds (`2024-02-29T12:34:56Z`), as log lines carry it.
pub fn rfc3339(time: SystemTime) -> String {
    utc(time).format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// `YYYYMMDDTHHMMSS` (UTC) for a point in time.
pub fn timestamp(time: SystemTime) -> String {
    let compact = format_description!("[year][month][day]T[hour][minute][second]");
    utc(time).format(&compact).unwrap_or_else(|_| "19700101T000000".to_string())
}

/// Renames `path` to `<name>.corrupt-<timestamp>` (or `...-2`, `-3` ... if taken) in the same
/// directory and returns the new path. The file's bytes are untouched.
pub fn move_aside(path: &Path) -> io::Result<PathBuf> {
    let name =
        path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let stamp = timestamp(SystemTime::now());
    for attempt in 1u32..10_000 {
        let mut new_name = name.to_os_string();
        new_name.push(format!(".corrupt-{stamp}"));
        if attempt > 1 {
            new_name.push(format!("-{attempt}"));
        }
        let target = path.with_file_name(new_name);
        if target.symlink_metadata().is_ok() {
            continue;
        }
        std::fs::rename(path, &target)?;
        return Ok(target);
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "too many files moved aside already"))
}

/// Replaces the file at `path` with `contents`, atomically. If a file is there and
/// `still_ours` says its bytes are not a valid file of ours, it is moved aside first; the new
/// path is returned.
pub fn replace_file(path: &Path, contents: &[u8], still_ours: impl Fn(&[u8]) -> bool) -> io::Result<Option<PathBuf>> {
    let moved = match std::fs::read(path) {
        Ok(existing) if still_ours(&existing) => None,
        Ok(_) => Some(move_aside(path)?),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    write_atomic(path, contents)?;
    Ok(moved)
}

/// Which kind of user config a text is, if it is JSON at all. User configs are small: the
/// look at the whole document costs nothing worth saving.
fn kind_of(text: &str) -> Option<UserConfigKind> {
    serde_json::from_str::<Value>(text).ok().map(|value| detect_kind(&value))
}

/// Whether bytes are a Plugboard user config that loads.
fn is_own_user_config(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else { return false };
    kind_of(text) == Some(UserConfigKind::Plugboard) && UserConfig::from_json_str(text, "").is_ok()
}

/// Saves Plugboard's user config at `path` (atomically; a file there that does not parse is
/// moved aside first and reported).
pub fn save_user_config(path: &Path, config: &UserConfig) -> Result<Option<ConfigWarning>, StoreError> {
    let text = config.to_json_string();
    let moved = replace_file(path, text.as_bytes(), is_own_user_config).map_err(|error| io_error(path, error))?;
    Ok(moved.map(|moved_to| ConfigWarning::MovedAside {
        file: path.display().to_string(),
        moved_to: moved_to.display().to_string(),
        error: "it did not parse as a Plugboard user config".to_string(),
    }))
}

/// Where the loaded settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserConfigSource {
    /// Plugboard's own file (it may not exist yet).
    Plugboard { path: PathBuf },
    /// An Intiface file, with Plugboard's own file laid over it.
    Intiface { intiface: PathBuf, own: PathBuf },
}

/// The user config as loaded, where to save it, and what was noticed on the way.
#[derive(Debug, Clone)]
pub struct LoadedUserConfig {
    pub config: UserConfig,
    pub source: UserConfigSource,
    /// Where [`save_user_config`] should write (never an Intiface file).
    pub write_path: PathBuf,
    pub warnings: Vec<ConfigWarning>,
}

/// Loads the user config for `--user-device-config-file` (`explicit`), or Plugboard's own file
/// (`own`: by default `user-device-config.json` in the config directory that
/// `plugboard_server::default_config_dir` names; `None` where there is none).
pub fn load_user_config(explicit: Option<&Path>, own: Option<&Path>) -> Result<LoadedUserConfig, StoreError> {
    match (explicit, own) {
        (Some(path), Some(own)) => load_user_config_from(Some(path), own),
        (Some(path), None) => {
            // Without a config directory an Intiface file has nowhere to keep changes.
            let loaded = load_user_config_from(Some(path), path)?;
            match loaded.source {
                UserConfigSource::Intiface { .. } => Err(StoreError::NoConfigDir),
                _ => Ok(loaded),
            }
        }
        (None, Some(own)) => load_user_config_from(None, own),
        (None, None) => Err(StoreError::NoConfigDir),
    }
}

/// [`load_user_config`] with the default path given (for tests and embedding).
pub fn load_user_config_from(explicit: Option<&Path>, default_path: &Path) -> Result<LoadedUserConfig, StoreError> {
    let Some(path) = explicit else {
        let (config, warnings) = load_own(default_path)?;
        let path = default_path.to_path_buf();
        return Ok(LoadedUserConfig {
            config,
            source: UserConfigSource::Plugboard { path: path.clone() },
            write_path: path,
            warnings,
        });
    };
    let file = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(io_error(path, error)),
    };
    let text = std::str::from_utf8(&text).ok();
    match text.and_then(kind_of) {
        Some(UserConfigKind::IntifaceV3) => Err(StoreError::UnsupportedIntiface { file }),
        Some(UserConfigKind::Intiface { .. }) if path != default_path => {
            let (mut config, mut warnings) = read_intiface_str(text.unwrap_or_default(), &file)?;
            let (own, own_warnings) = load_own(default_path)?;
            warnings.extend(own_warnings);
            for address in config.overlay(own) {
                warnings.push(ConfigWarning::Ignored {
                    file: file.clone(),
                    path: format!("device {address}"),
                    message: format!(
                        "its index is used by a device in {}; a new index will be assigned",
                        default_path.display()
                    ),
                });
            }
            Ok(LoadedUserConfig {
                config,
                source: UserConfigSource::Intiface { intiface: path.to_path_buf(), own: default_path.to_path_buf() },
                write_path: default_path.to_path_buf(),
                warnings,
            })
        }
        _ => {
            let (config, warnings) = load_own(path)?;
            Ok(LoadedUserConfig {
                config,
                source: UserConfigSource::Plugboard { path: path.to_path_buf() },
                write_path: path.to_path_buf(),
                warnings,
            })
        }
    }
}

/// Loads Plugboard's own file. Missing: empty. Not a valid Plugboard user config: moved
/// aside (reported) and empty, so the next save cannot overwrite it.
fn load_own(path: &Path) -> Result<(UserConfig, Vec<ConfigWarning>), StoreError> {
    let file = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((UserConfig::default(), Vec::new())),
        Err(error) => return Err(io_error(path, error)),
    };
    let parsed = match std::str::from_utf8(&bytes) {
        Err(error) => Err(format!("not UTF-8 text ({error})")),
        Ok(text) => match serde_json::from_str::<Value>(text) {
            Err(error) => Err(format!("not valid JSON: {error}")),
            Ok(value) => match detect_kind(&value) {
                UserConfigKind::Plugboard => UserConfig::from_json_str(text, &file).map_err(|error| error.to_string()),
                _ => Err("an Intiface user config where Plugboard keeps its own file".to_string()),
            },
        },
    };
    match parsed {
        Ok(loaded) => Ok(loaded),
        Err(error) => {
            let moved_to = move_aside(path).map_err(|error| io_error(path, error))?;
            let warning = ConfigWarning::MovedAside { file, moved_to: moved_to.display().to_string(), error };
            Ok((UserConfig::default(), vec![warning]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::user::WebsocketBinding;
    use std::time::Duration;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(UNIX_EPOCH), "19700101T000000");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)), "20000229T000000");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_767_225_599)), "20251231T235959");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_772_323_445)), "20260301T000405");
    }

    #[test]
    fn rfc3339_is_utc_at_whole_seconds() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_millis(1_709_210_096_789)), "2024-02-29T12:34:56Z");
        assert_eq!(utc_fields(UNIX_EPOCH + Duration::from_secs(1_709_210_096)), (2024, 2, 29, 12, 34, 56));
        assert_eq!(rfc3339(UNIX_EPOCH - Duration::from_secs(5)), "1970-01-01T00:00:00Z", "before 1970");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(400_000_000_000)), "1970-01-01T00:00:00Z", "past 9999");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("file.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(names_in(path.parent().unwrap()), ["file.json"]);
        // A failing rename (the target is a directory) cleans up too.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(write_atomic(&blocked, b"x").is_err());
        assert_eq!(names_in(dir.path()), ["blocked", "nested"]);
    }

    #[test]
    fn corrupt_file_is_moved_aside_byte_for_byte_and_each_gets_its_own_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USER_CONFIG_FILE_NAME);
        let first: &[u8] = b"{\"devices\": {\"A\": \xff oops";
        std::fs::write(&path, first).unwrap();
        let loaded = load_user_config_from(None, &path).unwrap();
        assert_eq!(loaded.config, UserConfig::default());
        let [ConfigWarning::MovedAside { moved_to, .. }] = loaded.warnings.as_slice() else {
            panic!("{:?}", loaded.warnings)
        };
        let moved_to = PathBuf::from(moved_to);
        assert_eq!(std::fs::read(&moved_to).unwrap(), first);
        let moved_name = moved_to.file_name().unwrap().to_string_lossy().into_owned();
        let prefix = format!("{USER_CONFIG_FILE_NAME}.corrupt-");
        assert!(moved_name.starts_with(&prefix), "{moved_name}");
        let stamp = &moved_name[prefix.len()..];
        assert_eq!(stamp.len(), 15);
        assert_eq!(stamp.as_bytes()[8], b'T');
        assert!(!path.exists());

        // A second corrupt file (same second, most likely) gets a name of its own.
        let second: &[u8] = b"[1, 2";
        std::fs::write(&path, second).unwrap();
        let warning = save_user_config(&path, &UserConfig::default()).unwrap().expect("moved aside");
        let ConfigWarning::MovedAside { moved_to: second_moved, .. } = warning else { panic!() };
        assert_ne!(PathBuf::from(&second_moved), moved_to);
        assert_eq!(std::fs::read(&second_moved).unwrap(), second);
        assert_eq!(std::fs::read(&moved_to).unwrap(), first, "the first one is untouched");
        assert!(is_own_user_config(&std::fs::read(&path).unwrap()));
        assert_eq!(names_in(dir.path()).len(), 3);
    }

    #[test]
    fn a_semantically_invalid_own_file_is_moved_aside_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.json");
        let bytes = br#"{"devices": {"A": {"outputs": [{"feature": 0, "type": "vibrate", "limit": [9, 1]}]}}}"#;
        std::fs::write(&path, bytes).unwrap();
        let loaded = load_user_config_from(Some(&path), &dir.path().join("default.json")).unwrap();
        assert_eq!(loaded.write_path, path);
        let [ConfigWarning::MovedAside { moved_to, error, .. }] = loaded.warnings.as_slice() else {
            panic!("{:?}", loaded.warnings)
        };
        assert!(error.contains("$.devices.A.outputs[0].limit"), "{error}");
        assert_eq!(std::fs::read(moved_to).unwrap(), bytes);
    }

    #[test]
    fn save_then_load_round_trips_and_valid_files_are_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USER_CONFIG_FILE_NAME);
        let mut config = UserConfig::default();
        config.assign_index("AA", "lovense", Some("Z"));
        assert_eq!(save_user_config(&path, &config).unwrap(), None);
        config.device_mut("AA").display_name = Some("Hush".into());
        assert_eq!(save_user_config(&path, &config).unwrap(), None);
        let loaded = load_user_config_from(None, &path).unwrap();
        assert_eq!(loaded.config, config);
        assert!(loaded.warnings.is_empty());
        assert_eq!(names_in(dir.path()), [USER_CONFIG_FILE_NAME]);
    }

    #[test]
    fn missing_files_load_empty() {
        let dir = tempfile::tempdir().unwrap();
        let explicit = dir.path().join("given.json");
        let loaded = load_user_config_from(Some(&explicit), &dir.path().join("default.json")).unwrap();
        assert_eq!(loaded.config, UserConfig::default());
        assert_eq!(loaded.write_path, explicit);
        assert!(names_in(dir.path()).is_empty(), "loading writes nothing");
    }

    #[test]
    fn an_intiface_file_is_read_and_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let intiface = dir.path().join("buttplug-user-device-config-v5.json");
        let intiface_text = r#"{"version": {"major": 5, "minor": 0}, "user_configs": {
            "protocols": {"lovense": {"communication": [{"websocket": {"name": "FakeHush"}}]}},
            "devices": [
              {"identifier": {"address": "AA", "protocol": "lovense", "identifier": "Z"},
               "config": {"user_config": {"allow": false, "deny": false, "index": 0, "display_name": "From Intiface"}}},
              {"identifier": {"address": "BB", "protocol": "lovense", "identifier": "S"},
               "config": {"user_config": {"allow": false, "deny": false, "index": 1}}}]}}"#;
        std::fs::write(&intiface, intiface_text).unwrap();
        let own_path = dir.path().join("plugboard").join(USER_CONFIG_FILE_NAME);

        let loaded = load_user_config_from(Some(&intiface), &own_path).unwrap();
        assert_eq!(loaded.write_path, own_path);
        assert_eq!(loaded.source, UserConfigSource::Intiface { intiface: intiface.clone(), own: own_path.clone() });
        assert_eq!(loaded.config.device("AA").unwrap().display_name.as_deref(), Some("From Intiface"));
        assert_eq!(
            loaded.config.websocket_devices,
            vec![WebsocketBinding { identifier: "FakeHush".into(), protocol: "lovense".into() }]
        );

        // Changes go to Plugboard's own file and win over the imported ones next time.
        let mut config = loaded.config;
        config.device_mut("AA").display_name = Some("Renamed".into());
        assert_eq!(config.assign_index("CC", "lovense", None), 2);
        save_user_config(&loaded.write_path, &config).unwrap();
        assert_eq!(std::fs::read_to_string(&intiface).unwrap(), intiface_text, "the Intiface file is untouched");

        let again = load_user_config_from(Some(&intiface), &own_path).unwrap();
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
        assert_eq!(again.config.device("AA").unwrap().display_name.as_deref(), Some("Renamed"));
        assert_eq!(again.config.device("CC").unwrap().index, Some(2));
        assert_eq!(again.config.device("BB").unwrap().index, Some(1));
    }

    #[test]
    fn intiface_v3_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.json");
        std::fs::write(&old, r#"{"version": {"major": 3}, "user-configs": {"devices": []}}"#).unwrap();
        let error = load_user_config_from(Some(&old), &dir.path().join("own.json")).unwrap_err();
        assert!(matches!(error, StoreError::UnsupportedIntiface { .. }), "{error}");
        assert_eq!(names_in(dir.path()), ["old.json"]);
    }

    #[test]
    fn save_never_overwrites_a_foreign_file_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("own.json");
        let intiface = br#"{"version": {"major": 5}, "user_configs": {}}"#;
        std::fs::write(&path, intiface).unwrap();
        let warning = save_user_config(&path, &UserConfig::default()).unwrap();
        let Some(ConfigWarning::MovedAside { moved_to, .. }) = warning else { panic!("{warning:?}") };
        assert_eq!(std::fs::read(moved_to).unwrap(), intiface);
    }
}
