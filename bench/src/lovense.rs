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
//!
//! Each round measures three paces on the same engine ([`PACES`]): back to back, the next
//! command as soon as the last one's bytes reached the toy; then 2 ms and 16 ms (a 60 Hz game)
//! after each command's bytes. A game sends at its own pace, so the engine is idle when its
//! command comes: the paced figures are the ones a game sees.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::device::{SimDevice, IDENTIFIER};
use crate::in_process::InProcessEngine;
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

/// How one run spaces its commands: back to back, or with a gap after each command's bytes
/// reached the toy, as a game sends at its own pace. Between paced commands the engine has
/// nothing to do and parks its threads, so every command starts from an idle engine, the case
/// of a game; back to back, the engine's threads are often still awake from the last one.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The figures' ids start with it (`lovense_fn_p50`, `lovense_gap2_fn_p50`, ...).
    pub prefix: &'static str,
    pub title: &'static str,
    /// From the toy reading one command's bytes to the next command (tokio's timer: this long
    /// or up to 1 ms longer).
    pub gap: Duration,
    /// The run measures the plan's count divided by this, so that slow paces stay short.
    pub divisor: u32,
}

/// The runs of every round, in order, on one engine.
pub const PACES: [Pace; 3] = [
    Pace { prefix: "lovense", title: "back to back", gap: Duration::ZERO, divisor: 1 },
    Pace { prefix: "lovense_gap2", title: "2 ms between commands", gap: Duration::from_millis(2), divisor: 1 },
    Pace {
        prefix: "lovense_gap16",
        title: "16 ms between commands (a 60 Hz game)",
        gap: Duration::from_millis(16),
        divisor: 4,
    },
];

/// The phase of the bench (`--skip lovense` leaves it out): one in-process engine per round,
/// a run of each [`Pace`] on it, their percentiles and the ratios of the goal (Function at most
/// 1.2× the `OutputCmd`, p50 and p99, within the run).
pub async fn phase(round: u32, plan: &crate::Plan, results: &mut Results) {
    let kind = Kind::Plugboard;
    let load = crate::load_average();
    let run = in_process(plan.latency_warmup, plan.latency_count);
    let Some(runs) = crate::bounded(results, kind, round, "Lovense API latency", Duration::from_secs(300), run).await
    else {
        return;
    };
    for (pace, figures) in runs {
        record(pace, &figures, &load, results);
    }
}

/// Prints one run's figures and adds them to the results under the pace's prefix.
fn record(pace: Pace, figures: &LovenseFigures, load: &str, results: &mut Results) {
    let kind = Kind::Plugboard;
    let us = |times: &[Duration], q: f64| {
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        crate::stats::percentile(&sorted, q).as_secs_f64() * 1e6
    };
    let keep_alive = (us(&figures.function_keep_alive, 0.50), us(&figures.function_keep_alive, 0.99));
    let fresh = (us(&figures.function_new_connection, 0.50), us(&figures.function_new_connection, 0.99));
    let v4 = (us(&figures.output_cmd, 0.50), us(&figures.output_cmd, 0.99));
    eprintln!(
        "plugboard-bench:   Lovense API, {} (load average {load} before the phase): Function p50 {:.0} µs, \
         p99 {:.0} µs; a new connection each: p50 {:.0} µs, p99 {:.0} µs; v4 OutputCmd p50 {:.0} µs, \
         p99 {:.0} µs; Function / OutputCmd p50 {:.2}×, p99 {:.2}×",
        pace.title,
        keep_alive.0,
        keep_alive.1,
        fresh.0,
        fresh.1,
        v4.0,
        v4.1,
        keep_alive.0 / v4.0,
        keep_alive.1 / v4.1
    );
    let id = |figure: &str| crate::report::metric(&format!("{}_{figure}", pace.prefix)).id;
    results.add(id("fn_p50"), kind, keep_alive.0);
    results.add(id("fn_p99"), kind, keep_alive.1);
    results.add(id("fresh_p50"), kind, fresh.0);
    results.add(id("fresh_p99"), kind, fresh.1);
    results.add(id("v4_p50"), kind, v4.0);
    results.add(id("v4_p99"), kind, v4.1);
    if v4.0 > 0.0 && v4.1 > 0.0 {
        results.add(id("ratio_p50"), kind, keep_alive.0 / v4.0);
        results.add(id("ratio_p99"), kind, keep_alive.1 / v4.1);
    }
}

