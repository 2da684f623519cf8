//! Everything the TUI knows, as plain data. Only [`crate::update`] changes it;
//! [`crate::view`] renders it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{LinkState, Query, Screen};
use crate::keymap::Keymap;
use crate::model::{DirectorStatus, JobRow, JobState, LogEntry, SchedulerStatus};

/// A selection in a list plus the first visible row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub selected: usize,
    pub offset: usize,
}

impl ListCursor {
    /// Keep `selected` inside `len` and visible in `height` rows.
    pub fn clamp(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        if len == 0 {
            *self = ListCursor::default();
            return;
        }
        self.selected = self.selected.min(len - 1);
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        self.selected = self.selected.saturating_add_signed(delta);
        self.clamp(len, height);
    }

    pub fn select(&mut self, i: usize, len: usize, height: usize) {
        self.selected = i;
        self.clamp(len, height);
    }
}

/// What a line editor did with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOutcome {
    Edited,
    Submit,
    Cancel,
    /// Not an editing key (the caller may handle it).
    Ignored,
}

/// A one-line text editor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
}

impl LineInput {
    pub fn with_text(s: &str) -> LineInput {
        LineInput { text: s.to_string(), cursor: s.chars().count() }
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text.char_indices().nth(char_idx).map(|(b, _)| b).unwrap_or(self.text.len())
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars().filter(|c| !c.is_control()) {
            let b = self.byte_at(self.cursor);
            self.text.insert(b, c);
            self.cursor += 1;
        }
    }

    pub fn handle(&mut self, key: &KeyEvent) -> InputOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Enter => return InputOutcome::Submit,
            KeyCode::Esc => return InputOutcome::Cancel,
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char('u') if ctrl => {
                let b = self.byte_at(self.cursor);
                self.text.replace_range(..b, "");
                self.cursor = 0;
            }
            KeyCode::Char('k') if ctrl => {
                let b = self.byte_at(self.cursor);
                self.text.truncate(b);
            }
            KeyCode::Char('w') if ctrl => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut i = self.cursor;
                while i > 0 && chars[i - 1] == ' ' {
                    i -= 1;
                }
                while i > 0 && chars[i - 1] != ' ' {
                    i -= 1;
                }
                let (a, b) = (self.byte_at(i), self.byte_at(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor = i;
            }
            KeyCode::Char(_) if ctrl || key.modifiers.contains(KeyModifiers::ALT) => return InputOutcome::Ignored,
            KeyCode::Char(c) => {
                let b = self.byte_at(self.cursor);
                self.text.insert(b, c);
                self.cursor += 1;
            }
            KeyCode::Backspace => {
                if self.cursor > 0 {
                    let b = self.byte_at(self.cursor - 1);
                    self.text.remove(b);
                    self.cursor -= 1;
                }
            }
            KeyCode::Delete => {
                if self.cursor < len {
                    let b = self.byte_at(self.cursor);
                    self.text.remove(b);
                }
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            _ => return InputOutcome::Ignored,
        }
        InputOutcome::Edited
    }
}

/// Dashboard: which table has the selection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DashPane {
    #[default]
    Running,
    Terminated,
}

/// A transfer-rate sample of a running job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at: NaiveDateTime,
    pub bytes: u64,
    /// Bytes per second between the last two samples, once known.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardState {
    pub status: Option<DirectorStatus>,
    pub pane: DashPane,
    pub running: ListCursor,
    pub terminated: ListCursor,
    pub samples: HashMap<u32, Sample>,
    /// Per-pool volume usage, once `llist volumes all` answered.
    pub pools: Option<Vec<crate::model::PoolUsage>>,
}

impl DashboardState {
    /// The selected job id, if any.
    pub fn selected_job(&self) -> Option<(u32, String, bool)> {
        let st = self.status.as_ref()?;
        match self.pane {
            DashPane::Running => {
                st.running.get(self.running.selected).map(|j| (j.jobid, j.job_name().to_string(), true))
            }
            DashPane::Terminated => {
                st.terminated.iter().rev().nth(self.terminated.selected).map(|j| (j.jobid, j.name.clone(), false))
            }
        }
    }
}

