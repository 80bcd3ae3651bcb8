//! The sequence diagram: one lifeline per lane and one arrow per shown event.
//!
//! Horizontal positions are percentages of the width, so the lifelines sit under the
//! centres of the four lane headers at any width; vertical positions are pixels, one row
//! per event. A user action has no lane of its own: it is drawn as a labelled box on the
//! lane it is delivered to. A node's message to itself (a timer firing) is a self-loop on
//! its lane. Arrows are styled by their [`Layer`]; IP traffic also carries a dot at its
//! sender's end.
//!
//! The selected event's causal links ([`Causality`]) are marked: the event that caused
//! it (class `cause`) and every shown event it led to (class `effect`), so a TCP segment
//! shows the APDUs it triggered.

use super::app::Dispatch;
use super::dom;
use super::model::{Action, Causality, LANES};
use crate::sim::{Event, Instant, Layer, NodeId};
use web_sys::Element;
use yew::prelude::*;

/// Height of one event's row, in pixels.
const ROW: u32 = 34;
/// Space above the first row.
const TOP: u32 = 8;
/// Space below the last row.
const BOTTOM: u32 = 24;
/// Width of a user action's box, in pixels.
const BOX_WIDTH: u32 = 150;
/// How far a user action's box on the leftmost lane reaches left of its lifeline.
const LEFT_BOX_OFFSET: u32 = 16;
/// How far a self-loop reaches beside its lifeline, in pixels.
const LOOP_WIDTH: i32 = 26;
/// Width of the causal mark at the left of a row, in pixels.
const CAUSAL_MARK: u32 = 5;

/// Every layer, for the arrow heads.
const LAYERS: [Layer; 6] = [
    Layer::Action,
    Layer::Iso7816,
    Layer::Apdu,
    Layer::Sms,
    Layer::Tcp,
    Layer::Timer,
];

/// Whether arrows of `layer` carry a dot at the sender's end (IP traffic, to tell it
/// from the short messages that cross the same lanes).
fn has_tail(layer: Layer) -> bool {
    layer == Layer::Tcp
}

/// What the diagram needs of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    /// Index in the shown log.
    pub index: usize,
    pub step: u64,
    pub time: Instant,
    pub from: NodeId,
    pub to: NodeId,
    pub layer: Layer,
    pub title: String,
    /// Whether the message carries no bytes (attach, detach, a reset, an action).
    pub empty: bool,
}

impl Arrow {
    pub fn of(index: usize, event: &Event) -> Arrow {
        Arrow {
            index,
            step: event.step,
            time: event.time,
            from: event.from,
            to: event.to,
            layer: event.layer,
            title: event.title.clone(),
            empty: event.bytes.is_empty(),
        }
    }

    /// The label on the arrow: `#4 SELECT`.
    pub fn label(&self) -> String {
        format!("#{} {}", self.step, self.title)
    }
}

/// Horizontal centre of a lane, in percent of the width (`None` for the user, who has
/// no lane).
fn lane_x(node: NodeId) -> Option<f64> {
    match node {
        NodeId::Server => Some(12.5),
        NodeId::Network => Some(37.5),
        NodeId::Phone => Some(62.5),
        NodeId::Card => Some(87.5),
        NodeId::User => None,
    }
}

/// Top of row `index`, in pixels.
fn row_top(index: usize) -> u32 {
    TOP + index as u32 * ROW
}

