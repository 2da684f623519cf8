//! Screen 6: the restore browser. A header line (client, point in time, what
//! is marked), the list of the current step (clients, backups, the steps of
//! loading, or a directory), a details pane on wide terminals, and two
//! pop-ups: a file's versions and the restore form.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use super::{block, centered, hint_spans, input_line, placeholder};
use crate::action::{Query, Screen};
use crate::browser::{
    Entry, Field, Form, Loading, MarkState, Phase, Point, RestoreState, Submit, Summary, VERSION_ROWS, VersionsView,
    file_time, mode_string,
};
use crate::format::{self, fit};
use crate::keymap::{Cmd, Layer};
use crate::layout;
use crate::model::{JobState, level_word, status_word};
use crate::state::{ListCursor, State};
use crate::theme::Styles;

pub fn draw(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) -> Option<Position> {
    let l = layout::restore(body);
    let r = &state.restore;
    header(buf, l.header, state, st);
    match r.phase {
        Phase::Clients => clients(buf, l.list, r, st),
        Phase::Point => points(buf, l.list, r, st),
        Phase::Loading(step) => loading(buf, l.list, r, step, st),
        Phase::Browse => browse(buf, l.list, state, st),
    }
    if let Some(side) = l.side {
        side_pane(buf, side, r, st);
    }
    if let Some(v) = &r.versions {
        versions(buf, body, state, v, st);
    }
    match &r.form {
        Some(f) => form(buf, body, state, f, st),
        None => None,
    }
}

