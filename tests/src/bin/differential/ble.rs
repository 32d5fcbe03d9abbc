//! Devices that answer (a read while identifying, a handshake), which the device websocket
//! cannot simulate (its hardware cannot be read): both servers find them over Bluetooth LE, on a
//! fake BlueZ on a private D-Bus (python-dbusmock, the fixture
//! `crates/plugboard-devices/tests/fixtures/fake_bluez_device.py`), each with a fresh bus and
//! the same scripted peripheral, which answers reads and writes the same way for both. Every
//! GATT write is recorded, labelled with its endpoint (from Plugboard's device database) and
//! its write type.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use plugboard_devices::fake_bluez::FakeBluez;
use serde_json::{json, Value};

use crate::device::Recorder;

/// How long the bus and the fake BlueZ may take to come up.
const BUS_UP: Duration = Duration::from_secs(10);
/// How often the fake's write log is polled.
const POLL: Duration = Duration::from_millis(40);

/// What the simulated peripheral of a protocol advertises and answers.
pub struct Peripheral {
    /// The advertised name (one of the protocol's BLE names).
    pub name: &'static str,
    /// What reads of these endpoints return (hex).
    reads: &'static [(&'static str, &'static str)],
    /// (written endpoint, written hex or `None` for any write, notified endpoint, notified
    /// hex or `None` for the written bytes): after a matching write, the value is notified.
    answers: &'static [Answer],
    /// (endpoint, hex): notified right after each subscription to that endpoint.
    on_subscribe: &'static [(&'static str, &'static str)],
}

type Answer = (&'static str, Option<&'static str>, &'static str, Option<&'static str>);

/// The protocols driven over Bluetooth LE, and how their peripheral answers. Values are what
/// such a device returns: a Satisfyer's model number is a big-endian u32 on the model
/// characteristic; a Vibratissimo and a MonsterPub name their model in ASCII (and a MonsterPub
/// reads out a 16-byte challenge, a key index and 15 bytes); a Sensee v2
/// describes itself in 8 bytes on `tx`; an Ankni answers its PnP ID; a Hismith's model is two
/// bytes, read as hex digits (1001 a legacy machine, 1004 a mini one); a Fredorch echoes each
/// setup frame the Modbus way; a Honey Play Box answers its handshake with a session random;
/// a VibCrafter or Vibio answers its authentication with `OK;` (AES-encrypted with its key);
/// a Handy (FW4+) answers each request; a Lelo reports "authorised" on its security characteristic as soon as it is subscribed to.
pub fn peripheral(protocol: &str) -> Option<Peripheral> {
    let peripheral = match protocol {
        "satisfyer" => {
            Peripheral { name: "SF Pro 2", reads: &[("rxblemodel", "00002715")], answers: &[], on_subscribe: &[] }
        }
        "vibratissimo" => Peripheral {
            name: "Vibratissimo",
            reads: &[("rxblemodel", "4c69636b6572"), ("rxblebattery", "49")],
            answers: &[],
            on_subscribe: &[],
        },
        "monsterpub" => Peripheral {
            name: "MonsterPub",
            reads: &[("rxblemodel", "4d50325f4a4b5f4e5f5031"), ("rx", "01102132435465768798a9bacbdcedfe")],
            answers: &[],
            on_subscribe: &[],
        },
        "sensee-v2" => {
            Peripheral { name: "CCPA10S2", reads: &[("tx", "0102030405066500")], answers: &[], on_subscribe: &[] }
        }
        "ankni" => Peripheral { name: "DSJM", reads: &[("generic0", "112233445566")], answers: &[], on_subscribe: &[] },
        "hismith" => Peripheral { name: "HISMITH", reads: &[("rxblemodel", "1001")], answers: &[], on_subscribe: &[] },
        "hismith-mini" => {
            Peripheral { name: "HISMITH S1", reads: &[("rxblemodel", "1004")], answers: &[], on_subscribe: &[] }
        }
        "fredorch" => {
            Peripheral { name: "YXlinksSPP", reads: &[], answers: &[("tx", None, "rx", None)], on_subscribe: &[] }
        }
        "honeyplaybox" => Peripheral {
            name: "JXT002",
            reads: &[("rxblebattery", "32")],
            answers: &[("tx", None, "rx", Some(HONEYPLAYBOX_HANDSHAKE_REPLY))],
            on_subscribe: &[],
        },
        "vibcrafter" => Peripheral {
            name: "Janna",
            reads: &[],
            answers: &[("tx", None, "rx", Some("120a6defa705e36fa046e6cdf609f67a"))],
            on_subscribe: &[],
        },
        "vibio" => Peripheral {
            name: "Clara_Vibio",
            reads: &[],
            answers: &[("tx", None, "rx", Some("73f4cbd11a61e4185e8e486283595a24"))],
            on_subscribe: &[],
        },
        "lelo-harmony" => {
            Peripheral { name: "IdaWave", reads: &[], answers: &[], on_subscribe: &[("whitelist", LELO_AUTHORISED)] }
        }
        "lelo-f1sv2" => {
            Peripheral { name: "F1SV2A", reads: &[], answers: &[], on_subscribe: &[("whitelist", LELO_AUTHORISED)] }
        }
        "thehandy-v3" => Peripheral {
            name: "OHD_hw4_1234",
            reads: &[],
            answers: &[("tx", None, "rx", Some(HANDY_RESPONSE))],
            on_subscribe: &[],
        },
        _ => return None,
    };
    Some(peripheral)
}

