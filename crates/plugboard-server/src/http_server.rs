//! The HTTP/1.1 accept loop shared by the engine's optional HTTP listeners: the REST API and the
//! Lovense API (plain and, for the latter, TLS). Each listener brings its own axum router; this
//! module accepts connections, tells each request where it came from ([`Peer`]), bounds how
//! long a client may take to speak, and shuts connections down when the engine stops
//! (docs/architecture.md, "Every way a command arrives").

use std::net::SocketAddr;
use std::time::Duration;

use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to send its request headers, or to finish the TLS handshake.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an open connection gets to finish when the engine stops: an answer under way is
/// sent, and an event stream sends its last event (`server-stopped`).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The address a request comes from, in every request's extensions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Peer(pub SocketAddr);

/// One HTTP listener: which API it serves (for the log), and TLS when it speaks HTTPS.
pub(crate) struct HttpListener {
    pub name: &'static str,
    pub listener: TcpListener,
    pub tls: Option<TlsAcceptor>,
}

impl HttpListener {
    /// Accepts connections until the engine stops, then gives each open connection
    /// [`SHUTDOWN_GRACE`] to finish.
    pub async fn serve(self, router: Router, mut shutdown: watch::Receiver<bool>) {
        let HttpListener { name, listener, tls } = self;
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        // Answers are small and awaited one by one: Nagle's delay would only add latency.
                        let _ = stream.set_nodelay(true);
                        let service = TowerToHyperService::new(router.clone().layer(Extension(Peer(peer))));
                        connections.spawn(serve_stream(name, stream, peer, tls.clone(), service, shutdown.clone()));
                    }
                    Err(error) => {
                        // Out of file descriptors, typically: wait a little instead of spinning.
                        tracing::warn!(%error, "{name}: accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = crate::raised(&mut shutdown) => break,
            }
        }
        // Each connection ends within its grace period (see `serve_connection`).
        while connections.join_next().await.is_some() {}
    }
}

/// One accepted connection: its TLS handshake first when the listener speaks HTTPS.
async fn serve_stream(
    name: &'static str,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    service: TowerToHyperService<Router>,
    shutdown: watch::Receiver<bool>,
) {
    let Some(acceptor) = tls else {
        return serve_connection(name, stream, service, shutdown).await;
    };
    match tokio::time::timeout(CLIENT_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_connection(name, stream, service, shutdown).await,
        Ok(Err(error)) => tracing::debug!(%peer, %error, "{name}: TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "{name}: TLS handshake timed out"),
    }
}

/// One connection, until the client closes it or the engine stops. Then it is shut down
/// gracefully; a client that does not let go is cut off after [`SHUTDOWN_GRACE`].
async fn serve_connection<S>(
    name: &'static str,
    stream: S,
    service: TowerToHyperService<Router>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(CLIENT_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = crate::raised(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            tokio::time::timeout(SHUTDOWN_GRACE, connection.as_mut()).await.unwrap_or(Ok(()))
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "{name}: connection ended with an error");
    }
}
