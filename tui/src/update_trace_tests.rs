//! Reducer tests for the trace screen: panes per daemon, routing of trace
//! lines, filter, pause/resume with its counter, the ring-buffer bound,
//! scrolling, and `setdebug` (staging, the command, the reply). Replies and
//! events are those captured from a real director (`tests/fixtures/`).

use chrono::{NaiveDate, NaiveDateTime};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use super::*;
use crate::action::{Action, Effect, Link, LinkState, Query, Screen};
use crate::events::DirEvent;
use crate::keymap::{Cmd, Keymap};
use crate::state::State;
use crate::trace::{PANE_MAX_LINES, TraceFocus};
use crate::update::update;

fn fixture(name: &str) -> Value {
    let text = match name {
        "dot-clients" => include_str!("../tests/fixtures/dot-clients.json"),
        "dot-storages" => include_str!("../tests/fixtures/dot-storages.json"),
        "setdebug-dir" => include_str!("../tests/fixtures/setdebug-dir.json"),
        "setdebug-client" => include_str!("../tests/fixtures/setdebug-client.json"),
        "setdebug-storage" => include_str!("../tests/fixtures/setdebug-storage.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture JSON")
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("event JSON")).collect()
}

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(5, 54, 30)).expect("time")
}

fn cmd(s: &mut State, c: Cmd) -> Vec<Effect> {
    update(s, Action::Cmd(c))
}

fn key(s: &mut State, c: KeyCode) {
    update(s, Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}

fn ev(s: &mut State, v: &Value) {
    update(s, Action::Event(DirEvent::from_json(v)));
}

/// Connected with the stream up, on the trace screen with the daemon lists:
/// bareos-dir, bareos-fd, db-fd, File.
fn trace_screen() -> State {
    let mut s = State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), t0());
    s.size = (120, 40);
    update(&mut s, Action::Link { link: Link::Json, state: LinkState::Connected { banner: String::new() } });
    update(&mut s, Action::Link { link: Link::Events, state: LinkState::Connected { banner: String::new() } });
    update(&mut s, Action::Event(DirEvent::Subscribed { args: "trace=no".into(), trace_daemons: vec![] }));
    cmd(&mut s, Cmd::Screen(Screen::Trace));
    update(&mut s, Action::Json { query: Query::Clients, result: Ok(fixture("dot-clients")) });
    update(&mut s, Action::Json { query: Query::Storages, result: Ok(fixture("dot-storages")) });
    s
}

/// Open the panes of the daemons at these list positions (from the list).
fn open(s: &mut State, rows: &[usize]) {
    s.trace.focus = TraceFocus::Daemons;
    for r in rows {
        cmd(s, Cmd::Top);
        for _ in 0..*r {
            cmd(s, Cmd::Down);
        }
        cmd(s, Cmd::PaneToggle);
    }
}

fn dir_line(msg: &str) -> Value {
    json!({"event":"trace","daemon":"bareos-dir","kind":"dir","level":"DEBUG","target":"cairn_dird::msgs",
           "time":"2026-11-28 05:54:27","message":msg})
}

fn messages(p: &TracePane) -> Vec<String> {
    p.lines.iter().map(|l| l.message.clone()).collect()
}

#[test]
fn the_daemon_list_comes_from_clients_and_storages() {
    let s = trace_screen();
    assert_eq!(
        s.trace.daemons(),
        vec![
            Daemon::Director,
            Daemon::Client("bareos-fd".into()),
            Daemon::Client("db-fd".into()),
            Daemon::Storage("File".into())
        ]
    );
    assert_eq!(s.trace.focus, TraceFocus::Daemons);
}

