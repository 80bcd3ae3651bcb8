//! TERMINAL RESPONSE (ETSI TS 102 223 §6.8): the terminal's answer to a proactive
//! command. Unlike commands and envelopes it has no template tag: the data field of the
//! TERMINAL RESPONSE APDU is a bare COMPREHENSION-TLV sequence.

use super::objects::{
    tag, ChannelStatus, CommandDetails, CommandResult, CommandType, Context, DataObject,
    DeviceIdentities, DeviceIdentity, GeneralResult, Object,
};
use super::proactive::ProactiveCommand;
use super::{find, first_details, require};
use crate::wire::{DecodeError, Field};

/// A terminal response (TS 102 223 §6.8): command details, device identities, result,
/// then the objects the command type asks for, in wire order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalResponse {
    details: CommandDetails,
    result: CommandResult,
    objects: Vec<DataObject>,
}

impl TerminalResponse {
    /// "Command performed successfully" for `command`: its command details object as
    /// received (§6.8: the terminal copies it), device identities terminal → UICC and
    /// result `00`.
    pub fn ok_for(command: &ProactiveCommand) -> TerminalResponse {
        TerminalResponse::error_for(command, GeneralResult::OK, &[])
    }

    /// A response to `command` with general result `general` and additional
    /// information `additional` (§8.12), e.g. `3A` `02` (BIP error, channel closed).
    pub fn error_for(
        command: &ProactiveCommand,
        general: GeneralResult,
        additional: &[u8],
    ) -> TerminalResponse {
        let details = command
            .objects()
            .iter()
            .find(|o| matches!(o.object, Object::CommandDetails(_)))
            .cloned()
            .unwrap_or_else(|| Object::CommandDetails(command.details()).into());
        let result = CommandResult {
            general,
            additional: additional.to_vec(),
        };
        TerminalResponse {
            details: command.details(),
            result: result.clone(),
            objects: vec![
                details,
                Object::DeviceIdentities(DeviceIdentities {
                    source: DeviceIdentity::TERMINAL,
                    destination: DeviceIdentity::UICC,
                })
                .into(),
                Object::Result(result).into(),
            ],
        }
    }

    /// Appends a data object.
    pub fn with(mut self, object: impl Into<DataObject>) -> TerminalResponse {
        self.objects.push(object.into());
        self
    }

    /// Parses a terminal response (TS 102 223 §6.8). Command details, device identities
    /// and result are mandatory. When the result says the command was performed
    /// (`0X`): RECEIVE DATA needs channel data and channel data length, SEND DATA the
    /// channel data length, OPEN CHANNEL channel status and buffer size. GET CHANNEL
    /// STATUS may carry any number of channel status objects (none when no channel is
    /// open). A response reporting a failure may omit them all.
    pub fn parse(bytes: &[u8]) -> Result<TerminalResponse, DecodeError> {
        if bytes.is_empty() {
            return Err(DecodeError::Truncated {
                what: "terminal response",
                needed: 1,
                available: 0,
            });
        }
        let objects = DataObject::parse_all(bytes)?;
        const WITHIN: &str = "terminal response (TS 102 223 §6.8)";
        let details = first_details(&objects).ok_or(DecodeError::Missing {
            what: "command details",
            within: WITHIN,
        })?;
        require(
            &objects,
            tag::DEVICE_IDENTITIES,
            "device identities",
            WITHIN,
        )?;
        let result = find(&objects, |o| match o {
            Object::Result(r) => Some(r.clone()),
            _ => None,
        })
        .ok_or(DecodeError::Missing {
            what: "result",
            within: WITHIN,
        })?;
        if result.general.is_performed() {
            match details.command_type {
                CommandType::RECEIVE_DATA => {
                    const IN: &str = "terminal response to RECEIVE DATA (TS 102 223 §6.8)";
                    require(&objects, tag::CHANNEL_DATA, "channel data", IN)?;
                    require(
                        &objects,
                        tag::CHANNEL_DATA_LENGTH,
                        "channel data length",
                        IN,
                    )?;
                }
                CommandType::SEND_DATA => require(
                    &objects,
                    tag::CHANNEL_DATA_LENGTH,
                    "channel data length",
                    "terminal response to SEND DATA (TS 102 223 §6.8)",
                )?,
                CommandType::OPEN_CHANNEL => {
                    const IN: &str = "terminal response to OPEN CHANNEL (TS 102 223 §6.8)";
                    require(&objects, tag::CHANNEL_STATUS, "channel status", IN)?;
                    require(&objects, tag::BUFFER_SIZE, "buffer size", IN)?;
                }
                _ => {}
            }
        }
        Ok(TerminalResponse {
            details,
            result,
            objects,
        })
    }

