//! The TUI casts in `recordings/tui/*.cast` (asciicast v2, see
//! `cairn_tui::cast`), replayed in-process: each cast is validated (header,
//! event shapes, times never going back), its `"i"` events (the key notation)
//! are decoded and dispatched to an `App` of the cast's size whose queries a
//! fake director answers from the JSON fixtures the screen tests use
//! (`tests/fixtures/`, `tests/fixtures/restore/`); `"r"` events resize it. The
//! final screen is compared with the snapshot `cast-<name>`.
//!
//! The casts are written by the recorder itself ([`cairn_tui::cast::Cast`] and
//! [`cairn_tui::cast::CastTee`] under a `CrosstermBackend`, the same pieces as
//! `cairn tui --record`) from the scripts in [`SCRIPTS`], on a frozen clock:
//! `RECORDINGS=overwrite cargo test -p cairn-tui --test screens casts`
//! rewrites them (then review the snapshots).

use std::collections::VecDeque;
use std::path::PathBuf;

use cairn_tui::App;
use cairn_tui::action::{Action, Effect, Link, LinkState, Query};
use cairn_tui::cast::{Cast, CastTee, Header, ParsedCast, parse_cast, parse_key};
use cairn_tui::keymap::Keymap;
use cairn_tui::state::State;
use cairn_tui::theme::Styles;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::{Terminal, TerminalOptions, Viewport};
use serde_json::Value;

use crate::support::{draw, now, settings};

/// The scripted sessions: name, size, keys (the cast's key notation; `=WxH`
/// resizes the terminal: an `"r"` event).
const SCRIPTS: &[(&str, u16, u16, &[&str])] = &[
    // Dashboard → Jobs (JobId 5, the one with an error) → its log, searched.
    (
        "dashboard-jobs-joblog",
        100,
        30,
        &["Down", "2", "Down", "Down", "Down", "Down", "Enter", "g", "/", "s", "t", "a", "t", "Enter"],
    ),
    // Restore: client, most recent backup; mark photos/ (the cursor moves on),
    // into projects/, mark one entry, back up; the restore form.
    // The scheduler, then the terminal shrinks.
    ("scheduler-resize", 120, 40, &["3", "=80x24"]),
    ("restore-browser", 120, 36, &["6", "Enter", "Enter", "Down", "Space", "Enter", "Down", "Space", "Backspace", "d"]),
];

fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn casts_dir() -> PathBuf {
    workspace().join("recordings").join("tui")
}

fn fixture_file(path: &str) -> Option<Value> {
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

/// The fake director: the fixture answering `q`, if there is one.
fn answer(q: &Query) -> Option<Value> {
    let name = match q {
        Query::StatusDirector => "status-director-running".to_string(),
        Query::ListJobs => "list-jobs-running".into(),
        Query::JobDetail(id) => format!("llist-jobid-{id}"),
        Query::JobLog(id) => format!("list-joblog-{id}"),
        Query::Scheduler(days) => format!("status-scheduler-{days}"),
        Query::JobNames => "dot-jobs".into(),
        Query::JobDefaults(job) => format!("defaults-{job}"),
        Query::Clients => "dot-clients".into(),
        Query::Storages => "dot-storages".into(),
        Query::ListVolumes => "llist-volumes-all".into(),
        Query::Restore(_) => {
            let c = q.command();
            let name = c.strip_prefix('.').unwrap_or(&c).replace(' ', "_");
            return fixture_file(&format!("restore/{name}.json"));
        }
        _ => return None,
    };
    fixture_file(&format!("{name}.json"))
}

/// Answer the queries (breadth first); the rest (console lines, the event
/// stream, commands without a fixture) stays unanswered.
fn serve(app: &mut App, fx: Vec<Effect>) {
    let mut queue: VecDeque<Effect> = fx.into();
    while let Some(e) = queue.pop_front() {
        if let Effect::Json(q) = e
            && let Some(v) = answer(&q)
        {
            queue.extend(app.dispatch(Action::Json { query: q, result: Ok(v) }));
        }
    }
}

fn act(app: &mut App, a: Action) {
    let fx = app.dispatch(a);
    serve(app, fx);
}

/// A TUI of `w`x`h` that has just connected to the fake director (the clock
/// at the fixtures' capture; file times in UTC).
fn start(w: u16, h: u16) -> App {
    let mut s = State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), now());
    s.restore.tag = 7;
    s.restore.utc_offset = 0;
    let mut app = App::new(s, Styles::dark());
    act(&mut app, Action::Resize(w, h));
    act(&mut app, Action::Link { link: Link::Json, state: LinkState::Connected { banner: String::new() } });
    let banner = "1000 OK: bareos-dir Version: 25.1.1 (04 March 2026)\nYou are connected using the default console";
    act(&mut app, Action::Link { link: Link::Console, state: LinkState::Connected { banner: banner.into() } });
    app
}