fn pct(x: f64) -> String {
    format!("{x:.3}%")
}

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub arrows: std::rc::Rc<Vec<Arrow>>,
    /// Index of the current (last shown) event.
    pub current: Option<usize>,
    /// Index of the event shown in the inspector.
    pub selected: Option<usize>,
    /// The selected event's cause and effects among the shown events.
    pub causality: std::rc::Rc<Causality>,
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("Diagram needs the App's Dispatch context");
    let svg_ref = use_node_ref();

    // Keep the current arrow in view when the cursor moves.
    {
        let svg_ref = svg_ref.clone();
        use_effect_with(props.current, move |current| {
            if let Some(index) = *current {
                keep_in_view(&svg_ref, index);
            }
        });
    }

    let rows = props.arrows.len() as u32;
    let height = (TOP + rows * ROW + BOTTOM).max(120);
    let lifelines = LANES
        .into_iter()
        .filter_map(|node| lane_x(node).map(|x| (node, x)))
        .map(|(node, x)| {
            html! {
                <line class={classes!("lifeline", format!("lifeline-{}", node.name()))}
                    x1={pct(x)} x2={pct(x)} y1="0" y2="100%" />
            }
        });

    html! {
        <svg ref={svg_ref} class="diagram" data-test="diagram" role="group"
            aria-label="Sequence diagram of the delivered messages"
            width="100%" height={height.to_string()}>
            <defs>
                { for LAYERS.into_iter().map(|layer| html! {
                    <marker id={format!("head-{}", layer.name())}
                        class={classes!("head", format!("layer-{}", layer.name()))}
                        viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9"
                        markerUnits="userSpaceOnUse"
                        orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" />
                    </marker>
                }) }
                { for LAYERS.into_iter().filter(|layer| has_tail(*layer)).map(|layer| html! {
                    <marker id={format!("tail-{}", layer.name())}
                        class={classes!("head", format!("layer-{}", layer.name()))}
                        viewBox="0 0 10 10" refX="5" refY="5" markerWidth="8" markerHeight="8"
                        markerUnits="userSpaceOnUse">
                        <circle cx="5" cy="5" r="4" />
                    </marker>
                }) }
            </defs>
            { for lifelines }
            if props.arrows.is_empty() {
                <text class="empty" x="50%" y="60" text-anchor="middle">
                    { "Nothing delivered yet: press Step (→) or Play (space)." }
                </text>
            }
            { for props.arrows.iter().map(|arrow| render_arrow(arrow, props, &dispatch)) }
        </svg>
    }
}

