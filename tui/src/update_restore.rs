//! The reducer of the restore browser (screen 6), a child of [`crate::update`]
//! (it uses the parent's helpers: `request`, `say`, `open_log`). The model —
//! listings, marks, the `.bvfs_restore` plan — is in [`crate::browser`].
//!
//! Flow: `.clients` → pick a client → `list backups client=X` → pick "most
//! recent" or one backup → `.bvfs_get_jobids` → `.bvfs_update` (once per JobId
//! list) → `.bvfs_lsdirs path=` (the top) → browse, with `.bvfs_lsdirs` /
//! `.bvfs_lsfiles` pages as the cursor nears the end of what is loaded →
//! `done` opens the form (`.jobs type=R`, `.defaults job=…` for Where and
//! Replace) → Enter: complete listings of the directories to expand, then
//! `.bvfs_restore path=b2…`, `restore … file=?b2… yes`, `.bvfs_cleanup`, and the
//! Job log screen follows the new job.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Position, Rect};
use serde_json::Value;

use super::{after_job_change, open_log, request, say};
use crate::action::{Effect, Query, QueryError, Screen};
use crate::browser::{
    self, DEFAULT_WHERE, DirRef, VERSION_ROWS, Entry, Field, Form, Listing, Loading, PAGE, Page, Phase, Point, RESOLVE_PAGE,
    RQuery, Replace, Submit, VersionsView,
};
use crate::keymap::Cmd;
use crate::layout;
use crate::model;
use crate::state::{InputOutcome, LineInput, ListCursor, State};

fn ask(state: &mut State, q: RQuery, fx: &mut Vec<Effect>) {
    request(state, Query::Restore(q), fx);
}

fn height(state: &State) -> usize {
    layout::list_height_of(state, Screen::Restore)
}

fn resummarize(state: &mut State) {
    let r = &mut state.restore;
    r.summary = r.marks.summary(&r.listings);
}

/// Is a page of directory `pathid` (`None`: the top, before its id is known) in flight?
fn page_pending(state: &State, pathid: Option<i64>) -> bool {
    state.pending.iter().any(|q| matches!(q, Query::Restore(rq) if rq.page_of() == Some(pathid)))
}

/// Ask for the next page of a listing (unless one is in flight or it is complete).
fn request_page(state: &mut State, pathid: i64, limit: u64, fx: &mut Vec<Effect>) {
    if page_pending(state, Some(pathid)) {
        return;
    }
    let r = &state.restore;
    let Some(next) = r.listings.get(&pathid).and_then(Listing::next_page) else { return };
    let jobids = r.jobids.clone();
    let q = match next {
        Page::Dirs { offset } => RQuery::LsDirs { jobids, dir: DirRef::Id(pathid), limit, offset },
        Page::Files { offset } => RQuery::LsFiles { jobids, pathid, limit, offset },
    };
    ask(state, q, fx);
}

/// Load the shown directory up to two screens past the cursor; go down
/// single-child directories above the saved tree on arrival.
fn ensure_loaded(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.connected() || state.restore.phase != Phase::Browse || state.restore.error.is_some() {
        return;
    }
    let h = height(state);
    let cur = state.restore.cursor();
    let Some(l) = state.restore.listing() else { return };
    let (pathid, len, complete) = (l.pathid, l.len(), l.complete());
    if !complete && len < cur.selected + 2 * h + 1 {
        request_page(state, pathid, PAGE, fx);
    }
    if state.restore.descending && complete {
        let next = state.restore.listing().and_then(|l| {
            let saved = l.own.as_ref().is_some_and(|o| o.fileid > 0);
            (!saved && l.files.is_empty() && l.dirs.len() == 1).then(|| l.dirs[0].clone())
        });
        match next {
            Some(child) => enter(state, &child, fx),
            None => state.restore.descending = false,
        }
    }
}

