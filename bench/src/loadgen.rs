//! The lean load generator: raw Buttplug JSON over tokio-tungstenite, with frames built by
//! `format!` and replies recognised by a substring, so that its own cost stays small next to
//! the server's on a 2-core machine.
//!
//! - [`throughput`]: one client, k commands in flight to one device; every `Ok` lets the next
//!   command go; commands per second = `Ok`s counted over the run / its duration.
//! - [`sessions`]: connect, handshake, one command (wait for its `Ok`), close; n times.
//! - [`Crowd`]: c clients, each with its own d devices; every client sends, at each tick of
//!   a rate R, one command to each of its devices (c × d × R commands per second offered).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::device::SimDevice;

/// How long any single answer may take before the step fails.
pub const ANSWER: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    V3,
    V4,
}

impl Spec {
    pub fn name(self) -> &'static str {
        match self {
            Spec::V3 => "v3",
            Spec::V4 => "v4",
        }
    }

    fn handshake(self, name: &str) -> String {
        match self {
            Spec::V3 => format!(r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","MessageVersion":3}}}}]"#),
            Spec::V4 => format!(
                r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}}}]"#
            ),
        }
    }

    /// Sets the vibrator (feature 0) of device `index` to `level` of 20 steps: spec v3
    /// ScalarCmd with a scalar whose `ceil(20 × scalar)` is `level` with or without float
    /// noise (so every server writes `Vibrate:<level>;`), spec v4 OutputCmd with the step.
    pub fn command(self, id: u32, index: u32, level: u32) -> String {
        match self {
            Spec::V3 => format!(
                r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{index},"Scalars":[{{"Index":0,"Scalar":{},"ActuatorType":"Vibrate"}}]}}}}]"#,
                scalar(level)
            ),
            Spec::V4 => format!(
                r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{level}}}}}}}}}]"#
            ),
        }
    }
}

/// The v3 scalar for a Lovense step (1..=20): half a step below it.
pub fn scalar(level: u32) -> f64 {
    (level as f64 - 0.5) / 20.0
}

/// Levels 1..=20 in turn, never the same twice in a row (servers drop repeats) and never 0
/// (what servers write when they stop a device).
#[derive(Debug, Clone, Copy)]
pub struct Levels(u32);

impl Levels {
    pub fn starting_at(seed: u32) -> Levels {
        Levels(seed % 20)
    }
    pub fn next(&mut self) -> u32 {
        self.0 = self.0 % 20 + 1;
        self.0
    }
}

type Socket = WebSocketStream<TcpStream>;

pub struct RawClient {
    socket: Socket,
    next_id: u32,
}

impl RawClient {
    /// Connects (retrying until `deadline`: intiface-engine serves one client at a time and
    /// re-opens its port only after the previous client left) and shakes hands.
    pub async fn connect(
        port: u16,
        spec: Spec,
        name: &str,
        deadline: tokio::time::Instant,
    ) -> Result<RawClient, String> {
        let mut socket = loop {
            match dial(port).await {
                Ok(socket) => break socket,
                Err(error) if tokio::time::Instant::now() >= deadline => {
                    return Err(format!("cannot connect to the client port {port}: {error}"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        };
        socket.send(Message::text(spec.handshake(name))).await.map_err(|e| e.to_string())?;
        let mut client = RawClient { socket, next_id: 2 };
        let reply = client.recv().await?;
        if !reply.contains("ServerInfo") {
            return Err(format!("handshake answered with {reply}"));
        }
        Ok(client)
    }

    /// The next text frame.
    async fn recv(&mut self) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + ANSWER;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| format!("no answer within {ANSWER:?}"))?;
            match message {
                Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.to_string()),
                None => return Err("the server closed the connection".to_owned()),
            }
        }
    }

