//! Reducer tests of the restore browser: state + action → state + effects.
//! The director's replies are the bvfs fixtures captured from a real
//! director (`tests/fixtures/restore/`, see the README there): client
//! `bareos-fd`, JobId 1 (Full) and JobId 2 (Incremental) of `/srv/share`.

use std::collections::VecDeque;

use chrono::{NaiveDate, NaiveDateTime};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use crate::action::{Action, Effect, Link, LinkState, Query, QueryError, Screen};
use crate::browser::{Field, MarkState, Phase, Point, RQuery, Replace, Selection, Submit};
use crate::keymap::{Cmd, Keymap};
use crate::state::State;
use crate::update::update;

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(5, 50, 0)).expect("time")
}

/// The fixture of a command: `tests/fixtures/restore/<command>.json`, the
/// command without its leading dot and with blanks as underscores.
fn fixture(cmd: &str) -> Option<Value> {
    let name = cmd.strip_prefix('.').unwrap_or(cmd).replace(' ', "_");
    let path = format!("{}/tests/fixtures/restore/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Answers every restore query that has a fixture, breadth first. Returns
/// the restore commands sent, in order, and the effects left unanswered.
fn serve(s: &mut State, fx: Vec<Effect>) -> (Vec<String>, Vec<Effect>) {
    let mut queue: VecDeque<Effect> = fx.into();
    let (mut sent, mut rest) = (Vec::new(), Vec::new());
    while let Some(e) = queue.pop_front() {
        match e {
            Effect::Json(q @ Query::Restore(_)) => {
                let cmd = q.command();
                sent.push(cmd.clone());
                match fixture(&cmd) {
                    Some(v) => queue.extend(update(s, Action::Json { query: q, result: Ok(v) })),
                    None => rest.push(Effect::Json(q)),
                }
            }
            other => rest.push(other),
        }
    }
    (sent, rest)
}

fn restore_cmds(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Json(q @ Query::Restore(_)) => Some(q.command()),
            _ => None,
        })
        .collect()
}

fn cmd(s: &mut State, c: Cmd) -> Vec<Effect> {
    update(s, Action::Cmd(c))
}

fn key(s: &mut State, c: KeyCode) -> Vec<Effect> {
    update(s, Action::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

/// Connected, 80x24, on the restore screen with `.clients` answered.
fn on_screen() -> State {
    let mut s = State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), t0());
    s.restore.tag = 7;
    s.restore.utc_offset = 0;
    update(&mut s, Action::Resize(80, 24));
    update(&mut s, Action::Link { link: Link::Json, state: LinkState::Connected { banner: "1000 OK".into() } });
    let fx = cmd(&mut s, Cmd::Screen(Screen::Restore));
    assert!(restore_cmds(&fx).contains(&".clients".to_string()), "{fx:?}");
    serve(&mut s, fx);
    s
}

/// Browsing the most recent state of bareos-fd, at `/srv/share/`.
fn browsing() -> State {
    let mut s = on_screen();
    let fx = cmd(&mut s, Cmd::Open);
    serve(&mut s, fx);
    let fx = cmd(&mut s, Cmd::Open);
    serve(&mut s, fx);
    s
}

fn names(s: &State) -> Vec<String> {
    s.restore.listing().map(|l| l.dirs.iter().chain(&l.files).map(|e| e.name.clone()).collect()).unwrap_or_default()
}

fn cwd_path(s: &State) -> String {
    s.restore.listing().map(|l| l.path.clone()).unwrap_or_default()
}

/// Put the cursor on the entry called `name`.
fn select(s: &mut State, name: &str) {
    let i = names(s).iter().position(|n| n == name).unwrap_or_else(|| panic!("no {name} in {:?}", names(s)));
    let h = crate::layout::list_height_of(s, Screen::Restore);
    let len = names(s).len();
    let cwd = s.restore.cwd.expect("cwd");
    s.restore.cursors.entry(cwd).or_default().select(i, len, h);
}

fn open(s: &mut State, name: &str) -> Vec<String> {
    select(s, name);
    let fx = cmd(s, Cmd::Open);
    serve(s, fx).0
}

fn mark(s: &mut State, name: &str) {
    select(s, name);
    let fx = cmd(s, Cmd::Mark);
    serve(s, fx);
}