fn enter(state: &mut State, e: &Entry, fx: &mut Vec<Effect>) {
    let r = &mut state.restore;
    r.listings.entry(e.pathid).or_insert_with(|| Listing::new(e.pathid, &e.path));
    r.cwd = Some(e.pathid);
    r.cursors.entry(e.pathid).or_default();
    r.versions = None;
    state.dirty = true;
    ensure_loaded(state, fx);
}

fn go_up(state: &mut State, fx: &mut Vec<Effect>) {
    let r = &mut state.restore;
    r.descending = false;
    let Some(l) = r.listing() else { return };
    if Some(l.pathid) == r.root || l.path.is_empty() {
        return;
    }
    let (child, parent_path) = (l.pathid, browser::parent_path(&l.path));
    let parent = l.parent.or_else(|| r.listings.values().find(|x| x.path == parent_path).map(|x| x.pathid));
    let Some(parent) = parent else { return };
    r.listings.entry(parent).or_insert_with(|| Listing::new(parent, &parent_path));
    r.cwd = Some(parent);
    // Put the cursor on the directory we came from.
    let at = r.listings.get(&parent).and_then(|p| p.dirs.iter().position(|d| d.pathid == child));
    let h = height(state);
    let r = &mut state.restore;
    let len = r.listing().map_or(0, Listing::len);
    let c = r.cursors.entry(parent).or_default();
    if let Some(i) = at {
        c.select(i, len, h);
    }
    ensure_loaded(state, fx);
}

fn set_cursor(state: &mut State, f: impl FnOnce(&mut ListCursor, usize, usize)) {
    let h = height(state);
    let r = &mut state.restore;
    let Some(cwd) = r.cwd else { return };
    let len = r.listing().map_or(0, Listing::len);
    f(r.cursors.entry(cwd).or_default(), len, h);
}

/// Re-establish the cursors after a size or data change.
pub(super) fn reclamp(state: &mut State) {
    let h = height(state);
    let r = &mut state.restore;
    let n = r.clients.as_ref().map_or(0, Vec::len);
    r.client_cursor.clamp(n, h);
    let n = r.point_rows();
    r.point_cursor.clamp(n, h);
    if let Some(v) = r.versions.as_mut() {
        let n = v.rows.as_ref().map_or(0, Vec::len);
        v.cursor.clamp(n, VERSION_ROWS);
    }
    set_cursor(state, |c, len, h| c.clamp(len, h));
}

/// The screen's polls: whatever the current step still lacks.
pub(super) fn on_poll(state: &mut State, fx: &mut Vec<Effect>) {
    let r = &state.restore;
    if r.form.is_some() {
        match &r.restore_jobs {
            None => ask(state, RQuery::RestoreJobs, fx),
            Some(_) => {
                if let Some(job) = state.restore.restore_job().map(str::to_string)
                    && !state.restore.defaults.contains_key(&job)
                {
                    ask(state, RQuery::Defaults(job), fx);
                }
            }
        }
    }
    let r = &state.restore;
    if r.error.is_some() {
        return;
    }
    match r.phase {
        Phase::Clients if r.clients.is_none() => ask(state, RQuery::Clients, fx),
        Phase::Point if r.backups.is_none() => {
            if let Some(c) = r.client.clone() {
                ask(state, RQuery::Backups(c), fx);
            }
        }
        Phase::Loading(step) => reissue(state, step, fx),
        Phase::Browse => ensure_loaded(state, fx),
        _ => {}
    }
}

fn reissue(state: &mut State, step: Loading, fx: &mut Vec<Effect>) {
    let r = &state.restore;
    let q = match step {
        Loading::Jobids => match r.point {
            Some(p) => RQuery::GetJobids { jobid: p.jobid(), all: matches!(p, Point::MostRecent(_)) },
            None => return,
        },
        Loading::Update => RQuery::Update(r.jobids.clone()),
        Loading::Root => RQuery::LsDirs { jobids: r.jobids.clone(), dir: DirRef::Root, limit: PAGE, offset: 0 },
    };
    ask(state, q, fx);
}

