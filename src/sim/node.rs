//! The sans-IO node contract every role implements.

use super::{Instant, Message};

/// A role in the world (server, network, phone, card): a state machine with no I/O,
/// no clock and no randomness of its own. The world hands it one message at a time with
/// the current logical time; it answers with the messages it sends.
pub trait Node {
    /// Handles one delivered message; returns the messages this node sends in reply.
    fn handle(&mut self, now: Instant, message: &Message) -> Vec<Message>;

    /// A one-line description of the node's current state, for the UI's lanes.
    fn status_line(&self) -> String;
}
