//! The trace screen's reducer: choosing daemons (one pane each, up to
//! [`MAX_PANES`]), staging and sending their `setdebug` settings, each pane's
//! filter, pause and scroll; and where the stream's `trace` lines go.
//!
//! The open panes decide the event stream's `trace=` list
//! ([`TraceState::spec`]); [`crate::update_events::sync`] restarts the stream
//! when it changes.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Position, Rect};
use serde_json::Value;

use crate::action::{Effect, Query};
use crate::keymap::Cmd;
use crate::layout;
use crate::state::{InputOutcome, LineInput, Poll, State};
use crate::trace::{
    self, Daemon, DebugSettings, MAX_PANES, TraceFocus, TraceLevel, TraceLine, TracePane, TraceState,
};
use crate::update::{due, poll as poll_query, request, say};

/// On the trace screen: fetch the clients and storages to choose from
/// (again every minute, and on refresh).
pub(crate) fn poll(state: &mut State, fx: &mut Vec<Effect>) {
    if due(state, Poll::Daemons, 60) {
        poll_query(state, Poll::Daemons, Query::Clients, fx);
        request(state, Query::Storages, fx);
    }
}

/// `.clients` / `.storages` → names (`{"clients":[{"name":…}]}`, or plain strings).
fn names(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    other => other.get("name").and_then(Value::as_str).map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The replies to the trace screen's queries.
pub(crate) fn on_json(state: &mut State, query: Query, v: &Value) {
    match query {
        Query::Clients | Query::Storages => {
            let clients = query == Query::Clients;
            let list = names(v, if clients { "clients" } else { "storages" });
            // Keep the cursor on the same daemon when the list changes.
            let keep = state.trace.daemons().get(state.trace.cursor.selected).cloned();
            let slot = if clients { &mut state.trace.clients } else { &mut state.trace.storages };
            if slot.as_ref() == Some(&list) {
                return;
            }
            *slot = Some(list);
            let all = state.trace.daemons();
            let i = keep.and_then(|d| all.iter().position(|x| *x == d)).unwrap_or(0);
            let h = trace::list_height(state);
            state.trace.cursor.select(i, all.len(), h);
            state.dirty = true;
        }
        Query::SetDebug { daemon, settings } => on_setdebug(state, daemon, settings, v),
        _ => {}
    }
}

/// The daemon's own name from a trace file path (`…/work/bareos-fd.trace`).
fn name_from_trace_file(path: &str) -> Option<String> {
    let p = std::path::Path::new(path.trim());
    (p.extension().and_then(|e| e.to_str()) == Some("trace"))
        .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .flatten()
        .filter(|s| !s.is_empty())
}

/// `setdebug` answered: remember what the daemon runs with, learn its own
/// name (its trace file is `<name>.trace`), say what it said.
fn on_setdebug(state: &mut State, daemon: Daemon, settings: DebugSettings, v: &Value) {
    let rows = v.get("setdebug").and_then(Value::as_array).cloned().unwrap_or_default();
    let label = daemon.name(&state.director).to_string();
    let mut text = format!("{label}: setdebug sent");
    let mut learned = None;
    if let Some(r) = rows.first() {
        if let Some(reply) = r.get("reply").and_then(Value::as_str) {
            // A client or storage: its own answer, as the text console shows it.
            text = format!("{label}: {}", reply.trim());
            learned = reply
                .split_whitespace()
                .find_map(|w| w.strip_prefix("tracefile="))
                .and_then(name_from_trace_file);
        } else {
            let flag = |k: &str| u8::from(r.get(k).and_then(Value::as_bool).unwrap_or(false));
            let file = r.get("tracefile").and_then(Value::as_str).unwrap_or("");
            text = format!(
                "{label}: level={} trace={} timestamp={} tracefilename={file}",
                r.get("level").and_then(Value::as_u64).unwrap_or(u64::from(settings.level)),
                flag("trace"),
                flag("timestamp"),
            );
            learned = name_from_trace_file(file);
        }
    }
    if let Some(n) = learned {
        state.trace.names.insert(daemon.clone(), n);
    }
    state.trace.applied.insert(daemon.clone(), settings);
    state.trace.replies.insert(daemon, text.clone());
    say(state, text, false);
}

// ---------------------------------------------------------------- lines

/// Which panes a trace line goes to. The director's lines go to its pane.
/// A client's or storage's line carries the daemon's own name, not the
/// resource name: it goes to the pane bound to that name; else to the pane
/// whose resource has that name; else, when one pane of that kind is not
/// bound yet, to that one (which is then bound); else to every unbound pane
/// of the kind.
fn route(t: &mut TraceState, director: &str, line: &TraceLine) -> Vec<usize> {
    let of_kind: Vec<usize> = (0..t.panes.len()).filter(|i| t.panes[*i].daemon.kind() == line.kind).collect();
    if line.kind == "dir" || of_kind.is_empty() {
        return of_kind;
    }
    let bound: Vec<usize> =
        of_kind.iter().copied().filter(|i| t.names.get(&t.panes[*i].daemon) == Some(&line.daemon)).collect();
    if !bound.is_empty() {
        return bound;
    }
    if let Some(i) = of_kind.iter().copied().find(|i| t.panes[*i].daemon.name(director) == line.daemon) {
        t.names.insert(t.panes[i].daemon.clone(), line.daemon.clone());
        return vec![i];
    }
    let unbound: Vec<usize> = of_kind.iter().copied().filter(|i| !t.names.contains_key(&t.panes[*i].daemon)).collect();
    if unbound.len() == 1 {
        t.names.insert(t.panes[unbound[0]].daemon.clone(), line.daemon.clone());
    }
    unbound
}

pub(crate) fn on_trace_line(state: &mut State, line: TraceLine) {
    let director = state.director.clone();
    let targets = route(&mut state.trace, &director, &line);
    for i in &targets {
        if let Some(p) = state.trace.panes.get_mut(*i) {
            p.push(line.clone());
        }
    }
    if !targets.is_empty() && state.screen == crate::action::Screen::Trace {
        state.dirty = true;
    }
}

fn remote(kind: &str, name: &str) -> Daemon {
    if kind == "sd" { Daemon::Storage(name.to_string()) } else { Daemon::Client(name.to_string()) }
}

pub(crate) fn on_trace_error(state: &mut State, kind: &str, name: &str, error: &str) {
    let d = remote(kind, name);
    let now = state.now.format("%Y-%m-%d %H:%M:%S").to_string();
    match state.trace.pane_of(&d) {
        Some(i) => {
            let p = &mut state.trace.panes[i];
            p.error = Some(error.to_string());
            p.push(TraceLine::note(TraceLevel::Error, &now, format!("trace not followed: {error}")));
        }
        None => say(state, format!("Trace of {name}: {error}"), true),
    }
    state.dirty = true;
}

pub(crate) fn on_lagged(state: &mut State, dropped: u64, kind: Option<&str>, name: Option<&str>) {
    let d = match (kind, name) {
        (Some(k), Some(n)) => remote(k, n),
        _ => Daemon::Director,
    };
    let now = state.now.format("%Y-%m-%d %H:%M:%S").to_string();
    if let Some(i) = state.trace.pane_of(&d) {
        let p = &mut state.trace.panes[i];
        p.dropped += dropped;
        p.push(TraceLine::note(TraceLevel::Warn, &now, format!("… {dropped} lines dropped (read too slowly)")));
        state.dirty = true;
    }
}

// ---------------------------------------------------------------- commands

/// The trace screen's commands; `false` for those the generic handler does
/// (moving, paging, screens, help).
pub(crate) fn on_cmd(state: &mut State, cmd: Cmd, fx: &mut Vec<Effect>) -> bool {
    match cmd {
        Cmd::PaneToggle => toggle_pane(state),
        Cmd::PaneClose => {
            let d = match state.trace.focused_pane() {
                Some(p) => Some(p.daemon.clone()),
                None => state.trace.daemons().get(state.trace.cursor.selected).cloned(),
            };
            if let Some(i) = d.and_then(|d| state.trace.pane_of(&d)) {
                close_pane(state, i);
            }
        }
        Cmd::PaneNext => cycle_focus(&mut state.trace, 1),
        Cmd::PanePrev => cycle_focus(&mut state.trace, -1),
        Cmd::Pause => match state.trace.focused_pane_mut() {
            Some(p) => p.toggle_pause(),
            None => {
                // From the daemon list: all panes.
                let any_running = state.trace.panes.iter().any(|p| !p.paused);
                for p in &mut state.trace.panes {
                    if any_running { p.pause() } else { p.resume() }
                }
            }
        },
        Cmd::Clear => match state.trace.focused_pane_mut() {
            Some(p) => p.clear(),
            None => state.trace.panes.iter_mut().for_each(TracePane::clear),
        },
        Cmd::DebugLevel(n) => stage(state, |s| (0..n.unsigned_abs()).fold(s, |s, _| s.step(n.signum()))),
        Cmd::DebugTrace => stage(state, |s| DebugSettings { trace: !s.trace, ..s }),
        Cmd::DebugTimestamp => stage(state, |s| DebugSettings { timestamp: !s.timestamp, ..s }),
        Cmd::DebugApply => {
            let Some(d) = state.trace.target() else { return true };
            if !state.connected() {
                say(state, "Not connected to the director", true);
                return true;
            }
            let settings = state.trace.staged_of(&d);
            request(state, Query::SetDebug { daemon: d, settings }, fx);
        }
        Cmd::Filter => {
            if state.trace.focused_pane().is_none() {
                // From the list: the highlighted daemon's pane, else the first.
                let d = state.trace.daemons().get(state.trace.cursor.selected).cloned();
                match d.and_then(|d| state.trace.pane_of(&d)).or((!state.trace.panes.is_empty()).then_some(0)) {
                    Some(i) => state.trace.focus = TraceFocus::Pane(i),
                    None => {
                        say(state, "Open a pane first (Space on a daemon)", true);
                        return true;
                    }
                }
            }
            if let Some(p) = state.trace.focused_pane_mut() {
                p.editing = Some(LineInput::with_text(&p.filter));
            }
        }
        Cmd::ClearFilter => {
            if let Some(p) = state.trace.focused_pane_mut() {
                p.filter.clear();
                p.editing = None;
                p.scroll = 0;
            }
        }
        _ => return false,
    }
    state.dirty = true;
    true
}

/// Change the staged settings of the target daemon.
fn stage(state: &mut State, f: impl Fn(DebugSettings) -> DebugSettings) {
    if let Some(d) = state.trace.target() {
        let s = f(state.trace.staged_of(&d));
        state.trace.staged.insert(d, s);
    }
}

fn toggle_pane(state: &mut State) {
    let Some(d) = state.trace.daemons().get(state.trace.cursor.selected).cloned() else { return };
    match state.trace.pane_of(&d) {
        Some(i) => close_pane(state, i),
        None if state.trace.panes.len() >= MAX_PANES => {
            say(state, format!("At most {MAX_PANES} panes: close one first (x)"), true);
        }
        None => state.trace.panes.push(TracePane::new(d)),
    }
}

fn close_pane(state: &mut State, i: usize) {
    if i >= state.trace.panes.len() {
        return;
    }
    state.trace.panes.remove(i);
    let n = state.trace.panes.len();
    state.trace.focus = match state.trace.focus {
        TraceFocus::Pane(_) if n == 0 => TraceFocus::Daemons,
        TraceFocus::Pane(f) if f > i => TraceFocus::Pane(f - 1),
        TraceFocus::Pane(f) if f >= n => TraceFocus::Pane(n - 1),
        other => other,
    };
}

/// Daemons → pane 1 → … → pane n → daemons (or backwards).
fn cycle_focus(t: &mut TraceState, dir: isize) {
    let n = t.panes.len() as isize;
    let pos = match t.focus {
        TraceFocus::Daemons => 0,
        TraceFocus::Pane(i) => i as isize + 1,
    };
    let next = (pos + dir).rem_euclid(n + 1);
    t.focus = if next == 0 { TraceFocus::Daemons } else { TraceFocus::Pane(next as usize - 1) };
}

/// Up/down, pages, first/last: the daemon list's cursor, or the focused
/// pane's scroll (up = back in time; the end follows new lines again).
pub(crate) fn move_by(state: &mut State, delta: isize) {
    match state.trace.focus {
        TraceFocus::Daemons => {
            let n = state.trace.daemons().len();
            let h = trace::list_height(state);
            state.trace.cursor.move_by(delta, n, h);
        }
        TraceFocus::Pane(i) => {
            let h = trace::pane_height(state, i);
            if let Some(p) = state.trace.panes.get_mut(i) {
                p.scroll_by(delta, h);
            }
        }
    }
}

/// Keys while a pane's filter line is edited (it filters as you type).
pub(crate) fn on_typing_key(state: &mut State, k: KeyEvent, quit_key: bool) {
    let Some(p) = state.trace.focused_pane_mut() else { return };
    let Some(input) = p.editing.as_mut() else { return };
    match input.handle(&k) {
        InputOutcome::Edited => p.scroll = 0,
        InputOutcome::Submit => {
            p.filter = input.text.trim().to_string();
            p.editing = None;
            p.scroll = 0;
        }
        InputOutcome::Cancel => {
            p.editing = None;
            p.scroll = 0;
        }
        InputOutcome::Ignored if quit_key => state.quit = true,
        InputOutcome::Ignored => state.dirty = false,
    }
}

pub(crate) fn on_paste(state: &mut State, line: &str) {
    if let Some(input) = state.trace.focused_pane_mut().and_then(|p| p.editing.as_mut()) {
        input.insert_str(line);
    }
}

fn row_in(area: Rect, x: u16, y: u16) -> Option<usize> {
    area.contains(Position { x, y }).then(|| usize::from(y - area.y))
}

/// A click focuses the pane under it, or picks a daemon in the list.
pub(crate) fn click(state: &mut State, x: u16, y: u16) {
    let l = trace::layout_of(state);
    if let Some(row) = row_in(layout::inner(l.daemons), x, y) {
        let i = state.trace.cursor.offset + row;
        let n = state.trace.daemons().len();
        if i < n {
            let h = trace::list_height(state);
            state.trace.cursor.select(i, n, h);
        }
        state.trace.focus = TraceFocus::Daemons;
    } else if let Some(i) = l.panes.iter().position(|r| r.contains(Position { x, y })) {
        state.trace.focus = TraceFocus::Pane(i);
    }
}

#[cfg(test)]
#[path = "update_trace_tests.rs"]
mod tests;
