//! The trace screen (7): text snapshots at 80x24 and 120x40, fed with the
//! events and replies captured from a real director
//! (`tests/fixtures/events-backup.jsonl`, `dot-clients.json`,
//! `setdebug-dir.json`, …), and one style snapshot (lines coloured by level).

use cairn_tui::action::{Action, Link, LinkState, Query, Screen};
use cairn_tui::events::DirEvent;
use cairn_tui::keymap::Cmd;
use cairn_tui::state::State;
use cairn_tui::theme::Styles;
use cairn_tui::trace::{Daemon, DebugSettings};
use cairn_tui::update::update;
use cairn_tui::update_events::wanted_args;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use serde_json::{Value, json};

use crate::support::{self, cmd, draw, fixture_text, reply, settings};

fn events(name: &str) -> Vec<Value> {
    fixture_text(&format!("{name}.jsonl"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("event JSON"))
        .collect()
}

fn feed(s: &mut State, v: &Value) {
    let ev = match DirEvent::from_json(v) {
        // The worker names the arguments it subscribed with.
        DirEvent::Subscribed { trace_daemons, .. } => DirEvent::Subscribed { args: wanted_args(s), trace_daemons },
        other => other,
    };
    update(s, Action::Event(ev));
}

fn key(s: &mut State, c: KeyCode) {
    update(s, Action::Key(KeyEvent::from(c)));
}

/// The trace screen with the daemon lists and the stream up, no pane yet.
pub fn start(w: u16, h: u16) -> State {
    let mut s = support::base(w, h);
    update(&mut s, Action::Link { link: Link::Events, state: LinkState::Connected { banner: String::new() } });
    update(&mut s, Action::Event(DirEvent::Subscribed { args: "trace=no".into(), trace_daemons: vec![] }));
    cmd(&mut s, Cmd::Screen(Screen::Trace));
    reply(&mut s, Query::Clients, "dot-clients");
    reply(&mut s, Query::Storages, "dot-storages");
    s
}

/// Three panes (director, bareos-fd, File) fed the captured backup: the
/// client's pane paused half-way (lines held and counted), the storage's
/// filtered and lagging, the director's level set (its reply in the status
/// bar).
pub fn panes(w: u16, h: u16) -> State {
    let mut s = start(w, h);
    cmd(&mut s, Cmd::PaneToggle);
    cmd(&mut s, Cmd::Down);
    cmd(&mut s, Cmd::PaneToggle);
    cmd(&mut s, Cmd::Bottom);
    cmd(&mut s, Cmd::PaneToggle);
    cmd(&mut s, Cmd::Top);
    cmd(&mut s, Cmd::DebugApply);
    reply(&mut s, Query::SetDebug { daemon: Daemon::Director, settings: DebugSettings::default() }, "setdebug-dir");
    let evs = events("events-backup");
    let half = evs.len() / 2;
    for v in &evs[..half] {
        feed(&mut s, v);
    }
    cmd(&mut s, Cmd::PaneNext);
    cmd(&mut s, Cmd::PaneNext);
    cmd(&mut s, Cmd::Pause);
    for v in &evs[half..] {
        feed(&mut s, v);
    }
    // The storage's follow lagged (the shape `follow_remote` sends).
    feed(&mut s, &json!({"event":"lagged","dropped":3,"kind":"sd","name":"File"}));
    cmd(&mut s, Cmd::PaneNext);
    cmd(&mut s, Cmd::Filter);
    for c in "job".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    key(&mut s, KeyCode::Enter);
    s
}

/// A director pane with a follow error and lines of every level (the WARN
/// and ERROR lines are the daemons' own messages, written in the event shape).
fn levels(w: u16, h: u16) -> State {
    let mut s = start(w, h);
    cmd(&mut s, Cmd::PaneToggle);
    cmd(&mut s, Cmd::Down);
    cmd(&mut s, Cmd::Down);
    cmd(&mut s, Cmd::PaneToggle);
    for v in events("events-trace-error") {
        feed(&mut s, &v);
    }
    let line = |level: &str, target: &str, message: &str| {
        json!({"event":"trace","daemon":"bareos-dir","kind":"dir","level":level,"target":target,
               "time":"2026-11-28 05:54:51","message":message})
    };
    for v in [
        line("INFO", "cairn_dird::server", "configuration reloaded"),
        line("WARN", "cairn_dird::jobs", "cannot record the start of the job: database is locked jobid=3"),
        line("ERROR", "cairn_dird::server", "TLS set-up failed, closing the connection peer=127.0.0.1:40222"),
        line("TRACE", "cairn_dird::ua", "reply frame of 120 bytes"),
    ] {
        feed(&mut s, &v);
    }
    s
}

type Builder = fn(u16, u16) -> State;

const SCREENS: &[(&str, Builder)] = &[("trace-start", start), ("trace", panes), ("trace-levels", levels)];

#[test]
fn trace_screens_at_both_sizes() {
    for (name, build) in SCREENS {
        for (w, h) in [(80, 24), (120, 40)] {
            let state = build(w, h);
            let t = draw(&state, &Styles::dark());
            settings().bind(|| insta::assert_snapshot!(format!("{name}-{w}x{h}"), t.backend()));
        }
    }
}

#[test]
fn trace_lines_are_coloured_by_level() {
    let state = levels(80, 24);
    let t = draw(&state, &Styles::dark());
    settings().bind(|| insta::assert_debug_snapshot!("trace-style-dark", t.backend().buffer()));
}

#[test]
fn trace_screens_at_odd_sizes_do_not_panic() {
    for (_, build) in SCREENS {
        for (w, h) in [(1, 1), (0, 0), (2, 3), (20, 5), (40, 10), (300, 4), (10, 100), (200, 60)] {
            let state = build(w, h);
            let area = ratatui::layout::Rect::new(0, 0, w, h);
            let mut buf = ratatui::buffer::Buffer::empty(area);
            cairn_tui::view::draw(&mut buf, area, &state, &Styles::dark());
        }
    }
}