/// `name   ` / `   123` in exactly `w` columns.
fn left(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

fn right(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = s.chars().count();
    format!("{}{s}", " ".repeat(w.saturating_sub(n)))
}

fn point_text(r: &RestoreState) -> String {
    match r.point {
        Some(Point::MostRecent(_)) => "most recent".to_string(),
        Some(Point::Job(j)) => match r.backup(j) {
            Some(b) => format!("as of JobId {j} ({})", b.starttime),
            None => format!("as of JobId {j}"),
        },
        None => String::new(),
    }
}

/// What is marked, as short as `room` needs: `marked: 5 files, 2.1 MB`;
/// `≥` when marked directories are not all listed yet, and why if it fits.
pub fn summary_text(s: &Summary, room: usize) -> String {
    if s.is_empty() {
        return "nothing marked".into();
    }
    let files = if s.files == 1 { "1 file".to_string() } else { format!("{} files", format::count(s.files)) };
    if s.exact() {
        return format!("marked: {files}, {}", format::bytes(s.bytes));
    }
    let short = format!("marked: ≥{files}, ≥{}", format::bytes(s.bytes));
    let long = format!("{short} ({} not listed yet)", unlisted(s.unlisted));
    if long.chars().count() <= room { long } else { short }
}

fn unlisted(n: usize) -> String {
    if n == 1 { "1 dir".to_string() } else { format!("{n} dirs") }
}

fn header(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    let r = &state.restore;
    if let Some(e) = &r.error {
        Paragraph::new(Span::styled(format!(" {}", fit(e, usize::from(area.width).saturating_sub(1))), st.message_error))
            .render(area, buf);
        return;
    }
    let client = r.client.clone().unwrap_or_default();
    let (text, summary) = match r.phase {
        Phase::Clients => (" Restore: pick the client whose files to restore".to_string(), None),
        Phase::Point => (format!(" {client}: pick a point in time"), None),
        Phase::Loading(_) => (format!(" {client} · {}", point_text(r)), None),
        Phase::Browse => {
            let ids = r.jobids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
            let text = format!(" {client} · {} · JobIds {ids}", point_text(r));
            let room = usize::from(area.width).saturating_sub(text.chars().count() + 2);
            (text, Some(summary_text(&r.summary, room)))
        }
    };
    let w = usize::from(area.width);
    let mut spans = vec![Span::styled(text.clone(), st.header)];
    if let Some(s) = summary {
        let room = w.saturating_sub(text.chars().count() + 2);
        let s = fit(&s, room);
        let pad = room.saturating_sub(s.chars().count());
        let style = if r.summary.is_empty() { st.dim } else { st.job_ok };
        spans.push(Span::raw(" ".repeat(pad + 1)));
        spans.push(Span::styled(s, style));
    }
    Line::from(spans).render(area, buf);
}

/// A bordered list: header row, rows from the cursor's offset, the selected
/// one highlighted, then `tail` lines (dimmed) if there is room.
#[allow(clippy::too_many_arguments)]
fn list(
    buf: &mut Buffer,
    area: Rect,
    title: String,
    bottom: Option<String>,
    head: Line<'static>,
    rows: Vec<Line<'static>>,
    cursor: ListCursor,
    tail: Option<String>,
    st: &Styles,
) {
    let mut b = block(title, true, st);
    if let Some(t) = bottom {
        b = b.title_bottom(Line::from(Span::styled(format!(" {t} "), st.dim)).right_aligned());
    }
    b.render(area, buf);
    let inner = layout::inner(area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    head.style(st.header).render(Rect { height: 1, ..inner }, buf);
    let body = layout::table_rows(area);
    let mut y = body.y;
    for (i, line) in rows.into_iter().enumerate().skip(cursor.offset) {
        if y >= body.y + body.height {
            break;
        }
        let row = Rect { y, height: 1, ..body };
        line.render(row, buf);
        if i == cursor.selected {
            buf.set_style(row, st.selected);
        }
        y += 1;
    }
    if let Some(t) = tail
        && y < body.y + body.height
    {
        Paragraph::new(Span::styled(t, st.dim)).render(Rect { y, height: 1, ..body }, buf);
    }
}

fn clients(buf: &mut Buffer, area: Rect, r: &RestoreState, st: &Styles) {
    let Some(names) = &r.clients else {
        loading_block(buf, area, "Clients", st);
        return;
    };
    if names.is_empty() {
        let b = block("Clients", true, st);
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "The director has no clients.", st);
        return;
    }
    let rows = names.iter().map(|n| Line::from(n.clone())).collect();
    list(buf, area, "Clients".into(), None, Line::from("Client"), rows, r.client_cursor, None, st);
}

fn loading_block(buf: &mut Buffer, area: Rect, title: &str, st: &Styles) {
    let b = block(title, true, st);
    let inner = b.inner(area);
    b.render(area, buf);
    placeholder(buf, inner, "loading…", st);
}

fn points(buf: &mut Buffer, area: Rect, r: &RestoreState, st: &Styles) {
    let client = r.client.clone().unwrap_or_default();
    let title = format!("Backups of {client}");
    let Some(backups) = &r.backups else {
        loading_block(buf, area, &title, st);
        return;
    };
    if backups.is_empty() {
        let b = block(title, true, st);
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "No successful backup of this client in the catalog.", st);
        return;
    }
    let w = usize::from(layout::inner(area).width);
    let wide = w >= 70;
    let time_w = if wide { 19 } else { 11 };
    let cols = |id: &str, lvl: &str, t: &str, files: &str, bytes: &str| {
        format!("{} {} {} {} {} ", right(id, 5), left(lvl, 5), left(t, time_w), right(files, 7), right(bytes, 9))
    };
    let head = Line::from(format!("{}Status / job", cols("Id", "Level", "Started", "Files", "Bytes")));
    let mut rows = Vec::with_capacity(backups.len() + 1);
    if let Some(newest) = backups.first() {
        rows.push(Line::from(vec![
            Span::styled(format!("{} ", right("★", 5)), st.job_ok),
            Span::styled("Most recent", st.header),
            Span::raw(format!(" — JobId {} and the jobs it builds on, every FileSet", newest.jobid)),
        ]));
    }
    for b in backups {
        let t = match b.starttime.get(5..16) {
            Some(short) if !wide => short.to_string(),
            _ => b.starttime.clone(),
        };
        let text = cols(&b.jobid.to_string(), level_word(&b.level), &t, &format::count(b.files), &format::bytes(b.bytes));
        rows.push(Line::from(vec![
            Span::raw(text),
            Span::styled(status_word(&b.status).to_string(), st.job(JobState::from_code(&b.status))),
            Span::styled(format!(" {}", b.name), st.dim),
        ]));
    }
    list(buf, area, title, None, head, rows, r.point_cursor, None, st);
}

