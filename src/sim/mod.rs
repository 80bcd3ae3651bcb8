//! The deterministic world: logical clock, seeded PRNG, sans-IO nodes, the event log.
//!
//! After turmoil and FoundationDB's simulation: the [`World`] owns time and randomness;
//! each [`World::step`] delivers exactly one in-flight message to its node and records one
//! [`Event`]. User actions are messages too, so they appear in the same log. The same
//! seed gives the same log, byte for byte ([`Timeline::digest`]). [`Timeline`] keeps the
//! log and periodic snapshots of the world, so any earlier state is a clone plus a few
//! steps away ([`Timeline::state_at`]).

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod bip_tests;
#[cfg(test)]
mod browser_tests;
#[cfg(test)]
mod campaign_tests;
mod event;
mod node;
mod playback;
pub mod scenario;
mod time;
mod timeline;
pub mod trace;
#[cfg(test)]
mod usb_tests;
mod world;

pub use event::{Event, Layer, Message, NodeId, Payload};
pub use node::Node;
pub use playback::Playback;
pub use scenario::Scenario;
pub use time::Instant;
pub use timeline::Timeline;
pub use world::{Action, World, RADIO_UPLINK_MICROS, SMSC_DELIVERY_MICROS, SMSC_LINK_MICROS};
