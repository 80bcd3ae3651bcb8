//! The trace file: a run's events as JSON, for other tools and for reading back.
//!
//! ```json
//! {"version":1,"events":[{"step":1,"time_us":0,"from":"user","to":"phone",
//!   "layer":"action","summary":"Power on","hex":"","caused_by":null}, …]}
//! ```
//!
//! `version` is this layout's number ([`TRACE_VERSION`]); each event carries its step,
//! the logical time in microseconds, the sending and receiving roles and the layer by
//! their names ([`NodeId::name`], [`Layer::name`]), a one-line summary (the event's
//! title), the bytes in upper-case hex without spaces, and the step that caused it.

use super::{Event, Layer, NodeId};
use crate::wire::hex;
use serde::{Deserialize, Serialize};

/// The number of this layout; a reader refuses another.
pub const TRACE_VERSION: u32 = 1;

/// A run's events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub version: u32,
    pub events: Vec<TraceEvent>,
}

/// One event of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub step: u64,
    pub time_us: u64,
    pub from: String,
    pub to: String,
    pub layer: String,
    pub summary: String,
    pub hex: String,
    pub caused_by: Option<u64>,
}

impl From<&Event> for TraceEvent {
    fn from(event: &Event) -> TraceEvent {
        TraceEvent {
            step: event.step,
            time_us: event.time.as_micros(),
            from: event.from.name().to_string(),
            to: event.to.name().to_string(),
            layer: event.layer.name().to_string(),
            summary: event.title.clone(),
            hex: hex::compact(&event.bytes),
            caused_by: event.caused_by,
        }
    }
}

impl Trace {
    /// The trace of `events`.
    pub fn of(events: &[Event]) -> Trace {
        Trace {
            version: TRACE_VERSION,
            events: events.iter().map(TraceEvent::from).collect(),
        }
    }

    /// Reads a trace, checking its version and that every role, layer and hex string is
    /// one this version knows.
    pub fn parse(json: &str) -> Result<Trace, String> {
        let trace: Trace = serde_json::from_str(json).map_err(|e| format!("not a trace: {e}"))?;
        if trace.version != TRACE_VERSION {
            return Err(format!(
                "trace version {} (this bipscope reads version {TRACE_VERSION})",
                trace.version
            ));
        }
        for event in &trace.events {
            let known_node = |name: &str| NODES.iter().any(|n| n.name() == name);
            if !known_node(&event.from) || !known_node(&event.to) {
                return Err(format!("step {}: unknown role", event.step));
            }
            if !LAYERS.iter().any(|l| l.name() == event.layer) {
                return Err(format!(
                    "step {}: unknown layer {:?}",
                    event.step, event.layer
                ));
            }
            hex::parse(&event.hex)
                .or_else(|e| match e {
                    hex::HexError::Empty => Ok(Vec::new()),
                    other => Err(other),
                })
                .map_err(|e| format!("step {}: bad hex: {e}", event.step))?;
        }
        Ok(trace)
    }
}

const NODES: [NodeId; 5] = [
    NodeId::User,
    NodeId::Server,
    NodeId::Network,
    NodeId::Phone,
    NodeId::Card,
];

const LAYERS: [Layer; 6] = [
    Layer::Action,
    Layer::Iso7816,
    Layer::Apdu,
    Layer::Sms,
    Layer::Tcp,
    Layer::Timer,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Scenario;

    #[test]
    fn a_trace_reads_back_as_it_was_written() {
        let timeline = Scenario::ScwsGet.record(1);
        let trace = Trace::of(timeline.log());
        let json = serde_json::to_string(&trace).unwrap();
        assert_eq!(Trace::parse(&json).unwrap(), trace);
        let first = &trace.events[0];
        assert_eq!(
            (first.step, first.from.as_str(), first.to.as_str()),
            (1, "user", "phone")
        );
        let tcp = trace
            .events
            .iter()
            .find(|e| e.layer == "tcp" && !e.hex.is_empty())
            .unwrap();
        assert!(tcp.hex.starts_with("45"), "{}", tcp.hex);
        assert_eq!(trace.events.len(), timeline.log().len());
    }

    #[test]
    fn a_trace_of_another_version_or_with_bad_fields_is_refused() {
        let event = r#"{"step":1,"time_us":0,"from":"user","to":"phone","layer":"action","summary":"x","hex":"","caused_by":null}"#;
        assert!(Trace::parse(&format!(r#"{{"version":1,"events":[{event}]}}"#)).is_ok());
        let error = Trace::parse(&format!(r#"{{"version":2,"events":[{event}]}}"#)).unwrap_err();
        assert!(error.contains("version 2"), "{error}");
        let bad_layer = event.replace("action", "radio");
        assert!(
            Trace::parse(&format!(r#"{{"version":1,"events":[{bad_layer}]}}"#))
                .unwrap_err()
                .contains("unknown layer")
        );
        let bad_hex = event.replace(r#""hex":"""#, r#""hex":"0G""#);
        assert!(
            Trace::parse(&format!(r#"{{"version":1,"events":[{bad_hex}]}}"#))
                .unwrap_err()
                .contains("bad hex")
        );
        assert!(Trace::parse("[]").unwrap_err().starts_with("not a trace"));
    }
}
