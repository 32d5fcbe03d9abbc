//! The global STOP shortcut, pressed while another application's window has the keyboard (as a
//! fullscreen game would): xdotool sends the key combination to the X server, as a keyboard
//! does, and every output stops, a game's and the window's own. Then the user changes the
//! combination in the settings, and the new one stops everything too.

use std::time::Duration;

use serde_json::{json, Value};

use crate::desktop::{AppWindow, Desktop};
use crate::gui_layout::add_virtual_device;
use crate::raw::{device_index, Raw};
use crate::toy::{Script, Toy};

const TOY_WAIT: Duration = Duration::from_secs(10);

/// The level shown for one output of the device named `name`.
async fn level(window: &AppWindow, name: &str, feature: u32) -> Value {
    let css = format!("#devices [data-device-name=\"{name}\"] .output-item[data-feature=\"{feature}\"] .output");
    window.script("return document.querySelector(arguments[0])?.textContent ?? null;", vec![json!(css)]).await
}

async fn wait_for_level(window: &AppWindow, name: &str, feature: u32, expected: &str) {
    window
        .wait_for(&format!("{name} feature {feature} at {expected}"), async || {
            (level(window, name, feature).await == json!(expected)).then_some(())
        })
        .await;
}

/// Presses a key combination as a keyboard would, on the desktop's X server.
pub(crate) async fn press(desktop: &Desktop, keys: &str) {
    let status = desktop.command("xdotool").args(["key", keys]).status().await;
    let status = status.expect("xdotool runs (scripts/ensure-system-packages.sh app installs it)");
    assert!(status.success(), "xdotool key {keys}: {status}");
}

/// A game's v4 command to one output.
async fn vibrate(game: &mut Raw, id: u32, device: &Value, feature: u32, value: i32) {
    let command = json!([{"OutputCmd": {"Id": id, "DeviceIndex": device, "FeatureIndex": feature,
                                        "Command": {"Vibrate": {"Value": value}}}}]);
    assert_eq!(game.ask(&command.to_string()).await, json!({"Ok": {"Id": id}}));
}

/// A fullscreen game running three outputs: a simulated Lovense Hush's and both of a virtual
/// dual vibrator's ("Two motors"), with the window showing their levels.
pub(crate) struct RunningGame {
    game: Raw,
    toy: Toy,
    hush: Value,
    motors: Value,
    next_id: u32,
}

impl RunningGame {
    /// Connects the toy (`serial`) to the app's device-websocket port, adds the virtual device,
    /// and connects the game to the server.
    pub(crate) async fn start(window: &AppWindow, port: u16, device_port: u16, serial: &str) -> RunningGame {
        let toy = Toy::connect(device_port, "FakeLVS", serial, Script::hush()).await;
        add_virtual_device(window, "dual-vibrator", "Two motors").await;
        window.show_view("devices").await;
        window.shown("#devices [data-device-name=\"Lovense Hush\"]").await;
        let (game, list) = Raw::v4_game(port, "Fullscreen game").await;
        let (hush, motors) = (device_index(&list, "Lovense Hush"), device_index(&list, "Two motors"));
        RunningGame { game, toy, hush, motors, next_id: 3 }
    }

    /// Runs every output: the toy and the first motor at `level_on`, the second one above.
    pub(crate) async fn run_everything(&mut self, window: &AppWindow, level_on: i32) {
        let id = self.next_id;
        self.next_id += 3;
        vibrate(&mut self.game, id, &self.hush, 0, level_on).await;
        vibrate(&mut self.game, id + 1, &self.motors, 0, level_on).await;
        vibrate(&mut self.game, id + 2, &self.motors, 1, level_on + 1).await;
        assert_eq!(self.toy.next(TOY_WAIT).await, format!("Vibrate:{level_on};"));
        wait_for_level(window, "Two motors", 1, &(level_on + 1).to_string()).await;
    }

    /// Waits until every output has stopped: the toy was told, and the window shows it.
    pub(crate) async fn expect_everything_stopped(&mut self, window: &AppWindow, what: &str) {
        assert_eq!(self.toy.next(TOY_WAIT).await, "Vibrate:0;", "{what} stopped the toy");
        wait_for_level(window, "Two motors", 0, "0").await;
        wait_for_level(window, "Two motors", 1, "0").await;
        wait_for_level(window, "Lovense Hush", 0, "0").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_the_stop_shortcut_stops_every_output_while_another_window_has_focus() {
    let desktop = Desktop::start().await;
    let (port, device_port) = desktop.serve_a_websocket_lovense("FakeLVS");
    let window = AppWindow::open(&desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    // On by default, and shown next to STOP ALL.
    window.wait_for_text("#stop-shortcut", "Ctrl+Alt+Shift+S").await;
    let mut game = RunningGame::start(&window, port, device_port, "SHORTCUT01").await;

    // Everything runs: the game's three outputs.
    game.run_everything(&window, 8).await;

    // Another application has the keyboard; the combination stops every output.
    let (_game_window_connection, game_window) = crate::x11::focused_window(&desktop.display);
    assert_eq!(crate::x11::input_focus(&desktop.display), game_window, "the other window has the keyboard");
    press(&desktop, "ctrl+alt+shift+s").await;
    game.expect_everything_stopped(&window, "the shortcut").await;

    // The user changes the combination; the new one is shown and works.
    window.show_view("server").await;
    let where_it_works = window.text("#stop-shortcut-where").await.unwrap_or_default();
    assert!(where_it_works.contains("whatever window has focus"), "the settings say where it works: {where_it_works}");
    let mechanism = window.text("#stop-shortcut-mechanism").await.unwrap_or_default();
    assert!(mechanism.contains("X11 key grab"), "the settings say how it is heard: {mechanism}");
    window.type_into("#setting-stop-shortcut", "Ctrl+Alt+Shift+P").await;
    window.wait_for_text("#stop-shortcut", "Ctrl+Alt+Shift+P").await;
    window.show_view("devices").await;
    game.run_everything(&window, 11).await;
    let (_other_connection, other) = crate::x11::focused_window(&desktop.display);
    assert_eq!(crate::x11::input_focus(&desktop.display), other);
    press(&desktop, "ctrl+alt+shift+p").await;
    game.expect_everything_stopped(&window, "the new shortcut").await;

    // A combination without a modifier is refused with what to do.
    window.show_view("server").await;
    window.type_into("#setting-stop-shortcut", "S").await;
    window.wait_for_text("#notice", "has no modifier").await;
    window.close().await;
}
