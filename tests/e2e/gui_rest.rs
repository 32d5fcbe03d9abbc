//! The REST API and mDNS switches under Server, in the real window over WebDriver: both off by
//! default; the REST API turned on serves scripts at the address the window shows once the
//! server starts again, and the REST API is listed with the connected apps.

use plugboard_e2e::unused_port;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::desktop::{AppWindow, Desktop};

/// `GET path` over plain HTTP/1.1; the status code and the JSON body, or `None` when nothing
/// listens.
async fn http_get(port: u16, path: &str) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send the request");
    let mut answer = String::new();
    plugboard_e2e::within("the answer", stream.read_to_string(&mut answer)).await.expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status code");
    Some((status, serde_json::from_str(body).expect("a JSON body")))
}

/// Whether the checkbox is ticked.
async fn checked(window: &AppWindow, id: &str) -> bool {
    let script = "return document.getElementById(arguments[0]).checked;";
    window.script(script, vec![json!(id)]).await == json!(true)
}

/// Whether the element is hidden.
async fn hidden(window: &AppWindow, id: &str) -> bool {
    window.script("return document.getElementById(arguments[0]).hidden;", vec![json!(id)]).await == json!(true)
}

/// Stops the running server and starts it again with the saved settings.
async fn restart_server(window: &AppWindow, port: u16) {
    window.click("#server-toggle").await;
    window.wait_for_text("#server-state", "Stopped").await;
    window.click("#server-toggle").await;
    window.wait_for_text("#server-state", &format!("Running on port {port}")).await;
}

#[tokio::test]
async fn the_rest_api_switch_serves_scripts_at_the_address_shown() {
    let desktop = Desktop::start().await;
    let (port, rest_port) = (unused_port(), unused_port());
    desktop.write_settings(json!({
        "port": port, "startServerOnLaunch": true, "useBluetoothLe": false, "useSerial": false,
        "restApiPort": rest_port,
    }));
    let window = AppWindow::open(&desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;

    // Off by default: nothing listens, and mDNS announces nothing.
    assert!(!checked(&window, "setting-rest-api").await);
    assert!(hidden(&window, "rest-api-fields").await);
    assert!(!checked(&window, "setting-mdns").await);
    assert!(hidden(&window, "mdns-warning").await);
    assert!(http_get(rest_port, "/api/v1/devices").await.is_none(), "no REST API unless turned on");

    window.script("document.getElementById('setting-rest-api').scrollIntoView({block: 'center'});", vec![]).await;
    window.click("#setting-rest-api").await;
    window.shown("#rest-api-fields").await;
    window.wait_for_text("#rest-api-url", "Start the server again").await;
    assert!(hidden(&window, "rest-api-warning").await, "this computer only: no warning");

    restart_server(&window, port).await;
    let url = format!("http://127.0.0.1:{rest_port}/api/v1");
    window.wait_for_text("#rest-api-url", &url).await;
    let (status, devices) = http_get(rest_port, "/api/v1/devices").await.expect("the REST API answers");
    assert_eq!((status, devices), (200, json!({})));
    let (status, error) = http_get(rest_port, "/api/v1/devices/3").await.expect("the REST API answers");
    assert_eq!((status, error["error"]["code"].clone()), (404, json!("unknown-device")));

    window.show_view("clients").await;
    window.wait_for_text("#clients", "REST API").await;

    // Listening beyond this computer: the window warns about the REST API and about mDNS.
    window.show_view("server").await;
    window.script("document.getElementById('setting-mdns').scrollIntoView({block: 'center'});", vec![]).await;
    window.click("#setting-mdns").await;
    window.wait_for_text("#mdns-status", "this computer only").await;
    window.script("document.getElementById('setting-all-interfaces').scrollIntoView({block: 'center'});", vec![]).await;
    window.click("#setting-all-interfaces").await;
    window.shown("#rest-api-warning").await;
    window.shown("#mdns-warning").await;
    window.close().await;
}
