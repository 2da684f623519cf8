//! Reducer tests: state + action → state + effects, no terminal. The JSON
//! replies are the fixtures captured from a real director
//! (`tests/fixtures/`, see the README there).

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use serde_json::Value;

use super::*;
use crate::action::{Action, ConsoleReply, Effect, Link, LinkState, Query, QueryError, Screen};
use crate::keymap::{Cmd, Keymap};
use crate::state::{DashPane, Dialog, Prompt, State};

fn fixture(name: &str) -> Value {
    let text = match name {
        "status-director-running" => include_str!("../tests/fixtures/status-director-running.json"),
        "status-director" => include_str!("../tests/fixtures/status-director.json"),
        "list-jobs-running" => include_str!("../tests/fixtures/list-jobs-running.json"),
        "list-jobs" => include_str!("../tests/fixtures/list-jobs.json"),
        "llist-jobid-5" => include_str!("../tests/fixtures/llist-jobid-5.json"),
        "list-joblog-5" => include_str!("../tests/fixtures/list-joblog-5.json"),
        "list-joblog-8" => include_str!("../tests/fixtures/list-joblog-8.json"),
        "status-scheduler-7" => include_str!("../tests/fixtures/status-scheduler-7.json"),
        "dot-jobs" => include_str!("../tests/fixtures/dot-jobs.json"),
        "defaults-backup-usr" => include_str!("../tests/fixtures/defaults-backup-usr.json"),
        "llist-volumes-all" => include_str!("../tests/fixtures/llist-volumes-all.json"),
        "dot-help" => include_str!("../tests/fixtures/dot-help.json"),
        "dot-pools" => include_str!("../tests/fixtures/dot-pools.json"),
        "dot-levels" => include_str!("../tests/fixtures/dot-levels.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture JSON")
}

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(5, 25, 21)).expect("time")
}

fn fresh() -> State {
    State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), t0())
}

fn connected() -> State {
    let mut s = fresh();
    update(&mut s, Action::Link { link: Link::Json, state: LinkState::Connected { banner: "1000 OK".into() } });
    update(
        &mut s,
        Action::Link { link: Link::Console, state: LinkState::Connected { banner: "1000 OK: bareos-dir".into() } },
    );
    s
}

fn reply(s: &mut State, q: Query, name: &str) -> Vec<Effect> {
    update(s, Action::Json { query: q, result: Ok(fixture(name)) })
}

fn key(s: &mut State, c: KeyCode) -> Vec<Effect> {
    update(s, Action::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    key(s, KeyCode::Char(c))
}

fn typ(s: &mut State, text: &str) {
    for c in text.chars() {
        ch(s, c);
    }
}

fn cmd(s: &mut State, c: Cmd) -> Vec<Effect> {
    update(s, Action::Cmd(c))
}

fn json(q: Query) -> Effect {
    Effect::Json(q)
}

/// A connected state with the running-job fixtures loaded.
fn loaded() -> State {
    let mut s = connected();
    reply(&mut s, Query::StatusDirector, "status-director-running");
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    s
}

// ---------------------------------------------------------------- polling and links

#[test]
fn connecting_fetches_the_screen_and_polls_without_duplicates() {
    let mut s = fresh();
    assert!(update(&mut s, Action::Tick(t0())).is_empty(), "nothing is polled before the link is up");
    let fx = update(&mut s, Action::Link { link: Link::Json, state: LinkState::Connected { banner: String::new() } });
    assert_eq!(fx, vec![json(Query::StatusDirector)]);
    // Still in flight a second later: not sent again.
    assert!(update(&mut s, Action::Tick(t0() + TimeDelta::seconds(1))).is_empty());
    let fx = reply(&mut s, Query::StatusDirector, "status-director-running");
    assert_eq!(fx, vec![json(Query::ListJobs)], "a new set of running jobs refreshes the history");
    assert!(s.dirty);
    let fx = update(&mut s, Action::Tick(t0() + TimeDelta::seconds(2)));
    assert_eq!(fx, vec![json(Query::StatusDirector)]);
}

#[test]
fn identical_poll_results_do_not_redraw() {
    let mut s = loaded();
    s.dirty = false;
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    assert!(!s.dirty);
    reply(&mut s, Query::StatusDirector, "status-director-running");
    assert!(!s.dirty, "same status at the same instant");
    update(&mut s, Action::Tick(t0() + TimeDelta::milliseconds(300)));
    assert!(!s.dirty, "same second on the clock");
}

#[test]
fn lost_link_shows_and_commands_say_so() {
    let mut s = loaded();
    let lost = LinkState::Lost { error: "connection refused".into(), retry_in: std::time::Duration::from_secs(2) };
    update(&mut s, Action::Link { link: Link::Json, state: lost.clone() });
    assert_eq!(s.link, lost);
    assert!(update(&mut s, Action::Tick(t0() + TimeDelta::seconds(5))).is_empty(), "no polling while down");
    update(&mut s, Action::Json { query: Query::Cancel(8), result: Err(QueryError::Disconnected("x".into())) });
    let m = s.message.clone().expect("message");
    assert!(m.error && m.text.contains("not connected"), "{m:?}");
    // Status polls failing quietly leave the data in place.
    update(&mut s, Action::Json { query: Query::StatusDirector, result: Err(QueryError::Disconnected("x".into())) });
    assert!(s.dashboard.status.is_some());
    // Coming back fetches at once.
    let fx = update(&mut s, Action::Link { link: Link::Json, state: LinkState::Connected { banner: String::new() } });
    assert!(fx.contains(&json(Query::StatusDirector)), "{fx:?}");
}

#[test]
fn messages_expire() {
    let mut s = loaded();
    update(&mut s, Action::Json { query: Query::ListJobs, result: Err(QueryError::Failed("boom".into())) });
    assert!(s.message.is_some());
    update(&mut s, Action::Tick(t0() + TimeDelta::seconds(10)));
    assert!(s.message.is_none());
}

// ---------------------------------------------------------------- dashboard

#[test]
fn dashboard_selection_spans_running_then_terminated() {
    let mut s = loaded();
    let st = s.dashboard.status.as_ref().expect("status");
    assert_eq!(st.running.len(), 2);
    assert_eq!((s.dashboard.pane, s.dashboard.running.selected), (DashPane::Running, 0));
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(8));
    cmd(&mut s, Cmd::Down);
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(9));
    cmd(&mut s, Cmd::Down);
    assert_eq!(s.dashboard.pane, DashPane::Terminated);
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(7), "newest terminated first");
    cmd(&mut s, Cmd::Bottom);
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(1));
    cmd(&mut s, Cmd::Top);
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(8));
}

