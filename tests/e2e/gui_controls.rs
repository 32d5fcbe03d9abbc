//! Trying a toy from the window: every output of a connected device has a control that drives
//! it live, as a client of the engine named "this window". Checked on the bytes a simulated
//! Lovense receives: the window's slider reaches it, a game's command takes the output over,
//! STOP ALL stops it, and hiding the window stops what the window runs (and only that).

use std::time::Duration;

use serde_json::{json, Value};

use crate::desktop::{AppWindow, Desktop};
use crate::gui_layout::add_virtual_device;
use crate::raw::{device_index, Raw};
use crate::toy::{Script, Toy};

const TOY_WAIT: Duration = Duration::from_secs(10);

/// The card of the device named `name`.
fn card(name: &str) -> String {
    format!("#devices [data-device-name=\"{name}\"]")
}

/// The control of one output of the card of `name`.
fn control(name: &str, feature: u32, control: &str) -> String {
    format!("{} .output-item[data-feature=\"{feature}\"] {control}", card(name))
}

/// What the page says of one output, read from the page itself (also while it is hidden).
async fn output_text(window: &AppWindow, name: &str, feature: u32, part: &str) -> Value {
    let css = control(name, feature, part);
    window.script("return document.querySelector(arguments[0])?.textContent ?? null;", vec![json!(css)]).await
}

async fn wait_for_output(window: &AppWindow, name: &str, feature: u32, part: &str, expected: &str) {
    window
        .wait_for(&format!("{expected:?} at {name} feature {feature} {part}"), async || {
            (output_text(window, name, feature, part).await == json!(expected)).then_some(())
        })
        .await;
}

/// The toy's next command that is not a keepalive or a query.
async fn next_command(toy: &mut Toy) -> String {
    toy.next(TOY_WAIT).await
}

/// Closes the window the way a desktop's close button does (WM_DELETE_WINDOW).
fn close_button(desktop: &Desktop) {
    let windows = crate::x11::shown_windows(&desktop.display, "Plugboard");
    assert_eq!(windows.len(), 1, "one Plugboard window on screen");
    crate::x11::ask_to_close(&desktop.display, windows[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_the_windows_controls_drive_a_toy_as_a_client_of_the_engine() {
    let desktop = Desktop::start().await;
    let (port, device_port) = desktop.serve_a_websocket_lovense("FakeLVS");
    let window = AppWindow::open(&desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    let mut toy = Toy::connect(device_port, "FakeLVS", "CONTROLS01", Script::hush()).await;
    add_virtual_device(&window, "sampler", "").await;
    window.show_view("devices").await;
    window.shown(&card("Lovense Hush")).await;

    // The window's slider drives the toy, and the output shows as run by this window.
    window.slide(&control("Lovense Hush", 0, "input.try-level"), 12).await;
    assert_eq!(next_command(&mut toy).await, "Vibrate:12;");
    wait_for_output(&window, "Lovense Hush", 0, ".owner", "run by this window").await;
    window.show_view("clients").await;
    window.wait_for_text("#clients [data-client-id].local .kind", "this window").await;
    assert!(
        !window
            .shown("#clients [data-client-id].local")
            .await
            .find(fantoccini::Locator::Css("button.disconnect"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap(),
        "the window's controls are not a connection to disconnect"
    );

    // A game's command takes the output over; the slider follows the toy.
    let (mut game, list) = Raw::v4_game(port, "Test game").await;
    let (hush, sampler) = (device_index(&list, "Lovense Hush"), device_index(&list, "Virtual Sampler"));
    let command = json!([{"OutputCmd": {"Id": 3, "DeviceIndex": hush, "FeatureIndex": 0,
                                        "Command": {"Vibrate": {"Value": 5}}}}]);
    assert_eq!(game.ask(&command.to_string()).await, json!({"Ok": {"Id": 3}}));
    assert_eq!(next_command(&mut toy).await, "Vibrate:5;");
    window.show_view("devices").await;
    wait_for_output(&window, "Lovense Hush", 0, ".owner", "run by Test game").await;
    window
        .wait_for("the slider to follow the game", async || {
            let script = "return document.querySelector(arguments[0]).value;";
            let value = window.script(script, vec![json!(control("Lovense Hush", 0, "input.try-level"))]).await;
            (value == json!("5")).then_some(())
        })
        .await;

    // The window takes it back; STOP ALL stops it.
    window.slide(&control("Lovense Hush", 0, "input.try-level"), 15).await;
    assert_eq!(next_command(&mut toy).await, "Vibrate:15;");
    window.click("#stop-all").await;
    assert_eq!(next_command(&mut toy).await, "Vibrate:0;");

    // Every kind of control on the sampler: levels both ways, a timed stroke, a battery read.
    window.slide(&control("Virtual Sampler", 2, "input.try-level"), -7).await;
    wait_for_output(&window, "Virtual Sampler", 2, ".output", "-7").await;
    window.slide(&control("Virtual Sampler", 3, "input.try-level"), 9).await;
    wait_for_output(&window, "Virtual Sampler", 3, ".output", "9").await;
    window.slide(&control("Virtual Sampler", 4, "input.try-level"), 3).await;
    wait_for_output(&window, "Virtual Sampler", 4, ".output", "3").await;
    window.type_into(&control("Virtual Sampler", 5, "input.try-duration"), "800").await;
    window.slide(&control("Virtual Sampler", 5, "input.try-position"), 70).await;
    wait_for_output(&window, "Virtual Sampler", 5, ".output", "70").await;
    wait_for_output(&window, "Virtual Sampler", 5, ".owner", "moved by this window").await;
    window.click(&format!("{} button.read-input[data-kind=\"Battery\"]", card("Virtual Sampler"))).await;
    window.wait_for_text(&format!("{} .input-item output.reading", card("Virtual Sampler")), "64 %").await;

    // Hiding the window stops what the window runs, and only that: the game's output runs on.
    window.slide(&control("Lovense Hush", 0, "input.try-level"), 10).await;
    assert_eq!(next_command(&mut toy).await, "Vibrate:10;");
    let command = json!([{"OutputCmd": {"Id": 4, "DeviceIndex": sampler, "FeatureIndex": 1,
                                        "Command": {"Vibrate": {"Value": 9}}}}]);
    assert_eq!(game.ask(&command.to_string()).await, json!({"Ok": {"Id": 4}}));
    wait_for_output(&window, "Virtual Sampler", 1, ".owner", "run by Test game").await;
    close_button(&desktop);
    assert_eq!(next_command(&mut toy).await, "Vibrate:0;", "hiding the window stopped the toy");
    wait_for_output(&window, "Virtual Sampler", 2, ".output", "0").await;
    wait_for_output(&window, "Virtual Sampler", 1, ".output", "9").await;
    let still_running = output_text(&window, "Virtual Sampler", 1, ".owner").await;
    assert_eq!(still_running, json!("run by Test game"), "the game's output runs on");
    assert!(crate::x11::shown_windows(&desktop.display, "Plugboard").is_empty(), "the window is hidden");
    // The hidden window cannot be clicked; its navigation is pressed from the page.
    window.script("document.getElementById('nav-clients').click();", vec![]).await;
    window
        .wait_for("this window to leave the Apps view", async || {
            let script = "return [document.querySelectorAll('#clients [data-client-id]').length, \
                          document.querySelectorAll('#clients .local').length];";
            (window.script(script, vec![]).await == json!([1, 0])).then_some(())
        })
        .await;
    window.close().await;
}
