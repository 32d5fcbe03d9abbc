//! The XDG GlobalShortcuts portal (org.freedesktop.portal.GlobalShortcuts on the session bus):
//! how a Wayland desktop lets an application have a shortcut that works whatever window has
//! focus. The application asks for a session, binds its shortcuts in it with a preferred
//! trigger, and the desktop (which may ask the user, and may assign another combination)
//! sends `Activated` when the shortcut is pressed.
//!
//! Each call answers with a Request object whose `Response` signal carries the outcome. Its
//! path is known before the call (the sender's unique name and the call's `handle_token`), so
//! the subscription is made first and no answer can be missed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use zbus::proxy::CacheProperties;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zbus::Connection;

const DESKTOP: &str = "org.freedesktop.portal.Desktop";
const DESKTOP_PATH: &str = "/org/freedesktop/portal/desktop";

/// The id of the one shortcut Plugboard binds.
pub const STOP_ALL_ID: &str = "stop-all";

/// How long a request may wait for the desktop's answer (binding may wait for the user to
/// confirm in a dialog).
const ANSWER_WAIT: Duration = Duration::from_secs(120);

#[zbus::proxy(
    interface = "org.freedesktop.portal.GlobalShortcuts",
    default_service = "org.freedesktop.portal.Desktop",
    default_path = "/org/freedesktop/portal/desktop"
)]
trait GlobalShortcuts {
    fn create_session(&self, options: HashMap<&str, Value<'_>>) -> zbus::Result<OwnedObjectPath>;

    fn bind_shortcuts(
        &self,
        session_handle: &ObjectPath<'_>,
        shortcuts: &[(&str, HashMap<&str, Value<'_>>)],
        parent_window: &str,
        options: HashMap<&str, Value<'_>>,
    ) -> zbus::Result<OwnedObjectPath>;

    #[zbus(signal)]
    fn activated(
        &self,
        session_handle: OwnedObjectPath,
        shortcut_id: String,
        timestamp: u64,
        options: HashMap<String, OwnedValue>,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    fn shortcuts_changed(
        &self,
        session_handle: OwnedObjectPath,
        shortcuts: Vec<(String, HashMap<String, OwnedValue>)>,
    ) -> zbus::Result<()>;

    #[zbus(property, name = "version")]
    fn version(&self) -> zbus::Result<u32>;
}

#[zbus::proxy(interface = "org.freedesktop.portal.Request", default_service = "org.freedesktop.portal.Desktop")]
trait Request {
    #[zbus(signal)]
    fn response(&self, response: u32, results: HashMap<String, OwnedValue>) -> zbus::Result<()>;
}

#[zbus::proxy(interface = "org.freedesktop.portal.Session", default_service = "org.freedesktop.portal.Desktop")]
trait Session {
    fn close(&self) -> zbus::Result<()>;
}

/// What the desktop tells about a bound shortcut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalEvent {
    /// The shortcut was pressed.
    Activated,
    /// The user assigned another combination in the desktop's settings (its description).
    TriggerChanged(Option<String>),
}

/// Why the shortcut could not be bound.
#[derive(Debug)]
pub enum BindError {
    /// The desktop answered with a code other than 0: 1 when the user cancelled, 2 otherwise.
    Refused(u32),
    /// The desktop did not answer within [`ANSWER_WAIT`].
    NoAnswer,
    /// A D-Bus call failed.
    Bus(zbus::Error),
}

impl From<zbus::Error> for BindError {
    fn from(error: zbus::Error) -> Self {
        BindError::Bus(error)
    }
}

/// The portal on the session bus, when the desktop offers it.
pub struct Portal {
    connection: Connection,
    shortcuts: GlobalShortcutsProxy<'static>,
}

impl Portal {
    /// Connects to the session bus and reads the portal's `version`: an error says the desktop
    /// does not offer global shortcuts (no bus, no portal, or a portal without that interface).
    /// `app_id` is told to the portal first, for desktops that name the application in their
    /// dialogs; a portal too old to take it is no failure.
    pub async fn connect(app_id: &str) -> zbus::Result<(Portal, u32)> {
        let connection = Connection::session().await?;
        let no_options: HashMap<&str, Value<'_>> = HashMap::new();
        let registry = connection
            .call_method(
                Some(DESKTOP),
                DESKTOP_PATH,
                Some("org.freedesktop.host.portal.Registry"),
                "Register",
                &(app_id, no_options),
            )
            .await;
        if let Err(error) = registry {
            tracing::debug!(%error, "the portal did not take the application's id");
        }
        let shortcuts =
            GlobalShortcutsProxy::builder(&connection).cache_properties(CacheProperties::No).build().await?;
        let version = shortcuts.version().await?;
        Ok((Portal { connection, shortcuts }, version))
    }

    /// Opens a session and binds the STOP shortcut in it, offering `trigger` (in the XDG
    /// shortcuts format) to the desktop. `on_event` hears every press and every change of the
    /// assigned combination until the session is closed.
    pub async fn bind(
        &self,
        trigger: Option<&str>,
        description: &str,
        on_event: Arc<dyn Fn(PortalEvent) + Send + Sync>,
    ) -> Result<Bound, BindError> {
        let sender = self.unique_name()?;
        let session_token = next_token();
        let (token, responses) = self.expect_response(&sender).await?;
        let options = HashMap::from([
            ("handle_token", Value::from(token.as_str())),
            ("session_handle_token", Value::from(session_token.as_str())),
        ]);
        let request = self.shortcuts.create_session(options).await?;
        let results = self.await_response(&sender, &token, request, responses).await?;
        let session = session_handle(&results).unwrap_or_else(|| portal_path("session", &sender, &session_token));
        let session = OwnedObjectPath::try_from(session).map_err(zbus::Error::from)?;

        // Subscribed before binding: a press may come as soon as the desktop has bound it.
        let listener = match self.listen(session.clone(), on_event).await {
            Ok(listener) => listener,
            Err(error) => {
                close_session(&self.connection, &session).await;
                return Err(error.into());
            }
        };
        let bound = async {
            let (token, responses) = self.expect_response(&sender).await?;
            let mut details = HashMap::from([("description", Value::from(description))]);
            if let Some(trigger) = trigger {
                details.insert("preferred_trigger", Value::from(trigger));
            }
            let shortcuts = [(STOP_ALL_ID, details)];
            let options = HashMap::from([("handle_token", Value::from(token.as_str()))]);
            let request = self.shortcuts.bind_shortcuts(&session, &shortcuts, "", options).await?;
            self.await_response(&sender, &token, request, responses).await
        };
        let outcome = bound.await;
        let session = BoundSession { connection: self.connection.clone(), path: session, listener };
        match outcome {
            Ok(results) => {
                let assigned_trigger = results.get("shortcuts").and_then(assigned_trigger);
                tracing::info!(session = %session.path, ?assigned_trigger, "STOP shortcut bound through the portal");
                Ok(Bound { session, assigned_trigger })
            }
            Err(error) => {
                session.close().await;
                Err(error)
            }
        }
    }

    fn unique_name(&self) -> zbus::Result<String> {
        let name =
            self.connection.unique_name().ok_or_else(|| zbus::Error::Failure("no unique name on the bus".into()))?;
        Ok(name.to_string())
    }

    /// A fresh `handle_token` and the subscription to the Response of the request it names.
    async fn expect_response(&self, sender: &str) -> zbus::Result<(String, ResponseStream)> {
        let token = next_token();
        let request =
            RequestProxy::builder(&self.connection).path(portal_path("request", sender, &token))?.build().await?;
        Ok((token, request.receive_response().await?))
    }

    async fn await_response(
        &self,
        sender: &str,
        token: &str,
        request: OwnedObjectPath,
        mut responses: ResponseStream,
    ) -> Result<HashMap<String, OwnedValue>, BindError> {
        if request.as_str() != portal_path("request", sender, token) {
            // Portals before version 0.9 chose the path themselves: follow it (an answer sent
            // before this subscription would be missed, which such old portals rarely do).
            tracing::debug!(%request, "the portal answers on a request path of its own");
            let proxy = RequestProxy::builder(&self.connection).path(request)?.build().await?;
            responses = proxy.receive_response().await?;
        }
        let response = tokio::time::timeout(ANSWER_WAIT, responses.next()).await.map_err(|_| BindError::NoAnswer)?;
        let response = response.ok_or(BindError::NoAnswer)?;
        let args = response.args()?;
        match args.response {
            0 => Ok(args.results),
            code => Err(BindError::Refused(code)),
        }
    }

    /// Hands the session's Activated and ShortcutsChanged signals to `on_event`.
    async fn listen(
        &self,
        session: OwnedObjectPath,
        on_event: Arc<dyn Fn(PortalEvent) + Send + Sync>,
    ) -> zbus::Result<tauri::async_runtime::JoinHandle<()>> {
        let mut presses = self.shortcuts.receive_activated().await?;
        let mut changes = self.shortcuts.receive_shortcuts_changed().await?;
        Ok(tauri::async_runtime::spawn(async move {
            loop {
                tokio::select! {
                    Some(press) = presses.next() => {
                        let Ok(args) = press.args() else { continue };
                        if args.session_handle == session && args.shortcut_id == STOP_ALL_ID {
                            on_event(PortalEvent::Activated);
                        }
                    }
                    Some(change) = changes.next() => {
                        let Ok(args) = change.args() else { continue };
                        if args.session_handle == session {
                            on_event(PortalEvent::TriggerChanged(trigger_of(&args.shortcuts)));
                        }
                    }
                    else => break,
                }
            }
        }))
    }
}

/// A session with the STOP shortcut bound in it; closing it releases the shortcut.
pub struct BoundSession {
    connection: Connection,
    path: OwnedObjectPath,
    listener: tauri::async_runtime::JoinHandle<()>,
}

/// The session and the combination the desktop assigned, in its words.
pub struct Bound {
    pub session: BoundSession,
    pub assigned_trigger: Option<String>,
}

impl BoundSession {
    /// Ends the session (org.freedesktop.portal.Session.Close) and stops listening to it.
    pub async fn close(self) {
        self.listener.abort();
        close_session(&self.connection, &self.path).await;
    }
}

async fn close_session(connection: &Connection, path: &OwnedObjectPath) {
    let closed = async { SessionProxy::builder(connection).path(path)?.build().await?.close().await };
    if let Err(error) = closed.await {
        tracing::warn!(%error, session = %path, "the portal session of the STOP shortcut did not close");
    }
}

/// The path of a portal Request or Session object named by `token` for the connection
/// `sender` (its unique name, such as ":1.42"): the portal's documented scheme.
pub fn portal_path(kind: &str, sender: &str, token: &str) -> String {
    let sender = sender.trim_start_matches(':').replace('.', "_");
    format!("{DESKTOP_PATH}/{kind}/{sender}/{token}")
}

/// Tokens unique within this process, as the portal asks (letters, digits and '_').
fn next_token() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("plugboard_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The CreateSession result's `session_handle`: documented as an object path, sent as a
/// string by some portals.
fn session_handle(results: &HashMap<String, OwnedValue>) -> Option<String> {
    match &**results.get("session_handle")? {
        Value::Str(path) => Some(path.to_string()),
        Value::ObjectPath(path) => Some(path.to_string()),
        _ => None,
    }
}

/// The `trigger_description` of the STOP shortcut in a BindShortcuts result.
fn assigned_trigger(shortcuts: &OwnedValue) -> Option<String> {
    let shortcuts: Vec<(String, HashMap<String, OwnedValue>)> = shortcuts.try_clone().ok()?.try_into().ok()?;
    trigger_of(&shortcuts)
}

fn trigger_of(shortcuts: &[(String, HashMap<String, OwnedValue>)]) -> Option<String> {
    let (_, details) = shortcuts.iter().find(|(id, _)| id == STOP_ALL_ID)?;
    let description = String::try_from(details.get("trigger_description")?.try_clone().ok()?).ok()?;
    let description = description.trim();
    (!description.is_empty()).then(|| description.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_session_paths_follow_the_sender_and_the_token() {
        assert_eq!(
            portal_path("request", ":1.42", "plugboard_3"),
            "/org/freedesktop/portal/desktop/request/1_42/plugboard_3"
        );
        assert_eq!(
            portal_path("session", ":1.7", "plugboard_1"),
            "/org/freedesktop/portal/desktop/session/1_7/plugboard_1"
        );
    }

    #[test]
    fn tokens_are_unique_and_valid_path_elements() {
        let (first, second) = (next_token(), next_token());
        assert_ne!(first, second);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{first}");
    }

    #[test]
    fn the_session_handle_is_read_as_a_string_or_an_object_path() {
        let as_string =
            HashMap::from([("session_handle".to_owned(), OwnedValue::from(zbus::zvariant::Str::from("/a/b")))]);
        assert_eq!(session_handle(&as_string).as_deref(), Some("/a/b"));
        let path = OwnedValue::try_from(Value::from(ObjectPath::try_from("/a/c").unwrap())).unwrap();
        let as_path = HashMap::from([("session_handle".to_owned(), path)]);
        assert_eq!(session_handle(&as_path).as_deref(), Some("/a/c"));
        assert_eq!(session_handle(&HashMap::new()), None);
    }

    #[test]
    fn the_assigned_trigger_is_the_stop_shortcuts_description() {
        let details = |trigger: &str| {
            HashMap::from([(
                "trigger_description".to_owned(),
                OwnedValue::from(zbus::zvariant::Str::from(trigger.to_owned())),
            )])
        };
        let shortcuts =
            vec![("other".to_owned(), details("Ctrl+X")), (STOP_ALL_ID.to_owned(), details("Shift+Ctrl+Alt+S"))];
        assert_eq!(trigger_of(&shortcuts).as_deref(), Some("Shift+Ctrl+Alt+S"));
        assert_eq!(trigger_of(&[(STOP_ALL_ID.to_owned(), details("  "))]), None, "none assigned yet");
        assert_eq!(trigger_of(&[]), None);
    }
}
