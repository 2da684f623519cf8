//! Fixtures and state builders shared by the snapshot tests.

use cairn_tui::action::{Action, ConsoleReply, Link, LinkState, Query, Screen};
use cairn_tui::keymap::{Cmd, Keymap};
use cairn_tui::state::State;
use cairn_tui::theme::Styles;
use cairn_tui::update::update;
use cairn_tui::view;
use chrono::{NaiveDate, NaiveDateTime};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;

pub fn fixture_text(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(&format!("{name}.json"))).expect("fixture JSON")
}

/// The moment the fixtures were captured (a second after `status director`).
pub fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(5, 25, 21)).expect("time")
}

pub fn reply(s: &mut State, q: Query, name: &str) {
    update(s, Action::Json { query: q, result: Ok(fixture(name)) });
}

pub fn cmd(s: &mut State, c: Cmd) {
    update(s, Action::Cmd(c));
}

/// A connected state of the given size with the dashboard's fixtures loaded.
pub fn base(w: u16, h: u16) -> State {
    let mut s = State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), now());
    update(&mut s, Action::Resize(w, h));
    update(&mut s, Action::Link { link: Link::Json, state: LinkState::Connected { banner: String::new() } });
    update(
        &mut s,
        Action::Link {
            link: Link::Console,
            state: LinkState::Connected {
                banner:
                    "1000 OK: bareos-dir Version: 25.1.1 (04 March 2026)\nYou are connected using the default console"
                        .into(),
            },
        },
    );
    reply(&mut s, Query::StatusDirector, "status-director-running");
    reply(&mut s, Query::ListJobs, "list-jobs-running");
    reply(&mut s, Query::ListVolumes, "llist-volumes-all");
    s
}

pub fn dashboard(w: u16, h: u16) -> State {
    base(w, h)
}

/// Jobs screen, JobId 5 selected with its details.
pub fn jobs(w: u16, h: u16) -> State {
    let mut s = base(w, h);
    cmd(&mut s, Cmd::Screen(Screen::Jobs));
    for _ in 0..4 {
        cmd(&mut s, Cmd::Down);
    }
    reply(&mut s, Query::JobDetail(5), "llist-jobid-5");
    s
}

pub fn scheduler(w: u16, h: u16) -> State {
    let mut s = base(w, h);
    cmd(&mut s, Cmd::Screen(Screen::Scheduler));
    reply(&mut s, Query::Scheduler(7), "status-scheduler-7");
    s
}

/// The log of JobId 5 (it has an error line), scrolled to the end.
pub fn joblog(w: u16, h: u16) -> State {
    let mut s = jobs(w, h);
    cmd(&mut s, Cmd::ShowLog);
    reply(&mut s, Query::JobLog(5), "list-joblog-5");
    s
}

/// The same log with a search for "stat" (the error line highlighted).
pub fn joblog_search(w: u16, h: u16) -> State {
    let mut s = joblog(w, h);
    cmd(&mut s, Cmd::Top);
    s.log.search.query = "stat".into();
    cmd(&mut s, Cmd::SearchNext);
    s
}

pub fn console(w: u16, h: u16) -> State {
    let mut s = base(w, h);
    cmd(&mut s, Cmd::Screen(Screen::Console));
    for c in "list jobs".chars() {
        update(
            &mut s,
            Action::Key(ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Char(c))),
        );
    }
    update(&mut s, Action::Key(ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Enter)));
    let text = fixture_text("console-list-jobs.txt");
    // The capture starts with the echoed command; the pane echoes it itself.
    let text = text.strip_prefix("list jobs\n").unwrap_or(&text).to_string();
    update(&mut s, Action::ConsoleReply(Ok(ConsoleReply { text, sub_prompt: false, in_tree: false })));
    for c in "status dir".chars() {
        update(
            &mut s,
            Action::Key(ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Char(c))),
        );
    }
    s
}

/// The console line `status dir` after Tab (the completion data loaded):
/// `dir=` offered first, the candidates in the message line.
pub fn console_tab(w: u16, h: u16) -> State {
    let mut s = console(w, h);
    let tab = || Action::Key(ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Tab));
    update(&mut s, tab());
    reply(&mut s, Query::Complete(".help".into()), "dot-help");
    reply(&mut s, Query::Complete(".jobs".into()), "dot-jobs");
    update(&mut s, tab());
    s
}

pub fn help(w: u16, h: u16) -> State {
    let mut s = jobs(w, h);
    cmd(&mut s, Cmd::Help);
    s
}

pub fn run_dialog(w: u16, h: u16) -> State {
    let mut s = jobs(w, h);
    cmd(&mut s, Cmd::RunJob);
    reply(&mut s, Query::JobNames, "dot-jobs");
    // The picker starts on the selected job (backup-web); one up is backup-usr.
    cmd(&mut s, Cmd::Up);
    cmd(&mut s, Cmd::Confirm);
    reply(&mut s, Query::JobDefaults("backup-usr".into()), "defaults-backup-usr");
    s
}

/// Never connected: the director refuses.
pub fn lost(w: u16, h: u16) -> State {
    let mut s = State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), now());
    update(&mut s, Action::Resize(w, h));
    update(
        &mut s,
        Action::Link {
            link: Link::Json,
            state: LinkState::Lost { error: "connection refused".into(), retry_in: std::time::Duration::from_secs(4) },
        },
    );
    s
}

pub fn draw(state: &State, styles: &Styles) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(state.size.0, state.size.1)).expect("terminal");
    t.draw(|f| view::render(f, state, styles)).expect("draw");
    t
}

/// insta settings: snapshots in `tests/screens/snapshots/`, named by test.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("snapshots");
    s.set_omit_expression(true);
    s
}