/// A running job measured against the same job's last good run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimate {
    /// Bytes so far / the last run's bytes, capped at 0.99 while running.
    pub ratio: Option<f64>,
    /// Seconds left at the current rate.
    pub eta_secs: Option<u64>,
}

/// The latest terminated-OK (`T`) run of `name` at `level` other than
/// `jobid` that moved data, from the `list jobs` rows. `level` may be the
/// word (`Full`, `Incr`, `Differential`) or the code (`F`).
pub fn last_good_run<'a>(all: &'a [JobRow], name: &str, level: &str, jobid: u32) -> Option<&'a JobRow> {
    let want = level_code(level)?;
    all.iter()
        .filter(|r| r.jobid != jobid && r.status == "T" && r.bytes > 0 && r.name == name)
        .filter(|r| level_code(&r.level) == Some(want))
        .max_by_key(|r| r.jobid)
}

/// `Full`/`F` → `F`, `Incr`/`Incremental`/`I` → `I`, `Diff…`/`D` → `D`.
fn level_code(level: &str) -> Option<char> {
    let l = level.trim();
    match l.to_ascii_lowercase().as_str() {
        "f" | "full" => Some('F'),
        "i" | "incr" | "incremental" => Some('I'),
        "d" | "diff" | "differential" => Some('D'),
        "" => None,
        _ => l.chars().next(),
    }
}

/// Progress and time left of a job that has moved `bytes` at `rate` bytes/s
/// when its last good run moved `last_bytes`.
pub fn estimate(bytes: u64, last_bytes: Option<u64>, rate: Option<f64>) -> Estimate {
    let Some(total) = last_bytes.filter(|&t| t > 0) else {
        return Estimate::default();
    };
    let ratio = (bytes as f64 / total as f64).min(0.99);
    let eta_secs = match rate {
        Some(r) if r.is_finite() && r > 0.0 && bytes < total => Some(((total - bytes) as f64 / r).ceil() as u64),
        _ => None,
    };
    Estimate { ratio: Some(ratio), eta_secs }
}

/// The parsed job filter: `client=… job=… status=… level=… words`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub client: Option<String>,
    pub job: Option<String>,
    pub status: Option<String>,
    pub level: Option<String>,
    pub words: Vec<String>,
}

impl JobFilter {
    pub fn parse(s: &str) -> JobFilter {
        let mut f = JobFilter::default();
        for tok in s.split_whitespace() {
            match tok.split_once('=') {
                Some((k, v)) if !v.is_empty() => match k.to_ascii_lowercase().as_str() {
                    "client" => f.client = Some(v.to_lowercase()),
                    "job" | "name" => f.job = Some(v.to_lowercase()),
                    "status" | "jobstatus" => f.status = Some(v.to_string()),
                    "level" => f.level = Some(v.to_lowercase()),
                    _ => f.words.push(tok.to_lowercase()),
                },
                _ => f.words.push(tok.to_lowercase()),
            }
        }
        f
    }

    pub fn is_empty(&self) -> bool {
        *self == JobFilter::default()
    }

    pub fn matches(&self, j: &JobRow) -> bool {
        let name = j.name.to_lowercase();
        let client = j.client.to_lowercase();
        if self.client.as_ref().is_some_and(|c| !client.contains(c.as_str())) {
            return false;
        }
        if self.job.as_ref().is_some_and(|n| !name.contains(n.as_str())) {
            return false;
        }
        if let Some(s) = &self.status {
            let ok = if s.chars().count() == 1 {
                // A one-letter code is matched exactly (case matters: `E` ≠ `e`).
                j.status == *s
            } else {
                let want = s.to_ascii_lowercase();
                let state = JobState::from_code(&j.status);
                let word = crate::model::status_word(&j.status).to_ascii_lowercase();
                word.contains(&want)
                    || match want.as_str() {
                        "ok" | "good" => state == JobState::Ok,
                        "warning" | "warnings" | "warn" => state == JobState::Warning,
                        "error" | "failed" | "fail" | "bad" => state == JobState::Error,
                        "cancel" | "canceled" | "cancelled" => state == JobState::Canceled,
                        "running" | "active" => state.is_active(),
                        "waiting" => state == JobState::Waiting,
                        _ => false,
                    }
            };
            if !ok {
                return false;
            }
        }
        if let Some(l) = &self.level {
            let word = crate::model::level_word(&j.level).to_lowercase();
            let code = j.level.to_lowercase();
            if !(code == *l || word.starts_with(l.as_str()) || l.starts_with(word.as_str()) && !word.is_empty()) {
                return false;
            }
        }
        self.words.iter().all(|w| name.contains(w.as_str()) || client.contains(w.as_str()) || j.jobid.to_string() == *w)
    }
}

