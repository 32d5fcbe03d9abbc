//! What one connection may do: frame size, messages per frame, message rate, the time to
//! handshake, and websocket keepalive. The session asks these small pieces what to do; each
//! refusal is an `Error` with a sentence that names the limit and the flag that sets it.
//!
//! | limit | over it |
//! |---|---|
//! | frame size | Error code 3 (Id 0), then close code 1009 |
//! | messages per frame | one Error code 3 (Id 0) for the frame; nothing in it runs |
//! | messages per second | each extra message gets Error code 3 (its Id) and is dropped |
//! | handshake timeout | Error code 1 (Id 0), then close code 1008 |
//! | websocket ping unanswered | close code 1001 |
//!
//! Invalid UTF-8 in a text frame gets Error code 3 (Id 0), then close code 1007; other
//! websocket protocol violations Error code 3, then close code 1002.

use std::time::Duration;

use plugboard_protocol::frame::TooManyMessages;
use plugboard_protocol::Error;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The largest frame (websocket message) a client may send unless told otherwise: 1 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1 << 20;
/// How many messages one frame may hold unless told otherwise.
pub const DEFAULT_MAX_MESSAGES_PER_FRAME: usize = 256;
/// How many messages one client may send per second unless told otherwise.
pub const DEFAULT_MAX_MESSAGES_PER_SECOND: u32 = 1000;
/// How long a new connection has to send RequestServerInfo unless told otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may be silent before the server sends a websocket Ping.
pub const DEFAULT_WEBSOCKET_PING_INTERVAL: Duration = Duration::from_secs(15);
/// How long the server waits for any answer to its websocket Ping before giving up.
pub const DEFAULT_WEBSOCKET_PONG_TIMEOUT: Duration = Duration::from_secs(10);

/// Limits on each connection. A zero turns that limit off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest frame (one websocket message) a client may send, in bytes. Larger: an
    /// Error, then the connection closes with code 1009 (message too big).
    pub max_frame_bytes: usize,
    /// The most messages one frame may hold. More: one Error (code 3) for the whole frame,
    /// none of its messages is executed; the session goes on.
    pub max_messages_per_frame: usize,
    /// Messages one client may send per second, in bursts of up to one second's worth. Beyond
    /// it each message gets an Error (code 3) and is dropped; the session goes on.
    pub max_messages_per_second: u32,
    /// Time from connecting to RequestServerInfo. Over it: an Error (code 1), then close.
    pub handshake_timeout: Duration,
    /// A connection silent this long gets a websocket Ping.
    pub websocket_ping_interval: Duration,
    /// A connection that sends nothing (not even the Pong) this long after a Ping is closed,
    /// and so is one that does not read what the server sends for this long (10 s when zero;
    /// a zero turns the Pings off).
    pub websocket_pong_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_messages_per_frame: DEFAULT_MAX_MESSAGES_PER_FRAME,
            max_messages_per_second: DEFAULT_MAX_MESSAGES_PER_SECOND,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            websocket_ping_interval: DEFAULT_WEBSOCKET_PING_INTERVAL,
            websocket_pong_timeout: DEFAULT_WEBSOCKET_PONG_TIMEOUT,
        }
    }
}

/// `None` for a zero (an unset limit), else the value.
pub(crate) fn enabled<T: Default + PartialEq>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

/// The Error for a frame with too many messages.
pub(crate) fn too_many_messages(too_many: TooManyMessages) -> Error {
    Error::message(format!(
        "This frame holds more than {} messages, this server's limit per frame (--max-messages-per-frame), \
         so none of them was executed. Send them in several frames.",
        too_many.max
    ))
}

/// The Error for a message dropped by the rate limit.
pub(crate) fn rate_exceeded(per_second: u32) -> Error {
    Error::message(format!(
        "Too many messages: this server accepts {per_second} per second from one client \
         (--max-messages-per-second), so this one was dropped. Send fewer messages."
    ))
}

