//! The Plugboard desktop app: a thin Tauri shell over `plugboard_server::Engine`, its only
//! door into the engine. No protocol or device logic lives here.
//!
//! Modules, listed so that each builds on those before it (no two need each other: the
//! workspace's module-cycle check, `tools/module-graph`, fails on any cycle):
//! [`models`] (the front end's types), [`error`], [`ports`], [`autostart`], [`settings`],
//! [`logs`], [`start_error`], [`snapshot`] (built from the engine's views), [`state`] (every
//! command goes through it), [`log_export`] (the save dialog), [`notifications`] (desktop
//! notifications about devices), [`shortcut`] (the global STOP shortcut), [`window`],
//! [`tray`], [`events`] (engine and state changes become coalesced "snapshot" events, log
//! lines "log" events), and [`commands`].

pub mod autostart;
pub mod commands;
pub mod error;
pub mod events;
pub mod log_export;
pub mod logs;
pub mod models;
pub mod notifications;
pub mod ports;
pub mod settings;
pub mod shortcut;
pub mod snapshot;
pub mod start_error;
pub mod state;
pub mod tray;
#[cfg(test)]
mod typescript;
pub mod window;

use std::sync::Arc;

use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::logs::LogBuffer;
use crate::state::AppState;

/// Every contract command.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::get_snapshot,
        commands::start_server,
        commands::stop_server,
        commands::save_settings,
        commands::check_device_updates,
        commands::disconnect_client,
        commands::answer_client,
        commands::answer_web_page,
        commands::forget_approved_client,
        commands::forget_web_page,
        commands::set_client_device_access,
        commands::stop_all,
        commands::set_scanning,
        commands::add_virtual_device,
        commands::remove_virtual_device,
        commands::set_device_access,
        commands::rename_device,
        commands::set_output_limit,
        commands::forget_device,
        commands::set_output,
        commands::read_input,
        commands::get_logs,
        commands::export_logs,
    ]
}

/// The single-instance plugin uses the D-Bus session bus on Linux and may panic without one.
/// Elsewhere it needs no bus (on Windows it holds a named mutex).
#[cfg(not(target_os = "linux"))]
fn session_bus_available() -> bool {
    true
}

/// The single-instance plugin uses the D-Bus session bus on Linux and may panic without one.
#[cfg(target_os = "linux")]
fn session_bus_available() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| std::path::Path::new(&format!("/run/user/{}/bus", m.uid())).exists())
        .unwrap_or(false)
}

/// Once the app exists: the event publishers, the tray, the window, and the server when the
/// settings say to start it.
fn setup<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    events::spawn_log_forwarder(app.clone(), &state.logs);
    notifications::announce_device_events(app);
    events::spawn_publisher(app.clone());
    let tray = tray::create(app);
    let tray_available = tray.available;
    state.set_tray(tray);
    if let Some(on) = autostart::current(app) {
        state.reflect_launch_at_login(on);
    }
    let settings = state.settings();
    shortcut::apply(app, &settings.stop_shortcut);
    window::show_at_start(app, settings.start_minimized, tray_available);
    if settings.start_server_on_launch {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(error) = app.state::<AppState>().start_server().await {
                tracing::warn!("the server did not start on launch: {error}");
            }
        });
    }
    window::quit_on_signals(app.clone());
}

/// `PLUGBOARD_APPROVAL_TIMEOUT` (such as "3s" or "2min"): how long a client or web page that
/// waits for the user's answer waits before it is refused (60 s when unset).
fn approval_timeout_from_env() -> Option<std::time::Duration> {
    let text = std::env::var("PLUGBOARD_APPROVAL_TIMEOUT").ok()?;
    match humantime::parse_duration(text.trim()) {
        Ok(timeout) if !timeout.is_zero() => Some(timeout),
        _ => {
            tracing::warn!(
                "PLUGBOARD_APPROVAL_TIMEOUT={text:?} is not a duration such as \"30s\" or \"2min\"; waiting 60 s"
            );
            None
        }
    }
}

pub fn run() {
    let logs = Arc::new(LogBuffer::default());
    logs::init_tracing(logs.clone());
    let mut state = AppState::new(settings::default_dir(), logs);
    if let Some(timeout) = approval_timeout_from_env() {
        state = state.with_approval_timeout(timeout);
    }
    let mut builder = tauri::Builder::default();
    if session_bus_available() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| window::show_main(app)));
    } else {
        tracing::warn!(
            "no D-Bus session bus: a second launch of Plugboard will not be noticed (run under dbus-run-session)"
        );
    }
    let app = builder
        .plugin(autostart::plugin())
        .plugin(shortcut::plugin())
        .plugin(window::state_plugin())
        .plugin(log_export::plugin())
        .plugin(notifications::plugin())
        .manage(state)
        .invoke_handler(handler())
        .on_window_event(window::on_window_event)
        .setup(|app| {
            setup(app.handle());
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("Plugboard could not start its window: {error}");
            std::process::exit(1);
        });
    app.run(|app, event| {
        if let RunEvent::ExitRequested { api, .. } = event {
            if !app.state::<AppState>().is_shut_down() {
                api.prevent_exit();
                window::quit(app);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    /// The window may call Plugboard's own commands (they need no capability entry) and listen
    /// to events; nothing else: no plugin's commands (autostart included), no file system, no
    /// shell. A permission added here must be a deliberate decision.
    #[test]
    fn the_front_end_is_allowed_only_plugboards_commands_and_events() {
        let text = include_str!("../capabilities/default.json");
        let capability: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        assert_eq!(capability["permissions"], serde_json::json!(["core:event:default"]));
        let capabilities = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities")).unwrap().count();
        assert_eq!(capabilities, 1, "one capability file, the one checked above");
    }
}
