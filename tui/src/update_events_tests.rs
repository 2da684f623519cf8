//! Reducer tests for the event stream: what job, progress, ended, joblog,
//! trace, trace_error and lagged events change, when the stream is asked for
//! (connection, reconnection, trace panes), and the fallback to polling.
//! Event shapes are those captured from a real director
//! (`tests/fixtures/events-*.jsonl`, see the README there).

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{Value, json};

use crate::action::{Action, Effect, Link, LinkState, Query, Screen};
use crate::events::DirEvent;
use crate::keymap::{Cmd, Keymap};
use crate::state::State;
use crate::update::update;

fn fixture(name: &str) -> Value {
    let text = match name {
        "status-director-running" => include_str!("../tests/fixtures/status-director-running.json"),
        "list-jobs-running" => include_str!("../tests/fixtures/list-jobs-running.json"),
        "list-joblog-8" => include_str!("../tests/fixtures/list-joblog-8.json"),
        "dot-clients" => include_str!("../tests/fixtures/dot-clients.json"),
        "dot-storages" => include_str!("../tests/fixtures/dot-storages.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture JSON")
}

/// The captured stream of a backup (JobId 2, `backup-usr`) with director,
/// client and storage traces.
fn captured_backup() -> Vec<Value> {
    include_str!("../tests/fixtures/events-backup.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("event JSON"))
        .collect()
}

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(5, 25, 21)).expect("time")
}

fn connected() -> State {
    let mut s = State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), t0());
    update(&mut s, Action::Link { link: Link::Json, state: LinkState::Connected { banner: "1000 OK".into() } });
    s
}

/// Connected, dashboard loaded (JobId 8 running, 9 waiting).
fn loaded() -> State {
    let mut s = connected();
    reply(&mut s, Query::StatusDirector, fixture("status-director-running"));
    reply(&mut s, Query::ListJobs, fixture("list-jobs-running"));
    s
}

fn reply(s: &mut State, q: Query, v: Value) -> Vec<Effect> {
    update(s, Action::Json { query: q, result: Ok(v) })
}

fn events_up(s: &mut State) -> Vec<Effect> {
    update(s, Action::Link { link: Link::Events, state: LinkState::Connected { banner: "1000 OK".into() } })
}

fn ev(s: &mut State, v: Value) -> Vec<Effect> {
    update(s, Action::Event(DirEvent::from_json(&v)))
}

fn subscribed(s: &mut State, args: &str) -> Vec<Effect> {
    update(s, Action::Event(DirEvent::Subscribed { args: args.into(), trace_daemons: vec![] }))
}

/// Loaded, with the event stream up and running (`trace=no`).
fn streaming() -> State {
    let mut s = loaded();
    assert_eq!(events_up(&mut s), vec![Effect::Events("trace=no".into())]);
    subscribed(&mut s, "trace=no");
    assert!(s.events.streaming());
    s
}

fn tick(s: &mut State, secs: i64) -> Vec<Effect> {
    update(s, Action::Tick(t0() + TimeDelta::seconds(secs)))
}

fn running_ids(s: &State) -> Vec<u32> {
    s.dashboard.status.as_ref().map(|st| st.running.iter().map(|r| r.jobid).collect()).unwrap_or_default()
}

// ---------------------------------------------------------------- subscribing

#[test]
fn the_stream_is_asked_for_when_the_events_link_comes_up_and_again_after_a_reconnection() {
    let mut s = loaded();
    assert!(s.events.requested.is_none(), "nothing asked before the link is up");
    assert_eq!(events_up(&mut s), vec![Effect::Events("trace=no".into())]);
    // Asked once: other actions do not repeat it.
    assert!(!tick(&mut s, 1).contains(&Effect::Events("trace=no".into())));
    subscribed(&mut s, "trace=no");
    // The connection breaks: no stream, the polls take over; back up: asked again.
    let lost = LinkState::Lost { error: "connection reset".into(), retry_in: std::time::Duration::from_secs(1) };
    update(&mut s, Action::Link { link: Link::Events, state: lost });
    assert!(!s.events.streaming());
    assert_eq!(update(&mut s, Action::Link { link: Link::Events, state: LinkState::Connecting }), vec![]);
    assert_eq!(events_up(&mut s), vec![Effect::Events("trace=no".into())]);
}