fn state_of(s: &State, name: &str) -> MarkState {
    let l = s.restore.listing().expect("listing");
    let e = l.dirs.iter().chain(&l.files).find(|e| e.name == name).expect("entry");
    s.restore.marks.state(e)
}

fn summary(s: &State) -> (u64, u64, usize, bool) {
    let m = s.restore.summary;
    (m.files, m.bytes, m.dirs, m.exact())
}

#[test]
fn from_client_to_the_tree() {
    let mut s = on_screen();
    assert_eq!(s.restore.clients, Some(vec!["bareos-fd".to_string()]));
    let fx = cmd(&mut s, Cmd::Open);
    assert_eq!(restore_cmds(&fx), vec!["list backups client=bareos-fd jobstatus=T,W order=desc limit=100"]);
    serve(&mut s, fx);
    assert_eq!(s.restore.phase, Phase::Point);
    assert_eq!(s.restore.point_rows(), 3, "most recent + two backups");
    // "Most recent": the chain of the newest backup, every FileSet; the
    // cache is built, the top listed, and the directories above the saved
    // tree (`/`, `/srv/`) are gone down on the way.
    let fx = cmd(&mut s, Cmd::Open);
    assert_eq!(s.restore.phase, Phase::Loading(crate::browser::Loading::Jobids));
    let (sent, rest) = serve(&mut s, fx);
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(
        sent,
        vec![
            ".bvfs_get_jobids jobid=2 all",
            ".bvfs_update jobid=1,2",
            ".bvfs_lsdirs jobid=1,2 path= limit=100 offset=0",
            ".bvfs_lsfiles jobid=1,2 pathid=12 limit=100 offset=0",
            ".bvfs_lsdirs jobid=1,2 pathid=13 limit=100 offset=0",
            ".bvfs_lsfiles jobid=1,2 pathid=13 limit=100 offset=0",
            ".bvfs_lsdirs jobid=1,2 pathid=14 limit=100 offset=0",
            ".bvfs_lsfiles jobid=1,2 pathid=14 limit=100 offset=0",
            ".bvfs_lsdirs jobid=1,2 pathid=1 limit=100 offset=0",
            ".bvfs_lsfiles jobid=1,2 pathid=1 limit=100 offset=0",
        ]
    );
    assert_eq!(s.restore.phase, Phase::Browse);
    assert_eq!(s.restore.point, Some(Point::MostRecent(2)));
    assert_eq!(s.restore.jobids, vec![1, 2]);
    assert_eq!(cwd_path(&s), "/srv/share/");
    assert_eq!(names(&s), vec!["docs/", "photos/", "projects/", "scans and notes/", "README.txt"]);
    // Up goes back through the directories passed on the way (no bounce).
    let fx = cmd(&mut s, Cmd::Parent);
    assert!(restore_cmds(&fx).is_empty(), "cached");
    assert_eq!(cwd_path(&s), "/srv/");
    assert_eq!(s.restore.selected().map(|e| e.name.as_str()), Some("share/"));
    cmd(&mut s, Cmd::Parent);
    cmd(&mut s, Cmd::Parent);
    assert_eq!(cwd_path(&s), "");
    assert_eq!(names(&s), vec!["/"]);
    cmd(&mut s, Cmd::Parent);
    assert_eq!(cwd_path(&s), "", "the top has no parent");
}

#[test]
fn the_cache_is_built_once_per_jobid_list() {
    let mut s = browsing();
    // Back to the point list, then JobId 2 itself: same JobIds, no update.
    cmd(&mut s, Cmd::Back);
    assert_eq!(s.restore.phase, Phase::Point);
    cmd(&mut s, Cmd::Down);
    let fx = cmd(&mut s, Cmd::Open);
    let (sent, _) = serve(&mut s, fx);
    assert_eq!(sent[0], ".bvfs_get_jobids jobid=2");
    assert_eq!(sent[1], ".bvfs_lsdirs jobid=1,2 path= limit=100 offset=0");
    assert!(!sent.iter().any(|c| c.starts_with(".bvfs_update")), "{sent:?}");
    assert_eq!(s.restore.point, Some(Point::Job(2)));
    assert_eq!(cwd_path(&s), "/srv/share/");
    // The same point again resumes browsing (marks kept).
    mark(&mut s, "README.txt");
    cmd(&mut s, Cmd::Back);
    let fx = cmd(&mut s, Cmd::Open);
    assert!(restore_cmds(&fx).is_empty(), "{fx:?}");
    assert_eq!(s.restore.phase, Phase::Browse);
    assert_eq!(s.restore.summary.files, 1);
}

