//! The USIM application (3GPP TS 31.102): its network authentication.
//!
//! - [`milenage`]: the MILENAGE algorithm set, 3GPP TS 35.206, tested against all six
//!   test sets of TS 35.208;
//! - [`sqn`]: sequence number management, TS 33.102 Annex C (array of SEQ_MS per 5-bit
//!   IND, Δ = 2^28);
//! - [`auth`]: the AUTHENTICATE command in the 3G security context, TS 31.102 §7.1.2 with
//!   the USIM behaviour of TS 33.102 §6.3.3 and §6.3.5, plus the network side's AUTN and
//!   AUTS helpers.
//!
//! The card calls [`authenticate`] with the subscriber's [`Milenage`] keys, its persisted
//! [`SqnState`] and the command APDU, sends [`Authentication::response`] and writes
//! [`Authentication::new_state`] through its journalled storage when it is `Some`.

pub mod auth;
pub mod milenage;
pub mod sqn;

pub use auth::{authenticate, check_auts, make_autn, Authentication, Outcome};
pub use milenage::Milenage;
pub use sqn::{SqnRejection, SqnState};
