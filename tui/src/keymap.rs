//! The keymap is data: layers of `{ on, run, desc }` bindings read from TOML
//! (the embedded `keymap.toml`, then an optional user file that overrides it).
//! The help overlay and the status-bar hints are generated from it, so a
//! binding's text and its effect are declared in one place.
//!
//! `run` commands:
//!
//! | command | effect |
//! |---|---|
//! | `quit`, `help` | leave; toggle the help overlay |
//! | `screen dashboard\|jobs\|scheduler\|log\|console\|next\|prev` | switch screens |
//! | `up`, `down`, `page-up`, `page-down`, `top`, `bottom` | move the selection or scroll |
//! | `refresh` | ask the director again now |
//! | `filter`, `filter clear` | edit / clear the job filter |
//! | `job run`, `job cancel`, `job rerun`, `job log` | act on the selected job |
//! | `follow` | follow the end of a running job's log |
//! | `search`, `search next`, `search prev` | search the job log |
//! | `days +N`, `days -N` | widen / narrow the scheduler preview |
//! | `focus` | type into the console line |
//! | `pane toggle`, `pane close`, `pane next`, `pane prev` | trace panes: open/close the daemon's pane, move the focus |
//! | `pause`, `clear` | trace panes: pause/resume (new lines held, counted), empty the pane |
//! | `debug +N`, `debug -N`, `debug trace`, `debug timestamp`, `debug apply` | trace: stage a daemon's `setdebug` level/flags, send it |
//! | `mark`, `open`, `cd ..`, `versions`, `done` | restore browser: mark/unmark, open a directory (a file: its versions), parent directory, a file's versions, the restore form |
//! | `confirm`, `back`, `level next`, `level prev` | dialogs; `back` also leaves the log |
//! | `none` | unbind the key (in a user keymap) |

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use crate::action::Screen;

/// The embedded default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

/// A key with its modifiers, normalised (Shift is folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        Key::new(e.code, e.modifiers)
    }

    /// Parse `q`, `G`, `Ctrl-c`, `Alt-x`, `Shift-Tab`, `PageUp`, `F5`, `Space`, …
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let strip = |p: &str| rest.get(p.len()..).filter(|_| lower.starts_with(p) && rest.len() > p.len());
            if let Some(r) = strip("ctrl-").or_else(|| strip("c-")) {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = strip("alt-").or_else(|| strip("m-")) {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else if let Some(r) = strip("shift-").or_else(|| strip("s-")) {
                mods |= KeyModifiers::SHIFT;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" | "bs" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key `{s}`")),
                },
                _ => return Err(format!("unknown key `{s}`")),
            },
        };
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("S-Tab"),
            KeyCode::Backspace => f.write_str("Bksp"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// What a binding does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Quit,
    Help,
    Screen(Screen),
    NextScreen,
    PrevScreen,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Refresh,
    /// Switch to the next built-in theme.
    NextTheme,
    Filter,
    ClearFilter,
    RunJob,
    CancelJob,
    RerunJob,
    ShowLog,
    Follow,
    Search,
    SearchNext,
    SearchPrev,
    Days(i32),
    Focus,
    /// Trace screen: open or close the pane of the daemon under the cursor.
    PaneToggle,
    PaneClose,
    PaneNext,
    PanePrev,
    /// Pause / resume the focused trace pane (all panes from the daemon list).
    Pause,
    /// Empty the focused trace pane.
    Clear,
    /// Step the staged debug level up or down.
    DebugLevel(i32),
    DebugTrace,
    DebugTimestamp,
    /// Send `setdebug` with the staged settings.
    DebugApply,
    /// Restore browser: mark or unmark the entry under the cursor.
    Mark,
    /// Restore browser: choose / open a directory (a file: its versions).
    Open,
    /// Restore browser: the parent directory.
    Parent,
    /// Restore browser: the versions of the file under the cursor.
    Versions,
    /// Restore browser: the restore form (where, replace), then the restore.
    Done,
    Confirm,
    Back,
    LevelNext,
    LevelPrev,
    /// Unbinds a key in a user keymap.
    None,
}