#[test]
fn mark_a_directory_unmark_a_child_and_re_mark() {
    let mut s = browsing();
    // docs/ is not listed yet: one directory, counts are a lower bound.
    mark(&mut s, "docs/");
    assert_eq!(state_of(&s, "docs/"), MarkState::Marked);
    assert_eq!(summary(&s), (0, 0, 1, false));
    // Listing it counts its files; manuals/ below is still unlisted.
    open(&mut s, "docs/");
    assert_eq!(names(&s), vec![
        "manuals/",
        "budget-2026.ods",
        "minutes-2026-10.md",
        "minutes-2026-11.md",
        "minutes-2026-12.md"
    ]);
    assert_eq!(summary(&s), (4, 48211 + 6120 + 7947 + 3311, 1, false));
    assert!(names(&s).iter().all(|n| state_of(&s, n) == MarkState::Marked));
    open(&mut s, "manuals/");
    let all = 48211 + 6120 + 7947 + 3311 + 812_344 + 1_204_551;
    assert_eq!(summary(&s), (6, all, 1, true), "everything below is listed: exact");
    cmd(&mut s, Cmd::Parent);
    // Unmark one file inside the marked directory.
    mark(&mut s, "minutes-2026-10.md");
    assert_eq!(state_of(&s, "minutes-2026-10.md"), MarkState::Unmarked);
    assert_eq!(state_of(&s, "minutes-2026-11.md"), MarkState::Marked);
    assert_eq!(summary(&s), (5, all - 6120, 1, true));
    cmd(&mut s, Cmd::Parent);
    assert_eq!(state_of(&s, "docs/"), MarkState::Partial);
    // What goes to .bvfs_restore: docs/ expanded (its own record 271, the
    // files but one), manuals/ whole.
    assert_eq!(
        s.restore.marks.plan(&s.restore.listings),
        Ok(Selection { fileids: vec![2, 269, 270, 271], dirids: vec![3], hardlinks: vec![] })
    );
    // Re-mark the file: the directory is whole again.
    open(&mut s, "docs/");
    mark(&mut s, "minutes-2026-10.md");
    assert_eq!(summary(&s), (6, all, 1, true));
    cmd(&mut s, Cmd::Parent);
    assert_eq!(state_of(&s, "docs/"), MarkState::Marked);
    assert_eq!(
        s.restore.marks.plan(&s.restore.listings),
        Ok(Selection { dirids: vec![2], ..Default::default() })
    );
    // Unmark a sub-directory, then space on the (partial) directory unmarks all.
    open(&mut s, "docs/");
    mark(&mut s, "manuals/");
    assert_eq!(summary(&s), (4, 48211 + 6120 + 7947 + 3311, 1, true));
    cmd(&mut s, Cmd::Parent);
    mark(&mut s, "docs/");
    assert_eq!(state_of(&s, "docs/"), MarkState::Unmarked);
    assert!(s.restore.marks.is_empty());
    assert_eq!(summary(&s), (0, 0, 0, true));
    // Marking moves the cursor on, to mark several in a row.
    select(&mut s, "photos/");
    cmd(&mut s, Cmd::Mark);
    assert_eq!(s.restore.selected().map(|e| e.name.as_str()), Some("projects/"));
}