#[test]
fn dashboard_keeps_the_selected_job_when_lists_shift() {
    let mut s = loaded();
    cmd(&mut s, Cmd::Down);
    cmd(&mut s, Cmd::Down);
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(7));
    // Later: nothing runs any more; the same job stays selected.
    reply(&mut s, Query::StatusDirector, "status-director");
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(7));
}

#[test]
fn dashboard_rates_come_from_consecutive_samples() {
    let mut s = loaded();
    let first = s.dashboard.samples.get(&8).copied().expect("sample");
    assert_eq!(first.rate, None);
    update(&mut s, Action::Tick(t0() + TimeDelta::seconds(2)));
    let mut v = fixture("status-director-running");
    v["running"][0]["bytes"] = Value::from(first.bytes + 20_000_000);
    update(&mut s, Action::Json { query: Query::StatusDirector, result: Ok(v) });
    let r = s.dashboard.samples.get(&8).and_then(|x| x.rate).expect("rate");
    assert!((r - 10_000_000.0).abs() < 1.0, "{r}");
}

#[test]
fn cancel_asks_first_and_only_for_running_jobs() {
    let mut s = loaded();
    assert!(ch(&mut s, 'c').is_empty());
    match &s.dialog {
        Some(Dialog::Confirm { query, text, .. }) => {
            assert_eq!(*query, Query::Cancel(8));
            assert!(text.contains("backup-usr"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert!(ch(&mut s, 'n').is_empty());
    assert!(s.dialog.is_none());
    ch(&mut s, 'c');
    assert_eq!(ch(&mut s, 'y'), vec![json(Query::Cancel(8))]);
    let fx = update(&mut s, Action::Json { query: Query::Cancel(8), result: Ok(serde_json::json!({})) });
    assert!(s.message.as_ref().is_some_and(|m| m.text.contains("cancel requested")));
    assert!(fx.contains(&json(Query::ListJobs)) && fx.contains(&json(Query::StatusDirector)), "{fx:?}");
    // A terminated job cannot be cancelled.
    cmd(&mut s, Cmd::Bottom);
    ch(&mut s, 'c');
    assert!(s.dialog.is_none());
    assert!(s.message.as_ref().is_some_and(|m| m.error && m.text.contains("not running")));
}

#[test]
fn opening_a_log_from_the_dashboard() {
    let mut s = loaded();
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::JobLog);
    assert_eq!(fx, vec![json(Query::JobLog(8))]);
    assert_eq!((s.log.jobid, s.log.job_name.as_str(), s.log.active, s.log.follow), (Some(8), "backup-usr", true, true));
}

// ---------------------------------------------------------------- jobs

#[test]
fn jobs_screen_selection_fetches_details_one_at_a_time() {
    let mut s = loaded();
    assert!(s.pending.iter().all(|q| !matches!(q, Query::JobDetail(_))), "no details off the Jobs screen");
    let fx = ch(&mut s, '2');
    assert_eq!(s.screen, Screen::Jobs);
    assert_eq!(fx, vec![json(Query::JobDetail(9))], "the history is fresh; details of the newest job");
    ch(&mut s, '1');
    reply(&mut s, Query::StatusDirector, "status-director-running");
    update(&mut s, Action::Tick(t0() + TimeDelta::seconds(3)));
    let fx = ch(&mut s, '2');
    assert!(fx.contains(&json(Query::ListJobs)), "stale data is refreshed on entry: {fx:?}");
    assert!(reply(&mut s, Query::ListJobs, "list-jobs-running").is_empty());
    assert!(ch(&mut s, 'j').is_empty(), "one detail request in flight");
    assert!(ch(&mut s, 'j').is_empty());
    // The answer for 9 arrives; the selection is now 7: ask for that.
    let fx = update(&mut s, Action::Json { query: Query::JobDetail(9), result: Ok(fixture("llist-jobid-5")) });
    assert_eq!(fx, vec![json(Query::JobDetail(7))]);
    assert_eq!(s.jobs.selected().map(|j| j.jobid), Some(7));
}

#[test]
fn stale_details_are_dropped_when_the_status_changes() {
    let mut s = loaded();
    ch(&mut s, '2');
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    // Detail of job 9 says Running; the history later says it ended.
    let mut d = fixture("llist-jobid-5");
    d["jobs"][0]["jobid"] = Value::from("9");
    d["jobs"][0]["jobstatus"] = Value::from("R");
    update(&mut s, Action::Json { query: Query::JobDetail(9), result: Ok(d) });
    assert_eq!(s.jobs.detail.as_ref().map(|d| d.jobid), Some(9));
    let mut later = fixture("list-jobs-running");
    later["jobs"][8]["jobstatus"] = Value::from("T");
    let fx = update(&mut s, Action::Json { query: Query::ListJobs, result: Ok(later) });
    assert!(s.jobs.detail.is_none());
    assert_eq!(fx, vec![json(Query::JobDetail(9))]);
}

#[test]
fn filter_line_filters_as_you_type_and_esc_clears() {
    let mut s = loaded();
    ch(&mut s, '2');
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    let all = s.jobs.visible().len();
    ch(&mut s, '/');
    assert!(s.typing());
    typ(&mut s, "status=W");
    assert_eq!(s.jobs.visible().iter().map(|j| j.jobid).collect::<Vec<_>>(), vec![5, 2]);
    // `q` is text while typing, not quit.
    assert!(!s.quit);
    key(&mut s, KeyCode::Enter);
    assert!(!s.typing());
    assert_eq!(s.jobs.filter_text, "status=W");
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.jobs.visible().len(), all);
    ch(&mut s, '/');
    typ(&mut s, "db");
    assert_eq!(s.jobs.visible().iter().map(|j| j.jobid).collect::<Vec<_>>(), vec![6]);
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.jobs.visible().len(), all, "Esc while typing drops the filter");
}

#[test]
fn run_a_job_pick_level_confirm() {
    let mut s = loaded();
    ch(&mut s, '2');
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    // Select a backup-usr row so the picker starts there.
    cmd(&mut s, Cmd::Down);
    assert_eq!(s.jobs.selected().map(|j| j.name.clone()).as_deref(), Some("backup-usr"));
    let fx = ch(&mut s, 'r');
    assert_eq!(fx, vec![json(Query::JobNames)]);
    reply(&mut s, Query::JobNames, "dot-jobs");
    match &s.dialog {
        Some(Dialog::RunPicker { names: Some(n), cursor, .. }) => assert_eq!(n[cursor.selected], "backup-usr"),
        other => panic!("{other:?}"),
    }
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![json(Query::JobDefaults("backup-usr".into()))]);
    reply(&mut s, Query::JobDefaults("backup-usr".into()), "defaults-backup-usr");
    match &s.dialog {
        Some(Dialog::RunConfirm { levels, level, .. }) => assert_eq!(levels[*level], "Incremental"),
        other => panic!("{other:?}"),
    }
    key(&mut s, KeyCode::Right);
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![json(Query::Run { job: "backup-usr".into(), level: Some("Differential".into()) })]);
    assert!(s.dialog.is_none());
    let fx = update(
        &mut s,
        Action::Json {
            query: Query::Run { job: "backup-usr".into(), level: Some("Differential".into()) },
            result: Ok(serde_json::json!({"run": {"jobid": "12"}})),
        },
    );
    assert_eq!(s.message.as_ref().map(|m| m.text.as_str()), Some("backup-usr queued: JobId 12"));
    assert!(fx.contains(&json(Query::ListJobs)));
    assert_eq!(Query::Run { job: "my job".into(), level: None }.command(), "run job=\"my job\" yes");
}

