//! Reviewing a newer device database before it replaces the one in use ("Check for device
//! updates"): the offered text must be a database as complete as the one in use, not an older
//! one, and the review says which device models it adds.
//!
//! Complete means:
//! - it reads with the loader every database goes through ([`Database::from_json_str`]): valid
//!   JSON, a known format, and every entry of a protocol Plugboard implements passing the same
//!   checks as the built-in database (a reference-format file's protocols that Plugboard does
//!   not implement are left out, as with `--device-config-file`);
//! - it keeps every protocol the database in use has, so a file cut short or emptied (still
//!   valid JSON) cannot leave devices that worked yesterday unrecognised;
//! - its data is not older than the database in use ([`Database::data_version`]).
//!
//! Downloading and storing the file is the engine's part; this module only judges the text.

use std::collections::BTreeSet;

use super::common::ConfigFileError;
use super::database::{Database, DatabaseFormat};

/// What a database that passed the review brings.
#[derive(Debug)]
pub struct Review {
    /// The offered database, read and checked.
    pub database: Database,
    /// The models it has that the database in use does not, as "protocol: model name": a model
    /// is new when none of its identifiers was known to its protocol.
    pub models_added: Vec<String>,
    /// How many models of the database in use it no longer lists.
    pub models_removed: usize,
}

/// Why an offered database was refused. The messages say what is wrong with the file; the
/// caller says that the database in use is kept.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Unreadable(#[from] ConfigFileError),
    #[error(
        "it lacks {} protocol(s) that the database in use has ({}), so it looks cut short",
        .0.len(),
        .0.join(", ")
    )]
    MissingProtocols(Vec<String>),
    #[error(
        "it is older than the database in use (reference data v{}.{} against v{}.{})",
        .offered.0, .offered.1, .in_use.0, .in_use.1
    )]
    Older { offered: (u32, u32), in_use: (u32, u32) },
}

impl Database {
    /// The version of the reference device data this database holds, to tell newer from older:
    /// the file's own version for a reference-format file (5.57), or the version named by
    /// `imported_from` for Plugboard's format ("reference device config v5.57"). `None` when
    /// the file does not say.
    pub fn data_version(&self) -> Option<(u32, u32)> {
        match self.format {
            DatabaseFormat::Reference => Some((self.version_major, self.version_minor)),
            DatabaseFormat::Plugboard => self.imported_from.as_deref().and_then(version_in_text),
        }
    }

    /// How many device models the database lists, over every protocol.
    pub fn model_count(&self) -> usize {
        self.protocols().map(|protocol| protocol.models.len()).sum()
    }
}

/// The last word of `text` read as `v<major>.<minor>` (the `v` optional).
fn version_in_text(text: &str) -> Option<(u32, u32)> {
    let word = text.split_whitespace().last()?;
    let (major, minor) = word.strip_prefix('v').unwrap_or(word).split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Reads `text` (named `source` in errors) and judges it against `in_use`.
pub fn review(in_use: &Database, text: &str, source: &str) -> Result<Review, Refusal> {
    let offered = Database::from_json_str(text, source)?;
    let missing: Vec<String> = in_use
        .protocols()
        .filter(|protocol| offered.protocol(&protocol.name).is_none())
        .map(|protocol| protocol.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::MissingProtocols(missing));
    }
    if let (Some(offered_version), Some(in_use_version)) = (offered.data_version(), in_use.data_version()) {
        if offered_version < in_use_version {
            return Err(Refusal::Older { offered: offered_version, in_use: in_use_version });
        }
    }
    let models_added = new_models(in_use, &offered);
    let models_removed = new_models(&offered, in_use).len();
    Ok(Review { database: offered, models_added, models_removed })
}