/// `llist jobid=N` of the selected job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobDetail {
    pub jobid: u32,
    pub fields: Vec<(String, String)>,
}

impl JobDetail {
    pub fn get(&self, key: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobsState {
    /// `list jobs`, newest first; `None` until the first answer.
    pub all: Option<Vec<JobRow>>,
    pub filter_text: String,
    pub filter: JobFilter,
    /// The filter line while it is being edited.
    pub editing: Option<LineInput>,
    pub cursor: ListCursor,
    pub detail: Option<JobDetail>,
}

impl JobsState {
    /// The rows passing the filter.
    pub fn visible(&self) -> Vec<&JobRow> {
        self.all.as_deref().unwrap_or(&[]).iter().filter(|j| self.filter.matches(j)).collect()
    }

    pub fn selected(&self) -> Option<&JobRow> {
        self.visible().get(self.cursor.selected).copied()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerState {
    pub days: i32,
    pub data: Option<SchedulerStatus>,
    /// First visible timeline row.
    pub offset: usize,
}

impl Default for SchedulerState {
    fn default() -> Self {
        SchedulerState { days: 7, data: None, offset: 0 }
    }
}

/// A job-log search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    /// The search line while it is being edited.
    pub editing: Option<LineInput>,
    /// Display rows holding a match (recomputed on each move).
    pub current: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogState {
    pub jobid: Option<u32>,
    pub job_name: String,
    pub entries: Vec<LogEntry>,
    pub loaded: bool,
    /// Stick to the end of the log (new lines scroll in).
    pub follow: bool,
    /// First visible display row when not following.
    pub offset: usize,
    /// The job has not ended yet (so the log is polled).
    pub active: bool,
    pub search: Search,
}

/// The console pane's prompt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Prompt {
    #[default]
    Main,
    /// The director asked a question.
    Sub,
    /// In the restore tree.
    Tree,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleState {
    pub lines: Vec<String>,
    pub input: LineInput,
    pub focused: bool,
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    pub busy: bool,
    pub prompt: Prompt,
    /// Rows scrolled back from the end.
    pub scroll: usize,
    /// Tab completion data (fetched on the first Tab).
    pub completion: crate::complete::CompletionData,
    /// The candidates repeated Tab cycles through.
    pub tab: Option<crate::complete::TabCycle>,
}

/// The most lines the console pane keeps.
pub const CONSOLE_MAX_LINES: usize = 5000;

/// A modal dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Pick the job to run (from `.jobs`).
    RunPicker { names: Option<Vec<String>>, cursor: ListCursor, preselect: Option<String> },
    /// Confirm a run, choosing the level (from `.defaults`).
    RunConfirm { job: String, defaults: Option<Vec<(String, String)>>, levels: Vec<String>, level: usize },
    /// Yes / no before a command.
    Confirm { title: String, text: String, query: Query },
}

/// A transient message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub until: NaiveDateTime,
}

/// What is polled, for the poll timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Poll {
    Status,
    Jobs,
    Log,
    Scheduler,
    /// `.clients` and `.storages` for the trace screen.
    Daemons,
    /// `llist volumes all` for the dashboard's pool gauges.
    Volumes,
}

/// The whole TUI state.
#[derive(Debug, Clone)]
pub struct State {
    pub screen: Screen,
    pub now: NaiveDateTime,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The director as configured (name, `address:port`).
    pub director: String,
    pub address: String,
    pub link: LinkState,
    pub console_link: LinkState,
    pub dashboard: DashboardState,
    pub jobs: JobsState,
    pub scheduler: SchedulerState,
    pub log: LogState,
    pub console: ConsoleState,
    /// The event stream (`.events`) and what it feeds.
    pub events: crate::events::EventsState,
    pub trace: crate::trace::TraceState,
    /// The restore browser (screen 6).
    pub restore: crate::browser::RestoreState,
    pub dialog: Option<Dialog>,
    pub help: bool,
    pub message: Option<Message>,
    /// Bumped by the next-theme key; the app switches styles when it changes.
    pub theme_cycle: u32,
    /// Queries sent and not answered yet.
    pub pending: HashSet<Query>,
    pub last_poll: HashMap<Poll, NaiveDateTime>,
    pub keymap: Keymap,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    pub quit: bool,
}

impl State {
    pub fn new(director: &str, address: &str, keymap: Keymap, now: NaiveDateTime) -> State {
        State {
            screen: Screen::Dashboard,
            now,
            size: (80, 24),
            director: director.to_string(),
            address: address.to_string(),
            link: LinkState::Connecting,
            console_link: LinkState::Connecting,
            dashboard: DashboardState::default(),
            jobs: JobsState::default(),
            scheduler: SchedulerState::default(),
            log: LogState::default(),
            console: ConsoleState::default(),
            events: Default::default(),
            trace: Default::default(),
            restore: Default::default(),
            dialog: None,
            help: false,
            message: None,
            theme_cycle: 0,
            pending: HashSet::new(),
            last_poll: HashMap::new(),
            keymap,
            dirty: true,
            quit: false,
        }
    }

