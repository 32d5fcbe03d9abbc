//! Fetching one file over HTTP or HTTPS, for the device database update: HTTP/1.1 on hyper,
//! TLS on rustls with the ring provider the engine already builds and the Mozilla root
//! certificates compiled in (webpki-roots), so that it works the same on every OS and needs no
//! system library. Every step has a time limit and the body a size limit: a server that
//! stalls or sends without end cannot hold the caller.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ACCEPT_ENCODING, HOST, LOCATION, USER_AGENT};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// How long a download may take in all, and its parts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connecting, TLS included.
    pub connect: Duration,
    /// From the request to the last byte of the body, per response.
    pub transfer: Duration,
    /// The largest body accepted. The reference database is about 1 MiB.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { connect: Duration::from_secs(10), transfer: Duration::from_secs(60), max_bytes: 32 * 1024 * 1024 }
    }
}

/// Redirects followed before giving up (GitHub's raw files answer without any).
const MAX_REDIRECTS: usize = 5;

/// Why a download failed, in words for the user.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("it is not an http:// or https:// address")]
    NotAnHttpUrl,
    #[error("{host} could not be reached ({message})")]
    Connect { host: String, message: String },
    #[error("{host} did not answer within {seconds} s")]
    TimedOut { host: String, seconds: u64 },
    #[error("the secure connection to {host} failed ({message})")]
    Tls { host: String, message: String },
    #[error("the server answered {0}")]
    Status(StatusCode),
    #[error("the download broke off ({0})")]
    Transfer(String),
    #[error("the file is larger than {} MiB, far more than a device database", .0 / (1024 * 1024))]
    TooLarge(usize),
    #[error("the server redirected more than 5 times")]
    TooManyRedirects,
    #[error("the server redirected from HTTPS to plain HTTP ({0}), which is refused")]
    Downgrade(String),
}

/// The body of a GET of `url`, following redirects.
pub async fn get(url: &str, limits: Limits) -> Result<Vec<u8>, DownloadError> {
    let mut uri: Uri = url.trim().parse().map_err(|_| DownloadError::NotAnHttpUrl)?;
    for _ in 0..=MAX_REDIRECTS {
        let response = request(&uri, limits).await?;
        let status = response.status();
        if status.is_redirection() {
            let next = redirect_target(&uri, &response)?;
            if uri.scheme_str() == Some("https") && next.scheme_str() == Some("http") {
                return Err(DownloadError::Downgrade(next.to_string()));
            }
            uri = next;
            continue;
        }
        if !status.is_success() {
            return Err(DownloadError::Status(status));
        }
        let host = uri.host().unwrap_or_default().to_owned();
        return tokio::time::timeout(limits.transfer, read_body(response, limits.max_bytes))
            .await
            .map_err(|_| DownloadError::TimedOut { host, seconds: limits.transfer.as_secs() })?;
    }
    Err(DownloadError::TooManyRedirects)
}

/// Sends the GET for `uri` on a new connection and waits for the response head.
async fn request(uri: &Uri, limits: Limits) -> Result<Response<Incoming>, DownloadError> {
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(DownloadError::NotAnHttpUrl),
    };
    let authority = uri.authority().ok_or(DownloadError::NotAnHttpUrl)?.clone();
    // An IPv6 literal comes bracketed; the socket wants it bare.
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let timed_out = |limit: Duration| DownloadError::TimedOut { host: host.clone(), seconds: limit.as_secs() };

    let connect = async {
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|error| DownloadError::Connect { host: format!("{host}:{port}"), message: error.to_string() })?;
        if !https {
            return Ok::<Connection, DownloadError>(Connection::Plain(tcp));
        }
        let name = ServerName::try_from(host.clone())
            .map_err(|error| DownloadError::Tls { host: host.clone(), message: error.to_string() })?;
        let tls = tls_connector()
            .connect(name, tcp)
            .await
            .map_err(|error| DownloadError::Tls { host: host.clone(), message: error.to_string() })?;
        Ok(Connection::Tls(Box::new(tls)))
    };
    let connection = tokio::time::timeout(limits.connect, connect).await.map_err(|_| timed_out(limits.connect))??;

    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let request = Request::get(path)
        .header(HOST, authority.as_str())
        .header(USER_AGENT, concat!("Plugboard/", env!("CARGO_PKG_VERSION")))
        .header(ACCEPT_ENCODING, HeaderValue::from_static("identity"))
        .body(Empty::<Bytes>::new())
        .map_err(|_| DownloadError::NotAnHttpUrl)?;
    let send = async {
        match connection {
            Connection::Plain(tcp) => send(tcp, request).await,
            Connection::Tls(tls) => send(*tls, request).await,
        }
    };
    tokio::time::timeout(limits.transfer, send).await.map_err(|_| timed_out(limits.transfer))?
}

enum Connection {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

async fn send<IO>(io: IO, request: Request<Empty<Bytes>>) -> Result<Response<Incoming>, DownloadError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|error| DownloadError::Transfer(error.to_string()))?;
    // Drives the connection until the response body is read or dropped.
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "device database download: connection ended");
        }
    });
    sender.send_request(request).await.map_err(|error| DownloadError::Transfer(error.to_string()))
}

/// Reads the body, refusing one larger than `max_bytes` as soon as it says or shows so.
async fn read_body(response: Response<Incoming>, max_bytes: usize) -> Result<Vec<u8>, DownloadError> {
    let announced = response
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if announced.is_some_and(|length| length > max_bytes) {
        return Err(DownloadError::TooLarge(max_bytes));
    }
    let mut body = response.into_body();
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| DownloadError::Transfer(error.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > max_bytes {
                return Err(DownloadError::TooLarge(max_bytes));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// Where a redirect points, relative locations resolved against `from`.
fn redirect_target(from: &Uri, response: &Response<Incoming>) -> Result<Uri, DownloadError> {
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| DownloadError::Status(response.status()))?;
    let target: Uri = location.parse().map_err(|_| DownloadError::Status(response.status()))?;
    if target.scheme().is_some() {
        return Ok(target);
    }
    let mut parts = target.into_parts();
    parts.scheme = from.scheme().cloned();
    parts.authority = from.authority().cloned();
    Uri::from_parts(parts).map_err(|_| DownloadError::Status(response.status()))
}

/// TLS with the Mozilla roots, HTTP/1.1 offered by ALPN.
fn tls_connector() -> TlsConnector {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions");
    let mut config = builder.with_root_certificates(roots).with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn addresses_that_are_not_http_are_refused_before_connecting() {
        for url in ["ftp://example.com/db.json", "example.com/db.json", "", "not a url"] {
            let error = get(url, Limits::default()).await.unwrap_err();
            assert!(matches!(error, DownloadError::NotAnHttpUrl), "{url}: {error:?}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error_naming_the_host() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = get(&format!("http://127.0.0.1:{port}/db.json"), Limits::default()).await.unwrap_err();
        assert!(matches!(error, DownloadError::Connect { .. }), "{error:?}");
        assert!(error.to_string().contains(&format!("127.0.0.1:{port} could not be reached")), "{error}");
    }

    #[test]
    fn the_tls_configuration_builds_with_roots() {
        assert!(!webpki_roots::TLS_SERVER_ROOTS.is_empty());
        let _ = tls_connector();
    }
}
