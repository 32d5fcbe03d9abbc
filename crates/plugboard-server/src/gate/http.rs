//! The Origin gate for HTTP surfaces (the Lovense API, the REST API, any other). An HTTP
//! surface hands each request's method and headers to [`check`] before doing anything and
//! either answers with what it gets back or goes on, adding the headers it is given.
//!
//! Three ways a web page could reach a device over HTTP, and what closes each:
//!
//! - a cross-origin request that needs no preflight (a form POST, a `fetch` with a simple
//!   content type): its Origin header names the page, and an unapproved page gets 403 before
//!   the surface reads the body;
//! - a request that carries no Origin (an `<img>` or a link's GET): browsers send fetch
//!   metadata, and `Sec-Fetch-Site: cross-site` or `same-site` without an Origin is refused;
//! - DNS rebinding (a page whose own host name is made to resolve to 127.0.0.1, so that its
//!   requests are "same-origin"): the Host header then names that page's host, and a Host
//!   that is not a loopback name or address is refused unless the surface listens on every
//!   interface.
//!
//! CORS headers, which let a page read the answer, go to approved pages only, and so do
//! successful preflight answers.

use std::net::IpAddr;

use tokio_tungstenite::tungstenite::http::header::{self, HeaderName, HeaderValue};
pub use tokio_tungstenite::tungstenite::http::{HeaderMap, Method, Response, StatusCode};

use super::{Door, OriginGate, Verdict};

/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE_SECONDS: &str = "600";

/// One HTTP surface, as the gate needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Surface {
    /// Its name in refusals, such as "the Lovense API".
    pub name: &'static str,
    /// It listens on every interface: requests arrive under any host name, and the Host
    /// header proves nothing.
    pub all_interfaces: bool,
    /// It accepts the dashed-IP host names Lovense apps call (`127-0-0-1.lovense.club`), which
    /// resolve to the IP address they spell and so cannot be rebound to another machine.
    pub lovense_host_names: bool,
}

/// What a surface does with a request.
#[derive(Debug)]
pub enum HttpDecision {
    /// Handle the request and add these headers to the answer (CORS for an approved page;
    /// none for a native app).
    Proceed(HeaderMap),
    /// Answer with this and do nothing else: a refusal (403) or a preflight answer (204).
    Answer(Response<String>),
}

impl HttpDecision {
    pub fn is_refusal(&self) -> bool {
        matches!(self, HttpDecision::Answer(response) if response.status() == StatusCode::FORBIDDEN)
    }
}

/// Checks one request at `surface`. `ask` is called with the Origin of an unapproved page the
/// user has not been asked about yet (when the front end asks the user at all).
pub(crate) fn check(
    gate: &OriginGate,
    surface: &Surface,
    method: &Method,
    headers: &HeaderMap,
    ask: impl FnOnce(&str),
) -> HttpDecision {
    if let Some(host) = text(headers, &header::HOST) {
        if !surface.all_interfaces && !is_local_host(host, surface.lovense_host_names) {
            tracing::warn!(
                surface = surface.name,
                host,
                "refused an HTTP request for another host name (DNS rebinding?)"
            );
            return refusal(format!(
                "{} only answers requests addressed to this machine (localhost or 127.0.0.1), not to {host}. \
                 Call it as http://127.0.0.1 with its port.",
                capitalized(surface.name)
            ));
        }
    }
    let origin = text(headers, &header::ORIGIN);
    let Some(origin) = origin else {
        return match text(headers, &HeaderName::from_static("sec-fetch-site")) {
            Some(site) if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") => {
                tracing::warn!(surface = surface.name, site, "refused an HTTP request another web site made");
                refusal(format!(
                    "{} does not take requests that another web site makes without saying which page it is. \
                     Call it from an app, or from a page the user allowed.",
                    capitalized(surface.name)
                ))
            }
            _ => HttpDecision::Proceed(HeaderMap::new()),
        };
    };
    match gate.verdict(Door::Http, Some(origin)) {
        Verdict::Pass if is_preflight(method, headers) => HttpDecision::Answer(preflight_answer(origin, headers)),
        Verdict::Pass => HttpDecision::Proceed(cors_headers(origin)),
        verdict => {
            let asking = verdict == Verdict::Ask;
            if asking && gate.start_asking(origin) {
                ask(origin);
            }
            tracing::warn!(surface = surface.name, origin, asking, "refused an HTTP request from a web page");
            let what_to_do = if asking {
                "The user has been asked in the Plugboard window; try again once they allow it."
            } else {
                "To let it in, start the engine with its Origin in --allowed-origins."
            };
            refusal(format!(
                "{} does not take requests from the web page {origin}, which the user has not allowed. {what_to_do}",
                capitalized(surface.name)
            ))
        }
    }
}

/// A CORS preflight: the browser asks before a request that is not "simple".
fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    // A header that is not text is treated as one that says something unknown.
    headers.get(name).map(|value| value.to_str().unwrap_or("?").trim())
}

