//! Run-time debug levels and trace output (`setdebug`).
//!
//! Each daemon registers a [`DebugHandle`] for its kind (director, storage or
//! file daemon). A process-wide tracing layer ("the tap") hands every event of
//! that kind's crates (`cairn_dird*`, `cairn_sd*`, `cairn_fd*` targets) whose
//! level passes the handle's debug level to the handle: it is formatted as one
//! line, appended to `<working dir>/<name>.trace` while `trace=1`, and sent to
//! subscribers (the director's event stream, for the TUI's trace panes).
//!
//! Bareos debug levels map to tracing levels as `-d` does: 0 → nothing beyond
//! warnings and errors, 1–99 → info, 100–199 → debug, ≥ 200 → trace.
//! Several daemons of the same kind in one process (tests) each see the lines
//! of all of them.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Which daemon a handle belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DaemonKind {
    Director,
    Storage,
    File,
}

impl DaemonKind {
    fn target_prefix(self) -> &'static str {
        match self {
            DaemonKind::Director => "cairn_dird",
            DaemonKind::Storage => "cairn_sd",
            DaemonKind::File => "cairn_fd",
        }
    }

    fn index(self) -> usize {
        match self {
            DaemonKind::Director => 0,
            DaemonKind::Storage => 1,
            DaemonKind::File => 2,
        }
    }

    fn of_target(target: &str) -> Option<DaemonKind> {
        [DaemonKind::Director, DaemonKind::Storage, DaemonKind::File]
            .into_iter()
            .find(|k| target.starts_with(k.target_prefix()))
    }

    /// `dir`, `sd` or `fd`.
    pub fn short(self) -> &'static str {
        match self {
            DaemonKind::Director => "dir",
            DaemonKind::Storage => "sd",
            DaemonKind::File => "fd",
        }
    }
}

