//! Screen 1: the director at a glance.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use super::{block, placeholder, plain};
use crate::format;
use crate::layout;
use crate::model::{DirectorStatus, JobState};
use crate::state::{DashPane, State};
use crate::theme::Styles;

pub fn draw(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) {
    let status = state.dashboard.status.as_ref();
    let l = layout::dashboard(body, status.map_or(0, |s| s.running.len()), status.map_or(0, |s| s.scheduled.len()));
    header(buf, l.header, state, st);
    let Some(s) = status else {
        for (area, title) in [
            (l.running, "Running jobs"),
            (l.terminated, "Terminated jobs"),
            (l.scheduled, "Next scheduled"),
            (l.clients, "Clients"),
        ]
        .into_iter()
        .chain(l.pools.map(|a| (a, "Pools")))
        {
            let b = block(title, false, st);
            let inner = b.inner(area);
            b.render(area, buf);
            placeholder(buf, inner, "waiting for the director…", st);
        }
        return;
    };
    running(buf, l.running, state, s, st);
    terminated(buf, l.terminated, state, s, st);
    scheduled(buf, l.scheduled, s, st);
    clients(buf, l.clients, s, st);
    if let Some(area) = l.pools {
        pools(buf, area, state, st);
    }
}

/// Per-pool volume usage: a gauge of bytes over the volumes' MaxVolBytes
/// (or the bytes alone when a volume has no limit) and Full/Append/Used counts.
fn pools(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    let b = block("Pools", false, st);
    let Some(pools) = &state.dashboard.pools else {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "waiting for volumes…", st);
        return;
    };
    if pools.is_empty() {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "No volumes.", st);
        return;
    }
    let show_bytes = area.width >= 46;
    let rows: Vec<Row> = pools
        .iter()
        .map(|p| {
            let gauge = match p.ratio() {
                Some(r) => {
                    let style = if r >= 0.9 { st.job_warning } else { st.job_ok };
                    Span::styled(format::progress(Some(r), 6), style)
                }
                None => Span::styled(format!("{:>10}", format::bytes(p.bytes)), st.dim),
            };
            let mut cells = vec![
                Cell::from(p.pool.clone()),
                Cell::from(gauge),
                Cell::from(format!("{}/{}/{}", p.full, p.append, p.used)),
            ];
            if show_bytes {
                cells.insert(2, Cell::from(format::bytes(p.bytes)));
            }
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![Constraint::Fill(1), Constraint::Length(10), Constraint::Length(8)];
    let mut head = vec!["Pool", "Usage", "F/A/U"];
    if show_bytes {
        widths.insert(2, Constraint::Length(9));
        head.insert(2, "Bytes");
    }
    let t = Table::new(rows, widths).header(Row::new(head).style(st.header)).block(b);
    Widget::render(t, area, buf);
}

fn header(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    let b = block("Director", false, st);
    let inner = b.inner(area);
    b.render(area, buf);
    let Some(s) = &state.dashboard.status else {
        placeholder(buf, inner, &format!("{} at {} — waiting for status…", state.director, state.address), st);
        return;
    };
    let h = &s.header;
    let sep = || Span::styled("  ·  ", st.dim);
    let uptime =
        format::parse_time(&h.daemon_started).map(|t| format::uptime(state.now - t)).unwrap_or_else(|| "?".to_string());
    let wide = area.width >= 100;
    let mut first = vec![
        Span::styled(h.director.clone(), st.title_focused),
        Span::raw(format!("  {} ({})", h.version, h.release_date)),
    ];
    if !h.binary_info.is_empty() {
        first.push(sep());
        first.push(Span::raw(h.binary_info.clone()));
    }
    if !h.os.is_empty() && wide {
        first.push(sep());
        first.push(Span::styled(h.os.clone(), st.dim));
    }
    let mut second = vec![Span::styled("up ", st.dim), Span::raw(uptime)];
    if wide {
        second.push(Span::styled(format!(" (since {})", h.daemon_started), st.dim));
    }
    second.extend([
        sep(),
        Span::styled("jobs run ", st.dim),
        Span::raw(h.jobs_run.to_string()),
        sep(),
        Span::styled("running ", st.dim),
        Span::styled(h.jobs_running.to_string(), if h.jobs_running > 0 { st.job_running } else { plain() }),
    ]);
    if h.config_warnings {
        second.push(sep());
        second.push(Span::styled(if wide { "⚠ configuration warnings" } else { "⚠ config warnings" }, st.job_warning));
    }
    Paragraph::new(vec![Line::from(first), Line::from(second)]).render(inner, buf);
}

fn table_state(cursor: crate::state::ListCursor, focused: bool) -> TableState {
    TableState::default().with_offset(cursor.offset).with_selected(if focused { Some(cursor.selected) } else { None })
}

fn running(buf: &mut Buffer, area: Rect, state: &State, s: &DirectorStatus, st: &Styles) {
    let focused = state.dashboard.pane == DashPane::Running && !s.running.is_empty();
    let b = block(format!("Running jobs ({})", s.running.len()), focused, st);
    if s.running.is_empty() {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "No jobs running.", st);
        return;
    }
    let wide = area.width >= 110;
    let rows: Vec<Row> = s
        .running
        .iter()
        .map(|j| {
            let active = j.is_running();
            let state_style = st.job(if active { JobState::Running } else { JobState::Waiting });
            let started = start_of(state, j);
            let elapsed = started.map(|t| format::elapsed(state.now - t)).unwrap_or_else(|| "-".to_string());
            let rate_bps = match state.dashboard.samples.get(&j.jobid).and_then(|x| x.rate) {
                Some(r) => Some(r),
                None => match started {
                    Some(t) if active => {
                        let secs = (state.now - t).num_seconds();
                        if secs > 0 { Some(j.bytes as f64 / secs as f64) } else { None }
                    }
                    _ => None,
                },
            };
            let rate = rate_bps.map(format::rate).unwrap_or_else(|| "-".to_string());
            let last = state
                .jobs
                .all
                .as_deref()
                .and_then(|all| crate::state::last_good_run(all, j.job_name(), &j.level, j.jobid))
                .map(|r| r.bytes);
            let est = crate::state::estimate(j.bytes, last, if active { rate_bps } else { None });
            let long = j.status.strip_prefix("is ").unwrap_or(&j.status);
            let status = if wide || active { long.to_string() } else { "waiting".to_string() };
            let mut cells = vec![
                Cell::from(j.jobid.to_string()),
                Cell::from(j.job_name().to_string()),
                Cell::from(Span::styled(j.level.clone(), st.level(&j.level))),
                Cell::from(Span::styled(status, state_style)),
                Cell::from(format::count(j.files)),
                Cell::from(format::bytes(j.bytes)),
                Cell::from(rate),
                Cell::from(elapsed),
                Cell::from(Span::styled(
                    format::eta(est.eta_secs),
                    if est.eta_secs.is_some() { plain() } else { st.dim },
                )),
            ];
            if wide {
                cells.insert(3, Cell::from(j.job_type.clone()));
                cells.push(Cell::from(Span::styled(format::progress(est.ratio, 8), st.job_running)));
            }
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Fill(3),
        Constraint::Length(5),
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(5),
    ];
    let mut head = vec!["Id", "Job", "Level", "Status", "Files", "Bytes", "Rate", "Elapsed", "ETA"];
    if wide {
        widths.insert(3, Constraint::Length(8));
        head.insert(3, "Type");
        widths.push(Constraint::Length(12));
        head.push("Progress");
    }
    let t = Table::new(rows, widths).header(Row::new(head).style(st.header)).block(b).row_highlight_style(st.selected);
    let mut ts = table_state(state.dashboard.running, focused);
    StatefulWidget::render(t, area, buf, &mut ts);
}

/// When a running job started: to the second from `list jobs` when known,
/// else the minute `status director` gives.
fn start_of(state: &State, j: &crate::model::RunningJob) -> Option<chrono::NaiveDateTime> {
    state
        .jobs
        .all
        .as_ref()
        .and_then(|all| all.iter().find(|r| r.jobid == j.jobid))
        .and_then(|r| format::parse_time(&r.starttime))
        .or_else(|| format::parse_time(&j.start_time))
}

fn terminated(buf: &mut Buffer, area: Rect, state: &State, s: &DirectorStatus, st: &Styles) {
    let focused = state.dashboard.pane == DashPane::Terminated;
    let b = block("Terminated jobs", focused, st);
    if s.terminated.is_empty() {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "No terminated jobs.", st);
        return;
    }
    let wide = area.width >= 110;
    let rows: Vec<Row> = s
        .terminated
        .iter()
        .rev()
        .map(|j| {
            let style = st.job(JobState::from_word(&j.status));
            let mut cells = vec![
                Cell::from(j.jobid.to_string()),
                Cell::from(j.name.clone()),
                Cell::from(j.level.clone()),
                Cell::from(format::count(j.files)),
                Cell::from(format::bytes(j.bytes)),
                Cell::from(if wide { j.status.clone() } else { j.status.replace(" -- with ", ", ") }),
                Cell::from(j.finished.clone()),
            ];
            if wide {
                cells.insert(3, Cell::from(j.job_type.clone()));
            }
            Row::new(cells).style(style)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Fill(1),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(if wide { 20 } else { 12 }),
        Constraint::Length(15),
    ];
    let mut head = vec!["Id", "Job", "Level", "Files", "Bytes", "Status", "Finished"];
    if wide {
        widths.insert(3, Constraint::Length(8));
        head.insert(3, "Type");
    }
    let t = Table::new(rows, widths).header(Row::new(head).style(st.header)).block(b).row_highlight_style(st.selected);
    let mut ts = table_state(state.dashboard.terminated, focused);
    StatefulWidget::render(t, area, buf, &mut ts);
}

fn scheduled(buf: &mut Buffer, area: Rect, s: &DirectorStatus, st: &Styles) {
    let b = block("Next scheduled", false, st);
    if s.scheduled.is_empty() {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "Nothing scheduled in the next day.", st);
        return;
    }
    let rows: Vec<Row> = s
        .scheduled
        .iter()
        .map(|r| {
            Row::new(vec![
                Cell::from(Span::styled(r.scheduled.clone(), st.sched_time)),
                Cell::from(r.name.clone()),
                Cell::from(Span::styled(r.level.clone(), st.level(&r.level))),
                Cell::from(r.priority.to_string()),
            ])
        })
        .collect();
    let widths = [Constraint::Length(15), Constraint::Fill(1), Constraint::Length(12), Constraint::Length(3)];
    let t = Table::new(rows, widths).header(Row::new(vec!["When", "Job", "Level", "Pri"]).style(st.header)).block(b);
    Widget::render(t, area, buf);
}

fn clients(buf: &mut Buffer, area: Rect, s: &DirectorStatus, st: &Styles) {
    let b = block(format!("Connected clients ({})", s.clients.len()), false, st);
    if s.clients.is_empty() {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "none", st);
        return;
    }
    let rows: Vec<Row> = s
        .clients
        .iter()
        .map(|c| {
            let auth = if c.authenticated { Span::styled("✓", st.job_ok) } else { Span::styled("✗", st.job_error) };
            Row::new(vec![
                Cell::from(auth),
                Cell::from(c.name.clone()),
                Cell::from(Span::styled(c.connect_time.clone(), st.dim)),
            ])
        })
        .collect();
    let widths = [Constraint::Length(1), Constraint::Fill(1), Constraint::Length(15)];
    Widget::render(Table::new(rows, widths).block(b), area, buf);
}
