//! mDNS (DNS-SD) advertisement of the websocket server, so that apps which look for Intiface on
//! the local network find Plugboard: the service type, the instance-name pattern and the TXT
//! record are the ones intiface-engine announces (`--broadcast-server-mdns`, `--mdns-suffix`).
//!
//! Only the addresses the server listens on are announced. A server on loopback only cannot be
//! reached from another machine, so announcing it would only send people to a closed door:
//! [`advertise`] then says so and announces nothing.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};

use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};

/// The DNS-SD service type apps that look for Intiface browse for.
pub const SERVICE_TYPE: &str = "_intiface_engine._tcp";

/// The websocket path, in the TXT record: clients connect to `ws://host:port/`.
pub const TXT_PATH: (&str, &str) = ("path", "/");

/// How many random letters and digits follow "Intiface" in the instance name, so that two
/// engines on one network do not announce the same name.
const RANDOM_LEN: usize = 6;

/// The announced instance name: `Intiface XXXXXX`, or `Intiface XXXXXX SUFFIX` with a suffix
/// that is not blank (the pattern apps that list Intiface servers show).
pub fn instance_name(random: &str, suffix: Option<&str>) -> String {
    match suffix.map(str::trim).filter(|suffix| !suffix.is_empty()) {
        Some(suffix) => format!("Intiface {random} {suffix}"),
        None => format!("Intiface {random}"),
    }
}

/// Letters and digits, different in each run (seeded by the standard library's per-process
/// random hash keys; a name needs no cryptographic randomness).
fn random_alphanumeric(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bits = RandomState::new().hash_one(std::process::id());
    (0..len)
        .map(|_| {
            let letter = ALPHABET[(bits % ALPHABET.len() as u64) as usize] as char;
            bits /= ALPHABET.len() as u64;
            letter
        })
        .collect()
}

/// Why nothing is announced.
#[derive(Debug, thiserror::Error)]
pub enum MdnsError {
    #[error(
        "mDNS is on, but the server listens on this machine only ({0}), which no other device can \
         reach, so nothing is announced; add --websocket-use-all-interfaces or \
         --websocket-listen-address with this machine's network address to announce it"
    )]
    LoopbackOnly(String),
    #[error("the mDNS responder could not start ({0}); the server runs without being announced")]
    Responder(#[from] mdns_sd::Error),
}

/// How long dropping an announcement waits for its goodbye packet to be sent.
const GOODBYE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// A running announcement; dropping it withdraws the service (a goodbye packet) and stops the
/// responder.
pub struct MdnsAdvertisement {
    daemon: ServiceDaemon,
    fullname: String,
    instance_name: String,
}

impl MdnsAdvertisement {
    /// The instance name as announced, e.g. `Intiface a1B2c3 living room`.
    pub fn instance_name(&self) -> &str {
        &self.instance_name
    }
}

impl Drop for MdnsAdvertisement {
    fn drop(&mut self) {
        // The goodbye packet goes out from the responder's own thread: wait (briefly) until it
        // has, or a shutdown queued right behind it can stop the thread first and the service
        // stays listed on the network until its records expire.
        if let Ok(status) = self.daemon.unregister(&self.fullname) {
            let _ = status.recv_timeout(GOODBYE_WAIT);
        }
        let _ = self.daemon.shutdown();
    }
}

/// Announces the websocket server listening on `listening` (its bound addresses, all on one
/// port) as [`SERVICE_TYPE`], with `suffix` appended to the instance name. Wildcard addresses
/// announce every non-loopback interface (following address changes); specific addresses
/// announce those addresses on their interfaces only.
pub fn advertise(listening: &[SocketAddr], suffix: Option<&str>) -> Result<MdnsAdvertisement, MdnsError> {
    let reachable: Vec<SocketAddr> = listening.iter().copied().filter(|address| !address.ip().is_loopback()).collect();
    let Some(port) = reachable.first().map(SocketAddr::port) else {
        let addresses: Vec<String> = listening.iter().map(SocketAddr::to_string).collect();
        return Err(MdnsError::LoopbackOnly(addresses.join(", ")));
    };
    let wildcard = reachable.iter().any(|address| address.ip().is_unspecified());
    let specific: Vec<IpAddr> = reachable.iter().map(SocketAddr::ip).filter(|ip| !ip.is_unspecified()).collect();

    let random = random_alphanumeric(RANDOM_LEN);
    let instance_name = instance_name(&random, suffix);
    // A host name of our own rather than the machine's: it needs only to be unique on the link.
    let host_name = format!("plugboard-{}.local.", random.to_ascii_lowercase());
    let service_type = format!("{SERVICE_TYPE}.local.");
    let properties = [TXT_PATH];

    let daemon = ServiceDaemon::new()?;
    // The responder answers on loopback too unless told otherwise, and no other machine can
    // use a loopback address.
    daemon.disable_interface(vec![IfKind::LoopbackV4, IfKind::LoopbackV6])?;
    let service = if wildcard {
        ServiceInfo::new(&service_type, &instance_name, &host_name, "", port, &properties[..])?.enable_addr_auto()
    } else {
        let mut service =
            ServiceInfo::new(&service_type, &instance_name, &host_name, &specific[..], port, &properties[..])?;
        service.set_interfaces(specific.iter().map(|ip| IfKind::Addr(*ip)).collect());
        service
    };
    let fullname = service.get_fullname().to_owned();
    daemon.register(service)?;
    tracing::info!(%instance_name, service_type = SERVICE_TYPE, port, "announcing the server over mDNS");
    Ok(MdnsAdvertisement { daemon, fullname, instance_name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_name_follows_intifaces_pattern() {
        assert_eq!(instance_name("Ab12Cd", None), "Intiface Ab12Cd");
        assert_eq!(instance_name("Ab12Cd", Some("  ")), "Intiface Ab12Cd");
        assert_eq!(instance_name("Ab12Cd", Some("living room")), "Intiface Ab12Cd living room");
    }

    #[test]
    fn the_random_part_is_six_letters_or_digits() {
        let random = random_alphanumeric(RANDOM_LEN);
        assert_eq!(random.len(), 6);
        assert!(random.chars().all(|c| c.is_ascii_alphanumeric()), "{random}");
    }

    #[test]
    fn loopback_only_announces_nothing_and_says_what_to_do() {
        let error = advertise(&["127.0.0.1:12345".parse().unwrap(), "[::1]:12345".parse().unwrap()], None)
            .err()
            .expect("nothing to announce");
        assert!(matches!(error, MdnsError::LoopbackOnly(_)));
        let text = error.to_string();
        assert!(text.contains("127.0.0.1:12345") && text.contains("--websocket-use-all-interfaces"), "{text}");
    }
}