fn press(app: &mut App, key: &str) {
    let k = parse_key(key).unwrap_or_else(|e| panic!("key {key:?}: {e}"));
    act(app, Action::Key(k));
}

/// `WxH` of a resize event.
fn parse_size(s: &str) -> (u16, u16) {
    let (w, h) = s.split_once('x').unwrap_or_else(|| panic!("resize {s:?} is not WxH"));
    (w.parse().expect("width"), h.parse().expect("height"))
}

/// Replay a cast's input and resize events.
fn replay(cast: &ParsedCast) -> App {
    let mut app = start(cast.header.width, cast.header.height);
    for (_, kind, data) in &cast.events {
        match kind.as_str() {
            "i" => press(&mut app, data),
            "r" => {
                let (w, h) = parse_size(data);
                act(&mut app, Action::Resize(w, h));
            }
            _ => {}
        }
    }
    app
}

/// Write the cast of one script: the start screen, then each key and the
/// frame it produced, 0.8 s apart.
fn record(name: &str, w: u16, h: u16, keys: &[&str]) {
    let path = casts_dir().join(format!("{name}.cast"));
    let file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = Header {
        width: w,
        height: h,
        timestamp: Some(now().and_utc().timestamp()),
        term: Some("xterm-256color".into()),
    };
    let cast = Cast::new(Box::new(file), &header).expect("header");
    cast.set_time(Some(0.0));
    let mut app = start(w, h);
    // A fixed viewport of the cast's size: no real terminal is asked.
    let backend = CrosstermBackend::new(CastTee::new(std::io::sink(), Some(cast.clone())));
    let viewport = Viewport::Fixed(ratatui::layout::Rect::new(0, 0, w, h));
    let mut term = Terminal::with_options(backend, TerminalOptions { viewport }).expect("terminal");
    // Start on a clear screen, as `--record` does.
    term.backend_mut().clear().expect("clear");
    term.backend_mut().flush().expect("flush");
    term.draw(|f| cairn_tui::view::render(f, &app.state, &app.styles)).expect("draw");
    let mut t = 0.5;
    for key in keys {
        t += 0.8;
        cast.set_time(Some(t));
        if let Some(size) = key.strip_prefix('=') {
            cast.event("r", size);
            let (w, h) = parse_size(size);
            act(&mut app, Action::Resize(w, h));
            term.resize(ratatui::layout::Rect::new(0, 0, w, h)).expect("resize");
        } else {
            cast.event("i", key);
            press(&mut app, key);
        }
        cast.set_time(Some(t + 0.05));
        term.draw(|f| cairn_tui::view::render(f, &app.state, &app.styles)).expect("draw");
    }
    cast.set_time(Some(t + 2.0));
    cast.event("o", "");
}

fn casts() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(casts_dir())
        .expect("recordings/tui")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cast"))
        .collect();
    v.sort();
    v
}

#[test]
fn casts_replay_to_their_snapshots() {
    if std::env::var("RECORDINGS").as_deref() == Ok("overwrite") {
        for (name, w, h, keys) in SCRIPTS {
            record(name, *w, *h, keys);
        }
    }
    let files = casts();
    assert!(files.len() >= 2, "recordings/tui holds {} casts", files.len());
    for path in files {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name").to_string();
        let text = std::fs::read_to_string(&path).expect("read");
        let cast = parse_cast(&text).unwrap_or_else(|e| panic!("{name}.cast: {e}"));
        assert!(cast.header.timestamp.is_some(), "{name}.cast: no timestamp");
        assert!(cast.header.term.is_some(), "{name}.cast: no env.TERM");
        for (_, kind, data) in &cast.events {
            assert!(["o", "i", "r", "m"].contains(&kind.as_str()), "{name}.cast: event kind {kind:?}");
            if kind == "i" {
                parse_key(data).unwrap_or_else(|e| panic!("{name}.cast: {e}"));
            }
        }
        assert!(cast.events.iter().any(|e| e.1 == "i"), "{name}.cast: no input");
        assert!(cast.events.iter().any(|e| e.1 == "o" && !e.2.is_empty()), "{name}.cast: no output");
        let app = replay(&cast);
        let t = draw(&app.state, &app.styles);
        settings().bind(|| insta::assert_snapshot!(format!("cast-{name}"), t.backend()));
    }
}

#[test]
fn every_script_has_its_cast() {
    for (name, ..) in SCRIPTS {
        assert!(casts_dir().join(format!("{name}.cast")).is_file(), "recordings/tui/{name}.cast is missing");
    }
}
