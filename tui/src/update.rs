//! The reducer: `update(&mut State, Action) -> Vec<Effect>` is the only place
//! the state changes. It never blocks and never talks to the director itself;
//! it returns [`Effect`]s, whose results come back as actions.

use chrono::TimeDelta;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use serde_json::Value;

use crate::action::{Action, ConsoleReply, Effect, Link, LinkState, Query, QueryError, Screen};
use crate::keymap::{Cmd, Key, Layer};
use crate::layout;
use crate::model::{self, DirectorStatus, JobRow, JobState, SchedulerStatus};
use crate::state::{
    CONSOLE_MAX_LINES, DashPane, Dialog, InputOutcome, JobDetail, JobFilter, LineInput, ListCursor, Message, Poll,
    Prompt, Sample, State, log_rows,
};

/// How long a status-bar message stays.
const MESSAGE_SECS: i64 = 6;
/// Rows moved by one mouse-wheel step.
const WHEEL_STEP: isize = 3;

/// Apply one action; return what must be done outside.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    // Handlers set `dirty` when they change something visible (and may clear
    // it for a no-op); an earlier, not yet drawn change is never lost.
    let earlier = std::mem::replace(&mut state.dirty, false);
    let mut fx = apply(state, action);
    // The event stream follows what the state wants (trace panes, reconnections).
    crate::update_events::sync(state, &mut fx);
    state.dirty |= earlier;
    fx
}

fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Tick(now) => on_tick(state, now, &mut fx),
        Action::Resize(w, h) => {
            state.size = (w, h);
            reclamp(state);
            state.dirty = true;
        }
        Action::Key(k) => on_key(state, k, &mut fx),
        Action::Mouse(m) => on_mouse(state, m, &mut fx),
        Action::Paste(text) => on_paste(state, &text),
        Action::Cmd(c) => {
            state.dirty = true;
            if state.dialog.is_some() {
                on_dialog_cmd(state, c, &mut fx);
            } else {
                on_cmd(state, c, &mut fx);
            }
        }
        Action::Json { query, result } => {
            state.pending.remove(&query);
            on_json(state, query, result, &mut fx);
        }
        Action::ConsoleReply(r) => on_console_reply(state, r),
        Action::Link { link, state: ls } => on_link(state, link, ls, &mut fx),
        Action::Event(ev) => crate::update_events::on_event(state, ev, &mut fx),
    }
    fx
}

// ---------------------------------------------------------------- helpers

/// Send `q` unless the same query is already in flight.
pub(crate) fn request(state: &mut State, q: Query, fx: &mut Vec<Effect>) {
    if state.pending.insert(q.clone()) {
        fx.push(Effect::Json(q));
    }
}

pub(crate) fn say(state: &mut State, text: impl Into<String>, error: bool) {
    state.message = Some(Message { text: text.into(), error, until: state.now + TimeDelta::seconds(MESSAGE_SECS) });
    state.dirty = true;
}

pub(crate) fn due(state: &State, p: Poll, secs: i64) -> bool {
    state.last_poll.get(&p).is_none_or(|t| state.now - *t >= TimeDelta::seconds(secs))
}

pub(crate) fn poll(state: &mut State, p: Poll, q: Query, fx: &mut Vec<Effect>) {
    state.last_poll.insert(p, state.now);
    request(state, q, fx);
}

fn dash_len(state: &State, pane: DashPane) -> usize {
    state.dashboard.status.as_ref().map_or(0, |s| match pane {
        DashPane::Running => s.running.len(),
        DashPane::Terminated => s.terminated.len(),
    })
}

fn log_geometry(state: &State) -> (usize, usize, usize) {
    let (area, width) = layout::log_text(state);
    let rows = log_rows(&state.log.entries, width).len();
    let height = usize::from(area.height.max(1));
    (rows, height, rows.saturating_sub(height))
}

/// Re-establish every cursor invariant after data or size changes.
pub(crate) fn reclamp(state: &mut State) {
    let r = dash_len(state, DashPane::Running);
    let t = dash_len(state, DashPane::Terminated);
    if state.dashboard.pane == DashPane::Running && r == 0 && t > 0 {
        state.dashboard.pane = DashPane::Terminated;
    }
    let (hr, ht) = layout::dash_heights(state);
    state.dashboard.running.clamp(r, hr);
    state.dashboard.terminated.clamp(t, ht);
    let n = state.jobs.visible().len();
    let hj = layout::list_height_of(state, Screen::Jobs);
    state.jobs.cursor.clamp(n, hj);
    let (_, _, bottom) = log_geometry(state);
    state.log.offset = state.log.offset.min(bottom);
    let rows = scheduler_row_count(state);
    let hs = layout::list_height_of(state, Screen::Scheduler);
    state.scheduler.offset = state.scheduler.offset.min(rows.saturating_sub(hs));
    restore::reclamp(state);
}

/// Rows of the scheduler timeline: one per day header plus one per run.
pub fn scheduler_row_count(state: &State) -> usize {
    state.scheduler.data.as_ref().map_or(0, |d| timeline_rows(d).len())
}

/// A row of the scheduler timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineRow {
    Day(String),
    Run(usize),
}

/// The timeline: runs grouped under a header per day.
pub fn timeline_rows(d: &SchedulerStatus) -> Vec<TimelineRow> {
    let mut rows = Vec::new();
    let mut last_day = String::new();
    for (i, r) in d.preview.iter().enumerate() {
        // `Sat 28-Nov-2026 21:00` → day `Sat 28-Nov-2026`.
        let day = r.datetime.rsplit_once(' ').map(|(d, _)| d).unwrap_or(&r.datetime).to_string();
        if day != last_day {
            rows.push(TimelineRow::Day(day.clone()));
            last_day = day;
        }
        rows.push(TimelineRow::Run(i));
    }
    rows
}