/// A Honey Play Box's answer to its handshake: frame counter 0, type b1, command 01, data
/// `90 00` (success) and the session random 10 11 .. 1f, then the end byte and the CRC.
const HONEYPLAYBOX_HANDSHAKE_REPLY: &str = "02a55a55aaf000b10100129000101112131415161718191a1b1c1d1e1f03550b";
/// An answer from a Handy (FW4+) to each request: an RPC message of type response (field 1 =
/// 2) and nothing else; both servers only wait for an answer, whatever it says.
const HANDY_RESPONSE: &str = "0802";
/// What a Lelo's security characteristic says once the device is authorised.
const LELO_AUTHORISED: &str = "0100000000000000";

/// The protocol's services from Plugboard's device database: service uuid → endpoint name →
/// characteristic uuid.
type Services = BTreeMap<String, BTreeMap<String, String>>;

fn services(protocol: &str) -> Result<Services, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-config/plugboard-devices.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let database: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let endpoints = &database["protocols"][protocol]["endpoints"];
    serde_json::from_value(endpoints.clone()).map_err(|e| format!("the endpoints of {protocol}: {e}"))
}

/// The fixture's JSON script for `peripheral`, and characteristic uuid → endpoint name.
fn script(protocol: &str, peripheral: &Peripheral) -> Result<(String, BTreeMap<String, String>), String> {
    let services = services(protocol)?;
    let mut names = BTreeMap::new();
    let mut uuid_of = BTreeMap::new();
    let mut gatt = serde_json::Map::new();
    for (service, endpoints) in &services {
        let mut characteristics = serde_json::Map::new();
        for (endpoint, uuid) in endpoints {
            characteristics.insert(uuid.clone(), json!(["read", "write", "write-without-response", "notify"]));
            names.insert(uuid.clone(), endpoint.clone());
            uuid_of.insert(endpoint.clone(), uuid.clone());
        }
        gatt.insert(service.clone(), Value::Object(characteristics));
    }
    let uuid = |endpoint: &str| {
        uuid_of.get(endpoint).cloned().ok_or_else(|| format!("{protocol} has no endpoint {endpoint} in the database"))
    };
    let mut reads = serde_json::Map::new();
    for (endpoint, value) in peripheral.reads {
        reads.insert(uuid(endpoint)?, json!(value));
    }
    let mut answers = Vec::new();
    for (written, data, notified, value) in peripheral.answers {
        answers.push(json!({"char": uuid(written)?, "data": data, "notify": uuid(notified)?, "value": value}));
    }
    let mut on_subscribe = serde_json::Map::new();
    for (endpoint, value) in peripheral.on_subscribe {
        on_subscribe.insert(uuid(endpoint)?, json!(value));
    }
    let script = json!({
        "name": peripheral.name,
        "services": gatt,
        "reads": reads,
        "answers": answers,
        "on_subscribe": on_subscribe,
    });
    Ok((script.to_string(), names))
}

/// A private bus with the scripted peripheral on it, and the task that records its writes.
pub struct Bus {
    bus: Arc<FakeBluez>,
    poller: tokio::task::JoinHandle<()>,
}

