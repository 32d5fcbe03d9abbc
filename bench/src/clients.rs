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

async fn measure<F, Fut>(
    device: &SimDevice,
    warmup: u32,
    count: u32,
    seed: u32,
    mut call: F,
) -> Result<Latencies, String>
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

/// A client connected by `attempt` before `deadline`: a refused connection (the server still
/// starting) is tried again every 5 ms. `label` names the client in errors.
async fn connect_within<C, E, F, Fut>(label: &str, deadline: tokio::time::Instant, mut attempt: F) -> Result<C, String>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<C, E>>,
{
    loop {
        match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Ok(client)) => return Ok(client),
            Ok(Err(error)) if tokio::time::Instant::now() >= deadline => return Err(format!("{label}: {error}")),
            Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(5)).await,
            Err(_) => return Err(format!("{label}: not connected within {CONNECT:?}")),
        }
    }
}

/// Device `index` from the client's list before `deadline`, once the list is whole: `lookup`
/// gives the device, or the number of devices listed so far. Looked at every 5 ms.
async fn listed_within<T>(
    label: &str,
    deadline: tokio::time::Instant,
    index: u32,
    mut lookup: impl FnMut() -> Result<T, usize>,
) -> Result<T, String> {
    loop {
        match lookup() {
            Ok(target) => return Ok(target),
            Err(listed) if tokio::time::Instant::now() >= deadline => {
                return Err(format!("{label}: device {index} not listed (has {listed})"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

pub async fn v3(
    url: &str,
    index: u32,
    device: &SimDevice,
    devices: usize,
    warmup: u32,
    count: u32,
) -> Result<Latencies, String> {
    use buttplug9::client::{ButtplugClient, ScalarValueCommand};
    use buttplug9::core::connector::new_json_ws_client_connector;

    let deadline = tokio::time::Instant::now() + CONNECT;
    let client = connect_within("v3 client", deadline, || async {
        let client = ButtplugClient::new("plugboard-bench v3");
        client.connect(new_json_ws_client_connector(url)).await.map(|()| client)
    })
    .await?;
    let result = async {
        let target = listed_within("v3 client", deadline, index, || {
            let listed = client.devices();
            let target = listed.iter().find(|d| d.index() == index).cloned();
            (listed.len() >= devices).then_some(target).flatten().ok_or(listed.len())
        })
        .await?;
        measure(device, warmup, count, 3, |level| {
            let target = target.clone();
            async move {
                target
                    .vibrate(&ScalarValueCommand::ScalarValue(scalar(level)))
                    .await
                    .map_err(|e| format!("v3 vibrate: {e}"))
            }
        })
        .await
    }
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(2), client.disconnect()).await;
    result
}

pub async fn v4(
    url: &str,
    index: u32,
    device: &SimDevice,
    devices: usize,
    warmup: u32,
    count: u32,
) -> Result<Latencies, String> {
    use buttplug_client::connector::ButtplugRemoteClientConnector;
    use buttplug_client::device::{ClientDeviceCommandValue, ClientDeviceOutputCommand};
    use buttplug_client::ButtplugClient;
    use buttplug_transport_websocket_tungstenite::ButtplugWebsocketClientTransport;

    let deadline = tokio::time::Instant::now() + CONNECT;
    let client = connect_within("v4 client", deadline, || async {
        let client = ButtplugClient::new("plugboard-bench v4");
        let connector = ButtplugRemoteClientConnector::<ButtplugWebsocketClientTransport>::new(
            ButtplugWebsocketClientTransport::new_insecure_connector(url),
        );
        client.connect(connector).await.map(|()| client)
    })
    .await?;
    let result = async {
        let target = listed_within("v4 client", deadline, index, || {
            let listed = client.devices();
            let target = listed.get(&index).cloned();
            (listed.len() >= devices).then_some(target).flatten().ok_or(listed.len())
        })
        .await?;
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

/// What the official spec v4 client got sending flat out against a rate limit: `Ok`s and
/// Errors per second over the counted window.
#[derive(Debug, Clone, Copy)]
pub struct OfficialFlatOut {
    pub accepted_per_s: f64,
    pub refused_per_s: f64,
}

/// The official spec v4 client (`buttplug_client` 11) used as a game that ignores the rate
/// it is told would: `callers` tasks each calling `run_output` on device `index` in a loop, the
/// next call as soon as the last returned, `Ok` or Error. Nothing is counted for `warmup` (the
/// burst allowance), then calls are counted for `duration`.
pub async fn v4_flat_out(
    url: &str,
    index: u32,
    callers: u32,
    warmup: Duration,
    duration: Duration,
) -> Result<OfficialFlatOut, String> {
    use buttplug_client::connector::ButtplugRemoteClientConnector;
    use buttplug_client::device::{ClientDeviceCommandValue, ClientDeviceOutputCommand};
    use buttplug_client::ButtplugClient;
    use buttplug_transport_websocket_tungstenite::ButtplugWebsocketClientTransport;

    let deadline = tokio::time::Instant::now() + CONNECT;
    let client = ButtplugClient::new("plugboard-bench official flat out");
    let connector = ButtplugRemoteClientConnector::<ButtplugWebsocketClientTransport>::new(
        ButtplugWebsocketClientTransport::new_insecure_connector(url),
    );
    tokio::time::timeout_at(deadline, client.connect(connector))
        .await
        .map_err(|_| format!("v4 client: not connected within {CONNECT:?}"))?
        .map_err(|e| format!("v4 client: {e}"))?;
    let result = async {
        let target = loop {
            if let Some(target) = client.devices().get(&index) {
                break target.clone();
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("v4 client: device {index} not listed"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let start = Instant::now();
        let (count_from, count_until) = (start + warmup, start + warmup + duration);
        let callers = (0..callers).map(|caller| {
            let target = target.clone();
            async move {
                let mut levels = Levels::starting_at(caller);
                let (mut accepted, mut refused) = (0u64, 0u64);
                while Instant::now() < count_until {
                    let command =
                        ClientDeviceOutputCommand::Vibrate(ClientDeviceCommandValue::Steps(levels.next() as i32));
                    let outcome = tokio::time::timeout(ANSWER, target.run_output(&command))
                        .await
                        .map_err(|_| format!("v4 run_output: no answer within {ANSWER:?}"))?;
                    let now = Instant::now();
                    if now >= count_from && now < count_until {
                        match outcome {
                            Ok(()) => accepted += 1,
                            Err(_) => refused += 1,
                        }
                    }
                }
                Ok::<_, String>((accepted, refused))
            }
        });
        let counts = futures_util::future::join_all(callers).await;
        let (mut accepted, mut refused) = (0u64, 0u64);
        for count in counts {
            let (a, r) = count?;
            accepted += a;
            refused += r;
        }
        let seconds = duration.as_secs_f64();
        Ok(OfficialFlatOut { accepted_per_s: accepted as f64 / seconds, refused_per_s: refused as f64 / seconds })
    }
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(2), client.disconnect()).await;
    result
}
