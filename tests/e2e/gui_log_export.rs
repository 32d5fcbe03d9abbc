//! "Export logs" opens the system's save dialog (GTK's, from the shell's side) and writes the
//! log there. The dialog is the real one, answered as a user would: xdotool types a path into
//! it and presses Enter, or presses Escape. WebDriver cannot reach a native dialog, and a test
//! seam in the app would leave the dialog itself untested.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::desktop::{AppWindow, Desktop};
use crate::gui_layout::window_with_server;

const DIALOG_TITLE: &str = "Export Plugboard logs";

/// Runs xdotool on the desktop's X server, as a keyboard would type.
async fn xdotool(desktop: &Desktop, args: &[&str]) {
    let status = desktop.command("xdotool").args(args).status().await;
    let status = status.expect("xdotool runs (scripts/ensure-system-packages.sh app installs it)");
    assert!(status.success(), "xdotool {args:?}: {status}");
}

/// Waits for the save dialog to be on screen, and gives it the keyboard.
async fn the_dialog(window: &AppWindow, desktop: &Desktop) {
    let dialog = window
        .wait_for("the save dialog", async || {
            crate::x11::shown_windows(&desktop.display, DIALOG_TITLE).first().copied()
        })
        .await;
    crate::x11::give_focus(&desktop.display, dialog);
}

/// Every file under `dir` whose name starts with `prefix`.
fn files_named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_named(&path, prefix));
        } else if entry.file_name().to_string_lossy().starts_with(prefix) {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_logs_are_exported_through_the_systems_save_dialog() {
    let desktop = Desktop::start().await;
    let (window, port) = window_with_server(&desktop).await;
    window.show_view("logs").await;
    window.wait_for_text("#logs", "server started").await;
    assert!(window.text("#view-logs input[type=\"text\"]").await.is_none(), "no path is typed into the page");

    // Saved: the user types where the file goes, and the window says so.
    let folder = desktop.home().join("exports");
    std::fs::create_dir_all(&folder).unwrap();
    let target = folder.join("plugboard.log");
    window.click("#export-logs").await;
    the_dialog(&window, &desktop).await;
    window.screenshot("logs-export-dialog").await;
    xdotool(&desktop, &["key", "--clearmodifiers", "ctrl+a"]).await;
    xdotool(&desktop, &["type", "--delay", "20", &target.display().to_string()]).await;
    xdotool(&desktop, &["key", "Return"]).await;
    let said = window.wait_for_text("#notice", "log lines to").await;
    assert!(said.ends_with(&target.display().to_string()), "the window says where the logs went: {said}");
    assert_eq!(window.attribute("#notice", "class").await.as_deref(), Some("notice notice-info"));
    let written = std::fs::read_to_string(&target).expect("the exported file");
    let url = format!("ws://127.0.0.1:{port}");
    assert!(
        written.lines().any(|line| line.contains(" INFO  plugboard_app::state: server started") && line.contains(&url)),
        "the log lines are in the file:\n{written}"
    );
    let count: usize = said.trim_start_matches("Saved ").split(' ').next().and_then(|n| n.parse().ok()).unwrap();
    assert_eq!(written.lines().count(), count, "the window says how many lines it wrote");
    assert!(crate::x11::shown_windows(&desktop.display, DIALOG_TITLE).is_empty(), "the dialog closed");

    // Cancelled: nothing is written, and nothing is said to have gone wrong.
    window.click("#export-logs").await;
    the_dialog(&window, &desktop).await;
    xdotool(&desktop, &["key", "Escape"]).await;
    window.wait_for_text("#notice", "Export cancelled: nothing was saved.").await;
    assert_eq!(window.attribute("#notice", "class").await.as_deref(), Some("notice notice-info"));
    assert_eq!(
        files_named(desktop.home(), "plugboard-logs"),
        Vec::<PathBuf>::new(),
        "the cancelled export wrote nothing"
    );
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 1, "only the first export's file");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !crate::x11::shown_windows(&desktop.display, DIALOG_TITLE).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the cancelled dialog closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    window.close().await;
}