/// Forget the tree (another client or point in time).
fn reset_tree(state: &mut State) {
    let r = &mut state.restore;
    r.jobids.clear();
    r.root = None;
    r.cwd = None;
    r.listings.clear();
    r.cursors.clear();
    r.marks.clear();
    r.versions = None;
    r.form = None;
    r.descending = false;
    resummarize(state);
}

fn choose_client(state: &mut State, fx: &mut Vec<Effect>) {
    let r = &mut state.restore;
    let Some(name) = r.clients.as_ref().and_then(|c| c.get(r.client_cursor.selected)).cloned() else { return };
    if r.client.as_deref() != Some(name.as_str()) {
        r.backups = None;
        r.point = None;
        r.point_cursor = ListCursor::default();
        reset_tree(state);
    }
    let r = &mut state.restore;
    r.client = Some(name.clone());
    r.phase = Phase::Point;
    if r.backups.is_none() {
        ask(state, RQuery::Backups(name), fx);
    }
}

fn choose_point(state: &mut State, fx: &mut Vec<Effect>) {
    let r = &state.restore;
    let Some(backups) = r.backups.as_ref() else { return };
    let i = r.point_cursor.selected;
    let point = match i {
        0 => backups.first().map(|b| Point::MostRecent(b.jobid)),
        _ => backups.get(i - 1).map(|b| Point::Job(b.jobid)),
    };
    let Some(point) = point else { return };
    if r.point == Some(point) && r.root.is_some() {
        // The same tree: carry on browsing (marks kept).
        state.restore.phase = Phase::Browse;
        ensure_loaded(state, fx);
        return;
    }
    reset_tree(state);
    state.restore.point = Some(point);
    state.restore.phase = Phase::Loading(Loading::Jobids);
    reissue(state, Loading::Jobids, fx);
}

fn back(state: &mut State) {
    let r = &mut state.restore;
    r.error = None;
    r.phase = match r.phase {
        Phase::Clients | Phase::Point => Phase::Clients,
        Phase::Loading(_) | Phase::Browse => Phase::Point,
    };
}

fn refresh(state: &mut State, fx: &mut Vec<Effect>) {
    let r = &mut state.restore;
    r.error = None;
    match r.phase {
        Phase::Clients => r.clients = None,
        Phase::Point => r.backups = None,
        Phase::Browse => {
            if let Some(l) = r.listing() {
                let fresh = Listing::new(l.pathid, &l.path);
                r.listings.insert(fresh.pathid, fresh);
            }
            resummarize(state);
        }
        Phase::Loading(_) => {}
    }
    on_poll(state, fx);
}

fn toggle_mark(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(e) = state.restore.selected().cloned() else { return };
    state.restore.marks.toggle(&e);
    resummarize(state);
    // On to the next row, to mark several in a row.
    set_cursor(state, |c, len, h| c.move_by(1, len, h));
    ensure_loaded(state, fx);
}

fn open_versions(state: &mut State, e: Entry, fx: &mut Vec<Effect>) {
    let Some(client) = state.restore.client.clone() else { return };
    let q = RQuery::Versions {
        jobids: state.restore.jobids.clone(),
        client,
        pathid: e.pathid,
        name: e.name.clone(),
    };
    state.restore.versions = Some(VersionsView { entry: e, rows: None, cursor: ListCursor::default() });
    ask(state, q, fx);
}

fn pin_version(state: &mut State) {
    let Some(v) = state.restore.versions.take() else { return };
    let Some(ver) = v.rows.as_ref().and_then(|rows| rows.get(v.cursor.selected)).cloned() else {
        state.restore.versions = Some(v);
        return;
    };
    state.restore.marks.pin(&v.entry, &ver);
    resummarize(state);
    say(state, format!("{} marked: the version of JobId {}", v.entry.name, ver.jobid), false);
}

