//! Desktop notifications about devices, received by python-dbusmock's notification daemon on
//! the test desktop's private session bus: a simulated Lovense dials in (connected), its
//! battery drains under 15 % (told once per fall), it drops out (disconnected), and each kind
//! stays quiet once its setting is off.

use std::process::Stdio;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Child;

use crate::desktop::{AppWindow, Desktop};
use crate::toy::{Reply, Script, Toy};

const NAME: &str = "Lovense Hush";

/// Asks the mock daemon for every Notify call it received: (summary, body) pairs, oldest first.
const READ_CALLS: &str = r#"
import json, dbus
mock = dbus.Interface(
    dbus.SessionBus().get_object('org.freedesktop.Notifications', '/org/freedesktop/Notifications'),
    'org.freedesktop.DBus.Mock')
print(json.dumps([[str(args[3]), str(args[4])] for _, args in mock.GetMethodCalls('Notify')]))
"#;

/// python-dbusmock's notification daemon, on the desktop's session bus.
struct NotificationDaemon {
    _process: Child,
}

impl NotificationDaemon {
    async fn start(desktop: &Desktop) -> NotificationDaemon {
        let process = desktop
            .command("/usr/bin/python3")
            .args(["-m", "dbusmock", "--template", "notification_daemon"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m dbusmock starts (Debian package python3-dbusmock)");
        let daemon = NotificationDaemon { _process: process };
        let deadline = tokio::time::Instant::now() + crate::desktop::UI_WAIT;
        while daemon.try_received(desktop).await.is_none() {
            assert!(tokio::time::Instant::now() < deadline, "the mock notification daemon did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        daemon
    }

    async fn try_received(&self, desktop: &Desktop) -> Option<Vec<(String, String)>> {
        let output = desktop.command("/usr/bin/python3").args(["-c", READ_CALLS]).output().await.ok()?;
        if !output.status.success() {
            return None;
        }
        let calls: Value = serde_json::from_slice(&output.stdout).ok()?;
        let pair = |call: &Value| Some((call[0].as_str()?.to_owned(), call[1].as_str()?.to_owned()));
        calls.as_array()?.iter().map(pair).collect()
    }

    /// What it received so far.
    async fn received(&self, desktop: &Desktop) -> Vec<(String, String)> {
        self.try_received(desktop).await.expect("the mock notification daemon answers")
    }

    /// Waits until it has received `count` notifications, and returns them all.
    async fn wait_for(&self, window: &AppWindow, desktop: &Desktop, count: usize) -> Vec<(String, String)> {
        window
            .wait_for(&format!("{count} desktop notifications"), async || {
                let received = self.received(desktop).await;
                (received.len() >= count).then_some(received)
            })
            .await
    }
}

fn pair(summary: &str, body: &str) -> (String, String) {
    (summary.to_owned(), body.to_owned())
}

/// Reads the toy's battery with the window's button, and waits for the reading to show.
async fn read_battery(window: &AppWindow, level: &AtomicU8, percent: u8) {
    level.store(percent, Ordering::SeqCst);
    let card = format!("#devices [data-device-name=\"{NAME}\"]");
    window.click(&format!("{card} button.read-input[data-kind=\"Battery\"]")).await;
    window.wait_for_text(&format!("{card} .input-item output.reading"), &format!("{percent} %")).await;
}

/// Turns a setting's box off in the Server view, and waits until it is saved.
async fn toggle_off(window: &AppWindow, css: &str) {
    window.show_view("server").await;
    window.click(css).await;
    window
        .wait_for(&format!("{css} off and saved"), async || {
            let element = window.shown(css).await;
            (element.is_enabled().await.ok()? && !element.is_selected().await.ok()?).then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_devices_connecting_disconnecting_and_running_low_are_notified() {
    let desktop = Desktop::start().await;
    let daemon = NotificationDaemon::start(&desktop).await;
    let (port, device_port) = desktop.serve_a_websocket_lovense("FakeLVS");
    let window = AppWindow::open(&desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    window.show_view("server").await;
    for setting in ["#setting-notify-connections", "#setting-notify-low-battery"] {
        assert!(window.shown(setting).await.is_selected().await.unwrap(), "{setting} is on by default");
    }

    let level = Arc::new(AtomicU8::new(73));
    let script = Script { battery: Reply::Level(level.clone()), ..Script::hush() };
    let toy = Toy::connect(device_port, "FakeLVS", "NOTIFY01", script.clone()).await;
    let connected = pair(&format!("{NAME} connected"), "Games and apps connected to Plugboard can use it now.");
    assert_eq!(daemon.wait_for(&window, &desktop, 1).await, vec![connected.clone()]);

    // The battery drains: told when it falls under 15 %, not at the next reading, and again
    // after a charge and a new fall.
    window.show_view("devices").await;
    read_battery(&window, &level, 73).await;
    read_battery(&window, &level, 14).await;
    let low = |percent: u8| pair(&format!("{NAME} battery low"), &format!("{percent} % left: charge it soon."));
    assert_eq!(daemon.wait_for(&window, &desktop, 2).await, vec![connected.clone(), low(14)]);
    read_battery(&window, &level, 12).await;
    read_battery(&window, &level, 60).await;
    read_battery(&window, &level, 9).await;
    // The notifications follow the engine's events in order: the second "low" coming after
    // nothing else shows the 12 % and 60 % readings were not notified.
    assert_eq!(daemon.wait_for(&window, &desktop, 3).await, vec![connected.clone(), low(14), low(9)]);

    // The toy drops out.
    toy.close().await;
    let disconnected =
        pair(&format!("{NAME} disconnected"), "Plugboard can no longer reach it: check that it is on and in range.");
    assert_eq!(daemon.wait_for(&window, &desktop, 4).await[3], disconnected);

    // With connections turned off, the toy comes back unannounced; its low battery still is.
    toggle_off(&window, "#setting-notify-connections").await;
    level.store(50, Ordering::SeqCst);
    let toy = Toy::connect(device_port, "FakeLVS", "NOTIFY01", script.clone()).await;
    window.show_view("devices").await;
    read_battery(&window, &level, 50).await;
    read_battery(&window, &level, 5).await;
    let received = daemon.wait_for(&window, &desktop, 5).await;
    assert_eq!(received[4..], [low(5)], "the reconnection was not announced");

    // With low batteries turned off too, a fall is not told. The barrier: connections are
    // turned on again, and the toy's departure is the next notification.
    toggle_off(&window, "#setting-notify-low-battery").await;
    window.show_view("devices").await;
    read_battery(&window, &level, 60).await;
    read_battery(&window, &level, 4).await;
    window.show_view("server").await;
    window.click("#setting-notify-connections").await;
    window
        .wait_for("connections turned on again", async || {
            let element = window.shown("#setting-notify-connections").await;
            (element.is_enabled().await.ok()? && element.is_selected().await.ok()?).then_some(())
        })
        .await;
    toy.close().await;
    let received = daemon.wait_for(&window, &desktop, 6).await;
    assert_eq!(received[5..], [disconnected], "the fall to 4 % was not notified");
    window.close().await;
}
