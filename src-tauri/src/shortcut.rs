//! The global STOP shortcut (tauri-plugin-global-shortcut): a key combination that stops every
//! device while another application, such as a fullscreen game, has the keyboard. On by
//! default with a combination no common desktop or game uses; the user changes it or turns it
//! off in the settings (docs/architecture.md: STOP ALL in the window, the tray or the global
//! shortcut).
//!
//! On X11 the combination is grabbed from the X server, so it works whatever window has focus.
//! A Wayland session gives applications no such grab: through XWayland the combination is
//! seen only while an X11 window has focus, and the view of the shortcut says so.

use std::str::FromStr;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcut, Shortcut, ShortcutState};

use crate::models::{ShortcutView, DEFAULT_STOP_SHORTCUT};
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

/// Checks how a shortcut is written: modifiers and one key joined by '+', such as
/// "Ctrl+Alt+Shift+S". Empty means no shortcut.
pub fn parse(keys: &str) -> Result<Option<Shortcut>, String> {
    let keys = keys.trim();
    if keys.is_empty() {
        return Ok(None);
    }
    let shortcut = Shortcut::from_str(keys).map_err(|error| {
        format!(
            "'{keys}' is not a key combination ({error}). Write modifiers and one key joined by '+', \
             like {DEFAULT_STOP_SHORTCUT}."
        )
    })?;
    if shortcut.mods.is_empty() {
        return Err(format!(
            "'{keys}' has no modifier: a single key would stop your devices whenever it is typed anywhere. Add Ctrl, Alt or Shift."
        ));
    }
    Ok(Some(shortcut))
}

/// Registers the shortcut of the settings in place of the one before, and tells the state what
/// came of it (shown next to STOP ALL and in the settings).
pub fn apply<R: Runtime>(app: &AppHandle<R>, keys: &str) {
    let view = register(app.try_state::<GlobalShortcut<R>>().as_deref(), keys);
    match &view.problem {
        Some(problem) => tracing::warn!("the STOP shortcut is not active: {problem}"),
        None if view.active => tracing::info!(keys = %view.keys, "STOP shortcut registered"),
        None => tracing::info!("no STOP shortcut"),
    }
    app.state::<AppState>().set_shortcut(view);
}

fn register<R: Runtime>(manager: Option<&GlobalShortcut<R>>, keys: &str) -> ShortcutView {
    let view = |active, problem: Option<String>| ShortcutView {
        keys: keys.trim().to_owned(),
        active,
        problem,
        where_it_works: where_it_works(),
    };
    let Some(manager) = manager else {
        return view(false, Some("Global shortcuts are not available in this session.".to_owned()));
    };
    if let Err(error) = manager.unregister_all() {
        tracing::warn!(%error, "the previous STOP shortcut could not be released");
    }
    match parse(keys) {
        Ok(None) => view(false, None),
        Err(problem) => view(false, Some(problem)),
        Ok(Some(shortcut)) => match manager.register(shortcut) {
            Ok(()) => view(true, None),
            Err(error) => view(
                false,
                Some(format!(
                    "{} could not be registered ({error}); another program may use it. Choose another combination.",
                    keys.trim()
                )),
            ),
        },
    }
}

/// Where the shortcut is heard, in the user's words, for the settings.
pub fn where_it_works() -> String {
    where_it_works_in(session_type().as_deref())
}

fn where_it_works_in(session: Option<&str>) -> String {
    match session {
        Some("wayland") => "This is a Wayland session: Wayland lets no application watch the keyboard, so the \
                            shortcut works only while Plugboard or another X11 (XWayland) window has focus, not over \
                            native Wayland games and apps. Keep the STOP ALL button or the tray at hand."
            .to_owned(),
        _ => "Works whatever window has focus, fullscreen games included (X11).".to_owned(),
    }
}

/// "wayland" or "x11", as the desktop session says.
fn session_type() -> Option<String> {
    if let Some(kind) = std::env::var_os("XDG_SESSION_TYPE").filter(|v| !v.is_empty()) {
        return Some(kind.to_string_lossy().to_lowercase());
    }
    std::env::var_os("WAYLAND_DISPLAY").filter(|v| !v.is_empty()).map(|_| "wayland".to_owned())
}

#[cfg(test)]
mod tests {
    use tauri_plugin_global_shortcut::{Code, Modifiers};

    use super::*;

    #[test]
    fn shortcuts_are_read_as_modifiers_and_a_key() {
        let default = parse(DEFAULT_STOP_SHORTCUT).unwrap().unwrap();
        assert_eq!(default.mods, Modifiers::CONTROL | Modifiers::ALT | Modifiers::SHIFT);
        assert_eq!(default.key, Code::KeyS);
        assert_eq!(parse("  ").unwrap(), None, "empty: no shortcut");
        assert!(parse("Ctrl+Alt+").unwrap_err().contains("is not a key combination"));
        assert!(parse("S").unwrap_err().contains("has no modifier"));
    }

    #[test]
    fn the_settings_say_where_the_shortcut_works() {
        assert!(where_it_works_in(Some("x11")).contains("whatever window has focus"));
        assert!(where_it_works_in(None).contains("whatever window has focus"));
        assert!(where_it_works_in(Some("wayland")).contains("only while Plugboard or another X11"));
    }

    #[test]
    fn without_the_plugin_the_shortcut_is_reported_inactive() {
        let view = register::<tauri::test::MockRuntime>(None, DEFAULT_STOP_SHORTCUT);
        assert!(!view.active);
        assert_eq!(view.keys, DEFAULT_STOP_SHORTCUT);
        assert!(view.problem.is_some());
    }
}
