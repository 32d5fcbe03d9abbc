//! Client mode (`--websocket-client-address`): the engine dials out to a websocket server (an
//! app that hosts the socket itself) and serves the Buttplug protocol over that connection, as
//! it would for a client that connected to it: the app is one client in the registry, and what
//! it ran stops when the connection ends. When the connection drops, or cannot be made, the
//! engine dials again after a pause that doubles up to a ceiling, so an app that restarts finds
//! the engine back within seconds and one that is gone is not hammered. The engine stopping
//! ends the wait at once.
//!
//! The Origin gate (see [`crate::gate`]) does not apply here: it protects the engine's listeners
//! from web pages a browser opens. A dialled connection is not one a browser opened; it goes to
//! the one address whoever started the engine chose, and that choice is the consent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::WebSocketStream;

use crate::session;
use crate::shared::Shared;

/// The first pause before dialling again.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest pause between attempts.
const MAX_RETRY: Duration = Duration::from_secs(30);
/// How long one attempt (TCP connection and websocket upgrade) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection that stayed up this long worked: the pauses start over after it ends. One
/// that ends sooner (an app that accepts and closes at once) counts as a failed attempt.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

/// A `ws://host:port` address to dial, checked before the engine starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialAddress {
    url: String,
    host: String,
    port: u16,
}

impl DialAddress {
    /// Reads `text`, or says (for the user) why it is not an address the engine can dial.
    pub fn parse(text: &str) -> Result<DialAddress, String> {
        let not_websocket = || {
            format!(
                "'{text}' is not a websocket address to dial (--websocket-client-address): give \
                 ws://HOST:PORT, for example ws://127.0.0.1:12345"
            )
        };
        let uri: Uri = text.trim().parse().map_err(|_| not_websocket())?;
        match uri.scheme_str() {
            Some("ws") => {}
            Some("wss") => {
                return Err(format!(
                    "'{text}' asks for a TLS websocket (wss://), which the engine cannot dial: give \
                     a plain ws:// address, for example ws://127.0.0.1:12345"
                ))
            }
            _ => return Err(not_websocket()),
        }
        let host = uri.host().filter(|host| !host.is_empty()).ok_or_else(not_websocket)?;
        // IPv6 hosts come bracketed; the resolver wants them bare.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        Ok(DialAddress { url: uri.to_string(), host, port: uri.port_u16().unwrap_or(80) })
    }

    /// The address as dialled, such as `ws://127.0.0.1:12345/`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl std::fmt::Display for DialAddress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.url)
    }
}

/// Why one attempt to dial failed.
#[derive(Debug, thiserror::Error)]
enum DialError {
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    #[error("the websocket upgrade failed: {0}")]
    Upgrade(tungstenite::Error),
    #[error("no answer within {} seconds", CONNECT_TIMEOUT.as_secs())]
    TimedOut,
}

/// Pauses between attempts: [`FIRST_RETRY`], doubled after each failure up to [`MAX_RETRY`],
/// back to the start after a connection that worked.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff { next: FIRST_RETRY }
    }

    fn pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(MAX_RETRY);
        pause
    }

    fn reset(&mut self) {
        self.next = FIRST_RETRY;
    }
}

/// Dials `address` until the engine stops, serving one Buttplug session per connection.
pub(crate) async fn run(shared: Arc<Shared>, address: DialAddress) {
    let mut shutdown = shared.shutdown.clone();
    let mut backoff = Backoff::new();
    tracing::info!(url = %address, "client mode: dialling the websocket server to serve the Buttplug protocol over it");
    loop {
        let attempt = tokio::select! {
            _ = crate::raised(&mut shutdown) => return,
            attempt = dial(&shared, &address) => attempt,
        };
        match attempt {
            Ok((socket, peer)) => {
                tracing::info!(url = %address, %peer, "connected to the websocket server; serving the Buttplug protocol over it");
                let connected = Instant::now();
                session::run_dialled(shared.clone(), socket, peer).await;
                if *shutdown.borrow() {
                    return;
                }
                if connected.elapsed() >= STABLE_CONNECTION {
                    backoff.reset();
                }
                let pause = backoff.pause();
                tracing::warn!(
                    url = %address,
                    retry_in = ?pause,
                    "the connection to the websocket server ended (what it ran is stopped); dialling again"
                );
                if sleep_or_stop(pause, &mut shutdown).await {
                    return;
                }
            }
            Err(error) => {
                let pause = backoff.pause();
                tracing::warn!(
                    url = %address,
                    %error,
                    retry_in = ?pause,
                    "cannot reach the websocket server (--websocket-client-address); dialling again"
                );
                if sleep_or_stop(pause, &mut shutdown).await {
                    return;
                }
            }
        }
    }
}

/// One attempt: the TCP connection, then the websocket upgrade, within [`CONNECT_TIMEOUT`].
/// The websocket and the server's address.
async fn dial(shared: &Shared, address: &DialAddress) -> Result<(WebSocketStream<TcpStream>, SocketAddr), DialError> {
    let attempt = async {
        let stream = TcpStream::connect((address.host.as_str(), address.port)).await.map_err(DialError::Connect)?;
        // Commands go out at once, as on accepted connections.
        let _ = stream.set_nodelay(true);
        let peer = stream.peer_addr().map_err(DialError::Connect)?;
        let config = Some(session::websocket_config(shared));
        let (socket, _response) = tokio_tungstenite::client_async_with_config(address.url.as_str(), stream, config)
            .await
            .map_err(DialError::Upgrade)?;
        Ok((socket, peer))
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt).await.unwrap_or(Err(DialError::TimedOut))
}

/// Waits `pause`; true when the engine stops meanwhile.
async fn sleep_or_stop(pause: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = crate::raised(shutdown) => true,
        () = tokio::time::sleep(pause) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_the_ceiling_and_starts_over_after_a_connection_that_worked() {
        let mut backoff = Backoff::new();
        let pauses: Vec<Duration> = (0..9).map(|_| backoff.pause()).collect();
        assert_eq!(pauses[..4], [FIRST_RETRY, FIRST_RETRY * 2, FIRST_RETRY * 4, FIRST_RETRY * 8]);
        assert_eq!(*pauses.last().unwrap(), MAX_RETRY);
        backoff.reset();
        assert_eq!(backoff.pause(), FIRST_RETRY);
    }

    #[test]
    fn a_ws_address_is_read_with_its_host_and_port() {
        let address = DialAddress::parse("ws://127.0.0.1:12345").unwrap();
        assert_eq!((address.host.as_str(), address.port), ("127.0.0.1", 12345));
        assert_eq!(address.url(), "ws://127.0.0.1:12345/");
        let address = DialAddress::parse("ws://[::1]:4000/buttplug").unwrap();
        assert_eq!((address.host.as_str(), address.port), ("::1", 4000));
        assert_eq!(address.url(), "ws://[::1]:4000/buttplug");
        assert_eq!(DialAddress::parse("ws://app.local").unwrap().port, 80);
    }

    #[test]
    fn what_cannot_be_dialled_is_refused_with_the_form_to_give() {
        for text in ["127.0.0.1:12345", "http://127.0.0.1:12345", "ws://", "not a url", ""] {
            let error = DialAddress::parse(text).unwrap_err();
            assert!(error.contains("ws://HOST:PORT"), "{text}: {error}");
        }
        let error = DialAddress::parse("wss://app.example:443").unwrap_err();
        assert!(error.contains("wss://") && error.contains("plain ws://"), "{error}");
    }
}
