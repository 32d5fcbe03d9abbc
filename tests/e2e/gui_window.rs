//! The window comes back where the user left it: its size and position are remembered across
//! launches (tauri-plugin-window-state).

use std::time::Duration;

use plugboard_e2e::unused_port;
use serde_json::json;

use crate::desktop::AppWindow;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_the_window_remembers_its_size_and_position() {
    let desktop = crate::desktop::Desktop::start().await;
    // Closing the window quits (no tray to keep it in): the way a user ends it.
    desktop.write_settings(
        json!({"port": unused_port(), "closeToTray": false, "useBluetoothLe": false, "useSerial": false}),
    );
    let window = AppWindow::open(&desktop).await;
    window.client.set_window_rect(140, 90, 900, 640).await.expect("move and resize the window");
    let placed = window
        .wait_for("the window at 900x640", async || {
            let (x, y, width, height) = window.client.get_window_rect().await.ok()?;
            ((width, height) == (900, 640)).then_some((x, y, width, height))
        })
        .await;
    let shown = crate::x11::shown_windows(&desktop.display, "Plugboard");
    assert_eq!(shown.len(), 1, "one Plugboard window on screen");
    crate::x11::ask_to_close(&desktop.display, shown[0]);
    window.close().await;
    let saved = desktop.home().join(".config");
    let deadline = tokio::time::Instant::now() + crate::desktop::UI_WAIT;
    let state_file = loop {
        let found = walk(&saved).into_iter().find(|path| path.ends_with(".window-state.json"));
        if let Some(found) = found {
            break found;
        }
        assert!(tokio::time::Instant::now() < deadline, "no window state was saved under {}", saved.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(std::fs::read_to_string(&state_file).unwrap().contains("900"), "the size is saved");

    let window = AppWindow::open(&desktop).await;
    let (x, y, width, height) = window.client.get_window_rect().await.unwrap();
    assert_eq!((width, height), (placed.2, placed.3), "the size is restored");
    assert_eq!((x, y), (placed.0, placed.1), "the position is restored");
    window.close().await;
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}
