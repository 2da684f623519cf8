//! Screen 4: one job's log, following a running job, with search.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{block, input_line, placeholder};
use crate::layout::{self, LOG_TIME_WIDTH};
use crate::state::{State, log_rows};
use crate::theme::Styles;

/// Split `text` into spans, highlighting case-insensitive matches of `q`.
fn highlight(text: &str, q: &str, base: Style, hit: Style) -> Vec<Span<'static>> {
    if q.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let lower = text.to_lowercase();
    let ql = q.to_lowercase();
    // Only highlight when lowercasing keeps byte offsets (ASCII-safe case).
    if lower.len() != text.len() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = lower[pos..].find(&ql) {
        let start = pos + i;
        let end = start + ql.len();
        if start > pos {
            out.push(Span::styled(text[pos..start].to_string(), base));
        }
        out.push(Span::styled(text[start..end].to_string(), hit));
        pos = end;
    }
    if pos < text.len() {
        out.push(Span::styled(text[pos..].to_string(), base));
    }
    out
}

pub fn draw(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) -> Option<Position> {
    let log = &state.log;
    let l = layout::joblog(body, layout::log_search_line(state));
    let Some(id) = log.jobid else {
        let b = block("Job log", true, st);
        let inner = b.inner(l.log);
        b.render(l.log, buf);
        placeholder(buf, inner, "No job selected: pick one on the Jobs screen (2) and press Enter.", st);
        return None;
    };
    let mode = if log.active {
        if log.follow { "running · following" } else { "running · paused (f or End to follow)" }
    } else {
        "ended"
    };
    let b = block(format!("JobId {id} · {} · {mode}", log.job_name), true, st);
    let inner = b.inner(l.log);
    b.render(l.log, buf);
    if !log.loaded {
        placeholder(buf, inner, "loading…", st);
    } else if log.entries.is_empty() {
        placeholder(buf, inner, "No log lines for this job.", st);
    } else {
        let (_, width) = layout::log_text(state);
        let rows = log_rows(&log.entries, width);
        let height = usize::from(inner.height);
        let bottom = rows.len().saturating_sub(height);
        let top = if log.follow { bottom } else { log.offset.min(bottom) };
        let q = &log.search.query;
        let lines: Vec<Line> = rows
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, r)| {
                let base = st.severity(r.severity);
                let hit = if log.search.current == Some(i) { st.log_match.patch(st.selected) } else { st.log_match };
                let mut spans =
                    vec![Span::styled(format!("{:<w$}", r.time, w = usize::from(LOG_TIME_WIDTH)), st.log_time)];
                spans.extend(highlight(&r.text, q, base, hit));
                Line::from(spans)
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
    if let Some(area) = l.search {
        if let Some(input) = &log.search.editing {
            return input_line(buf, area, " search / ", input, st);
        }
        Line::from(vec![
            Span::styled(" search: ", st.prompt),
            Span::styled(log.search.query.clone(), st.input),
            Span::styled("   n next · N previous · Esc clear", st.dim),
        ])
        .render(area, buf);
    }
    None
}