    pub fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends one message (`name` and its fields after the Id) and returns the reply with
    /// its Id, skipping events.
    pub async fn ask(&mut self, name: &str, fields: &str) -> Result<serde_json::Value, String> {
        let id = self.id();
        let comma = if fields.is_empty() { "" } else { "," };
        self.socket
            .send(Message::text(format!(r#"[{{"{name}":{{"Id":{id}{comma}{fields}}}}}]"#)))
            .await
            .map_err(|e| e.to_string())?;
        self.reply_to(id).await
    }

    async fn reply_to(&mut self, id: u32) -> Result<serde_json::Value, String> {
        loop {
            let text = self.recv().await?;
            let frame: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
            for message in frame.as_array().into_iter().flatten() {
                let Some((_, body)) = message.as_object().and_then(|o| o.iter().next()) else { continue };
                if body["Id"].as_u64() == Some(id as u64) {
                    return Ok(message.clone());
                }
            }
        }
    }

    /// Sends a device command and waits for its `Ok`.
    pub async fn command(&mut self, spec: Spec, index: u32, level: u32) -> Result<(), String> {
        let id = self.id();
        self.socket.send(Message::text(spec.command(id, index, level))).await.map_err(|e| e.to_string())?;
        let reply = self.reply_to(id).await?;
        if reply.get("Ok").is_some() {
            Ok(())
        } else {
            Err(format!("command answered with {reply}"))
        }
    }

    /// The device indexes in the server's list (asked for in spec v4 shape if `spec` is v4).
    pub async fn device_indexes(&mut self) -> Result<Vec<u32>, String> {
        let list = self.ask("RequestDeviceList", "").await?;
        let devices = &list["DeviceList"]["Devices"];
        let mut indexes: Vec<u32> = match devices {
            serde_json::Value::Object(map) => {
                map.values().filter_map(|d| d["DeviceIndex"].as_u64()).map(|i| i as u32).collect()
            }
            serde_json::Value::Array(list) => {
                list.iter().filter_map(|d| d["DeviceIndex"].as_u64()).map(|i| i as u32).collect()
            }
            _ => return Err(format!("unexpected device list {list}")),
        };
        indexes.sort_unstable();
        Ok(indexes)
    }

    /// Closes the websocket and waits (bounded) for the server's side to end.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = self.socket.close(None).await;
            while let Some(Ok(_)) = self.socket.next().await {}
        })
        .await;
    }

    fn split(self) -> (SplitSink<Socket, Message>, SplitStream<Socket>) {
        self.socket.split()
    }
}

async fn dial(port: u16) -> Result<Socket, String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (socket, _) = tokio::time::timeout(
        ANSWER,
        tokio_tungstenite::client_async_with_config(
            format!("ws://127.0.0.1:{port}/"),
            stream,
            Some(crate::small_reads()),
        ),
    )
    .await
    .map_err(|_| "websocket handshake timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// Replies that are `Ok` and replies that are not.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counted {
    pub ok: u64,
    pub other: u64,
}

/// Commands per second with `in_flight` commands outstanding, for `duration`; commands are
/// counted when their `Ok` arrives. Levels cycle, so consecutive commands always differ.
pub async fn throughput(
    port: u16,
    spec: Spec,
    index: u32,
    in_flight: u32,
    duration: Duration,
) -> Result<(Counted, Duration), String> {
    let deadline = tokio::time::Instant::now() + ANSWER;
    let mut client = RawClient::connect(port, spec, "plugboard-bench throughput", deadline).await?;
    let mut levels = Levels::starting_at(0);
    let mut counted = Counted::default();
    for _ in 0..in_flight {
        let id = client.id();
        client.socket.feed(Message::text(spec.command(id, index, levels.next()))).await.map_err(|e| e.to_string())?;
    }
    client.socket.flush().await.map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut outstanding = in_flight;
    loop {
        let text = client.recv().await?;
        outstanding -= 1;
        if text.contains(r#""Ok""#) {
            counted.ok += 1;
        } else {
            counted.other += 1;
        }
        if start.elapsed() < duration {
            let id = client.id();
            client
                .socket
                .send(Message::text(spec.command(id, index, levels.next())))
                .await
                .map_err(|e| e.to_string())?;
            outstanding += 1;
        } else if outstanding == 0 {
            break;
        }
    }
    let elapsed = start.elapsed();
    client.close().await;
    Ok((counted, elapsed))
}

/// What a client sending flat out against a rate limit got: over the counted window, replies
/// per second that were `Ok` and that were not, and the time from sending a refused command to
/// its Error (p99).
#[derive(Debug, Clone, Copy)]
pub struct FlatOut {
    pub accepted_per_s: f64,
    pub refused_per_s: f64,
    pub refused_p99: Duration,
}

