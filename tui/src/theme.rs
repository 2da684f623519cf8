//! Theme roles as ratatui styles. Views ask for roles (`styles.job(state)`,
//! `styles.border(focused)`), never for colours.

use cairn_themes::{Color as TColor, StyleSpec, Theme};
use ratatui::style::{Color, Modifier, Style};

use crate::model::JobState;
use crate::state::Severity;
use crate::trace::TraceLevel;

fn color(c: TColor) -> Color {
    match c {
        TColor::Reset => Color::Reset,
        TColor::Black => Color::Black,
        TColor::Red => Color::Red,
        TColor::Green => Color::Green,
        TColor::Yellow => Color::Yellow,
        TColor::Blue => Color::Blue,
        TColor::Magenta => Color::Magenta,
        TColor::Cyan => Color::Cyan,
        TColor::Gray => Color::Gray,
        TColor::DarkGray => Color::DarkGray,
        TColor::LightRed => Color::LightRed,
        TColor::LightGreen => Color::LightGreen,
        TColor::LightYellow => Color::LightYellow,
        TColor::LightBlue => Color::LightBlue,
        TColor::LightMagenta => Color::LightMagenta,
        TColor::LightCyan => Color::LightCyan,
        TColor::White => Color::White,
        TColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
        TColor::Indexed(i) => Color::Indexed(i),
    }
}

/// A theme role as a ratatui style.
pub fn style(s: StyleSpec) -> Style {
    let mut st = Style::default();
    if let Some(c) = s.fg {
        st = st.fg(color(c));
    }
    if let Some(c) = s.bg {
        st = st.bg(color(c));
    }
    let mut m = Modifier::empty();
    for (on, bit) in [
        (s.bold, Modifier::BOLD),
        (s.dim, Modifier::DIM),
        (s.italic, Modifier::ITALIC),
        (s.underline, Modifier::UNDERLINED),
        (s.reversed, Modifier::REVERSED),
    ] {
        if on {
            m |= bit;
        }
    }
    st.add_modifier(m)
}

/// Every role the TUI uses, resolved once.
#[derive(Debug, Clone, PartialEq)]
pub struct Styles {
    pub name: String,
    pub base: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub title_focused: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub header: Style,
    pub selected: Style,
    pub dim: Style,
    pub key: Style,
    pub hint: Style,
    pub status_bar: Style,
    pub input: Style,
    pub prompt: Style,
    pub overlay: Style,
    pub message: Style,
    pub message_error: Style,
    pub job_ok: Style,
    pub job_warning: Style,
    pub job_error: Style,
    pub job_canceled: Style,
    pub job_running: Style,
    pub job_waiting: Style,
    pub job_scheduled: Style,
    pub log_error: Style,
    pub log_warning: Style,
    pub log_info: Style,
    pub log_time: Style,
    pub log_match: Style,
    pub conn_connected: Style,
    pub conn_connecting: Style,
    pub conn_lost: Style,
    pub sched_day: Style,
    pub sched_time: Style,
    pub level_full: Style,
    pub level_differential: Style,
    pub level_incremental: Style,
    pub trace_error: Style,
    pub trace_warn: Style,
    pub trace_info: Style,
    pub trace_debug: Style,
    pub trace_trace: Style,
}

impl Styles {
    pub fn from_theme(t: &Theme) -> Styles {
        let g = |role: &str| style(t.get(role));
        Styles {
            name: t.name.clone(),
            base: g("chrome.base"),
            border: g("chrome.border"),
            border_focused: g("chrome.border_focused"),
            title: g("chrome.title"),
            title_focused: g("chrome.title_focused"),
            tab: g("chrome.tab"),
            tab_active: g("chrome.tab_active"),
            header: g("chrome.header"),
            selected: g("chrome.selected"),
            dim: g("chrome.dim"),
            key: g("chrome.key"),
            hint: g("chrome.hint"),
            status_bar: g("chrome.status_bar"),
            input: g("chrome.input"),
            prompt: g("chrome.prompt"),
            overlay: g("chrome.overlay"),
            message: g("chrome.message"),
            message_error: g("chrome.message_error"),
            job_ok: g("job.ok"),
            job_warning: g("job.warning"),
            job_error: g("job.error"),
            job_canceled: g("job.canceled"),
            job_running: g("job.running"),
            job_waiting: g("job.waiting"),
            job_scheduled: g("job.scheduled"),
            log_error: g("log.error"),
            log_warning: g("log.warning"),
            log_info: g("log.info"),
            log_time: g("log.time"),
            log_match: g("log.match"),
            conn_connected: g("conn.connected"),
            conn_connecting: g("conn.connecting"),
            conn_lost: g("conn.lost"),
            sched_day: g("sched.day"),
            sched_time: g("sched.time"),
            level_full: g("level.full"),
            level_differential: g("level.differential"),
            level_incremental: g("level.incremental"),
            trace_error: g("trace.error"),
            trace_warn: g("trace.warn"),
            trace_info: g("trace.info"),
            trace_debug: g("trace.debug"),
            trace_trace: g("trace.trace"),
        }
    }

    /// The built-in `dark` theme (tests and fallbacks).
    pub fn dark() -> Styles {
        match cairn_themes::load("dark", None) {
            Ok(t) => Styles::from_theme(&t),
            Err(_) => Styles::from_theme(&Theme::plain()),
        }
    }

    pub fn job(&self, s: JobState) -> Style {
        match s {
            JobState::Ok => self.job_ok,
            JobState::Warning => self.job_warning,
            JobState::Error => self.job_error,
            JobState::Canceled => self.job_canceled,
            JobState::Running => self.job_running,
            JobState::Waiting => self.job_waiting,
            JobState::Other => self.dim,
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Info => self.log_info,
            Severity::Warning => self.log_warning,
            Severity::Error => self.log_error,
        }
    }

    /// A trace line by its level.
    pub fn trace(&self, l: TraceLevel) -> Style {
        match l {
            TraceLevel::Error => self.trace_error,
            TraceLevel::Warn => self.trace_warn,
            TraceLevel::Info => self.trace_info,
            TraceLevel::Debug => self.trace_debug,
            TraceLevel::Trace => self.trace_trace,
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused { self.border_focused } else { self.border }
    }

    pub fn title(&self, focused: bool) -> Style {
        if focused { self.title_focused } else { self.title }
    }

    /// A level word or code (`Full`, `F`, `Incremental`, `Incr`, …).
    pub fn level(&self, level: &str) -> Style {
        match level.chars().next() {
            Some('F') => self.level_full,
            Some('D') => self.level_differential,
            Some('I') => self.level_incremental,
            _ => Style::default(),
        }
    }
}
