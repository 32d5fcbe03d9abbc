//! Waiting for something asynchronous to have happened: the one polling loop of the test suites
//! (unit tests here, this crate's integration tests and the end-to-end tests in `tests/`).
//!
//! Polling is for state that has no event to await (a level the engine records, a count of
//! device tasks, a thread that ended). Where an event or a reply exists, tests await it with a
//! timeout instead; and a test never sleeps to show that something did *not* happen: it sends
//! something through the same ordered channel and checks that only that arrives.

use std::fmt::{Debug, Display};
use std::time::Duration;

/// How long [`wait_until`] waits between its first two looks; the pause doubles after each
/// look, up to [`LONGEST_PAUSE`]: quick for what happens at once, light on a busy machine (and on
/// a WebDriver session) for what takes seconds.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// Looks at `probe` until `done` accepts what it returned, and returns that value. Panics once
/// `timeout` has passed, naming `what` and showing the last value seen. Looks at once, and a
/// last time at the deadline.
///
/// `what` is formatted only when the wait fails, so it may carry context that is expensive to
/// build (a client's transcript).
///
/// ```text
/// let devices = wait_until("two devices", WAIT, async || engine.devices(), |d| d.len() == 2).await;
/// ```
pub async fn wait_until<T: Debug>(
    what: impl Display,
    timeout: Duration,
    mut probe: impl AsyncFnMut() -> T,
    mut done: impl FnMut(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = FIRST_PAUSE;
    loop {
        let value = probe().await;
        if done(&value) {
            return value;
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}\nlast seen: {value:?}");
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn returns_the_first_accepted_value() {
        let looks = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let look = async || looks.fetch_add(1, Ordering::SeqCst);
        let value = wait_until("the fifth look", Duration::from_secs(1), look, |n| *n == 4).await;
        assert_eq!(value, 4);
        assert_eq!(started.elapsed(), Duration::from_millis(10 + 20 + 40 + 80), "pauses double");
    }

    #[tokio::test(start_paused = true)]
    async fn pauses_stay_short_and_end_at_the_deadline() {
        let looks = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let look = async || looks.fetch_add(1, Ordering::SeqCst);
        wait_until("the ninth look", Duration::from_secs(1), look, |n| *n == 8).await;
        assert_eq!(started.elapsed(), Duration::from_millis(10 + 20 + 40 + 80 + 100 + 100 + 100 + 100));
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "timed out after 50ms waiting for the impossible\nlast seen: false")]
    async fn fails_with_what_and_the_last_value() {
        wait_until("the impossible", Duration::from_millis(50), async || false, |done| *done).await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_look_is_at_the_deadline() {
        let looks = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let look = async || looks.fetch_add(1, Ordering::SeqCst);
        let waiting = std::panic::AssertUnwindSafe(wait_until("never", Duration::from_millis(50), look, |_| false));
        assert!(futures_util::FutureExt::catch_unwind(waiting).await.is_err(), "it gave up");
        assert_eq!(looks.load(Ordering::SeqCst), 4);
        // Looks at 0, 10, 30 and 50 ms: the last pause is cut to the deadline.
        assert_eq!(started.elapsed(), Duration::from_millis(50));
    }
}