/// The models of `after` none of whose identifiers `before` knew under the same protocol.
fn new_models(before: &Database, after: &Database) -> Vec<String> {
    let mut known: BTreeSet<(&str, &str)> = BTreeSet::new();
    for protocol in before.protocols() {
        for model in &protocol.models {
            known.extend(model.identifiers.iter().map(|id| (protocol.name.as_str(), id.as_str())));
        }
    }
    let mut added = Vec::new();
    for protocol in after.protocols() {
        for model in &protocol.models {
            if !model.identifiers.iter().any(|id| known.contains(&(protocol.name.as_str(), id.as_str()))) {
                added.push(format!("{}: {}", protocol.name, model.name));
            }
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::database::BUILTIN_DATABASE_JSON;
    use serde_json::{json, Value};

    fn builtin() -> Database {
        Database::builtin().expect("the built-in database loads")
    }

    /// The built-in database's JSON, changed by `edit`.
    fn edited(edit: impl FnOnce(&mut Value)) -> String {
        let mut value: Value = serde_json::from_str(BUILTIN_DATABASE_JSON).unwrap();
        edit(&mut value);
        value.to_string()
    }

    fn add_lovense_model(value: &mut Value, letters: &str, name: &str) {
        let models = value["protocols"]["lovense"]["models"].as_array_mut().unwrap();
        models.push(json!({"identifiers": [letters], "name": name}));
    }

    #[test]
    fn the_builtin_database_says_which_reference_data_it_holds() {
        let version = builtin().data_version().expect("imported_from names a version");
        assert!(version >= (5, 57), "{version:?}");
        assert_eq!(version_in_text("reference device config v5.61"), Some((5, 61)));
        assert_eq!(version_in_text("5.3"), Some((5, 3)));
        assert_eq!(version_in_text("hand written"), None);
        assert_eq!(version_in_text(""), None);
    }

    #[test]
    fn a_database_with_one_more_model_adds_one_model() {
        let text = edited(|value| add_lovense_model(value, "ZZTEST", "Lovense Test Toy"));
        let review = review(&builtin(), &text, "offered").unwrap();
        assert_eq!(review.models_added, ["lovense: Lovense Test Toy"]);
        assert_eq!(review.models_removed, 0);
        assert_eq!(review.database.model_count(), builtin().model_count() + 1);
        let definition = review.database.definition("lovense", Some("ZZTEST")).unwrap();
        assert_eq!(definition.name, "Lovense Test Toy");
    }

    #[test]
    fn the_same_database_adds_nothing() {
        let review = review(&builtin(), BUILTIN_DATABASE_JSON, "same").unwrap();
        assert!(review.models_added.is_empty(), "{:?}", review.models_added);
        assert_eq!(review.models_removed, 0);
    }

    #[test]
    fn a_new_identifier_of_a_known_model_is_no_new_model_and_a_dropped_model_is_counted() {
        let text = edited(|value| {
            let models = value["protocols"]["lovense"]["models"].as_array_mut().unwrap();
            models[0]["identifiers"].as_array_mut().unwrap().push(json!("ZZNEW"));
            models.remove(1);
        });
        let review = review(&builtin(), &text, "offered").unwrap();
        assert!(review.models_added.is_empty(), "{:?}", review.models_added);
        assert_eq!(review.models_removed, 1);
    }

    #[test]
    fn corrupt_and_cut_short_text_is_unreadable_and_says_where() {
        let in_use = builtin();
        let half = &BUILTIN_DATABASE_JSON[..BUILTIN_DATABASE_JSON.len() / 2];
        for (text, expected) in
            [("<html>Not found</html>", "not valid JSON"), (half, "not valid JSON"), ("", "not valid JSON")]
        {
            let refusal = review(&in_use, text, "https://example.invalid/db.json").unwrap_err();
            assert!(matches!(refusal, Refusal::Unreadable(_)), "{refusal:?}");
            let message = refusal.to_string();
            assert!(message.contains(expected) && message.contains("https://example.invalid/db.json"), "{message}");
        }
    }

    #[test]
    fn an_invalid_entry_is_refused_with_its_json_path() {
        let text = edited(|value| add_lovense_model(value, "", "No identifier"));
        let message = review(&builtin(), &text, "offered").unwrap_err().to_string();
        assert!(message.contains("$.protocols.lovense.models["), "{message}");
    }

    #[test]
    fn a_valid_file_that_lost_protocols_is_refused_and_names_them() {
        let text = edited(|value| {
            let protocols = value["protocols"].as_object_mut().unwrap();
            protocols.retain(|name, _| name == "lovense" || name == "wevibe");
        });
        let refusal = review(&builtin(), &text, "offered").unwrap_err();
        let Refusal::MissingProtocols(missing) = &refusal else { panic!("{refusal:?}") };
        assert_eq!(missing.len(), builtin().protocols().count() - 2);
        assert!(missing.iter().any(|name| name == "satisfyer"), "{missing:?}");
        assert!(refusal.to_string().contains("cut short"), "{refusal}");
    }

    /// The loader itself refuses a file with nothing Plugboard can use, in either format.
    #[test]
    fn a_file_without_protocols_plugboard_implements_is_refused() {
        let reference = r#"{"version": {"major": 5, "minor": 99}, "protocols": {"some-unwritten-brand": {"defaults":
            {"name": "X", "features": []}, "communication": [{"btle": {"names": ["X"], "services": {}}}]}}}"#;
        let own = r#"{"version": {"major": 1, "minor": 0}, "protocols": {}}"#;
        for text in [reference, own] {
            let refusal = review(&builtin(), text, "offered").unwrap_err();
            assert!(matches!(refusal, Refusal::Unreadable(_) | Refusal::MissingProtocols(_)), "{refusal:?}");
        }
    }

    #[test]
    fn older_data_is_refused_and_equal_or_unstated_versions_pass() {
        let older = edited(|value| value["imported_from"] = json!("reference device config v5.1"));
        let refusal = review(&builtin(), &older, "offered").unwrap_err();
        assert!(matches!(refusal, Refusal::Older { offered: (5, 1), .. }), "{refusal:?}");
        assert!(refusal.to_string().contains("older than the database in use"), "{refusal}");

        let newer = edited(|value| value["imported_from"] = json!("reference device config v5.99"));
        assert_eq!(review(&builtin(), &newer, "offered").unwrap().database.data_version(), Some((5, 99)));
        let unstated = edited(|value| {
            value.as_object_mut().unwrap().remove("imported_from");
        });
        assert_eq!(review(&builtin(), &unstated, "offered").unwrap().database.data_version(), None);
    }
}
