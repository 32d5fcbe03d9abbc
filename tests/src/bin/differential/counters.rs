//! Rolling counters in packets: compared apart from the rest of the bytes.
//!
//! Some devices want a counter in every packet that moves on with each one, keepalive frames
//! included (a Honey Play Box's frame counter, a Umove's packet id). How many keepalive frames
//! go out depends on timing: the reference engine looks every 100 ms whether its keepalive is
//! due, Plugboard writes at exactly the period, and a keepalive that falls due just as the next
//! command arrives goes out on one server and not on the other. One keepalive frame more or
//! less shifts every later counter by one, and a plain byte comparison would then report every
//! later packet as different although both servers number their frames the same way. So the
//! comparison shows a counter's bytes as `##` (a keepalive frame then equals the frame it
//! repeats, and is left out like any keepalive repeat), and checks the counters apart: in
//! Plugboard's recording they must move on with every frame.

use crate::device::show;

/// Where a protocol's packets carry a counter.
pub struct Counter {
    protocol: &'static str,
    /// The counter's byte range in a packet, or `None` for packets without one. Little- or
    /// big-endian does not matter for masking; [`Counter::value`] reads it little-endian.
    bytes: fn(&[u8]) -> Option<std::ops::Range<usize>>,
}

const COUNTERS: &[Counter] = &[
    // Every frame: `02 a5 5a 55 aa f0`, then the one-byte frame counter.
    Counter {
        protocol: "honeyplaybox",
        bytes: |packet| packet.starts_with(&[0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0]).then_some(6..7),
    },
    // The state frame, `5a a5 55 00` …: a u32 little-endian packet id at bytes 8 to 11. The heat
    // frame (`5a a5 55 06` …) has none.
    Counter {
        protocol: "umove",
        bytes: |packet| (packet.len() == 16 && packet.starts_with(&[0x5a, 0xa5, 0x55, 0x00])).then_some(8..12),
    },
];

impl Counter {
    /// The protocol's counter, if its packets carry one.
    pub fn of(protocol: &str) -> Option<&'static Counter> {
        COUNTERS.iter().find(|counter| counter.protocol == protocol)
    }

    /// A write as compared: as [`show`] prints it, with the counter's bytes as `##`.
    pub fn masked(&self, write: &[u8]) -> String {
        match Packet::read(write) {
            Some(packet) => match (self.bytes)(&packet.data) {
                Some(range) => {
                    let hex: Vec<String> = packet
                        .data
                        .iter()
                        .enumerate()
                        .map(|(i, b)| if range.contains(&i) { "##".to_owned() } else { format!("{b:02x}") })
                        .collect();
                    format!("{}{}{}", packet.prefix, hex.join(" "), packet.suffix)
                }
                None => show(write),
            },
            None => show(write),
        }
    }

    /// The counter's value in a write, if it has one.
    pub fn value(&self, write: &[u8]) -> Option<u64> {
        let packet = Packet::read(write)?;
        let range = (self.bytes)(&packet.data)?;
        let bytes = packet.data.get(range)?;
        Some(bytes.iter().rev().fold(0u64, |value, &b| value << 8 | u64::from(b)))
    }

    /// The counter's width in bits.
    fn bits(&self, write: &[u8]) -> Option<u32> {
        let packet = Packet::read(write)?;
        (self.bytes)(&packet.data).map(|range| range.len() as u32 * 8)
    }

    /// Whether every counter in `writes` is one more than the one before it, or further on
    /// (a packet that carries no counter is skipped; a counter may wrap). A repeat of an old
    /// counter or a step back is a Plugboard bug: the device would take the frame for one it
    /// has seen. Returns the first pair that does not move on.
    pub fn first_step_back<'a>(&self, writes: impl IntoIterator<Item = &'a [u8]>) -> Option<(u64, u64)> {
        let mut previous: Option<u64> = None;
        for write in writes {
            let (Some(value), Some(bits)) = (self.value(write), self.bits(write)) else { continue };
            if let Some(before) = previous {
                let modulus = 1u128 << bits;
                let ahead = (u128::from(value) + modulus - u128::from(before)) % modulus;
                if ahead == 0 || ahead >= modulus / 2 {
                    return Some((before, value));
                }
            }
            previous = Some(value);
        }
        None
    }
}

/// A recorded write, split into the packet's bytes and what the recording adds around them.
struct Packet {
    /// `tx ` for a Bluetooth LE write, else empty.
    prefix: String,
    data: Vec<u8>,
    /// ` (with response)` for a Bluetooth LE write that asked for one, else empty.
    suffix: &'static str,
}

impl Packet {
    /// A device-websocket write is the packet itself; a Bluetooth LE write is recorded as text,
    /// `<endpoint> <hex bytes>[ (with response)]` (see `ble.rs`).
    fn read(write: &[u8]) -> Option<Packet> {
        let Ok(text) = std::str::from_utf8(write) else {
            return Some(Packet { prefix: String::new(), data: write.to_vec(), suffix: "" });
        };
        let (body, suffix) = match text.strip_suffix(" (with response)") {
            Some(body) => (body, " (with response)"),
            None => (text, ""),
        };
        let mut words = body.split(' ');
        let endpoint = words.next()?;
        let data: Option<Vec<u8>> = words.map(|word| u8::from_str_radix(word, 16).ok()).collect();
        match data {
            Some(data) if !data.is_empty() && !endpoint.is_empty() => {
                Some(Packet { prefix: format!("{endpoint} "), data, suffix })
            }
            // Text that is no BLE record: a packet of printable bytes (a Lovense command).
            _ => Some(Packet { prefix: String::new(), data: write.to_vec(), suffix: "" }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_counter_over_either_transport() {
        let umove = Counter::of("umove").unwrap();
        let frame = [0x5a, 0xa5, 0x55, 0x00, 0x88, 0x13, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00];
        assert_eq!(umove.masked(&frame), "5a a5 55 00 88 13 01 00 ## ## ## ## 3c 00 00 00");
        assert_eq!(umove.value(&frame), Some(7));
        let heat = [0x5a, 0xa5, 0x55, 0x06, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x28, 0xff];
        assert_eq!(umove.masked(&heat), show(&heat), "the heat frame has no counter");
        assert_eq!(umove.value(&heat), None);

        let hpb = Counter::of("honeyplaybox").unwrap();
        let write = b"tx 02 a5 5a 55 aa f0 03 b1 03 00 02 00 10 03 36 86 (with response)";
        assert_eq!(hpb.masked(write), "tx 02 a5 5a 55 aa f0 ## b1 03 00 02 00 10 03 36 86 (with response)");
        assert_eq!(hpb.value(write), Some(3));
        assert!(Counter::of("lovense").is_none());
    }

    #[test]
    fn counters_must_move_on() {
        let hpb = Counter::of("honeyplaybox").unwrap();
        let frame = |counter: u8| format!("tx 02 a5 5a 55 aa f0 {counter:02x} b1 01 00 02 00 10 03 36 86").into_bytes();
        let run = |counters: &[u8]| {
            let writes: Vec<Vec<u8>> = counters.iter().map(|&c| frame(c)).collect();
            hpb.first_step_back(writes.iter().map(Vec::as_slice))
        };
        assert_eq!(run(&[0, 2, 3, 4, 6]), None, "gaps are frames the comparison left out");
        assert_eq!(run(&[254, 255, 0, 1]), None, "the counter wraps");
        assert_eq!(run(&[2, 3, 3]), Some((3, 3)), "the same counter twice");
        assert_eq!(run(&[5, 4]), Some((5, 4)));
    }
}