fn open_form(state: &mut State, fx: &mut Vec<Effect>) {
    if state.restore.marks.is_empty() {
        say(state, "Nothing is marked: Space marks files and directories", true);
        return;
    }
    let job = 0;
    let (where_, replace) = form_defaults(state, job);
    state.restore.form = Some(Form {
        field: Field::Where,
        where_: LineInput::with_text(&where_),
        where_edited: false,
        replace,
        job,
        submit: None,
        error: None,
    });
    on_poll(state, fx);
}

/// Where and Replace of restore job number `job`, as far as known.
fn form_defaults(state: &State, job: usize) -> (String, Replace) {
    let r = &state.restore;
    let d = r.restore_jobs.as_ref().and_then(|j| j.get(job)).and_then(|name| r.defaults.get(name));
    let get = |k: &str| d.and_then(|d| d.iter().find(|(key, _)| key == k)).map(|(_, v)| v.clone()).unwrap_or_default();
    let w = get("where");
    let where_ = if w.is_empty() || w == "*None*" { DEFAULT_WHERE.to_string() } else { w };
    (where_, Replace::parse(&get("replace")).unwrap_or_default())
}

/// Apply a restore job's defaults to the form (Where only if not typed over).
fn apply_defaults(state: &mut State) {
    let Some(job) = state.restore.form.as_ref().map(|f| f.job) else { return };
    let (where_, replace) = form_defaults(state, job);
    if let Some(f) = state.restore.form.as_mut() {
        if !f.where_edited {
            f.where_ = LineInput::with_text(&where_);
        }
        f.replace = replace;
    }
}

/// Enter in the form: check, then resolve and send.
fn submit(state: &mut State, fx: &mut Vec<Effect>) {
    let r = &state.restore;
    let Some(f) = r.form.as_ref() else { return };
    if f.submit.is_some() {
        return;
    }
    let problem = match &r.restore_jobs {
        None => Some("Still asking the director for its restore jobs".to_string()),
        Some(j) if j.is_empty() => Some("The director has no Restore job: define one first".to_string()),
        Some(_) if f.where_.text.trim().is_empty() => Some("Where is empty".to_string()),
        Some(_) if !state.connected() => Some("Not connected to the director".to_string()),
        Some(_) => None,
    };
    if let Some(e) = problem {
        if let Some(f) = state.restore.form.as_mut() {
            f.error = Some(e);
        }
        return;
    }
    if let Some(f) = state.restore.form.as_mut() {
        f.error = None;
        f.submit = Some(Submit::Resolving);
    }
    continue_submit(state, fx);
}

/// The next step while resolving: more listing pages, or `.bvfs_restore`.
fn continue_submit(state: &mut State, fx: &mut Vec<Effect>) {
    if !matches!(state.restore.form.as_ref().and_then(|f| f.submit.as_ref()), Some(Submit::Resolving)) {
        return;
    }
    match state.restore.marks.plan(&state.restore.listings) {
        Err(missing) => {
            for (pathid, path) in missing {
                state.restore.listings.entry(pathid).or_insert_with(|| Listing::new(pathid, &path));
                request_page(state, pathid, RESOLVE_PAGE, fx);
            }
        }
        Ok(sel) if sel.is_empty() => fail_submit(state, "Nothing to restore".into(), None, fx),
        Ok(sel) => {
            let now = state.now;
            let handle = state.restore.next_handle(now);
            if let Some(f) = state.restore.form.as_mut() {
                f.submit = Some(Submit::Storing(handle.clone()));
            }
            let jobids = state.restore.jobids.clone();
            ask(state, RQuery::BvfsRestore { handle, jobids, sel }, fx);
        }
    }
}

