//! The four lane headers: Server | Network (SMS centre) | Phone + gateway | Card, each
//! with its status line.

use super::model::LANES;
use crate::sim::NodeId;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LanesProps {
    /// Status line of each of [`LANES`] in the world at the cursor.
    pub lines: [String; 4],
}

/// The heading a lane shows for `node`.
pub fn lane_title(node: NodeId) -> &'static str {
    match node {
        NodeId::Server => "Server",
        NodeId::Network => "Network (SMS centre)",
        NodeId::Phone => "Phone + gateway",
        NodeId::Card => "Card",
        NodeId::User => "User",
    }
}

#[function_component(Lanes)]
pub fn lanes(props: &LanesProps) -> Html {
    html! {
        <div class="lanes" data-test="lanes">
            { for LANES.iter().zip(&props.lines).map(|(node, line)| html! {
                <div class={classes!("lane", format!("lane-{}", node.name()))}
                    data-node={node.name()}>
                    <h2>{ lane_title(*node) }</h2>
                    <p class="status" title={line.clone()}>{ line.clone() }</p>
                </div>
            }) }
        </div>
    }
}