#[test]
fn rerun_asks_then_sends() {
    let mut s = loaded();
    ch(&mut s, '2');
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    ch(&mut s, 'R');
    assert!(matches!(s.dialog, Some(Dialog::Confirm { query: Query::Rerun(9), .. })));
    assert_eq!(key(&mut s, KeyCode::Enter), vec![json(Query::Rerun(9))]);
}

#[test]
fn picker_errors_close_the_dialog() {
    let mut s = loaded();
    ch(&mut s, 'r');
    update(&mut s, Action::Json { query: Query::JobNames, result: Err(QueryError::Failed("denied".into())) });
    assert!(s.dialog.is_none());
    assert!(s.message.as_ref().is_some_and(|m| m.error));
}

// ---------------------------------------------------------------- scheduler

#[test]
fn scheduler_days_and_scrolling() {
    let mut s = loaded();
    let fx = ch(&mut s, '3');
    assert_eq!(fx, vec![json(Query::Scheduler(7))]);
    reply(&mut s, Query::Scheduler(7), "status-scheduler-7");
    let rows = scheduler_row_count(&s);
    assert_eq!(rows, 17, "6 days + 11 runs");
    assert_eq!(ch(&mut s, '+'), vec![json(Query::Scheduler(8))]);
    assert_eq!(s.scheduler.days, 8);
    // A late answer for 7 days is ignored.
    let before = s.scheduler.data.clone();
    let mut v = fixture("status-scheduler-7");
    v["preview"] = Value::Array(vec![]);
    update(&mut s, Action::Json { query: Query::Scheduler(7), result: Ok(v) });
    assert_eq!(s.scheduler.data, before);
    for _ in 0..10 {
        ch(&mut s, '-');
    }
    assert_eq!(s.scheduler.days, 1, "at least one day");
    cmd(&mut s, Cmd::Bottom);
    let h = crate::layout::list_height(&s);
    assert_eq!(s.scheduler.offset, rows.saturating_sub(h));
    cmd(&mut s, Cmd::Top);
    assert_eq!(s.scheduler.offset, 0);
}