/// The headers that let an approved page read the answer.
fn cors_headers(origin: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers
}

/// 204 with what an approved page asked to send.
fn preflight_answer(origin: &str, request: &HeaderMap) -> Response<String> {
    let mut response = Response::new(String::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.extend(cors_headers(origin));
    if let Some(method) = request.get(header::ACCESS_CONTROL_REQUEST_METHOD) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, method.clone());
    }
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    // Chrome's Private Network Access: a public page asking to reach this machine.
    if request.get("access-control-request-private-network").is_some_and(|v| v.as_bytes() == b"true") {
        headers.insert("access-control-allow-private-network", HeaderValue::from_static("true"));
    }
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECONDS));
    response
}

fn refusal(sentence: String) -> HttpDecision {
    let mut response = Response::new(sentence + "\n");
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    HttpDecision::Answer(response)
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Whether a Host header names this machine: `localhost` (and `*.localhost`, which browsers
/// keep on this machine), a loopback address, or with `lovense`, a dashed-IP Lovense name.
fn is_local_host(host: &str, lovense: bool) -> bool {
    let name = strip_port(host).to_ascii_lowercase();
    let name = name.trim_end_matches('.');
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    if let Ok(address) = name.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return address.to_canonical().is_loopback();
    }
    lovense && is_lovense_dashed_ip(name)
}

/// `127-0-0-1.lovense.club`: a dashed IPv4 address under lovense.club.
fn is_lovense_dashed_ip(name: &str) -> bool {
    name.strip_suffix(".lovense.club")
        .is_some_and(|dashed| dashed.replace('-', ".").parse::<std::net::Ipv4Addr>().is_ok() && !dashed.contains('.'))
}

/// `host:port`, `[v6]:port` or a bare host → the host.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map(|(bracketed, _)| &host[..bracketed.len() + 1]).unwrap_or(host);
    }
    match host.rsplit_once(':') {
        // One colon: a port. More: an IPv6 address without brackets.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::super::WebPages;
    use super::*;

    const API: Surface = Surface { name: "the REST API", all_interfaces: false, lovense_host_names: false };
    const LOVENSE: Surface = Surface { name: "the Lovense API", all_interfaces: false, lovense_host_names: true };

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (HeaderName::from_static(name), HeaderValue::from_str(value).unwrap()))
            .collect()
    }

    /// The app's gate: asks about unapproved pages; approves `approved` for good.
    fn app_gate(approved: &[&str]) -> OriginGate {
        let approved = approved.iter().map(|s| s.to_string()).collect();
        OriginGate::new(None, &WebPages { ask: true, approved, ..WebPages::default() })
    }

    fn body(decision: &HttpDecision) -> &str {
        match decision {
            HttpDecision::Answer(response) => response.body(),
            HttpDecision::Proceed(_) => panic!("let through"),
        }
    }

    /// What a form on another site sends: a POST with a simple content type and no preflight.
    fn simple_cross_origin_post(origin: &str) -> HeaderMap {
        headers(&[
            ("host", "127.0.0.1:30010"),
            ("origin", origin),
            ("content-type", "application/x-www-form-urlencoded"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "no-cors"),
        ])
    }

    #[test]
    fn a_simple_cross_origin_post_is_refused_and_asked_about_until_the_page_is_approved() {
        let gate = app_gate(&[]);
        let mut asked = Vec::new();
        let request = simple_cross_origin_post("https://evil.example");
        let decision = check(&gate, &API, &Method::POST, &request, |origin| asked.push(origin.to_owned()));
        assert!(decision.is_refusal(), "{decision:?}");
        assert!(body(&decision).contains("https://evil.example"), "{}", body(&decision));
        assert!(body(&decision).contains("asked"), "{}", body(&decision));
        let HttpDecision::Answer(response) = &decision else { unreachable!() };
        assert!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "no CORS for a refusal");
        // Asked once, however many requests the page sends meanwhile.
        assert!(check(&gate, &API, &Method::POST, &request, |origin| asked.push(origin.to_owned())).is_refusal());
        assert_eq!(asked, vec!["https://evil.example"]);

        gate.allow_this_run("https://evil.example");
        match check(&gate, &API, &Method::POST, &request, |_| panic!("asked again")) {
            HttpDecision::Proceed(cors) => {
                assert_eq!(cors[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://evil.example");
                assert_eq!(cors[header::VARY], "Origin");
            }
            refused => panic!("an allowed page was refused: {refused:?}"),
        }
    }

    #[test]
    fn the_headless_engine_refuses_unlisted_pages_over_http_without_asking() {
        let gate = OriginGate::new(Some(&["https://game.example".to_owned()]), &WebPages::default());
        let refused = check(&gate, &API, &Method::POST, &simple_cross_origin_post("https://evil.example"), |_| {
            panic!("the headless engine has nobody to ask")
        });
        assert!(body(&refused).contains("--allowed-origins"), "{}", body(&refused));
        let listed = check(&gate, &API, &Method::POST, &simple_cross_origin_post("https://game.example"), |_| {});
        assert!(matches!(listed, HttpDecision::Proceed(_)), "{listed:?}");
        let unlisted_everything = OriginGate::new(None, &WebPages::default());
        let refused =
            check(&unlisted_everything, &API, &Method::POST, &simple_cross_origin_post("https://game.example"), |_| {});
        assert!(refused.is_refusal(), "no list: no web page over HTTP");
    }

    #[test]
    fn native_apps_pass_without_cors_headers() {
        let gate = app_gate(&[]);
        for request in [headers(&[("host", "127.0.0.1:30010")]), headers(&[]), headers(&[("sec-fetch-site", "none")])] {
            match check(&gate, &API, &Method::POST, &request, |_| panic!("asked")) {
                HttpDecision::Proceed(extra) => assert!(extra.is_empty()),
                refused => panic!("{refused:?}"),
            }
        }
        let same_origin = headers(&[("host", "localhost:30010"), ("sec-fetch-site", "same-origin")]);
        assert!(matches!(check(&gate, &API, &Method::GET, &same_origin, |_| {}), HttpDecision::Proceed(_)));
    }

    #[test]
    fn cross_site_requests_without_an_origin_are_refused() {
        let gate = app_gate(&["https://game.example"]);
        for site in ["cross-site", "same-site", "Cross-Site"] {
            let image = headers(&[("host", "127.0.0.1:30010"), ("sec-fetch-site", site), ("sec-fetch-dest", "image")]);
            let decision = check(&gate, &API, &Method::GET, &image, |_| panic!("nothing to ask about"));
            assert!(decision.is_refusal(), "{site}: {decision:?}");
            assert!(body(&decision).starts_with("The REST API"), "{}", body(&decision));
        }
    }

    #[test]
    fn preflights_are_answered_for_approved_pages_only() {
        let gate = app_gate(&["https://game.example"]);
        let preflight = |origin: &str| {
            headers(&[
                ("host", "127.0.0.1:30010"),
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
                ("access-control-request-private-network", "true"),
            ])
        };
        let mut asked = Vec::new();
        let refused =
            check(&gate, &API, &Method::OPTIONS, &preflight("https://evil.example"), |o| asked.push(o.to_owned()));
        assert!(refused.is_refusal(), "{refused:?}");
        assert_eq!(asked, vec!["https://evil.example"], "a preflight asks the user too");

        let HttpDecision::Answer(answer) =
            check(&gate, &API, &Method::OPTIONS, &preflight("https://game.example"), |_| {})
        else {
            panic!("a preflight is answered by the gate");
        };
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
        let h = answer.headers();
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://game.example");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "POST");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_HEADERS], "content-type");
        assert_eq!(h["access-control-allow-private-network"], "true");
        // A plain OPTIONS from an approved page is the surface's to answer.
        let plain = headers(&[("host", "127.0.0.1:1"), ("origin", "https://game.example")]);
        assert!(matches!(check(&gate, &API, &Method::OPTIONS, &plain, |_| {}), HttpDecision::Proceed(_)));
    }

    #[test]
    fn a_rebinding_host_is_refused_unless_listening_everywhere() {
        let gate = app_gate(&["https://game.example"]);
        let request = |host: &str| headers(&[("host", host)]);
        for host in
            ["evil.example:30010", "evil.example", "192.168.1.5:30010", "127.0.0.1.evil.example", "[fe80::1]:80"]
        {
            let decision = check(&gate, &API, &Method::GET, &request(host), |_| {});
            assert!(decision.is_refusal(), "{host}: {decision:?}");
            assert!(body(&decision).contains(host), "{}", body(&decision));
            let everywhere = Surface { all_interfaces: true, ..API };
            assert!(matches!(
                check(&gate, &everywhere, &Method::GET, &request(host), |_| {}),
                HttpDecision::Proceed(_)
            ));
        }
        for host in
            ["localhost", "LOCALHOST:30010", "app.localhost:1", "127.0.0.1", "127.1.2.3:80", "[::1]:30010", "::1"]
        {
            assert!(
                matches!(check(&gate, &API, &Method::GET, &request(host), |_| {}), HttpDecision::Proceed(_)),
                "{host}"
            );
        }
        // Lovense's dashed-IP names, on the Lovense API only.
        for host in ["127-0-0-1.lovense.club:30010", "192-168-1-5.lovense.club"] {
            assert!(check(&gate, &API, &Method::GET, &request(host), |_| {}).is_refusal(), "{host}");
            assert!(matches!(check(&gate, &LOVENSE, &Method::GET, &request(host), |_| {}), HttpDecision::Proceed(_)));
        }
        for host in
            ["evil.lovense.club", "127-0-0-1.lovense.club.evil.example", "127.0.0.1.lovense.club", "1-2-3.lovense.club"]
        {
            assert!(check(&gate, &LOVENSE, &Method::GET, &request(host), |_| {}).is_refusal(), "{host}");
        }
    }
}
