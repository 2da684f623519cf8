//! Trace panes (screen 7): which daemons are traced, their `setdebug`
//! settings, and one bounded, filterable, pausable pane of live trace lines per
//! traced daemon. Plain data and pure functions; the reducer is
//! [`crate::update_trace`], the view `view/trace.rs`.
//!
//! Lines come from the director's event stream (`trace` events, PROTOCOL.md
//! §4.8): the director's own, and those of each client and storage the stream
//! follows (`trace=dir,client:NAME,storage:NAME`, built from the open panes).

use std::collections::{BTreeMap, VecDeque};

use ratatui::layout::{Constraint, Layout, Rect};

use crate::state::{LineInput, ListCursor};

/// Lines kept per pane (older ones are dropped).
pub const PANE_MAX_LINES: usize = 10_000;
/// Panes open at once.
pub const MAX_PANES: usize = 4;
/// The debug levels `+`/`-` step through (Bareos `-d`: 0 warnings, 1–99 info,
/// 100–199 debug, ≥ 200 trace).
pub const LEVEL_STEPS: [u32; 7] = [0, 10, 50, 100, 150, 200, 500];

/// A daemon that can be traced: the director itself, or a Client / Storage
/// resource of its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Daemon {
    Director,
    Client(String),
    Storage(String),
}

impl Daemon {
    /// The kind the director reports on trace lines: `dir`, `fd` or `sd`.
    pub fn kind(&self) -> &'static str {
        match self {
            Daemon::Director => "dir",
            Daemon::Client(_) => "fd",
            Daemon::Storage(_) => "sd",
        }
    }

    /// The word shown next to the name.
    pub fn role(&self) -> &'static str {
        match self {
            Daemon::Director => "director",
            Daemon::Client(_) => "client",
            Daemon::Storage(_) => "storage",
        }
    }

    /// The resource name (the director's own name for [`Daemon::Director`]).
    pub fn name<'a>(&'a self, director: &'a str) -> &'a str {
        match self {
            Daemon::Director => director,
            Daemon::Client(n) | Daemon::Storage(n) => n,
        }
    }

    /// Its part of the `.events trace=` list: `dir`, `client:NAME`, `storage:NAME`.
    pub fn trace_arg(&self) -> String {
        match self {
            Daemon::Director => "dir".into(),
            Daemon::Client(n) => format!("client:{n}"),
            Daemon::Storage(n) => format!("storage:{n}"),
        }
    }

    /// The target of `setdebug`: `dir`, `client=NAME`, `storage=NAME`.
    pub fn setdebug_target(&self) -> String {
        match self {
            Daemon::Director => "dir".into(),
            Daemon::Client(n) => format!("client={}", quote(n)),
            Daemon::Storage(n) => format!("storage={}", quote(n)),
        }
    }
}

/// Quote a command-line value holding blanks (quotes inside are dropped).
pub fn quote(s: &str) -> String {
    if s.chars().any(|c| c.is_whitespace() || c == '"') { format!("\"{}\"", s.replace('"', "")) } else { s.to_string() }
}

/// The level of a trace line (tracing's levels, as the daemons send them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TraceLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl TraceLevel {
    /// `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE` (any case; unknown → info).
    pub fn parse(s: &str) -> TraceLevel {
        match s.trim().to_ascii_uppercase().as_str() {
            "ERROR" => TraceLevel::Error,
            "WARN" | "WARNING" => TraceLevel::Warn,
            "DEBUG" => TraceLevel::Debug,
            "TRACE" => TraceLevel::Trace,
            _ => TraceLevel::Info,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TraceLevel::Error => "ERROR",
            TraceLevel::Warn => "WARN",
            TraceLevel::Info => "INFO",
            TraceLevel::Debug => "DEBUG",
            TraceLevel::Trace => "TRACE",
        }
    }
}

/// One trace line (a `trace` event), or a note the TUI adds to a pane
/// (dropped lines, a follow error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLine {
    /// The daemon's own name (`bareos-fd`), which may differ from its resource name.
    pub daemon: String,
    /// `dir`, `fd` or `sd`.
    pub kind: String,
    pub level: TraceLevel,
    /// The tracing target (`cairn_dird::ua`).
    pub target: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    pub message: String,
    /// Added by the TUI, not sent by a daemon.
    pub note: bool,
}

