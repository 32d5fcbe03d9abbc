//! A simulated device's answers over standard input and output, for harnesses in other
//! languages (a fake BlueZ peripheral, for one) that stand in for a device whose protocol
//! expects answers: `plugboard_devices::protocols::simulated_devices::for_protocol`, one line per event.
//!
//! ```text
//! cargo run -p plugboard-devices --features testing --example simulated_device -- fluffer
//! > write tx 49b06c7b3f663093fa772f54ba9fd18d
//! < notify rx fb146304205c5479bb6ba6c969fdaa96
//! < done
//! > read generic0
//! < none
//! < done
//! > subscribe rxblebattery
//! < done
//! ```
//!
//! Requests: `write <endpoint> <hex>`, `read <endpoint>`, `subscribe <endpoint>`. Answers: any
//! number of `notify <endpoint> <hex>` lines (a read: one `value <hex>` or `none`), then
//! `done`. Endpoints are the device database's names (`tx`, `rx`, `generic0`, ...). A request
//! that does not parse gets `error <what>` and `done`.

use std::io::{BufRead, Write};

use plugboard_devices::hardware::Endpoint;
use plugboard_devices::protocols::simulated_devices;
use plugboard_devices::testing::SimulatedDevice;

fn main() {
    let protocol = std::env::args().nth(1).unwrap_or_default();
    let Some(device) = simulated_devices::for_protocol(&protocol) else {
        eprintln!("no simulated device for the protocol {protocol:?}");
        std::process::exit(2);
    };
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut out = stdout.lock();
        for answer in answer(&*device, &line) {
            let _ = writeln!(out, "{answer}");
        }
        let _ = writeln!(out, "done");
        let _ = out.flush();
    }
}

fn answer(device: &dyn SimulatedDevice, line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let endpoint = |word: Option<&&str>| word.and_then(|name| name.parse::<Endpoint>().ok());
    let notifications = |list: Vec<(Endpoint, Vec<u8>)>| -> Vec<String> {
        list.into_iter().map(|(endpoint, bytes)| format!("notify {endpoint} {}", hex(&bytes))).collect()
    };
    match (words.first().copied(), endpoint(words.get(1))) {
        (Some("write"), Some(at)) => match words.get(2).map(|text| unhex(text)) {
            Some(Some(data)) => notifications(device.on_write(at, &data)),
            _ => vec!["error the data is not hex".into()],
        },
        (Some("read"), Some(at)) => {
            vec![device.on_read(at).map_or_else(|| "none".to_owned(), |bytes| format!("value {}", hex(&bytes)))]
        }
        (Some("subscribe"), Some(at)) => notifications(device.on_subscribe(at)),
        _ => vec![format!("error not a request: {line:?}")],
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}