#[test]
fn large_directories_are_paged_as_the_cursor_moves() {
    let mut s = browsing();
    open(&mut s, "photos/");
    let sent = open(&mut s, "2025/");
    assert_eq!(
        sent,
        vec![".bvfs_lsdirs jobid=1,2 pathid=4 limit=100 offset=0", ".bvfs_lsfiles jobid=1,2 pathid=4 limit=100 offset=0"]
    );
    let l = s.restore.listing().expect("listing");
    assert_eq!((l.len(), l.complete()), (100, false));
    // Moving within the first screens asks for nothing more.
    let fx = cmd(&mut s, Cmd::PageDown);
    assert!(restore_cmds(&fx).is_empty(), "{fx:?}");
    // Two screens before the end of what is loaded: the next page.
    let h = crate::layout::list_height_of(&s, Screen::Restore);
    let mut asked = Vec::new();
    for _ in 0..(100 - 2 * h) {
        asked.extend(restore_cmds(&cmd(&mut s, Cmd::Down)));
    }
    assert_eq!(asked, vec![".bvfs_lsfiles jobid=1,2 pathid=4 limit=100 offset=100"]);
    // In flight: moving on does not ask twice.
    assert!(restore_cmds(&cmd(&mut s, Cmd::Down)).is_empty());
    let q = Query::Restore(RQuery::LsFiles { jobids: vec![1, 2], pathid: 4, limit: 100, offset: 100 });
    let v = fixture(&q.command()).expect("fixture");
    update(&mut s, Action::Json { query: q, result: Ok(v) });
    assert_eq!(s.restore.listing().map(|l| l.len()), Some(200));
    // The end: the last page (40 rows) completes the listing.
    let fx = cmd(&mut s, Cmd::Bottom);
    assert_eq!(restore_cmds(&fx), vec![".bvfs_lsfiles jobid=1,2 pathid=4 limit=100 offset=200"]);
    serve(&mut s, fx);
    let l = s.restore.listing().expect("listing");
    assert_eq!((l.len(), l.complete()), (240, true));
    assert_eq!(s.restore.selected().map(|e| e.name.as_str()), Some("IMG_0200.jpg"), "the bottom when G was pressed");
    assert!(restore_cmds(&cmd(&mut s, Cmd::Bottom)).is_empty());
    assert_eq!(s.restore.selected().map(|e| e.name.as_str()), Some("IMG_0240.jpg"));
}

/// Fills the form's restore job and its defaults.
fn open_form(s: &mut State) {
    let fx = cmd(s, Cmd::Done);
    let (sent, _) = serve(s, fx);
    assert_eq!(sent, vec![".jobs type=R", ".defaults job=RestoreFiles"]);
    let f = s.restore.form.as_ref().expect("form");
    assert_eq!(f.where_.text, "/tmp/bh/var/restores", "the restore job's Where");
    assert_eq!(f.replace, Replace::Always);
    assert!(s.typing());
}

#[test]
fn done_stores_the_selection_starts_the_restore_and_follows_it() {
    let mut s = browsing();
    mark(&mut s, "docs/");
    open(&mut s, "docs/");
    mark(&mut s, "minutes-2026-10.md");
    open_form(&mut s);
    // Edit the form: replace, then where.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Right);
    assert_eq!(s.restore.form.as_ref().map(|f| (f.field, f.replace)), Some((Field::Replace, Replace::IfNewer)));
    key(&mut s, KeyCode::BackTab);
    for _ in 0.."restores".len() {
        key(&mut s, KeyCode::Backspace);
    }
    for c in "tui test".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    // `q` was text, not quit.
    assert!(!s.quit);
    let fx = key(&mut s, KeyCode::Enter);
    let handle = "b2179584500000071";
    assert_eq!(
        restore_cmds(&fx),
        vec![format!(".bvfs_restore path={handle} jobid=1,2 fileid=2,269,270,271 dirid=3")]
    );
    assert_eq!(s.restore.form.as_ref().and_then(|f| f.submit.clone()), Some(Submit::Storing(handle.into())));
    // Keys wait for the director meanwhile.
    key(&mut s, KeyCode::Esc);
    assert!(s.restore.form.is_some());
    let q = |rq: RQuery| Query::Restore(rq);
    let sel = Selection { fileids: vec![2, 269, 270, 271], dirids: vec![3], hardlinks: vec![] };
    let fx = update(
        &mut s,
        Action::Json {
            query: q(RQuery::BvfsRestore { handle: handle.into(), jobids: vec![1, 2], sel }),
            result: Ok(json!({})),
        },
    );
    assert_eq!(
        restore_cmds(&fx),
        vec![format!(
            "restore client=bareos-fd restorejob=RestoreFiles file=?{handle} where=\"/tmp/bh/var/tui test\" replace=ifnewer yes"
        )]
    );
    let restore = RQuery::Restore {
        client: "bareos-fd".into(),
        job: "RestoreFiles".into(),
        handle: handle.into(),
        where_: "/tmp/bh/var/tui test".into(),
        replace: Replace::IfNewer,
    };
    let fx = update(&mut s, Action::Json { query: q(restore), result: Ok(json!({"run": {"jobid": "3"}})) });
    // The table is dropped, the job log follows JobId 3 (the status poll
    // of the connection is still in flight in this test, so not asked twice).
    assert_eq!(
        fx,
        vec![
            Effect::Json(q(RQuery::Cleanup(handle.into()))),
            Effect::Json(Query::ListJobs),
            Effect::Json(Query::JobLog(3)),
        ]
    );
    assert_eq!(s.screen, Screen::JobLog);
    assert_eq!(s.log.jobid, Some(3));
    assert!(s.log.follow && s.log.active);
    assert!(s.restore.form.is_none() && s.restore.marks.is_empty());
    assert_eq!(s.message.as_ref().map(|m| m.text.as_str()), Some("Restore queued: JobId 3"));
    // Another restore gets another handle.
    assert_eq!(s.restore.next_handle(t0()), "b2179584500000072");
}

