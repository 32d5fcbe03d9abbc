//! The Lovense API over HTTP and HTTPS: `POST /command` and the older GET endpoints, on the
//! websocket's addresses (loopback unless the user chose every interface) at the API's own
//! ports. Every answer is HTTP 200 with the outcome in the JSON `code`, as Lovense Remote
//! answers; only a refused web page (403), an oversized body (413) and a wrong method (405)
//! get another status.
//!
//! Every request passes the Origin gate first: a web page may not drive toys unless its
//! Origin is approved, and only approved pages get the CORS headers browsers need.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::gate::http::{HttpDecision, Surface};
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Json, Router};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::answer::ApiError;
use super::apps::{Apps, UNNAMED_APP};
use super::certificate;
use super::request::{self, Command};
use super::service::Service;
use crate::error::StartError;
use crate::http_server::{HttpListener, Peer};
use crate::shared::Shared;

/// The largest request body read; a command is a few hundred bytes, a PatternV2 script more.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The running API, as the engine holds it.
pub struct LovenseApi {
    apps: Arc<Apps>,
    http: Vec<SocketAddr>,
    https: Vec<SocketAddr>,
    certificate: Option<PathBuf>,
}

impl LovenseApi {
    /// The addresses the API listens on over HTTP.
    pub fn http_addresses(&self) -> &[SocketAddr] {
        &self.http
    }

    /// The addresses it listens on over HTTPS (none when HTTPS is off).
    pub fn https_addresses(&self) -> &[SocketAddr] {
        &self.https
    }

    /// The certificate HTTPS serves (PEM), for users and tests that tell a client to trust it.
    pub fn certificate_path(&self) -> Option<&PathBuf> {
        self.certificate.as_ref()
    }

    /// The user's STOP ALL: ends every app's programs.
    pub fn stop_programs(&self) {
        self.apps.stop_programs();
    }
}

/// What every request handler shares.
struct Api {
    shared: Arc<Shared>,
    apps: Arc<Apps>,
    service: Service,
}

/// Binds the API's ports and serves until the engine stops; `None` when the API is off.
pub(crate) async fn start(shared: &Arc<Shared>, tasks: &mut JoinSet<()>) -> Result<Option<LovenseApi>, StartError> {
    let options = &shared.config.lovense_api;
    if !options.enabled {
        return Ok(None);
    }
    let tls = match options.https_port {
        Some(_) => {
            let dir = options
                .certificate_dir
                .clone()
                .or_else(crate::paths::default_config_dir)
                .ok_or_else(|| StartError::LovenseCertificate("this system has no config directory".to_owned()))?;
            let config = certificate::server_config(&dir).map_err(StartError::LovenseCertificate)?;
            Some((TlsAcceptor::from(config), certificate::certificate_path(&dir)))
        }
        None => None,
    };
    let http_listeners = bind(shared, options.port, "--lovense-api-port").await?;
    let https_listeners = match (&tls, options.https_port) {
        (Some(_), Some(port)) => bind(shared, port, "--lovense-api-https-port").await?,
        _ => Vec::new(),
    };
    let local = |listeners: &[TcpListener]| listeners.iter().filter_map(|l| l.local_addr().ok()).collect::<Vec<_>>();
    let (http, https) = (local(&http_listeners), local(&https_listeners));

    let apps = Apps::new(Arc::clone(shared));
    let api = Arc::new(Api {
        shared: Arc::clone(shared),
        apps: Arc::clone(&apps),
        service: Service::new(Arc::clone(&shared.devices)),
    });
    let router = router(api);
    for listener in http_listeners {
        let listener = HttpListener { name: "Lovense API", listener, tls: None };
        tasks.spawn(listener.serve(router.clone(), shared.shutdown.clone()));
    }
    for listener in https_listeners {
        let tls = tls.as_ref().map(|(acceptor, _)| acceptor.clone());
        let listener = HttpListener { name: "Lovense API (HTTPS)", listener, tls };
        tasks.spawn(listener.serve(router.clone(), shared.shutdown.clone()));
    }
    tasks.spawn(Arc::clone(&apps).sweep());
    for address in &http {
        tracing::info!(url = %format!("http://{address}"), "Lovense API listening");
    }
    for address in &https {
        tracing::info!(url = %format!("https://{address}"), "Lovense API listening (self-signed certificate)");
    }
    Ok(Some(LovenseApi { apps, http, https, certificate: tls.map(|(_, path)| path) }))
}

/// Binds `port` on the websocket's addresses; a port in use names the flag that changes it.
async fn bind(shared: &Shared, port: u16, flag: &'static str) -> Result<Vec<TcpListener>, StartError> {
    let addresses: Vec<SocketAddr> =
        shared.config.listen.iter().map(|address| SocketAddr::new(address.ip(), port)).collect();
    crate::listener::bind(&addresses).await.map_err(|error| match error {
        StartError::PortInUse { address, port, suggestion } => {
            StartError::LovensePortInUse { address, port, flag, suggestion }
        }
        other => other,
    })
}

