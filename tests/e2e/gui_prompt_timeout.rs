//! A web page nobody answers about: the window asks, the prompt goes away when the time-out
//! passes, and the page is refused as the Buttplug spec's handshake errors are sent (Error,
//! then close 1008). The app takes a short time-out from `PLUGBOARD_APPROVAL_TIMEOUT`.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::desktop::{AppWindow, Desktop};
use crate::gui_layout::window_with_server;
use crate::raw::{Raw, WAIT};

const PROMPT: &str = "#approval-prompts li.approval-prompt";
/// Short for a test, and long enough for the window to be seen showing the prompt on a
/// loaded machine (3 s was not: the prompt came and went between two looks).
const TIMEOUT: Duration = Duration::from_secs(10);

/// A page at `origin` that has done its v3 handshake.
async fn web_page(port: u16, origin: &str) -> Raw {
    let mut request = format!("ws://127.0.0.1:{port}").into_client_request().unwrap();
    request.headers_mut().insert("Origin", origin.parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("the page connects");
    let mut page = Raw::over(socket);
    let info = page.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Web game","MessageVersion":3}}]"#).await;
    assert!(info.get("ServerInfo").is_some(), "{info}");
    page
}

/// Waits until no prompt is on screen.
async fn no_prompt(window: &AppWindow) {
    window
        .wait_for("the prompt gone", async || {
            let prompts = window.client.find_all(fantoccini::Locator::Css(PROMPT)).await.ok()?;
            for prompt in prompts {
                if prompt.is_displayed().await.ok()? {
                    return None;
                }
            }
            Some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_a_web_page_nobody_answers_about_is_refused_when_the_prompt_times_out() {
    let mut desktop = Desktop::start().await;
    desktop.set_env("PLUGBOARD_APPROVAL_TIMEOUT", &format!("{}s", TIMEOUT.as_secs()));
    let (window, port) = window_with_server(&desktop).await;
    window.show_view("clients").await;

    let mut page = web_page(port, "https://game.example").await;
    page.send(r#"[{"Ping":{"Id":2}}]"#).await;
    let asked = Instant::now();
    window.shown(PROMPT).await;
    let question = window.text(&format!("{PROMPT} .question")).await.unwrap_or_default();
    assert_eq!(question, "https://game.example wants to use your devices");

    // Nobody answers. The Error comes only at the time-out, which is longer than `Raw::recv`
    // waits for a reply.
    let error = tokio::time::timeout(TIMEOUT + WAIT, page.recv_patiently()).await.expect("an Error at the time-out");
    let waited = asked.elapsed();
    assert_eq!(error["Error"]["ErrorCode"], 1, "{error}");
    assert_eq!(error["Error"]["Id"], 2, "the waiting message is the one refused: {error}");
    let message = error["Error"]["ErrorMessage"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("did not answer within {} seconds", TIMEOUT.as_secs())), "{message}");
    assert!(waited + Duration::from_millis(500) >= TIMEOUT, "refused only at the time-out, after {waited:?}");
    match tokio::time::timeout(Duration::from_secs(5), page.socket.next()).await.expect("closed in time") {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected a Close 1008, got {other:?}"),
    }
    no_prompt(&window).await;
    let waiting = window.client.find(fantoccini::Locator::Css("#clients-waiting")).await.unwrap();
    assert!(!waiting.is_displayed().await.unwrap(), "nothing is shown as waiting any more");
    window.close().await;
}