#[test]
fn exclusions_in_a_partly_listed_directory_are_resolved_before_sending() {
    let mut s = browsing();
    mark(&mut s, "photos/");
    open(&mut s, "photos/");
    open(&mut s, "2025/");
    assert_eq!(s.restore.listing().map(|l| l.len()), Some(100));
    mark(&mut s, "IMG_0001.jpg");
    assert_eq!(summary(&s).3, false, "140 files not listed yet");
    open_form(&mut s);
    // The rest of 2025/ is needed to send every file but one: one big page.
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(restore_cmds(&fx), vec![".bvfs_lsfiles jobid=1,2 pathid=4 limit=1000 offset=100"]);
    assert_eq!(s.restore.form.as_ref().and_then(|f| f.submit.clone()), Some(Submit::Resolving));
    let (sent, rest) = serve(&mut s, fx);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let Some(Effect::Json(Query::Restore(RQuery::BvfsRestore { sel, .. }))) = rest.first() else {
        panic!("{rest:?}")
    };
    // photos/ (251) and 2025/ (249) themselves, cover.png, 239 pictures.
    assert_eq!(sel.fileids.len(), 242);
    assert!(sel.fileids.contains(&251) && sel.fileids.contains(&249) && sel.fileids.contains(&250));
    assert!(sel.dirids.is_empty());
    let excluded = s.restore.listing().and_then(|l| l.files.first()).map(|e| e.fileid).expect("IMG_0001");
    assert!(!sel.fileids.contains(&excluded));
    assert_eq!(summary(&s), (240, summary(&s).1, 1, true));
}

