//! The send-APDU box: a command APDU in hex, checked as it is typed (hex digits, length,
//! Lc), sent to the card at the cursor with Enter or the Send button. The phone forwards
//! it, the diagram grows by the exchange and the card's answer is echoed here with the
//! meaning of its status word. Suggestions built from the card's profile come with the
//! input (a `<datalist>`).

use super::app::Dispatch;
use super::model::{check_apdu, Action, ApduCheck, ApduEcho};
use crate::card::inspect::FileNode;
use crate::card::security::PIN_LEN;
use crate::card::Profile;
use crate::wire::apdu::CommandApdu;
use crate::wire::hex;
use crate::wire::status::StatusWord;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ApduBoxProps {
    /// The text typed so far.
    pub input: String,
    /// Why the phone cannot send now; `None` when it can.
    pub blocker: Option<String>,
    /// The last APDU sent and the card's answer.
    pub echo: Option<Rc<ApduEcho>>,
    /// Recorded steps after the cursor, which sending replaces.
    pub steps_after_cursor: usize,
    /// Suggested APDUs: hex, what they do.
    pub examples: Rc<Vec<(String, String)>>,
}

#[function_component(ApduBox)]
pub fn apdu_box(props: &ApduBoxProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("ApduBox needs the App's Dispatch context");
    let check = check_apdu(&props.input);
    let can_send = matches!(check, ApduCheck::Valid { .. }) && props.blocker.is_none();

    let oninput = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            dispatch.dispatch(Action::EditApdu(input.value()));
        })
    };
    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" {
                event.prevent_default();
                dispatch.dispatch(Action::SendApdu);
            }
        })
    };
    let onclick = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SendApdu))
    };

    let (message_class, message) = match (&props.blocker, &check) {
        (_, ApduCheck::Invalid(reason)) => ("error", reason.clone()),
        (Some(blocker), _) => ("blocked", blocker.clone()),
        (None, ApduCheck::Empty) => (
            "hint",
            "A command APDU in hex, e.g. 00A4000C022FE2 (SELECT EF.ICCID); Enter sends it. \
             ↓ lists suggestions."
                .to_string(),
        ),
        (None, ApduCheck::Valid { summary, .. }) => {
            let mut text = format!("✓ {summary}");
            if props.steps_after_cursor > 0 {
                text.push_str(&format!(
                    " — sending here replaces the {} recorded step(s) after the cursor.",
                    props.steps_after_cursor
                ));
            }
            ("ok", text)
        }
    };
    let invalid = matches!(check, ApduCheck::Invalid(_));
    let send_title = match (&props.blocker, &check) {
        (Some(blocker), _) => blocker.clone(),
        (None, ApduCheck::Valid { .. }) => "Send the APDU to the card (Enter)".to_string(),
        _ => "Type a valid command APDU first".to_string(),
    };

    html! {
        <section class="apdu-box" data-test="apdu-box" aria-label="Send an APDU to the card">
            <label for="apdu-input">{ "Send APDU" }<span class="muted">{ " (hex, to the card at the cursor)" }</span></label>
            <div class="apdu-row">
                <input id="apdu-input" type="text" data-test="apdu-input" list="apdu-examples"
                    value={props.input.clone()} placeholder="00A4000C022FE2"
                    autocomplete="off" spellcheck="false" autocapitalize="off"
                    aria-invalid={invalid.to_string()} aria-describedby="apdu-message"
                    {oninput} {onkeydown} />
                <button type="button" class="primary" data-test="apdu-send"
                    disabled={!can_send} title={send_title.clone()} aria-label={send_title}
                    {onclick}>
                    { "Send" }
                </button>
            </div>
            <datalist id="apdu-examples">
                { for props.examples.iter().map(|(apdu, what)| html! {
                    <option value={apdu.clone()} label={what.clone()} />
                }) }
            </datalist>
            <p id="apdu-message" class={classes!("apdu-message", message_class)}
                data-test="apdu-message" aria-live="polite">{ message }</p>
            if let Some(echo) = &props.echo {
                { echo_view(echo) }
            }
        </section>
    }
}

