//! What a session has to send, in order, and how it goes on the wire: each message in a frame
//! of its own (what every client expects), except a run of messages refused for the same
//! reason, which goes out as one frame holding one Error per message.
//!
//! A client sending flat out past its rate limit gets thousands of these Errors a second
//! (docs/performance.md, "Fourth round"). Their text is the same for the whole run, so it is
//! encoded once and only the Ids differ; and one frame for the run means one websocket frame
//! for the client to read instead of one per message. A Buttplug frame is an array of messages
//! (Buttplug spec, "Messages"), which every official client reads as such.

use std::fmt::Write as _;

use plugboard_protocol::frame;
use plugboard_protocol::messages::ServerMessage;
use plugboard_protocol::Error;

/// Messages waiting to be sent.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    items: Vec<Outgoing>,
}

#[derive(Debug)]
enum Outgoing {
    Message(ServerMessage),
    /// The same Error for each of these Ids.
    Refused {
        error: Error,
        ids: Vec<u32>,
    },
}

impl Outbox {
    pub fn push(&mut self, message: ServerMessage) {
        self.items.push(Outgoing::Message(message));
    }

    pub fn extend(&mut self, messages: impl IntoIterator<Item = ServerMessage>) {
        self.items.extend(messages.into_iter().map(Outgoing::Message));
    }

    /// Answers the message `id` with `error`, in the same frame as the Errors just before it
    /// if they say the same.
    pub fn refuse(&mut self, id: u32, error: &Error) {
        if let Some(Outgoing::Refused { error: last, ids }) = self.items.last_mut() {
            if last == error {
                ids.push(id);
                return;
            }
        }
        self.items.push(Outgoing::Refused { error: error.clone(), ids: vec![id] });
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many messages are waiting (not frames).
    pub fn message_count(&self) -> usize {
        self.items
            .iter()
            .map(|item| match item {
                Outgoing::Message(_) => 1,
                Outgoing::Refused { ids, .. } => ids.len(),
            })
            .sum()
    }

    /// The waiting messages as frames of JSON text, in order; the outbox is empty afterwards.
    pub fn drain_frames(&mut self) -> impl Iterator<Item = String> + '_ {
        self.items.drain(..).map(|item| match item {
            Outgoing::Message(message) => frame::encode_message(&message),
            Outgoing::Refused { error, ids } => refusal_frame(&error, &ids),
        })
    }

    /// The waiting messages one by one, as the client will read them.
    #[cfg(test)]
    pub fn messages(&self) -> Vec<ServerMessage> {
        self.items
            .iter()
            .flat_map(|item| match item {
                Outgoing::Message(message) => vec![message.clone()],
                Outgoing::Refused { error, ids } => ids.iter().map(|&id| error.to_message(id)).collect(),
            })
            .collect()
    }

    #[cfg(test)]
    pub fn clear(&mut self) {
        self.items.clear();
    }
}

/// One frame answering each of `ids` with `error`: the Error is encoded once, with Id 0, and
/// repeated with each Id in its place.
fn refusal_frame(error: &Error, ids: &[u32]) -> String {
    // `[{"Error":{"Id":0,...}}]`: the Id is the body's first field.
    const HEAD: &str = r#"[{"Error":{"Id":0"#;
    let single = frame::encode_message(&error.to_message(0));
    let Some(tail) = single.strip_prefix(HEAD).and_then(|rest| rest.strip_suffix(']')) else {
        // Not the shape above: encode each in full (the same text, only slower).
        let messages: Vec<ServerMessage> = ids.iter().map(|&id| error.to_message(id)).collect();
        return frame::encode_frame(&messages);
    };
    let mut out = String::with_capacity(ids.len() * (tail.len() + 24) + 2);
    out.push('[');
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, r#"{{"Error":{{"Id":{id}{tail}"#);
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::messages::IdOnly;
    use plugboard_protocol::SpecVersion;

    use super::*;

    fn decoded(text: &str) -> Vec<ServerMessage> {
        frame::decode_server_frame(text, SpecVersion::V4).into_iter().map(|m| m.expect("decodes")).collect()
    }

    #[test]
    fn a_run_of_the_same_error_is_one_frame_that_reads_as_one_error_per_message() {
        let mut outbox = Outbox::default();
        let busy = Error::message("Too many \"messages\": slow down.");
        outbox.push(ServerMessage::ok(1));
        for id in [2, 3, 40_000_000] {
            outbox.refuse(id, &busy);
        }
        outbox.refuse(5, &Error::message("Something else."));
        outbox.push(ServerMessage::Ok(IdOnly { id: 6 }));
        assert_eq!(outbox.message_count(), 6);
        let frames: Vec<String> = outbox.drain_frames().collect();
        assert!(outbox.is_empty());
        assert_eq!(frames.len(), 4, "{frames:?}");
        let run = decoded(&frames[1]);
        let expected: Vec<ServerMessage> = [2, 3, 40_000_000].iter().map(|&id| busy.to_message(id)).collect();
        assert_eq!(run, expected);
        // Byte for byte what encoding each Error in full gives.
        assert_eq!(frames[1], frame::encode_frame(&expected));
        assert_eq!(decoded(&frames[2]), [Error::message("Something else.").to_message(5)]);
        assert_eq!(frames[3], r#"[{"Ok":{"Id":6}}]"#);
    }

    #[test]
    fn errors_with_the_same_text_but_another_code_are_not_one_run() {
        let mut outbox = Outbox::default();
        outbox.refuse(1, &Error::message("No."));
        outbox.refuse(2, &Error::device("No."));
        assert_eq!(outbox.drain_frames().count(), 2);
    }
}
