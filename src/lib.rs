//! # bipscope
//!
//! An interactive emulator of remote smart-card administration over BIP (the bearer
//! independent protocol of ETSI TS 102 223) and the Smart Card Web Server. Three roles
//! — the remote administration **server**, the **phone** with its access **gateway**,
//! and the **card** (UICC) — and the operator's **network** with its SMS centre run as
//! sans-IO state machines inside a deterministic [`sim::World`], exchanging real SMS
//! TPDUs, ISO 7816 APDUs and CAT commands.
//!
//! ```text
//!             ┌──────────── ui/ (Yew, wasm only) ─────────────┐
//!             │ lanes · sequence diagram · inspector · hex    │  reads the log, sends actions
//!             └───────────────────────┬───────────────────────┘
//!                                     │
//!    sim/  World { clock, rng, nodes, in-flight messages }  step() → one delivered message = one Event
//!             │            │            │               │
//!        server/  ─SMS─  net/  ─SMS─  phone/  ─APDU─  card/    each a sans-IO state machine:
//!         (RAS)     (SMS centre)  (ME + gateway)   (UICC)      handle(now, message) → outputs
//!             │            │            │               │
//!             └──── wire/: pure codecs, parse ⇄ emit, every field with its byte range ────┘
//! ```
//!
//! Everything except `ui` builds and tests natively with `--no-default-features`: the
//! protocol core has no web crate in its dependency tree and no clock or randomness of
//! its own (time and the seeded PRNG belong to the world).
#![forbid(unsafe_code)]

pub mod card;
pub mod net;
pub mod phone;
pub mod server;
pub mod sim;
pub mod wire;

#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod ui;
