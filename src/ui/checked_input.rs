//! A labelled text input checked as it is typed: the inline error (or a hint) under it,
//! announced politely, tied to the input by `aria-describedby`. The OTA composer, the
//! connect form and the link-fault forms use it.

use super::app::Dispatch;
use super::model::Action;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What one field shows.
pub struct CheckedInput<'a> {
    /// The input's id and `data-test`; its message is `{id}-message`.
    pub id: String,
    /// Classes of the field's box (besides the form's own field class).
    pub class: Classes,
    pub label: &'a str,
    pub hint: &'a str,
    pub value: &'a str,
    pub error: Option<&'a str>,
    /// Digits only: the phone keyboard shows numbers.
    pub numeric: bool,
}

impl CheckedInput<'_> {
    /// The field: each edit dispatches `edit(value)`, Enter dispatches `submit`.
    /// `message_class` styles the message line (`ota-message`, `fault-message`).
    pub fn render(
        self,
        dispatch: &Dispatch,
        message_class: &'static str,
        edit: impl Fn(String) -> Action + 'static,
        submit: Action,
    ) -> Html {
        let message_id = format!("{}-message", self.id);
        let oninput = {
            let dispatch = dispatch.clone();
            Callback::from(move |event: InputEvent| {
                let input: HtmlInputElement = event.target_unchecked_into();
                dispatch.dispatch(edit(input.value()));
            })
        };
        let onkeydown = {
            let dispatch = dispatch.clone();
            Callback::from(move |event: KeyboardEvent| {
                if event.key() == "Enter" {
                    event.prevent_default();
                    dispatch.dispatch(submit.clone());
                }
            })
        };
        let error = self.error;
        html! {
            <div class={self.class}>
                <label for={self.id.clone()}>{ self.label.to_string() }</label>
                <input id={self.id.clone()} type="text" data-test={self.id}
                    value={self.value.to_string()}
                    inputmode={self.numeric.then_some("numeric")}
                    autocomplete="off" spellcheck="false" autocapitalize="off"
                    aria-invalid={error.is_some().to_string()} aria-describedby={message_id.clone()}
                    {oninput} {onkeydown} />
                <p id={message_id.clone()} data-test={message_id}
                    class={classes!(message_class, error.map_or("hint", |_| "error"))}
                    aria-live="polite">
                    { error.unwrap_or(self.hint).to_string() }
                </p>
            </div>
        }
    }
}
