//! The restore browser (screen 6) from the bvfs fixtures in
//! `fixtures/restore/` (captured from a real director: client `bareos-fd`,
//! a Full and an Incremental of `/srv/share`): text snapshots at 80x24 and
//! 120x40 of each step, and robustness at odd sizes.

use std::collections::VecDeque;

use cairn_tui::action::{Action, Effect, Query, Screen};
use cairn_tui::keymap::Cmd;
use cairn_tui::state::State;
use cairn_tui::theme::Styles;
use cairn_tui::update::update;
use chrono::NaiveDate;
use serde_json::Value;

use crate::support::{base, draw, settings};

/// `fixtures/restore/<command>.json`: the command without its leading dot,
/// blanks as underscores.
fn fixture(cmd: &str) -> Option<Value> {
    let name = cmd.strip_prefix('.').unwrap_or(cmd).replace(' ', "_");
    let path = format!("{}/tests/fixtures/restore/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Answer the restore queries that have a fixture (breadth first); `stop`
/// leaves the queries whose command starts with it unanswered.
fn serve_until(s: &mut State, fx: Vec<Effect>, stop: Option<&str>) {
    let mut queue: VecDeque<Effect> = fx.into();
    while let Some(e) = queue.pop_front() {
        if let Effect::Json(q @ Query::Restore(_)) = e {
            let c = q.command();
            if stop.is_some_and(|p| c.starts_with(p)) {
                continue;
            }
            if let Some(v) = fixture(&c) {
                queue.extend(update(s, Action::Json { query: q, result: Ok(v) }));
            }
        }
    }
}

fn serve(s: &mut State, fx: Vec<Effect>) {
    serve_until(s, fx, None);
}

fn run(s: &mut State, c: Cmd) {
    let fx = update(s, Action::Cmd(c));
    serve(s, fx);
}

fn select(s: &mut State, name: &str) {
    let l = s.restore.listing().expect("listing");
    let names: Vec<&str> = l.dirs.iter().chain(&l.files).map(|e| e.name.as_str()).collect();
    let i = names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no {name} in {names:?}"));
    let len = names.len();
    let h = cairn_tui::layout::list_height_of(s, Screen::Restore);
    let cwd = s.restore.cwd.expect("cwd");
    s.restore.cursors.entry(cwd).or_default().select(i, len, h);
}

/// The restore screen with `.clients` answered, the clock at the capture.
fn screen(w: u16, h: u16) -> State {
    let mut s = base(w, h);
    s.now = NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(5, 50, 0)).expect("time");
    s.restore.tag = 7;
    s.restore.utc_offset = 0;
    run(&mut s, Cmd::Screen(Screen::Restore));
    s
}

/// The point-in-time list of bareos-fd.
fn points(w: u16, h: u16) -> State {
    let mut s = screen(w, h);
    run(&mut s, Cmd::Open);
    s
}

/// The JobIds known, the cache being built.
fn loading(w: u16, h: u16) -> State {
    let mut s = points(w, h);
    let fx = update(&mut s, Action::Cmd(Cmd::Open));
    serve_until(&mut s, fx, Some(".bvfs_update"));
    s
}

/// `/srv/share/docs/`: docs/ marked, one file in it unmarked again.
fn browse(w: u16, h: u16) -> State {
    let mut s = points(w, h);
    run(&mut s, Cmd::Open);
    select(&mut s, "docs/");
    run(&mut s, Cmd::Mark);
    select(&mut s, "docs/");
    run(&mut s, Cmd::Open);
    run(&mut s, Cmd::Open); // manuals/ (counted exactly once listed)
    run(&mut s, Cmd::Parent);
    select(&mut s, "minutes-2026-10.md");
    run(&mut s, Cmd::Mark);
    s
}

/// 240 pictures, the first page loaded, their directory marked.
fn paging(w: u16, h: u16) -> State {
    let mut s = points(w, h);
    run(&mut s, Cmd::Open);
    select(&mut s, "photos/");
    run(&mut s, Cmd::Mark);
    select(&mut s, "photos/");
    run(&mut s, Cmd::Open);
    run(&mut s, Cmd::Open);
    for _ in 0..3 {
        run(&mut s, Cmd::Down);
    }
    s
}

fn versions(w: u16, h: u16) -> State {
    let mut s = browse(w, h);
    select(&mut s, "minutes-2026-11.md");
    run(&mut s, Cmd::Versions);
    s
}

fn form(w: u16, h: u16) -> State {
    let mut s = browse(w, h);
    run(&mut s, Cmd::Done);
    s
}

type Builder = fn(u16, u16) -> State;

const SCREENS: &[(&str, Builder)] = &[
    ("restore-points", points),
    ("restore-loading", loading),
    ("restore-browse", browse),
    ("restore-paging", paging),
    ("restore-versions", versions),
    ("restore-form", form),
];

fn check(name: &str, build: Builder, w: u16, h: u16) {
    let state = build(w, h);
    let t = draw(&state, &Styles::dark());
    settings().bind(|| insta::assert_snapshot!(format!("{name}-{w}x{h}"), t.backend()));
}

#[test]
fn restore_screens_at_80x24() {
    for (name, build) in SCREENS {
        check(name, *build, 80, 24);
    }
}

#[test]
fn restore_screens_at_120x40() {
    for (name, build) in SCREENS {
        check(name, *build, 120, 40);
    }
}

#[test]
fn restore_screens_at_odd_sizes_do_not_panic() {
    for (_, build) in SCREENS {
        for (w, h) in [(1, 1), (0, 0), (2, 3), (20, 5), (40, 10), (300, 4), (10, 100)] {
            let state = build(w, h);
            let area = ratatui::layout::Rect::new(0, 0, w, h);
            let mut buf = ratatui::buffer::Buffer::empty(area);
            cairn_tui::view::draw(&mut buf, area, &state, &Styles::dark());
        }
    }
}