#[test]
fn opening_and_closing_trace_panes_restarts_the_stream_with_their_daemons() {
    let mut s = streaming();
    let fx = update(&mut s, Action::Cmd(Cmd::Screen(Screen::Trace)));
    assert!(fx.contains(&Effect::Json(Query::Clients)) && fx.contains(&Effect::Json(Query::Storages)), "{fx:?}");
    reply(&mut s, Query::Clients, fixture("dot-clients"));
    reply(&mut s, Query::Storages, fixture("dot-storages"));
    // The cursor is on the director: Space opens its pane.
    assert_eq!(update(&mut s, Action::Cmd(Cmd::PaneToggle)), vec![Effect::Events("trace=dir".into())]);
    update(&mut s, Action::Cmd(Cmd::Down));
    assert_eq!(
        update(&mut s, Action::Cmd(Cmd::PaneToggle)),
        vec![Effect::Events("trace=client:bareos-fd,dir".into())]
    );
    // The storage too (the list is director, bareos-fd, db-fd, File).
    update(&mut s, Action::Cmd(Cmd::Bottom));
    assert_eq!(
        update(&mut s, Action::Cmd(Cmd::PaneToggle)),
        vec![Effect::Events("trace=client:bareos-fd,dir,storage:File".into())]
    );
    // Closing the client's pane (x on it) drops it from the stream.
    update(&mut s, Action::Cmd(Cmd::PaneNext));
    update(&mut s, Action::Cmd(Cmd::PaneNext));
    assert_eq!(update(&mut s, Action::Cmd(Cmd::PaneClose)), vec![Effect::Events("trace=dir,storage:File".into())]);
    assert_eq!(s.trace.panes.len(), 2);
    // A reconnection asks for the same panes again.
    update(&mut s, Action::Link { link: Link::Events, state: LinkState::Connecting });
    assert_eq!(events_up(&mut s), vec![Effect::Events("trace=dir,storage:File".into())]);
}

#[test]
fn a_director_without_events_falls_back_to_polling_silently() {
    let mut s = loaded();
    events_up(&mut s);
    let refused = DirEvent::Refused { args: "trace=no".into(), error: ".events: is an invalid command.".into() };
    update(&mut s, Action::Event(refused));
    assert!(s.events.unsupported && !s.events.streaming());
    assert!(s.message.is_none(), "silently");
    // Following a running job's log polls it, as without a stream.
    update(&mut s, Action::Cmd(Cmd::ShowLog));
    reply(&mut s, Query::JobLog(8), fixture("list-joblog-8"));
    assert!(tick(&mut s, 1).contains(&Effect::Json(Query::JobLog(8))));
    // Trace panes do not ask again.
    update(&mut s, Action::Cmd(Cmd::Screen(Screen::Trace)));
    let fx = update(&mut s, Action::Cmd(Cmd::PaneToggle));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Events(_))), "{fx:?}");
    // Until a new connection, which may be another director.
    update(&mut s, Action::Link { link: Link::Events, state: LinkState::Connecting });
    assert_eq!(events_up(&mut s), vec![Effect::Events("trace=dir".into())]);
}

#[test]
fn a_refused_trace_is_said_and_the_stream_runs_without_it() {
    let mut s = streaming();
    update(&mut s, Action::Cmd(Cmd::Screen(Screen::Trace)));
    assert_eq!(update(&mut s, Action::Cmd(Cmd::PaneToggle)), vec![Effect::Events("trace=dir".into())]);
    let error = ".events: trace=yes needs the right to use the setdebug command.";
    let fx = update(&mut s, Action::Event(DirEvent::Refused { args: "trace=dir".into(), error: error.into() }));
    assert_eq!(fx, vec![Effect::Events("trace=no".into())], "job events still wanted");
    assert!(s.message.as_ref().is_some_and(|m| m.error && m.text.contains("needs the right")));
    subscribed(&mut s, "trace=no");
    assert!(s.events.streaming());
    // Same panes again: not retried; other panes: tried.
    assert!(update(&mut s, Action::Cmd(Cmd::PaneToggle)).is_empty());
    assert!(update(&mut s, Action::Cmd(Cmd::PaneToggle)).is_empty());
    reply(&mut s, Query::Clients, fixture("dot-clients"));
    update(&mut s, Action::Cmd(Cmd::Down));
    assert_eq!(
        update(&mut s, Action::Cmd(Cmd::PaneToggle)),
        vec![Effect::Events("trace=client:bareos-fd,dir".into())]
    );
    subscribed(&mut s, "trace=client:bareos-fd,dir");
    assert!(s.events.refused_trace.is_none());
}

// ---------------------------------------------------------------- jobs

