//! `--repeater`: `plugboard-engine --repeater --repeater-port N --repeater-remote-address URL`
//! forwards each local client to a remote Buttplug server. The official v4 Rust client drives
//! a second engine's device through it; a remote that is down, or that goes away, closes the
//! local client with a reason that says so.

use std::process::Stdio;
use std::time::Duration;

use buttplug_client::connector::ButtplugRemoteClientConnector;
use buttplug_client::device::ClientDeviceOutputCommand;
use buttplug_client::ButtplugClient;
use buttplug_transport_websocket_tungstenite::ButtplugWebsocketClientTransport;
use futures_util::{SinkExt, StreamExt};
use plugboard_devices::virtual_device::VirtualKind;
use plugboard_e2e::engine_process::native_engine;
use plugboard_e2e::{start_engine, unused_port, wait_for_level, within, EngineUnderTest, WAIT};
use plugboard_protocol::model::OutputType;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// A `plugboard-engine --repeater` process, listening once this returns.
struct RepeaterProcess {
    _child: Child,
    url: String,
}

impl RepeaterProcess {
    async fn start(remote: &str) -> RepeaterProcess {
        let port = unused_port();
        let mut child = Command::new(native_engine())
            .args(["--repeater", "--repeater-port", &port.to_string(), "--repeater-remote-address", remote])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start plugboard-engine --repeater");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let line = within("the repeater's ready line", async {
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) if line.starts_with("Plugboard repeater running") => return line,
                    Ok(Some(_)) => {}
                    other => panic!("the repeater ended before it was ready: {other:?}"),
                }
            }
        })
        .await;
        let url = format!("ws://127.0.0.1:{port}");
        assert!(line.contains(&url) && line.contains(remote), "{line}");
        RepeaterProcess { _child: child, url }
    }
}

/// Waits for the Close frame the repeater sends a raw client.
async fn close_frame(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> CloseFrame {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => return frame,
            Ok(Some(Ok(Message::Close(None)))) => panic!("closed without a reason"),
            Ok(Some(Ok(_))) => {}
            other => panic!("no Close frame, but {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_drives_a_remote_engines_device_through_the_repeater() {
    let remote = start_engine(&[VirtualKind::Vibrator]).await;
    let repeater = RepeaterProcess::start(&remote.url()).await;

    let client = ButtplugClient::new("Through The Repeater");
    let connector = ButtplugRemoteClientConnector::<ButtplugWebsocketClientTransport>::new(
        ButtplugWebsocketClientTransport::new_insecure_connector(&repeater.url),
    );
    within("connect through the repeater", client.connect(connector)).await.expect("the v4 client connects");
    assert_eq!(client.server_name(), Some(remote.server_name()), "the remote server answers the handshake");
    let device = within("the remote's vibrator listed", async {
        loop {
            if let Some(device) = client.devices().get(&0) {
                return device.clone();
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(device.name(), "Virtual Vibrator");
    within("vibrate", device.run_output(&ClientDeviceOutputCommand::Vibrate(0.5.into())))
        .await
        .expect("vibrate through the repeater");
    wait_for_level(&remote, 0, 0, OutputType::Vibrate, 10).await;

    within("disconnect", client.disconnect()).await.expect("disconnect");
    // The remote sees its client leave, so what it set stops.
    wait_for_level(&remote, 0, 0, OutputType::Vibrate, 0).await;
    remote.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_that_is_down_closes_the_client_with_the_reason() {
    let repeater = RepeaterProcess::start(&format!("ws://127.0.0.1:{}", unused_port())).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&repeater.url).await.expect("the repeater accepts");
    let frame = close_frame(&mut socket).await;
    assert_eq!(frame.code, CloseCode::Again, "{frame:?}");
    assert_eq!(frame.reason.as_str(), "the remote Buttplug server cannot be reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_that_goes_away_closes_the_client_with_the_reason() {
    let remote = start_engine(&[VirtualKind::Vibrator]).await;
    let repeater = RepeaterProcess::start(&remote.url()).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&repeater.url).await.expect("the repeater accepts");
    socket
        .send(Message::text(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"raw","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
        ))
        .await
        .expect("send");
    let info = within("ServerInfo through the repeater", socket.next()).await.expect("open").expect("ok");
    assert!(info.to_text().unwrap().contains("ServerInfo"), "{info:?}");

    remote.stop().await;
    let frame = tokio::time::timeout(WAIT + Duration::from_secs(1), close_frame(&mut socket)).await.expect("closed");
    assert!(frame.reason.as_str().starts_with("the remote Buttplug server"), "{frame:?}");
}