/// Measures a run of each [`Pace`] on one engine started for them: `count / divisor` commands
/// of each way after `warmup / divisor` unrecorded ones.
pub async fn in_process(warmup: u32, count: u32) -> Result<Vec<(Pace, LovenseFigures)>, String> {
    let running = InProcessEngine::start("lovense", [(IDENTIFIER, "lovense")], |config| {
        config.lovense_api.enabled = true;
        config.lovense_api.port = 0;
        config.lovense_api.https_port = None;
    })
    .await?;
    let api = running.engine().lovense_api().and_then(|api| api.http_addresses().first().copied());
    let result = async {
        let api = api.ok_or("the Lovense API does not listen")?;
        let mut session = Session::open(running.port(), running.device_port(), api).await?;
        let mut runs = Vec::new();
        for pace in PACES {
            let figures = session.measure(pace.gap, warmup / pace.divisor, count / pace.divisor).await?;
            runs.push((pace, figures));
        }
        session.close().await?;
        Ok(runs)
    }
    .await;
    running.stop().await;
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

/// The clients of a phase: the websocket client, the toy and the keep-alive HTTP connection.
struct Session {
    api: SocketAddr,
    websocket: RawClient,
    toy: SimDevice,
    /// The toy's device index for the websocket client, its id for the Lovense API.
    index: u32,
    id: String,
    http: Http,
    levels: Levels,
}

impl Session {
    async fn open(port: u16, device_port: u16, api: SocketAddr) -> Result<Session, String> {
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
        Ok(Session { api, websocket, toy, index, id, http, levels: Levels::starting_at(1) })
    }

    /// `count` commands of each way after `warmup` unrecorded ones, `gap` after each.
    async fn measure(&mut self, gap: Duration, warmup: u32, count: u32) -> Result<LovenseFigures, String> {
        let mut figures = LovenseFigures::default();
        for turn in 0..warmup + count {
            for way in WAYS.iter().cycle().skip(turn as usize % WAYS.len()).take(WAYS.len()) {
                let took = self.send(*way).await?;
                if turn >= warmup {
                    match way {
                        Way::KeepAlive => figures.function_keep_alive.push(took),
                        Way::NewConnection => figures.function_new_connection.push(took),
                        Way::OutputCmd => figures.output_cmd.push(took),
                    }
                }
                if !gap.is_zero() {
                    tokio::time::sleep(gap).await;
                }
            }
        }
        Ok(figures)
    }

    /// Sends a new level one way; the time until the toy read it.
    async fn send(&mut self, way: Way) -> Result<Duration, String> {
        let level = self.levels.next();
        match way {
            Way::KeepAlive => {
                let request = request(&function(&self.id, level));
                timed(&self.toy, level, self.http.post(&request)).await
            }
            Way::NewConnection => {
                let request = request(&function(&self.id, level));
                let api = self.api;
                timed(&self.toy, level, async {
                    let mut fresh = Http::connect(api).await?;
                    fresh.post(&request).await
                })
                .await
            }
            Way::OutputCmd => {
                let (websocket, index) = (&mut self.websocket, self.index);
                timed(&self.toy, level, async { websocket.command(Spec::V4, index, level).await.map(|()| Value::Null) })
                    .await
            }
        }
    }

    /// Closes the websocket client; fails if a command never reached the toy.
    async fn close(self) -> Result<(), String> {
        let lost = self.toy.shared.lost.load(std::sync::atomic::Ordering::Relaxed);
        self.websocket.close().await;
        if lost > 0 {
            return Err(format!("{lost} commands never reached the toy (a later one did)"));
        }
        Ok(())
    }
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
    use serde_json::json;

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