impl Cmd {
    pub fn parse(run: &str) -> Result<Cmd, String> {
        let words: Vec<&str> = run.split_whitespace().collect();
        let cmd = match words.as_slice() {
            ["quit"] => Cmd::Quit,
            ["help"] => Cmd::Help,
            ["screen", "next"] => Cmd::NextScreen,
            ["screen", "prev"] => Cmd::PrevScreen,
            ["screen", name] => Cmd::Screen(Screen::from_name(name).ok_or_else(|| format!("unknown screen `{name}`"))?),
            ["up"] => Cmd::Up,
            ["down"] => Cmd::Down,
            ["page-up"] => Cmd::PageUp,
            ["page-down"] => Cmd::PageDown,
            ["top"] => Cmd::Top,
            ["bottom"] => Cmd::Bottom,
            ["refresh"] => Cmd::Refresh,
            ["theme", "next"] => Cmd::NextTheme,
            ["filter"] => Cmd::Filter,
            ["filter", "clear"] => Cmd::ClearFilter,
            ["job", "run"] => Cmd::RunJob,
            ["job", "cancel"] => Cmd::CancelJob,
            ["job", "rerun"] => Cmd::RerunJob,
            ["job", "log"] => Cmd::ShowLog,
            ["follow"] => Cmd::Follow,
            ["search"] => Cmd::Search,
            ["search", "next"] => Cmd::SearchNext,
            ["search", "prev"] => Cmd::SearchPrev,
            ["days", n] => Cmd::Days(n.trim_start_matches('+').parse().map_err(|_| format!("bad day count `{n}`"))?),
            ["focus"] => Cmd::Focus,
            ["pane", "toggle"] => Cmd::PaneToggle,
            ["pane", "close"] => Cmd::PaneClose,
            ["pane", "next"] => Cmd::PaneNext,
            ["pane", "prev"] => Cmd::PanePrev,
            ["pause"] => Cmd::Pause,
            ["clear"] => Cmd::Clear,
            ["debug", "trace"] => Cmd::DebugTrace,
            ["debug", "timestamp"] => Cmd::DebugTimestamp,
            ["debug", "apply"] => Cmd::DebugApply,
            ["debug", n] => {
                Cmd::DebugLevel(n.trim_start_matches('+').parse().map_err(|_| format!("bad level step `{n}`"))?)
            }
            ["mark"] => Cmd::Mark,
            ["open"] => Cmd::Open,
            ["cd", ".."] | ["parent"] => Cmd::Parent,
            ["versions"] => Cmd::Versions,
            ["done"] => Cmd::Done,
            ["confirm"] => Cmd::Confirm,
            ["back"] => Cmd::Back,
            ["level", "next"] => Cmd::LevelNext,
            ["level", "prev"] => Cmd::LevelPrev,
            ["none"] => Cmd::None,
            _ => return Err(format!("unknown command `{run}`")),
        };
        Ok(cmd)
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Global,
    Dashboard,
    Jobs,
    Scheduler,
    Log,
    Console,
    Restore,
    Trace,
    Dialog,
}

impl Layer {
    pub const ALL: [Layer; 9] = [
        Layer::Global,
        Layer::Dashboard,
        Layer::Jobs,
        Layer::Scheduler,
        Layer::Log,
        Layer::Console,
        Layer::Restore,
        Layer::Trace,
        Layer::Dialog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Dashboard => "dashboard",
            Layer::Jobs => "jobs",
            Layer::Scheduler => "scheduler",
            Layer::Log => "log",
            Layer::Console => "console",
            Layer::Restore => "restore",
            Layer::Trace => "trace",
            Layer::Dialog => "dialog",
        }
    }

    pub fn of_screen(s: Screen) -> Layer {
        match s {
            Screen::Dashboard => Layer::Dashboard,
            Screen::Jobs => Layer::Jobs,
            Screen::Scheduler => Layer::Scheduler,
            Screen::JobLog => Layer::Log,
            Screen::Console => Layer::Console,
            Screen::Restore => Layer::Restore,
            Screen::Trace => Layer::Trace,
        }
    }
}

/// One binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub cmd: Cmd,
    pub run: String,
    pub desc: String,
    pub hint: bool,
}

/// Errors in a keymap file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeymapError {
    #[error("keymap {origin}: {message}")]
    Invalid { origin: String, message: String },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    on: OneOrMany,
    run: String,
    #[serde(default)]
    desc: String,
    #[serde(default = "yes")]
    hint: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKeymap {
    #[serde(default)]
    global: Vec<RawBinding>,
    #[serde(default)]
    dashboard: Vec<RawBinding>,
    #[serde(default)]
    jobs: Vec<RawBinding>,
    #[serde(default)]
    scheduler: Vec<RawBinding>,
    #[serde(default)]
    log: Vec<RawBinding>,
    #[serde(default)]
    console: Vec<RawBinding>,
    #[serde(default)]
    restore: Vec<RawBinding>,
    #[serde(default)]
    trace: Vec<RawBinding>,
    #[serde(default)]
    dialog: Vec<RawBinding>,
}

/// All layers' bindings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keymap {
    layers: Vec<(Layer, Vec<Binding>)>,
}

