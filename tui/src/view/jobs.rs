//! Screen 2: job history with a filter line and the selected job's details.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use super::{block, input_line, placeholder};
use crate::format;
use crate::layout;
use crate::model::{JobState, level_word, status_word};
use crate::state::{JobDetail, State};
use crate::theme::Styles;

pub fn draw(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) -> Option<Position> {
    let l = layout::jobs(body);
    let cursor = filter_line(buf, l.filter, state, st);
    table(buf, l.table, state, st);
    detail(buf, l.detail, l.side, state, st);
    cursor
}

fn filter_line(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) -> Option<Position> {
    let j = &state.jobs;
    let count = match &j.all {
        Some(all) if j.filter.is_empty() => format!("{} jobs ", all.len()),
        Some(all) => format!("{} of {} jobs ", j.visible().len(), all.len()),
        None => String::new(),
    };
    let cw = count.chars().count() as u16;
    let text_area = Rect { width: area.width.saturating_sub(cw), ..area };
    let count_area = Rect { x: area.x + text_area.width, width: area.width - text_area.width, ..area };
    Paragraph::new(Span::styled(count, st.dim)).render(count_area, buf);
    if let Some(input) = &j.editing {
        return input_line(buf, text_area, " filter / ", input, st);
    }
    let line = if j.filter_text.is_empty() {
        Line::from(vec![
            Span::styled(" filter: ", st.dim),
            Span::styled("none — / to filter by client=, job=, status=, level= or words", st.dim),
        ])
    } else {
        Line::from(vec![Span::styled(" filter: ", st.prompt), Span::styled(j.filter_text.clone(), st.input)])
    };
    line.render(text_area, buf);
    None
}

/// `2026-11-28 05:25:02` → `11-28 05:25` (narrow) or as is.
fn short_time(s: &str, wide: bool) -> String {
    if wide || s.len() < 16 { s.to_string() } else { s.get(5..16).unwrap_or(s).to_string() }
}

fn table(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    let j = &state.jobs;
    let b = block("Job history", true, st);
    let Some(_) = &j.all else {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(buf, inner, "loading…", st);
        return;
    };
    let visible = j.visible();
    if visible.is_empty() {
        let inner = b.inner(area);
        b.render(area, buf);
        placeholder(
            buf,
            inner,
            if j.filter.is_empty() { "No jobs in the catalog." } else { "No job matches the filter." },
            st,
        );
        return;
    }
    let wide = area.width >= 100;
    let rows: Vec<Row> = visible
        .iter()
        .map(|r| {
            let state_style = st.job(JobState::from_code(&r.status));
            let mut cells = vec![
                Cell::from(r.jobid.to_string()),
                Cell::from(r.name.clone()),
                Cell::from(r.client.clone()),
                Cell::from(short_time(&r.starttime, wide)),
                Cell::from(Span::styled(level_word(&r.level).to_string(), st.level(&r.level))),
                Cell::from(format::count(r.files)),
                Cell::from(format::bytes(r.bytes)),
                Cell::from(Span::styled(status_word(&r.status), state_style)),
            ];
            if wide {
                cells.insert(4, Cell::from(r.duration.clone()));
            }
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Fill(3),
        Constraint::Fill(2),
        Constraint::Length(if wide { 19 } else { 11 }),
        Constraint::Length(4),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(12),
    ];
    let mut head = vec!["Id", "Job", "Client", "Started", "Lvl", "Files", "Bytes", "Status"];
    if wide {
        widths.insert(4, Constraint::Length(8));
        head.insert(4, "Duration");
    }
    let t = Table::new(rows, widths).header(Row::new(head).style(st.header)).block(b).row_highlight_style(st.selected);
    let mut ts = TableState::default().with_offset(j.cursor.offset).with_selected(Some(j.cursor.selected));
    StatefulWidget::render(t, area, buf, &mut ts);
}

fn detail(buf: &mut Buffer, area: Rect, side: bool, state: &State, st: &Styles) {
    let j = &state.jobs;
    let Some(sel) = j.selected() else {
        let b = block("Details", false, st);
        b.render(area, buf);
        return;
    };
    let b = block(format!("JobId {} · {}", sel.jobid, sel.name), false, st);
    let inner = b.inner(area);
    b.render(area, buf);
    let d = match &j.detail {
        Some(d) if d.jobid == sel.jobid => d,
        _ => {
            placeholder(buf, inner, "loading…", st);
            return;
        }
    };
    if side {
        side_detail(buf, inner, d, st);
    } else {
        bottom_detail(buf, inner, d, st);
    }
}

fn field_value(d: &JobDetail, key: &str) -> String {
    let v = d.get(key);
    match key {
        "jobstatus" => format!("{} ({v})", status_word(v)),
        "level" => level_word(v).to_string(),
        "jobbytes" => v.parse::<u64>().map(format::bytes).unwrap_or_else(|_| v.to_string()),
        "jobfiles" => v.parse::<u64>().map(format::count).unwrap_or_else(|_| v.to_string()),
        _ => v.to_string(),
    }
}

fn side_detail(buf: &mut Buffer, area: Rect, d: &JobDetail, st: &Styles) {
    let kw = d.fields.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0).min(16) + 1;
    let lines: Vec<Line> = d
        .fields
        .iter()
        .map(|(k, _)| {
            let v = field_value(d, k);
            let style = if k == "jobstatus" { st.job(JobState::from_code(d.get(k))) } else { super::plain() };
            Line::from(vec![Span::styled(format!("{:<kw$}", format::fit(k, kw)), st.header), Span::styled(v, style)])
        })
        .collect();
    Paragraph::new(lines).render(area, buf);
}

fn bottom_detail(buf: &mut Buffer, area: Rect, d: &JobDetail, st: &Styles) {
    const LEFT: [&str; 5] = ["job", "client", "fileset", "poolname", "level"];
    const RIGHT: [&str; 5] = ["jobstatus", "starttime", "duration", "jobbytes", "joberrors"];
    let half = area.width / 2;
    for (col, keys) in [(0u16, LEFT), (half, RIGHT)] {
        let lines: Vec<Line> = keys
            .iter()
            .map(|k| {
                let style = if *k == "jobstatus" { st.job(JobState::from_code(d.get(k))) } else { super::plain() };
                Line::from(vec![Span::styled(format!("{k:<10}"), st.header), Span::styled(field_value(d, k), style)])
            })
            .collect();
        let r =
            Rect { x: area.x + col, width: if col == 0 { half.saturating_sub(1) } else { area.width - half }, ..area };
        Paragraph::new(lines).render(r, buf);
    }
}