fn render_arrow(arrow: &Arrow, props: &DiagramProps, dispatch: &Dispatch) -> Html {
    let top = row_top(arrow.index);
    let mid = top + ROW / 2 + 4;
    let is_current = props.current == Some(arrow.index);
    let is_selected = props.selected == Some(arrow.index);
    let is_cause = props.causality.cause == Some(arrow.index);
    let is_effect = props.causality.effects.contains(&arrow.index);
    let layer = format!("layer-{}", arrow.layer.name());
    let (from_x, to_x) = (lane_x(arrow.from), lane_x(arrow.to));
    let direction = match (from_x, to_x) {
        (Some(a), Some(b)) if b < a => "dir-rtl",
        (Some(a), Some(b)) if b > a => "dir-ltr",
        _ => "dir-none",
    };
    let label = arrow.label();
    let causal = if is_cause {
        ", caused the selected event"
    } else if is_effect {
        ", led to by the selected event"
    } else {
        ""
    };
    let described = format!(
        "{label}, {} → {}, at {}{causal}",
        arrow.from.name(),
        arrow.to.name(),
        arrow.time
    );
    let onclick = {
        let dispatch = dispatch.clone();
        let index = arrow.index;
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SelectEvent(index)))
    };
    let onkeydown = {
        let dispatch = dispatch.clone();
        let index = arrow.index;
        Callback::from(move |event: KeyboardEvent| {
            if dom::is_activation(&event) {
                event.prevent_default();
                dispatch.dispatch(Action::SelectEvent(index));
            }
        })
    };

    let head = format!("url(#head-{})", arrow.layer.name());
    let body = match (from_x, to_x) {
        (Some(x1), Some(x2)) if x1 != x2 => html! {
            <>
                <line class="shaft" x1={pct(x1)} x2={pct(x2)}
                    y1={mid.to_string()} y2={mid.to_string()}
                    marker-start={has_tail(arrow.layer)
                        .then(|| format!("url(#tail-{})", arrow.layer.name()))}
                    marker-end={head} />
                <text class="label" x={pct((x1 + x2) / 2.0)} y={(mid - 6).to_string()}
                    text-anchor="middle">{ label.clone() }</text>
            </>
        },
        // A node's message to itself (a timer): a loop beside its lifeline, turned
        // toward the middle of the diagram, and its label past the loop.
        (Some(x), Some(_)) => {
            let side = if x > 50.0 { -1 } else { 1 };
            let reach = side * LOOP_WIDTH;
            let (upper, lower) = (mid as i32 - 8, mid as i32 + 6);
            html! {
                <svg class="self-loop" x={pct(x)} y="0" overflow="visible">
                    <path class="shaft" fill="none"
                        d={format!("M0,{upper} h{reach} V{lower} h{}", -reach + side * 2)}
                        marker-end={head} />
                    <text class="label" x={(reach + side * 6).to_string()} y={(mid + 3).to_string()}
                        text-anchor={if side > 0 { "start" } else { "end" }}>{ label.clone() }</text>
                </svg>
            }
        }
        // A user action: a box on the target lane.
        (_, target) => {
            let x = target.or(from_x).unwrap_or(50.0);
            // Centred on the lane, except on the leftmost one, where a centred box would
            // cover the time column: there it starts just left of the lifeline.
            let left = if x <= lane_x(LANES[0]).unwrap_or(0.0) {
                LEFT_BOX_OFFSET
            } else {
                BOX_WIDTH / 2
            };
            let shift = BOX_WIDTH / 2 - left;
            html! {
                <>
                    <rect class="action-box" x={pct(x)} y={(mid - 11).to_string()}
                        width={BOX_WIDTH.to_string()} height="22" rx="4"
                        transform={format!("translate(-{left} 0)")} />
                    <text class="label" x={pct(x)} y={(mid + 4).to_string()}
                        transform={format!("translate({shift} 0)")}
                        text-anchor="middle">{ label.clone() }</text>
                </>
            }
        }
    };

    html! {
        <g key={arrow.step}
            class={classes!("arrow", layer, direction, arrow.empty.then_some("no-bytes"),
                is_current.then_some("current"),
                is_selected.then_some("selected"),
                is_cause.then_some("cause"),
                is_effect.then_some("effect"))}
            data-step={arrow.step.to_string()} data-index={arrow.index.to_string()}
            role="button" tabindex="0" aria-label={described.clone()}
            aria-current={is_current.then_some("step")}
            {onclick} {onkeydown}>
            <title>{ described }</title>
            <rect class="band" x="0" y={top.to_string()} width="100%" height={ROW.to_string()} />
            if is_cause || is_effect {
                <rect class="causal-mark" x="0" y={(top + 2).to_string()}
                    width={CAUSAL_MARK.to_string()} height={(ROW - 4).to_string()} />
            }
            <text class="time" x={(CAUSAL_MARK + 4).to_string()} y={(mid + 4).to_string()}>{ arrow.time.to_string() }</text>
            { body }
        </g>
    }
}

/// Scrolls the diagram's scroll container so row `index` (and some space below it) is
/// visible under the sticky lane headers.
fn keep_in_view(svg_ref: &NodeRef, index: usize) {
    let Some(svg) = svg_ref.cast::<Element>() else {
        return;
    };
    let Some(container) = svg.parent_element() else {
        return;
    };
    let header = container
        .query_selector(".lanes")
        .ok()
        .flatten()
        .map_or(0.0, |h| h.get_bounding_client_rect().height());
    dom::reveal(
        &container,
        &format!(".arrow[data-index=\"{index}\"] .band"),
        header,
    );
    // Leave the bottom margin visible too, so the newest arrow is not glued to the edge.
    let view = container.get_bounding_client_rect();
    if let Ok(Some(row)) =
        container.query_selector(&format!(".arrow[data-index=\"{index}\"] .band"))
    {
        let below = row.get_bounding_client_rect().bottom() + f64::from(BOTTOM) - view.bottom();
        let room = view.height() - header - f64::from(ROW);
        if below > 0.0 && room > f64::from(BOTTOM) {
            container.set_scroll_top(container.scroll_top() + below.ceil() as i32);
        }
    }
}