#[test]
fn timeline_groups_by_day() {
    let d = crate::model::SchedulerStatus::from_json(&fixture("status-scheduler-7"));
    let rows = timeline_rows(&d);
    assert_eq!(rows[0], TimelineRow::Day("Sat 28-Nov-2026".into()));
    assert_eq!(rows[1], TimelineRow::Run(0));
    assert_eq!(rows[2], TimelineRow::Day("Mon 30-Nov-2026".into()));
    assert_eq!(d.jobs_of("WeeklyCycleAfterBackup").len(), 2);
}

// ---------------------------------------------------------------- job log

fn log_of_5() -> State {
    let mut s = loaded();
    ch(&mut s, '2');
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    for _ in 0..4 {
        cmd(&mut s, Cmd::Down);
    }
    assert_eq!(s.jobs.selected().map(|j| j.jobid), Some(5));
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![json(Query::JobLog(5))]);
    reply(&mut s, Query::JobLog(5), "list-joblog-5");
    s
}

#[test]
fn log_scrolling_pauses_follow_and_end_resumes() {
    let mut s = log_of_5();
    assert!(s.log.follow && !s.log.active);
    ch(&mut s, 'k');
    assert!(!s.log.follow);
    let (_, _, bottom) = log_geometry(&s);
    assert_eq!(s.log.offset, bottom - 1);
    ch(&mut s, 'g');
    assert_eq!(s.log.offset, 0);
    ch(&mut s, 'G');
    assert!(s.log.follow);
    ch(&mut s, 'f');
    assert!(!s.log.follow);
    assert_eq!(s.log.offset, bottom);
    ch(&mut s, 'j');
    assert!(s.log.follow, "scrolling to the end resumes following");
}

#[test]
fn log_search_jumps_between_matches() {
    let mut s = log_of_5();
    ch(&mut s, '/');
    assert!(s.typing());
    typ(&mut s, "could not stat");
    key(&mut s, KeyCode::Enter);
    let first = s.log.search.current.expect("a match");
    let (_, width) = crate::layout::log_text(&s);
    let rows = crate::state::log_rows(&s.log.entries, width);
    assert!(rows[first].text.contains("Could not stat"));
    assert_eq!(rows[first].severity, crate::state::Severity::Error);
    assert!(!s.log.follow);
    ch(&mut s, 'n');
    assert_eq!(s.log.search.current, Some(first), "a single match wraps to itself");
    ch(&mut s, '/');
    typ(&mut s, "zzz-nothing");
    key(&mut s, KeyCode::Enter);
    assert!(s.message.as_ref().is_some_and(|m| m.error && m.text.contains("zzz-nothing")));
    key(&mut s, KeyCode::Esc);
    assert!(s.log.search.query.is_empty(), "Esc clears the search first");
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Jobs, "then goes back");
}

