//! "Export logs": the system's save dialog, opened here on the Rust side, picks the file, and
//! the shell writes the log buffer there. The page never sees a path API or the file system
//! (its capability grants events only; see docs/architecture.md, the desktop app), and it
//! hears back where the file went, that the user cancelled, or why the write failed.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, Runtime, Window};
use tauri_plugin_dialog::DialogExt;
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::models::{rfc3339, LogExport};
use crate::state::AppState;

/// The dialog plugin. None of its commands is granted to the page: only the shell opens it.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_dialog::init()
}

/// The name the dialog suggests, such as `plugboard-logs-2026-12-07-19-30-00.txt`.
fn suggested_file_name(now: std::time::SystemTime) -> String {
    let stamp: String =
        rfc3339(now).trim_end_matches('Z').chars().map(|c| if c == ':' || c == 'T' { '-' } else { c }).collect();
    format!("plugboard-logs-{stamp}.txt")
}

/// Where the dialog opens: the Downloads folder, else the home folder.
fn starting_folder<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    let paths = app.path();
    paths.download_dir().ok().filter(|dir| dir.is_dir()).or_else(|| paths.home_dir().ok())
}

/// Asks the user where to save the logs (a dialog in front of `window`), then writes them.
pub async fn export<R: Runtime>(app: &AppHandle<R>, window: &Window<R>) -> Result<LogExport> {
    let (chosen, answer) = oneshot::channel();
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Export Plugboard logs")
        .set_file_name(suggested_file_name(std::time::SystemTime::now()))
        .add_filter("Text files", &["txt", "log"])
        .set_parent(window);
    if let Some(folder) = starting_folder(app) {
        dialog = dialog.set_directory(folder);
    }
    dialog.save_file(move |path| {
        let _ = chosen.send(path);
    });
    let Some(path) = answer.await.ok().flatten() else {
        tracing::info!("log export cancelled");
        return Ok(LogExport::Cancelled);
    };
    let path = path.into_path().map_err(|error| {
        Error::new(format!("The logs could not be saved: the dialog chose a place that is not a file ({error})."))
    })?;
    let lines = app.state::<AppState>().export_logs(&path)?;
    tracing::info!(path = %path.display(), lines, "logs exported");
    Ok(LogExport::Saved { path: path.display().to_string(), lines })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn the_suggested_name_says_when_and_has_no_colons() {
        let at = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(suggested_file_name(at), "plugboard-logs-2024-02-29-12-34-56.txt");
    }
}
