//! The stop figure (issue 14): many devices with every output running, one StopAllDevices; how
//! long until the last device has its last stop byte, and how many writes each device got.
//!
//! The devices are simulated toys of protocols whose packet carries every motor (so one write
//! per device is possible), dialling into a server's device-websocket port: [`KINDS`], in turn.
//! In each round the client (spec v4) sets every output of every device running (levels change
//! from round to round, so no server drops them as repeats), waits until the devices have been
//! quiet for [`QUIET`], notes the time and sends StopAllDevices (in spec v4, a StopCmd without a
//! device), and waits until every device has had writes and then [`QUIET`] again. Per device, the stop writes are the frames after that
//! moment; a frame equal to the one before it that comes [`KEEPALIVE_REPEAT`] or more after it
//! is a keepalive repeat (the Mystery Vibe repeats its packet every 93 ms) and not counted. The
//! round's figure is the arrival of the last counted frame at any device.
//!
//! Run against each server's own process, and once against an engine inside the bench (the
//! `plugboard-server` crate of this checkout) with half the devices virtual: intiface-engine
//! has no virtual devices, and a virtual device's writes can only be watched from inside. A
//! virtual device's writes are timed when the bench's watcher wakes up for them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::transport::virtual_device::VirtualHardware;
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::in_process::InProcessEngine;
use crate::loadgen::{RawClient, Spec};

/// The simulated toys: (identifier announced, protocol, how many motors its packet carries).
/// Each protocol's defaults describe the device, so no toy has to answer a query.
pub const KINDS: &[(&str, &str, usize)] = &[
    ("PlugboardBenchMysteryVibe", "mysteryvibe", 6),
    ("PlugboardBenchKiirooV2Vibrator", "kiiroo-v2-vibrator", 3),
    ("PlugboardBenchSvakomV4", "svakom-v4", 2),
    ("PlugboardBenchWeVibeChorus", "wevibe-chorus", 2),
];

/// The virtual devices of the in-process run, in turn.
const VIRTUAL_KINDS: [VirtualKind; 2] = [VirtualKind::DualVibrator, VirtualKind::LovenseMax];

/// How long every device must have been quiet before a stop is sent, and after the last device
/// had its first stop write, before the round is counted.
const QUIET: Duration = Duration::from_millis(60);
/// A packet equal to the one before it, this long or longer after it, is a keepalive repeat.
const KEEPALIVE_REPEAT: Duration = Duration::from_millis(50);
/// How long a round may wait for the devices.
const ROUND_LIMIT: Duration = Duration::from_secs(5);

/// The figures of one run (one server, some rounds).
#[derive(Debug, Default, Clone)]
pub struct StopFigures {
    /// Per round: StopAllDevices to the last counted write at any device-websocket device.
    pub websocket: Vec<Duration>,
    /// Per round: the same over the virtual devices (in-process run only).
    pub virtual_devices: Vec<Duration>,
    /// Per round: the same over every device.
    pub all: Vec<Duration>,
    /// Writes one device got for one stop: (protocol or virtual kind) → every count seen.
    pub writes: BTreeMap<String, Vec<usize>>,
}

impl StopFigures {
    /// The most writes any device of `filter` got for one stop.
    pub fn most_writes(&self, virtual_devices: bool) -> Option<usize> {
        self.writes
            .iter()
            .filter(|(kind, _)| kind.starts_with("virtual ") == virtual_devices)
            .flat_map(|(_, counts)| counts.iter().copied())
            .max()
    }