// ---------------------------------------------------------------- time

fn on_tick(state: &mut State, now: chrono::NaiveDateTime, fx: &mut Vec<Effect>) {
    if now.and_utc().timestamp() != state.now.and_utc().timestamp() {
        state.dirty = true;
    }
    state.now = now;
    if state.message.as_ref().is_some_and(|m| m.until <= now) {
        state.message = None;
        state.dirty = true;
    }
    if !state.connected() {
        return;
    }
    poll_due(state, fx);
}

/// Issue the polls whose timers have run out.
fn poll_due(state: &mut State, fx: &mut Vec<Effect>) {
    let status_every = if state.screen == Screen::Dashboard { 1 } else { 2 };
    if due(state, Poll::Status, status_every) {
        poll(state, Poll::Status, Query::StatusDirector, fx);
    }
    match state.screen {
        Screen::Jobs if due(state, Poll::Jobs, 5) => poll(state, Poll::Jobs, Query::ListJobs, fx),
        // The pool gauges only show on wide terminals; poll them only then.
        Screen::Dashboard if crate::layout::shows_pools(state.size.0) && due(state, Poll::Volumes, 10) => {
            poll(state, Poll::Volumes, Query::ListVolumes, fx)
        }
        Screen::JobLog => {
            // A running job's log is polled unless its lines come as events.
            if let Some(id) = state.log.jobid
                && (!state.log.loaded || (state.log.active && !crate::update_events::log_streamed(state)))
                && due(state, Poll::Log, 1)
            {
                poll(state, Poll::Log, Query::JobLog(id), fx);
            }
        }
        Screen::Scheduler if due(state, Poll::Scheduler, 60) => {
            let days = state.scheduler.days;
            poll(state, Poll::Scheduler, Query::Scheduler(days), fx);
        }
        Screen::Trace => crate::update_trace::poll(state, fx),
        Screen::Restore => restore::on_poll(state, fx),
        _ => {}
    }
}

// ---------------------------------------------------------------- links

fn on_link(state: &mut State, link: Link, ls: LinkState, fx: &mut Vec<Effect>) {
    state.dirty = true;
    match link {
        Link::Json => {
            let was_connected = state.connected();
            state.link = ls;
            if state.connected() && !was_connected {
                // Fetch everything the current screen shows, now.
                state.last_poll.clear();
                poll_due(state, fx);
            }
        }
        Link::Console => {
            match &ls {
                LinkState::Connected { banner } if !matches!(state.console_link, LinkState::Connected { .. }) => {
                    push_console_lines(state, banner);
                    state.console.prompt = Prompt::Main;
                }
                LinkState::Lost { error, .. } if matches!(state.console_link, LinkState::Connected { .. }) => {
                    push_console_lines(state, &format!("-- connection lost: {error}; reconnecting --"));
                    state.console.busy = false;
                }
                _ => {}
            }
            state.console_link = ls;
        }
        Link::Events => crate::update_events::on_link(state, ls),
    }
}

// ---------------------------------------------------------------- keys

fn on_key(state: &mut State, k: KeyEvent, fx: &mut Vec<Effect>) {
    if k.kind == KeyEventKind::Release {
        return;
    }
    let key = Key::from_event(&k);
    let quit_key = key == Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    state.dirty = true;
    if state.help {
        if quit_key {
            state.quit = true;
        } else {
            state.help = false;
        }
        return;
    }
    if state.dialog.is_some() {
        match state.keymap.lookup_in(Layer::Dialog, key).map(|b| b.cmd) {
            Some(cmd) => on_dialog_cmd(state, cmd, fx),
            None if quit_key => state.quit = true,
            None => state.dirty = false,
        }
        return;
    }
    if state.typing() {
        on_typing_key(state, k, quit_key, fx);
        return;
    }
    match state.keymap.lookup(state.screen, key).map(|b| b.cmd) {
        Some(cmd) => on_cmd(state, cmd, fx),
        None => state.dirty = false,
    }
}

fn on_typing_key(state: &mut State, k: KeyEvent, quit_key: bool, fx: &mut Vec<Effect>) {
    match state.screen {
        Screen::Jobs => {
            let Some(input) = state.jobs.editing.as_mut() else { return };
            match input.handle(&k) {
                InputOutcome::Edited => {
                    // Filter as you type.
                    let text = input.text.clone();
                    set_filter(state, &text, fx);
                }
                InputOutcome::Submit => state.jobs.editing = None,
                InputOutcome::Cancel => {
                    state.jobs.editing = None;
                    set_filter(state, "", fx);
                }
                InputOutcome::Ignored if quit_key => state.quit = true,
                InputOutcome::Ignored => match k.code {
                    KeyCode::Up => on_cmd(state, Cmd::Up, fx),
                    KeyCode::Down => on_cmd(state, Cmd::Down, fx),
                    _ => {}
                },
            }
        }
        Screen::JobLog => {
            let Some(input) = state.log.search.editing.as_mut() else { return };
            match input.handle(&k) {
                InputOutcome::Edited => {}
                InputOutcome::Submit => {
                    let q = input.text.clone();
                    state.log.search.editing = None;
                    state.log.search.query = q;
                    state.log.search.current = None;
                    if !state.log.search.query.is_empty() {
                        search_step(state, true);
                    }
                }
                InputOutcome::Cancel => state.log.search.editing = None,
                InputOutcome::Ignored if quit_key => state.quit = true,
                InputOutcome::Ignored => {}
            }
        }
        Screen::Console => on_console_key(state, k, quit_key, fx),
        Screen::Trace => crate::update_trace::on_typing_key(state, k, quit_key),
        Screen::Restore => restore::on_typing_key(state, k, quit_key, fx),
        _ => {}
    }
}

