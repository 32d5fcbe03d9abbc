//! The STOP shortcut grabbed from the X server (tauri-plugin-global-shortcut): on X11 the
//! combination is heard whatever window has focus; on a Wayland session only while an X11
//! (XWayland) window has focus.

use tauri::{Manager, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcut, Shortcut, ShortcutState};

use crate::state::AppState;

/// The plugin, with the handler that stops every device when the shortcut is pressed.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, shortcut, event| {
            if event.state != ShortcutState::Pressed {
                return;
            }
            tracing::info!(%shortcut, "the STOP shortcut was pressed");
            let app = app.clone();
            tauri::async_runtime::spawn(async move { app.state::<AppState>().stop_all().await });
        })
        .build()
}

/// Grabs `shortcut` in place of the one before (`None`: only releases it). The error says, in
/// the user's words, why it is not grabbed.
pub fn grab<R: Runtime>(
    manager: Option<&GlobalShortcut<R>>,
    shortcut: Option<Shortcut>,
    keys: &str,
) -> Result<(), String> {
    let Some(manager) = manager else {
        return Err("Global shortcuts are not available in this session.".to_owned());
    };
    if let Err(error) = manager.unregister_all() {
        tracing::warn!(%error, "the previous STOP shortcut could not be released");
    }
    let Some(shortcut) = shortcut else { return Ok(()) };
    manager.register(shortcut).map_err(|error| {
        format!("{keys} could not be registered ({error}); another program may use it. Choose another combination.")
    })
}