#[test]
fn a_followed_job_is_polled_until_it_ends() {
    let mut s = loaded();
    key(&mut s, KeyCode::Enter);
    reply(&mut s, Query::JobLog(8), "list-joblog-8");
    assert!(s.log.active);
    let fx = update(&mut s, Action::Tick(t0() + TimeDelta::seconds(1)));
    assert!(fx.contains(&json(Query::JobLog(8))), "{fx:?}");
    reply(&mut s, Query::JobLog(8), "list-joblog-8");
    // The director no longer lists job 8 as running: one last fetch, then quiet.
    let fx = reply(&mut s, Query::StatusDirector, "status-director");
    assert!(fx.contains(&json(Query::JobLog(8))), "{fx:?}");
    assert!(!s.log.active);
    reply(&mut s, Query::JobLog(8), "list-joblog-8");
    let fx = update(&mut s, Action::Tick(t0() + TimeDelta::seconds(5)));
    assert!(!fx.contains(&json(Query::JobLog(8))), "{fx:?}");
}

#[test]
fn log_rows_wrap_split_and_colour() {
    let entries = crate::model::joblog_from_json(&fixture("list-joblog-5"));
    let rows = crate::state::log_rows(&entries, 40);
    assert!(rows.iter().all(|r| r.text.chars().count() <= 40));
    assert_eq!(rows[0].time, "05:25:02");
    assert!(rows.iter().any(|r| !r.first && r.time.is_empty()));
    assert!(rows.iter().any(|r| r.severity == crate::state::Severity::Error));
    assert_eq!(crate::state::Severity::of("x: Warning: y"), crate::state::Severity::Warning);
    assert_eq!(crate::state::Severity::of("x: Fatal error: y"), crate::state::Severity::Error);
    assert_eq!(crate::state::Severity::of("Non-fatal FD errors: 1"), crate::state::Severity::Info);
}

// ---------------------------------------------------------------- console

#[test]
fn console_sends_lines_and_tracks_the_prompt() {
    let mut s = connected();
    ch(&mut s, '5');
    assert!(s.console.focused && s.typing());
    assert_eq!(s.console.lines, vec!["1000 OK: bareos-dir".to_string()]);
    typ(&mut s, "run job=backup-usr");
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Console("run job=backup-usr".into())]);
    assert!(s.console.busy);
    assert_eq!(s.console.lines.last().map(String::as_str), Some("*run job=backup-usr"));
    typ(&mut s, "yes");
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "one command at a time");
    assert!(s.message.is_some());
    update(
        &mut s,
        Action::ConsoleReply(Ok(ConsoleReply {
            text: "OK to run? (yes/mod/no): ".into(),
            sub_prompt: true,
            in_tree: false,
        })),
    );
    assert_eq!(s.console.prompt, Prompt::Sub);
    assert_eq!(key(&mut s, KeyCode::Enter), vec![Effect::Console("yes".into())]);
    update(
        &mut s,
        Action::ConsoleReply(Ok(ConsoleReply {
            text: "Job queued. JobId=12\n".into(),
            sub_prompt: false,
            in_tree: false,
        })),
    );
    assert_eq!(s.console.prompt, Prompt::Main);
    assert_eq!(s.console.lines.last().map(String::as_str), Some("Job queued. JobId=12"));
    // History.
    key(&mut s, KeyCode::Up);
    assert_eq!(s.console.input.text, "yes");
    key(&mut s, KeyCode::Up);
    assert_eq!(s.console.input.text, "run job=backup-usr");
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    assert_eq!(s.console.input.text, "");
    // Esc leaves the line: now `1` switches screens.
    key(&mut s, KeyCode::Esc);
    ch(&mut s, '1');
    assert_eq!(s.screen, Screen::Dashboard);
}

#[test]
fn console_quit_and_ctrl_c() {
    let mut s = connected();
    ch(&mut s, '5');
    typ(&mut s, "status");
    update(&mut s, Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(!s.quit && s.console.input.text.is_empty(), "Ctrl-c clears a line first");
    typ(&mut s, "quit");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(s.quit, "`quit` leaves the TUI, as in bconsole");
}

#[test]
fn console_link_loss_is_shown_in_the_pane() {
    let mut s = connected();
    ch(&mut s, '5');
    typ(&mut s, "wait");
    key(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Action::Link {
            link: Link::Console,
            state: LinkState::Lost { error: "reset".into(), retry_in: std::time::Duration::from_millis(500) },
        },
    );
    assert!(!s.console.busy);
    assert!(s.console.lines.iter().any(|l| l.contains("connection lost: reset")));
    typ(&mut s, "status");
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "not sent while down");
}

// ---------------------------------------------------------------- chrome, keys, mouse

#[test]
fn help_toggles_and_any_key_closes() {
    let mut s = loaded();
    ch(&mut s, '?');
    assert!(s.help);
    ch(&mut s, 'j');
    assert!(!s.help);
    assert_eq!(s.dashboard.selected_job().map(|j| j.0), Some(8), "the closing key does nothing else");
}