fn on_console_key(state: &mut State, k: KeyEvent, quit_key: bool, fx: &mut Vec<Effect>) {
    if quit_key {
        if state.console.input.text.is_empty() {
            state.quit = true;
        } else {
            state.console.input = LineInput::default();
        }
        return;
    }
    if k.code == KeyCode::Tab && k.modifiers.is_empty() {
        console_tab(state, fx);
        return;
    }
    state.console.tab = None;
    match k.code {
        KeyCode::Up => history_step(state, -1),
        KeyCode::Down => history_step(state, 1),
        KeyCode::PageUp => scroll_console(state, layout::list_height(state) as isize),
        KeyCode::PageDown => scroll_console(state, -(layout::list_height(state) as isize)),
        _ => match state.console.input.handle(&k) {
            InputOutcome::Submit => submit_console(state, fx),
            InputOutcome::Cancel => state.console.focused = false,
            InputOutcome::Edited => state.console.history_pos = None,
            InputOutcome::Ignored => state.dirty = false,
        },
    }
}

fn on_paste(state: &mut State, text: &str) {
    let line = text.lines().next().unwrap_or("");
    if !state.typing() {
        return;
    }
    state.dirty = true;
    match state.screen {
        Screen::Jobs => {
            if let Some(i) = state.jobs.editing.as_mut() {
                i.insert_str(line);
                let t = i.text.clone();
                let mut fx = Vec::new();
                set_filter(state, &t, &mut fx);
            }
        }
        Screen::JobLog => {
            if let Some(i) = state.log.search.editing.as_mut() {
                i.insert_str(line);
            }
        }
        Screen::Console => state.console.input.insert_str(line),
        Screen::Trace => crate::update_trace::on_paste(state, line),
        Screen::Restore => restore::on_paste(state, line),
        _ => {}
    }
}

// ---------------------------------------------------------------- commands

fn on_cmd(state: &mut State, cmd: Cmd, fx: &mut Vec<Effect>) {
    if state.screen == Screen::Trace && crate::update_trace::on_cmd(state, cmd, fx) {
        return;
    }
    if state.screen == Screen::Restore && restore::on_cmd(state, cmd, fx) {
        return;
    }
    match cmd {
        Cmd::Quit => state.quit = true,
        Cmd::Help => state.help = !state.help,
        Cmd::Screen(s) => switch_screen(state, s, fx),
        Cmd::NextScreen => {
            let s = state.screen.next();
            switch_screen(state, s, fx);
        }
        Cmd::PrevScreen => {
            let s = state.screen.prev();
            switch_screen(state, s, fx);
        }
        Cmd::Up => move_selection(state, -1, fx),
        Cmd::Down => move_selection(state, 1, fx),
        Cmd::PageUp => {
            let h = layout::list_height(state) as isize;
            move_selection(state, -h, fx);
        }
        Cmd::PageDown => {
            let h = layout::list_height(state) as isize;
            move_selection(state, h, fx);
        }
        Cmd::Top => move_selection(state, isize::MIN / 2, fx),
        Cmd::Bottom => {
            if state.screen == Screen::JobLog {
                state.log.follow = true;
            } else {
                move_selection(state, isize::MAX / 2, fx);
            }
        }
        Cmd::Refresh => refresh(state, fx),
        Cmd::NextTheme => {
            state.theme_cycle = state.theme_cycle.wrapping_add(1);
            state.dirty = true;
        }
        Cmd::Filter => {
            if state.screen == Screen::Jobs {
                state.jobs.editing = Some(LineInput::with_text(&state.jobs.filter_text));
            }
        }
        Cmd::ClearFilter => {
            if state.screen == Screen::Jobs {
                set_filter(state, "", fx);
            }
        }
        Cmd::RunJob => open_run_picker(state, fx),
        Cmd::CancelJob => ask_cancel(state),
        Cmd::RerunJob => ask_rerun(state),
        Cmd::ShowLog => {
            if let Some((id, name)) = selected_job(state) {
                open_log(state, id, &name, fx);
            }
        }
        Cmd::Follow => {
            if state.screen == Screen::JobLog {
                state.log.follow = !state.log.follow;
                if !state.log.follow {
                    state.log.offset = log_geometry(state).2;
                }
            }
        }
        Cmd::Search => {
            if state.screen == Screen::JobLog {
                state.log.search.editing = Some(LineInput::with_text(&state.log.search.query));
            }
        }
        Cmd::SearchNext => search_step(state, true),
        Cmd::SearchPrev => search_step(state, false),
        Cmd::Days(n) => {
            if state.screen == Screen::Scheduler {
                let days = (state.scheduler.days + n).clamp(1, 366);
                if days != state.scheduler.days {
                    state.scheduler.days = days;
                    poll(state, Poll::Scheduler, Query::Scheduler(days), fx);
                }
            }
        }
        Cmd::Focus => {
            if state.screen == Screen::Console {
                state.console.focused = true;
            }
        }
        Cmd::Back => {
            if state.screen == Screen::JobLog {
                if !state.log.search.query.is_empty() {
                    state.log.search = Default::default();
                } else {
                    switch_screen(state, Screen::Jobs, fx);
                }
            }
        }
        Cmd::Confirm | Cmd::LevelNext | Cmd::LevelPrev | Cmd::None => state.dirty = false,
        // Trace-screen commands elsewhere.
        Cmd::PaneToggle
        | Cmd::PaneClose
        | Cmd::PaneNext
        | Cmd::PanePrev
        | Cmd::Pause
        | Cmd::Clear
        | Cmd::DebugLevel(_)
        | Cmd::DebugTrace
        | Cmd::DebugTimestamp
        | Cmd::DebugApply => state.dirty = false,
        // Restore-browser commands elsewhere.
        Cmd::Mark | Cmd::Open | Cmd::Parent | Cmd::Versions | Cmd::Done => state.dirty = false,
    }
}