fn parse_raw(text: &str, origin: &str) -> Result<Vec<(Layer, Vec<Binding>)>, KeymapError> {
    let err = |message: String| KeymapError::Invalid { origin: origin.to_string(), message };
    let raw: RawKeymap = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let groups = [
        (Layer::Global, raw.global),
        (Layer::Dashboard, raw.dashboard),
        (Layer::Jobs, raw.jobs),
        (Layer::Scheduler, raw.scheduler),
        (Layer::Log, raw.log),
        (Layer::Console, raw.console),
        (Layer::Restore, raw.restore),
        (Layer::Trace, raw.trace),
        (Layer::Dialog, raw.dialog),
    ];
    let mut out = Vec::new();
    for (layer, list) in groups {
        let mut bindings = Vec::new();
        for b in list {
            let names = match b.on {
                OneOrMany::One(s) => vec![s],
                OneOrMany::Many(v) => v,
            };
            if names.is_empty() {
                return Err(err(format!("[{}] `{}`: `on` lists no key", layer.name(), b.run)));
            }
            let keys = names
                .iter()
                .map(|n| Key::parse(n))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| err(format!("[{}] {m}", layer.name())))?;
            let cmd = Cmd::parse(&b.run).map_err(|m| err(format!("[{}] {m}", layer.name())))?;
            bindings.push(Binding { keys, cmd, run: b.run, desc: b.desc, hint: b.hint });
        }
        out.push((layer, bindings));
    }
    Ok(out)
}

impl Keymap {
    /// The embedded defaults.
    pub fn builtin() -> Result<Keymap, KeymapError> {
        Ok(Keymap { layers: parse_raw(DEFAULT_KEYMAP, "(built-in)")? })
    }

    /// Apply a user keymap on top: per layer, a key bound by the user is
    /// removed from the existing bindings, then the user's binding is added
    /// (unless its command is `none`).
    pub fn with_overrides(mut self, text: &str, origin: &str) -> Result<Keymap, KeymapError> {
        for (layer, user) in parse_raw(text, origin)? {
            let Some((_, existing)) = self.layers.iter_mut().find(|(l, _)| *l == layer) else { continue };
            for ub in user {
                for b in existing.iter_mut() {
                    b.keys.retain(|k| !ub.keys.contains(k));
                }
                existing.retain(|b| !b.keys.is_empty());
                if ub.cmd != Cmd::None {
                    existing.push(ub);
                }
            }
        }
        Ok(self)
    }

    /// The bindings of one layer, in file order.
    pub fn bindings(&self, layer: Layer) -> &[Binding] {
        self.layers.iter().find(|(l, _)| *l == layer).map(|(_, b)| b.as_slice()).unwrap_or(&[])
    }

    /// The binding of `key` in `layer` (that layer only).
    pub fn lookup_in(&self, layer: Layer, key: Key) -> Option<&Binding> {
        self.bindings(layer).iter().find(|b| b.keys.contains(&key))
    }

    /// The binding of `key` on `screen`: its layer first, then global.
    pub fn lookup(&self, screen: Screen, key: Key) -> Option<&Binding> {
        self.lookup_in(Layer::of_screen(screen), key).or_else(|| self.lookup_in(Layer::Global, key))
    }

    /// The first key bound to `cmd` in `layer` (for texts like "press ? for help").
    pub fn key_for(&self, layer: Layer, cmd: Cmd) -> Option<Key> {
        self.bindings(layer).iter().find(|b| b.cmd == cmd).and_then(|b| b.keys.first().copied())
    }