/// A protocol line for a trace: session keys (`Authorization=…`, `Password=…`)
/// replaced by `***`.
pub fn redact(line: &str) -> String {
    let mut out = line.to_string();
    for key in ["Authorization=", "authorization=", "Password=", "password="] {
        let mut from = 0;
        while let Some(i) = out[from..].find(key).map(|i| i + from) {
            let start = i + key.len();
            let end = out[start..].find([' ', '\n']).map(|e| start + e).unwrap_or(out.len());
            out.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    out
}

/// The values of a daemon-side `setdebug=N trace=T [hangup=H] [timestamp=S]`
/// line (Bareos's -1 = unchanged becomes `None`); `with_timestamp` tells whether
/// the director sent `timestamp=` (the newer reply form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetdebugCmd {
    pub level: Option<u32>,
    pub trace: Option<bool>,
    pub timestamp: Option<bool>,
    pub with_timestamp: bool,
}

/// Parse a `setdebug=` command line; `Err` names the bad word.
pub fn parse_setdebug(line: &str) -> Result<SetdebugCmd, String> {
    let mut c = SetdebugCmd { level: None, trace: None, timestamp: None, with_timestamp: false };
    for w in line.split_whitespace() {
        let Some((k, v)) = w.split_once('=') else { continue };
        let n: i64 = v.parse().map_err(|_| w.to_string())?;
        match k {
            "setdebug" if n >= 0 => c.level = Some(n as u32),
            "trace" if n >= 0 => c.trace = Some(n > 0),
            "timestamp" => {
                c.with_timestamp = true;
                if n >= 0 {
                    c.timestamp = Some(n > 0);
                }
            }
            _ => {}
        }
    }
    Ok(c)
}

/// The tracing level a Bareos debug level lets through.
pub fn level_for(debug: u32) -> Level {
    match debug {
        0 => Level::WARN,
        1..=99 => Level::INFO,
        100..=199 => Level::DEBUG,
        _ => Level::TRACE,
    }
}

/// One formatted trace line.
#[derive(Debug, Clone)]
pub struct TraceLine {
    pub daemon: String,
    pub kind: DaemonKind,
    pub level: Level,
    pub target: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub time: String,
    pub message: String,
}

impl TraceLine {
    /// The line as one JSON object (for `trace follow` streams).
    pub fn to_json(&self) -> String {
        fn esc(s: &str) -> String {
            let mut o = String::with_capacity(s.len() + 2);
            o.push('"');
            for c in s.chars() {
                match c {
                    '"' => o.push_str("\\\""),
                    '\\' => o.push_str("\\\\"),
                    '\n' => o.push_str("\\n"),
                    '\r' => o.push_str("\\r"),
                    '\t' => o.push_str("\\t"),
                    c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        }
        format!(
            "{{\"daemon\":{},\"kind\":{},\"level\":{},\"target\":{},\"time\":{},\"message\":{}}}",
            esc(&self.daemon),
            esc(self.kind.short()),
            esc(&self.level.to_string()),
            esc(&self.target),
            esc(&self.time),
            esc(&self.message)
        )
    }

    /// The line as written to the trace file (with or without the time stamp).
    pub fn render(&self, timestamp: bool) -> String {
        if timestamp {
            format!("{} {} ({}) {}: {}\n", self.time, self.daemon, self.level, self.target, self.message)
        } else {
            format!("{} ({}) {}: {}\n", self.daemon, self.level, self.target, self.message)
        }
    }
}

/// A daemon's run-time debug settings.
#[derive(Debug)]
pub struct DebugHandle {
    pub kind: DaemonKind,
    pub name: String,
    level: AtomicU32,
    trace: AtomicBool,
    timestamp: AtomicBool,
    trace_file: PathBuf,
    file: Mutex<Option<std::fs::File>>,
    lines: broadcast::Sender<Arc<TraceLine>>,
}

/// The settings after a change, as `setdebug` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugState {
    pub level: u32,
    pub trace: bool,
    pub timestamp: bool,
    pub trace_file: PathBuf,
}

impl DebugHandle {
    /// Register a daemon (installing the tap if no subscriber is set yet).
    /// `working_dir` holds the trace file `<name>.trace`.
    pub fn register(kind: DaemonKind, name: &str, working_dir: &std::path::Path, level: u32) -> Arc<DebugHandle> {
        ensure_subscriber();
        let (tx, _) = broadcast::channel(1024);
        let h = Arc::new(DebugHandle {
            kind,
            name: name.to_string(),
            level: AtomicU32::new(level),
            trace: AtomicBool::new(false),
            timestamp: AtomicBool::new(true),
            trace_file: working_dir.join(format!("{name}.trace")),
            file: Mutex::new(None),
            lines: tx,
        });
        if let Ok(mut r) = registry().lock() {
            r.retain(|w| w.strong_count() > 0);
            r.push(Arc::downgrade(&h));
        }
        recompute_max();
        h
    }

    /// Apply `setdebug`: `None` leaves a setting as it is (Bareos's -1).
    pub fn set(&self, level: Option<u32>, trace: Option<bool>, timestamp: Option<bool>) -> DebugState {
        if let Some(l) = level {
            self.level.store(l, Ordering::Relaxed);
            recompute_max();
        }
        if let Some(t) = timestamp {
            self.timestamp.store(t, Ordering::Relaxed);
        }
        if let Some(t) = trace {
            self.trace.store(t, Ordering::Relaxed);
            if let Ok(mut f) = self.file.lock() {
                if !t {
                    *f = None;
                }
            }
        }
        self.state()
    }

    pub fn state(&self) -> DebugState {
        DebugState {
            level: self.level.load(Ordering::Relaxed),
            trace: self.trace.load(Ordering::Relaxed),
            timestamp: self.timestamp.load(Ordering::Relaxed),
            trace_file: self.trace_file.clone(),
        }
    }

    /// Live trace lines from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<TraceLine>> {
        self.lines.subscribe()
    }

    fn wants(&self, level: &Level) -> bool {
        *level <= level_for(self.level.load(Ordering::Relaxed))
    }

    fn deliver(&self, line: &TraceLine) {
        let line = TraceLine { daemon: self.name.clone(), ..line.clone() };
        if self.trace.load(Ordering::Relaxed) {
            if let Ok(mut f) = self.file.lock() {
                if f.is_none() {
                    *f = OpenOptions::new().create(true).append(true).open(&self.trace_file).ok();
                }
                if let Some(file) = f.as_mut() {
                    let _ = file.write_all(line.render(self.timestamp.load(Ordering::Relaxed)).as_bytes());
                }
            }
        }
        if self.lines.receiver_count() > 0 {
            let _ = self.lines.send(Arc::new(line));
        }
    }
}

/// Per kind, the most verbose level any handle wants (1 = error … 5 = trace),
/// so the hot path of a disabled event is two atomic loads.
static MAX_WANTED: [std::sync::atomic::AtomicU8; 3] =
    [std::sync::atomic::AtomicU8::new(0), std::sync::atomic::AtomicU8::new(0), std::sync::atomic::AtomicU8::new(0)];

fn verbosity(l: &Level) -> u8 {
    match *l {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        _ => 5,
    }
}

fn recompute_max() {
    let mut max = [0u8; 3];
    if let Ok(r) = registry().lock() {
        for h in r.iter().filter_map(Weak::upgrade) {
            let v = verbosity(&level_for(h.level.load(Ordering::Relaxed)));
            let i = h.kind.index();
            max[i] = max[i].max(v);
        }
    }
    let mut changed = false;
    for (i, m) in max.iter().enumerate() {
        changed |= MAX_WANTED[i].swap(*m, Ordering::Relaxed) != *m;
    }
    // Callsite interest is cached (a disabled event costs nothing); levels
    // changed, so ask every callsite again.
    if changed {
        tracing::callsite::rebuild_interest_cache();
    }
}

fn registry() -> &'static Mutex<Vec<Weak<DebugHandle>>> {
    static R: OnceLock<Mutex<Vec<Weak<DebugHandle>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(Vec::new()))
}