    pub fn connected(&self) -> bool {
        matches!(self.link, LinkState::Connected { .. })
    }

    /// Is a text line being edited (so printable keys are text, not commands)?
    pub fn typing(&self) -> bool {
        self.dialog.is_none()
            && !self.help
            && match self.screen {
                Screen::Jobs => self.jobs.editing.is_some(),
                Screen::JobLog => self.log.search.editing.is_some(),
                Screen::Console => self.console.focused,
                Screen::Trace => self.trace.typing(),
                Screen::Restore => self.restore.typing(),
                _ => false,
            }
    }
}

/// How a log line is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// Lines containing `Error` or `Fatal error` are errors, `Warning` warnings.
    pub fn of(line: &str) -> Severity {
        if line.contains("Fatal error") || line.contains("Error") {
            Severity::Error
        } else if line.contains("Warning") {
            Severity::Warning
        } else {
            Severity::Info
        }
    }
}

/// One display row of the job log (entries are split at newlines and wrapped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    pub entry: usize,
    /// The first row of its entry (shows the time).
    pub first: bool,
    pub time: String,
    pub text: String,
    pub severity: Severity,
}

/// The job log as display rows `width` characters wide (after the time column).
/// The display rows of a log at a width. Wrapping is the costly part of a
/// frame with a long log, so the rows are kept between calls: when the log only
/// grew (same width, same earlier entries) just the new entries are wrapped.
pub fn log_rows(entries: &[LogEntry], width: usize) -> std::sync::Arc<Vec<LogRow>> {
    use std::hash::{Hash, Hasher};
    use std::sync::{Arc, Mutex};
    #[derive(Default)]
    struct Cache {
        width: usize,
        len: usize,
        fingerprint: u64,
        rows: Arc<Vec<LogRow>>,
    }
    static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
    let fingerprint = |es: &[LogEntry]| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for e in es {
            e.time.hash(&mut h);
            e.text.hash(&mut h);
        }
        h.finish()
    };
    let Ok(mut guard) = CACHE.lock() else { return Arc::new(wrap_entries(entries, 0, width)) };
    if let Some(c) = guard.as_mut() {
        if c.width == width && c.len <= entries.len() && c.fingerprint == fingerprint(&entries[..c.len]) {
            if c.len < entries.len() {
                let more = wrap_entries(&entries[c.len..], c.len, width);
                Arc::make_mut(&mut c.rows).extend(more);
                c.len = entries.len();
                c.fingerprint = fingerprint(entries);
            }
            return c.rows.clone();
        }
    }
    let rows = Arc::new(wrap_entries(entries, 0, width));
    *guard = Some(Cache { width, len: entries.len(), fingerprint: fingerprint(entries), rows: rows.clone() });
    rows
}

