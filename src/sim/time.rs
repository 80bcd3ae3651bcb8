//! Logical time: microseconds since the world started. Nothing reads a real clock.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point on the world's logical clock, in microseconds since the start.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Instant(pub u64);

impl Instant {
    /// The start of the world.
    pub const ZERO: Instant = Instant(0);

    /// This instant plus `micros` microseconds (saturating).
    pub fn plus_micros(self, micros: u64) -> Instant {
        Instant(self.0.saturating_add(micros))
    }

    /// Microseconds since the start.
    pub fn as_micros(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Instant {
    /// Milliseconds with microsecond precision: `12.345 ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03} ms", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_milliseconds_with_microseconds() {
        assert_eq!(Instant(12_345).to_string(), "12.345 ms");
        assert_eq!(Instant::ZERO.plus_micros(7).to_string(), "0.007 ms");
    }
}