/// The last exchange: the command, the answer and what its status word means.
fn echo_view(echo: &ApduEcho) -> Html {
    let answer = match &echo.response {
        Some(response) if response.len() >= 2 => {
            let (data, sw) = response.split_at(response.len() - 2);
            let status = StatusWord::from_bytes([sw[0], sw[1]]);
            let text = if data.is_empty() {
                hex::compact(sw)
            } else {
                format!("{} {}", hex::compact(data), hex::compact(sw))
            };
            html! {
                <>
                    <code data-test="apdu-response">{ text }</code>
                    <span class="sw" data-test="apdu-sw">
                        { format!("{}: {}", hex::compact(sw), status.meaning()) }
                    </span>
                </>
            }
        }
        Some(response) => html! {
            <code data-test="apdu-response">{ hex::compact(response) }</code>
        },
        None => html! { <span class="sw" data-test="apdu-sw">{ "no answer from the card" }</span> },
    };
    html! {
        <div class="apdu-echo" data-test="apdu-echo" role="status"
            title={format!("Answer shown at step #{}", echo.step)}>
            <div class="sent"><span class="dir">{ "→" }</span><code>{ hex::compact(&echo.command) }</code></div>
            <div class="answer"><span class="dir">{ "←" }</span>{ answer }</div>
        </div>
    }
}

/// APDUs worth trying on this card, built from its profile and file tree.
pub fn examples(profile: &Profile, tree: &FileNode) -> Vec<(String, String)> {
    let apdu = |ins: u8, p1: u8, p2: u8, data: &[u8], le: Option<u16>| {
        let mut command = CommandApdu::new(0x00, ins, p1, p2);
        if !data.is_empty() {
            command = command.with_data(data.to_vec());
        }
        if let Some(le) = le {
            command = command.with_le(le);
        }
        hex::compact(&command.emit())
    };
    let pin = |digits: &str| {
        let mut coded = digits.as_bytes().to_vec();
        coded.resize(PIN_LEN, 0xFF);
        coded
    };
    let wrong = if profile.pin1.value.as_str() == "9999" {
        "0000"
    } else {
        "9999"
    };
    let size = |path: &[u16]| tree.find(path).map(|n| n.size).unwrap_or(1).clamp(1, 256);
    let dir_record = tree
        .find(&[0x2F00])
        .and_then(|n| n.records)
        .map_or(1, |(len, _)| len);
    let select = |fid: u16| apdu(0xA4, 0x00, 0x0C, &fid.to_be_bytes(), None);
    let read = |len: usize| apdu(0xB0, 0, 0, &[], u16::try_from(len).ok());
    vec![
        (select(0x2FE2), "SELECT EF.ICCID".to_string()),
        (read(size(&[0x2FE2])), "READ BINARY (EF.ICCID)".to_string()),
        (select(0x2F00), "SELECT EF.DIR".to_string()),
        (
            apdu(0xB2, 1, 0x04, &[], Some(u16::from(dir_record))),
            "READ RECORD 1 (EF.DIR)".to_string(),
        ),
        (
            apdu(0xA4, 0x04, 0x0C, &profile.usim.aid.0, None),
            "SELECT ADF.USIM by AID".to_string(),
        ),
        (select(0x6F07), "SELECT EF.IMSI (in ADF.USIM)".to_string()),
        (
            read(size(&[0x7FF0, 0x6F07])),
            "READ BINARY (EF.IMSI, needs PIN1)".to_string(),
        ),
        (select(0x6FAD), "SELECT EF.AD (in ADF.USIM)".to_string()),
        (
            apdu(0xD6, 0, 0, &[0x80], None),
            "UPDATE BINARY: first byte 80 (EF.AD: needs ADM1)".to_string(),
        ),
        (
            apdu(0x20, 0, 0x01, &pin(profile.pin1.value.as_str()), None),
            "VERIFY PIN1 (the profile's PIN)".to_string(),
        ),
        (
            apdu(0x20, 0, 0x01, &pin(wrong), None),
            format!("VERIFY PIN1 with a wrong PIN ({wrong})"),
        ),
        (
            apdu(0x20, 0, 0x01, &[], None),
            "VERIFY PIN1 without data: tries left".to_string(),
        ),
        (
            apdu(0x20, 0, 0x0A, &profile.adm1.value.0, None),
            "VERIFY ADM1 (the profile's key)".to_string(),
        ),
        (
            apdu(0xA4, 0x08, 0x0C, &[0x7F, 0x50, 0x6F, 0x04], None),
            "SELECT /readme.txt (DF.SCWS) by path".to_string(),
        ),
    ]
}