/// One client, `in_flight` commands outstanding to device `index`, every reply (`Ok` or Error)
/// sending the next at once: a client that ignores the rate it is told. Nothing is counted for
/// `warmup` (a rate limiter's burst allowance is spent there), then replies are counted for
/// `duration`.
pub async fn flat_out(
    port: u16,
    spec: Spec,
    index: u32,
    in_flight: u32,
    warmup: Duration,
    duration: Duration,
) -> Result<FlatOut, String> {
    let deadline = tokio::time::Instant::now() + ANSWER;
    let mut client = RawClient::connect(port, spec, "plugboard-bench flat out", deadline).await?;
    let mut levels = Levels::starting_at(5);
    let mut sent_at = std::collections::HashMap::new();
    for _ in 0..in_flight {
        let id = client.id();
        sent_at.insert(id, Instant::now());
        client.socket.feed(Message::text(spec.command(id, index, levels.next()))).await.map_err(|e| e.to_string())?;
    }
    client.socket.flush().await.map_err(|e| e.to_string())?;
    let start = Instant::now();
    let (count_from, count_until) = (start + warmup, start + warmup + duration);
    let (mut accepted, mut refused) = (0u64, 0u64);
    let mut refused_after = Vec::new();
    let mut outstanding = in_flight;
    loop {
        let text = client.recv().await?;
        let now = Instant::now();
        // A server may answer several commands in one frame (Plugboard does for a run of the
        // same Error): each reply counts, and each sends the next command.
        let replies = replies(&text);
        let mut resend = 0;
        for (ok, id) in replies {
            outstanding = outstanding.saturating_sub(1);
            let sent = id.and_then(|id| sent_at.remove(&id));
            if now >= count_from && now < count_until {
                if ok {
                    accepted += 1;
                } else {
                    refused += 1;
                    if let Some(sent) = sent {
                        refused_after.push(now - sent);
                    }
                }
            }
            resend += 1;
        }
        if now < count_until {
            for _ in 0..resend {
                let id = client.id();
                sent_at.insert(id, Instant::now());
                let command = Message::text(spec.command(id, index, levels.next()));
                client.socket.feed(command).await.map_err(|e| e.to_string())?;
                outstanding += 1;
            }
            client.socket.flush().await.map_err(|e| e.to_string())?;
        } else if outstanding == 0 {
            break;
        }
    }
    client.close().await;
    refused_after.sort_unstable();
    let seconds = duration.as_secs_f64();
    Ok(FlatOut {
        accepted_per_s: accepted as f64 / seconds,
        refused_per_s: refused as f64 / seconds,
        refused_p99: crate::stats::percentile(&refused_after, 0.99),
    })
}

/// The replies a frame holds: whether each is an `Ok`, and its `Id`. A frame that is not an
/// array of messages counts as one reply that is not `Ok`.
fn replies(text: &str) -> Vec<(bool, Option<u32>)> {
    let Ok(messages) = serde_json::from_str::<Vec<serde_json::Map<String, serde_json::Value>>>(text) else {
        return vec![(false, None)];
    };
    messages
        .iter()
        .map(|message| {
            let (name, body) = message.iter().next().map_or(("", None), |(name, body)| (name.as_str(), Some(body)));
            let id =
                body.and_then(|body| body.get("Id")).and_then(|id| id.as_u64()).and_then(|id| u32::try_from(id).ok());
            (name == "Ok", id)
        })
        .collect()
}

/// `count` client sessions one after the other: connect, handshake, one command to device
/// `index` (waiting for its `Ok`), close. Returns the time they took.
pub async fn sessions(port: u16, spec: Spec, index: u32, count: u32) -> Result<Duration, String> {
    let start = Instant::now();
    let mut levels = Levels::starting_at(7);
    for i in 0..count {
        let deadline = tokio::time::Instant::now() + ANSWER;
        let mut client = RawClient::connect(port, spec, "plugboard-bench session", deadline)
            .await
            .map_err(|e| format!("session {i}: {e}"))?;
        client.command(spec, index, levels.next()).await.map_err(|e| format!("session {i}: {e}"))?;
        client.close().await;
    }
    Ok(start.elapsed())
}

/// One step of the crowd at one rate.
#[derive(Debug, Clone, Default)]
pub struct CrowdStep {
    pub rate_hz: u32,
    pub offered_per_s: f64,
    /// Commands the clients managed to send per second (below `offered_per_s` when the load
    /// generator itself cannot keep up).
    pub sent_per_s: f64,
    /// Commands that reached their device per second.
    pub delivered_per_s: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Commands a later command overtook before they reached the device (merged by the server).
    pub lost: u64,
    /// Server CPU time / wall time over the step, per cent of one core.
    pub cpu_percent: f64,
    pub errors: u64,
    /// The first reply of the crowd that was not `Ok`.
    pub first_error: Option<String>,
}