    /// `protocol: counts` for the report, e.g. `mysteryvibe 1`, `svakom-v4 1–2`.
    pub fn writes_by_kind(&self) -> String {
        self.writes
            .iter()
            .map(|(kind, counts)| {
                let (lo, hi) = (counts.iter().min().copied().unwrap_or(0), counts.iter().max().copied().unwrap_or(0));
                if lo == hi {
                    format!("{kind} {lo}")
                } else {
                    format!("{kind} {lo}–{hi}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The user-config bindings of [`KINDS`]: (identifier, protocol).
pub fn bindings() -> impl Iterator<Item = (&'static str, &'static str)> {
    KINDS.iter().map(|&(identifier, protocol, _)| (identifier, protocol))
}

/// Every frame a toy received, with its arrival time.
type Frames = Arc<Mutex<Vec<(Instant, Vec<u8>)>>>;

/// One simulated toy on a device-websocket port.
struct Toy {
    protocol: &'static str,
    frames: Frames,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Toy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Toy {
    async fn connect(port: u16, identifier: &str, protocol: &'static str, address: &str) -> Result<Toy, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut socket = loop {
            match dial(port).await {
                Ok(socket) => break socket,
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(format!("a toy cannot connect to the device-websocket port {port}: {error}"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        };
        let hello = json!({"identifier": identifier, "address": address, "version": 0}).to_string();
        socket.send(Message::text(hello)).await.map_err(|e| e.to_string())?;
        let frames = Frames::default();
        let record = frames.clone();
        let task = tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let at = Instant::now();
                let bytes = match message {
                    Message::Binary(bytes) => bytes.to_vec(),
                    Message::Text(text) => text.as_bytes().to_vec(),
                    Message::Ping(_) => {
                        let _ = socket.flush().await;
                        continue;
                    }
                    Message::Close(_) => break,
                    _ => continue,
                };
                record.lock().unwrap().push((at, bytes));
            }
        });
        Ok(Toy { protocol, frames, task })
    }
}

async fn dial(port: u16) -> Result<WebSocketStream<TcpStream>, String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let url = format!("ws://127.0.0.1:{port}/");
    let (socket, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(crate::small_reads()))
        .await
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// A virtual device of the in-process engine, with the times of its writes.
struct Watched {
    kind: VirtualKind,
    hardware: Arc<VirtualHardware>,
    /// (time, write count) at every write the watcher woke up for.
    writes: Arc<Mutex<Vec<(Instant, usize)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watched {
    fn new(kind: VirtualKind, hardware: Arc<VirtualHardware>) -> Watched {
        let mut watch = hardware.watch_writes();
        let writes = Arc::new(Mutex::new(Vec::new()));
        let record = writes.clone();
        let task = tokio::spawn(async move {
            while watch.changed().await.is_ok() {
                let count = *watch.borrow_and_update();
                record.lock().unwrap().push((Instant::now(), count));
            }
        });
        Watched { kind, hardware, writes, task }
    }
}

/// One output of a listed device.
struct Output {
    device: u32,
    feature: u64,
    kind: String,
    max: i64,
}

/// Every output of every device in a v4 device list.
fn outputs(list: &Value) -> Vec<Output> {
    let mut out = Vec::new();
    for device in list["DeviceList"]["Devices"].as_object().into_iter().flat_map(|d| d.values()) {
        let Some(index) = device["DeviceIndex"].as_u64() else { continue };
        for feature in device["DeviceFeatures"].as_object().into_iter().flat_map(|f| f.values()) {
            let feature_index = feature["FeatureIndex"].as_u64().unwrap_or(0);
            for (kind, props) in feature["Output"].as_object().into_iter().flatten() {
                let max = props["Value"].get(1).and_then(Value::as_i64).unwrap_or(0);
                out.push(Output { device: index as u32, feature: feature_index, kind: kind.clone(), max });
            }
        }
    }
    out
}

/// Connects one toy of each of [`KINDS`] in turn, `count` in all, and waits until the server
/// lists them (after the `listed_before` devices it had already).
async fn connect_toys(
    client: &mut RawClient,
    device_port: u16,
    count: usize,
    listed_before: usize,
) -> Result<Vec<Toy>, String> {
    client.ask("StartScanning", "").await?;
    let mut toys = Vec::with_capacity(count);
    for n in 0..count {
        let (identifier, protocol, _) = KINDS[n % KINDS.len()];
        toys.push(Toy::connect(device_port, identifier, protocol, &format!("STOP{n:04}")).await?);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let listed = client.device_indexes().await?.len();
        if listed >= listed_before + count {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("{listed} of {} devices listed after 60 s", listed_before + count));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = client.ask("StopScanning", "").await;
    Ok(toys)
}

/// Measures `rounds` stops of every device the server lists: its own toys, plus `watched`
/// virtual devices when the engine is in this process.
async fn measure(
    client: &mut RawClient,
    toys: &[Toy],
    watched: &[Watched],
    rounds: u32,
) -> Result<StopFigures, String> {
    let list = client.ask("RequestDeviceList", "").await?;
    let outputs = outputs(&list);
    if outputs.is_empty() {
        return Err(format!("no outputs in the device list: {list}"));
    }
    let mut figures = StopFigures::default();
    for round in 0..rounds {
        // Every output running, at a level that differs from the last round's.
        for (n, output) in outputs.iter().enumerate() {
            let steps = output.max.max(1);
            let value = 1 + (round as i64 + n as i64) % steps;
            let fields = format!(
                r#""DeviceIndex":{},"FeatureIndex":{},"Command":{{"{}":{{"Value":{value}}}}}"#,
                output.device, output.feature, output.kind
            );
            let reply = client.ask("OutputCmd", &fields).await?;
            if reply.get("Ok").is_none() {
                return Err(format!("OutputCmd answered with {reply}"));
            }
        }
        quiet(toys, watched).await?;
        let before: Vec<usize> = toys.iter().map(|toy| toy.frames.lock().unwrap().len()).collect();
        let writes_before: Vec<usize> = watched.iter().map(|w| w.hardware.write_count()).collect();

        // StopAllDevices of spec v4: a StopCmd without a device.
        let sent = Instant::now();
        let reply = client.ask("StopCmd", "").await?;
        if reply.get("Ok").is_none() {
            return Err(format!("StopCmd (every device) answered with {reply}"));
        }
        // Until every device has had a write since the stop, then quiet again.
        let deadline = tokio::time::Instant::now() + ROUND_LIMIT;
        loop {
            let toys_done =
                toys.iter().zip(&before).all(|(toy, &n)| counted_since(&toy.frames.lock().unwrap(), n).0 > 0);
            let virtual_done = watched.iter().zip(&writes_before).all(|(w, &n)| w.hardware.write_count() > n);
            if toys_done && virtual_done {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("round {round}: not every device had a write within {ROUND_LIMIT:?} of the stop"));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        quiet(toys, watched).await?;

        let mut last_toy = Duration::ZERO;
        for (toy, &n) in toys.iter().zip(&before) {
            let (counted, last) = counted_since(&toy.frames.lock().unwrap(), n);
            if let Some(at) = last {
                last_toy = last_toy.max(at.saturating_duration_since(sent));
            }
            figures.writes.entry(toy.protocol.to_owned()).or_default().push(counted);
        }
        let mut last_virtual = Duration::ZERO;
        for (w, &n) in watched.iter().zip(&writes_before) {
            let count = w.hardware.write_count() - n;
            figures.writes.entry(format!("virtual {}", w.kind.cli_name())).or_default().push(count);
            let writes = w.writes.lock().unwrap();
            if let Some((at, _)) = writes.iter().rev().find(|(_, total)| *total > n) {
                last_virtual = last_virtual.max(at.saturating_duration_since(sent));
            }
        }
        if !toys.is_empty() {
            figures.websocket.push(last_toy);
        }
        if !watched.is_empty() {
            figures.virtual_devices.push(last_virtual);
        }
        figures.all.push(last_toy.max(last_virtual));
    }
    Ok(figures)
}

/// Whether frame `i` is a keepalive repeat: equal to the frame before it and
/// [`KEEPALIVE_REPEAT`] or more after it.
fn is_repeat(frames: &[(Instant, Vec<u8>)], i: usize) -> bool {
    i > 0 && frames[i - 1].1 == frames[i].1 && frames[i].0.duration_since(frames[i - 1].0) >= KEEPALIVE_REPEAT
}

/// The frames from index `from` on that are not keepalive repeats: how many, and when the last
/// of them came.
fn counted_since(frames: &[(Instant, Vec<u8>)], from: usize) -> (usize, Option<Instant>) {
    (from..frames.len()).filter(|&i| !is_repeat(frames, i)).fold((0, None), |(n, _), i| (n + 1, Some(frames[i].0)))
}

/// When a toy last got a frame that was not a keepalive repeat.
fn last_change(frames: &[(Instant, Vec<u8>)]) -> Option<Instant> {
    (0..frames.len()).rev().find(|&i| !is_repeat(frames, i)).map(|i| frames[i].0)
}

/// Waits until no toy has had a frame other than a keepalive repeat, and no virtual device a
/// write, for [`QUIET`]. (A Mystery Vibe's keepalive never stops, and 16 of them, each on its
/// own phase, leave no quiet moment at all.)
async fn quiet(toys: &[Toy], watched: &[Watched]) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + ROUND_LIMIT;
    loop {
        let last_toy = toys.iter().filter_map(|toy| last_change(&toy.frames.lock().unwrap())).max();
        let last_virtual = watched.iter().filter_map(|w| w.writes.lock().unwrap().last().map(|(at, _)| *at)).max();
        let last = last_toy.max(last_virtual);
        if last.is_none_or(|at| at.elapsed() >= QUIET) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("the devices were not quiet for {QUIET:?} within {ROUND_LIMIT:?}"));
        }
        tokio::time::sleep(QUIET / 4).await;
    }
}

/// The figure for a server in its own process: `count` toys on its device-websocket port.
pub async fn server(port: u16, device_port: u16, count: usize, rounds: u32) -> Result<StopFigures, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut client = RawClient::connect(port, Spec::V4, "plugboard-bench stop", deadline).await?;
    let toys = connect_toys(&mut client, device_port, count, 0).await?;
    let figures = measure(&mut client, &toys, &[], rounds).await;
    client.close().await;
    figures
}

/// The figure for an engine inside the bench: `virtual_count` virtual devices and `toy_count`
/// toys ([`InProcessEngine`]).
pub async fn in_process(virtual_count: usize, toy_count: usize, rounds: u32) -> Result<StopFigures, String> {
    let running = InProcessEngine::start("stop", bindings(), |config| {
        config.virtual_devices =
            (0..virtual_count).map(|n| VirtualDeviceSpec::new(VIRTUAL_KINDS[n % VIRTUAL_KINDS.len()])).collect();
    })
    .await?;
    let engine = running.engine();
    let (port, device_port) = (running.port(), running.device_port());
    let watched: Vec<Watched> = engine
        .devices()
        .iter()
        .filter_map(|device| {
            let hardware = engine.device_manager().virtual_hardware(device.info.index)?;
            Some(Watched::new(hardware.spec().kind, hardware))
        })
        .collect();

    let result = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        let mut client = RawClient::connect(port, Spec::V4, "plugboard-bench stop", deadline).await?;
        let toys = connect_toys(&mut client, device_port, toy_count, watched.len()).await?;
        let figures = measure(&mut client, &toys, &watched, rounds).await;
        client.close().await;
        figures
    }
    .await;
    drop(watched);
    running.stop().await;
    result
}