/// The form stays open with the error; a selection table is dropped.
fn fail_submit(state: &mut State, error: String, handle: Option<String>, fx: &mut Vec<Effect>) {
    if let Some(f) = state.restore.form.as_mut() {
        f.submit = None;
        f.error = Some(error);
    }
    if let Some(h) = handle
        && state.connected()
    {
        ask(state, RQuery::Cleanup(h), fx);
    }
    state.dirty = true;
}

fn versions_cmd(state: &mut State, cmd: Cmd, fx: &mut Vec<Effect>) -> bool {
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            move_by(state, step_of(cmd, VERSION_ROWS), fx);
        }
        Cmd::Open | Cmd::Confirm | Cmd::Mark => pin_version(state),
        Cmd::Back | Cmd::Versions | Cmd::Parent => state.restore.versions = None,
        Cmd::Quit | Cmd::Help | Cmd::Screen(_) | Cmd::NextScreen | Cmd::PrevScreen => return false,
        _ => state.dirty = false,
    }
    true
}

fn step_of(cmd: Cmd, page: usize) -> isize {
    let page = page.max(1) as isize;
    match cmd {
        Cmd::Up => -1,
        Cmd::Down => 1,
        Cmd::PageUp => -page,
        Cmd::PageDown => page,
        Cmd::Top => isize::MIN / 2,
        _ => isize::MAX / 2,
    }
}

/// A keymap command on the restore screen; `false` leaves it to the generic
/// handler (quit, help, screen switches).
pub(super) fn on_cmd(state: &mut State, cmd: Cmd, fx: &mut Vec<Effect>) -> bool {
    if state.restore.versions.is_some() {
        return versions_cmd(state, cmd, fx);
    }
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom => {
            let h = height(state);
            move_by(state, step_of(cmd, h), fx);
        }
        Cmd::Refresh => refresh(state, fx),
        Cmd::Back => back(state),
        Cmd::Open | Cmd::Confirm => match state.restore.phase {
            Phase::Clients => choose_client(state, fx),
            Phase::Point => {
                state.restore.error = None;
                choose_point(state, fx);
            }
            Phase::Browse => match state.restore.selected().cloned() {
                Some(e) if e.is_dir() => {
                    state.restore.descending = false;
                    enter(state, &e, fx);
                }
                Some(e) => open_versions(state, e, fx),
                None => {}
            },
            Phase::Loading(_) => {}
        },
        Cmd::Parent => match state.restore.phase {
            Phase::Browse => go_up(state, fx),
            _ => back(state),
        },
        Cmd::Mark if state.restore.phase == Phase::Browse => toggle_mark(state, fx),
        Cmd::Versions if state.restore.phase == Phase::Browse => match state.restore.selected().cloned() {
            Some(e) if !e.is_dir() => open_versions(state, e, fx),
            Some(_) => say(state, "Versions are kept per file: pick a file", true),
            None => {}
        },
        Cmd::Done if state.restore.phase == Phase::Browse => open_form(state, fx),
        Cmd::Mark | Cmd::Versions | Cmd::Done => {
            say(state, "Pick a client and a point in time first", true);
        }
        _ => return false,
    }
    true
}

/// Scrolling and selection moves (keys and the mouse wheel).
pub(super) fn move_by(state: &mut State, delta: isize, fx: &mut Vec<Effect>) {
    let h = height(state);
    let r = &mut state.restore;
    if r.form.is_some() {
        return;
    }
    if let Some(v) = r.versions.as_mut() {
        let n = v.rows.as_ref().map_or(0, Vec::len);
        v.cursor.move_by(delta, n, VERSION_ROWS);
        return;
    }
    match r.phase {
        Phase::Clients => {
            let n = r.clients.as_ref().map_or(0, Vec::len);
            r.client_cursor.move_by(delta, n, h);
        }
        Phase::Point => {
            let n = r.point_rows();
            r.point_cursor.move_by(delta, n, h);
        }
        Phase::Browse => {
            set_cursor(state, |c, len, h| c.move_by(delta, len, h));
            ensure_loaded(state, fx);
        }
        Phase::Loading(_) => {}
    }
}

