//! ENVELOPE payloads the terminal sends to the UICC: SMS-PP download (`D1`, TS 102 223
//! §7.1.1 / 3GPP TS 31.111 §7.1.1), event download (`D6`, TS 102 223 §7.5) and the other
//! CAT templates `D2`–`DF` decoded generically.

use super::objects::{
    tag, Address, ChannelStatus, Context, DataObject, DeviceIdentities, DeviceIdentity, Event,
    Object,
};
use super::{describe_template, emit_template, find, parse_template, require, template_len};
use crate::wire::{DecodeError, Field};

/// The name TS 101 220 §7.2 (and 3GPP TS 31.111 §9.1) gives a CAT template tag.
pub fn template_name(tag: u8) -> Option<&'static str> {
    Some(match tag {
        0xCF => "reserved for proprietary use (terminal to UICC)",
        0xD0 => "proactive command",
        0xD1 => "SMS-PP download",
        0xD2 => "cell broadcast download",
        0xD3 => "menu selection",
        0xD4 => "call control",
        0xD5 => "MO short message control",
        0xD6 => "event download",
        0xD7 => "timer expiration",
        0xD8 => "reserved for intra-UICC communication",
        0xD9 => "USSD download",
        0xDA => "MMS transfer status",
        0xDB => "MMS notification download",
        0xDC => "terminal application",
        0xDD => "geographical location reporting",
        0xDE => "envelope container",
        0xDF => "ProSe report",
        _ => return None,
    })
}

fn expect_tag(found: u8, expected: u8, what: &'static str) -> Result<(), DecodeError> {
    if found == expected {
        Ok(())
    } else {
        Err(DecodeError::BadTag {
            what,
            tag: u32::from(found),
        })
    }
}

/// SMS-PP data download (TS 102 223 §7.1.1, 3GPP TS 31.111 §7.1.1): the terminal hands
/// an SMS-DELIVER for the card (TP-PID `7F`) over in template `D1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsPpDownload {
    objects: Vec<DataObject>,
}

impl SmsPpDownload {
    pub const TAG: u8 = 0xD1;

    /// Device identities network → UICC, the service centre address if given, then
    /// the TPDU.
    pub fn new(address: Option<Address>, tpdu: Vec<u8>) -> SmsPpDownload {
        let mut objects = vec![DataObject::from(Object::DeviceIdentities(
            DeviceIdentities {
                source: DeviceIdentity::NETWORK,
                destination: DeviceIdentity::UICC,
            },
        ))];
        if let Some(address) = address {
            objects.push(Object::Address(address).into());
        }
        objects.push(Object::SmsTpdu(tpdu).into());
        SmsPpDownload { objects }
    }

    /// Parses template `D1`; device identities and SMS TPDU are mandatory, the address
    /// optional (3GPP TS 31.111 §7.1.1.2).
    pub fn parse(bytes: &[u8]) -> Result<SmsPpDownload, DecodeError> {
        let (tag, _, value) = parse_template(bytes, "SMS-PP download (D1)")?;
        expect_tag(tag, Self::TAG, "SMS-PP download (template D1 expected)")?;
        let objects = DataObject::parse_all(value)?;
        const WITHIN: &str = "SMS-PP download (TS 31.111 §7.1.1)";
        require(
            &objects,
            tag::DEVICE_IDENTITIES,
            "device identities",
            WITHIN,
        )?;
        require(&objects, tag::SMS_TPDU, "SMS TPDU", WITHIN)?;
        Ok(SmsPpDownload { objects })
    }

    pub fn emit(&self) -> Vec<u8> {
        emit_template(Self::TAG, &self.objects)
    }

    pub fn buffer_len(&self) -> usize {
        template_len(&self.objects)
    }

