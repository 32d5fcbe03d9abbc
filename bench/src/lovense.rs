//! The Lovense API's latency (issue 18): a `POST /command` `Function` `Vibrate:N` against a
//! spec v4 `OutputCmd` over the websocket, to the same toy of the same engine, from the
//! moment the request's first byte is sent to the moment the toy reads `Vibrate:N;`.
//!
//! The engine runs inside the bench (this checkout's `plugboard-server`, on a runtime of its
//! own with two worker threads, as in the stop figure) with the Lovense API on, and one
//! simulated Hush dials into its device-websocket port. Three ways of sending take turns, one
//! command in flight, so that all of them see the same machine load:
//!
//! - a `Function` on one keep-alive HTTP/1.1 connection (what a game that keeps its HTTP
//!   client does);
//! - a `Function` on a new connection for every request, as lovensepy 1.0.4 makes them (a
//!   fresh `httpx.Client` per call); its clock starts before the TCP connect;
//! - a spec v4 `OutputCmd` from a raw-JSON websocket client.
//!
//! Every command sets a level that differs from the one before it (whichever way sent it),
//! so nothing is dropped as a repeat. The order of the three rotates from one turn to the
//! next: the API and the websocket client take the output over from each other (the latest
//! command wins), and rotating gives each way the same share of following each other one.
//! Requests are built before the clock starts; the clients are as lean as the load
//! generator's (a request written in one `write`, the answer read up to its
//! `Content-Length`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::device::{SimDevice, IDENTIFIER};
use crate::loadgen::{Levels, RawClient, Spec, ANSWER};
use crate::report::Results;
use crate::servers::Kind;

/// The latencies of each way of sending, in the order measured.
#[derive(Debug, Default)]
pub struct LovenseFigures {
    pub function_keep_alive: Vec<Duration>,
    pub function_new_connection: Vec<Duration>,
    pub output_cmd: Vec<Duration>,
}

/// The phase of the bench (`--skip lovense` leaves it out): one in-process run per round,
/// its percentiles and the ratios of the goal (Function at most 1.2× the `OutputCmd`, p50 and
/// p99, within the round).
pub async fn phase(round: u32, plan: &crate::Plan, results: &mut Results) {
    let kind = Kind::Plugboard;
    let load = crate::load_average();
    let run = in_process(plan.latency_warmup, plan.latency_count);
    let Some(figures) =
        crate::bounded(results, kind, round, "Lovense API latency", Duration::from_secs(300), run).await
    else {
        return;
    };
    let us = |times: &[Duration], q: f64| {
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        crate::stats::percentile(&sorted, q).as_secs_f64() * 1e6
    };
    let keep_alive = (us(&figures.function_keep_alive, 0.50), us(&figures.function_keep_alive, 0.99));
    let fresh = (us(&figures.function_new_connection, 0.50), us(&figures.function_new_connection, 0.99));
    let v4 = (us(&figures.output_cmd, 0.50), us(&figures.output_cmd, 0.99));
    eprintln!(
        "plugboard-bench:   Lovense API (load average {load} before): Function p50 {:.0} µs, p99 {:.0} µs; \
         a new connection each: p50 {:.0} µs, p99 {:.0} µs; v4 OutputCmd p50 {:.0} µs, p99 {:.0} µs; \
         Function / OutputCmd p50 {:.2}×, p99 {:.2}×",
        keep_alive.0,
        keep_alive.1,
        fresh.0,
        fresh.1,
        v4.0,
        v4.1,
        keep_alive.0 / v4.0,
        keep_alive.1 / v4.1
    );
    results.add("lovense_fn_p50", kind, keep_alive.0);
    results.add("lovense_fn_p99", kind, keep_alive.1);
    results.add("lovense_fresh_p50", kind, fresh.0);
    results.add("lovense_fresh_p99", kind, fresh.1);
    results.add("lovense_v4_p50", kind, v4.0);
    results.add("lovense_v4_p99", kind, v4.1);
    if v4.0 > 0.0 && v4.1 > 0.0 {
        results.add("lovense_ratio_p50", kind, keep_alive.0 / v4.0);
        results.add("lovense_ratio_p99", kind, keep_alive.1 / v4.1);
    }
}

