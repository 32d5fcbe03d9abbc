//! Engine benchmark: client-to-virtual-device latency and commands per second, for spec v3
//! (ScalarCmd) and v4 (OutputCmd) clients speaking raw JSON over a real websocket.
//!
//! Run: `cargo bench -p plugboard-server --bench engine` (add `-- --quick` for a short run).
//!
//! - latency: one command in flight; the time from sending the frame to the virtual device
//!   recording the new level (seen on the engine's event stream), and to the client's Ok.
//! - throughput: k commands in flight (each Ok lets the next command go); commands per second.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_devices::DeviceEvent;
use plugboard_server::{Engine, EngineConfig, EngineEvent};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy)]
enum Spec {
    V3,
    V4,
}

impl Spec {
    fn name(self) -> &'static str {
        match self {
            Spec::V3 => "v3",
            Spec::V4 => "v4",
        }
    }
    fn handshake(self) -> &'static str {
        match self {
            Spec::V3 => r#"[{"RequestServerInfo":{"Id":1,"ClientName":"bench","MessageVersion":3}}]"#,
            Spec::V4 => {
                r#"[{"RequestServerInfo":{"Id":1,"ClientName":"bench","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#
            }
        }
    }
    /// A command that sets the vibrator of device 0 to `level` (1..=20).
    fn command(self, id: u32, level: u32) -> String {
        match self {
            Spec::V3 => format!(
                r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":0,"Scalars":[{{"Index":0,"Scalar":{},"ActuatorType":"Vibrate"}}]}}}}]"#,
                level as f64 / 20.0
            ),
            Spec::V4 => format!(
                r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":0,"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{level}}}}}}}}}]"#
            ),
        }
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(engine: &Engine, spec: Spec) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}", engine.port())).await.unwrap();
    socket.send(Message::text(spec.handshake())).await.unwrap();
    next_text(&mut socket).await;
    socket
}

async fn next_text(socket: &mut Socket) -> String {
    loop {
        if let Message::Text(text) = socket.next().await.unwrap().unwrap() {
            return text.as_str().to_owned();
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn latency(engine: &Engine, spec: Spec, count: u32) {
    let mut socket = connect(engine, spec).await;
    let mut events = engine.events();
    let mut to_device = Vec::with_capacity(count as usize);
    let mut to_ok = Vec::with_capacity(count as usize);
    for i in 0..count {
        let level = 1 + (i % 20); // never the same twice in a row, so nothing is deduplicated
        let frame = spec.command(i + 2, if i % 20 == 19 { 20 } else { level });
        let start = Instant::now();
        socket.send(Message::text(frame)).await.unwrap();
        loop {
            if let Ok(EngineEvent::Device(DeviceEvent::OutputChanged { .. })) = events.recv().await {
                to_device.push(start.elapsed());
                break;
            }
        }
        next_text(&mut socket).await;
        to_ok.push(start.elapsed());
    }
    to_device.sort();
    to_ok.sort();
    println!(
        "latency {} (1 in flight, {count} commands): to device p50 {:.0} us p99 {:.0} us max {:.0} us; to Ok p50 {:.0} us p99 {:.0} us",
        spec.name(),
        micros(percentile(&to_device, 0.5)),
        micros(percentile(&to_device, 0.99)),
        micros(*to_device.last().unwrap()),
        micros(percentile(&to_ok, 0.5)),
        micros(percentile(&to_ok, 0.99)),
    );
    socket.close(None).await.ok();
}

async fn throughput(engine: &Engine, spec: Spec, in_flight: u32, duration: Duration) {
    let mut socket = connect(engine, spec).await;
    let mut next_id = 2u32;
    for _ in 0..in_flight {
        socket.send(Message::text(spec.command(next_id, 1 + next_id % 20))).await.unwrap();
        next_id += 1;
    }
    let start = Instant::now();
    let mut done = 0u64;
    while start.elapsed() < duration {
        next_text(&mut socket).await;
        done += 1;
        socket.send(Message::text(spec.command(next_id, 1 + next_id % 20))).await.unwrap();
        next_id += 1;
    }
    for _ in 0..in_flight {
        next_text(&mut socket).await;
    }
    println!(
        "throughput {} ({in_flight} in flight): {:.0} commands/s",
        spec.name(),
        done as f64 / start.elapsed().as_secs_f64()
    );
    socket.close(None).await.ok();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (count, duration) = if quick { (300, Duration::from_millis(500)) } else { (3000, Duration::from_secs(3)) };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let mut config = EngineConfig::loopback(0);
        config.virtual_devices = vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)];
        // The bench measures the engine, not the per-client rate limit (1000 messages/s).
        config.limits.max_messages_per_second = 0;
        let engine = Engine::start(config).await.unwrap();
        for spec in [Spec::V3, Spec::V4] {
            latency(&engine, spec, count).await;
        }
        for spec in [Spec::V3, Spec::V4] {
            for in_flight in [1, 16] {
                throughput(&engine, spec, in_flight, duration).await;
            }
        }
        engine.stop().await;
    });
}
