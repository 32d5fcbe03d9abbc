//! The window's layout fits: at its default size and at 800x600, no view scrolls sideways and
//! nothing sticks out of it, with devices of 1, 2 and 6 outputs, long names, and apps connected.
//! Screenshots of every view at 800x600, light and dark, land in `artifacts/screenshots/`. The
//! theme follows the system's unless the settings force one.

use plugboard_e2e::unused_port;
use serde_json::{json, Value};

use crate::desktop::{AppWindow, Desktop};
use crate::raw::Raw;

pub(crate) const VIEWS: [&str; 5] = ["server", "clients", "devices", "hardware", "logs"];

/// The window's size in tauri.conf.json.
const DEFAULT_SIZE: (u32, u32) = (1100, 720);

/// Long names (as long as the window lets a name be), one a single word: they must wrap inside
/// their card, not widen it.
const LONG_NAME: &str = "Extraordinarily-long-toy-name-without-a-space-to-break-at-012345";
const LONG_SAMPLER_NAME: &str = "A sampler of six outputs, named at length to wrap across lines";
const LONG_APP_NAME: &str = "A game whose developer gave it a very long client name indeed";

/// Every element of the view on screen that is wider than the view (or scrolls sideways),
/// described for the failure message. Empty when the view fits.
const OVERFLOWS: &str = r#"
    const content = document.querySelector('.content');
    const view = document.querySelector('.view:not([hidden])');
    const right = content.getBoundingClientRect().right;
    const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    const found = [];
    for (const el of [document.documentElement, document.body, content, document.querySelector('.topbar')]) {
        if (el.scrollWidth > el.clientWidth + 1) found.push(`${describe(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
    }
    for (const el of view.querySelectorAll('*')) {
        const style = getComputedStyle(el);
        if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
            found.push(`${describe(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
        }
        const box = el.getBoundingClientRect();
        if (box.width > 0 && box.height > 0 && box.right > right + 1 && !el.closest('.sr-only, .offscreen')) {
            found.push(`${describe(el)} ends at ${Math.round(box.right)}, past the view's edge at ${Math.round(right)}`);
        }
    }
    return found.slice(0, 12);
"#;

/// Adds a virtual device from the Hardware view, as a user would.
pub(crate) async fn add_virtual_device(window: &AppWindow, kind: &str, name: &str) {
    window.show_view("hardware").await;
    let select = window.shown("#virtual-kind").await;
    select.select_by_value(kind).await.unwrap_or_else(|e| panic!("select {kind}: {e}"));
    window.type_into("#virtual-name", name).await;
    // Enter in the name field submits the form.
    window.wait_for_text("#virtual-devices", name).await;
}

/// A window with its server started, from settings that start it on launch.
pub(crate) async fn window_with_server(desktop: &Desktop) -> (AppWindow, u16) {
    let port = unused_port();
    desktop.write_settings(json!({
        "port": port, "startServerOnLaunch": true, "useBluetoothLe": false, "useSerial": false
    }));
    let window = AppWindow::open(desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    (window, port)
}

async fn assert_every_view_fits(window: &AppWindow, size: (u32, u32), screenshots: Option<&str>) {
    window.resize(size.0, size.1).await;
    for view in VIEWS {
        window.show_view(view).await;
        let found = window.script(OVERFLOWS, vec![]).await;
        assert_eq!(found, json!([]), "the {view} view does not fit a {}x{} window", size.0, size.1);
        if let Some(suffix) = screenshots {
            window.screenshot(&format!("{view}-{suffix}")).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_every_view_fits_the_window_at_800x600_and_at_its_default_size() {
    let desktop = Desktop::start().await;
    let (window, port) = window_with_server(&desktop).await;
    add_virtual_device(&window, "vibrator", LONG_NAME).await;
    add_virtual_device(&window, "dual-vibrator", "Two motors").await;
    add_virtual_device(&window, "sampler", LONG_SAMPLER_NAME).await;

    // Two apps with names of their own, one driving a device, so the Apps view has cards.
    let mut game = Raw::v4_client(port, LONG_APP_NAME).await;
    let command = r#"[{"OutputCmd":{"Id":2,"DeviceIndex":2,"FeatureIndex":2,"Command":{"Rotate":{"Value":-7}}}}]"#;
    assert_eq!(game.ask(command).await, json!({"Ok": {"Id": 2}}));
    let mut other = Raw::connect_to(port).await;
    let hello = r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Short","MessageVersion":3}}]"#;
    assert!(other.ask(hello).await.get("ServerInfo").is_some());

    window.show_view("devices").await;
    let cards = window.client.find_all(fantoccini::Locator::Css("#devices [data-device-address]")).await.unwrap();
    assert_eq!(cards.len(), 3);
    let outputs = window.script(
        "return [...document.querySelectorAll('#devices [data-device-address]')].map(c => c.querySelectorAll('.output-item').length);",
        vec![],
    );
    assert_eq!(outputs.await, json!([1, 2, 6]), "devices of 1, 2 and 6 outputs");
    window.wait_for_text("#devices", "run by").await;

    assert_every_view_fits(&window, DEFAULT_SIZE, None).await;
    for theme in ["light", "dark"] {
        let background = if theme == "dark" { DARK_BACKGROUND } else { LIGHT_BACKGROUND };
        choose_theme(&window, theme, background).await;
        assert_every_view_fits(&window, (800, 600), Some(&format!("800x600-{theme}"))).await;
    }
    let widths: Value = window.script("return document.querySelector('.content').clientWidth;", vec![]).await;
    assert!(widths.as_u64().is_some_and(|width| width < 700), "the content really is narrow: {widths}");
    window.close().await;
}

/// The page's background colour, as the theme sets it.
async fn background(window: &AppWindow) -> Value {
    window.script("return getComputedStyle(document.documentElement).getPropertyValue('--bg').trim();", vec![]).await
}

const LIGHT_BACKGROUND: &str = "#f6f7f9";
const DARK_BACKGROUND: &str = "#15181d";

/// Chooses a theme in the settings, as a user would, and waits for the setting to be saved
/// and the page to have the `expected` background.
async fn choose_theme(window: &AppWindow, theme: &str, expected: &str) {
    window.show_view("server").await;
    let select = window.shown("#setting-theme").await;
    // The setting sits below the fold at 800x600: bring it on screen, as a user scrolls to it.
    window.script("document.querySelector('#setting-theme').scrollIntoView({block: 'center'});", vec![]).await;
    select.select_by_value(theme).await.unwrap_or_else(|e| panic!("select {theme}: {e}"));
    let forced = if theme == "system" { Value::Null } else { json!(theme) };
    window
        .wait_for(&format!("the {theme} theme saved"), async || {
            let shown = window.script("return document.documentElement.dataset.theme ?? null;", vec![]).await;
            (shown == forced).then_some(())
        })
        .await;
    window
        .wait_for(&format!("the {theme} colours"), async || (background(window).await == json!(expected)).then_some(()))
        .await;
    // The settings are at the bottom of the view: back to its top for what follows.
    window.script("document.querySelector('.content').scrollTo(0, 0);", vec![]).await;
}

/// With no theme forced, the window takes the system's: a desktop whose GTK theme is dark gets
/// the dark colours, and forcing light overrides it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_the_theme_follows_the_system_unless_one_is_forced() {
    let mut desktop = Desktop::start().await;
    desktop.set_env("GTK_THEME", "Adwaita:dark");
    let (window, _port) = window_with_server(&desktop).await;
    let prefers_dark = window.script("return matchMedia('(prefers-color-scheme: dark)').matches;", vec![]).await;
    assert_eq!(prefers_dark, json!(true), "a dark GTK theme is the system's preference");
    assert_eq!(background(&window).await, json!(DARK_BACKGROUND), "the system's dark theme is followed");
    choose_theme(&window, "light", LIGHT_BACKGROUND).await;
    choose_theme(&window, "system", DARK_BACKGROUND).await;
    window.close().await;
}
