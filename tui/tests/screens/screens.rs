//! Whole-screen text snapshots (`TestBackend`'s Display: cell text only, so
//! theme changes do not churn these).

use cairn_tui::state::State;
use cairn_tui::theme::Styles;

use crate::support::{self, draw, settings};

type Builder = fn(u16, u16) -> State;

const SCREENS: &[(&str, Builder)] = &[
    ("dashboard", support::dashboard),
    ("jobs", support::jobs),
    ("scheduler", support::scheduler),
    ("joblog", support::joblog),
    ("joblog-search", support::joblog_search),
    ("console", support::console),
    ("console-tab", support::console_tab),
    ("help", support::help),
    ("run-dialog", support::run_dialog),
    ("lost-connection", support::lost),
];

fn check(name: &str, build: Builder, w: u16, h: u16) {
    let state = build(w, h);
    let t = draw(&state, &Styles::dark());
    settings().bind(|| insta::assert_snapshot!(format!("{name}-{w}x{h}"), t.backend()));
}

#[test]
fn screens_at_80x24() {
    for (name, build) in SCREENS {
        check(name, *build, 80, 24);
    }
}

#[test]
fn screens_at_120x40() {
    for (name, build) in SCREENS {
        check(name, *build, 120, 40);
    }
}

#[test]
fn tiny_and_odd_sizes_do_not_panic() {
    for (_, build) in SCREENS {
        for (w, h) in [(1, 1), (0, 0), (2, 3), (20, 5), (40, 10), (300, 4), (10, 100)] {
            let state = build(w, h);
            let area = ratatui::layout::Rect::new(0, 0, w, h);
            let mut buf = ratatui::buffer::Buffer::empty(area);
            cairn_tui::view::draw(&mut buf, area, &state, &Styles::dark());
        }
    }
}