impl Drop for Bus {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

impl Bus {
    /// Starts a bus in `dir` with the protocol's peripheral, recording its writes into
    /// `recorder`.
    pub async fn start(dir: &Path, protocol: &str, recorder: Recorder) -> Result<Bus, String> {
        let peripheral = peripheral(protocol).ok_or_else(|| format!("{protocol} has no simulated peripheral"))?;
        let (script, names) = script(protocol, &peripheral)?;
        let dir = dir.to_owned();
        // The fixture's helpers panic when the bus or the fake cannot start.
        let bus = tokio::task::spawn_blocking(move || {
            let mut bus = FakeBluez::bus_only(&dir, BUS_UP);
            bus.start_scripted_device(&script);
            bus
        })
        .await
        .map_err(|e| format!("the fake BlueZ did not start: {e}"))?;
        let bus = Arc::new(bus);
        let poller = tokio::spawn(record_writes(bus.clone(), names, recorder));
        Ok(Bus { bus, poller })
    }

    /// `unix:path=...`, for the servers' `DBUS_SYSTEM_BUS_ADDRESS`.
    pub fn address(&self) -> String {
        self.bus.address().to_owned()
    }
}

/// Polls the fake's write log and records each new write as `<endpoint> <hex>`, with
/// ` (with response)` for writes that ask for one.
async fn record_writes(bus: Arc<FakeBluez>, names: BTreeMap<String, String>, recorder: Recorder) {
    let mut seen = 0;
    loop {
        let probe = bus.clone();
        let writes = tokio::task::spawn_blocking(move || {
            probe.try_send(&["--dest=org.bluez", "/", "org.plugboard.FakeBlueZ.Writes"]).map(|_| probe.writes())
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
        for write in writes.iter().skip(seen) {
            recorder.record(describe(write, &names).into_bytes());
        }
        seen = seen.max(writes.len());
        tokio::time::sleep(POLL).await;
    }
}

/// "<uuid> <type> <hex>" from the fixture as "<endpoint> <hex bytes>[ (with response)]".
fn describe(write: &str, names: &BTreeMap<String, String>) -> String {
    let mut parts = write.splitn(3, ' ');
    let (uuid, kind, hex) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let endpoint = names.get(uuid).map(String::as_str).unwrap_or(uuid);
    let bytes: Vec<String> = hex.as_bytes().chunks(2).map(|pair| String::from_utf8_lossy(pair).into_owned()).collect();
    let response = if kind == "request" { " (with response)" } else { "" };
    format!("{endpoint} {}{response}", bytes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every protocol this module drives over BLE (the ones that were "not drivable" over the
    /// device websocket).
    const DRIVEN: &[&str] = &[
        "satisfyer",
        "vibratissimo",
        "monsterpub",
        "sensee-v2",
        "ankni",
        "hismith",
        "hismith-mini",
        "fredorch",
        "honeyplaybox",
        "vibcrafter",
        "vibio",
        "thehandy-v3",
        "lelo-harmony",
        "lelo-f1sv2",
    ];

    #[test]
    fn every_peripheral_scripts_endpoints_its_protocol_has() {
        for protocol in DRIVEN {
            let peripheral = peripheral(protocol).unwrap_or_else(|| panic!("{protocol} has no peripheral"));
            let (script, names) = script(protocol, &peripheral).unwrap_or_else(|e| panic!("{protocol}: {e}"));
            let script: Value = serde_json::from_str(&script).expect("the script is JSON");
            assert!(!names.is_empty(), "{protocol}: no characteristics");
            for key in ["reads", "on_subscribe"] {
                for uuid in script[key].as_object().expect("an object").keys() {
                    assert!(names.contains_key(uuid), "{protocol}: {key} of unknown characteristic {uuid}");
                }
            }
        }
        assert!(peripheral("lovense").is_none(), "protocols that need no answers stay on the device websocket");
    }

    #[test]
    fn a_write_is_described_by_endpoint_bytes_and_write_type() {
        let names = BTreeMap::from([("0000fff2-0000-1000-8000-00805f9b34fb".to_owned(), "tx".to_owned())]);
        assert_eq!(describe("0000fff2-0000-1000-8000-00805f9b34fb command 0a1200", &names), "tx 0a 12 00");
        assert_eq!(describe("0000fff2-0000-1000-8000-00805f9b34fb request 01", &names), "tx 01 (with response)");
        assert_eq!(
            describe("0000aaaa-0000-1000-8000-00805f9b34fb command ff", &names),
            "0000aaaa-0000-1000-8000-00805f9b34fb ff"
        );
    }
}