fn switch_screen(state: &mut State, s: Screen, fx: &mut Vec<Effect>) {
    state.screen = s;
    match s {
        Screen::Console => state.console.focused = true,
        Screen::JobLog if state.log.jobid.is_none() => {
            if let Some((id, name)) = default_log_job(state) {
                open_log(state, id, &name, fx);
                return;
            }
        }
        _ => {}
    }
    // A screen shows fresh data when entered.
    for p in [Poll::Jobs, Poll::Scheduler] {
        let stale = state.last_poll.get(&p).is_none_or(|t| state.now - *t >= TimeDelta::seconds(2));
        if stale {
            state.last_poll.remove(&p);
        }
    }
    reclamp(state);
    if state.connected() {
        poll_due(state, fx);
    }
    jobs_follow_up(state, fx);
}

/// The job the log screen shows when none was picked: the newest running
/// job, else the newest terminated one.
fn default_log_job(state: &State) -> Option<(u32, String)> {
    let st = state.dashboard.status.as_ref();
    st.and_then(|s| s.running.iter().filter(|j| j.is_running()).max_by_key(|j| j.jobid))
        .map(|j| (j.jobid, j.job_name().to_string()))
        .or_else(|| st.and_then(|s| s.terminated.iter().max_by_key(|j| j.jobid)).map(|j| (j.jobid, j.name.clone())))
        .or_else(|| state.jobs.all.as_ref().and_then(|a| a.first()).map(|j| (j.jobid, j.name.clone())))
}

fn refresh(state: &mut State, fx: &mut Vec<Effect>) {
    state.last_poll.clear();
    if state.screen == Screen::JobLog
        && let Some(id) = state.log.jobid
    {
        poll(state, Poll::Log, Query::JobLog(id), fx);
    }
    if state.screen == Screen::Jobs {
        state.jobs.detail = None;
        jobs_follow_up(state, fx);
    }
    poll_due(state, fx);
}

fn selected_job(state: &State) -> Option<(u32, String)> {
    match state.screen {
        Screen::Dashboard => state.dashboard.selected_job().map(|(id, name, _)| (id, name)),
        Screen::Jobs => state.jobs.selected().map(|j| (j.jobid, j.name.clone())),
        Screen::JobLog => state.log.jobid.map(|id| (id, state.log.job_name.clone())),
        _ => None,
    }
}

fn open_log(state: &mut State, id: u32, name: &str, fx: &mut Vec<Effect>) {
    if state.log.jobid != Some(id) {
        state.log = crate::state::LogState { jobid: Some(id), job_name: name.to_string(), ..Default::default() };
    }
    state.log.follow = true;
    state.log.active = job_is_active(state, id);
    state.screen = Screen::JobLog;
    if state.connected() {
        poll(state, Poll::Log, Query::JobLog(id), fx);
    }
}

/// What we know about whether job `id` is still going.
fn job_is_active(state: &State, id: u32) -> bool {
    if let Some(st) = &state.dashboard.status
        && st.running.iter().any(|j| j.jobid == id)
    {
        return true;
    }
    if let Some(all) = &state.jobs.all
        && let Some(j) = all.iter().find(|j| j.jobid == id)
    {
        return JobState::from_code(&j.status).is_active();
    }
    false
}

fn move_selection(state: &mut State, delta: isize, fx: &mut Vec<Effect>) {
    let h = layout::list_height(state);
    match state.screen {
        Screen::Dashboard => {
            let r = dash_len(state, DashPane::Running);
            let t = dash_len(state, DashPane::Terminated);
            let d = &mut state.dashboard;
            // One list across both tables: running jobs, then terminated ones.
            let pos = match d.pane {
                DashPane::Running => d.running.selected,
                DashPane::Terminated => r + d.terminated.selected,
            };
            let total = r + t;
            if total == 0 {
                return;
            }
            let new = pos.saturating_add_signed(delta).min(total - 1);
            if new < r {
                d.pane = DashPane::Running;
                d.running.selected = new;
            } else {
                d.pane = DashPane::Terminated;
                d.terminated.selected = new - r;
            }
            reclamp(state);
        }
        Screen::Jobs => {
            let n = state.jobs.visible().len();
            state.jobs.cursor.move_by(delta, n, h);
            jobs_follow_up(state, fx);
        }
        Screen::Scheduler => {
            let rows = scheduler_row_count(state);
            state.scheduler.offset = state.scheduler.offset.saturating_add_signed(delta).min(rows.saturating_sub(h));
        }
        Screen::JobLog => {
            let (_, _, bottom) = log_geometry(state);
            if state.log.follow {
                state.log.offset = bottom;
            }
            let new = state.log.offset.saturating_add_signed(delta).min(bottom);
            state.log.offset = new;
            // Scrolling pauses following; reaching the end resumes it.
            state.log.follow = delta > 0 && new >= bottom;
        }
        Screen::Console => scroll_console(state, -delta),
        Screen::Trace => crate::update_trace::move_by(state, delta),
        Screen::Restore => restore::move_by(state, delta, fx),
    }
}

fn scroll_console(state: &mut State, delta: isize) {
    let h = layout::list_height(state);
    let max = state.console.lines.len().saturating_sub(h);
    state.console.scroll = state.console.scroll.saturating_add_signed(delta).min(max);
}

// ---------------------------------------------------------------- jobs