#[test]
fn a_job_event_shows_a_new_job_at_once_and_refreshes_the_history() {
    let mut s = streaming();
    let fx = ev(
        &mut s,
        json!({"event":"job","jobid":10,"job":"backup-db.2026-11-28_05.25.22_09","name":"backup-db","type":"B",
               "level":"I","client":"db-fd","status":"C","status_text":"is waiting execution","priority":10,
               "scheduled":"2026-11-28 05:25:22"}),
    );
    assert_eq!(running_ids(&s), [8, 9, 10]);
    let st = s.dashboard.status.as_ref().expect("status");
    let j = &st.running[2];
    assert_eq!(
        (j.name.as_str(), j.level.as_str(), j.job_type.as_str(), j.status.as_str()),
        ("backup-db.2026-11-28_05.25.22_09", "Increme", "Backup", "is waiting execution")
    );
    assert_eq!(st.header.jobs_running, 3);
    assert_eq!(fx, vec![Effect::Json(Query::ListJobs)]);
    // It starts running: the status words change, nothing is fetched.
    let fx = ev(
        &mut s,
        json!({"event":"job","jobid":10,"job":"backup-db.2026-11-28_05.25.22_09","name":"backup-db","type":"B",
               "level":"I","client":"db-fd","status":"R","status_text":"is running","priority":10,
               "scheduled":"2026-11-28 05:25:22"}),
    );
    assert_eq!(s.dashboard.status.as_ref().map(|st| st.running[2].status.clone()), Some("is running".into()));
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn progress_updates_counters_and_rates() {
    let mut s = streaming();
    let files_bytes = |s: &State| {
        let j = &s.dashboard.status.as_ref().expect("status").running[0];
        (j.files, j.bytes)
    };
    s.dirty = false;
    ev(&mut s, json!({"event":"progress","jobid":8,"files":18291,"bytes":339007398,"elapsed":3}));
    assert_eq!(files_bytes(&s), (18291, 339007398));
    assert!(s.dirty);
    tick(&mut s, 1);
    ev(&mut s, json!({"event":"progress","jobid":8,"files":27461,"bytes":360024503,"elapsed":4}));
    assert_eq!(files_bytes(&s), (27461, 360024503));
    let rate = s.dashboard.samples.get(&8).and_then(|x| x.rate).expect("rate");
    assert!((rate - (360024503.0 - 324403847.0)).abs() < 1.0, "{rate}");
    // A job the dashboard does not show yet is left to the next poll.
    ev(&mut s, json!({"event":"progress","jobid":77,"files":1,"bytes":1,"elapsed":1}));
    assert_eq!(running_ids(&s), [8, 9]);
}

#[test]
fn ended_moves_the_job_to_the_terminated_list() {
    let mut s = streaming();
    let fx = ev(&mut s, json!({"event":"ended","jobid":8,"status":"T","files":50127,"bytes":547321780}));
    assert_eq!(running_ids(&s), [9]);
    let st = s.dashboard.status.as_ref().expect("status");
    let t = st.terminated.last().expect("terminated");
    assert_eq!(
        (t.jobid, t.name.as_str(), t.level.as_str(), t.status.as_str(), t.files, t.bytes),
        (8, "backup-usr", "Full", "OK", 50127, 547321780)
    );
    assert_eq!(t.finished, "28-Nov-26 05:25");
    assert!(!s.dashboard.samples.contains_key(&8));
    assert_eq!(fx, vec![Effect::Json(Query::ListJobs)]);
    let row = s.jobs.all.as_ref().and_then(|a| a.iter().find(|r| r.jobid == 8)).expect("row");
    assert_eq!(row.status, "T");
    // A job that vanished without a record only leaves the running list.
    ev(&mut s, json!({"event":"ended","jobid":9,"status":null,"files":null,"bytes":null}));
    assert!(running_ids(&s).is_empty());
    assert_eq!(s.dashboard.status.as_ref().map(|st| st.terminated.last().map(|t| t.jobid)), Some(Some(8)));
}

#[test]
fn the_captured_backup_stream_drives_the_dashboard() {
    // A director with nothing running yet; then the captured stream.
    let mut s = connected();
    reply(&mut s, Query::StatusDirector, json!({"header": {"director": "bareos-dir"}, "running": [], "terminated": []}));
    events_up(&mut s);
    let mut seen_running = false;
    for v in captured_backup() {
        if v["event"] == "subscribed" {
            subscribed(&mut s, "trace=no");
            continue;
        }
        ev(&mut s, v);
        seen_running |= running_ids(&s) == [2];
        if let Some(j) = s.dashboard.status.as_ref().and_then(|st| st.running.first()) {
            assert_eq!((j.name.as_str(), j.job_name(), j.level.as_str()), ("backup-usr.2026-11-28_05.54.27_01", "backup-usr", "Full"));
        }
    }
    assert!(seen_running, "the job showed as running");
    let st = s.dashboard.status.as_ref().expect("status");
    assert!(st.running.is_empty());
    let t = st.terminated.last().expect("terminated");
    assert_eq!((t.jobid, t.name.as_str(), t.status.as_str(), t.files), (2, "backup-usr", "OK", 50127));
    assert_eq!(s.events.received, 42, "every event went through the reducer");
}

// ---------------------------------------------------------------- job log

#[test]
fn the_followed_log_takes_joblog_events_instead_of_polling() {
    let mut s = streaming();
    // Open JobId 8's log: fetched once.
    let fx = update(&mut s, Action::Cmd(Cmd::ShowLog));
    assert_eq!(fx, vec![Effect::Json(Query::JobLog(8))]);
    let line = |time: &str, text: &str| {
        json!({"event":"joblog","jobid":8,"time":time,"type":"info","text":text})
    };
    // Lines arriving before the log: held, then merged (a line the log
    // already has is not doubled).
    ev(
        &mut s,
        line(
            "2026-11-28 05:25:18",
            "bareos-sd JobId 8: Volume \"Full-0001\" mounted on device \"FileStorage\" (/tmp/cfx/var/storage) for append at block 536.\n",
        ),
    );
    ev(&mut s, line("2026-11-28 05:25:22", "bareos-dir JobId 8: new line 1\n"));
    assert!(!s.log.loaded);
    let fetched = fixture("list-joblog-8");
    let n = fetched["joblog"].as_array().map_or(0, Vec::len);
    reply(&mut s, Query::JobLog(8), fetched);
    assert_eq!(s.log.entries.len(), n + 1);
    assert!(s.events.log_pending.is_empty());
    // Then appended as they come, and never polled while the stream runs.
    ev(&mut s, line("2026-11-28 05:25:23", "bareos-dir JobId 8: new line 2\n"));
    assert_eq!(s.log.entries.last().map(|e| e.text.as_str()), Some("bareos-dir JobId 8: new line 2\n"));
    for secs in 1..5 {
        let fx = tick(&mut s, secs);
        assert!(!fx.contains(&Effect::Json(Query::JobLog(8))), "polled at {secs}s: {fx:?}");
    }
    // Other jobs' lines are not ours.
    ev(&mut s, json!({"event":"joblog","jobid":9,"time":"2026-11-28 05:25:22","type":"info","text":"x\n"}));
    assert_eq!(s.log.entries.len(), n + 2);
    // The stream goes: the log is polled again (the fallback).
    update(&mut s, Action::Link { link: Link::Events, state: LinkState::Connecting });
    assert!(tick(&mut s, 6).contains(&Effect::Json(Query::JobLog(8))));
}

#[test]
fn the_job_ending_fetches_the_final_log_once() {
    let mut s = streaming();
    update(&mut s, Action::Cmd(Cmd::ShowLog));
    reply(&mut s, Query::JobLog(8), fixture("list-joblog-8"));
    assert!(s.log.active);
    let fx = ev(&mut s, json!({"event":"ended","jobid":8,"status":"T","files":50127,"bytes":547321780}));
    assert!(!s.log.active);
    assert!(fx.contains(&Effect::Json(Query::JobLog(8))), "{fx:?}");
}

#[test]
fn lagging_refetches_the_followed_log_and_the_status() {
    let mut s = streaming();
    update(&mut s, Action::Cmd(Cmd::ShowLog));
    reply(&mut s, Query::JobLog(8), fixture("list-joblog-8"));
    update(&mut s, Action::Json { query: Query::StatusDirector, result: Ok(fixture("status-director-running")) });
    let fx = ev(&mut s, json!({"event":"lagged","dropped":12}));
    assert!(fx.contains(&Effect::Json(Query::JobLog(8))), "{fx:?}");
    assert!(fx.contains(&Effect::Json(Query::StatusDirector)), "{fx:?}");
}

#[test]
fn a_subscription_fetches_what_the_followed_log_missed_before_it() {
    let mut s = loaded();
    update(&mut s, Action::Cmd(Cmd::ShowLog));
    reply(&mut s, Query::JobLog(8), fixture("list-joblog-8"));
    events_up(&mut s);
    let fx = subscribed(&mut s, "trace=no");
    assert_eq!(fx, vec![Effect::Json(Query::JobLog(8))]);
}
