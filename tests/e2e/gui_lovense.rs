//! The window's switch for games made for Lovense ("Let apps made for Lovense use my toys"):
//! the user turns it on and starts the server, a game calls the Lovense API at the address the
//! window shows, its command reaches a toy, and the game is listed in the Apps view as a
//! Lovense API app.

use fantoccini::Locator;
use plugboard_e2e::unused_port;
use serde_json::{json, Value};
use tokio::net::TcpStream;

use crate::desktop::{AppWindow, Desktop};
use crate::gui_layout::add_virtual_device;
use crate::lovense_api::send;

const GAME: &str = "Window Lovense Game";

/// `POST /command` as the game sends it; the JSON answer.
async fn call(port: u16, command: Value) -> Value {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.expect("the Lovense API listens");
    let answer = send(stream, "POST", "/command", &[("x-platform", GAME)], Some(&command.to_string())).await;
    assert_eq!(answer.status, hyper::StatusCode::OK, "{command}: {}", answer.body);
    assert_eq!(answer.body["code"], 200, "{command}: {}", answer.body);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_the_lovense_switch_lets_a_game_made_for_lovense_in_and_the_apps_view_lists_it() {
    let desktop = Desktop::start().await;
    let (port, lovense_port) = (unused_port(), unused_port());
    desktop.write_settings(json!({
        "port": port, "startServerOnLaunch": false, "useBluetoothLe": false, "useSerial": false,
        "lovenseApiPort": lovense_port, "lovenseApiHttpsPort": 0
    }));
    let window = AppWindow::open(&desktop).await;
    window.show_view("server").await;
    let address = format!("http://127.0.0.1:{lovense_port}");

    // Off by default; turned on, it shows the address to type into the game.
    let switch = window.shown("#setting-lovense-api").await;
    assert!(!switch.is_selected().await.unwrap(), "the Lovense API is off by default");
    assert_eq!(window.attribute("#lovense-api-fields", "hidden").await.as_deref(), Some("true"));
    window.click("#setting-lovense-api").await;
    window.shown("#lovense-api-fields").await;
    window.wait_for_text("#lovense-url", &address).await;
    window.click("#server-toggle").await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    window
        .wait_for("the address without a note", async || (window.text("#lovense-url").await? == address).then_some(()))
        .await;
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(desktop.config_dir().join("settings.json")).unwrap()).unwrap();
    assert_eq!(saved["lovenseApi"], true, "the switch is saved: {saved}");
    add_virtual_device(&window, "vibrator", "Game toy").await;

    // The game finds the toy and drives it.
    let toys = call(lovense_port, json!({"command": "GetToys"})).await;
    let toys: Value = serde_json::from_str(toys["data"]["toys"].as_str().expect("data.toys is a JSON string")).unwrap();
    let (id, toy) = toys.as_object().unwrap().iter().next().expect("the virtual vibrator is a toy");
    assert_eq!((toy["name"].as_str(), toy["nickName"].as_str()), (Some("lush"), Some("Game toy")), "{toys}");
    call(lovense_port, json!({"command": "Function", "action": "Vibrate:10", "toy": id, "timeSec": 0, "apiVer": 1}))
        .await;
    window.show_view("devices").await;
    let level = "#devices [data-device-name=\"Game toy\"] .output-item[data-feature=\"0\"] .output";
    window.wait_for_text(level, "10").await;

    // The Apps view lists the game by its X-platform name, as a Lovense API app.
    window.show_view("clients").await;
    window
        .wait_for("the game listed as a Lovense API app", async || {
            for card in window.client.find_all(Locator::Css("#clients [data-client-id]")).await.ok()? {
                let name = card.find(Locator::Css(".name")).await.ok()?.text().await.ok()?;
                let kind = card.find(Locator::Css(".kind")).await.ok()?.text().await.ok()?;
                if name.contains(GAME) && kind.trim() == "Lovense API" {
                    return Some(());
                }
            }
            None
        })
        .await;
    window.screenshot("lovense-app").await;
    window.close().await;
}