#[derive(Default)]
struct Replies {
    ok: AtomicU64,
    other: AtomicU64,
    /// The first reply that was not `Ok`, to say what went wrong.
    first_other: std::sync::Mutex<Option<String>>,
}

impl CrowdStep {
    /// Under 90 % of the offered commands arrived, or the median command waited over 50 ms
    /// (commands queue up faster than the server drains them).
    pub fn saturated(&self) -> bool {
        self.delivered_per_s < 0.9 * self.offered_per_s || self.p50 > Duration::from_millis(50)
    }
}

/// The crowd's clients, connected once and driven at several rates.
pub struct Crowd {
    clients: Vec<CrowdClient>,
}

struct CrowdClient {
    sink: Option<SplitSink<Socket, Message>>,
    /// (device index on the server, position in the bench's device list)
    devices: Vec<(u32, usize)>,
    replies: Arc<Replies>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for CrowdClient {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Crowd {
    /// Connects one client per group of devices. Errors if the server refuses a client (as
    /// intiface-engine does while another one is connected).
    pub async fn connect(port: u16, groups: Vec<Vec<(u32, usize)>>) -> Result<Crowd, String> {
        let mut clients = Vec::new();
        for (n, devices) in groups.into_iter().enumerate() {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
            let client = RawClient::connect(port, Spec::V4, &format!("plugboard-bench crowd {n}"), deadline)
                .await
                .map_err(|e| format!("client {} of the crowd: {e}", n + 1))?;
            let (sink, mut stream) = client.split();
            let replies = Arc::new(Replies::default());
            let counters = replies.clone();
            let reader = tokio::spawn(async move {
                while let Some(Ok(message)) = stream.next().await {
                    if let Message::Text(text) = message {
                        if text.as_str().contains(r#""Ok""#) {
                            counters.ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            counters.other.fetch_add(1, Ordering::Relaxed);
                            counters.first_other.lock().unwrap().get_or_insert_with(|| text.as_str().to_owned());
                        }
                    }
                }
            });
            clients.push(CrowdClient { sink: Some(sink), devices, replies, reader });
        }
        Ok(Crowd { clients })
    }

    /// Drives every client at `rate_hz` per device for `warmup` + `duration`; latencies and
    /// CPU are taken over `duration` only.
    pub async fn step(
        &mut self,
        devices: &[SimDevice],
        rate_hz: u32,
        warmup: Duration,
        duration: Duration,
        cpu: impl Fn() -> Result<Duration, String>,
    ) -> Result<CrowdStep, String> {
        for device in devices {
            device.clear();
        }
        let period = Duration::from_secs_f64(1.0 / rate_hz as f64);
        let start = tokio::time::Instant::now();
        let record_from = (start + warmup).into_std();
        let end = start + warmup + duration;
        let errors_before: u64 = self.clients.iter().map(|c| c.replies.other.load(Ordering::Relaxed)).sum();
        // Each client sends from a task of its own, so the load spreads over the worker threads.
        let count = self.clients.len();
        let sends: Vec<_> = self
            .clients
            .iter_mut()
            .enumerate()
            .map(|(n, client)| {
                let mut sink = client.sink.take().expect("the sink is back after every step");
                let targets: Vec<(u32, Arc<crate::device::Shared>, Levels)> = client
                    .devices
                    .iter()
                    .map(|&(index, at)| (index, devices[at].shared.clone(), Levels::starting_at(at as u32)))
                    .collect();
                tokio::spawn(async move {
                    let offset = period.mul_f64(n as f64 / count as f64);
                    let mut ticker = tokio::time::interval_at(start + offset, period);
                    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                    let mut targets = targets;
                    let mut id = 1u32;
                    let mut sent = 0u64;
                    let mut failed = None;
                    'ticks: loop {
                        let tick = ticker.tick().await;
                        if tick >= end {
                            break;
                        }
                        for (index, device, levels) in targets.iter_mut() {
                            let level = levels.next();
                            id += 1;
                            let now = Instant::now();
                            if now >= record_from {
                                device.expect_recorded(level, now);
                                sent += 1;
                            }
                            // One frame, one write, as the official clients do.
                            if let Err(error) = sink.send(Message::text(Spec::V4.command(id, *index, level))).await {
                                failed = Some(error.to_string());
                                break 'ticks;
                            }
                        }
                    }
                    (sink, sent, failed)
                })
            })
            .collect();
        let cpu_at = async {
            tokio::time::sleep_until(start + warmup).await;
            (Instant::now(), cpu())
        };
        let (finished, (cpu_start_at, cpu_start)) = tokio::join!(futures_util::future::join_all(sends), cpu_at);
        let cpu_end = cpu();
        let cpu_wall = cpu_start_at.elapsed();
        let mut sent = Vec::new();
        for (client, finished) in self.clients.iter_mut().zip(finished) {
            let (sink, count, failed) = finished.map_err(|e| format!("a crowd client's task failed: {e}"))?;
            client.sink = Some(sink);
            sent.push(match failed {
                Some(error) => Err(format!("a crowd client could not send: {error}")),
                None => Ok(count),
            });
        }
        let sent: u64 = sent.into_iter().collect::<Result<Vec<u64>, String>>()?.into_iter().sum();
        // Let the last commands arrive.
        let drain = tokio::time::Instant::now() + Duration::from_secs(2);
        while devices.iter().any(|d| d.pending() > 0) && tokio::time::Instant::now() < drain {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut latencies: Vec<Duration> = devices.iter().flat_map(|d| d.take_latencies()).collect();
        latencies.sort_unstable();
        let lost: u64 = devices.iter().map(|d| d.pending() as u64).sum::<u64>()
            + devices.iter().map(|d| d.shared.lost.swap(0, Ordering::Relaxed)).sum::<u64>();
        for device in devices {
            device.clear();
        }
        let errors_after: u64 = self.clients.iter().map(|c| c.replies.other.load(Ordering::Relaxed)).sum();
        let seconds = duration.as_secs_f64();
        let cpu_percent = match (cpu_start, cpu_end) {
            (Ok(a), Ok(b)) => (b.saturating_sub(a)).as_secs_f64() / cpu_wall.as_secs_f64() * 100.0,
            _ => f64::NAN,
        };
        let offered = (self.clients.iter().map(|c| c.devices.len()).sum::<usize>() as f64) * rate_hz as f64;
        Ok(CrowdStep {
            rate_hz,
            offered_per_s: offered,
            sent_per_s: sent as f64 / seconds,
            delivered_per_s: latencies.len() as f64 / seconds,
            p50: crate::stats::percentile(&latencies, 0.50),
            p99: crate::stats::percentile(&latencies, 0.99),
            max: latencies.last().copied().unwrap_or_default(),
            lost,
            cpu_percent,
            errors: errors_after - errors_before,
            first_error: self.clients.iter().find_map(|c| c.replies.first_other.lock().unwrap().clone()),
        })
    }

    pub async fn close(self) {
        for mut client in self.clients {
            if let Some(mut sink) = client.sink.take() {
                let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_ids_are_read_from_oks_and_errors() {
        assert_eq!(replies(r#"[{"Ok":{"Id":42}}]"#), [(true, Some(42))]);
        assert_eq!(replies(r#"[{"Error":{"Id":7,"ErrorCode":3,"ErrorMessage":"Too many"}}]"#), [(false, Some(7))]);
        assert_eq!(replies(r#"[{"Ok":{}}]"#), [(true, None)]);
        let run = r#"[{"Error":{"Id":8,"ErrorCode":3,"ErrorMessage":"x"}},{"Error":{"Id":9,"ErrorCode":3,"ErrorMessage":"x"}}]"#;
        assert_eq!(replies(run), [(false, Some(8)), (false, Some(9))]);
        assert_eq!(replies("not json"), [(false, None)]);
    }

    #[test]
    fn levels_cycle_and_never_repeat_or_stop() {
        let mut levels = Levels::starting_at(19);
        let seen: Vec<u32> = (0..41).map(|_| levels.next()).collect();
        assert!(seen.windows(2).all(|w| w[0] != w[1]));
        assert!(seen.iter().all(|&l| (1..=20).contains(&l)));
    }

    #[test]
    fn v3_scalars_land_on_the_step_with_or_without_float_noise() {
        for level in 1..=20u32 {
            assert_eq!((scalar(level) * 20.0).ceil() as u32, level);
            assert_eq!((scalar(level) * 20.0 - 1e-9).ceil() as u32, level);
        }
    }
}