impl TraceLine {
    /// A note line at `level` (shown dimmed, or as an error).
    pub fn note(level: TraceLevel, time: &str, message: impl Into<String>) -> TraceLine {
        TraceLine {
            daemon: String::new(),
            kind: String::new(),
            level,
            target: String::new(),
            time: time.to_string(),
            message: message.into(),
            note: true,
        }
    }

    /// `HH:MM:SS` of the time stamp.
    pub fn clock(&self) -> &str {
        self.time.rsplit_once(' ').map(|(_, t)| t).unwrap_or(&self.time)
    }

    /// Does the line contain `needle` (already lower-case) in its level,
    /// target or message?
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || self.message.to_lowercase().contains(needle)
            || self.target.to_lowercase().contains(needle)
            || self.level.label().to_lowercase().contains(needle)
    }
}

/// What `setdebug` sets on a daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DebugSettings {
    pub level: u32,
    /// Append trace lines to the daemon's `<name>.trace` file.
    pub trace: bool,
    /// Time stamps in the trace file.
    pub timestamp: bool,
}

impl Default for DebugSettings {
    fn default() -> Self {
        DebugSettings { level: 100, trace: false, timestamp: true }
    }
}

impl DebugSettings {
    /// The level one step up (`dir > 0`) or down the [`LEVEL_STEPS`].
    pub fn step(self, dir: i32) -> DebugSettings {
        let level = if dir > 0 {
            LEVEL_STEPS.iter().copied().find(|l| *l > self.level).unwrap_or(self.level)
        } else if dir < 0 {
            LEVEL_STEPS.iter().rev().copied().find(|l| *l < self.level).unwrap_or(self.level)
        } else {
            self.level
        };
        DebugSettings { level, ..self }
    }

    /// What the level lets through, as a word.
    pub fn verbosity(self) -> &'static str {
        match self.level {
            0 => "warnings",
            1..=99 => "info",
            100..=199 => "debug",
            _ => "trace",
        }
    }
}

/// One pane of live trace lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracePane {
    pub daemon: Daemon,
    /// The ring buffer: at most [`PANE_MAX_LINES`], oldest first.
    pub lines: VecDeque<TraceLine>,
    /// Lines that arrived while paused (bounded like `lines`).
    pub held: VecDeque<TraceLine>,
    /// How many lines arrived while paused (the counter shown; counts held
    /// lines that were dropped too).
    pub held_count: usize,
    pub paused: bool,
    /// Visible rows scrolled back from the end (0 = following the end).
    pub scroll: usize,
    /// The substring filter (case-insensitive).
    pub filter: String,
    /// The filter line while it is being edited.
    pub editing: Option<LineInput>,
    /// The last follow error (`trace_error`).
    pub error: Option<String>,
    /// Lines the director dropped because we read too slowly.
    pub dropped: u64,
    /// Lines received since the pane opened.
    pub received: u64,
}

impl TracePane {
    pub fn new(daemon: Daemon) -> TracePane {
        TracePane {
            daemon,
            lines: VecDeque::new(),
            held: VecDeque::new(),
            held_count: 0,
            paused: false,
            scroll: 0,
            filter: String::new(),
            editing: None,
            error: None,
            dropped: 0,
            received: 0,
        }
    }

    /// The filter in force (the line being edited filters as you type).
    pub fn needle(&self) -> String {
        match &self.editing {
            Some(i) => i.text.to_lowercase(),
            None => self.filter.to_lowercase(),
        }
    }

    /// Add a line: shown (or held while paused).
    pub fn push(&mut self, line: TraceLine) {
        self.received += 1;
        if self.paused {
            self.held.push_back(line);
            if self.held.len() > PANE_MAX_LINES {
                self.held.pop_front();
            }
            self.held_count += 1;
            return;
        }
        self.append(line);
    }

    fn append(&mut self, line: TraceLine) {
        // Scrolled back: stay on the same lines while new ones arrive below.
        if self.scroll > 0 && line.matches(&self.needle()) {
            self.scroll += 1;
        }
        self.lines.push_back(line);
        if self.lines.len() > PANE_MAX_LINES {
            self.lines.pop_front();
        }
    }

    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Resume: the held lines join the pane (the ring bound still applies).
    pub fn resume(&mut self) {
        self.paused = false;
        let held = std::mem::take(&mut self.held);
        for l in held {
            self.append(l);
        }
        self.held_count = 0;
    }

