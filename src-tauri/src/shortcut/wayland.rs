//! The STOP shortcut on a Wayland session: bound through the desktop's GlobalShortcuts portal
//! where it is offered, grabbed from XWayland otherwise (see the parent module). The portal is
//! asked once; each change of the shortcut closes the session it was bound in and binds the
//! new combination in a new one.

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_global_shortcut::GlobalShortcut;

use super::portal::{BindError, BoundSession, Portal, PortalEvent};
use super::{grab_keys, key_grab, keys, parse, publish, where_it_works_in};
use crate::models::{ShortcutMechanism, ShortcutView};
use crate::state::AppState;

/// What the desktop shows the user about the shortcut it binds for Plugboard.
const PORTAL_DESCRIPTION: &str = "Stop every device (Plugboard's STOP ALL)";

/// Applies the settings' shortcut in the background (the portal answers over D-Bus, and may
/// wait for the user to confirm in a dialog).
pub fn apply<R: Runtime>(app: &AppHandle<R>) {
    if app.try_state::<Wayland>().is_none() {
        app.manage(Wayland::default());
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move { apply_on_wayland(&app).await });
}

/// The portal, once asked for, and the session the shortcut is bound in. The lock keeps one
/// change at a time: each reads the settings' current keys, so the last change wins.
#[derive(Default)]
struct Wayland {
    state: tokio::sync::Mutex<WaylandState>,
}

#[derive(Default)]
struct WaylandState {
    portal: Probe,
    session: Option<BoundSession>,
}

#[derive(Default)]
enum Probe {
    #[default]
    NotYet,
    Absent,
    Offered(Portal),
}

async fn apply_on_wayland<R: Runtime>(app: &AppHandle<R>) {
    let wayland = app.state::<Wayland>();
    let mut state = wayland.state.lock().await;
    let WaylandState { portal, session } = &mut *state;
    if let Probe::NotYet = portal {
        *portal = probe(&app.config().identifier).await;
    }
    let keys = app.state::<AppState>().settings().stop_shortcut.trim().to_owned();
    let Probe::Offered(portal) = portal else {
        publish(app, grab_keys(app, &keys, where_it_works_in(Some("wayland"), false)));
        return;
    };
    if let Some(previous) = session.take() {
        previous.close().await;
    }
    // Keys grabbed after an earlier failure of the portal are released: the portal hears them now.
    let _ = key_grab::grab(app.try_state::<GlobalShortcut<R>>().as_deref(), None, &keys);
    let view = |active, problem, where_it_works: String, assigned_trigger| ShortcutView {
        keys: keys.clone(),
        active,
        problem,
        where_it_works,
        mechanism: ShortcutMechanism::Portal,
        assigned_trigger,
    };
    let shortcut = match parse(&keys) {
        Ok(Some(shortcut)) => shortcut,
        Ok(None) => return publish(app, view(false, None, where_it_works_in(Some("wayland"), true), None)),
        Err(problem) => {
            return publish(app, view(false, Some(problem), where_it_works_in(Some("wayland"), true), None))
        }
    };
    let waiting = "Waiting for your desktop to bind the shortcut; it may ask you to confirm it.".to_owned();
    tracing::info!(keys = %keys, "asking the desktop to bind the STOP shortcut");
    app.state::<AppState>().set_shortcut(view(false, None, waiting, None));
    let trigger = keys::xdg_trigger(&shortcut);
    match portal.bind(trigger.as_deref(), PORTAL_DESCRIPTION, portal_events(app, &keys)).await {
        Ok(bound) => {
            *session = Some(bound.session);
            publish(app, view(true, None, where_it_works_in(Some("wayland"), true), bound.assigned_trigger));
        }
        Err(BindError::Bus(error)) => {
            tracing::warn!(%error, "the global shortcuts portal failed; grabbing the keys instead");
            let where_it_works = format!(
                "Your desktop's global shortcuts portal failed ({error}), so the shortcut works only while \
                 Plugboard or another X11 (XWayland) window has focus, not over native Wayland games and apps. \
                 Change the shortcut here to ask the portal again; keep the STOP ALL button or the tray at hand."
            );
            publish(app, grab_keys(app, &keys, where_it_works));
        }
        Err(refusal) => {
            let problem = refusal_in_words(&refusal);
            publish(app, view(false, Some(problem), where_it_works_in(Some("wayland"), true), None));
        }
    }
}

/// Asks the session bus for the portal.
async fn probe(app_id: &str) -> Probe {
    match Portal::connect(app_id).await {
        Ok((portal, version)) => {
            tracing::info!(version, "the desktop offers the global shortcuts portal");
            Probe::Offered(portal)
        }
        Err(error) => {
            tracing::info!(%error, "no global shortcuts portal on this Wayland session; grabbing the keys from XWayland");
            Probe::Absent
        }
    }
}

/// What to do when the portal speaks about the shortcut bound for `keys`: a press stops every
/// device; a new combination assigned in the desktop's settings is shown.
fn portal_events<R: Runtime>(app: &AppHandle<R>, keys: &str) -> Arc<dyn Fn(PortalEvent) + Send + Sync> {
    let (app, keys) = (app.clone(), keys.to_owned());
    Arc::new(move |event| {
        let (app, keys) = (app.clone(), keys.clone());
        match event {
            PortalEvent::Activated => {
                tracing::info!("the STOP shortcut was pressed (through the portal)");
                tauri::async_runtime::spawn(async move { app.state::<AppState>().stop_all().await });
            }
            PortalEvent::TriggerChanged(trigger) => {
                tauri::async_runtime::spawn(async move {
                    let state = app.state::<AppState>();
                    let mut view = state.snapshot().await.shortcut;
                    if view.mechanism == ShortcutMechanism::Portal && view.keys == keys {
                        tracing::info!(?trigger, "the desktop assigned another combination to the STOP shortcut");
                        view.assigned_trigger = trigger;
                        state.set_shortcut(view);
                    }
                });
            }
        }
    })
}

/// Why the desktop did not bind the shortcut, in the user's words.
fn refusal_in_words(refusal: &BindError) -> String {
    match refusal {
        BindError::Refused(1) => "You declined the STOP shortcut in your desktop's dialog. Change the shortcut here to \
                                  be asked again, or use the STOP ALL button or the tray."
            .to_owned(),
        BindError::Refused(_) => "Your desktop refused the STOP shortcut. Check its keyboard shortcut settings, then \
                                  change the shortcut here to ask again; until then use the STOP ALL button or the tray."
            .to_owned(),
        BindError::NoAnswer => "Your desktop did not answer when asked to bind the STOP shortcut. Change the shortcut \
                                here to ask again; until then use the STOP ALL button or the tray."
            .to_owned(),
        BindError::Bus(error) => format!("Your desktop's global shortcuts portal failed ({error})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_what_to_do() {
        assert!(refusal_in_words(&BindError::Refused(1)).contains("You declined"));
        assert!(refusal_in_words(&BindError::Refused(2)).contains("refused"));
        assert!(refusal_in_words(&BindError::NoAnswer).contains("did not answer"));
    }
}