    /// The encoded COMPREHENSION-TLV sequence.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buffer_len());
        DataObject::emit_all(&self.objects, &mut out);
        out
    }

    /// Number of bytes [`TerminalResponse::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        DataObject::buffer_len_all(&self.objects)
    }

    /// The field tree, path `terminal_response`.
    pub fn describe(&self) -> Field {
        let mut root = Field::new(
            "terminal_response",
            "Terminal response",
            0,
            self.buffer_len(),
        )
        .with_value(format!(
            "to {}: {}",
            self.details.command_type, self.result.general
        ))
        .with_note("TS 102 223 §6.8: no template tag, the data objects follow each other");
        DataObject::describe_all(
            &self.objects,
            &mut root,
            0,
            Context::Response(self.details.command_type),
        );
        root
    }

    /// The (first) command details, copied from the command answered.
    pub fn details(&self) -> CommandDetails {
        self.details
    }

    /// The (first) result.
    pub fn result(&self) -> &CommandResult {
        &self.result
    }

    pub fn objects(&self) -> &[DataObject] {
        &self.objects
    }

    /// Channel data (§8.53): bytes received, in the response to RECEIVE DATA.
    pub fn channel_data(&self) -> Option<&[u8]> {
        find(&self.objects, |o| match o {
            Object::ChannelData(d) => Some(d.as_slice()),
            _ => None,
        })
    }

    /// Channel data length (§8.54): bytes left in the Rx buffer (RECEIVE DATA) or free
    /// in the Tx buffer (SEND DATA); `FF` = more than 255.
    pub fn channel_data_length(&self) -> Option<u8> {
        find(&self.objects, |o| match o {
            Object::ChannelDataLength(n) => Some(*n),
            _ => None,
        })
    }

    /// Every channel status object (§8.56), in order.
    pub fn channel_statuses(&self) -> Vec<ChannelStatus> {
        self.objects
            .iter()
            .filter_map(|o| match o.object {
                Object::ChannelStatus(s) => Some(s),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::objects::ChannelState;
    use crate::wire::hex;

    fn send_data() -> ProactiveCommand {
        ProactiveCommand::parse(&hex::parse("D013810301430182028121B6080001020304050607").unwrap())
            .unwrap()
    }

    #[test]
    fn ok_for_builds_the_send_data_vector() {
        let tr = TerminalResponse::ok_for(&send_data()).with(Object::ChannelDataLength(0xFF));
        assert_eq!(hex::compact(&tr.emit()), "810301430182028281830100B701FF");
        assert_eq!(tr.buffer_len(), 15);
    }

    #[test]
    fn error_for_carries_additional_information() {
        let tr = TerminalResponse::error_for(&send_data(), GeneralResult::BIP_ERROR, &[0x02]);
        let raw = tr.emit();
        assert_eq!(hex::compact(&raw), "81030143018202828183023A02");
        // A failed SEND DATA needs no channel data length.
        let back = TerminalResponse::parse(&raw).unwrap();
        assert_eq!(back.result().general, GeneralResult::BIP_ERROR);
        assert_eq!(
            back.describe()
                .find("terminal_response.result.additional")
                .map(|f| f.value.as_str()),
            Some("02 channel closed")
        );
    }

    #[test]
    fn copies_command_details_as_received() {
        // Command details without CR (01) in the command: the response repeats them so.
        let cmd = ProactiveCommand::parse(&hex::parse("D009010301440082028182").unwrap()).unwrap();
        let tr = TerminalResponse::ok_for(&cmd);
        assert_eq!(tr.emit()[..2], [0x01, 0x03]);
    }

    #[test]
    fn successful_receive_data_needs_data_and_length() {
        let ok = hex::parse("810301420082028281830100B603AABBCCB70100").unwrap();
        let tr = TerminalResponse::parse(&ok).unwrap();
        assert_eq!(tr.channel_data(), Some(&[0xAA, 0xBB, 0xCC][..]));
        assert_eq!(tr.channel_data_length(), Some(0));
        let without_length = &ok[..ok.len() - 3];
        assert_eq!(
            TerminalResponse::parse(without_length),
            Err(DecodeError::Missing {
                what: "channel data length",
                within: "terminal response to RECEIVE DATA (TS 102 223 §6.8)"
            })
        );
    }

    #[test]
    fn open_channel_response_in_server_mode() {
        // Channel 1 listening, buffer 1400, status with CR clear (38).
        let raw = hex::parse("8103014000820282818301003802410039020578").unwrap();
        let tr = TerminalResponse::parse(&raw).unwrap();
        assert_eq!(
            tr.channel_statuses(),
            vec![ChannelStatus::new(1, ChannelState::Listen, 0)]
        );
        assert_eq!(tr.emit(), raw);
        let tree = tr.describe();
        assert_eq!(
            tree.find("terminal_response.channel_status.state")
                .map(|f| f.value.as_str()),
            Some("TCP in LISTEN state")
        );
        assert_eq!(
            tree.find("terminal_response.channel_status.tag")
                .map(|f| f.note.as_str()),
            Some("CR clear: comprehension not required")
        );
        assert!(TerminalResponse::parse(&raw[..raw.len() - 4]).is_err());
    }

    #[test]
    fn get_channel_status_response_lists_every_channel() {
        let raw = hex::parse("810301440082028281830100B8028100B8020205").unwrap();
        let tr = TerminalResponse::parse(&raw).unwrap();
        let statuses = tr.channel_statuses();
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[1].channel_id(), 2);
        assert_eq!(statuses[1].further_info, ChannelStatus::LINK_DROPPED);
    }

    #[test]
    fn rejects_missing_result_and_empty_input() {
        assert_eq!(
            TerminalResponse::parse(&hex::parse("810301410082028281").unwrap()),
            Err(DecodeError::Missing {
                what: "result",
                within: "terminal response (TS 102 223 §6.8)"
            })
        );
        assert!(TerminalResponse::parse(&[]).is_err());
    }
}
