//! Who holds a port, and the next free one: for the "port in use" message.
//! Linux: the listening socket's inode from /proc/net/tcp{,6}, then the process whose
//! /proc/<pid>/fd links to it. Elsewhere (or without permission) the holder is unknown.

use std::net::{Ipv4Addr, Ipv6Addr, TcpListener};

/// Inodes of sockets listening on `port` in a /proc/net/tcp-style table.
pub fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let local = fields.get(1)?;
            let state = fields.get(3)?;
            let inode = fields.get(9)?.parse::<u64>().ok()?;
            let local_port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            (local_port == port && *state == "0A" && inode != 0).then_some(inode)
        })
        .collect()
}

/// "name (pid N)" of the process listening on `port`, when it can be found.
pub fn holder(port: u16) -> Option<String> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(table) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let targets: Vec<String> = inodes.iter().map(|inode| format!("socket:[{inode}]")).collect();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path()) {
                if targets.iter().any(|t| link.as_os_str() == t.as_str()) {
                    let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                    let comm = comm.trim();
                    return Some(if comm.is_empty() { format!("pid {pid}") } else { format!("{comm} (pid {pid})") });
                }
            }
        }
    }
    None
}

/// The first port after `port` that can be bound on IPv4 loopback (and IPv6 loopback when
/// the machine has it).
pub fn next_free(port: u16) -> Option<u16> {
    (port.saturating_add(1)..=u16::MAX).take(200).find(|&candidate| {
        TcpListener::bind((Ipv4Addr::LOCALHOST, candidate)).is_ok()
            && match TcpListener::bind((Ipv6Addr::LOCALHOST, candidate)) {
                Ok(_) => true,
                Err(error) => error.kind() == std::io::ErrorKind::AddrNotAvailable,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:3039 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:3039 0100007F:A000 01 00000000:00000000 00:00000000 00000000  1000        0 999 1 0000000000000000 100 0 0 10 0
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn finds_only_listening_sockets_on_the_port() {
        assert_eq!(listening_inodes(TABLE, 12345), vec![123456]);
        assert_eq!(listening_inodes(TABLE, 22), vec![777]);
        assert!(listening_inodes(TABLE, 80).is_empty());
    }

    #[test]
    fn names_this_process_as_the_holder_and_finds_a_free_port() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        if std::path::Path::new("/proc/net/tcp").exists() {
            let holder = holder(port).expect("our own listener is found");
            assert!(holder.contains(&format!("pid {}", std::process::id())), "{holder}");
        }
        let next = next_free(port).unwrap();
        assert!(next > port);
    }
}