/// Keys while the restore form is open.
pub(super) fn on_typing_key(state: &mut State, k: KeyEvent, quit_key: bool, fx: &mut Vec<Effect>) {
    if quit_key {
        state.quit = true;
        return;
    }
    let Some(f) = state.restore.form.as_mut() else { return };
    if f.submit.is_some() {
        // Sent: wait for the director.
        state.dirty = false;
        return;
    }
    match k.code {
        KeyCode::Esc => state.restore.form = None,
        KeyCode::Enter => submit(state, fx),
        KeyCode::Tab | KeyCode::Down => f.field = f.field.step(true),
        KeyCode::BackTab | KeyCode::Up => f.field = f.field.step(false),
        _ => match f.field {
            Field::Where => match f.where_.handle(&k) {
                InputOutcome::Edited => {
                    f.where_edited = true;
                    f.error = None;
                }
                _ => state.dirty = false,
            },
            Field::Replace | Field::Job => {
                let forward = match k.code {
                    KeyCode::Right | KeyCode::Char(' ' | 'l') => true,
                    KeyCode::Left | KeyCode::Char('h') => false,
                    _ => {
                        state.dirty = false;
                        return;
                    }
                };
                if f.field == Field::Replace {
                    f.replace = f.replace.step(forward);
                } else {
                    let n = state.restore.restore_jobs.as_ref().map_or(0, Vec::len).max(1);
                    f.job = if forward { (f.job + 1) % n } else { (f.job + n - 1) % n };
                    apply_defaults(state);
                    on_poll(state, fx);
                }
            }
        },
    }
}

pub(super) fn on_paste(state: &mut State, line: &str) {
    if let Some(f) = state.restore.form.as_mut()
        && f.field == Field::Where
        && f.submit.is_none()
    {
        f.where_.insert_str(line);
        f.where_edited = true;
    }
}

/// A click on a row selects it.
pub(super) fn click(state: &mut State, body: Rect, x: u16, y: u16, fx: &mut Vec<Effect>) {
    if state.restore.versions.is_some() || state.restore.form.is_some() {
        return;
    }
    let rows = layout::table_rows(layout::restore(body).list);
    if !rows.contains(Position { x, y }) {
        return;
    }
    let row = usize::from(y - rows.y);
    let h = height(state);
    let r = &mut state.restore;
    match r.phase {
        Phase::Clients => {
            let n = r.clients.as_ref().map_or(0, Vec::len);
            let i = r.client_cursor.offset + row;
            if i < n {
                r.client_cursor.select(i, n, h);
            }
        }
        Phase::Point => {
            let n = r.point_rows();
            let i = r.point_cursor.offset + row;
            if i < n {
                r.point_cursor.select(i, n, h);
            }
        }
        Phase::Browse => {
            let i = r.cursor().offset + row;
            set_cursor(state, |c, len, h| {
                if i < len {
                    c.select(i, len, h);
                }
            });
            ensure_loaded(state, fx);
        }
        Phase::Loading(_) => {}
    }
}

// ---------------------------------------------------------------- replies

fn failed_text(q: &RQuery, e: &QueryError) -> String {
    format!("{}: {}", q.command(), e.to_string().trim())
}