    /// Status-bar hints for `layer` then global: `(key, desc)` of the bindings
    /// with `hint = true`, skipping keys the screen layer shadows.
    pub fn hints(&self, layer: Layer) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut layers = vec![layer];
        if layer != Layer::Global && layer != Layer::Dialog {
            layers.push(Layer::Global);
        }
        let mut seen: Vec<Key> = Vec::new();
        for l in layers {
            for b in self.bindings(l) {
                let free: Vec<Key> = b.keys.iter().copied().filter(|k| !seen.contains(k)).collect();
                seen.extend(b.keys.iter().copied());
                if b.hint
                    && let Some(k) = free.first()
                {
                    out.push((k.to_string(), b.desc.clone()));
                }
            }
        }
        out
    }

    /// Help-overlay rows for `layer`: `(keys joined by " ", desc)`.
    pub fn help_rows(&self, layer: Layer) -> Vec<(String, String)> {
        self.bindings(layer)
            .iter()
            .map(|b| (b.keys.iter().map(Key::to_string).collect::<Vec<_>>().join(" "), b.desc.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Key {
        Key::parse(s).expect("key")
    }

    #[test]
    fn builtin_parses_and_binds_the_basics() {
        let m = Keymap::builtin().expect("builtin keymap");
        assert_eq!(m.lookup(Screen::Dashboard, k("q")).map(|b| b.cmd), Some(Cmd::Quit));
        assert_eq!(m.lookup(Screen::Jobs, k("/")).map(|b| b.cmd), Some(Cmd::Filter));
        assert_eq!(m.lookup(Screen::JobLog, k("/")).map(|b| b.cmd), Some(Cmd::Search));
        assert_eq!(m.lookup(Screen::Scheduler, k("+")).map(|b| b.cmd), Some(Cmd::Days(1)));
        assert_eq!(m.lookup(Screen::Jobs, k("R")).map(|b| b.cmd), Some(Cmd::RerunJob));
        assert_eq!(m.lookup(Screen::Jobs, k("3")).map(|b| b.cmd), Some(Cmd::Screen(Screen::Scheduler)));
        assert_eq!(m.lookup(Screen::Jobs, k("7")).map(|b| b.cmd), Some(Cmd::Screen(Screen::Trace)));
        assert_eq!(m.lookup(Screen::Jobs, k("6")).map(|b| b.cmd), Some(Cmd::Screen(Screen::Restore)));
        assert_eq!(m.lookup(Screen::Restore, k("Space")).map(|b| b.cmd), Some(Cmd::Mark));
        assert_eq!(m.lookup(Screen::Restore, k("Backspace")).map(|b| b.cmd), Some(Cmd::Parent));
        assert_eq!(m.lookup(Screen::Restore, k("d")).map(|b| b.cmd), Some(Cmd::Done));
        assert_eq!(m.lookup(Screen::Trace, k("Space")).map(|b| b.cmd), Some(Cmd::PaneToggle));
        assert_eq!(m.lookup(Screen::Trace, k("+")).map(|b| b.cmd), Some(Cmd::DebugLevel(1)));
        assert_eq!(m.lookup(Screen::Trace, k("s")).map(|b| b.cmd), Some(Cmd::DebugApply));
        for layer in Layer::ALL {
            for b in m.bindings(layer) {
                assert!(!b.desc.is_empty(), "{} `{}` has no desc", layer.name(), b.run);
            }
        }
    }

    #[test]
    fn key_names_round_trip() {
        assert_eq!(k("Ctrl-c"), Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(k("C-C"), Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(k("G"), Key::new(KeyCode::Char('G'), KeyModifiers::SHIFT));
        assert_eq!(k("Shift-Tab"), k("BackTab"));
        assert_eq!(k("-"), Key::new(KeyCode::Char('-'), KeyModifiers::NONE));
        assert_eq!(k("F5").code, KeyCode::F(5));
        assert_eq!(k("Ctrl-c").to_string(), "Ctrl-c");
        assert!(Key::parse("Hyper-x").is_err());
        assert!(Key::parse("F99").is_err());
    }

    #[test]
    fn user_file_overrides_and_unbinds() {
        let m = Keymap::builtin()
            .expect("builtin")
            .with_overrides(
                "[[global]]\non = \"x\"\nrun = \"quit\"\ndesc = \"exit\"\n\n[[global]]\non = \"q\"\nrun = \"none\"\n",
                "user.toml",
            )
            .expect("override");
        assert_eq!(m.lookup(Screen::Dashboard, k("x")).map(|b| b.desc.as_str()), Some("exit"));
        assert!(m.lookup(Screen::Dashboard, k("q")).is_none());
        // Ctrl-c stays bound to the original quit binding.
        assert_eq!(m.lookup(Screen::Dashboard, k("Ctrl-c")).map(|b| b.cmd), Some(Cmd::Quit));
        let hints = m.hints(Layer::Dashboard);
        assert!(hints.iter().any(|(key, d)| key == "x" && d == "exit"), "{hints:?}");
    }

    #[test]
    fn bad_files_are_reported() {
        let base = Keymap::builtin().expect("builtin");
        let e = base.clone().with_overrides("[[global]]\non = \"q\"\nrun = \"explode\"\n", "u.toml").expect_err("cmd");
        assert!(e.to_string().contains("explode"), "{e}");
        let e = base.clone().with_overrides("[[nowhere]]\non = \"q\"\nrun = \"quit\"\n", "u.toml").expect_err("layer");
        assert!(e.to_string().contains("nowhere"), "{e}");
        let e = base.with_overrides("[[global]]\non = \"Hyper-q\"\nrun = \"quit\"\n", "u.toml").expect_err("key");
        assert!(e.to_string().contains("Hyper-q"), "{e}");
    }
}