fn set_filter(state: &mut State, text: &str, fx: &mut Vec<Effect>) {
    let keep = state.jobs.selected().map(|j| j.jobid);
    state.jobs.filter_text = text.to_string();
    state.jobs.filter = JobFilter::parse(text);
    // Keep the same job selected when it still passes.
    let idx = keep.and_then(|id| state.jobs.visible().iter().position(|j| j.jobid == id)).unwrap_or(0);
    let n = state.jobs.visible().len();
    let h = layout::list_height_of(state, Screen::Jobs);
    state.jobs.cursor.select(idx, n, h);
    jobs_follow_up(state, fx);
}

/// Fetch the details of the selected job when they are not shown yet (one
/// request at a time: a fast scroll asks only for where it stopped).
fn jobs_follow_up(state: &mut State, fx: &mut Vec<Effect>) {
    if state.screen != Screen::Jobs {
        return;
    }
    let Some(id) = state.jobs.selected().map(|j| j.jobid) else { return };
    if state.jobs.detail.as_ref().is_some_and(|d| d.jobid == id) {
        return;
    }
    if state.pending.iter().any(|q| matches!(q, Query::JobDetail(_))) || !state.connected() {
        return;
    }
    request(state, Query::JobDetail(id), fx);
}

// ---------------------------------------------------------------- dialogs

fn open_run_picker(state: &mut State, fx: &mut Vec<Effect>) {
    let preselect = match state.screen {
        Screen::Jobs => state.jobs.selected().map(|j| j.name.clone()),
        Screen::Dashboard => state.dashboard.selected_job().map(|(_, n, _)| n),
        _ => None,
    };
    state.dialog = Some(Dialog::RunPicker { names: None, cursor: ListCursor::default(), preselect });
    request(state, Query::JobNames, fx);
}

/// Rows of the run picker visible at once.
pub const PICKER_ROWS: usize = 12;

fn ask_cancel(state: &mut State) {
    let Some((id, name)) = selected_job(state) else {
        say(state, "No job selected", true);
        return;
    };
    if !job_is_active(state, id) {
        say(state, format!("JobId {id} is not running"), true);
        return;
    }
    state.dialog = Some(Dialog::Confirm {
        title: "Cancel job".into(),
        text: format!("Cancel JobId {id} ({name})?"),
        query: Query::Cancel(id),
    });
}

fn ask_rerun(state: &mut State) {
    let Some((id, name)) = selected_job(state) else {
        say(state, "No job selected", true);
        return;
    };
    state.dialog = Some(Dialog::Confirm {
        title: "Rerun job".into(),
        text: format!("Run JobId {id} ({name}) again with the same settings?"),
        query: Query::Rerun(id),
    });
}

fn levels_for(job_type: &str) -> Vec<String> {
    let l: &[&str] = match job_type.to_ascii_lowercase().as_str() {
        "backup" => &["Full", "Incremental", "Differential", "VirtualFull"],
        "verify" => &["VolumeToCatalog", "DiskToCatalog", "Catalog", "InitCatalog", "Data"],
        _ => &[],
    };
    l.iter().map(|s| s.to_string()).collect()
}

fn on_dialog_cmd(state: &mut State, cmd: Cmd, fx: &mut Vec<Effect>) {
    let Some(dialog) = state.dialog.take() else { return };
    let next = match (dialog, cmd) {
        (_, Cmd::Back) => None,
        (Dialog::RunPicker { names, mut cursor, preselect }, Cmd::Up | Cmd::Down) => {
            let n = names.as_ref().map_or(0, Vec::len);
            cursor.move_by(if cmd == Cmd::Up { -1 } else { 1 }, n, PICKER_ROWS);
            Some(Dialog::RunPicker { names, cursor, preselect })
        }
        (Dialog::RunPicker { names: Some(names), cursor, preselect }, Cmd::Confirm) => {
            match names.get(cursor.selected) {
                Some(job) => {
                    request(state, Query::JobDefaults(job.clone()), fx);
                    Some(Dialog::RunConfirm { job: job.clone(), defaults: None, levels: Vec::new(), level: 0 })
                }
                None => Some(Dialog::RunPicker { names: Some(names), cursor, preselect }),
            }
        }
        (
            Dialog::RunConfirm { job, defaults, levels, level },
            Cmd::LevelNext | Cmd::LevelPrev | Cmd::Down | Cmd::Up,
        ) => {
            let n = levels.len().max(1);
            let level = if matches!(cmd, Cmd::LevelNext | Cmd::Down) { (level + 1) % n } else { (level + n - 1) % n };
            Some(Dialog::RunConfirm { job, defaults, levels, level })
        }
        (Dialog::RunConfirm { job, levels, level, .. }, Cmd::Confirm) => {
            let q = Query::Run { job: job.clone(), level: levels.get(level).cloned() };
            request(state, q, fx);
            say(state, format!("Starting {job}…"), false);
            None
        }
        (Dialog::Confirm { query, .. }, Cmd::Confirm) => {
            request(state, query, fx);
            None
        }
        (d, _) => {
            state.dirty = false;
            Some(d)
        }
    };
    state.dialog = next;
}

// ---------------------------------------------------------------- log search

fn search_step(state: &mut State, forward: bool) {
    if state.screen != Screen::JobLog {
        return;
    }
    let q = state.log.search.query.to_lowercase();
    if q.is_empty() {
        return;
    }
    let (_, width) = layout::log_text(state);
    let rows = log_rows(&state.log.entries, width);
    let hits: Vec<usize> =
        rows.iter().enumerate().filter(|(_, r)| r.text.to_lowercase().contains(&q)).map(|(i, _)| i).collect();
    if hits.is_empty() {
        let text = format!("Not found: {}", state.log.search.query);
        say(state, text, true);
        state.log.search.current = None;
        return;
    }
    let (_, height, bottom) = log_geometry(state);
    let top = if state.log.follow { bottom } else { state.log.offset };
    let from = state.log.search.current;
    let next = if forward {
        let start = from.map_or(top, |c| c + 1);
        hits.iter().copied().find(|h| *h >= start).unwrap_or(hits[0])
    } else {
        let start = from.unwrap_or(top + height);
        hits.iter().rev().copied().find(|h| *h < start).unwrap_or(hits[hits.len() - 1])
    };
    state.log.search.current = Some(next);
    state.log.follow = false;
    state.log.offset = next.saturating_sub(height / 3).min(bottom);
}

