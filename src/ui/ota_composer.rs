//! The OTA composer: TAR (from the server's TARs), SPI, KIc, KID and command data in hex,
//! each checked as it is typed ([`check_ota`]); Send has the server send it at the cursor.

use super::app::Dispatch;
use super::checked_input::CheckedInput;
use super::dom;
use super::model::{check_ota, Action, OtaField, OtaForm, TarChoice};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct OtaComposerProps {
    pub form: OtaForm,
    /// The TARs the server knows, with their services.
    pub tars: std::rc::Rc<Vec<TarChoice>>,
    /// Recorded steps after the cursor, which sending replaces.
    pub steps_after_cursor: usize,
}

/// A text field of the form: label, input, inline error (or hint).
fn text_field(
    dispatch: &Dispatch,
    field: OtaField,
    label: &str,
    hint: &str,
    value: &str,
    error: Option<&str>,
    wide: bool,
) -> Html {
    let name = match field {
        OtaField::Tar => "tar",
        OtaField::Spi => "spi",
        OtaField::Kic => "kic",
        OtaField::Kid => "kid",
        OtaField::Data => "data",
    };
    CheckedInput {
        id: format!("ota-{name}"),
        class: classes!("ota-field", wide.then_some("wide")),
        label,
        hint,
        value,
        error,
        numeric: false,
    }
    .render(
        dispatch,
        "ota-message",
        move |value| Action::EditOta(field, value),
        Action::SendOta,
    )
}

#[function_component(OtaComposer)]
pub fn ota_composer(props: &OtaComposerProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("OtaComposer needs the App's Dispatch context");
    let check = check_ota(&props.form);
    let can_send = check.request.is_some();
    let on_tar = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            dispatch.dispatch(Action::EditOta(OtaField::Tar, dom::target_value(&event)));
        })
    };
    let onclick = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SendOta))
    };
    let known = props.tars.iter().any(|t| {
        t.tar
            .to_string()
            .eq_ignore_ascii_case(props.form.tar.trim())
    });
    let send_title = if can_send {
        let mut title = "Have the server send this OTA command packet by SMS".to_string();
        if props.steps_after_cursor > 0 {
            title.push_str(&format!(
                " (replaces the {} recorded step(s) after the cursor)",
                props.steps_after_cursor
            ));
        }
        title
    } else {
        "Correct the fields marked in red first".to_string()
    };
    html! {
        <form class="ota-composer" data-test="ota-composer" aria-label="Compose an OTA command packet"
            onsubmit={Callback::from(|event: SubmitEvent| event.prevent_default())}>
            <div class="ota-field wide">
                <label for="ota-tar-select">{ "TAR" }<span class="muted">{ " (the card application)" }</span></label>
                <select id="ota-tar-select" data-test="ota-tar-select" onchange={on_tar}>
                    { for props.tars.iter().map(|choice| html! {
                        <option value={choice.tar.to_string()}
                            selected={choice.tar.to_string().eq_ignore_ascii_case(props.form.tar.trim())}>
                            { choice.label.clone() }
                        </option>
                    }) }
                    if !known {
                        <option value={props.form.tar.clone()} selected=true>
                            { format!("{} (unknown to the server)", props.form.tar) }
                        </option>
                    }
                </select>
                if let Some(error) = check.error(OtaField::Tar) {
                    <p class="ota-message error" data-test="ota-tar-message">{ error.to_string() }</p>
                }
            </div>
            <div class="ota-row">
                { text_field(&dispatch, OtaField::Spi, "SPI", "2 bytes, e.g. 1619",
                    &props.form.spi, check.error(OtaField::Spi), false) }
                { text_field(&dispatch, OtaField::Kic, "KIc", "1 byte", &props.form.kic,
                    check.error(OtaField::Kic), false) }
                { text_field(&dispatch, OtaField::Kid, "KID", "1 byte", &props.form.kid,
                    check.error(OtaField::Kid), false) }
            </div>
            { text_field(&dispatch, OtaField::Data, "Command data",
                "Hex: for RFM a compact command script, e.g. 00A40004023F00 (SELECT MF)",
                &props.form.data, check.error(OtaField::Data), true) }
            <div class="ota-actions">
                <button type="button" class="primary" data-test="ota-send" disabled={!can_send}
                    title={send_title.clone()} aria-label={send_title} {onclick}>
                    { "Send OTA" }
                </button>
                if let Some(request) = &check.request {
                    <span class="muted ota-summary">{ request.summary() }</span>
                }
            </div>
        </form>
    }
}