#[test]
fn unbound_keys_do_not_redraw_and_quit_quits() {
    let mut s = loaded();
    s.dirty = false;
    key(&mut s, KeyCode::F(9));
    assert!(!s.dirty);
    // A change not drawn yet survives a following no-op in the same batch.
    ch(&mut s, 'j');
    key(&mut s, KeyCode::F(9));
    assert!(s.dirty);
    ch(&mut s, 'q');
    assert!(s.quit);
}

#[test]
fn user_keymap_changes_behaviour() {
    let mut s = loaded();
    s.keymap = Keymap::builtin()
        .and_then(|k| k.with_overrides("[[global]]\non = \"x\"\nrun = \"screen scheduler\"\ndesc = \"sched\"\n", "u"))
        .expect("keymap");
    ch(&mut s, 'x');
    assert_eq!(s.screen, Screen::Scheduler);
}

#[test]
fn mouse_click_selects_rows_and_tabs_and_wheel_scrolls() {
    let mut s = loaded();
    ch(&mut s, '2');
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    let rows = crate::layout::table_rows(
        crate::layout::jobs(crate::layout::chrome(crate::layout::screen_area(&s)).body).table,
    );
    let click = |x, y| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut s, Action::Mouse(click(rows.x + 3, rows.y + 2)));
    assert_eq!(s.jobs.cursor.selected, 2);
    let wheel = MouseEvent { kind: MouseEventKind::ScrollDown, column: 10, row: 10, modifiers: KeyModifiers::NONE };
    update(&mut s, Action::Mouse(wheel));
    assert_eq!(s.jobs.cursor.selected, 5);
    // The third tab.
    let x = (0..80).find(|x| crate::view::tab_at(*x, 80) == Some(Screen::Scheduler)).expect("tab");
    update(&mut s, Action::Mouse(click(x, 0)));
    assert_eq!(s.screen, Screen::Scheduler);
}

#[test]
fn resize_keeps_selections_visible() {
    let mut s = loaded();
    ch(&mut s, '2');
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    cmd(&mut s, Cmd::Bottom);
    update(&mut s, Action::Resize(80, 12));
    let h = crate::layout::list_height(&s);
    let c = s.jobs.cursor;
    assert!(c.selected >= c.offset && c.selected < c.offset + h, "{c:?} h={h}");
}

#[test]
fn paste_goes_into_the_line_being_edited() {
    let mut s = connected();
    ch(&mut s, '5');
    update(&mut s, Action::Paste("list jobs\nsecond line".into()));
    assert_eq!(s.console.input.text, "list jobs");
}

#[test]
fn running_job_eta_comes_from_the_last_good_run_of_the_same_job_and_level() {
    let mut s = connected();
    reply(&mut s, Query::StatusDirector, "status-director-running");
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    let all = s.jobs.all.clone().expect("jobs");
    let running = s.dashboard.status.as_ref().map(|st| st.running.clone()).expect("status");
    let j8 = running.iter().find(|j| j.jobid == 8).expect("job 8");
    // JobId 7 is backup-usr Full, terminated OK; JobId 8 itself (R) is skipped.
    let last = crate::state::last_good_run(&all, j8.job_name(), &j8.level, j8.jobid).expect("last run");
    assert_eq!(last.jobid, 7);
    let e = crate::state::estimate(j8.bytes, Some(last.bytes), Some(100_000_000.0));
    let ratio = e.ratio.expect("ratio");
    assert!((ratio - 324_403_847.0 / 547_321_780.0).abs() < 1e-9);
    assert_eq!(e.eta_secs, Some(3)); // 222.9 MB left at 100 MB/s
    assert_eq!(crate::format::eta(e.eta_secs), "00:03");
    // backup-web (JobId 9) only has W and C runs at Full: no estimate.
    let j9 = running.iter().find(|j| j.jobid == 9).expect("job 9");
    assert!(crate::state::last_good_run(&all, j9.job_name(), &j9.level, j9.jobid).is_none());
    assert_eq!(crate::format::eta(None), "—");
}

#[test]
fn estimate_caps_at_99_percent_and_is_unknown_without_a_rate_or_history() {
    use crate::state::{Estimate, estimate};
    assert_eq!(estimate(10, None, Some(5.0)), Estimate::default());
    assert_eq!(estimate(10, Some(0), Some(5.0)), Estimate::default());
    let over = estimate(2_000, Some(1_000), Some(5.0));
    assert_eq!(over.ratio, Some(0.99));
    assert_eq!(over.eta_secs, None);
    let no_rate = estimate(500, Some(1_000), None);
    assert_eq!(no_rate.ratio, Some(0.5));
    assert_eq!(no_rate.eta_secs, None);
    assert_eq!(estimate(0, Some(6_000), Some(1.0)).eta_secs, Some(6_000));
    assert_eq!(crate::format::eta(Some(6_000)), "100:00");
    assert_eq!(crate::format::progress(Some(0.5), 8), "████     50%");
    assert_eq!(crate::format::progress(None, 8), "—");
}