    /// The field tree, path `sms_pp_download`.
    pub fn describe(&self) -> Field {
        let mut root = describe_template(
            "sms_pp_download",
            "SMS-PP download",
            Self::TAG,
            &self.objects,
            Context::Other,
        );
        root.value = format!("{} byte TPDU", self.tpdu().len());
        root.note =
            "TS 102 223 §7.1.1 / 3GPP TS 31.111 §7.1.1: an SMS for the card, sent in ENVELOPE"
                .into();
        root
    }

    pub fn objects(&self) -> &[DataObject] {
        &self.objects
    }

    /// The SMS TPDU (3GPP TS 23.040).
    pub fn tpdu(&self) -> &[u8] {
        find(&self.objects, |o| match o {
            Object::SmsTpdu(t) => Some(t.as_slice()),
            _ => None,
        })
        .unwrap_or_default()
    }

    /// The service centre address, if given.
    pub fn address(&self) -> Option<&Address> {
        find(&self.objects, |o| match o {
            Object::Address(a) => Some(a),
            _ => None,
        })
    }
}

/// Event download (TS 102 223 §7.5): template `D6` with an event list of exactly one
/// event, device identities, then the event's objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventDownload {
    event: Event,
    objects: Vec<DataObject>,
}

impl EventDownload {
    pub const TAG: u8 = 0xD6;

    /// An event list with `event` and device identities `source` → UICC (the terminal
    /// for data available and channel status, §7.5.10 and §7.5.11).
    pub fn new(event: Event, source: DeviceIdentity) -> EventDownload {
        EventDownload {
            event,
            objects: vec![
                Object::EventList(vec![event]).into(),
                Object::DeviceIdentities(DeviceIdentities {
                    source,
                    destination: DeviceIdentity::UICC,
                })
                .into(),
            ],
        }
    }

    /// Data available (TS 102 223 §7.5.10): the channel's status and the bytes waiting
    /// in its Rx buffer (§8.54: `FF` for more than 255), from the terminal.
    pub fn data_available(status: ChannelStatus, waiting: usize) -> EventDownload {
        EventDownload::new(Event::DATA_AVAILABLE, DeviceIdentity::TERMINAL)
            .with(Object::ChannelStatus(status))
            .with(Object::channel_data_length(waiting))
    }

    /// Channel status (TS 102 223 §7.5.11): the channel's new status, from the terminal.
    pub fn channel_status_change(status: ChannelStatus) -> EventDownload {
        EventDownload::new(Event::CHANNEL_STATUS, DeviceIdentity::TERMINAL)
            .with(Object::ChannelStatus(status))
    }

    /// Appends a data object.
    pub fn with(mut self, object: impl Into<DataObject>) -> EventDownload {
        self.objects.push(object.into());
        self
    }

    /// Parses template `D6` (TS 102 223 §7.5): event list (exactly one event) and device
    /// identities are mandatory; for data available (§7.5.10) channel status and
    /// channel data length too; for channel status (§7.5.11) the channel status.
    pub fn parse(bytes: &[u8]) -> Result<EventDownload, DecodeError> {
        let (tag, _, value) = parse_template(bytes, "event download (D6)")?;
        expect_tag(tag, Self::TAG, "event download (template D6 expected)")?;
        let objects = DataObject::parse_all(value)?;
        let events = find(&objects, |o| match o {
            Object::EventList(e) => Some(e.as_slice()),
            _ => None,
        })
        .ok_or(DecodeError::Missing {
            what: "event list",
            within: "event download (TS 102 223 §7.5)",
        })?;
        let event = match events {
            [one] => *one,
            _ => {
                return Err(DecodeError::BadValue {
                    what: "event list of an event download",
                    detail: format!(
                        "holds {} events; TS 102 223 §7.5 sends exactly one per ENVELOPE",
                        events.len()
                    ),
                })
            }
        };
        require(
            &objects,
            tag::DEVICE_IDENTITIES,
            "device identities",
            "event download (TS 102 223 §7.5)",
        )?;
        match event {
            Event::DATA_AVAILABLE => {
                const WITHIN: &str = "data available event (TS 102 223 §7.5.10)";
                require(&objects, tag::CHANNEL_STATUS, "channel status", WITHIN)?;
                require(
                    &objects,
                    tag::CHANNEL_DATA_LENGTH,
                    "channel data length",
                    WITHIN,
                )?;
            }
            Event::CHANNEL_STATUS => require(
                &objects,
                tag::CHANNEL_STATUS,
                "channel status",
                "channel status event (TS 102 223 §7.5.11)",
            )?,
            _ => {}
        }
        Ok(EventDownload { event, objects })
    }

