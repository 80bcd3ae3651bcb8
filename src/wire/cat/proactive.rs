//! Proactive commands: the BER-TLV template `D0` a FETCH returns (ETSI TS 102 223 §6.6,
//! coding in §6.6 and the per-command clauses).

use super::objects::{
    tag, BearerDescription, BearerType, CommandDetails, CommandType, Context, DataObject,
    DeviceIdentities, DeviceIdentity, Event, Object, OtherAddress, TransportLevel,
    TransportProtocol,
};
use super::text;
use super::{
    describe_template, emit_template, find, first_details, first_devices, parse_template, require,
    template_len,
};
use crate::wire::{DecodeError, Field};

/// A proactive command (TS 102 223 §6.6): template `D0` holding command details, device
/// identities and the command's own data objects, in wire order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProactiveCommand {
    details: CommandDetails,
    devices: DeviceIdentities,
    objects: Vec<DataObject>,
}

impl ProactiveCommand {
    /// The proactive command template tag (TS 101 220 §7.2).
    pub const TAG: u8 = 0xD0;

    /// A command with its command details (§8.6) and device identities (§8.7); add the
    /// other objects with [`ProactiveCommand::with`].
    pub fn new(
        number: u8,
        command_type: CommandType,
        qualifier: u8,
        source: DeviceIdentity,
        destination: DeviceIdentity,
    ) -> ProactiveCommand {
        let details = CommandDetails {
            number,
            command_type,
            qualifier,
        };
        let devices = DeviceIdentities {
            source,
            destination,
        };
        ProactiveCommand {
            details,
            devices,
            objects: vec![
                Object::CommandDetails(details).into(),
                Object::DeviceIdentities(devices).into(),
            ],
        }
    }

    /// Appends a data object.
    pub fn with(mut self, object: impl Into<DataObject>) -> ProactiveCommand {
        self.objects.push(object.into());
        self
    }

    /// Parses template `D0` (TS 102 223 §6.6) and checks the mandatory objects: command
    /// details and device identities always; for OPEN CHANNEL (§6.6.27) bearer
    /// description and buffer size, or buffer size and transport level in UICC server
    /// mode and for a direct communication channel, plus the address on a CS bearer and
    /// the transport level on the default bearer; channel data length for RECEIVE DATA
    /// (§6.6.29); channel data for SEND DATA (§6.6.30); event list for SET UP EVENT LIST
    /// (§6.6.16). Other objects are kept, typed when known.
    pub fn parse(bytes: &[u8]) -> Result<ProactiveCommand, DecodeError> {
        const WHAT: &str = "proactive command (D0)";
        let (tag, _, value) = parse_template(bytes, WHAT)?;
        if tag != Self::TAG {
            return Err(DecodeError::BadTag {
                what: "proactive command (template D0 expected)",
                tag: u32::from(tag),
            });
        }
        let objects = DataObject::parse_all(value)?;
        let details = first_details(&objects).ok_or(DecodeError::Missing {
            what: "command details",
            within: "proactive command (TS 102 223 §6.6)",
        })?;
        let devices = first_devices(&objects).ok_or(DecodeError::Missing {
            what: "device identities",
            within: "proactive command (TS 102 223 §6.6)",
        })?;
        check_mandatory(details.command_type, &objects)?;
        Ok(ProactiveCommand {
            details,
            devices,
            objects,
        })
    }

    /// The encoded template.
    pub fn emit(&self) -> Vec<u8> {
        emit_template(Self::TAG, &self.objects)
    }