#[test]
fn last_good_run_matches_level_words_and_codes() {
    let row = |jobid: u32, level: &str, status: &str, bytes: u64| crate::model::JobRow {
        jobid,
        name: "nightly".into(),
        level: level.into(),
        status: status.into(),
        bytes,
        ..Default::default()
    };
    let all = vec![row(1, "I", "T", 10), row(2, "F", "T", 20), row(3, "I", "E", 30), row(4, "I", "T", 0)];
    assert_eq!(crate::state::last_good_run(&all, "nightly", "Incr", 99).map(|r| r.jobid), Some(1));
    assert_eq!(crate::state::last_good_run(&all, "nightly", "Full", 99).map(|r| r.jobid), Some(2));
    assert_eq!(crate::state::last_good_run(&all, "nightly", "Differential", 99).map(|r| r.jobid), None);
    assert_eq!(crate::state::last_good_run(&all, "other", "Full", 99).map(|r| r.jobid), None);
}

#[test]
fn pool_gauges_are_polled_every_ten_seconds_on_a_wide_dashboard_only() {
    let mut s = connected();
    let fx = update(&mut s, Action::Tick(t0() + TimeDelta::seconds(1)));
    assert!(!fx.contains(&json(Query::ListVolumes)), "no pool panel at 80x24: {fx:?}");
    update(&mut s, Action::Resize(120, 40));
    let fx = update(&mut s, Action::Tick(t0() + TimeDelta::seconds(2)));
    assert!(fx.contains(&json(Query::ListVolumes)), "{fx:?}");
    let fx = update(&mut s, Action::Tick(t0() + TimeDelta::seconds(7)));
    assert!(!fx.contains(&json(Query::ListVolumes)), "{fx:?}");
    reply(&mut s, Query::ListVolumes, "llist-volumes-all");
    let fx = update(&mut s, Action::Tick(t0() + TimeDelta::seconds(12)));
    assert!(fx.contains(&json(Query::ListVolumes)), "{fx:?}");
    assert_eq!(Query::ListVolumes.command(), "llist volumes all");
}

#[test]
fn volumes_are_summed_per_pool() {
    let mut s = connected();
    reply(&mut s, Query::ListVolumes, "llist-volumes-all");
    let pools = s.dashboard.pools.clone().expect("pools");
    assert_eq!(pools.len(), 2);
    let full = &pools[0];
    assert_eq!((full.pool.as_str(), full.volumes, full.full, full.append, full.used), ("Full", 2, 1, 1, 0));
    assert_eq!(full.bytes, 547_350_000 + 324_403_847);
    assert_eq!(full.capacity, Some(2 * 549_755_813));
    assert!(full.ratio().is_some_and(|r| r > 0.79 && r < 0.80));
    let inc = &pools[1];
    assert_eq!((inc.pool.as_str(), inc.volumes, inc.used), ("Incremental", 1, 1));
    assert_eq!(inc.capacity, None, "a volume without MaxVolBytes leaves the capacity unknown");
    assert_eq!(inc.ratio(), None);
    // The grouped `list volumes` shape (pools as keys) parses too; junk is empty.
    let grouped: Value = serde_json::json!({"volumes": {"file": [{"volbytes": "5", "volstatus": "Append"}]}});
    let g = crate::model::PoolUsage::list_from_json(&grouped);
    assert_eq!((g[0].pool.as_str(), g[0].bytes, g[0].append, g[0].capacity), ("file", 5, 1, None));
    assert!(crate::model::PoolUsage::list_from_json(&serde_json::json!({"volumes": 3})).is_empty());
    // A failed query leaves the last answer alone.
    update(&mut s, Action::Json { query: Query::ListVolumes, result: Err(QueryError::Failed("boom".into())) });
    assert_eq!(s.dashboard.pools.as_ref().map(Vec::len), Some(2));
}

fn console_with_completions() -> State {
    let mut s = connected();
    ch(&mut s, '5');
    let fx = key(&mut s, KeyCode::Tab);
    let mut want = vec![json(Query::Complete(".help".into()))];
    want.extend(crate::complete::LIST_SOURCES.iter().map(|c| json(Query::Complete((*c).to_string()))));
    assert_eq!(fx, want, "the first Tab fetches the completion data over the JSON link");
    assert!(key(&mut s, KeyCode::Tab).is_empty(), "not asked twice while in flight");
    reply(&mut s, Query::Complete(".help".into()), "dot-help");
    reply(&mut s, Query::Complete(".jobs".into()), "dot-jobs");
    reply(&mut s, Query::Complete(".pools".into()), "dot-pools");
    reply(&mut s, Query::Complete(".levels".into()), "dot-levels");
    s
}

