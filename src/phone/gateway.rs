//! The phone's access gateway (patent module 10, step S300): the table of BIP channels
//! the card opened in UICC server mode, each bound to a local TCP port the gateway
//! listens on.
//!
//! OPEN CHANNEL in UICC server mode (ETSI TS 102 223 §6.4.27.5) names a port and a
//! buffer size; the terminal chooses the channel identifier (§6.4.27: "the terminal
//! shall allocate a channel identifier"), here the lowest free one from 1 to
//! [`MAX_CHANNELS`], and grants a buffer of at most [`MAX_BUFFER_SIZE`] bytes. No TCP
//! connection exists yet: every channel is in the LISTEN state (channel status byte 1
//! b8–b7 = `01`, §8.56) until a server connects (S400, not emulated yet).

use crate::wire::cat::{ChannelState, ChannelStatus};
use std::collections::BTreeMap;

/// Channels the gateway holds at once: the number byte 13 b8–b6 of the phone's
/// TERMINAL PROFILE declares (TS 102 223 §5.2, at most 7; channel identifiers 1–7,
/// §8.56 b3–b1).
pub const MAX_CHANNELS: u8 = 7;

/// The largest buffer the gateway grants a channel, in bytes: the SCWS's default
/// request (1400, an Ethernet-sized TCP segment less headers) is granted in full, a
/// larger one is cut to this and answered "performed with modification" (`07`).
pub const MAX_BUFFER_SIZE: u16 = 1400;

/// One channel of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    /// Channel identifier, 1 to [`MAX_CHANNELS`].
    pub id: u8,
    /// The local TCP port the gateway listens on for this channel.
    pub port: u16,
    /// The buffer size granted (TS 102 223 §8.55).
    pub buffer_size: u16,
    /// The TCP state; [`ChannelState::Listen`] until a server connects.
    pub state: ChannelState,
}

impl Channel {
    /// The channel status object for this channel (§8.56), no further information.
    pub fn status(&self) -> ChannelStatus {
        ChannelStatus::new(self.id, self.state, ChannelStatus::NO_FURTHER_INFO)
    }
}

/// Why a listening channel could not be opened, with the BIP error additional
/// information of TS 102 223 §8.12.11 (general result `3A`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// All [`MAX_CHANNELS`] channels are in use: `01` no channel available.
    NoChannelAvailable,
    /// A channel already listens on the port: `10` requested UICC/terminal interface
    /// transport level not available (port not available).
    PortNotAvailable,
}

impl OpenError {
    /// The additional information byte that goes with general result `3A`.
    pub fn additional_info(self) -> u8 {
        match self {
            OpenError::NoChannelAvailable => 0x01,
            OpenError::PortNotAvailable => 0x10,
        }
    }
}

/// The gateway's channel table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gateway {
    channels: BTreeMap<u8, Channel>,
}

impl Gateway {
    pub fn new() -> Gateway {
        Gateway::default()
    }

    /// The channels, by identifier.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }

    /// The channel with identifier `id`.
    pub fn channel(&self, id: u8) -> Option<&Channel> {
        self.channels.get(&id)
    }

    /// Opens a listening channel on `port` with a buffer of `requested` bytes: the
    /// lowest free identifier, the buffer size cut to [`MAX_BUFFER_SIZE`].
    pub fn listen(&mut self, port: u16, requested: u16) -> Result<Channel, OpenError> {
        if self.channels.values().any(|c| c.port == port) {
            return Err(OpenError::PortNotAvailable);
        }
        let id = (1..=MAX_CHANNELS)
            .find(|id| !self.channels.contains_key(id))
            .ok_or(OpenError::NoChannelAvailable)?;
        let channel = Channel {
            id,
            port,
            buffer_size: requested.min(MAX_BUFFER_SIZE),
            state: ChannelState::Listen,
        };
        self.channels.insert(id, channel);
        Ok(channel)
    }

    /// E.g. `channel 1 listening on TCP 3516`; several channels joined by `, `; empty
    /// when no channel is open.
    pub fn status_line(&self) -> String {
        self.channels
            .values()
            .map(|c| match c.state {
                ChannelState::Listen => format!("channel {} listening on TCP {}", c.id, c.port),
                other => format!("channel {} on TCP {}: {}", c.id, c.port, other.describe()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_the_lowest_free_channel_and_refuses_a_busy_port() {
        let mut gateway = Gateway::new();
        let first = gateway.listen(3516, 1400).unwrap();
        assert_eq!((first.id, first.port, first.buffer_size), (1, 3516, 1400));
        assert_eq!(first.status().status, 0x41);
        assert_eq!(gateway.status_line(), "channel 1 listening on TCP 3516");
        assert_eq!(gateway.listen(3516, 100), Err(OpenError::PortNotAvailable));
        assert_eq!(
            gateway.listen(4116, 5000).unwrap().buffer_size,
            MAX_BUFFER_SIZE
        );
        for port in 1..=5 {
            gateway.listen(port, 10).unwrap();
        }
        assert_eq!(gateway.channels().count(), 7);
        assert_eq!(gateway.listen(9, 10), Err(OpenError::NoChannelAvailable));
        assert_eq!(OpenError::NoChannelAvailable.additional_info(), 0x01);
        assert_eq!(OpenError::PortNotAvailable.additional_info(), 0x10);
    }
}