/// The Error for a connection that did not handshake in time.
pub(crate) fn handshake_timed_out(timeout: Duration) -> Error {
    Error::handshake(format!(
        "No RequestServerInfo arrived within {} ms of connecting (--handshake-timeout), so the server is \
         closing this connection. Send RequestServerInfo first, right after connecting.",
        timeout.as_millis()
    ))
}

/// How a session ends when the websocket layer refuses what the client sent: the Error to
/// send first (if the connection can still carry one), the close code, and a short reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub error: Error,
    pub code: CloseCode,
    pub reason: &'static str,
}

/// The refusal for a websocket-layer error, or `None` when the connection is simply gone.
pub(crate) fn refusal(error: &WsError) -> Option<Refusal> {
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Some(Refusal {
            error: Error::message(format!(
                "This frame is {size} bytes, over this server's limit of {max_size} bytes per frame \
                 (--max-frame-size), so the server is closing the connection. Send smaller frames."
            )),
            code: CloseCode::Size,
            reason: "frame too large",
        }),
        WsError::Utf8(_) => Some(Refusal {
            error: Error::message(
                "A text frame was not valid UTF-8, which the websocket standard does not allow, so the server \
                 is closing the connection. Send JSON encoded as UTF-8.",
            ),
            code: CloseCode::Invalid,
            reason: "invalid UTF-8",
        }),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(violation) => Some(Refusal {
            error: Error::message(format!(
                "The connection broke the websocket protocol ({violation}), so the server is closing it."
            )),
            code: CloseCode::Protocol,
            reason: "websocket protocol violation",
        }),
        _ => None,
    }
}

/// A token bucket for messages, kept as the theoretical arrival time of the next message
/// (GCRA): one integer per client, no allocation, no timer; the caller passes the time.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Nanoseconds each message costs; `None`: no limit.
    cost: Option<u64>,
    /// How far ahead of now the arrival time may run: one second's worth of messages.
    burst: u64,
    origin: Instant,
    /// When the bucket would be full again, in nanoseconds since `origin`.
    full_at: u64,
    /// Messages are being dropped and the bucket has not filled up since (a run of drops is
    /// logged once, not each message).
    dropping: bool,
}

/// What the rate limiter lets through of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admission {
    /// The first `admitted` messages go through; the rest are dropped.
    pub admitted: usize,
    /// This frame starts a run of dropped messages (worth one log line).
    pub started_dropping: bool,
}

impl RateLimiter {
    pub fn new(per_second: u32, now: Instant) -> RateLimiter {
        let cost = enabled(per_second).map(|rate| (1_000_000_000 / u64::from(rate)).max(1));
        let burst = cost.map_or(0, |cost| cost * u64::from(per_second));
        RateLimiter { cost, burst, origin: now, full_at: 0, dropping: false }
    }

    /// Whether a message arriving at `now` would be let through; nothing changes.
    pub fn has_room(&self, now: Instant) -> bool {
        let Some(cost) = self.cost else { return true };
        let now = u64::try_from(now.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX);
        now.saturating_add(self.burst) - self.full_at.max(now) >= cost
    }

    /// Lets through as many of `count` messages arriving at `now` as the rate allows.
    pub fn admit(&mut self, count: usize, now: Instant) -> Admission {
        let Some(cost) = self.cost else { return Admission { admitted: count, started_dropping: false } };
        let now = u64::try_from(now.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX);
        if self.full_at <= now {
            // The bucket is full again: whatever comes next is a new run.
            self.dropping = false;
        }
        let start = self.full_at.max(now);
        let room = (now.saturating_add(self.burst) - start) / cost;
        let admitted = count.min(usize::try_from(room).unwrap_or(usize::MAX));
        self.full_at = start.saturating_add(admitted as u64 * cost);
        let dropping = admitted < count;
        let started_dropping = dropping && !self.dropping;
        self.dropping = dropping;
        Admission { admitted, started_dropping }
    }
}

