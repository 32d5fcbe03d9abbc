//! Binding the websocket port and accepting connections.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::error::StartError;
use crate::session;
use crate::shared::Shared;

/// Binds every address. The first must succeed; later ones that do not exist on this
/// machine (no IPv6) are skipped. Port 0 on the first address picks a free port that the
/// others then share, so one URL works for all of them.
pub(crate) async fn bind(addresses: &[SocketAddr]) -> Result<Vec<TcpListener>, StartError> {
    let (first, rest) = addresses.split_first().ok_or(StartError::NoAddress)?;
    if let Some(warning) = exposure_warning(addresses) {
        tracing::warn!("{warning}");
    }
    let listener = bind_one(*first).await?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(first.port());
    let mut listeners = vec![listener];
    for address in rest {
        let address = if address.port() == 0 { SocketAddr::new(address.ip(), port) } else { *address };
        match bind_one(address).await {
            Ok(listener) => listeners.push(listener),
            Err(StartError::Bind { source, .. })
                if matches!(source.kind(), ErrorKind::AddrNotAvailable | ErrorKind::Unsupported)
                    || source.raw_os_error() == Some(97) =>
            {
                tracing::warn!(%address, "address not available on this machine; not listening there");
            }
            Err(error) => return Err(error),
        }
    }
    Ok(listeners)
}

/// The warning for listening beyond this machine, if any address is not a loopback one.
pub(crate) fn exposure_warning(addresses: &[SocketAddr]) -> Option<String> {
    let exposed: Vec<String> =
        addresses.iter().filter(|address| !address.ip().is_loopback()).map(ToString::to_string).collect();
    (!exposed.is_empty()).then(|| {
        format!(
            "listening on {}: other machines on your network can reach this server and, once \
             allowed, control your devices; leave out --websocket-use-all-interfaces (or the \
             app's setting) to keep it on this machine",
            exposed.join(", ")
        )
    })
}

async fn bind_one(address: SocketAddr) -> Result<TcpListener, StartError> {
    use socket2::{Domain, Protocol, Socket, Type};
    let bind_error = |source| StartError::Bind { address, source };
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP)).map_err(bind_error)?;
    // Let a restarted engine take its port back at once, as every server does.
    let _ = socket.set_reuse_address(true);
    if address.is_ipv6() {
        // [::] must not also claim IPv4, which has its own listener.
        let _ = socket.set_only_v6(true);
    }
    socket.set_nonblocking(true).map_err(bind_error)?;
    socket.bind(&address.into()).map_err(|source| {
        if source.kind() == ErrorKind::AddrInUse {
            StartError::PortInUse {
                address: address.ip(),
                port: address.port(),
                suggestion: address.port().checked_add(1).unwrap_or(12346),
            }
        } else {
            bind_error(source)
        }
    })?;
    socket.listen(1024).map_err(bind_error)?;
    TcpListener::from_std(socket.into()).map_err(bind_error)
}

/// Accepts connections until the engine stops; one session task per connection.
pub(crate) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let mut shutdown = shared.shutdown.clone();
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    sessions.spawn(session::run(shared.clone(), stream, peer));
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait a little, do not spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            _ = crate::raised(&mut shutdown) => break,
        }
    }
    drop(listener);
    // Sessions see the same shutdown signal; wait for them to close their sockets.
    while sessions.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_beyond_loopback_is_warned_about() {
        let loopback: Vec<SocketAddr> = vec!["127.0.0.1:12345".parse().unwrap(), "[::1]:12345".parse().unwrap()];
        assert_eq!(exposure_warning(&loopback), None);
        let all: Vec<SocketAddr> = vec!["0.0.0.0:12345".parse().unwrap(), "[::]:12345".parse().unwrap()];
        let warning = exposure_warning(&all).unwrap();
        assert!(warning.contains("0.0.0.0:12345") && warning.contains("[::]:12345"), "{warning}");
        assert!(warning.contains("--websocket-use-all-interfaces"), "{warning}");
    }
}