    /// Number of bytes [`ProactiveCommand::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        template_len(&self.objects)
    }

    /// The field tree, path `proactive`, offsets from the template tag.
    pub fn describe(&self) -> Field {
        let mut root = describe_template(
            "proactive",
            "Proactive command",
            Self::TAG,
            &self.objects,
            Context::Command(self.details.command_type),
        );
        root.value = self.details.command_type.to_string();
        root.note = "TS 102 223 §6.6; the terminal gets it with FETCH after a 91XX status".into();
        root
    }

    /// The (first) command details.
    pub fn details(&self) -> CommandDetails {
        self.details
    }

    /// The (first) device identities.
    pub fn devices(&self) -> DeviceIdentities {
        self.devices
    }

    /// All data objects, in wire order.
    pub fn objects(&self) -> &[DataObject] {
        &self.objects
    }

    /// Channel data length (§8.54): bytes requested by RECEIVE DATA.
    pub fn channel_data_length(&self) -> Option<u8> {
        find(&self.objects, |o| match o {
            Object::ChannelDataLength(n) => Some(*n),
            _ => None,
        })
    }

    /// Channel data (§8.53): what SEND DATA sends.
    pub fn channel_data(&self) -> Option<&[u8]> {
        find(&self.objects, |o| match o {
            Object::ChannelData(d) => Some(d.as_slice()),
            _ => None,
        })
    }

    /// UICC/terminal interface transport level (§8.59) of OPEN CHANNEL.
    pub fn transport_level(&self) -> Option<TransportLevel> {
        find(&self.objects, |o| match o {
            Object::TransportLevel(t) => Some(*t),
            _ => None,
        })
    }

    /// Buffer size (§8.55) of OPEN CHANNEL.
    pub fn buffer_size(&self) -> Option<u16> {
        find(&self.objects, |o| match o {
            Object::BufferSize(n) => Some(*n),
            _ => None,
        })
    }

    /// Bearer description (§8.52) of OPEN CHANNEL.
    pub fn bearer_description(&self) -> Option<&BearerDescription> {
        find(&self.objects, |o| match o {
            Object::BearerDescription(b) => Some(b),
            _ => None,
        })
    }

    /// Network access name (§8.61) of OPEN CHANNEL as text (the APN labels of 3GPP TS
    /// 23.003 §9.1 joined with dots); `None` when absent or when a label runs past the
    /// end.
    pub fn network_access_name(&self) -> Option<String> {
        find(&self.objects, |o| match o {
            Object::NetworkAccessName(n) => text::network_access_name(n),
            _ => None,
        })
    }

    /// Data destination address of OPEN CHANNEL (§6.6.27): the other address (§8.58)
    /// that follows the UICC/terminal interface transport level. An other address
    /// before the transport level (or in a command without one) is the local address.
    pub fn data_destination_address(&self) -> Option<&OtherAddress> {
        self.other_address(true)
    }

    /// Local address of OPEN CHANNEL (§6.6.27): the other address (§8.58) that comes
    /// before the UICC/terminal interface transport level.
    pub fn local_address(&self) -> Option<&OtherAddress> {
        self.other_address(false)
    }

    /// The first other address after (`after_transport`) or before the transport level.
    fn other_address(&self, after_transport: bool) -> Option<&OtherAddress> {
        let transport_at = self
            .objects
            .iter()
            .position(|o| matches!(o.object, Object::TransportLevel(_)));
        self.objects
            .iter()
            .enumerate()
            .filter(|(i, _)| match transport_at {
                Some(t) => (*i > t) == after_transport,
                None => !after_transport,
            })
            .find_map(|(_, o)| match &o.object {
                Object::OtherAddress(a) => Some(a),
                _ => None,
            })
    }

    /// Event list (§8.25) of SET UP EVENT LIST.
    pub fn events(&self) -> Option<&[Event]> {
        find(&self.objects, |o| match o {
            Object::EventList(e) => Some(e.as_slice()),
            _ => None,
        })
    }
}

fn check_mandatory(command_type: CommandType, objects: &[DataObject]) -> Result<(), DecodeError> {
    match command_type {
        CommandType::OPEN_CHANNEL => check_open_channel(objects),
        CommandType::RECEIVE_DATA => require(
            objects,
            tag::CHANNEL_DATA_LENGTH,
            "channel data length",
            "RECEIVE DATA (TS 102 223 §6.6.29)",
        ),
        CommandType::SEND_DATA => require(
            objects,
            tag::CHANNEL_DATA,
            "channel data",
            "SEND DATA (TS 102 223 §6.6.30)",
        ),
        CommandType::SET_UP_EVENT_LIST => require(
            objects,
            tag::EVENT_LIST,
            "event list",
            "SET UP EVENT LIST (TS 102 223 §6.6.16)",
        ),
        // CLOSE CHANNEL (§6.6.28) and GET CHANNEL STATUS (§6.6.31) need nothing beyond
        // command details and device identities.
        _ => Ok(()),
    }
}