// ---------------------------------------------------------------- console

fn history_step(state: &mut State, dir: isize) {
    let c = &mut state.console;
    if c.history.is_empty() {
        return;
    }
    let pos = match (c.history_pos, dir < 0) {
        (None, true) => Some(c.history.len() - 1),
        (None, false) => None,
        (Some(p), true) => Some(p.saturating_sub(1)),
        (Some(p), false) if p + 1 < c.history.len() => Some(p + 1),
        (Some(_), false) => None,
    };
    c.history_pos = pos;
    c.input = match pos {
        Some(p) => LineInput::with_text(&c.history[p]),
        None => LineInput::default(),
    };
}

/// Tab in the console: fetch the completion data on first use, then complete
/// the word at the cursor; Tab again cycles through the candidates.
fn console_tab(state: &mut State, fx: &mut Vec<Effect>) {
    if state.console.prompt != Prompt::Main || state.console.busy {
        state.dirty = false;
        return;
    }
    if let Some(t) = state.console.tab.as_mut()
        && t.lines.get(t.index).is_some_and(|(l, _)| *l == state.console.input.text)
        && t.lines.len() > 1
    {
        t.index = (t.index + 1) % t.lines.len();
        if let Some((l, c)) = t.lines.get(t.index) {
            state.console.input = LineInput { text: l.clone(), cursor: *c };
        }
        return;
    }
    state.console.tab = None;
    let data = &state.console.completion;
    if data.commands.is_none() {
        // Asked again after a failure (nothing in flight any more).
        if !state.pending.contains(&Query::Complete(".help".into())) {
            request(state, Query::Complete(".help".into()), fx);
            for src in crate::complete::LIST_SOURCES {
                request(state, Query::Complete((*src).to_string()), fx);
            }
        }
        say(state, "Loading completions…", false);
        return;
    }
    let lines = crate::complete::complete(data, &state.console.input.text, state.console.input.cursor);
    match lines.len() {
        0 => state.dirty = false,
        n => {
            if let Some((l, c)) = lines.first() {
                state.console.input = LineInput { text: l.clone(), cursor: *c };
            }
            if n > 1 {
                let words: Vec<String> = crate::complete::candidate_words(&lines);
                let more = if n > 8 { " …" } else { "" };
                let shown = words.iter().take(8).cloned().collect::<Vec<_>>().join("  ");
                say(state, format!("{n} candidates: {shown}{more}"), false);
                state.console.tab = Some(crate::complete::TabCycle { lines, index: 0 });
            }
        }
    }
}

fn prompt_text(p: Prompt) -> &'static str {
    match p {
        Prompt::Main => "*",
        Prompt::Sub => "",
        Prompt::Tree => "$ ",
    }
}

fn submit_console(state: &mut State, fx: &mut Vec<Effect>) {
    let line = state.console.input.text.trim_end().to_string();
    if state.console.busy {
        say(state, "The director is still answering the last command", true);
        return;
    }
    if state.console.prompt == Prompt::Main {
        if line.trim().is_empty() {
            return;
        }
        if matches!(line.trim(), "quit" | "exit") {
            state.quit = true;
            return;
        }
    }
    if !matches!(state.console_link, LinkState::Connected { .. }) {
        say(state, "Not connected to the director", true);
        return;
    }
    let echo = format!("{}{}", prompt_text(state.console.prompt), line);
    push_console_lines(state, &echo);
    let c = &mut state.console;
    if !line.is_empty() && c.history.last() != Some(&line) {
        c.history.push(line.clone());
    }
    c.history_pos = None;
    c.input = LineInput::default();
    c.busy = true;
    c.scroll = 0;
    fx.push(Effect::Console(line));
}

fn push_console_lines(state: &mut State, text: &str) {
    let body = text.strip_suffix('\n').unwrap_or(text);
    for l in body.split('\n') {
        state.console.lines.push(l.trim_end_matches('\r').to_string());
    }
    let n = state.console.lines.len();
    if n > CONSOLE_MAX_LINES {
        state.console.lines.drain(..n - CONSOLE_MAX_LINES);
    }
    state.dirty = true;
}

fn on_console_reply(state: &mut State, r: Result<ConsoleReply, QueryError>) {
    state.console.busy = false;
    state.console.scroll = 0;
    match r {
        Ok(reply) => {
            if !reply.text.is_empty() {
                push_console_lines(state, &reply.text);
            }
            state.console.prompt = if reply.in_tree {
                Prompt::Tree
            } else if reply.sub_prompt {
                Prompt::Sub
            } else {
                Prompt::Main
            };
        }
        Err(e) => {
            push_console_lines(state, &format!("!! {e}"));
            state.console.prompt = Prompt::Main;
        }
    }
    state.dirty = true;
}

// ---------------------------------------------------------------- mouse