fn loading(buf: &mut Buffer, area: Rect, r: &RestoreState, step: Loading, st: &Styles) {
    let b = block("Preparing the tree", true, st);
    let inner = b.inner(area);
    b.render(area, buf);
    let ids = r.jobids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let order = |s: Loading| match s {
        Loading::Jobids => 0,
        Loading::Update => 1,
        Loading::Root => 2,
    };
    let now = order(step);
    let steps = [
        (Loading::Jobids, "the jobs to merge (.bvfs_get_jobids)".to_string()),
        (Loading::Update, format!("the directory cache of JobIds {ids} (.bvfs_update)")),
        (Loading::Root, "the top directory (.bvfs_lsdirs)".to_string()),
    ];
    let lines: Vec<Line> = steps
        .into_iter()
        .map(|(s, text)| {
            let (mark, style) = match order(s).cmp(&now) {
                std::cmp::Ordering::Less => ("✓", st.job_ok),
                std::cmp::Ordering::Equal => ("…", st.job_running),
                std::cmp::Ordering::Greater => ("·", st.dim),
            };
            Line::from(vec![Span::styled(format!("{mark} "), style), Span::raw(text)])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

fn mark_span(state: MarkState, st: &Styles) -> Span<'static> {
    match state {
        MarkState::Marked => Span::styled("[x] ", st.job_ok),
        MarkState::Partial => Span::styled("[-] ", st.job_warning),
        MarkState::Unmarked => Span::styled("[ ] ", st.dim),
    }
}

fn browse(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    let r = &state.restore;
    let Some(l) = r.listing() else {
        loading_block(buf, area, "Files", st);
        return;
    };
    let title = if l.path.is_empty() { "(top)".to_string() } else { l.path.clone() };
    let title = fit(&title, usize::from(area.width).saturating_sub(6));
    let w = usize::from(layout::inner(area).width);
    // mark 4 · name · size 9 · modified 16 · job 4
    let show_time = w >= 60;
    let fixed = 4 + 1 + 9 + if show_time { 2 + 16 } else { 0 } + 1 + 5 + 1;
    let name_w = w.saturating_sub(fixed).max(4);
    let head = Line::from(format!(
        "    {} {}{} {}",
        left("Name", name_w),
        right("Size", 9),
        if show_time { format!("  {}", left("Modified", 16)) } else { String::new() },
        right("Job", 5)
    ));
    let row = |e: &Entry| -> Line<'static> {
        let pinned = r.marks.pinned_job(&e.path);
        let mut name = e.name.clone();
        let suffix = pinned.map(|j| format!(" (JobId {j})")).unwrap_or_default();
        let room = name_w.saturating_sub(suffix.chars().count());
        name = left(&name, room);
        let name_style = if e.is_dir() { st.prompt } else { Style::default() };
        let size = if e.is_dir() { String::new() } else { format::bytes(e.size) };
        let mut spans = vec![
            mark_span(r.marks.state(e), st),
            Span::styled(name, name_style),
            Span::styled(suffix, st.dim),
            Span::raw(format!(" {}", right(&size, 9))),
        ];
        if show_time {
            spans.push(Span::styled(format!("  {}", left(&file_time(e.mtime, r.utc_offset), 16)), st.dim));
        }
        let job = if e.jobid > 0 { e.jobid.to_string() } else { String::new() };
        spans.push(Span::styled(format!(" {}", right(&job, 5)), st.dim));
        Line::from(spans)
    };
    let rows: Vec<Line> = l.dirs.iter().chain(l.files.iter()).map(row).collect();
    let loading_more = state.pending.iter().any(|q| matches!(q, Query::Restore(rq) if rq.page_of() == Some(Some(l.pathid))));
    let n = format::count(l.len() as u64);
    let (bottom, tail) = if l.complete() {
        (format!("{n} {}", if l.len() == 1 { "entry" } else { "entries" }), None)
    } else if loading_more {
        (format!("{n} loaded · loading more…"), Some("    loading…".to_string()))
    } else {
        (format!("{n} loaded · more below"), Some("    …".to_string()))
    };
    if l.complete() && l.is_empty() {
        let b = block(title, true, st);
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "Nothing saved in this directory.", st);
        return;
    }
    list(buf, area, title, Some(bottom), head, rows, r.cursor(), tail, st);
}