#[test]
fn a_version_is_picked_from_the_versions_list() {
    let mut s = browsing();
    open(&mut s, "docs/");
    select(&mut s, "minutes-2026-11.md");
    let fx = cmd(&mut s, Cmd::Versions);
    assert_eq!(
        restore_cmds(&fx),
        vec![".bvfs_versions jobid=1,2 client=bareos-fd pathid=2 fname=minutes-2026-11.md"]
    );
    serve(&mut s, fx);
    let v = s.restore.versions.as_ref().expect("versions");
    let rows = v.rows.as_ref().expect("rows");
    assert_eq!(rows.iter().map(|r| r.jobid).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(v.cursor.selected, 0, "on the version shown (the newest)");
    cmd(&mut s, Cmd::Down);
    cmd(&mut s, Cmd::Open);
    assert!(s.restore.versions.is_none());
    assert_eq!(s.restore.marks.pinned_job("/srv/share/docs/minutes-2026-11.md"), Some(1));
    assert_eq!(summary(&s), (1, 7033, 0, true));
    assert_eq!(s.restore.marks.plan(&s.restore.listings), Ok(Selection { fileids: vec![7], ..Default::default() }));
    // Enter on a file opens its versions too; Esc closes.
    let fx = cmd(&mut s, Cmd::Open);
    assert_eq!(restore_cmds(&fx).len(), 1);
    cmd(&mut s, Cmd::Back);
    assert!(s.restore.versions.is_none());
}

#[test]
fn failures_are_shown_and_cleaned_up() {
    let mut s = browsing();
    // Nothing marked: no form.
    cmd(&mut s, Cmd::Done);
    assert!(s.restore.form.is_none());
    assert!(s.message.as_ref().is_some_and(|m| m.error));
    mark(&mut s, "README.txt");
    open_form(&mut s);
    let fx = key(&mut s, KeyCode::Enter);
    let Some(Effect::Json(Query::Restore(RQuery::BvfsRestore { handle, jobids, sel }))) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    assert_eq!(sel, Selection { fileids: vec![1], ..Default::default() });
    let fx = update(
        &mut s,
        Action::Json {
            query: Query::Restore(RQuery::BvfsRestore { handle: handle.clone(), jobids, sel }),
            result: Ok(json!({})),
        },
    );
    let Some(Effect::Json(restore)) = fx.first().cloned() else { panic!("{fx:?}") };
    let fx = update(
        &mut s,
        Action::Json { query: restore, result: Err(QueryError::Failed("No files selected to be restored.".into())) },
    );
    assert_eq!(restore_cmds(&fx), vec![format!(".bvfs_cleanup path={handle}")]);
    let f = s.restore.form.as_ref().expect("the form stays");
    assert!(f.submit.is_none());
    assert!(f.error.as_deref().is_some_and(|e| e.contains("No files selected")), "{:?}", f.error);
    assert_eq!(s.screen, Screen::Restore);
    key(&mut s, KeyCode::Esc);
    assert!(s.restore.form.is_none());
    assert_eq!(s.restore.summary.files, 1, "marks are kept");
}

#[test]
fn step_errors_go_back_and_lost_links_retry() {
    let mut s = on_screen();
    let fx = cmd(&mut s, Cmd::Open);
    serve(&mut s, fx);
    let fx = cmd(&mut s, Cmd::Open);
    let q = Query::Restore(RQuery::GetJobids { jobid: 2, all: true });
    assert_eq!(fx, vec![Effect::Json(q.clone())]);
    // A lost link: the poll asks again once connected.
    update(&mut s, Action::Json { query: q.clone(), result: Err(QueryError::Disconnected("gone".into())) });
    assert!(s.restore.error.is_none());
    let fx = update(&mut s, Action::Tick(t0() + chrono::TimeDelta::seconds(2)));
    assert!(fx.contains(&Effect::Json(q.clone())), "{fx:?}");
    // The director refuses: the error is shown, back at the point list.
    update(&mut s, Action::Json { query: q, result: Err(QueryError::Failed("Unauthorized command".into())) });
    assert_eq!(s.restore.phase, Phase::Point);
    assert!(s.restore.error.as_deref().is_some_and(|e| e.contains("Unauthorized")));
    // Trying again clears it.
    let fx = cmd(&mut s, Cmd::Open);
    assert!(s.restore.error.is_none());
    assert_eq!(restore_cmds(&fx), vec![".bvfs_get_jobids jobid=2 all"]);
    // A reply for an abandoned step is ignored.
    cmd(&mut s, Cmd::Back);
    update(
        &mut s,
        Action::Json {
            query: Query::Restore(RQuery::GetJobids { jobid: 2, all: true }),
            result: Ok(json!({"jobids": [{"id": "1"}, {"id": "2"}]})),
        },
    );
    assert_eq!(s.restore.phase, Phase::Point);
    assert!(s.restore.jobids.is_empty());
}

#[test]
fn mouse_and_keys_on_the_lists() {
    let mut s = on_screen();
    // Keymap: 6 is the restore screen, Space marks, Backspace goes up.
    let mut s2 = State::new("d", "a", Keymap::builtin().expect("keymap"), t0());
    update(&mut s2, Action::Key(KeyEvent::new(KeyCode::Char('6'), KeyModifiers::NONE)));
    assert_eq!(s2.screen, Screen::Restore);
    let fx = key(&mut s, KeyCode::Enter);
    serve(&mut s, fx);
    let fx = key(&mut s, KeyCode::Enter);
    serve(&mut s, fx);
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(state_of(&s, "docs/"), MarkState::Marked);
    key(&mut s, KeyCode::Backspace);
    assert_eq!(cwd_path(&s), "/srv/");
    // A click on the second row of /srv/share/ selects photos/.
    key(&mut s, KeyCode::Enter);
    let rows = crate::layout::table_rows(crate::layout::restore(crate::layout::chrome(crate::layout::screen_area(&s)).body).list);
    let click = ratatui::crossterm::event::MouseEvent {
        kind: ratatui::crossterm::event::MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
        column: rows.x + 5,
        row: rows.y + 1,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut s, Action::Mouse(click));
    assert_eq!(s.restore.selected().map(|e| e.name.as_str()), Some("photos/"));
}
