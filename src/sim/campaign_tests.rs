//! The server's campaigns through the world: scripts of patent steps run in order.

use super::{Action, Scenario, Timeline};
use crate::server::campaign::{Campaign, CampaignState, Step};
use crate::server::SCWS_START;

const STEP_LIMIT: usize = 200_000;

fn run(seed: u64, steps: Vec<Step>) -> Timeline {
    let mut timeline = Scenario::PowerOn.record(seed);
    timeline.act(Action::ServerCampaign(Campaign {
        name: "test".into(),
        steps,
        retries: 0,
    }));
    timeline.run(STEP_LIMIT);
    assert!(timeline.head().is_quiescent());
    timeline
}

fn connect() -> Step {
    Step::Connect {
        server: "ras-1.operator.example".into(),
        port: 3516,
        secure: false,
    }
}

#[test]
fn a_campaign_wakes_the_card_connects_and_reads_two_pages_on_one_connection() {
    let page = |path: &str| crate::card::Card::new().scws_resource(path).map(|r| r.body);
    let timeline = run(
        1,
        vec![
            Step::Ota {
                data: SCWS_START.to_vec(),
            },
            connect(),
            Step::Get {
                path: "/index.html".into(),
                expect: page("/index.html"),
            },
            Step::Get {
                path: "/readme.txt".into(),
                expect: page("/readme.txt"),
            },
            Step::Close,
        ],
    );
    let run = timeline.head().server().campaign().unwrap();
    assert_eq!(run.state, CampaignState::Done, "{:?}", run.journal);
    assert_eq!(run.journal.len(), 5);
    assert!(
        run.journal[0].contains("PoR 00, results B0 01 00 — S200–S300"),
        "{}",
        run.journal[0]
    );
    assert!(
        run.journal[1].contains("connected — S400"),
        "{}",
        run.journal[1]
    );
    assert!(run.journal[2].starts_with("GET /index.html: answered 200"));
    assert!(run.journal[2].contains("— S500"), "{}", run.journal[2]);
    // One connection for both GETs.
    assert_eq!(timeline.head().server().sessions().sessions().len(), 1);
}

#[test]
fn a_campaign_stops_at_the_first_failed_step() {
    let timeline = run(
        2,
        vec![
            Step::Ota {
                data: SCWS_START.to_vec(),
            },
            connect(),
            Step::Get {
                path: "/missing.html".into(),
                expect: None,
            },
            Step::Close,
        ],
    );
    let run = timeline.head().server().campaign().unwrap();
    assert_eq!(
        run.state,
        CampaignState::Failed {
            step: 2,
            why: "answered 404".into()
        }
    );
    assert_eq!(run.journal.len(), 3);
}

#[test]
fn a_campaign_fails_when_the_card_refuses_the_start() {
    // Port 0 is out of range for the SCWS agent: result B0 01 10.
    let timeline = run(
        3,
        vec![Step::Ota {
            data: vec![0xA0, 0x04, 0x80, 0x02, 0x00, 0x00],
        }],
    );
    let run = timeline.head().server().campaign().unwrap();
    assert!(
        matches!(&run.state, CampaignState::Failed { step: 0, .. }),
        "{:?}",
        run.state
    );
}
