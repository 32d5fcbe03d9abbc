//! Launch at login, through tauri-plugin-autostart: on Linux an XDG autostart entry
//! (`~/.config/autostart/Plugboard.desktop`) that starts this executable when the user's
//! desktop session begins. Off by default.
//!
//! The entry is the truth, the setting a view of it: at startup the setting takes the entry's
//! state, so turning autostart off in the desktop's own session settings (which removes or
//! hides the entry) is not undone by Plugboard. Only the user's own toggle writes the entry.

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::AutoLaunchManager;

use crate::error::{Error, Result};

/// The plugin, registered by the app. Without it (the unit tests' mock app) the functions here
/// do nothing.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new().build()
}

/// Creates or removes the autostart entry.
pub fn set<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<()> {
    let Some(manager) = app.try_state::<AutoLaunchManager>() else {
        return Ok(());
    };
    let outcome = if on { manager.enable() } else { manager.disable() };
    outcome.map_err(|error| {
        let what = if on { "turned on" } else { "turned off" };
        Error::new(format!(
            "Launch at login could not be {what} ({error}). Check that your home folder's .config/autostart \
             folder is writable."
        ))
    })?;
    tracing::info!(on, "launch at login");
    Ok(())
}

/// Whether the entry exists and is enabled; `None` when that cannot be known.
pub fn current<R: Runtime>(app: &AppHandle<R>) -> Option<bool> {
    let manager = app.try_state::<AutoLaunchManager>()?;
    match manager.is_enabled() {
        Ok(on) => Some(on),
        Err(error) => {
            tracing::warn!(%error, "cannot tell whether Plugboard launches at login");
            None
        }
    }
}
