//! Log lines for the window: a tracing layer that keeps the last lines in a ring buffer (the
//! front end reads them with `get_logs` and exports them) and hands each new line on, to be
//! emitted as a "log" event.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

use crate::models::{rfc3339, LogLine};

/// Lines kept for `get_logs`.
pub const LOG_CAPACITY: usize = 5000;
/// Characters kept of one line: a line that quotes what a client sent stays short, and the
/// buffer stays a few megabytes at most.
pub const LOG_LINE_MAX: usize = 2000;

/// The last [`LOG_CAPACITY`] lines, and where new ones go.
#[derive(Default)]
pub struct LogBuffer {
    lines: Mutex<VecDeque<LogLine>>,
    sender: Mutex<Option<mpsc::UnboundedSender<LogLine>>>,
}

impl LogBuffer {
    /// From now on every new line is also sent to the returned receiver.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<LogLine> {
        let (sender, receiver) = mpsc::unbounded_channel();
        *self.sender.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender);
        receiver
    }

    pub fn push(&self, line: LogLine) {
        if let Some(sender) = self.sender.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = sender.send(line.clone());
        }
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == LOG_CAPACITY {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    pub fn lines(&self) -> Vec<LogLine> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }

    /// One line per entry: `time LEVEL target: message`; and how many lines that is.
    pub fn export_text(&self) -> (String, usize) {
        let lines = self.lines();
        let mut text = String::new();
        for line in &lines {
            let _ = writeln!(text, "{} {:5} {}: {}", line.time, line.level.name(), line.target, line.message);
        }
        (text, lines.len())
    }
}

/// A tracing layer that feeds a [`LogBuffer`].
pub struct LogLayer {
    pub buffer: Arc<LogBuffer>,
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

impl<S: Subscriber> Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        let metadata = event.metadata();
        self.buffer.push(LogLine {
            time: rfc3339(std::time::SystemTime::now()),
            level: (*metadata.level()).into(),
            target: metadata.target().to_owned(),
            message: shorten(format!("{}{}", visitor.message, visitor.fields).trim()),
        });
    }
}

/// At most [`LOG_LINE_MAX`] characters, and how many more there were.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(LOG_LINE_MAX) {
        Some((end, _)) => format!("{}… ({} more bytes)", &text[..end], text.len() - end),
        None => text.to_owned(),
    }
}

/// Installs the global subscriber: stderr output (RUST_LOG, default info) and the buffer
/// (Plugboard's own crates from DEBUG, others from INFO).
pub fn init_tracing(buffer: Arc<LogBuffer>) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let stderr_filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let buffer_filter = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("plugboard_app", LevelFilter::DEBUG)
        .with_target("plugboard_server", LevelFilter::DEBUG)
        .with_target("plugboard_devices", LevelFilter::DEBUG)
        .with_target("plugboard_protocol", LevelFilter::DEBUG);
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(stderr_filter))
        .with(LogLayer { buffer }.with_filter(buffer_filter))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::LogLevel;
    use tracing_subscriber::prelude::*;

    #[test]
    fn layer_captures_message_and_fields() {
        let buffer = Arc::new(LogBuffer::default());
        let subscriber = tracing_subscriber::registry().with(LogLayer { buffer: buffer.clone() });
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(port = 12345, "port busy");
        });
        let lines = buffer.lines();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].level, LogLevel::Warn);
        assert_eq!(lines[0].message, "port busy port=12345");
        assert!(buffer.export_text().0.contains("WARN  plugboard_app::logs::tests: port busy"));
    }

    #[test]
    fn long_lines_are_cut() {
        let buffer = Arc::new(LogBuffer::default());
        let subscriber = tracing_subscriber::registry().with(LogLayer { buffer: buffer.clone() });
        let huge = "é".repeat(100_000);
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(name = %huge, "handshake done");
        });
        let message = &buffer.lines()[0].message;
        assert!(message.starts_with("handshake done name=éé"));
        // 20 ASCII characters and 1980 two-byte ones are kept, of 200,020 bytes.
        assert!(message.ends_with("éé… (196040 more bytes)"), "{}", &message[message.len() - 40..]);
        assert_eq!(message.chars().count(), LOG_LINE_MAX + "… (196040 more bytes)".chars().count());
    }

    #[test]
    fn buffer_keeps_the_last_lines() {
        let buffer = LogBuffer::default();
        for i in 0..LOG_CAPACITY + 3 {
            buffer.push(LogLine {
                time: String::new(),
                level: LogLevel::Info,
                target: "t".into(),
                message: i.to_string(),
            });
        }
        let lines = buffer.lines();
        assert_eq!(lines.len(), LOG_CAPACITY);
        assert_eq!(lines[0].message, "3");
    }
}
