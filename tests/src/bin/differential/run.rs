//! One protocol on one server: start it, connect the device and a client, play the plan,
//! record what the device received, stop the server.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::client::Client;
use crate::device::{Device, Received, Recorder};
use crate::plan::{self, Action, Entry};
use crate::server::{Kind, Server};

/// How long a server may take to accept a client.
const STARTUP: Duration = Duration::from_secs(20);
/// How long the device may take to appear in the device list (a Lovense that gets no answer
/// waits 3 s before it gives up on its query).
const APPEAR: Duration = Duration::from_secs(10);
/// Time for identify/initialise writes (and Plugboard's battery read) to finish before the
/// first command.
const SETTLE: Duration = Duration::from_millis(700);
/// Upper bound on one whole run, whatever hangs.
const RUN: Duration = Duration::from_secs(180);

/// What a server made of the device.
pub struct Driven {
    /// Its device-list entry.
    pub entry: Entry,
    pub received: Vec<Received>,
    /// (step, `Ok` or `Error <code>: <message>`) for each command.
    pub replies: Vec<(String, String)>,
}

pub enum Outcome {
    Driven(Driven),
    NotDrivable(String),
}

pub async fn drive(kind: Kind, binary: &Path, dir: &Path, protocol: &str, identifier: &str, gap: Duration) -> Outcome {
    let mut server = match Server::start(kind, binary, dir, identifier, protocol) {
        Ok(server) => server,
        Err(error) => return Outcome::NotDrivable(error),
    };
    let recorder = Recorder::new();
    let address = format!("DIFF-{protocol}");
    let result = tokio::time::timeout(RUN, play(&mut server, identifier, &address, &recorder, gap)).await;
    let outcome = match result {
        Ok(Ok((entry, replies))) => Outcome::Driven(Driven { entry, received: recorder.received(), replies }),
        Ok(Err(reason)) => Outcome::NotDrivable(reason),
        Err(_) => Outcome::NotDrivable(format!("the run did not finish within {RUN:?}")),
    };
    server.stop().await;
    outcome
}

type Played = (Entry, Vec<(String, String)>);

async fn play(
    server: &mut Server,
    identifier: &str,
    address: &str,
    recorder: &Recorder,
    gap: Duration,
) -> Result<Played, String> {
    // The first client connection is also the check that the server is up.
    let deadline = tokio::time::Instant::now() + STARTUP;
    let mut client = loop {
        if let Some(why) = server.exited() {
            return Err(why);
        }
        match Client::connect(server.port).await {
            Ok(client) => break client,
            Err(error) if tokio::time::Instant::now() >= deadline => {
                return Err(format!(
                    "no client connection within {STARTUP:?} ({error}); log: {}",
                    server.log_excerpt(None)
                ))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    client.ask("StartScanning", json!({})).await?;
    let _device = Device::connect(server.device_port, identifier, address, recorder.clone()).await?;

    let deadline = tokio::time::Instant::now() + APPEAR;
    let (index, entry) = loop {
        let list = client.ask("RequestDeviceList", json!({})).await?;
        if let Some(found) = plan::device_from_list(&list) {
            break found;
        }
        if tokio::time::Instant::now() >= deadline {
            let seen: Vec<String> = recorder.received().iter().map(|r| crate::device::show(&r.bytes)).collect();
            return Err(format!(
                "no device in the list after {APPEAR:?} (device received: {}); log: {}",
                if seen.is_empty() { "nothing".to_owned() } else { seen.join(", ") },
                server.log_excerpt(Some(address))
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    tokio::time::sleep(SETTLE).await;

    let mut replies = Vec::new();
    let mut client = Some(client);
    for step in plan::steps(index, &entry.outputs) {
        recorder.set_step(&step.label);
        let reply = match (step.action, client.as_mut()) {
            (Action::Send { name, body }, Some(connected)) => match connected.ask(name, body).await {
                Ok(reply) => summary(&reply),
                Err(error) => error,
            },
            (Action::Disconnect, Some(_)) => {
                client.take().expect("connected").disconnect().await;
                "disconnected".to_owned()
            }
            (_, None) => "not sent: the client has disconnected".to_owned(),
        };
        replies.push((step.label, reply));
        tokio::time::sleep(gap).await;
    }
    recorder.set_step("after the last step");
    tokio::time::sleep(gap * 2).await;
    Ok((entry, replies))
}

/// `Ok`, or the error code and message.
fn summary(reply: &Value) -> String {
    if reply.get("Ok").is_some() {
        "Ok".to_owned()
    } else if let Some(error) = reply.get("Error") {
        format!("Error {}: {}", error["ErrorCode"], error["ErrorMessage"].as_str().unwrap_or(""))
    } else {
        format!("unexpected reply {reply}")
    }
}
