//! The global STOP shortcut on a Wayland session. Where the desktop offers the XDG
//! GlobalShortcuts portal (faked by tests/e2e/fixtures/global_shortcuts_portal.py on the test
//! desktop's session bus), the app binds the shortcut through it, the settings show the
//! combination the desktop assigned, the desktop's Activated signal stops every output, and a
//! new combination closes the old session and is bound in a new one. Without the portal the
//! settings say plainly where the shortcut works.
//!
//! The session is Wayland by XDG_SESSION_TYPE only: with no WAYLAND_DISPLAY the window is
//! still drawn on the test desktop's X display.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Child;

use crate::desktop::{AppWindow, Desktop};
use crate::gui_shortcut::RunningGame;

/// Calls the fake portal's test hooks (org.plugboard.FakePortal) and prints the answer as JSON.
const HOOKS: &str = r#"
import json, sys, dbus
hooks = dbus.Interface(
    dbus.SessionBus().get_object('org.freedesktop.portal.Desktop', '/org/freedesktop/portal/desktop'),
    'org.plugboard.FakePortal')
if sys.argv[1] == 'state':
    print(json.dumps({'bindings': [[str(field) for field in binding] for binding in hooks.Bindings()],
                      'closed': [str(path) for path in hooks.ClosedSessions()]}))
elif sys.argv[1] == 'activate':
    hooks.Activate(sys.argv[2])
    print('null')
elif sys.argv[1] == 'answer-next-bind':
    hooks.AnswerNextBind(int(sys.argv[2]))
    print('null')
"#;

/// One BindShortcuts call the portal received: (session, shortcut id, preferred trigger).
type Binding = (String, String, String);

/// The fake portal, on the desktop's session bus.
struct FakePortal {
    _process: Child,
}

