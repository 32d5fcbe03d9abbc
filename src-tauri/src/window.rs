//! The window and the app's life: showing the window, closing it (to the tray, which stops
//! what the window's controls run, or quitting), and quitting, which stops every device
//! first, however it is asked for (the window, the tray, the desktop's logout, a signal).

use tauri::{AppHandle, Manager, Runtime, WindowEvent};

use crate::state::AppState;

/// Remembers the window's size, position and maximized state across launches (saved when it
/// closes and when the app quits). Whether it is shown stays with the start-minimized setting.
pub fn state_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    use tauri_plugin_window_state::StateFlags;
    tauri_plugin_window_state::Builder::default()
        .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
        .build()
}

/// Shows, unminimizes and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Shows the window at start, unless the settings say to start minimized and there is a tray
/// to find it in.
pub fn show_at_start<R: Runtime>(app: &AppHandle<R>, start_minimized: bool, tray_available: bool) {
    if let Some(window) = app.get_webview_window("main") {
        if !start_minimized {
            let _ = window.show();
        } else if !tray_available {
            // Nowhere to hide to: show it minimized.
            let _ = window.show();
            let _ = window.minimize();
        }
    }
}

/// Stops every device and the server, then exits.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<AppState>().shutdown().await;
        app.exit(0);
    });
}

/// SIGTERM (logout, shutdown, `kill`) and SIGINT quit the way the menu does: every device
/// stops first. Without this the process would end with toys still running.
///
/// Windows sends a windowed program no such signals: logoff and shutdown reach it as window
/// messages, which are not handled yet (README, section Windows).
pub fn quit_on_signals<R: Runtime>(app: AppHandle<R>) {
    #[cfg(not(unix))]
    let _ = app;
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut terminate), Ok(mut interrupt)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            tracing::warn!("cannot listen for SIGTERM/SIGINT; quit from the window or the tray");
            return;
        };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("asked to quit by a signal");
        quit(&app);
    });
}

/// Closing the window hides it when the tray can bring it back and the user wants that;
/// otherwise it quits.
pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let app = window.app_handle();
        let state = app.state::<AppState>();
        if state.is_shut_down() {
            return;
        }
        api.prevent_close();
        if state.tray().available && state.settings().close_to_tray {
            let _ = window.hide();
            // Nobody can see or reach the window's controls any more: what they run stops.
            state.release_window_client();
        } else {
            quit(app);
        }
    }
}