#[test]
fn captured_lines_go_to_their_daemons_panes() {
    let mut s = trace_screen();
    open(&mut s, &[0, 1, 3]);
    let events = jsonl(include_str!("../tests/fixtures/events-backup.jsonl"));
    for v in &events {
        ev(&mut s, v);
    }
    let count = |kind: &str| events.iter().filter(|e| e["event"] == "trace" && e["kind"] == kind).count();
    let pane = |d: Daemon| s.trace.pane_of(&d).map(|i| s.trace.panes[i].lines.len());
    assert_eq!(pane(Daemon::Director), Some(count("dir")));
    assert_eq!(pane(Daemon::Client("bareos-fd".into())), Some(count("fd")));
    // The storage resource `File` is the daemon `bareos-sd`: its only pane of that kind binds it.
    assert_eq!(pane(Daemon::Storage("File".into())), Some(count("sd")));
    assert_eq!(s.trace.names.get(&Daemon::Storage("File".into())).map(String::as_str), Some("bareos-sd"));
    assert!(count("fd") > 0 && count("sd") > 0);
}

#[test]
fn a_client_line_goes_to_the_pane_bound_by_its_setdebug_reply() {
    let mut s = trace_screen();
    open(&mut s, &[1, 2]); // bareos-fd, db-fd
    // The reply names the trace file `bareos-fd.trace`: the daemon behind the
    // resource `db-fd` calls itself `bareos-fd` (so says this capture).
    cmd(&mut s, Cmd::Top);
    cmd(&mut s, Cmd::Down);
    cmd(&mut s, Cmd::Down);
    let fx = cmd(&mut s, Cmd::DebugApply);
    let q = Query::SetDebug { daemon: Daemon::Client("db-fd".into()), settings: DebugSettings::default() };
    assert_eq!(fx, vec![Effect::Json(q.clone())]);
    assert_eq!(q.command(), "setdebug level=100 trace=0 timestamp=1 client=db-fd");
    update(&mut s, Action::Json { query: q, result: Ok(fixture("setdebug-client")) });
    assert_eq!(s.trace.names.get(&Daemon::Client("db-fd".into())).map(String::as_str), Some("bareos-fd"));
    let line = json!({"event":"trace","daemon":"bareos-fd","kind":"fd","level":"DEBUG","target":"cairn_fd::server",
                      "time":"2026-11-28 05:54:27","message":"<< fileset peer=127.0.0.1:51822"});
    ev(&mut s, &line);
    let lens: Vec<usize> = s.trace.panes.iter().map(|p| p.lines.len()).collect();
    assert_eq!(lens, [0, 1], "bound by name, not by the resource name");
}

#[test]
fn setdebug_stages_sends_and_says_the_reply() {
    let mut s = trace_screen();
    // The director is under the cursor: level 100 → 150, trace file on, timestamps off.
    cmd(&mut s, Cmd::DebugLevel(1));
    cmd(&mut s, Cmd::DebugTrace);
    cmd(&mut s, Cmd::DebugTimestamp);
    let want = DebugSettings { level: 150, trace: true, timestamp: false };
    assert_eq!(s.trace.staged_of(&Daemon::Director), want);
    let fx = cmd(&mut s, Cmd::DebugApply);
    let q = Query::SetDebug { daemon: Daemon::Director, settings: want };
    assert_eq!(fx, vec![Effect::Json(q.clone())]);
    assert_eq!(q.command(), "setdebug level=150 trace=1 timestamp=0 dir");
    update(&mut s, Action::Json { query: q, result: Ok(fixture("setdebug-dir")) });
    let m = s.message.clone().expect("message");
    assert_eq!(
        m.text,
        "bareos-dir: level=100 trace=0 timestamp=1 tracefilename=/tmp/trc/home/var/bareos-dir.trace",
        "the director's answer (this capture was level 100)"
    );
    assert!(!m.error);
    assert_eq!(s.trace.applied.get(&Daemon::Director), Some(&want));
    // A storage's own answer is shown as it is.
    cmd(&mut s, Cmd::Bottom);
    let q = Query::SetDebug { daemon: Daemon::Storage("File".into()), settings: DebugSettings::default() };
    assert_eq!(cmd(&mut s, Cmd::DebugApply), vec![Effect::Json(q.clone())]);
    update(&mut s, Action::Json { query: q.clone(), result: Ok(fixture("setdebug-storage")) });
    assert_eq!(
        s.message.as_ref().map(|m| m.text.as_str()),
        Some("File: 3000 OK setdebug=100 trace=0 timestamp=1 tracefile=/tmp/trc/home/var/bareos-sd.trace")
    );
    // A refusal is an error in the status bar.
    update(
        &mut s,
        Action::Json {
            query: q,
            result: Err(crate::action::QueryError::Failed("failed: Failed to connect to Storage daemon.".into())),
        },
    );
    assert!(s.message.as_ref().is_some_and(|m| m.error && m.text.starts_with("setdebug level=100")));
    // Levels stop at the ends.
    for _ in 0..10 {
        cmd(&mut s, Cmd::DebugLevel(-1));
    }
    assert_eq!(s.trace.staged_of(&Daemon::Storage("File".into())).level, 0);
}