impl FakePortal {
    async fn start(desktop: &Desktop) -> FakePortal {
        let template = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("e2e/fixtures/global_shortcuts_portal.py");
        let process = desktop
            .command("/usr/bin/python3")
            .args(["-m", "dbusmock", "--template"])
            .arg(template)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m dbusmock starts (Debian package python3-dbusmock)");
        let portal = FakePortal { _process: process };
        let deadline = tokio::time::Instant::now() + crate::desktop::UI_WAIT;
        while portal.hook(desktop, &["state"]).await.is_none() {
            assert!(tokio::time::Instant::now() < deadline, "the fake portal did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        portal
    }

    async fn hook(&self, desktop: &Desktop, args: &[&str]) -> Option<Value> {
        let output = desktop.command("/usr/bin/python3").arg("-c").arg(HOOKS).args(args).output().await.ok()?;
        if !output.status.success() {
            return None;
        }
        serde_json::from_slice(&output.stdout).ok()
    }

    /// Every BindShortcuts call so far, and the sessions closed so far.
    async fn state(&self, desktop: &Desktop) -> (Vec<Binding>, Vec<String>) {
        let state = self.hook(desktop, &["state"]).await.expect("the fake portal answers");
        let bindings = state["bindings"].as_array().expect("bindings");
        let binding = |b: &Value| {
            (b[0].as_str().unwrap().to_owned(), b[1].as_str().unwrap().to_owned(), b[2].as_str().unwrap().to_owned())
        };
        let closed = state["closed"].as_array().expect("closed sessions");
        (bindings.iter().map(binding).collect(), closed.iter().map(|c| c.as_str().unwrap().to_owned()).collect())
    }

    /// Waits until the portal has received `count` bindings.
    async fn wait_for_bindings(
        &self,
        window: &AppWindow,
        desktop: &Desktop,
        count: usize,
    ) -> (Vec<Binding>, Vec<String>) {
        window
            .wait_for(&format!("{count} shortcut bindings at the portal"), async || {
                let state = self.state(desktop).await;
                (state.0.len() >= count).then_some(state)
            })
            .await
    }

    /// The user presses the shortcut `id`: the desktop sends Activated.
    async fn activate(&self, desktop: &Desktop, id: &str) {
        self.hook(desktop, &["activate", id]).await.expect("the fake portal emits Activated");
    }
}

/// A desktop whose session says Wayland.
async fn wayland_desktop() -> Desktop {
    let mut desktop = Desktop::start().await;
    desktop.set_env("XDG_SESSION_TYPE", "wayland");
    desktop
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_on_wayland_the_stop_shortcut_is_bound_through_the_desktops_portal() {
    let desktop = wayland_desktop().await;
    let portal = FakePortal::start(&desktop).await;
    let (port, device_port) = desktop.serve_a_websocket_lovense("FakeLVS");
    let window = AppWindow::open(&desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;

    // Bound with the settings' combination as the preferred trigger; the desktop worded it its
    // own way, and that is what the window shows next to STOP ALL and in the settings.
    let (bindings, closed) = portal.wait_for_bindings(&window, &desktop, 1).await;
    let (first_session, id, trigger) = bindings[0].clone();
    assert_eq!((id.as_str(), trigger.as_str()), ("stop-all", "CTRL+ALT+SHIFT+s"));
    assert!(closed.is_empty(), "no session closed yet: {closed:?}");
    window.wait_for_text("#stop-shortcut", "Shift+Ctrl+Alt+S").await;
    window.show_view("server").await;
    let mechanism = window.wait_for_text("#stop-shortcut-mechanism", "Your desktop assigned: Shift+Ctrl+Alt+S").await;
    assert!(mechanism.contains("global shortcuts portal"), "the settings say how it is heard: {mechanism}");
    let where_it_works = window.text("#stop-shortcut-where").await.unwrap_or_default();
    assert!(where_it_works.contains("native Wayland games included"), "{where_it_works}");

    // A game runs every output; the desktop says the shortcut was pressed: everything stops.
    let mut game = RunningGame::start(&window, port, device_port, "PORTAL01").await;
    game.run_everything(&window, 8).await;
    portal.activate(&desktop, "stop-all").await;
    game.expect_everything_stopped(&window, "the portal's Activated").await;

    // The user changes the combination: the old session is closed, the new one bound.
    window.show_view("server").await;
    window.type_into("#setting-stop-shortcut", "Ctrl+Alt+Shift+P").await;
    let (bindings, _) = portal.wait_for_bindings(&window, &desktop, 2).await;
    let (second_session, id, trigger) = bindings[1].clone();
    assert_eq!((id.as_str(), trigger.as_str()), ("stop-all", "CTRL+ALT+SHIFT+p"));
    assert_ne!(second_session, first_session, "bound in a new session");
    let (_, closed) = portal.state(&desktop).await;
    assert_eq!(closed, std::slice::from_ref(&first_session), "the old session was closed before the new binding");
    window.wait_for_text("#stop-shortcut", "Shift+Ctrl+Alt+P").await;
    window.show_view("devices").await;
    game.run_everything(&window, 11).await;
    portal.activate(&desktop, "stop-all").await;
    game.expect_everything_stopped(&window, "the new binding's Activated").await;

    // The user declines the next one in the desktop's dialog: the settings say so.
    portal.hook(&desktop, &["answer-next-bind", "1"]).await.expect("the fake portal takes the answer");
    window.show_view("server").await;
    window.type_into("#setting-stop-shortcut", "Ctrl+Alt+Shift+X").await;
    window.wait_for_text("#stop-shortcut-problem", "You declined the STOP shortcut").await;
    let (bindings, closed) = portal.state(&desktop).await;
    assert_eq!(bindings.len(), 3);
    // The second session closed for the third, and the third, refused, closed too.
    assert_eq!(closed, [first_session, second_session, bindings[2].0.clone()]);
    window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_on_wayland_without_the_portal_the_settings_say_where_the_shortcut_works() {
    let desktop = wayland_desktop().await;
    let (port, _) = desktop.serve_a_websocket_lovense("FakeLVS");
    let window = AppWindow::open(&desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    // The keys are grabbed from XWayland, the one place they can be heard.
    window.wait_for_text("#stop-shortcut", "Ctrl+Alt+Shift+S").await;
    window.show_view("server").await;
    let where_it_works = window.wait_for_text("#stop-shortcut-where", "offers no global shortcuts portal").await;
    assert!(
        where_it_works.contains("only while Plugboard or another X11 (XWayland) window has focus"),
        "{where_it_works}"
    );
    let mechanism = window.text("#stop-shortcut-mechanism").await.unwrap_or_default();
    assert!(mechanism.contains("X11 key grab"), "{mechanism}");
    window.close().await;
}