fn kv(k: &str, v: String, st: &Styles) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{k:<9}"), st.header), Span::raw(v)])
}

fn side_pane(buf: &mut Buffer, area: Rect, r: &RestoreState, st: &Styles) {
    let b = block(if r.phase == Phase::Browse { "Details" } else { "Steps" }, false, st);
    let inner = b.inner(area);
    b.render(area, buf);
    let w = usize::from(inner.width).saturating_sub(9);
    let mut lines: Vec<Line> = Vec::new();
    match r.phase {
        Phase::Clients | Phase::Point | Phase::Loading(_) => {
            for t in [
                "1. pick a client",
                "2. a point in time: the most",
                "   recent backup, or the state",
                "   as of one backup",
                "3. browse the merged tree; Space",
                "   marks files and directories",
                "4. d: where, replace, restore",
            ] {
                lines.push(Line::from(Span::styled(t, st.dim)));
            }
        }
        Phase::Browse => {
            let s = &r.summary;
            lines.push(Line::from(Span::styled("Marked", st.title)));
            if s.is_empty() {
                lines.push(Line::from(Span::styled("nothing yet (Space)", st.dim)));
            } else {
                let ge = if s.exact() { "" } else { "≥" };
                lines.push(kv("files", format!("{ge}{}", format::count(s.files)), st));
                lines.push(kv("size", format!("{ge}{}", format::bytes(s.bytes)), st));
                if s.dirs > 0 {
                    let d = if s.dirs == 1 { "1 directory".to_string() } else { format!("{} directories", s.dirs) };
                    lines.push(kv("with", format!("{d} and all below"), st));
                }
                if !s.exact() {
                    let text = format!("≥: {} inside not listed yet", unlisted(s.unlisted));
                    lines.push(Line::from(Span::styled(fit(&text, usize::from(inner.width)), st.dim)));
                }
            }
            lines.push(Line::from(""));
            if let Some(e) = r.selected() {
                lines.push(Line::from(Span::styled(fit(&e.name, usize::from(inner.width)), st.title)));
                if !e.is_dir() {
                    lines.push(kv("size", format!("{} ({} B)", format::bytes(e.size), format::count(e.size)), st));
                }
                if e.mode != 0 {
                    lines.push(kv("mode", mode_string(e.mode), st));
                    lines.push(kv("owner", fit(&format!("{}:{}", e.user, e.group), w), st));
                    lines.push(kv("modified", file_time(e.mtime, r.utc_offset), st));
                }
                if e.jobid > 0 {
                    lines.push(kv("saved by", format!("JobId {}", e.jobid), st));
                } else {
                    lines.push(Line::from(Span::styled("not saved itself (above the", st.dim)));
                    lines.push(Line::from(Span::styled("saved tree)", st.dim)));
                }
                if let Some(j) = r.marks.pinned_job(&e.path) {
                    lines.push(kv("restores", format!("version of JobId {j}"), st));
                }
            }
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

fn versions(buf: &mut Buffer, body: Rect, state: &State, v: &VersionsView, st: &Styles) {
    let r = &state.restore;
    let n = v.rows.as_ref().map_or(1, |x| x.len().clamp(1, VERSION_ROWS)) as u16;
    let area = centered(body, 78, n + 4);
    Clear.render(area, buf);
    let b = block(format!("Versions of {}", v.entry.name), true, st).style(st.overlay);
    let inner = b.inner(area);
    b.render(area, buf);
    let [head, rows_area, foot] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    Line::from(format!(
        "  {} {} {} {} {}",
        right("JobId", 5),
        left("Backup", 19),
        right("Size", 9),
        left("Modified", 16),
        "Volume"
    ))
    .style(st.header)
    .render(head, buf);
    match &v.rows {
        None => placeholder(buf, rows_area, "loading…", st),
        Some(rows) if rows.is_empty() => placeholder(buf, rows_area, "No version found.", st),
        Some(rows) => {
            let chosen = r.marks.pinned_job(&v.entry.path);
            for (i, x) in rows.iter().enumerate().skip(v.cursor.offset).take(usize::from(rows_area.height)) {
                let y = rows_area.y + (i - v.cursor.offset) as u16;
                let row = Rect { y, height: 1, ..rows_area };
                let shown = match chosen {
                    Some(j) => x.jobid == j,
                    None => x.fileid == v.entry.fileid,
                };
                let started = r.backup(x.jobid).map(|b| b.starttime.clone()).unwrap_or_default();
                Line::from(vec![
                    Span::styled(if shown { "• " } else { "  " }, st.job_ok),
                    Span::raw(format!(
                        "{} {} {} {} {}",
                        right(&x.jobid.to_string(), 5),
                        left(&started, 19),
                        right(&format::bytes(x.size), 9),
                        left(&file_time(x.mtime, r.utc_offset), 16),
                        x.volume
                    )),
                ])
                .render(row, buf);
                if i == v.cursor.selected {
                    buf.set_style(row, st.selected);
                }
            }
        }
    }
    let hints = vec![
        (key(state, Cmd::Open, "Enter"), "restore this version".to_string()),
        (key(state, Cmd::Back, "Esc"), "close".to_string()),
        ("•".to_string(), "the version in the tree".to_string()),
    ];
    Line::from(hint_spans(&hints, usize::from(foot.width), st)).render(foot, buf);
}

fn key(state: &State, cmd: Cmd, fallback: &str) -> String {
    state.keymap.key_for(Layer::Restore, cmd).map(|k| k.to_string()).unwrap_or_else(|| fallback.to_string())
}

fn form(buf: &mut Buffer, body: Rect, state: &State, f: &Form, st: &Styles) -> Option<Position> {
    let r = &state.restore;
    let area = centered(body, 68, 12);
    Clear.render(area, buf);
    let b = block("Restore", true, st).style(st.overlay);
    let inner = b.inner(area);
    b.render(area, buf);
    if inner.height < 3 {
        return None;
    }
    let ids = r.jobids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let s = &r.summary;
    let ge = if s.exact() { "" } else { "≥" };
    let what = format!(
        "{ge}{} {}, {ge}{}",
        format::count(s.files),
        if s.files == 1 { "file" } else { "files" },
        format::bytes(s.bytes)
    );
    let label = |name: &str, field: Field| {
        let style = if f.field == field && f.submit.is_none() { st.selected } else { st.header };
        Span::styled(format!("{name:<13}"), style)
    };
    let job = r.restore_job().map(str::to_string);
    let job_text = match (&r.restore_jobs, job) {
        (None, _) => "…".to_string(),
        (Some(_), Some(j)) => j,
        (Some(_), None) => "(none defined)".to_string(),
    };
    let chooser = |v: String| vec![Span::styled("◀ ", st.key), Span::raw(v), Span::styled(" ▶", st.key)];
    let mut lines = vec![
        Line::from(vec![Span::styled(format!("{:<13}", "Restore"), st.header), Span::raw(what)]),
        Line::from(vec![
            Span::styled(format!("{:<13}", "from"), st.header),
            Span::raw(format!("{} · JobIds {ids}", r.client.clone().unwrap_or_default())),
        ]),
        Line::from(""),
    ];
    let where_y = inner.y + lines.len() as u16;
    lines.push(Line::from(vec![label("Where", Field::Where)]));
    let mut replace = vec![label("Replace", Field::Replace)];
    replace.extend(chooser(f.replace.word().to_string()));
    lines.push(Line::from(replace));
    let mut jobl = vec![label("Restore job", Field::Job)];
    jobl.extend(chooser(job_text));
    lines.push(Line::from(jobl));
    lines.push(Line::from(""));
    let status = match (&f.submit, &f.error) {
        (Some(Submit::Resolving), _) => Line::from(Span::styled("listing directories with exclusions…", st.job_running)),
        (Some(Submit::Storing(h)), _) => Line::from(Span::styled(format!("storing the selection ({h})…"), st.job_running)),
        (Some(Submit::Starting(_)), _) => Line::from(Span::styled("starting the restore job…", st.job_running)),
        (None, Some(e)) => Line::from(Span::styled(e.clone(), st.message_error)),
        (None, None) if !s.exact() => Line::from(Span::styled(
            "Marked directories are restored whole; counts are lower bounds.",
            st.dim,
        )),
        (None, None) => Line::from(""),
    };
    lines.push(status);
    let [text, foot] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    Paragraph::new(lines).render(text, buf);
    let hints = form_hints();
    Line::from(hint_spans(&hints, usize::from(foot.width), st)).render(foot, buf);
    let where_area = Rect { x: text.x + 13, y: where_y, width: text.width.saturating_sub(13), height: 1 };
    if where_y >= text.y + text.height {
        return None;
    }
    if f.field == Field::Where && f.submit.is_none() {
        input_line(buf, where_area, "", &f.where_, st)
    } else {
        Paragraph::new(Span::styled(f.where_.text.clone(), st.input)).render(where_area, buf);
        None
    }
}

fn form_hints() -> Vec<(String, String)> {
    vec![
        ("Enter".into(), "restore".into()),
        ("Tab".into(), "next field".into()),
        ("←→".into(), "change".into()),
        ("Esc".into(), "cancel".into()),
    ]
}

/// The status-bar hints of the restore screen (`None` elsewhere).
pub(super) fn hints(state: &State) -> Option<Vec<(String, String)>> {
    if state.screen != Screen::Restore || state.dialog.is_some() || state.help {
        return None;
    }
    let r = &state.restore;
    if let Some(f) = &r.form {
        return Some(match f.submit {
            Some(_) => vec![("…".into(), "waiting for the director".into())],
            None => form_hints(),
        });
    }
    if r.versions.is_some() {
        return Some(vec![
            ("↑↓".into(), "choose".into()),
            (key(state, Cmd::Open, "Enter"), "restore this version".into()),
            (key(state, Cmd::Back, "Esc"), "close".into()),
        ]);
    }
    let wanted: &[Cmd] = match r.phase {
        Phase::Clients => &[Cmd::Open],
        Phase::Point => &[Cmd::Open, Cmd::Back],
        Phase::Loading(_) => &[Cmd::Back],
        Phase::Browse => &[Cmd::Mark, Cmd::Open, Cmd::Parent, Cmd::Versions, Cmd::Done],
    };
    let mut out: Vec<(String, String)> = state
        .keymap
        .bindings(Layer::Restore)
        .iter()
        .filter(|b| wanted.contains(&b.cmd))
        .filter_map(|b| b.keys.first().map(|k| (k.to_string(), b.desc.clone())))
        .collect();
    out.extend(state.keymap.hints(Layer::Global));
    Some(out)
}