/// A reply to one of the browser's queries.
pub(super) fn on_json(state: &mut State, q: RQuery, result: Result<Value, QueryError>, fx: &mut Vec<Effect>) {
    state.dirty = true;
    let v = match result {
        Ok(v) => v,
        Err(e) => return on_error(state, q, e, fx),
    };
    let r = &mut state.restore;
    match q {
        RQuery::Clients => {
            r.clients = Some(browser::client_names_from_json(&v));
            reclamp(state);
        }
        RQuery::Backups(client) => {
            if r.client.as_deref() == Some(client.as_str()) {
                r.backups = Some(browser::backups_from_json(&v));
                reclamp(state);
            }
        }
        RQuery::GetJobids { jobid, .. } => {
            if r.phase != Phase::Loading(Loading::Jobids) || r.point.map(Point::jobid) != Some(jobid) {
                return;
            }
            let ids = browser::jobids_from_json(&v);
            if ids.is_empty() {
                r.error = Some(format!("The catalog has no files for JobId {jobid} (pruned?)"));
                r.phase = Phase::Point;
                return;
            }
            r.jobids = ids.clone();
            let step = if r.updated.contains(&ids) { Loading::Root } else { Loading::Update };
            r.phase = Phase::Loading(step);
            reissue(state, step, fx);
        }
        RQuery::Update(ids) => {
            if r.phase != Phase::Loading(Loading::Update) || r.jobids != ids {
                return;
            }
            r.updated.push(ids);
            r.phase = Phase::Loading(Loading::Root);
            reissue(state, Loading::Root, fx);
        }
        RQuery::LsDirs { jobids, dir, limit, offset } => {
            if jobids != r.jobids {
                return;
            }
            match dir {
                DirRef::Root => {
                    if r.phase != Phase::Loading(Loading::Root) {
                        return;
                    }
                    let rows = v.get("directories").and_then(Value::as_array);
                    let Some(top) = rows.and_then(|a| a.iter().find(|d| model::text(d, "name") == ".")) else {
                        r.error = Some(format!("The catalog has no directory tree for JobIds {}", ids(&r.jobids)));
                        r.phase = Phase::Point;
                        return;
                    };
                    let pathid = i64::try_from(model::number(top, "pathid")).unwrap_or(0);
                    let mut l = Listing::new(pathid, "");
                    l.add_dirs(&v, limit, offset);
                    r.listings.insert(pathid, l);
                    r.root = Some(pathid);
                    r.cwd = Some(pathid);
                    r.cursors.insert(pathid, ListCursor::default());
                    r.phase = Phase::Browse;
                    r.descending = true;
                }
                DirRef::Id(p) => {
                    if let Some(l) = r.listings.get_mut(&p) {
                        l.add_dirs(&v, limit, offset);
                    }
                }
            }
            after_page(state, fx);
        }
        RQuery::LsFiles { jobids, pathid, limit, offset } => {
            if jobids != r.jobids {
                return;
            }
            if let Some(l) = r.listings.get_mut(&pathid) {
                l.add_files(&v, limit, offset);
            }
            after_page(state, fx);
        }
        RQuery::Versions { pathid, name, .. } => {
            if let Some(view) = r.versions.as_mut()
                && view.entry.pathid == pathid
                && view.entry.name == name
            {
                let rows = browser::versions_from_json(&v);
                // Start on the version the browser shows (the newest, or the pinned one).
                let shown = r.marks.pinned_job(&view.entry.path);
                let at = rows
                    .iter()
                    .position(|x| match shown {
                        Some(j) => x.jobid == j,
                        None => x.fileid == view.entry.fileid,
                    })
                    .unwrap_or(0);
                view.cursor.select(at, rows.len(), VERSION_ROWS);
                view.rows = Some(rows);
            }
        }
        RQuery::RestoreJobs => {
            r.restore_jobs = Some(model::job_names_from_json(&v));
            if let Some(f) = r.form.as_mut()
                && r.restore_jobs.as_ref().is_some_and(Vec::is_empty)
            {
                f.error = Some("The director has no Restore job: define one first".into());
            }
            apply_defaults(state);
            on_poll(state, fx);
        }
        RQuery::Defaults(job) => {
            r.defaults.insert(job, model::defaults_from_json(&v));
            apply_defaults(state);
        }
        RQuery::BvfsRestore { handle, .. } => {
            let form = r.form.as_ref();
            if form.and_then(|f| f.submit.as_ref()) != Some(&Submit::Storing(handle.clone())) {
                return;
            }
            let (Some(client), Some(job)) = (r.client.clone(), r.restore_job().map(str::to_string)) else {
                return fail_submit(state, "No client or restore job".into(), Some(handle), fx);
            };
            let Some(f) = r.form.as_mut() else { return };
            f.submit = Some(Submit::Starting(handle.clone()));
            let q = RQuery::Restore {
                client,
                job,
                handle,
                where_: f.where_.text.trim().to_string(),
                replace: f.replace,
            };
            ask(state, q, fx);
        }
        RQuery::Restore { handle, job, .. } => {
            if r.form.as_ref().and_then(|f| f.submit.as_ref()) != Some(&Submit::Starting(handle.clone())) {
                return;
            }
            ask(state, RQuery::Cleanup(handle), fx);
            let r = &mut state.restore;
            r.form = None;
            r.marks.clear();
            resummarize(state);
            match model::queued_jobid(&v) {
                Some(id) => {
                    say(state, format!("Restore queued: JobId {id}"), false);
                    after_job_change(state, fx);
                    open_log(state, id, &job, fx);
                    // Just queued: follow it until the status says it ended.
                    state.log.active = true;
                }
                None => say(state, "Restore queued", false),
            }
        }
        RQuery::Cleanup(_) => {}
    }
}