#[test]
fn filter_as_you_type_commit_and_clear() {
    let mut s = trace_screen();
    open(&mut s, &[0]);
    for m in ["connecting to the storage daemon", "<< 3000 OK run", "connecting to the file daemon"] {
        ev(&mut s, &dir_line(m));
    }
    cmd(&mut s, Cmd::PaneNext);
    cmd(&mut s, Cmd::Filter);
    assert!(s.typing());
    for c in "CONNECT".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    let p = &s.trace.panes[0];
    assert_eq!(p.visible_count(), 2, "filters as you type, case-insensitively");
    assert!(p.filter.is_empty(), "not committed yet");
    // Keys are text while typing: `p` does not pause.
    key(&mut s, KeyCode::Char('p'));
    assert!(!s.trace.panes[0].paused);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Enter);
    assert!(!s.typing());
    assert_eq!(s.trace.panes[0].filter, "CONNECT");
    // Esc clears it.
    key(&mut s, KeyCode::Esc);
    assert!(s.trace.panes[0].filter.is_empty());
    assert_eq!(s.trace.panes[0].visible_count(), 3);
    // From the daemon list, `/` goes to the highlighted daemon's pane.
    cmd(&mut s, Cmd::PanePrev);
    cmd(&mut s, Cmd::Filter);
    assert_eq!(s.trace.focus, TraceFocus::Pane(0));
    assert!(s.typing());
}

#[test]
fn pause_holds_new_lines_and_counts_them_resume_shows_them() {
    let mut s = trace_screen();
    open(&mut s, &[0]);
    ev(&mut s, &dir_line("before"));
    cmd(&mut s, Cmd::PaneNext);
    cmd(&mut s, Cmd::Pause);
    for i in 0..3 {
        ev(&mut s, &dir_line(&format!("while paused {i}")));
    }
    let p = &s.trace.panes[0];
    assert!(p.paused);
    assert_eq!((messages(p), p.held_count), (vec!["before".to_string()], 3));
    cmd(&mut s, Cmd::Pause);
    let p = &s.trace.panes[0];
    assert!(!p.paused);
    assert_eq!(p.held_count, 0);
    assert_eq!(messages(p), ["before", "while paused 0", "while paused 1", "while paused 2"]);
    // From the daemon list, `p` pauses and resumes every pane.
    open(&mut s, &[1]);
    assert_eq!(s.trace.focus, TraceFocus::Daemons);
    cmd(&mut s, Cmd::Pause);
    assert!(s.trace.panes.iter().all(|p| p.paused));
    cmd(&mut s, Cmd::Pause);
    assert!(s.trace.panes.iter().all(|p| !p.paused));
}

#[test]
fn each_pane_keeps_at_most_its_ring_of_lines() {
    let mut s = trace_screen();
    open(&mut s, &[0]);
    for i in 0..PANE_MAX_LINES + 50 {
        ev(&mut s, &dir_line(&format!("line {i}")));
    }
    let p = &s.trace.panes[0];
    assert_eq!(p.lines.len(), PANE_MAX_LINES);
    assert_eq!(p.lines.front().map(|l| l.message.as_str()), Some("line 50"));
    assert_eq!(p.received, (PANE_MAX_LINES + 50) as u64);
}