/// Wrap `entries` (numbered from `first_index`) into display rows.
fn wrap_entries(entries: &[LogEntry], first_index: usize, width: usize) -> Vec<LogRow> {
    let mut rows = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let i = i + first_index;
        let time = e.time.rsplit_once(' ').map(|(_, t)| t).unwrap_or(&e.time).to_string();
        let mut first = true;
        let body = e.text.trim_end_matches(['\n', '\r']);
        for line in body.split('\n') {
            let severity = Severity::of(line);
            for piece in crate::format::wrap(line, width) {
                rows.push(LogRow {
                    entry: i,
                    first,
                    time: if first { time.clone() } else { String::new() },
                    text: piece,
                    severity,
                });
                first = false;
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn cursor_stays_visible() {
        let mut c = ListCursor::default();
        c.move_by(12, 20, 5);
        assert_eq!((c.selected, c.offset), (12, 8));
        c.move_by(-10, 20, 5);
        assert_eq!((c.selected, c.offset), (2, 2));
        c.move_by(100, 20, 5);
        assert_eq!((c.selected, c.offset), (19, 15));
        c.clamp(3, 5);
        assert_eq!((c.selected, c.offset), (2, 0));
        c.clamp(0, 5);
        assert_eq!(c, ListCursor::default());
    }

    #[test]
    fn line_editing() {
        let mut l = LineInput::default();
        for c in "status dir".chars() {
            l.handle(&key(KeyCode::Char(c)));
        }
        l.handle(&key(KeyCode::Left));
        l.handle(&key(KeyCode::Left));
        l.handle(&key(KeyCode::Backspace));
        assert_eq!((l.text.as_str(), l.cursor), ("status ir", 7));
        l.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!((l.text.as_str(), l.cursor), ("ir", 0));
        l.insert_str("é\tx");
        assert_eq!((l.text.as_str(), l.cursor), ("éxir", 2));
        assert_eq!(l.handle(&key(KeyCode::Enter)), InputOutcome::Submit);
        assert_eq!(l.handle(&key(KeyCode::Esc)), InputOutcome::Cancel);
        assert_eq!(l.handle(&key(KeyCode::F(3))), InputOutcome::Ignored);
    }

    fn row(id: u32, name: &str, client: &str, level: &str, status: &str) -> JobRow {
        JobRow {
            jobid: id,
            name: name.into(),
            client: client.into(),
            level: level.into(),
            status: status.into(),
            ..Default::default()
        }
    }

    #[test]
    fn filters() {
        let a = row(1, "backup-web", "web-fd", "F", "T");
        let b = row(2, "backup-db", "db-fd", "I", "E");
        let c = row(3, "backup-db", "db-fd", "D", "W");
        let m = |f: &str| {
            let f = JobFilter::parse(f);
            [&a, &b, &c].iter().filter(|j| f.matches(j)).map(|j| j.jobid).collect::<Vec<_>>()
        };
        assert_eq!(m(""), vec![1, 2, 3]);
        assert_eq!(m("client=db"), vec![2, 3]);
        assert_eq!(m("status=E"), vec![2]);
        assert_eq!(m("status=error"), vec![2]);
        assert_eq!(m("status=warning"), vec![3]);
        assert_eq!(m("level=full"), vec![1]);
        assert_eq!(m("level=I"), vec![2]);
        assert_eq!(m("level=diff"), vec![3]);
        assert_eq!(m("web"), vec![1]);
        assert_eq!(m("job=db level=inc"), vec![2]);
        assert_eq!(m("3"), vec![3]);
    }
}
