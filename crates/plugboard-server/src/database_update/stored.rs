//! The downloaded device database in the config directory: which database the engine uses at
//! start, and replacing the stored file while keeping the one before.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use plugboard_devices::config::update;
use plugboard_devices::config::{ConfigFileError, Database};

use crate::files;

/// The database the engine uses when no `--device-config-file` names one: the downloaded one
/// at `path` while it passes the same review as a fresh download against the built-in one
/// (it reads, it has every built-in protocol, its data is not older: a Plugboard updated since
/// the download may ship newer data); else the built-in one. A stored file that fails is left
/// where it is, and the log says why it is not used.
pub fn database_in_use(path: Option<&Path>) -> Result<Database, ConfigFileError> {
    let builtin = Database::builtin()?;
    let Some(path) = path else { return Ok(builtin) };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(builtin),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "the downloaded device database cannot be read; using the built-in one");
            return Ok(builtin);
        }
    };
    match update::review(&builtin, &text, &path.display().to_string()) {
        Ok(review) => Ok(review.database),
        Err(refusal) => {
            tracing::warn!(
                path = %path.display(),
                "the downloaded device database is not used ({refusal}); using the built-in one. Check for device \
                 updates again to replace it."
            );
            Ok(builtin)
        }
    }
}

/// `<path>.previous`: where the database a download replaced is kept.
pub fn previous_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(OsString::from).unwrap_or_default();
    name.push(".previous");
    path.with_file_name(name)
}

/// Writes `contents` at `path` atomically, after copying the file there (if any) to
/// [`previous_path`]. Returns where the previous file is kept.
pub(super) fn store(path: &Path, contents: &[u8]) -> std::io::Result<Option<PathBuf>> {
    let previous = match std::fs::read(path) {
        Ok(old) => {
            let previous = previous_path(path);
            files::write_atomic(&previous, &old)?;
            Some(previous)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    files::write_atomic(path, contents)?;
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_devices::config::database::BUILTIN_DATABASE_JSON;

    #[test]
    fn without_a_stored_file_the_builtin_database_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let database = database_in_use(Some(&dir.path().join("device-database.json"))).unwrap();
        assert_eq!(database, Database::builtin().unwrap());
        assert_eq!(database_in_use(None).unwrap(), Database::builtin().unwrap());
    }

    #[test]
    fn a_stored_file_that_fails_the_review_leaves_the_builtin_database_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device-database.json");
        for bad in ["{ cut sh", r#"{"version": {"major": 1}, "protocols": {"lovense": 1}}"#] {
            std::fs::write(&path, bad).unwrap();
            assert_eq!(database_in_use(Some(&path)).unwrap(), Database::builtin().unwrap());
            assert_eq!(std::fs::read_to_string(&path).unwrap(), bad, "left as it was");
        }
    }

    #[test]
    fn a_stored_database_that_passes_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device-database.json");
        let mut value: serde_json::Value = serde_json::from_str(BUILTIN_DATABASE_JSON).unwrap();
        let models = value["protocols"]["lovense"]["models"].as_array_mut().unwrap();
        models.push(serde_json::json!({"identifiers": ["ZZTEST"], "name": "Lovense Test Toy"}));
        std::fs::write(&path, value.to_string()).unwrap();
        let database = database_in_use(Some(&path)).unwrap();
        assert_eq!(database.definition("lovense", Some("ZZTEST")).unwrap().name, "Lovense Test Toy");
        assert_eq!(database.source, path.display().to_string());
    }

    #[test]
    fn storing_keeps_the_file_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("device-database.json");
        assert_eq!(store(&path, b"first").unwrap(), None);
        let previous = store(&path, b"second").unwrap().unwrap();
        assert_eq!(previous, dir.path().join("sub").join("device-database.json.previous"));
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read(&previous).unwrap(), b"first");
        store(&path, b"third").unwrap();
        assert_eq!(std::fs::read(&previous).unwrap(), b"second", "the one replaced last");
    }
}