#[test]
fn console_tab_completes_command_names_and_cycles() {
    let mut s = console_with_completions();
    typ(&mut s, "ca");
    assert!(key(&mut s, KeyCode::Tab).is_empty());
    assert_eq!(s.console.input.text, "cancel ");
    assert_eq!(s.console.input.cursor, 7);
    // Several candidates: Tab cycles through them and wraps.
    s.console.input = crate::state::LineInput::with_text("l");
    key(&mut s, KeyCode::Tab);
    let first = s.console.input.text.clone();
    key(&mut s, KeyCode::Tab);
    let second = s.console.input.text.clone();
    key(&mut s, KeyCode::Tab);
    let third = s.console.input.text.clone();
    key(&mut s, KeyCode::Tab);
    let mut seen = vec![first.clone(), second, third];
    seen.sort();
    assert_eq!(seen, vec!["label ", "list ", "llist "]);
    assert!(s.message.as_ref().is_some_and(|m| m.text.starts_with("3 candidates: ")), "{:?}", s.message);
    assert_eq!(s.console.input.text, first, "wraps around");
    // Dot commands only complete when asked for.
    s.console.input = crate::state::LineInput::with_text(".");
    key(&mut s, KeyCode::Tab);
    assert!(s.console.input.text.starts_with('.'), "{}", s.console.input.text);
    // Typing ends the cycle; no match leaves the line alone.
    s.console.input = crate::state::LineInput::with_text("zz");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "zz");
    assert_eq!(s.console.tab, None);
}

#[test]
fn console_tab_completes_keywords_and_resource_names() {
    let mut s = console_with_completions();
    typ(&mut s, "run jo");
    key(&mut s, KeyCode::Tab);
    // `job=` and `jobid=`, in usage order; `key=` takes no space.
    assert_eq!(s.console.input.text, "run job=");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "run jobid=");
    s.console.input = crate::state::LineInput::with_text("run job=backup-u");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "run job=backup-usr ");
    typ(&mut s, "level=i");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "run job=backup-usr level=Incremental ");
    typ(&mut s, "pool=s");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "run job=backup-usr level=Incremental pool=Scratch ");
    // Keywords already given are not offered again; the cursor may sit mid-line.
    s.console.input = crate::state::LineInput { text: "run job=x jo yes".into(), cursor: 12 };
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "run job=x jobid= yes");
    assert_eq!(s.console.input.cursor, 16);
    // Abbreviated commands resolve; unknown keys complete nothing.
    s.console.input = crate::state::LineInput::with_text("stat dir");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "stat dir=", "usage order: `dir=` before `director`");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "stat director ");
    s.console.input = crate::state::LineInput::with_text("run bogus=");
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.console.input.text, "run bogus=");
}

#[test]
fn console_tab_is_inert_at_sub_prompts_and_retries_after_a_failure() {
    let mut s = connected();
    ch(&mut s, '5');
    key(&mut s, KeyCode::Tab);
    update(
        &mut s,
        Action::Json { query: Query::Complete(".help".into()), result: Err(QueryError::Failed("denied".into())) },
    );
    let fx = key(&mut s, KeyCode::Tab);
    assert!(fx.contains(&json(Query::Complete(".help".into()))), "{fx:?}");
    reply(&mut s, Query::Complete(".help".into()), "dot-help");
    s.console.prompt = Prompt::Sub;
    typ(&mut s, "ca");
    assert!(key(&mut s, KeyCode::Tab).is_empty());
    assert_eq!(s.console.input.text, "ca");
    // Parsers take junk without panicking.
    let mut d = crate::complete::CompletionData::default();
    d.absorb(".help", &serde_json::json!([1, 2]));
    d.absorb(".jobs", &serde_json::json!("x"));
    assert_eq!(d.commands, Some(vec![]));
    assert!(crate::complete::complete(&d, "run ", 99).is_empty());
}

#[test]
fn f2_switches_the_theme_at_run_time() {
    let mut app = crate::app::App::new(connected(), crate::theme::Styles::dark());
    let before = format!("{:?}", app.styles);
    app.dispatch(Action::Key(KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE)));
    assert_eq!(app.state.theme_cycle, 1);
    assert_ne!(format!("{:?}", app.styles), before, "the styles changed");
    assert_eq!(app.state.message.as_ref().map(|m| m.text.as_str()), Some("Theme: light"));
    for _ in 0..3 {
        app.dispatch(Action::Key(KeyEvent::new(KeyCode::F(2), KeyModifiers::NONE)));
    }
    assert_eq!(app.state.message.as_ref().map(|m| m.text.as_str()), Some("Theme: dark"), "the cycle wraps");
}