    pub fn emit(&self) -> Vec<u8> {
        emit_template(Self::TAG, &self.objects)
    }

    pub fn buffer_len(&self) -> usize {
        template_len(&self.objects)
    }

    /// The field tree, path `event_download`.
    pub fn describe(&self) -> Field {
        let mut root = describe_template(
            "event_download",
            "Event download",
            Self::TAG,
            &self.objects,
            Context::Event(self.event),
        );
        root.value = self.event.to_string();
        root.note = "TS 102 223 §7.5: the terminal reports an event the UICC asked for in SET UP EVENT LIST".into();
        root
    }

    /// The one event reported.
    pub fn event(&self) -> Event {
        self.event
    }

    pub fn objects(&self) -> &[DataObject] {
        &self.objects
    }

    /// Channel status (§8.56).
    pub fn channel_status(&self) -> Option<ChannelStatus> {
        find(&self.objects, |o| match o {
            Object::ChannelStatus(s) => Some(*s),
            _ => None,
        })
    }

    /// Channel data length (§8.54): bytes available in the Rx buffer, `FF` = more than
    /// 255.
    pub fn channel_data_length(&self) -> Option<u8> {
        find(&self.objects, |o| match o {
            Object::ChannelDataLength(n) => Some(*n),
            _ => None,
        })
    }
}

/// Any other CAT envelope template (`D1`–`DF`, TS 101 220 §7.2), decoded as a sequence
/// of data objects with device identities mandatory (every TS 102 223 §7 envelope
/// carries them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    template: u8,
    objects: Vec<DataObject>,
}