/// Websocket keepalive: a Ping after `interval` of silence, and the verdict `timeout` later.
/// The deadline only moves when it fires, so traffic does not reset a timer per frame.
#[derive(Debug)]
pub(crate) struct Keepalive {
    interval: Duration,
    timeout: Duration,
    last_heard: Instant,
    /// When the unanswered Ping went out.
    ping_sent: Option<Instant>,
    check_at: Instant,
}

/// What the keepalive wants done when its deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepaliveAction {
    Nothing,
    SendPing,
    /// Nothing heard since the Ping, for the whole timeout.
    Dead,
}

impl Keepalive {
    /// Off when either is zero.
    pub fn new(interval: Duration, timeout: Duration, now: Instant) -> Keepalive {
        let interval = if timeout.is_zero() { Duration::ZERO } else { interval };
        Keepalive { interval, timeout, last_heard: now, ping_sent: None, check_at: now + interval }
    }

    /// Anything arrived from the client (a message, a Pong, a Ping).
    pub fn heard(&mut self, now: Instant) {
        self.last_heard = now;
    }

    /// When [`Keepalive::fire`] wants to run; `None` when keepalive is off.
    pub fn deadline(&self) -> Option<Instant> {
        enabled(self.interval).map(|_| self.check_at)
    }

    pub fn fire(&mut self, now: Instant) -> KeepaliveAction {
        if enabled(self.interval).is_none() || now < self.check_at {
            return KeepaliveAction::Nothing;
        }
        match self.ping_sent {
            Some(sent) if self.last_heard < sent => {
                if now >= sent + self.timeout {
                    KeepaliveAction::Dead
                } else {
                    self.check_at = sent + self.timeout;
                    KeepaliveAction::Nothing
                }
            }
            _ if now >= self.last_heard + self.interval => {
                self.ping_sent = Some(now);
                self.check_at = now + self.timeout;
                KeepaliveAction::SendPing
            }
            _ => {
                self.ping_sent = None;
                self.check_at = self.last_heard + self.interval;
                KeepaliveAction::Nothing
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_rate_limiter_allows_a_second_worth_at_once_then_the_rate() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(1000, t0);
        assert_eq!(limiter.admit(600, t0), Admission { admitted: 600, started_dropping: false });
        assert_eq!(limiter.admit(600, t0), Admission { admitted: 400, started_dropping: true });
        assert_eq!(limiter.admit(1, t0), Admission { admitted: 0, started_dropping: false }, "one log line per run");
        assert!(!limiter.has_room(t0) && !limiter.has_room(t0 + MS / 2) && limiter.has_room(t0 + MS));
        // One message per millisecond comes back.
        assert_eq!(limiter.admit(5, t0 + MS).admitted, 1);
        assert_eq!(limiter.admit(5, t0 + 4 * MS).admitted, 3);
        // A quiet second refills the bucket, and no more than that.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(limiter.admit(5000, later), Admission { admitted: 1000, started_dropping: true });
        let calm = later + Duration::from_secs(2);
        assert_eq!(limiter.admit(10, calm), Admission { admitted: 10, started_dropping: false });
    }

    #[test]
    fn a_steady_client_under_the_rate_is_never_dropped() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(1000, t0);
        for ms in 0..10_000u32 {
            assert_eq!(limiter.admit(1, t0 + ms * MS).admitted, 1, "at {ms} ms");
        }
        // 900 per second for 20 s, in frames of 90 every 100 ms.
        for step in 0..200u32 {
            assert_eq!(limiter.admit(90, t0 + Duration::from_secs(20) + step * 100 * MS).admitted, 90, "step {step}");
        }
    }

    #[test]
    fn odd_rates_and_no_limit() {
        let t0 = Instant::now();
        let mut off = RateLimiter::new(0, t0);
        assert_eq!(off.admit(usize::MAX, t0).admitted, usize::MAX);
        assert!(off.has_room(t0));
        let mut three = RateLimiter::new(3, t0);
        assert_eq!(three.admit(10, t0).admitted, 3);
        assert_eq!(three.admit(10, t0 + 333 * MS).admitted, 0);
        assert_eq!(three.admit(10, t0 + 334 * MS).admitted, 1);
        let mut huge = RateLimiter::new(u32::MAX, t0);
        assert_eq!(huge.admit(1_000_000, t0).admitted, 1_000_000);
        // Time going backwards (it cannot with Instant, but the origin may be later) is harmless.
        let mut late = RateLimiter::new(10, t0 + Duration::from_secs(1));
        assert_eq!(late.admit(20, t0).admitted, 10);
    }

    #[test]
    fn keepalive_pings_a_silent_peer_and_gives_up_on_one_that_stays_silent() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(100 * MS, 50 * MS, t0);
        assert_eq!(keepalive.deadline(), Some(t0 + 100 * MS));
        // Traffic does not move the deadline; firing while traffic flows just looks again later.
        keepalive.heard(t0 + 80 * MS);
        assert_eq!(keepalive.deadline(), Some(t0 + 100 * MS));
        assert_eq!(keepalive.fire(t0 + 100 * MS), KeepaliveAction::Nothing);
        assert_eq!(keepalive.deadline(), Some(t0 + 180 * MS));
        // Silence: a Ping, then an answer in time.
        assert_eq!(keepalive.fire(t0 + 180 * MS), KeepaliveAction::SendPing);
        assert_eq!(keepalive.deadline(), Some(t0 + 230 * MS));
        keepalive.heard(t0 + 190 * MS);
        assert_eq!(keepalive.fire(t0 + 230 * MS), KeepaliveAction::Nothing);
        assert_eq!(keepalive.deadline(), Some(t0 + 290 * MS));
        // Silence again, and no answer.
        assert_eq!(keepalive.fire(t0 + 290 * MS), KeepaliveAction::SendPing);
        assert_eq!(keepalive.fire(t0 + 339 * MS), KeepaliveAction::Nothing, "early wake-ups do nothing");
        assert_eq!(keepalive.fire(t0 + 340 * MS), KeepaliveAction::Dead);
    }

