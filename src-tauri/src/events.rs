//! What the shell tells the window without being asked: a "snapshot" event after engine and
//! state changes (coalesced, and the tray follows it), and a "log" event per log line.

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::logs::LogBuffer;
use crate::state::AppState;

/// At most one "snapshot" event per this long.
pub const COALESCE: Duration = Duration::from_millis(50);

/// Emits a snapshot (and refreshes the tray) after every change, coalesced.
pub fn spawn_publisher<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let changed = app.state::<AppState>().changed.clone();
        loop {
            changed.notified().await;
            tokio::time::sleep(COALESCE).await;
            let snapshot = app.state::<AppState>().snapshot().await;
            let _ = app.emit("snapshot", &snapshot);
            crate::tray::refresh(&app, &snapshot);
        }
    });
}

/// Emits every captured log line as a "log" event.
pub fn spawn_log_forwarder<R: Runtime>(app: AppHandle<R>, logs: &LogBuffer) {
    let mut lines = logs.subscribe();
    tauri::async_runtime::spawn(async move {
        while let Some(line) = lines.recv().await {
            let _ = app.emit("log", &line);
        }
    });
}
