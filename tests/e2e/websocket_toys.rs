//! Toys of protocols that other tests do not reach, dialled in over the device websocket (as
//! the reference engine's simulators do) and driven by raw clients: a device the database
//! lists without features, and devices whose protocol writes on its own clock.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::device_websocket::{start_engine, user_config};
use crate::raw::{Raw, WAIT};
use crate::toy::{dial, Socket};

/// A toy that records every packet it receives, with the time it came, and answers nothing.
pub(crate) struct RecordingToy {
    received: mpsc::UnboundedReceiver<(Instant, Vec<u8>)>,
    _task: tokio::task::JoinHandle<()>,
}

impl RecordingToy {
    pub(crate) async fn connect(engine: &plugboard_server::Engine, identifier: &str, address: &str) -> RecordingToy {
        let socket = dial(engine, identifier, address).await;
        let (sender, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(Self::run(socket, sender));
        RecordingToy { received, _task: task }
    }

    async fn run(mut socket: Socket, sender: mpsc::UnboundedSender<(Instant, Vec<u8>)>) {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Binary(bytes) = message {
                let _ = sender.send((Instant::now(), bytes.to_vec()));
            }
        }
    }

    /// The next packet and when it came.
    pub(crate) async fn next(&mut self) -> (Instant, Vec<u8>) {
        tokio::time::timeout(WAIT, self.received.recv()).await.expect("a packet in time").expect("toy running")
    }

    /// The next `count` packets, in the order they came.
    pub(crate) async fn packets(&mut self, count: usize) -> Vec<Vec<u8>> {
        let mut packets = Vec::with_capacity(count);
        for _ in 0..count {
            packets.push(self.next().await.1);
        }
        packets
    }

    /// Nothing arrives for `period`.
    async fn quiet_for(&mut self, period: Duration) {
        if let Ok(Some((_, bytes))) = tokio::time::timeout(period, self.received.recv()).await {
            panic!("the toy should have received nothing, got {bytes:02x?}");
        }
    }
}

fn engine_config(dir: &std::path::Path, identifier: &str, protocol: &str) -> std::path::PathBuf {
    user_config(
        dir,
        json!({"format": "plugboard-user-device-config", "version": 1,
               "websocket_devices": [{"identifier": identifier, "protocol": protocol}]}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_the_database_lists_without_features_is_listed_with_nothing_to_control() {
    let dir = tempfile::tempdir().unwrap();
    let engine = start_engine(engine_config(dir.path(), "SuoYinQiu", "libo-karen")).await;
    let mut v4 = Raw::v4_client(engine.port(), "v4").await;
    let mut v3 = Raw::connect(&engine).await;
    v3.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"v3","MessageVersion":3}}]"#).await;

    let mut toy = RecordingToy::connect(&engine, "SuoYinQiu", "KAREN0001").await;
    let list = v4.recv().await;
    let (index, device) = list["DeviceList"]["Devices"].as_object().unwrap().iter().next().expect("listed");
    assert_eq!(device["DeviceName"], "Libo Karen", "{list}");
    assert_eq!(device["DeviceFeatures"], json!({}), "no features: {list}");
    let added = v3.recv().await;
    assert_eq!(added["DeviceAdded"]["DeviceName"], "Libo Karen", "{added}");
    assert_eq!(added["DeviceAdded"]["DeviceMessages"], json!({"StopDeviceCmd": {}}), "{added}");

    // A stop has nothing to send, and is no error.
    let stop = format!(r#"[{{"StopDeviceCmd":{{"Id":2,"DeviceIndex":{index}}}}}]"#);
    assert_eq!(v3.ask(&stop).await, json!({"Ok":{"Id":2}}));
    assert_eq!(v3.ask(r#"[{"StopAllDevices":{"Id":3}}]"#).await, json!({"Ok":{"Id":3}}));
    toy.quiet_for(Duration::from_millis(300)).await;
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hgod_hears_its_level_every_100_ms_until_the_stop() {
    let dir = tempfile::tempdir().unwrap();
    let engine = start_engine(engine_config(dir.path(), "AMN NEO", "hgod")).await;
    let mut client = Raw::v4_client(engine.port(), "game").await;
    let mut toy = RecordingToy::connect(&engine, "AMN NEO", "HGOD0001").await;
    let list = client.recv().await;
    let index = list["DeviceList"]["Devices"].as_object().unwrap().keys().next().expect("listed").clone();
    let vibrate = |id: u32, value: u32| {
        format!(
            r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{index},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}]"#
        )
    };
    assert_eq!(client.ask(&vibrate(2, 5)).await, json!({"Ok":{"Id":2}}));
    let five = vec![0x55, 0x04, 0x00, 0x00, 0x00, 0x05];
    let mut times = Vec::new();
    for _ in 0..4 {
        let (at, bytes) = toy.next().await;
        assert_eq!(bytes, five);
        times.push(at);
    }
    for pair in times.windows(2) {
        let apart = pair[1] - pair[0];
        assert!((Duration::from_millis(80)..Duration::from_millis(300)).contains(&apart), "{apart:?} apart");
    }
    assert_eq!(
        client.ask(&format!(r#"[{{"StopCmd":{{"Id":3,"DeviceIndex":{index}}}}}]"#)).await,
        json!({"Ok":{"Id":3}})
    );
    // Repeats of 5 may still be on their way from before the stop; then the stop's 0.
    let zero = loop {
        let (at, bytes) = toy.next().await;
        if bytes != five {
            break (at, bytes);
        }
    };
    assert_eq!(zero.1, vec![0x55, 0x04, 0x00, 0x00, 0x00, 0x00]);
    // Three repeat periods later a new level: it is the very next packet (nothing came between).
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(client.ask(&vibrate(4, 3)).await, json!({"Ok":{"Id":4}}));
    assert_eq!(toy.next().await.1, vec![0x55, 0x04, 0x00, 0x00, 0x00, 0x03], "no repeat after the stop");
    engine.stop().await;
    assert_eq!(toy.next().await.1, vec![0x55, 0x04, 0x00, 0x00, 0x00, 0x00], "the engine's stop");
}