    pub fn toggle_pause(&mut self) {
        if self.paused { self.resume() } else { self.pause() }
    }

    pub fn clear(&mut self) {
        self.lines.clear();
        self.held.clear();
        self.held_count = 0;
        self.scroll = 0;
        self.dropped = 0;
        self.error = None;
    }

    /// Lines passing the filter.
    pub fn visible_count(&self) -> usize {
        let n = self.needle();
        if n.is_empty() { self.lines.len() } else { self.lines.iter().filter(|l| l.matches(&n)).count() }
    }

    /// The `height` lines to show (passing the filter, `scroll` rows back
    /// from the end), oldest first. Looks only at as many lines as it needs.
    pub fn window(&self, height: usize) -> Vec<&TraceLine> {
        let n = self.needle();
        let want = height + self.scroll;
        let mut tail: Vec<&TraceLine> = self.lines.iter().rev().filter(|l| l.matches(&n)).take(want).collect();
        tail.reverse();
        // Fewer lines than scrolled back: show the oldest screenful.
        let end = tail.len().saturating_sub(self.scroll).max(tail.len().min(height));
        let start = end.saturating_sub(height);
        tail[start..end].to_vec()
    }

    /// Scroll by `delta` rows (negative: back, towards older lines).
    pub fn scroll_by(&mut self, delta: isize, height: usize) {
        let max = self.visible_count().saturating_sub(height.max(1));
        self.scroll = self.scroll.saturating_add_signed(-delta).min(max);
    }
}

/// Which part of the trace screen has the keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TraceFocus {
    /// The daemon list.
    #[default]
    Daemons,
    Pane(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceState {
    /// `.clients` / `.storages`, once answered.
    pub clients: Option<Vec<String>>,
    pub storages: Option<Vec<String>>,
    /// The daemon list's cursor.
    pub cursor: ListCursor,
    pub focus: TraceFocus,
    pub panes: Vec<TracePane>,
    /// The settings `s` sends, per daemon (default: [`DebugSettings::default`]).
    pub staged: BTreeMap<Daemon, DebugSettings>,
    /// The settings a daemon confirmed.
    pub applied: BTreeMap<Daemon, DebugSettings>,
    /// The last `setdebug` reply per daemon.
    pub replies: BTreeMap<Daemon, String>,
    /// Each daemon's own name as it appears on its trace lines (it may differ
    /// from the resource name), once known: from a `setdebug` reply's trace
    /// file name, or from the lines themselves.
    pub names: BTreeMap<Daemon, String>,
}

impl TraceState {
    /// The director, then each client, then each storage.
    pub fn daemons(&self) -> Vec<Daemon> {
        let mut v = vec![Daemon::Director];
        v.extend(self.clients.iter().flatten().map(|c| Daemon::Client(c.clone())));
        v.extend(self.storages.iter().flatten().map(|s| Daemon::Storage(s.clone())));
        v
    }

    pub fn pane_of(&self, d: &Daemon) -> Option<usize> {
        self.panes.iter().position(|p| p.daemon == *d)
    }

    pub fn focused_pane(&self) -> Option<&TracePane> {
        match self.focus {
            TraceFocus::Pane(i) => self.panes.get(i),
            TraceFocus::Daemons => None,
        }
    }

    pub fn focused_pane_mut(&mut self) -> Option<&mut TracePane> {
        match self.focus {
            TraceFocus::Pane(i) => self.panes.get_mut(i),
            TraceFocus::Daemons => None,
        }
    }

    /// The daemon the debug keys act on: the focused pane's, else the one
    /// under the list cursor.
    pub fn target(&self) -> Option<Daemon> {
        match self.focused_pane() {
            Some(p) => Some(p.daemon.clone()),
            None => self.daemons().get(self.cursor.selected).cloned(),
        }
    }

    pub fn staged_of(&self, d: &Daemon) -> DebugSettings {
        self.staged.get(d).copied().unwrap_or_default()
    }

    /// The `.events trace=` value for the open panes: `no`, or `dir,client:NAME,…`.
    pub fn spec(&self) -> String {
        if self.panes.is_empty() {
            return "no".into();
        }
        let mut parts: Vec<String> = self.panes.iter().map(|p| p.daemon.trace_arg()).collect();
        parts.sort();
        parts.dedup();
        parts.join(",")
    }

    /// Is a pane's filter line being edited?
    pub fn typing(&self) -> bool {
        self.focused_pane().is_some_and(|p| p.editing.is_some())
    }
}

/// Where the trace screen's parts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLayout {
    /// The daemon list (a sidebar on wide terminals, a strip on top otherwise).
    pub daemons: Rect,
    /// Debug settings of the target daemon, under the sidebar (wide terminals).
    pub detail: Option<Rect>,
    /// All of the panes' room.
    pub area: Rect,
    /// One rectangle per open pane.
    pub panes: Vec<Rect>,
}

