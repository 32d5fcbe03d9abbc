//! Client-to-device latency through the official Rust clients: `buttplug` 9.0.9 (spec v3)
//! and `buttplug_client` 11 over `buttplug_transport_websocket_tungstenite` 12 (spec v4),
//! used as a game would. One command in flight: the clock starts just before the client
//! call (`vibrate` / `run_output`) and stops when the simulated device reads the bytes; the
//! next command goes once both the call returned (its `Ok`) and the bytes arrived.

use std::time::{Duration, Instant};

use crate::device::SimDevice;
use crate::loadgen::{scalar, Levels, ANSWER};

/// Latencies of one run, sorted.
pub struct Latencies {
    pub to_device: Vec<Duration>,
    pub to_ok: Vec<Duration>,
}

/// How long a client may take to connect and learn the devices (intiface-engine re-opens its
/// port only after the previous client is gone).
const CONNECT: Duration = Duration::from_secs(15);

async fn measure<F, Fut>(device: &SimDevice, warmup: u32, count: u32, seed: u32, mut call: F) -> Result<Latencies, String>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut levels = Levels::starting_at(seed);
    let mut to_device = Vec::with_capacity(count as usize);
    let mut to_ok = Vec::with_capacity(count as usize);
    device.clear();
    for i in 0..warmup + count {
        let level = levels.next();
        let start = Instant::now();
        let arrival = device.expect(level, start);
        tokio::time::timeout(ANSWER, call(level))
            .await
            .map_err(|_| format!("command {i}: no Ok within {ANSWER:?}"))??;
        let ok = start.elapsed();
        let latency = tokio::time::timeout(ANSWER, arrival)
            .await
            .map_err(|_| format!("command {i}: Vibrate:{level}; did not reach the device within {ANSWER:?}"))?
            .map_err(|_| format!("command {i}: Vibrate:{level}; was overtaken before it reached the device"))?;
        if i >= warmup {
            to_device.push(latency);
            to_ok.push(ok);
        }
    }
    to_device.sort_unstable();
    to_ok.sort_unstable();
    Ok(Latencies { to_device, to_ok })
}

pub async fn v3(url: &str, index: u32, device: &SimDevice, devices: usize, warmup: u32, count: u32) -> Result<Latencies, String> {
    use buttplug9::client::{ButtplugClient, ScalarValueCommand};
    use buttplug9::core::connector::new_json_ws_client_connector;

    let deadline = tokio::time::Instant::now() + CONNECT;
    let client = loop {
        let client = ButtplugClient::new("plugboard-bench v3");
        match tokio::time::timeout_at(deadline, client.connect(new_json_ws_client_connector(url))).await {
            Ok(Ok(())) => break client,
            Ok(Err(error)) if tokio::time::Instant::now() >= deadline => return Err(format!("v3 client: {error}")),
            Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(5)).await,
            Err(_) => return Err(format!("v3 client: not connected within {CONNECT:?}")),
        }
    };
    let result = async {
        let target = loop {
            if client.devices().len() >= devices {
                if let Some(target) = client.devices().into_iter().find(|d| d.index() == index) {
                    break target;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("v3 client: device {index} not listed (has {})", client.devices().len()));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        measure(device, warmup, count, 3, |level| {
            let target = target.clone();
            async move {
                target.vibrate(&ScalarValueCommand::ScalarValue(scalar(level))).await.map_err(|e| format!("v3 vibrate: {e}"))
            }
        })
        .await
    }
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(2), client.disconnect()).await;
    result
}

pub async fn v4(url: &str, index: u32, device: &SimDevice, devices: usize, warmup: u32, count: u32) -> Result<Latencies, String> {
    use buttplug_client::connector::ButtplugRemoteClientConnector;
    use buttplug_client::device::{ClientDeviceCommandValue, ClientDeviceOutputCommand};
    use buttplug_client::ButtplugClient;
    use buttplug_transport_websocket_tungstenite::ButtplugWebsocketClientTransport;

    let deadline = tokio::time::Instant::now() + CONNECT;
    let client = loop {
        let client = ButtplugClient::new("plugboard-bench v4");
        let connector = ButtplugRemoteClientConnector::<ButtplugWebsocketClientTransport>::new(
            ButtplugWebsocketClientTransport::new_insecure_connector(url),
        );
        match tokio::time::timeout_at(deadline, client.connect(connector)).await {
            Ok(Ok(())) => break client,
            Ok(Err(error)) if tokio::time::Instant::now() >= deadline => return Err(format!("v4 client: {error}")),
            Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(5)).await,
            Err(_) => return Err(format!("v4 client: not connected within {CONNECT:?}")),
        }
    };
    let result = async {
        let target = loop {
            let listed = client.devices();
            if listed.len() >= devices {
                if let Some(target) = listed.get(&index) {
                    break target.clone();
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("v4 client: device {index} not listed (has {})", listed.len()));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        measure(device, warmup, count, 11, |level| {
            let target = target.clone();
            async move {
                target
                    .run_output(&ClientDeviceOutputCommand::Vibrate(ClientDeviceCommandValue::Steps(level as i32)))
                    .await
                    .map_err(|e| format!("v4 run_output: {e}"))
            }
        })
        .await
    }
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(2), client.disconnect()).await;
    result
}