/// Measures `count` commands of each way after `warmup` unrecorded ones, on an engine started
/// for it.
pub async fn in_process(warmup: u32, count: u32) -> Result<LovenseFigures, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("engine")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let dir = tempfile::Builder::new().prefix("plugboard-bench-lovense-").tempdir().map_err(|e| e.to_string())?;
    let user_config = dir.path().join("user-device-config.json");
    let bindings = json!({"format": "plugboard-user-device-config", "version": 1,
        "websocket_devices": [{"identifier": IDENTIFIER, "protocol": "lovense"}]});
    std::fs::write(&user_config, bindings.to_string()).map_err(|e| e.to_string())?;

    let mut config = plugboard_server::EngineConfig::loopback(0);
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.own_user_config_path = Some(user_config);
    // One command in flight never comes near the limit, but the warm-up and the turns of
    // three clients together would come close to it on a fast machine.
    config.limits.max_messages_per_second = 0;
    config.lovense_api.enabled = true;
    config.lovense_api.port = 0;
    config.lovense_api.https_port = None;
    let engine = runtime
        .spawn(plugboard_server::Engine::start(config))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("the in-process engine does not start: {e}"))?;
    let port = engine.port();
    let device_port = engine.device_websocket_address().map_or(0, |address| address.port());
    let api = engine.lovense_api().and_then(|api| api.http_addresses().first().copied());

    let result = async {
        let api = api.ok_or("the Lovense API does not listen")?;
        measure(port, device_port, api, warmup, count).await
    }
    .await;
    let _ = runtime.spawn(engine.stop()).await;
    runtime.shutdown_background();
    result
}

/// The three ways of sending, in the order of the first turn.
#[derive(Debug, Clone, Copy)]
enum Way {
    KeepAlive,
    NewConnection,
    OutputCmd,
}

const WAYS: [Way; 3] = [Way::KeepAlive, Way::NewConnection, Way::OutputCmd];