/// Width from which the daemon list is a sidebar.
pub const SIDEBAR_FROM: u16 = 100;
const SIDEBAR_WIDTH: u16 = 30;
/// Pane area width from which panes go side by side.
const GRID_FROM: u16 = 160;
/// Rows under which stacked panes are too short (they go in a grid when wide enough).
const MIN_STACKED: u16 = 6;

pub fn layout(body: Rect, daemons: usize, panes: usize) -> TraceLayout {
    let (daemons_r, detail, area) = if body.width >= SIDEBAR_FROM {
        let [side, area] = Layout::horizontal([Constraint::Length(SIDEBAR_WIDTH), Constraint::Fill(1)]).areas(body);
        let list_h = (daemons.max(1) as u16 + 2).min(side.height.saturating_sub(9).max(3));
        let [list, detail] = Layout::vertical([Constraint::Length(list_h), Constraint::Fill(1)]).areas(side);
        (list, Some(detail), area)
    } else {
        let h = (daemons.clamp(1, 3) as u16) + 2;
        let [list, area] = Layout::vertical([Constraint::Length(h), Constraint::Fill(1)]).areas(body);
        (list, None, area)
    };
    TraceLayout { daemons: daemons_r, detail, area, panes: grid(area, panes) }
}

/// `n` panes in `area`: stacked, or two columns when the area is very wide
/// or too short to stack them (an odd last pane spans both columns).
pub fn grid(area: Rect, n: usize) -> Vec<Rect> {
    if n == 0 {
        return Vec::new();
    }
    let stacked_h = area.height / n as u16;
    let two_columns = n >= 2 && (area.width >= GRID_FROM || (stacked_h < MIN_STACKED && area.width >= 80));
    if !two_columns {
        return Layout::vertical(vec![Constraint::Fill(1); n]).split(area).to_vec();
    }
    let rows = n.div_ceil(2);
    let bands = Layout::vertical(vec![Constraint::Fill(1); rows]).split(area);
    let mut out = Vec::with_capacity(n);
    for (r, band) in bands.iter().enumerate() {
        if r * 2 + 1 < n {
            let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(*band);
            out.push(a);
            out.push(b);
        } else {
            out.push(*band);
        }
    }
    out
}

/// The trace screen's layout for `state`.
pub fn layout_of(state: &crate::state::State) -> TraceLayout {
    let body = crate::layout::chrome(crate::layout::screen_area(state)).body;
    layout(body, state.trace.daemons().len(), state.trace.panes.len())
}

/// Text rows of pane `i` (inside its border, without the filter line).
pub fn pane_height(state: &crate::state::State, i: usize) -> usize {
    let l = layout_of(state);
    let Some(r) = l.panes.get(i) else { return 1 };
    let mut h = crate::layout::inner(*r).height;
    if state.trace.panes.get(i).is_some_and(|p| p.editing.is_some() || !p.filter.is_empty()) {
        h = h.saturating_sub(1);
    }
    usize::from(h.max(1))
}

/// Rows of the daemon list.
pub fn list_height(state: &crate::state::State) -> usize {
    usize::from(crate::layout::inner(layout_of(state).daemons).height.max(1))
}

