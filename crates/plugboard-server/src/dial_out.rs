//! Client mode (`--websocket-client-address`): the engine dials out to a websocket server (an
//! app that hosts the socket itself) and serves the Buttplug protocol over that connection, as
//! it would for a client that connected to it. When the connection drops, or cannot be made,
//! the engine tries again after a pause that doubles up to a ceiling, so an app that restarts
//! finds the engine back within seconds and one that is gone is not hammered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::MaybeTlsStream;

use crate::engine::Shared;
use crate::session;

/// The first pause before dialling again.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest pause between attempts.
const MAX_RETRY: Duration = Duration::from_secs(30);
/// How long one attempt (TCP, TLS and the websocket upgrade) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Dials `url` until the engine stops, serving one Buttplug session per connection.
pub(crate) async fn run(shared: Arc<Shared>, url: String) {
    let mut shutdown = shared.shutdown.clone();
    let mut backoff = Backoff::new();
    loop {
        let request = match url.as_str().into_client_request() {
            Ok(request) => request,
            Err(error) => {
                tracing::error!(%url, %error, "--websocket-client-address is not a websocket URL (example: ws://127.0.0.1:12345); not dialling out");
                return;
            }
        };
        let attempt = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio_tungstenite::connect_async_with_config(request, Some(session::websocket_config(&shared)), false),
        );
        let outcome = tokio::select! {
            _ = crate::raised(&mut shutdown) => return,
            outcome = attempt => outcome,
        };
        match outcome {
            Ok(Ok((socket, _response))) => {
                // Shown as the client's address; unknown (unspecified) over TLS.
                let peer = match socket.get_ref() {
                    MaybeTlsStream::Plain(tcp) => tcp.peer_addr().ok(),
                    _ => None,
                }
                .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
                tracing::info!(%url, %peer, "connected to the websocket server; serving the Buttplug protocol over it");
                backoff.reset();
                session::run_dialled(shared.clone(), socket, peer).await;
                if *shutdown.borrow() {
                    return;
                }
                let pause = backoff.pause();
                tracing::warn!(%url, retry_in = ?pause, "the connection to the websocket server ended; dialling again");
                if sleep_or_stop(pause, &mut shutdown).await {
                    return;
                }
            }
            Ok(Err(error)) => {
                let pause = backoff.pause();
                tracing::warn!(%url, %error, retry_in = ?pause, "cannot reach the websocket server (--websocket-client-address); trying again");
                if sleep_or_stop(pause, &mut shutdown).await {
                    return;
                }
            }
            Err(_) => {
                let pause = backoff.pause();
                tracing::warn!(%url, timeout = ?CONNECT_TIMEOUT, retry_in = ?pause, "the websocket server did not answer in time; trying again");
                if sleep_or_stop(pause, &mut shutdown).await {
                    return;
                }
            }
        }
    }
}

/// Waits `pause`; true when the engine stops meanwhile.
async fn sleep_or_stop(pause: Duration, shutdown: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = crate::raised(shutdown) => true,
        () = tokio::time::sleep(pause) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_the_ceiling_and_starts_over_after_a_connection() {
        let mut backoff = Backoff::new();
        let pauses: Vec<Duration> = (0..9).map(|_| backoff.pause()).collect();
        assert_eq!(pauses[..4], [FIRST_RETRY, FIRST_RETRY * 2, FIRST_RETRY * 4, FIRST_RETRY * 8]);
        assert_eq!(*pauses.last().unwrap(), MAX_RETRY);
        backoff.reset();
        assert_eq!(backoff.pause(), FIRST_RETRY);
    }
}