#[test]
fn scrolling_back_stays_put_and_the_end_follows_again() {
    let mut s = trace_screen();
    open(&mut s, &[0]);
    for i in 0..100 {
        ev(&mut s, &dir_line(&format!("line {i}")));
    }
    cmd(&mut s, Cmd::PaneNext);
    cmd(&mut s, Cmd::PageUp);
    let h = crate::trace::pane_height(&s, 0);
    assert_eq!(s.trace.panes[0].scroll, h);
    let before: Vec<String> = s.trace.panes[0].window(h).iter().map(|l| l.message.clone()).collect();
    ev(&mut s, &dir_line("line 100"));
    let after: Vec<String> = s.trace.panes[0].window(h).iter().map(|l| l.message.clone()).collect();
    assert_eq!(before, after, "new lines do not move a scrolled-back pane");
    cmd(&mut s, Cmd::Bottom);
    assert_eq!(s.trace.panes[0].scroll, 0);
    assert_eq!(s.trace.panes[0].window(1)[0].message, "line 100");
}

#[test]
fn at_most_four_panes_and_closing_moves_the_focus() {
    let mut s = trace_screen();
    // Only four daemons here: open all, then one more is refused by name.
    open(&mut s, &[0, 1, 2, 3]);
    assert_eq!(s.trace.panes.len(), 4);
    s.trace.clients = Some(vec!["bareos-fd".into(), "db-fd".into(), "web-fd".into()]);
    open(&mut s, &[3]); // web-fd
    assert_eq!(s.trace.panes.len(), 4);
    assert!(s.message.as_ref().is_some_and(|m| m.error && m.text.contains("At most 4")));
    // Focus the last pane and close it: the focus moves to the new last one.
    cmd(&mut s, Cmd::PanePrev);
    assert_eq!(s.trace.focus, TraceFocus::Pane(3));
    cmd(&mut s, Cmd::PaneClose);
    assert_eq!(s.trace.focus, TraceFocus::Pane(2));
    for _ in 0..3 {
        cmd(&mut s, Cmd::PaneClose);
    }
    assert!(s.trace.panes.is_empty());
    assert_eq!(s.trace.focus, TraceFocus::Daemons);
}

#[test]
fn trace_errors_and_lagging_show_in_the_pane() {
    let mut s = trace_screen();
    open(&mut s, &[0, 2]); // director, db-fd (its file daemon is down)
    for v in jsonl(include_str!("../tests/fixtures/events-trace-error.jsonl")) {
        ev(&mut s, &v);
    }
    let p = &s.trace.panes[1];
    assert_eq!(p.error.as_deref(), Some("cannot connect to 127.0.0.1:19499: Connection refused (os error 111)"));
    assert!(p.lines.back().is_some_and(|l| l.note && l.level == TraceLevel::Error));
    // A follow that lags: the count on its pane.
    ev(&mut s, &json!({"event":"lagged","dropped":7,"kind":"fd","name":"db-fd"}));
    assert_eq!(s.trace.panes[1].dropped, 7);
    // The director's own lag: its pane.
    ev(&mut s, &json!({"event":"lagged","dropped":3}));
    assert_eq!(s.trace.panes[0].dropped, 3);
    // An error for a daemon without a pane goes to the status bar.
    ev(&mut s, &json!({"event":"trace_error","kind":"sd","name":"File","error":"connection ended"}));
    assert!(s.message.as_ref().is_some_and(|m| m.error && m.text == "Trace of File: connection ended"));
}

#[test]
fn trace_keys_do_nothing_elsewhere() {
    let mut s = trace_screen();
    cmd(&mut s, Cmd::Screen(Screen::Dashboard));
    assert!(cmd(&mut s, Cmd::PaneToggle).is_empty());
    assert!(s.trace.panes.is_empty());
    assert!(cmd(&mut s, Cmd::DebugApply).is_empty());
}