/// Rows a page moves on the trace screen: the focused pane's, else the list's.
pub fn page_height(state: &crate::state::State) -> usize {
    match state.trace.focus {
        TraceFocus::Pane(i) => pane_height(state, i),
        TraceFocus::Daemons => list_height(state),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: usize, level: TraceLevel) -> TraceLine {
        TraceLine {
            daemon: "bareos-dir".into(),
            kind: "dir".into(),
            level,
            target: "cairn_dird::ua".into(),
            time: "2026-11-28 05:25:21".into(),
            message: format!("line {i}"),
            note: false,
        }
    }

    #[test]
    fn the_ring_buffer_keeps_the_newest_lines() {
        let mut p = TracePane::new(Daemon::Director);
        for i in 0..PANE_MAX_LINES + 25 {
            p.push(line(i, TraceLevel::Debug));
        }
        assert_eq!(p.lines.len(), PANE_MAX_LINES);
        assert_eq!(p.lines.front().map(|l| l.message.as_str()), Some("line 25"));
        assert_eq!(p.received, (PANE_MAX_LINES + 25) as u64);
        let w = p.window(3);
        assert_eq!(w.iter().map(|l| l.message.as_str()).collect::<Vec<_>>(), ["line 10022", "line 10023", "line 10024"]);
    }

    #[test]
    fn pausing_holds_lines_and_counts_them_within_the_bound() {
        let mut p = TracePane::new(Daemon::Director);
        p.push(line(0, TraceLevel::Info));
        p.pause();
        for i in 1..=PANE_MAX_LINES + 5 {
            p.push(line(i, TraceLevel::Info));
        }
        assert_eq!(p.lines.len(), 1, "nothing new is shown while paused");
        assert_eq!(p.held_count, PANE_MAX_LINES + 5);
        assert_eq!(p.held.len(), PANE_MAX_LINES);
        p.resume();
        assert_eq!((p.held_count, p.held.len(), p.paused), (0, 0, false));
        assert_eq!(p.lines.len(), PANE_MAX_LINES);
        assert_eq!(p.lines.back().map(|l| l.message.as_str()), Some("line 10005"));
    }

    #[test]
    fn filter_and_scroll_windows() {
        let mut p = TracePane::new(Daemon::Director);
        for i in 0..20 {
            p.push(line(i, if i % 2 == 0 { TraceLevel::Debug } else { TraceLevel::Error }));
        }
        p.filter = "error".into();
        assert_eq!(p.visible_count(), 10);
        let msgs = |p: &TracePane, h| p.window(h).iter().map(|l| l.message.clone()).collect::<Vec<_>>();
        assert_eq!(msgs(&p, 2), ["line 17", "line 19"]);
        p.scroll_by(-3, 2);
        assert_eq!(msgs(&p, 2), ["line 11", "line 13"]);
        // A new matching line keeps the view in place.
        p.push(line(21, TraceLevel::Error));
        assert_eq!(msgs(&p, 2), ["line 11", "line 13"]);
        p.scroll_by(-100, 2);
        assert_eq!(msgs(&p, 2), ["line 1", "line 3"]);
        p.scroll_by(100, 2);
        assert_eq!((p.scroll, msgs(&p, 2)), (0, vec!["line 19".to_string(), "line 21".to_string()]));
        // Short panes show from the top.
        assert_eq!(msgs(&p, 50).len(), 11);
    }

    #[test]
    fn levels_and_args() {
        assert_eq!(TraceLevel::parse("WARN"), TraceLevel::Warn);
        assert_eq!(TraceLevel::parse("trace"), TraceLevel::Trace);
        let s = DebugSettings::default();
        assert_eq!((s.step(1).level, s.step(-1).level, s.step(-1).step(-1).step(-1).step(-1).level), (150, 50, 0));
        assert_eq!(DebugSettings { level: 500, ..s }.step(1).level, 500);
        assert_eq!(Daemon::Client("my fd".into()).setdebug_target(), "client=\"my fd\"");
        let mut t = TraceState::default();
        assert_eq!(t.spec(), "no");
        t.panes.push(TracePane::new(Daemon::Storage("File".into())));
        t.panes.push(TracePane::new(Daemon::Director));
        assert_eq!(t.spec(), "dir,storage:File");
    }

    #[test]
    fn panes_stack_or_form_a_grid() {
        let tall = Rect::new(0, 0, 90, 36);
        assert!(grid(tall, 3).iter().all(|r| r.width == 90), "stacked");
        let short = Rect::new(0, 0, 80, 17);
        let g = grid(short, 3);
        assert_eq!((g[0].width, g[1].width, g[2].width), (40, 40, 80));
        let wide = Rect::new(0, 0, 170, 40);
        let g = grid(wide, 4);
        assert_eq!(g.len(), 4);
        assert!(g.iter().all(|r| r.width == 85 && r.height == 20));
        assert!(grid(Rect::ZERO, 2).iter().all(|r| r.area() == 0));
    }
}
