//! The tray icon: running or stopped and the number of clients; Start/Stop server, STOP ALL
//! devices, Show window, Quit. Creating it is guarded: where no tray can be made (the
//! appindicator library missing makes tray-icon panic) the app runs without one and says why.

use std::panic::AssertUnwindSafe;

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

use crate::models::Snapshot;
use crate::snapshot::TrayStatus;
use crate::state::AppState;
use crate::window;

const RUNNING: &[u8] = include_bytes!("../../icons/tray-running.png");
const STOPPED: &[u8] = include_bytes!("../../icons/tray-stopped.png");

/// The tray and the menu items that change with the server state.
pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    status: MenuItem<R>,
    toggle: MenuItem<R>,
}

/// Text for the tray's status line.
pub fn status_text(running: bool, clients: usize) -> String {
    match (running, clients) {
        (false, _) => "Server stopped".to_owned(),
        (true, 1) => "Server running: 1 client".to_owned(),
        (true, n) => format!("Server running: {n} clients"),
    }
}

/// Creates the tray; returns what the snapshot should say about it.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> TrayStatus {
    match std::panic::catch_unwind(AssertUnwindSafe(|| build(app))) {
        Ok(Ok(tray)) => {
            app.manage(tray);
            TrayStatus { available: true, message: None }
        }
        Ok(Err(error)) => unavailable(format!("No tray icon could be created ({error}).")),
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the tray library failed".into());
            unavailable(format!("No tray icon could be created ({why}). On Linux install libayatana-appindicator3-1."))
        }
    }
}

fn unavailable(reason: String) -> TrayStatus {
    let message =
        format!("{reason} Plugboard keeps working without it; closing the window quits (devices are stopped first).");
    tracing::warn!("{message}");
    TrayStatus { available: false, message: Some(message) }
}

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Tray<R>> {
    let status = MenuItem::with_id(app, "status", status_text(false, 0), false, None::<&str>)?;
    let toggle = MenuItem::with_id(app, "toggle", "Start server", true, None::<&str>)?;
    let stop_all = MenuItem::with_id(app, "stop-all", "STOP ALL devices", true, None::<&str>)?;
    let show = MenuItem::with_id(app, "show", "Show window", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let separator2 = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&status, &separator, &toggle, &stop_all, &show, &separator2, &quit])?;
    let icon = TrayIconBuilder::with_id("plugboard")
        .icon(Image::from_bytes(STOPPED)?)
        .tooltip("Plugboard: server stopped")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    Ok(Tray { icon, status, toggle })
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "toggle" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                if state.summary().await.0 {
                    state.stop_server().await;
                } else if let Err(error) = state.start_server().await {
                    tracing::warn!("{error}");
                    window::show_main(&app);
                }
            });
        }
        "stop-all" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move { app.state::<AppState>().stop_all().await });
        }
        "show" => window::show_main(app),
        "quit" => window::quit(app),
        _ => {}
    }
}

/// Brings the tray in line with a snapshot (called for every published snapshot).
pub fn refresh<R: Runtime>(app: &AppHandle<R>, snapshot: &Snapshot) {
    let Some(tray) = app.try_state::<Tray<R>>() else { return };
    let running = snapshot.server.running;
    // Apps that connect to the server; the window's own controls are not one of them.
    let apps = snapshot.clients.iter().filter(|client| !client.local).count();
    let text = status_text(running, apps);
    let _ = tray.status.set_text(&text);
    let _ = tray.toggle.set_text(if running { "Stop server" } else { "Start server" });
    let _ = tray.icon.set_tooltip(Some(format!("Plugboard: {}", text.to_lowercase())));
    if let Ok(image) = Image::from_bytes(if running { RUNNING } else { STOPPED }) {
        let _ = tray.icon.set_icon(Some(image));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line() {
        assert_eq!(status_text(false, 3), "Server stopped");
        assert_eq!(status_text(true, 1), "Server running: 1 client");
        assert_eq!(status_text(true, 0), "Server running: 0 clients");
    }

    #[test]
    fn tray_icons_decode() {
        assert_eq!(Image::from_bytes(RUNNING).unwrap().width(), 32);
        assert_eq!(Image::from_bytes(STOPPED).unwrap().height(), 32);
    }
}
