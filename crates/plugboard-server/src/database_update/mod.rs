//! "Check for device updates": new toys without a new Plugboard. A newer device database is
//! downloaded from a URL (by default the reference's published v5 file, which Plugboard
//! reads), reviewed completely before use (`plugboard_devices::config::update`), and stored
//! in the config directory next to the user device config, where the engine finds it at its
//! next start ([`database_in_use`]). The file it replaces is kept as `<name>.previous`.
//! Nothing that goes wrong (no network, an error page, a file cut short, a file older than
//! the one in use) touches the database in use. See docs/architecture.md.

mod download;
mod stored;

use std::path::{Path, PathBuf};

use plugboard_devices::config::update::{self, Refusal};

pub use download::{DownloadError, Limits};
pub use stored::{database_in_use, previous_path};

/// Where the database is downloaded from unless the user names another address: the
/// reference device database's published v5 file.
pub const DEFAULT_DEVICE_DATABASE_URL: &str = "https://raw.githubusercontent.com/buttplugio/buttplug/master/crates/buttplug_server_device_config/build-config/buttplug-device-config-v5.json";

/// What an update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateReport {
    pub url: String,
    /// Where the new database is stored.
    pub path: PathBuf,
    /// Where the database it replaced is kept, if there was one.
    pub previous: Option<PathBuf>,
    /// The models it adds, as "protocol: model name".
    pub models_added: Vec<String>,
    /// How many models of the database used before it no longer lists.
    pub models_removed: usize,
    /// How many models it has in all.
    pub models: usize,
    /// The version of the reference data it holds, when the file says.
    pub data_version: Option<(u32, u32)>,
}

impl UpdateReport {
    /// One sentence for the user: how many models were added, which, and what the database
    /// holds now, e.g. "1 model added (lovense: Lovense Test Toy); the database now knows
    /// 930 models (reference data v5.57)."
    pub fn summary(&self) -> String {
        let added = match self.models_added.len() {
            0 => "No new models".to_owned(),
            count => {
                const SHOWN: usize = 5;
                let mut names = self.models_added.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
                if count > SHOWN {
                    names.push_str(&format!(" and {} more", count - SHOWN));
                }
                format!("{count} model{} added ({names})", if count == 1 { "" } else { "s" })
            }
        };
        let removed = match self.models_removed {
            0 => String::new(),
            1 => ", 1 model no longer listed".to_owned(),
            count => format!(", {count} models no longer listed"),
        };
        let version =
            self.data_version.map(|(major, minor)| format!(" (reference data v{major}.{minor})")).unwrap_or_default();
        format!("{added}{removed}; the database now knows {} models{version}.", self.models)
    }
}

/// Why an update did not happen. Every message says that the database in use is kept, and
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(
        "The device database could not be downloaded from {url}: {error}. Plugboard keeps using the database it has. \
         Check the internet connection and the address of the device database, then try again."
    )]
    Download { url: String, error: DownloadError },
    #[error(
        "The file downloaded from {url} was not used: {refusal}. Plugboard keeps using the database it has. Check \
         that the address points to a device database (the reference's buttplug-device-config-v5.json), or try \
         again later."
    )]
    Refused { url: String, refusal: Refusal },
    #[error(
        "The new device database could not be saved to {path}: {message}. Plugboard keeps using the database it \
         has. Check that the folder exists and can be written to."
    )]
    Store { path: PathBuf, message: String },
    #[error("The built-in device database could not be read: {0}. This is a bug in Plugboard; please report it.")]
    Builtin(String),
}

/// Downloads the database at `url`, reviews it against the one the engine would use now (the
/// one stored at `path`, else the built-in one) and, if it passes, stores it at `path`,
/// keeping the file it replaces at [`previous_path`].
pub async fn update_device_database(url: &str, path: &Path, limits: Limits) -> Result<UpdateReport, UpdateError> {
    tracing::info!(%url, "checking for device database updates");
    let bytes =
        download::get(url, limits).await.map_err(|error| UpdateError::Download { url: url.to_owned(), error })?;
    let in_use = database_in_use(Some(path)).map_err(|error| UpdateError::Builtin(error.to_string()))?;
    let refused = |refusal: Refusal| UpdateError::Refused { url: url.to_owned(), refusal };
    let text = String::from_utf8(bytes).map_err(|_| refused(Refusal::Unreadable(not_text(url))))?;
    let review = update::review(&in_use, &text, url).map_err(refused)?;
    let previous = stored::store(path, text.as_bytes())
        .map_err(|error| UpdateError::Store { path: path.to_owned(), message: error.to_string() })?;
    let report = UpdateReport {
        url: url.to_owned(),
        path: path.to_owned(),
        previous,
        models_added: review.models_added,
        models_removed: review.models_removed,
        models: review.database.model_count(),
        data_version: review.database.data_version(),
    };
    tracing::info!(path = %path.display(), "device database updated: {}", report.summary());
    Ok(report)
}

fn not_text(url: &str) -> plugboard_devices::config::ConfigFileError {
    plugboard_devices::config::ConfigFileError::Syntax { file: url.to_owned(), message: "not UTF-8 text".to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(added: &[&str], removed: usize) -> UpdateReport {
        UpdateReport {
            url: "http://db".into(),
            path: PathBuf::from("db.json"),
            previous: None,
            models_added: added.iter().map(|name| name.to_string()).collect(),
            models_removed: removed,
            models: 900,
            data_version: Some((5, 58)),
        }
    }

    #[test]
    fn the_summary_counts_and_names_the_new_models() {
        assert_eq!(
            report(&["lovense: Lovense Test Toy"], 0).summary(),
            "1 model added (lovense: Lovense Test Toy); the database now knows 900 models (reference data v5.58)."
        );
        assert_eq!(
            report(&[], 0).summary(),
            "No new models; the database now knows 900 models (reference data v5.58)."
        );
        let many = report(&["a: 1", "a: 2", "a: 3", "a: 4", "a: 5", "a: 6", "a: 7"], 2).summary();
        assert!(
            many.starts_with("7 models added (a: 1, a: 2, a: 3, a: 4, a: 5 and 2 more), 2 models no longer listed;"),
            "{many}"
        );
    }
}
