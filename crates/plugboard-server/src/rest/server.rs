//! Serves the REST API over HTTP/1.1 on the websocket's addresses (loopback unless the user
//! chose every interface) at `--rest-api-port`. Every request passes one admission first
//! (`admit`): the Origin gate of every HTTP surface (`crate::gate::http`), the approval of
//! clients from other machines, and whether the engine still runs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use tokio::task::JoinSet;

use super::api::{Api, CLIENT_NAME};
use super::error::RestError;
use super::{devices, events, inputs, outputs};
use crate::approval::{Approval, ApprovedPeer};
use crate::clients::ClientKind;
use crate::error::StartError;
use crate::gate::http::{HttpDecision, Surface};
use crate::http_server::{HttpListener, Peer};
use crate::local_client::LocalClient;
use crate::shared::Shared;

/// The running REST API, as the engine holds it.
pub struct RestApi {
    addresses: Vec<SocketAddr>,
}

impl RestApi {
    /// The addresses it listens on.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }
}

/// Binds the API's port and serves until the engine stops; `None` when it is off.
pub(crate) async fn start(shared: &Arc<Shared>, tasks: &mut JoinSet<()>) -> Result<Option<RestApi>, StartError> {
    let Some(port) = shared.config.rest_api_port else { return Ok(None) };
    // In client mode the websocket may listen nowhere; the REST API then stays on this machine.
    let hosts: Vec<IpAddr> = match shared.config.listen.as_slice() {
        [] => vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)],
        listen => listen.iter().map(SocketAddr::ip).collect(),
    };
    let addresses: Vec<SocketAddr> = hosts.into_iter().map(|host| SocketAddr::new(host, port)).collect();
    let listeners = crate::listener::bind(&addresses).await.map_err(|error| match error {
        StartError::PortInUse { address, port, suggestion } => StartError::RestPortInUse { address, port, suggestion },
        other => other,
    })?;
    let addresses: Vec<SocketAddr> = listeners.iter().filter_map(|listener| listener.local_addr().ok()).collect();
    let client = LocalClient::register(Arc::clone(shared), ClientKind::RestApi, CLIENT_NAME);
    let router = router(Arc::new(Api { shared: Arc::clone(shared), client }));
    for listener in listeners {
        let listener = HttpListener { name: "REST API", listener, tls: None };
        tasks.spawn(listener.serve(router.clone(), shared.shutdown.clone()));
    }
    for address in &addresses {
        tracing::info!(url = %format!("http://{address}/api/v1"), "REST API listening");
    }
    Ok(Some(RestApi { addresses }))
}

fn router(api: Arc<Api>) -> Router {
    let routes = Router::new()
        .route("/start-scanning", get(devices::start_scanning))
        .route("/stop-scanning", get(devices::stop_scanning))
        .route("/devices", get(devices::list))
        .route("/devices/stop", put(outputs::stop_all))
        .route("/devices/{index}", get(devices::one))
        .route("/devices/{index}/stop", put(outputs::stop_device))
        .route("/devices/{index}/features", get(devices::features))
        .route("/devices/{index}/features/{feature}", get(devices::feature))
        .route("/devices/{index}/outputs/{type}/{level}", put(outputs::set_device_output))
        .route("/devices/{index}/features/{feature}/outputs/{type}/{level}", put(outputs::set_feature_output))
        .route("/devices/{index}/features/{feature}/inputs/{type}", get(inputs::read))
        .route("/events", get(events::stream));
    Router::new()
        .nest("/api/v1", routes)
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn_with_state(Arc::clone(&api), admit))
        .with_state(api)
}

async fn unknown_route(method: Method, uri: Uri) -> RestError {
    RestError::unknown_route(method.as_str(), uri.path())
}

async fn wrong_method(method: Method, uri: Uri) -> RestError {
    RestError::wrong_method(method.as_str(), uri.path())
}

/// What every request passes before its route runs: the Origin gate (a web page the user has
/// not approved gets 403 and the window asks the user about it; approved pages get CORS
/// headers and preflight answers), the approval of other machines, and a running engine.
async fn admit(State(api): State<Arc<Api>>, request: Request, next: Next) -> Response {
    let shared = &api.shared;
    let surface = Surface {
        name: "the REST API",
        all_interfaces: shared.config.listen.iter().any(|address| address.ip().is_unspecified()),
        lovense_host_names: false,
    };
    let decision = crate::gate::http::check(&shared.gate, &surface, request.method(), request.headers(), |origin| {
        tracing::warn!(origin, "a web page wants to use the REST API; asking the user");
        shared.emit(crate::events::EngineEvent::WebPagesChanged);
    });
    let cors = match decision {
        // A refusal, in the JSON of every other error (the gate's sentence in it).
        HttpDecision::Answer(answer) if answer.status().is_client_error() => {
            return RestError::refused_web_page(answer.body()).into_response()
        }
        HttpDecision::Answer(answer) => return answer.map(Body::from).into_response(),
        HttpDecision::Proceed(headers) => headers,
    };
    if let Some(Peer(peer)) = request.extensions().get::<Peer>().copied() {
        let origin = request.headers().get("origin").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let key = ApprovedPeer::new(peer.ip(), origin);
        if shared.approvals.initial(&shared.config.remote_clients, &key) != Approval::NotNeeded {
            tracing::warn!(%peer, "REST API: refused a request from a machine the user has not approved");
            return RestError::machine_not_approved(peer.ip()).into_response();
        }
    }
    if *shared.shutdown.borrow() {
        return RestError::stopping().into_response();
    }
    let mut response = next.run(request).await;
    response.headers_mut().extend(cors);
    response
}