fn on_mouse(state: &mut State, m: MouseEvent, fx: &mut Vec<Effect>) {
    let up_cmd = |s: &mut State, fx: &mut Vec<Effect>, d: isize| {
        if s.dialog.is_some() {
            let cmd = if d < 0 { Cmd::Up } else { Cmd::Down };
            on_dialog_cmd(s, cmd, fx);
        } else if !s.help {
            move_selection(s, d, fx);
        }
    };
    match m.kind {
        MouseEventKind::ScrollUp => {
            state.dirty = true;
            up_cmd(state, fx, -WHEEL_STEP);
        }
        MouseEventKind::ScrollDown => {
            state.dirty = true;
            up_cmd(state, fx, WHEEL_STEP);
        }
        MouseEventKind::Down(MouseButton::Left) => {
            state.dirty = true;
            click(state, m.column, m.row, fx);
        }
        _ => {}
    }
}

fn row_hit(area: Rect, x: u16, y: u16) -> Option<usize> {
    area.contains(Position { x, y }).then(|| usize::from(y - area.y))
}

fn click(state: &mut State, x: u16, y: u16, fx: &mut Vec<Effect>) {
    if state.help {
        state.help = false;
        return;
    }
    if state.dialog.is_some() {
        return;
    }
    let c = layout::chrome(layout::screen_area(state));
    if c.tabs.contains(Position { x, y }) {
        if let Some(s) = crate::view::tab_at(x, state.size.0) {
            switch_screen(state, s, fx);
        }
        return;
    }
    match state.screen {
        Screen::Dashboard => {
            let st = state.dashboard.status.as_ref();
            let d = layout::dashboard(c.body, st.map_or(0, |s| s.running.len()), st.map_or(0, |s| s.scheduled.len()));
            if let Some(row) = row_hit(layout::table_rows(d.running), x, y) {
                let i = state.dashboard.running.offset + row;
                if i < dash_len(state, DashPane::Running) {
                    state.dashboard.pane = DashPane::Running;
                    state.dashboard.running.selected = i;
                }
            } else if let Some(row) = row_hit(layout::table_rows(d.terminated), x, y) {
                let i = state.dashboard.terminated.offset + row;
                if i < dash_len(state, DashPane::Terminated) {
                    state.dashboard.pane = DashPane::Terminated;
                    state.dashboard.terminated.selected = i;
                }
            }
            reclamp(state);
        }
        Screen::Jobs => {
            let l = layout::jobs(c.body);
            if let Some(row) = row_hit(layout::table_rows(l.table), x, y) {
                let i = state.jobs.cursor.offset + row;
                let n = state.jobs.visible().len();
                if i < n {
                    let h = layout::list_height(state);
                    state.jobs.cursor.select(i, n, h);
                    jobs_follow_up(state, fx);
                }
            } else if l.filter.contains(Position { x, y }) {
                state.jobs.editing = Some(LineInput::with_text(&state.jobs.filter_text));
            }
        }
        Screen::Console => {
            let l = layout::console(c.body);
            state.console.focused = l.input.contains(Position { x, y }) || state.console.focused;
        }
        Screen::Trace => crate::update_trace::click(state, x, y),
        Screen::Restore => restore::click(state, c.body, x, y, fx),
        _ => {}
    }
}

// ---------------------------------------------------------------- replies

fn on_json(state: &mut State, query: Query, result: Result<Value, QueryError>, fx: &mut Vec<Effect>) {
    if let Query::Restore(q) = query {
        return restore::on_json(state, q, result, fx);
    }
    let v = match result {
        Ok(v) => v,
        Err(QueryError::Disconnected(_)) => {
            // The status bar shows the link; user commands say so.
            if matches!(query, Query::Run { .. } | Query::Cancel(_) | Query::Rerun(_) | Query::SetDebug { .. }) {
                say(state, format!("`{}` not sent: not connected", query.command()), true);
            }
            if matches!(query, Query::JobNames | Query::JobDefaults(_)) {
                state.dialog = None;
                say(state, "Not connected to the director", true);
            }
            return;
        }
        Err(QueryError::Failed(e)) => {
            if matches!(query, Query::JobNames | Query::JobDefaults(_)) {
                state.dialog = None;
            }
            say(state, format!("{}: {}", query.command(), e.trim()), true);
            return;
        }
    };
    match query {
        Query::StatusDirector => on_status(state, &v, fx),
        Query::Complete(cmd) => {
            state.console.completion.absorb(&cmd, &v);
        }
        Query::ListVolumes => {
            let pools = crate::model::PoolUsage::list_from_json(&v);
            if state.dashboard.pools.as_ref() != Some(&pools) {
                state.dashboard.pools = Some(pools);
                state.dirty = true;
            }
        }
        Query::ListJobs => {
            let rows = JobRow::list_from_json(&v);
            if state.jobs.all.as_ref() == Some(&rows) {
                return;
            }
            let keep = state.jobs.selected().map(|j| j.jobid);
            // Details fetched while a job ran are stale once its status moves on.
            if let Some(d) = &state.jobs.detail
                && rows.iter().any(|r| r.jobid == d.jobid && r.status != d.get("jobstatus"))
            {
                state.jobs.detail = None;
            }
            state.jobs.all = Some(rows);
            if let Some(id) = keep
                && let Some(i) = state.jobs.visible().iter().position(|j| j.jobid == id)
            {
                state.jobs.cursor.selected = i;
            }
            if let Some(id) = state.log.jobid {
                let (active, name) = match state.jobs.all.as_ref().and_then(|a| a.iter().find(|j| j.jobid == id)) {
                    Some(j) => (Some(JobState::from_code(&j.status).is_active()), Some(j.name.clone())),
                    None => (None, None),
                };
                if let Some(a) = active {
                    set_log_active(state, id, a, fx);
                }
                if state.log.job_name.is_empty()
                    && let Some(n) = name
                {
                    state.log.job_name = n;
                }
            }
            reclamp(state);
            jobs_follow_up(state, fx);
            state.dirty = true;
        }
        Query::JobDetail(id) => {
            state.jobs.detail = Some(JobDetail { jobid: id, fields: model::detail_from_json(&v) });
            jobs_follow_up(state, fx);
            state.dirty = true;
        }
        Query::JobLog(id) => {
            if state.log.jobid == Some(id) {
                let mut entries = model::joblog_from_json(&v);
                // Lines the event stream brought while this was fetched.
                crate::update_events::merge_log_pending(id, &mut entries, &mut state.events.log_pending);
                if state.log.loaded && entries == state.log.entries {
                    return;
                }
                state.log.entries = entries;
                state.log.loaded = true;
                let (_, _, bottom) = log_geometry(state);
                state.log.offset = state.log.offset.min(bottom);
                state.dirty = true;
            }
        }
        Query::Scheduler(days) => {
            if days == state.scheduler.days {
                let data = SchedulerStatus::from_json(&v);
                if state.scheduler.data.as_ref() == Some(&data) {
                    return;
                }
                state.scheduler.data = Some(data);
                reclamp(state);
                state.dirty = true;
            }
        }
        Query::JobNames => {
            if let Some(Dialog::RunPicker { names, cursor, preselect }) = state.dialog.as_mut() {
                let list = model::job_names_from_json(&v);
                let i = preselect.as_ref().and_then(|p| list.iter().position(|n| n == p)).unwrap_or(0);
                cursor.select(i, list.len(), PICKER_ROWS);
                *names = Some(list);
                state.dirty = true;
            }
        }
        Query::JobDefaults(job) => {
            if let Some(Dialog::RunConfirm { job: j, defaults, levels, level }) = state.dialog.as_mut()
                && *j == job
            {
                let d = model::defaults_from_json(&v);
                let get = |k: &str| d.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
                *levels = levels_for(&get("type"));
                let want = get("level");
                *level = levels.iter().position(|l| l.eq_ignore_ascii_case(&want)).unwrap_or(0);
                *defaults = Some(d);
                state.dirty = true;
            }
        }
        Query::Run { job, .. } => {
            match model::queued_jobid(&v) {
                Some(id) => say(state, format!("{job} queued: JobId {id}"), false),
                None => say(state, format!("{job} queued"), false),
            }
            after_job_change(state, fx);
        }
        Query::Cancel(id) => {
            say(state, format!("JobId {id}: cancel requested"), false);
            after_job_change(state, fx);
        }
        Query::Rerun(id) => {
            match model::queued_jobid(&v) {
                Some(new) => say(state, format!("JobId {id} rerun as JobId {new}"), false),
                None => say(state, format!("JobId {id} rerun queued"), false),
            }
            after_job_change(state, fx);
        }
        Query::Clients | Query::Storages | Query::SetDebug { .. } => crate::update_trace::on_json(state, query, &v),
        Query::Restore(_) => {}
    }
}

