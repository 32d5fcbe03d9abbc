//! The global STOP shortcut: a key combination that stops every device while another
//! application, such as a fullscreen game, has the keyboard. On by default with a combination
//! no common desktop or game uses; the user changes it or turns it off in the settings
//! (docs/architecture.md: STOP ALL in the window, the tray or the global shortcut).
//!
//! Two ways to hear it, chosen by the session (docs/architecture.md, "The STOP shortcut"):
//! - X11: the combination is grabbed from the X server ([`key_grab`]), so it works whatever
//!   window has focus.
//! - Wayland: applications may not watch the keyboard. Where the desktop offers the XDG
//!   GlobalShortcuts portal, the shortcut is bound through it ([`portal`]) and the desktop
//!   says when it is pressed, whatever window has focus. Without the portal the X grab is
//!   all there is: through XWayland it is heard only while an X11 window has focus, and the
//!   settings say so.

mod key_grab;
mod keys;
#[cfg(target_os = "linux")]
mod portal;
#[cfg(target_os = "linux")]
mod wayland;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_global_shortcut::GlobalShortcut;

pub use self::key_grab::plugin;
pub use self::keys::parse;
use crate::models::{ShortcutMechanism, ShortcutView};
use crate::state::AppState;

/// Applies the shortcut of the settings in place of the one before, and tells the state what
/// came of it (shown next to STOP ALL and in the settings). On a Wayland session the portal
/// is asked in the background; the view says so until the desktop has answered.
pub fn apply<R: Runtime>(app: &AppHandle<R>, keys: &str) {
    let session = session_type();
    #[cfg(target_os = "linux")]
    if wants_portal(session.as_deref()) {
        return wayland::apply(app);
    }
    let view = grab_keys(app, keys, where_it_works_in(session.as_deref(), false));
    publish(app, view);
}

/// Whether to ask the desktop's portal for the shortcut: on Wayland sessions only (on X11 the
/// key grab works everywhere, and the portal, where present, adds a dialog for nothing).
fn wants_portal(session: Option<&str>) -> bool {
    session == Some("wayland")
}

/// How the shortcut is heard, once it is known whether the desktop offers the portal.
fn mechanism(session: Option<&str>, portal_offered: bool) -> ShortcutMechanism {
    if wants_portal(session) && portal_offered {
        ShortcutMechanism::Portal
    } else {
        ShortcutMechanism::KeyGrab
    }
}

fn publish<R: Runtime>(app: &AppHandle<R>, view: ShortcutView) {
    match &view.problem {
        Some(problem) => tracing::warn!("the STOP shortcut is not active: {problem}"),
        None if view.active => tracing::info!(keys = %view.keys, mechanism = ?view.mechanism, "STOP shortcut active"),
        None => tracing::info!("no STOP shortcut"),
    }
    app.state::<AppState>().set_shortcut(view);
}

/// The shortcut grabbed from the X server.
fn grab_keys<R: Runtime>(app: &AppHandle<R>, keys: &str, where_it_works: String) -> ShortcutView {
    grab_view(app.try_state::<GlobalShortcut<R>>().as_deref(), keys, where_it_works)
}

fn grab_view<R: Runtime>(manager: Option<&GlobalShortcut<R>>, keys: &str, where_it_works: String) -> ShortcutView {
    let outcome = match parse(keys) {
        Ok(shortcut) => {
            let wanted = shortcut.is_some();
            key_grab::grab(manager, shortcut, keys.trim()).map(|()| wanted)
        }
        Err(problem) => {
            // The combination before is released all the same: the settings no longer name it.
            let _ = key_grab::grab(manager, None, keys.trim());
            Err(problem)
        }
    };
    let (active, problem) = match outcome {
        Ok(active) => (active, None),
        Err(problem) => (false, Some(problem)),
    };
    ShortcutView {
        keys: keys.trim().to_owned(),
        active,
        problem,
        where_it_works,
        mechanism: ShortcutMechanism::KeyGrab,
        assigned_trigger: None,
    }
}

/// Where the shortcut is heard, in the user's words, for the settings.
pub fn where_it_works() -> String {
    where_it_works_in(session_type().as_deref(), false)
}

fn where_it_works_in(session: Option<&str>, portal_offered: bool) -> String {
    match (session, mechanism(session, portal_offered)) {
        (_, ShortcutMechanism::Portal) => "Your desktop listens for it (the XDG global shortcuts portal): it works \
                                           whatever window has focus, native Wayland games included. Your desktop \
                                           may assign another combination; the one it assigned is shown here."
            .to_owned(),
        (Some("wayland"), ShortcutMechanism::KeyGrab) => "This is a Wayland session and your desktop offers no global \
                                                          shortcuts portal, so the shortcut works only while Plugboard \
                                                          or another X11 (XWayland) window has focus, not over native \
                                                          Wayland games and apps. Keep the STOP ALL button or the tray \
                                                          at hand."
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
    use super::*;
    use crate::models::DEFAULT_STOP_SHORTCUT;

    #[test]
    fn wayland_sessions_use_the_portal_where_the_desktop_offers_it() {
        assert_eq!(mechanism(Some("wayland"), true), ShortcutMechanism::Portal);
        assert_eq!(mechanism(Some("wayland"), false), ShortcutMechanism::KeyGrab);
        assert_eq!(mechanism(Some("x11"), true), ShortcutMechanism::KeyGrab, "X11 grabs the keys, portal or not");
        assert_eq!(mechanism(None, true), ShortcutMechanism::KeyGrab);
        assert!(wants_portal(Some("wayland")));
        assert!(!wants_portal(Some("x11")) && !wants_portal(Some("tty")) && !wants_portal(None));
    }

    #[test]
    fn the_settings_say_where_the_shortcut_works() {
        assert!(where_it_works_in(Some("x11"), false).contains("whatever window has focus"));
        assert!(where_it_works_in(None, false).contains("whatever window has focus"));
        let without_portal = where_it_works_in(Some("wayland"), false);
        assert!(without_portal.contains("offers no global shortcuts portal"), "{without_portal}");
        assert!(without_portal.contains("only while Plugboard or another X11"), "{without_portal}");
        assert!(where_it_works_in(Some("wayland"), true).contains("native Wayland games included"));
    }

    #[test]
    fn without_the_plugin_the_shortcut_is_reported_inactive() {
        let view = grab_view::<tauri::test::MockRuntime>(None, DEFAULT_STOP_SHORTCUT, String::new());
        assert!(!view.active);
        assert_eq!(view.keys, DEFAULT_STOP_SHORTCUT);
        assert_eq!(view.mechanism, ShortcutMechanism::KeyGrab);
        assert!(view.problem.is_some());
        let off = grab_view::<tauri::test::MockRuntime>(None, " ", String::new());
        assert!(off.problem.is_some(), "no manager: said even when turned off");
    }
}