impl Envelope {
    /// Parses a template `D1`–`DF` generically.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, DecodeError> {
        let (template, _, value) = parse_template(bytes, "CAT envelope")?;
        if !(0xD1..=0xDF).contains(&template) {
            return Err(DecodeError::BadTag {
                what: "CAT envelope (templates D1-DF)",
                tag: u32::from(template),
            });
        }
        let objects = DataObject::parse_all(value)?;
        require(
            &objects,
            tag::DEVICE_IDENTITIES,
            "device identities",
            "CAT envelope (TS 102 223 §7)",
        )?;
        Ok(Envelope { template, objects })
    }

    pub fn emit(&self) -> Vec<u8> {
        emit_template(self.template, &self.objects)
    }

    pub fn buffer_len(&self) -> usize {
        template_len(&self.objects)
    }

    /// The field tree, path `envelope`.
    pub fn describe(&self) -> Field {
        let mut root = describe_template(
            "envelope",
            "Envelope",
            self.template,
            &self.objects,
            Context::Other,
        );
        root.value = format!(
            "{:02X} {}",
            self.template,
            template_name(self.template).unwrap_or("unknown template")
        );
        root.note = "TS 101 220 §7.2 template, objects per TS 102 223 §7".into();
        root
    }

    /// The template tag.
    pub fn template(&self) -> u8 {
        self.template
    }

    pub fn objects(&self) -> &[DataObject] {
        &self.objects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::objects::ChannelState;
    use crate::wire::hex;

    #[test]
    fn builds_the_data_available_vector() {
        let event = EventDownload::new(Event::DATA_AVAILABLE, DeviceIdentity::TERMINAL)
            .with(Object::ChannelStatus(ChannelStatus::new(
                1,
                ChannelState::Established,
                0,
            )))
            .with(Object::ChannelDataLength(0xFF));
        assert_eq!(
            hex::compact(&event.emit()),
            "D60E99010982028281B8028100B701FF"
        );
        assert_eq!(event.buffer_len(), 16);
    }

    #[test]
    fn builders_emit_the_shared_event_vectors_and_parse_them_back() {
        let cases = [
            (
                EventDownload::data_available(
                    ChannelStatus::new(1, ChannelState::Established, 0),
                    300,
                ),
                "D60E99010982028281B8028100B701FF",
            ),
            (
                EventDownload::channel_status_change(ChannelStatus::new(
                    1,
                    ChannelState::Listen,
                    0,
                )),
                "D60B99010A82028281B8024100",
            ),
            (
                EventDownload::channel_status_change(ChannelStatus::new(
                    1,
                    ChannelState::Closed,
                    ChannelStatus::LINK_DROPPED,
                )),
                "D60B99010A82028281B8020105",
            ),
        ];
        for (event, vector) in cases {
            assert_eq!(hex::compact(&event.emit()), vector);
            assert_eq!(
                EventDownload::parse(&hex::parse(vector).unwrap()),
                Ok(event)
            );
        }
        let few =
            EventDownload::data_available(ChannelStatus::new(2, ChannelState::Established, 0), 7);
        assert_eq!(few.channel_data_length(), Some(7));
    }

    #[test]
    fn rejects_event_list_with_two_events() {
        let raw = hex::parse("D60C9902090A82028281B8024100").unwrap();
        assert!(matches!(
            EventDownload::parse(&raw),
            Err(DecodeError::BadValue { .. })
        ));
    }

    #[test]
    fn rejects_data_available_without_channel_data_length() {
        let raw = hex::parse("D60B99010982028281B8028100").unwrap();
        assert_eq!(
            EventDownload::parse(&raw),
            Err(DecodeError::Missing {
                what: "channel data length",
                within: "data available event (TS 102 223 §7.5.10)"
            })
        );
    }

    #[test]
    fn sms_pp_download_round_trips_with_address() {
        let sms = SmsPpDownload::new(
            Some(Address {
                ton_npi: 0x91,
                bcd: vec![0x44, 0x77, 0x58, 0x10, 0x06, 0x50],
            }),
            vec![0x40, 0x08, 0x81, 0x55, 0x66, 0x77, 0x88, 0x7F, 0xF6],
        );
        let raw = sms.emit();
        assert_eq!(raw[..6], [0xD1, 0x18, 0x82, 0x02, 0x83, 0x81]);
        let back = SmsPpDownload::parse(&raw).unwrap();
        assert_eq!(back, sms);
        assert_eq!(back.tpdu().len(), 9);
        assert_eq!(
            back.address().map(Address::number).as_deref(),
            Some("+447785016005")
        );
        let tree = back.describe();
        assert_eq!(
            tree.find("sms_pp_download.address.number")
                .map(|f| f.value.as_str()),
            Some("+447785016005")
        );
        assert!(tree.uncovered(raw.len()).is_empty());
    }

    #[test]
    fn sms_pp_download_needs_a_tpdu() {
        let raw = hex::parse("D10482028381").unwrap();
        assert!(matches!(
            SmsPpDownload::parse(&raw),
            Err(DecodeError::Missing {
                what: "SMS TPDU",
                ..
            })
        ));
    }

    #[test]
    fn generic_envelope_keeps_template_and_objects() {
        // Timer expiration: device identities, timer identifier (A4), timer value (A5).
        let raw = hex::parse("D70C82028281A40101A503000010").unwrap();
        let env = Envelope::parse(&raw).unwrap();
        assert_eq!(env.template(), 0xD7);
        assert_eq!(env.emit(), raw);
        let tree = env.describe();
        assert_eq!(tree.value, "D7 timer expiration");
        assert_eq!(
            tree.find("envelope.tag_24").map(|f| f.label.as_str()),
            Some("Timer identifier")
        );
        assert!(Envelope::parse(&hex::parse("D0028202").unwrap()).is_err());
    }
}