/// OPEN CHANNEL (TS 102 223 §6.6.27) has one object table per kind of channel; the
/// transport level and bearer type tell which one applies.
fn check_open_channel(objects: &[DataObject]) -> Result<(), DecodeError> {
    let protocol = find(objects, |o| match o {
        Object::TransportLevel(t) => Some(t.protocol),
        _ => None,
    });
    match protocol {
        Some(TransportProtocol::TCP_SERVER) => require(
            objects,
            tag::BUFFER_SIZE,
            "buffer size",
            "OPEN CHANNEL in UICC server mode (TS 102 223 §6.6.27)",
        ),
        Some(TransportProtocol::DIRECT) => require(
            objects,
            tag::BUFFER_SIZE,
            "buffer size",
            "OPEN CHANNEL for a direct communication channel (TS 102 223 §6.6.27)",
        ),
        _ => {
            const WITHIN: &str = "OPEN CHANNEL (TS 102 223 §6.6.27)";
            require(
                objects,
                tag::BEARER_DESCRIPTION,
                "bearer description",
                WITHIN,
            )?;
            require(objects, tag::BUFFER_SIZE, "buffer size", WITHIN)?;
            let bearer = find(objects, |o| match o {
                Object::BearerDescription(b) => Some(b.bearer_type),
                _ => None,
            });
            match bearer {
                Some(BearerType::CSD) => require(
                    objects,
                    tag::ADDRESS,
                    "address",
                    "OPEN CHANNEL on a CS bearer (TS 102 223 §6.6.27)",
                ),
                Some(BearerType::DEFAULT) => require(
                    objects,
                    tag::TRANSPORT_LEVEL,
                    "UICC/terminal interface transport level",
                    "OPEN CHANNEL on the default network bearer (TS 102 223 §6.6.27)",
                ),
                _ => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::objects::{BearerDescription, OtherAddress};
    use crate::wire::hex;

    fn parse(text: &str) -> Result<ProactiveCommand, DecodeError> {
        ProactiveCommand::parse(&hex::parse(text).unwrap())
    }

    #[test]
    fn builds_receive_data_bytes_of_the_conformance_vector() {
        let cmd = ProactiveCommand::new(
            1,
            CommandType::RECEIVE_DATA,
            0,
            DeviceIdentity::UICC,
            DeviceIdentity::channel(1),
        )
        .with(Object::ChannelDataLength(200));
        assert_eq!(hex::compact(&cmd.emit()), "D00C810301420082028121B701C8");
        assert_eq!(cmd.buffer_len(), 14);
    }

    #[test]
    fn builds_open_channel_in_server_mode() {
        let cmd = ProactiveCommand::new(
            1,
            CommandType::OPEN_CHANNEL,
            0,
            DeviceIdentity::UICC,
            DeviceIdentity::TERMINAL,
        )
        .with(Object::BufferSize(1400))
        .with(Object::TransportLevel(TransportLevel {
            protocol: TransportProtocol::TCP_SERVER,
            port: 3516,
        }));
        let raw = cmd.emit();
        assert_eq!(
            hex::compact(&raw),
            "D012810301400082028182B9020578BC03030DBC"
        );
        let back = ProactiveCommand::parse(&raw).unwrap();
        assert_eq!(back, cmd);
        assert_eq!(
            back.transport_level(),
            Some(TransportLevel {
                protocol: TransportProtocol::TCP_SERVER,
                port: 3516
            })
        );
        assert_eq!(back.buffer_size(), Some(1400));
    }

    #[test]
    fn rejects_server_mode_open_channel_without_buffer_size() {
        assert_eq!(
            parse("D00E8103014000820281823C03030DBC").map(|_| ()),
            Err(DecodeError::Missing {
                what: "buffer size",
                within: "OPEN CHANNEL in UICC server mode (TS 102 223 §6.6.27)"
            })
        );
    }

    #[test]
    fn rejects_client_open_channel_without_bearer_description() {
        assert!(matches!(
            parse("D00D81030140018202818239020578"),
            Err(DecodeError::Missing {
                what: "bearer description",
                ..
            })
        ));
    }

    #[test]
    fn accepts_gprs_open_channel_with_destination_address() {
        let cmd = ProactiveCommand::new(
            7,
            CommandType::OPEN_CHANNEL,
            0x01,
            DeviceIdentity::UICC,
            DeviceIdentity::TERMINAL,
        )
        .with(Object::BearerDescription(BearerDescription {
            bearer_type: BearerType::PACKET,
            parameters: vec![0, 0, 3, 0, 0, 2],
        }))
        .with(Object::BufferSize(1024))
        .with(Object::NetworkAccessName(b"\x08internet".to_vec()))
        .with(Object::TransportLevel(TransportLevel {
            protocol: TransportProtocol::TCP_CLIENT_REMOTE,
            port: 443,
        }))
        .with(Object::OtherAddress(OtherAddress::Ipv4(
            [10, 0, 0, 1].into(),
        )));
        let back = ProactiveCommand::parse(&cmd.emit()).unwrap();
        assert_eq!(back, cmd);
        assert_eq!(back.network_access_name().as_deref(), Some("internet"));
        assert_eq!(
            back.data_destination_address(),
            Some(&OtherAddress::Ipv4([10, 0, 0, 1].into()))
        );
        let tree = back.describe();
        assert_eq!(
            tree.find("proactive.network_access_name")
                .map(|f| f.value.as_str()),
            Some("internet")
        );
        assert_eq!(
            tree.find("proactive.other_address")
                .map(|f| f.value.as_str()),
            Some("IPv4 10.0.0.1")
        );
        assert!(tree
            .find("proactive.command_details.qualifier")
            .is_some_and(|f| f.note.starts_with("immediate link establishment")));
    }

    #[test]
    fn tells_the_local_address_from_the_data_destination_address() {
        let cmd = ProactiveCommand::new(
            1,
            CommandType::OPEN_CHANNEL,
            0x01,
            DeviceIdentity::UICC,
            DeviceIdentity::TERMINAL,
        )
        .with(Object::BearerDescription(BearerDescription {
            bearer_type: BearerType::DEFAULT,
            parameters: vec![],
        }))
        .with(Object::BufferSize(1400))
        .with(Object::OtherAddress(OtherAddress::Ipv4(
            [192, 0, 2, 7].into(),
        )))
        .with(Object::TransportLevel(TransportLevel {
            protocol: TransportProtocol::UDP_CLIENT_REMOTE,
            port: 53,
        }))
        .with(Object::OtherAddress(OtherAddress::Ipv4(
            [198, 51, 100, 1].into(),
        )));
        let back = ProactiveCommand::parse(&cmd.emit()).unwrap();
        assert_eq!(
            back.local_address(),
            Some(&OtherAddress::Ipv4([192, 0, 2, 7].into()))
        );
        assert_eq!(
            back.data_destination_address(),
            Some(&OtherAddress::Ipv4([198, 51, 100, 1].into()))
        );
        assert_eq!(
            back.bearer_description().map(|b| b.bearer_type),
            Some(BearerType::DEFAULT)
        );
        assert_eq!(back.network_access_name(), None);
        // No transport level: an other address is a local address only.
        let bare = ProactiveCommand::new(
            1,
            CommandType::OPEN_CHANNEL,
            0,
            DeviceIdentity::UICC,
            DeviceIdentity::TERMINAL,
        )
        .with(Object::OtherAddress(OtherAddress::Empty));
        assert_eq!(bare.local_address(), Some(&OtherAddress::Empty));
        assert_eq!(bare.data_destination_address(), None);
    }

    #[test]
    fn rejects_receive_data_without_channel_data_length() {
        assert_eq!(
            parse("D009810301420082028121").map(|_| ()),
            Err(DecodeError::Missing {
                what: "channel data length",
                within: "RECEIVE DATA (TS 102 223 §6.6.29)"
            })
        );
    }

    #[test]
    fn rejects_set_up_event_list_without_event_list() {
        assert!(parse("D009810301050082028182").is_err());
        let ok = parse("D00D81030105008202818299020A09").unwrap();
        assert_eq!(
            ok.events(),
            Some(&[Event::CHANNEL_STATUS, Event::DATA_AVAILABLE][..])
        );
    }

    #[test]
    fn rejects_missing_device_identities_and_wrong_template() {
        assert!(matches!(
            parse("D0058103014400"),
            Err(DecodeError::Missing {
                what: "device identities",
                ..
            })
        ));
        assert!(matches!(
            parse("D109810301410082028121"),
            Err(DecodeError::BadTag { .. })
        ));
        assert!(matches!(
            parse("D00981030141008202812100"),
            Err(DecodeError::TrailingBytes { .. })
        ));
    }

    #[test]
    fn keeps_unknown_objects_and_other_commands() {
        // DISPLAY TEXT with a text string (8D) and an unknown three-byte tag 7F0123.
        let raw = "D0158103012180820281028D0504546578747F01230100";
        let cmd = parse(raw).unwrap();
        assert_eq!(cmd.details().command_type, CommandType::DISPLAY_TEXT);
        assert_eq!(hex::compact(&cmd.emit()), raw);
        let tree = cmd.describe();
        assert_eq!(
            tree.find("proactive.tag_0d").map(|f| f.label.as_str()),
            Some("Text string")
        );
        assert_eq!(tree.find("proactive.tag_123").map(|f| f.len), Some(5));
    }
}