/// Handles of a kind that want events of `level`.
fn interested(kind: DaemonKind, level: &Level) -> Vec<Arc<DebugHandle>> {
    registry()
        .lock()
        .map(|r| r.iter().filter_map(Weak::upgrade).filter(|h| h.kind == kind && h.wants(level)).collect())
        .unwrap_or_default()
}

/// The layer that feeds [`DebugHandle`]s.
#[derive(Debug, Default, Clone, Copy)]
pub struct TapLayer;

impl TapLayer {
    /// Whether any registered handle wants events of this target and level.
    pub fn enabled_for(meta: &tracing::Metadata<'_>) -> bool {
        match DaemonKind::of_target(meta.target()) {
            Some(kind) => verbosity(meta.level()) <= MAX_WANTED[kind.index()].load(Ordering::Relaxed),
            None => false,
        }
    }
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            self.0.push_str(&format!(" {}={value}", field.name()));
        }
    }
}

impl<S: Subscriber> Layer<S> for TapLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let Some(kind) = DaemonKind::of_target(meta.target()) else { return };
        let handles = interested(kind, meta.level());
        if handles.is_empty() {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let line = TraceLine {
            daemon: String::new(),
            kind,
            level: *meta.level(),
            target: meta.target().to_string(),
            time: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
            message: v.0.trim().to_string(),
        };
        for h in handles {
            h.deliver(&line);
        }
    }
}

/// Install a subscriber holding only the tap (no stderr output) unless the
/// process already has one (see `init_tracing`, which includes the tap).
pub fn ensure_subscriber() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let tap = TapLayer.with_filter(tracing_subscriber::filter::filter_fn(TapLayer::enabled_for));
        let _ = tracing_subscriber::registry().with(tap).try_init();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_like_dash_d() {
        assert_eq!(level_for(0), Level::WARN);
        assert_eq!(level_for(50), Level::INFO);
        assert_eq!(level_for(150), Level::DEBUG);
        assert_eq!(level_for(200), Level::TRACE);
    }

    #[test]
    fn trace_lines_render_as_json() {
        let l = TraceLine {
            daemon: "fd".into(),
            kind: DaemonKind::File,
            level: Level::DEBUG,
            target: "cairn_fd::x".into(),
            time: "2026-01-01 00:00:00".into(),
            message: "a \"q\"\n\\b\u{1}".into(),
        };
        assert_eq!(
            l.to_json(),
            r#"{"daemon":"fd","kind":"fd","level":"DEBUG","target":"cairn_fd::x","time":"2026-01-01 00:00:00","message":"a \"q\"\n\\b\u0001"}"#
        );
    }

    #[test]
    fn setdebug_lines_parse() {
        let c = parse_setdebug("setdebug=100 trace=1 hangup=-1 timestamp=-1").expect("parses");
        assert_eq!(c, SetdebugCmd { level: Some(100), trace: Some(true), timestamp: None, with_timestamp: true });
        let c = parse_setdebug("setdebug=-1 trace=0").expect("parses");
        assert_eq!(c, SetdebugCmd { level: None, trace: Some(false), timestamp: None, with_timestamp: false });
        assert_eq!(parse_setdebug("setdebug=x"), Err("setdebug=x".to_string()));
    }

    #[test]
    fn keys_are_redacted() {
        assert_eq!(redact("3000 OK Job SDid=1 Authorization=ABCD-EF x=1"), "3000 OK Job SDid=1 Authorization=*** x=1");
        assert_eq!(redact("Hello password=abc"), "Hello password=***");
        assert_eq!(redact("no keys"), "no keys");
    }

    #[test]
    fn targets_route_to_kinds() {
        assert_eq!(DaemonKind::of_target("cairn_dird::jobs"), Some(DaemonKind::Director));
        assert_eq!(DaemonKind::of_target("cairn_fd"), Some(DaemonKind::File));
        assert_eq!(DaemonKind::of_target("cairn_sd::device"), Some(DaemonKind::Storage));
        assert_eq!(DaemonKind::of_target("hyper::proto"), None);
    }
}

#[cfg(test)]
mod tap_tests {
    use super::*;

    #[test]
    fn events_reach_a_registered_handle_and_its_trace_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = DebugHandle::register(DaemonKind::Director, "t-dir", dir.path(), 0);
        let mut rx = h.subscribe();
        tracing::debug!(target: "cairn_dird::t", "not yet");
        assert!(rx.try_recv().is_err(), "level 0 lets no debug line through");
        h.set(Some(150), Some(true), Some(false));
        tracing::debug!(target: "cairn_dird::t", n = 3, "hello");
        tracing::trace!(target: "cairn_dird::t", "too verbose for 150");
        tracing::info!(target: "other_crate", "not ours");
        let l = rx.try_recv().expect("a trace line");
        assert_eq!(l.message, "hello n=3");
        assert_eq!(l.daemon, "t-dir");
        assert!(rx.try_recv().is_err());
        let text = std::fs::read_to_string(dir.path().join("t-dir.trace")).expect("trace file");
        assert_eq!(text, "t-dir (DEBUG) cairn_dird::t: hello n=3\n");
    }
}