fn ids(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn after_page(state: &mut State, fx: &mut Vec<Effect>) {
    resummarize(state);
    reclamp(state);
    ensure_loaded(state, fx);
    // While resolving: more pages, or the selection is complete and goes out.
    continue_submit(state, fx);
}

fn on_error(state: &mut State, q: RQuery, e: QueryError, fx: &mut Vec<Effect>) {
    let text = failed_text(&q, &e);
    let disconnected = matches!(e, QueryError::Disconnected(_));
    let r = &mut state.restore;
    match q {
        // Retried by the polls once the link is back.
        RQuery::Clients | RQuery::Backups(_) | RQuery::GetJobids { .. } | RQuery::Update(_) if disconnected => {}
        RQuery::LsDirs { .. } | RQuery::LsFiles { .. } if disconnected => {
            if matches!(r.form.as_ref().and_then(|f| f.submit.as_ref()), Some(Submit::Resolving)) {
                fail_submit(state, text, None, fx);
            }
        }
        RQuery::Clients | RQuery::Backups(_) => r.error = Some(text),
        RQuery::GetJobids { .. } | RQuery::Update(_) | RQuery::LsDirs { dir: DirRef::Root, .. } => {
            r.error = Some(text);
            if matches!(r.phase, Phase::Loading(_)) {
                r.phase = Phase::Point;
            }
        }
        RQuery::LsDirs { .. } | RQuery::LsFiles { .. } => {
            r.error = Some(text.clone());
            if matches!(r.form.as_ref().and_then(|f| f.submit.as_ref()), Some(Submit::Resolving)) {
                fail_submit(state, text, None, fx);
            }
        }
        RQuery::Versions { .. } => {
            r.versions = None;
            say(state, text, true);
        }
        RQuery::RestoreJobs | RQuery::Defaults(_) => {
            if let Some(f) = r.form.as_mut() {
                f.error = Some(text);
            } else {
                say(state, text, true);
            }
        }
        RQuery::BvfsRestore { handle, .. } | RQuery::Restore { handle, .. } => {
            let ours = match r.form.as_ref().and_then(|f| f.submit.as_ref()) {
                Some(Submit::Storing(h) | Submit::Starting(h)) => *h == handle,
                _ => false,
            };
            if ours {
                let cleanup = (!disconnected).then_some(handle);
                fail_submit(state, text, cleanup, fx);
            }
        }
        RQuery::Cleanup(_) => say(state, text, true),
    }
}

#[cfg(test)]
#[path = "update_restore_tests.rs"]
mod tests;