async fn measure(
    port: u16,
    device_port: u16,
    api: SocketAddr,
    warmup: u32,
    count: u32,
) -> Result<LovenseFigures, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut websocket = RawClient::connect(port, Spec::V4, "plugboard-bench v4", deadline).await?;
    let toy = SimDevice::connect(device_port, "LOVENSEBENCH01", deadline).await?;
    let index = loop {
        if let Some(&index) = websocket.device_indexes().await?.first() {
            break index;
        }
        if tokio::time::Instant::now() >= deadline || !toy.connected() {
            return Err("the simulated toy did not appear in the device list within 15 s".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut http = Http::connect(api).await?;
    let toys = http.post(&request(r#"{"command":"GetToys"}"#)).await?;
    let id = toy_id(&toys)?;

    let mut figures = LovenseFigures::default();
    let mut levels = Levels::starting_at(1);
    for turn in 0..warmup + count {
        for way in WAYS.iter().cycle().skip(turn as usize % WAYS.len()).take(WAYS.len()) {
            let level = levels.next();
            let took = match way {
                Way::KeepAlive => {
                    let request = request(&function(&id, level));
                    timed(&toy, level, http.post(&request)).await?
                }
                Way::NewConnection => {
                    let request = request(&function(&id, level));
                    timed(&toy, level, async {
                        let mut fresh = Http::connect(api).await?;
                        fresh.post(&request).await
                    })
                    .await?
                }
                Way::OutputCmd => {
                    timed(&toy, level, async { websocket.command(Spec::V4, index, level).await.map(|()| Value::Null) })
                        .await?
                }
            };
            if turn >= warmup {
                match way {
                    Way::KeepAlive => figures.function_keep_alive.push(took),
                    Way::NewConnection => figures.function_new_connection.push(took),
                    Way::OutputCmd => figures.output_cmd.push(took),
                }
            }
        }
    }
    let lost = toy.shared.lost.load(std::sync::atomic::Ordering::Relaxed);
    websocket.close().await;
    if lost > 0 {
        return Err(format!("{lost} commands never reached the toy (a later one did)"));
    }
    Ok(figures)
}

/// The one toy's id in a GetToys answer (`data.toys` is a JSON document in a string).
fn toy_id(answer: &Value) -> Result<String, String> {
    let listed: Value =
        answer["data"]["toys"].as_str().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
    let ids: Vec<&String> = listed.as_object().map(|toys| toys.keys().collect()).unwrap_or_default();
    match ids.as_slice() {
        [id] => Ok((*id).clone()),
        _ => Err(format!("GetToys should list the one toy: {answer}")),
    }
}

/// `Function` `Vibrate:<level>` on one toy, until told otherwise, as games send it.
fn function(toy: &str, level: u32) -> String {
    format!(r#"{{"command":"Function","action":"Vibrate:{level}","timeSec":0,"toy":"{toy}","apiVer":1}}"#)
}

/// `POST /command` with `body`, as a game's HTTP client sends it.
fn request(body: &str) -> Vec<u8> {
    format!(
        "POST /command HTTP/1.1\r\nHost: 127.0.0.1\r\nX-platform: plugboard-bench\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends with `send` and returns the time from just before it to the toy reading the level.
/// An answer other than the Lovense API's success (code 200) fails the run.
async fn timed(
    toy: &SimDevice,
    level: u32,
    send: impl std::future::Future<Output = Result<Value, String>>,
) -> Result<Duration, String> {
    let sent = Instant::now();
    let arrived = toy.expect(level, sent);
    let answer = send.await?;
    if answer != Value::Null && answer["code"] != 200 {
        return Err(format!("the command was refused: {answer}"));
    }
    match tokio::time::timeout(ANSWER, arrived).await {
        Ok(Ok(latency)) => Ok(latency),
        _ => Err(format!("the toy did not get Vibrate:{level}; within {ANSWER:?}")),
    }
}

/// A minimal HTTP/1.1 client on one keep-alive connection.
struct Http {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Http {
    async fn connect(address: SocketAddr) -> Result<Http, String> {
        let stream =
            TcpStream::connect(address).await.map_err(|e| format!("cannot connect to the Lovense API: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Http { stream, buffer: Vec::with_capacity(1024) })
    }

    /// Sends `request` (one write) and returns the answer's JSON.
    async fn post(&mut self, request: &[u8]) -> Result<Value, String> {
        self.stream.write_all(request).await.map_err(|e| e.to_string())?;
        tokio::time::timeout(ANSWER, self.answer()).await.map_err(|_| format!("no answer within {ANSWER:?}"))?
    }

    async fn answer(&mut self) -> Result<Value, String> {
        self.buffer.clear();
        let head_end = loop {
            if let Some(at) = self.buffer.windows(4).position(|window| window == b"\r\n\r\n") {
                break at + 4;
            }
            self.read_more().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).to_ascii_lowercase();
        if !head.starts_with("http/1.1 200") {
            return Err(format!("HTTP answer {}", head.lines().next().unwrap_or("")));
        }
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .ok_or("the answer has no Content-Length")?;
        while self.buffer.len() < head_end + length {
            self.read_more().await?;
        }
        serde_json::from_slice(&self.buffer[head_end..head_end + length]).map_err(|e| e.to_string())
    }

    async fn read_more(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 1024];
        let read = self.stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if read == 0 {
            return Err("the Lovense API closed the connection".to_owned());
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toy_id_is_read_from_the_toys_string() {
        let answer = json!({"code": 200, "data": {"toys": r#"{"a1b2c3d4e5f6":{"id":"a1b2c3d4e5f6","name":"hush"}}"#}});
        assert_eq!(toy_id(&answer).unwrap(), "a1b2c3d4e5f6");
        assert!(toy_id(&json!({"code": 200, "data": {"toys": "{}"}})).is_err());
    }

    #[test]
    fn a_request_says_its_body_length() {
        let text = String::from_utf8(request("{}")).unwrap();
        assert!(text.starts_with("POST /command HTTP/1.1\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