fn router(api: Arc<Api>) -> Router {
    Router::new().route("/command", any(command)).fallback(older_endpoint).with_state(api)
}

/// The Origin gate of every door a browser can reach (`crate::gate::http`), asked before
/// anything runs: a web page the user has not approved gets 403 (and the window asks the user
/// about it), a preflight is answered for approved pages only, and approved pages get the CORS
/// headers that let them read the answers.
///
/// Each handler asks it first, rather than a middleware layer: a layer boxed the routed
/// service and its future again for every request, on the path of every game's command
/// (docs/performance.md, issue 18).
fn origin_gate(api: &Api, method: &Method, headers: &HeaderMap) -> HttpDecision {
    let surface = Surface {
        name: "the Lovense API",
        all_interfaces: api.shared.config.listen.iter().any(|address| address.ip().is_unspecified()),
        lovense_host_names: true,
    };
    let shared = &api.shared;
    crate::gate::http::check(&shared.gate, &surface, method, headers, |origin| {
        tracing::warn!(origin, "a web page wants to use the Lovense API; asking the user");
        shared.emit(crate::events::EngineEvent::WebPagesChanged);
    })
}

/// `answer` with the headers the Origin gate gave.
fn with_headers(gate_headers: HeaderMap, answer: impl IntoResponse) -> Response {
    let mut response = answer.into_response();
    response.headers_mut().extend(gate_headers);
    response
}

/// `POST /command` with a JSON body; another method is refused (405).
async fn command(
    State(api): State<Arc<Api>>,
    Extension(Peer(peer)): Extension<Peer>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let gate_headers = match origin_gate(&api, &method, &headers) {
        HttpDecision::Proceed(gate_headers) => gate_headers,
        HttpDecision::Answer(answer) => return answer.map(Body::from).into_response(),
    };
    if method != Method::POST {
        let error = ApiError::invalid_command(format!(
            "{method} /command is not part of the Lovense API: send POST /command with a JSON body."
        ));
        return with_headers(gate_headers, (StatusCode::METHOD_NOT_ALLOWED, Json(error.to_json())));
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        let error = ApiError::invalid_parameter(format!(
            "The request body is over {} KiB, the most a command may be.",
            MAX_BODY_BYTES / 1024
        ));
        return with_headers(gate_headers, (StatusCode::PAYLOAD_TOO_LARGE, Json(error.to_json())));
    };
    with_headers(gate_headers, Json(carry_out(&api, peer, &headers, parse_body(&body)).await))
}

fn parse_body(body: &Bytes) -> Result<Command, ApiError> {
    request::from_json(body)
}

/// The older GET endpoints (`/GetToys`, `/Vibrate?v=10&t=<id>`, ...); anything else is
/// refused with Lovense's "invalid command".
async fn older_endpoint(
    State(api): State<Arc<Api>>,
    Extension(Peer(peer)): Extension<Peer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let gate_headers = match origin_gate(&api, &method, &headers) {
        HttpDecision::Proceed(gate_headers) => gate_headers,
        HttpDecision::Answer(answer) => return answer.map(Body::from).into_response(),
    };
    if method != Method::GET {
        let error = ApiError::invalid_command(format!(
            "{method} {} is not part of the Lovense API: send POST /command, or GET one of the older endpoints.",
            uri.path()
        ));
        return with_headers(gate_headers, (StatusCode::METHOD_NOT_ALLOWED, Json(error.to_json())));
    }
    let parsed = match query {
        Ok(Query(pairs)) => request::from_get(uri.path(), &pairs),
        Err(_) => Err(ApiError::invalid_parameter("The query string cannot be read.")),
    };
    with_headers(gate_headers, Json(carry_out(&api, peer, &headers, parsed).await))
}

/// One call of one app: the app is let in (or told why not), then the command is carried out
/// on the toys it may use.
async fn carry_out(api: &Api, peer: SocketAddr, headers: &HeaderMap, parsed: Result<Command, ApiError>) -> Value {
    let name = headers
        .get("x-platform")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or(UNNAMED_APP);
    let origin = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let stop = parsed.as_ref().is_ok_and(Command::is_stop);
    let app = match api.apps.call(name, peer, origin, stop) {
        Ok(app) => app,
        Err(error) => return error.to_json(),
    };
    let command = match parsed {
        Ok(command) => command,
        Err(error) => {
            tracing::debug!(app = %app.name, code = error.code(), message = error.message(), "Lovense API: a request that means nothing");
            return error.to_json();
        }
    };
    let allowed = api.shared.access.allowed_for(&app.name);
    let visible = |address: &str| allowed.as_ref().is_none_or(|allowed| allowed.contains(address));
    let drives = command.drives_toys();
    let answer = api.service.execute(&app.runner, &visible, command).await;
    if drives {
        crate::let_woken_devices_write().await;
    }
    answer
}