/// After run / cancel / rerun: refresh what shows jobs.
fn after_job_change(state: &mut State, fx: &mut Vec<Effect>) {
    poll(state, Poll::Status, Query::StatusDirector, fx);
    poll(state, Poll::Jobs, Query::ListJobs, fx);
}

pub(crate) fn set_log_active(state: &mut State, id: u32, active: bool, fx: &mut Vec<Effect>) {
    if state.log.jobid != Some(id) {
        return;
    }
    let was = state.log.active;
    state.log.active = active;
    if was && !active && state.screen == Screen::JobLog {
        // The job just ended: fetch the final lines (the summary) once.
        poll(state, Poll::Log, Query::JobLog(id), fx);
    }
}

fn on_status(state: &mut State, v: &Value, fx: &mut Vec<Effect>) {
    let st = DirectorStatus::from_json(v);
    let now = state.now;
    // Transfer rates from consecutive samples.
    let mut samples = std::collections::HashMap::new();
    for j in &st.running {
        let sample = match state.dashboard.samples.get(&j.jobid).copied() {
            Some(p) if now > p.at && j.bytes >= p.bytes => {
                let dt = (now - p.at).num_milliseconds() as f64 / 1000.0;
                Sample { at: now, bytes: j.bytes, rate: Some((j.bytes - p.bytes) as f64 / dt) }
            }
            Some(p) if now <= p.at => p,
            _ => Sample { at: now, bytes: j.bytes, rate: None },
        };
        samples.insert(j.jobid, sample);
    }
    let keep = state.dashboard.selected_job().map(|(id, _, _)| id);
    let changed = state.dashboard.status.as_ref() != Some(&st) || state.dashboard.samples != samples;
    // A job started or ended: refresh the history too (exact start times,
    // final status).
    let ids = |s: &DirectorStatus| s.running.iter().map(|j| j.jobid).collect::<Vec<_>>();
    if state.dashboard.status.as_ref().map(ids) != Some(ids(&st)) {
        poll(state, Poll::Jobs, Query::ListJobs, fx);
    }
    state.dashboard.samples = samples;
    state.dashboard.status = Some(st);
    // Keep the selection on the same job when the lists shift.
    if let (Some(id), Some(st)) = (keep, state.dashboard.status.as_ref()) {
        if let Some(i) = st.running.iter().position(|j| j.jobid == id) {
            state.dashboard.pane = DashPane::Running;
            state.dashboard.running.selected = i;
        } else if let Some(i) = st.terminated.iter().rev().position(|j| j.jobid == id) {
            state.dashboard.pane = DashPane::Terminated;
            state.dashboard.terminated.selected = i;
        }
    }
    if let Some(id) = state.log.jobid {
        let running = state.dashboard.status.as_ref().is_some_and(|s| s.running.iter().any(|j| j.jobid == id));
        set_log_active(state, id, running, fx);
    }
    reclamp(state);
    if changed {
        state.dirty = true;
    }
}

/// The restore browser's part of the reducer.
#[path = "update_restore.rs"]
mod restore;

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