    #[test]
    fn keepalive_off() {
        let t0 = Instant::now();
        for (interval, timeout) in [(Duration::ZERO, 50 * MS), (100 * MS, Duration::ZERO)] {
            let mut keepalive = Keepalive::new(interval, timeout, t0);
            assert_eq!(keepalive.deadline(), None);
            assert_eq!(keepalive.fire(t0 + Duration::from_secs(3600)), KeepaliveAction::Nothing);
        }
    }

    #[test]
    fn refusals_name_the_close_code_the_websocket_standard_asks_for() {
        let too_long = WsError::Capacity(CapacityError::MessageTooLong { size: 2_000_000, max_size: 1 << 20 });
        let refusal = refusal(&too_long).expect("refused");
        assert_eq!((refusal.code, refusal.error.code()), (CloseCode::Size, plugboard_protocol::ErrorCode::Message));
        assert!(refusal.error.text().contains("1048576") && refusal.error.text().contains("--max-frame-size"));
        assert_eq!(super::refusal(&WsError::Utf8("bad".into())).map(|r| r.code), Some(CloseCode::Invalid));
        let unmasked = WsError::Protocol(ProtocolError::UnmaskedFrameFromClient);
        assert_eq!(super::refusal(&unmasked).map(|r| r.code), Some(CloseCode::Protocol));
        assert_eq!(super::refusal(&WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)), None);
        assert_eq!(super::refusal(&WsError::ConnectionClosed), None);
    }

    #[test]
    fn errors_name_the_flag() {
        let error = too_many_messages(TooManyMessages { max: 256, counted: 10_000 });
        assert_eq!(error.code(), plugboard_protocol::ErrorCode::Message);
        assert!(error.text().contains("256") && error.text().contains("--max-messages-per-frame"));
        assert!(rate_exceeded(1000).text().contains("--max-messages-per-second"));
        let timeout = handshake_timed_out(Duration::from_secs(10));
        assert_eq!(timeout.code(), plugboard_protocol::ErrorCode::Init);
        assert!(timeout.text().contains("10000 ms"));
    }
}
