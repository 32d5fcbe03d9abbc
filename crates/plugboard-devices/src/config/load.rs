//! Loading a device database: the built-in one, a file, or text, in whichever format it is
//! written (Plugboard's own, [`super::database`], or the reference engine's v4/v5,
//! [`super::reference`], which keeps only the protocols Plugboard implements).

use std::path::Path;

use serde_json::Value;

use super::common::ConfigFileError;
use super::database::{Database, DatabaseFile, DatabaseFormat, BUILTIN_DATABASE_JSON, BUILTIN_DATABASE_NAME};
use super::{json, reference};

impl Database {
    /// The database embedded in the binary.
    pub fn builtin() -> Result<Database, ConfigFileError> {
        Database::from_json_str(BUILTIN_DATABASE_JSON, BUILTIN_DATABASE_NAME)
    }

    /// Reads and validates a database file (`--device-config-file`).
    pub fn from_file(path: &Path) -> Result<Database, ConfigFileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|error| ConfigFileError::Read { file: file.clone(), message: error.to_string() })?;
        Database::from_json_str(&text, &file)
    }

    /// Parses and validates database text; `source` names it in errors. The format is told
    /// by content: Plugboard's own, or the reference's v4/v5 ([`super::reference`]).
    pub fn from_json_str(text: &str, source: &str) -> Result<Database, ConfigFileError> {
        // Plugboard's own format is read first and in one pass (the built-in database is, at
        // every start). Its types refuse the reference's keys, so a text that reads as one is
        // in Plugboard's format, unless its version says otherwise.
        let own = serde_json::from_str::<json::Object<DatabaseFile>>(text).map(|json::Object(file)| file);
        let is_reference = match &own {
            Ok(file) => reference::REFERENCE_MAJORS.contains(&file.version.major),
            Err(_) => serde_json::from_str::<Value>(text).is_ok_and(|value| reference::is_reference_format(&value)),
        };
        if is_reference {
            let implemented = |name: &str| crate::protocols::by_name(name).is_some();
            let read = reference::read_reference(text, source, &implemented)?;
            let mut database =
                Database::new(source, DatabaseFormat::Reference, (read.major, read.minor), read.protocols);
            database.skipped_protocols = read.skipped_protocols;
            database.warnings = read.warnings;
            return Ok(database);
        }
        let file = match own {
            Ok(file) => file,
            Err(_) => json::read::<DatabaseFile>(text).map_err(|error| ConfigFileError::from_read(source, error))?,
        };
        let (major, minor) = (file.version.major, file.version.minor.unwrap_or(0));
        let imported_from = file.imported_from.clone();
        let protocols = file.into_protocols().map_err(|error| ConfigFileError::invalid(source, error))?;
        let mut database = Database::new(source, DatabaseFormat::Plugboard, (major, minor), protocols);
        database.imported_from = imported_from;
        Ok(database)
    }
}
