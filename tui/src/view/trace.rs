//! Screen 7: trace panes. The daemon list (a sidebar with the target's
//! `setdebug` settings on wide terminals, a strip on top otherwise) and one
//! pane of live trace lines per chosen daemon, stacked or in a grid.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{block, input_line, placeholder};
use crate::format::fit;
use crate::state::State;
use crate::theme::Styles;
use crate::trace::{self, Daemon, DebugSettings, TraceFocus, TraceLevel, TraceLine, TracePane};

pub fn draw(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) -> Option<Position> {
    let t = &state.trace;
    let daemons = t.daemons();
    let l = trace::layout(body, daemons.len(), t.panes.len());
    daemon_list(buf, l.daemons, state, &daemons, st);
    if let Some(d) = l.detail {
        detail(buf, d, state, st);
    }
    if t.panes.is_empty() {
        let b = block("Trace", false, st);
        let inner = b.inner(l.area);
        b.render(l.area, buf);
        let lines = vec![
            Line::from(Span::styled("No pane open.", st.dim)),
            Line::from(""),
            Line::from(vec![
                Span::raw("Pick a daemon (↑↓) and press "),
                Span::styled("Space", st.key),
                Span::raw(": one pane of live trace lines each, up to 4."),
            ]),
            Line::from(vec![
                Span::raw("Set its debug level with "),
                Span::styled("+ -", st.key),
                Span::raw(" (trace file "),
                Span::styled("t", st.key),
                Span::raw(", timestamps "),
                Span::styled("T", st.key),
                Span::raw("), then "),
                Span::styled("s", st.key),
                Span::raw(" sends setdebug."),
            ]),
            Line::from(vec![
                Span::raw("In a pane ("),
                Span::styled("] [", st.key),
                Span::raw("): "),
                Span::styled("/", st.key),
                Span::raw(" filter, "),
                Span::styled("p", st.key),
                Span::raw(" pause, "),
                Span::styled("↑↓ PgUp", st.key),
                Span::raw(" scroll, "),
                Span::styled("G", st.key),
                Span::raw(" follow."),
            ]),
        ];
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }).render(inner, buf);
        return None;
    }
    let mut cursor = None;
    for (i, (p, r)) in t.panes.iter().zip(&l.panes).enumerate() {
        if let Some(c) = pane(buf, *r, state, i, p, st) {
            cursor = Some(c);
        }
    }
    cursor
}

/// The stream's state in a word or two.
fn stream_word(state: &State) -> &'static str {
    let e = &state.events;
    if e.unsupported {
        "no event stream"
    } else if e.refused_trace.is_some() {
        "trace refused"
    } else if e.streaming() {
        "live"
    } else if e.connected() {
        "starting…"
    } else {
        "not connected"
    }
}

fn settings_text(s: DebugSettings, long: bool) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    if long {
        format!("level {} {} · file {} · ts {}", s.level, s.verbosity(), on(s.trace), on(s.timestamp))
    } else {
        format!("{:>3}", s.level)
    }
}

fn daemon_list(buf: &mut Buffer, area: Rect, state: &State, daemons: &[Daemon], st: &Styles) {
    let t = &state.trace;
    let focused = t.focus == TraceFocus::Daemons;
    let b = block(format!("Daemons · {}", stream_word(state)), focused, st);
    let inner = b.inner(area);
    b.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let width = usize::from(inner.width);
    let long = width >= 60;
    let lines: Vec<Line> = daemons
        .iter()
        .enumerate()
        .skip(t.cursor.offset)
        .take(usize::from(inner.height))
        .map(|(i, d)| {
            let here = i == t.cursor.selected;
            let open = t.pane_of(d).is_some();
            let staged = t.staged_of(d);
            let applied = t.applied.get(d);
            // Settings sent from here are known; others are only what `s` would send.
            let known = applied.is_some();
            let unsent = t.staged.contains_key(d) && applied != Some(&staged);
            let right = format!("{}{}", settings_text(staged, long), if unsent { "*" } else { " " });
            let role = if long { format!("{:<9} ", d.role()) } else { format!("{:<3} ", d.kind()) };
            let name_w = width.saturating_sub(3 + role.chars().count() + 1 + right.chars().count());
            let name = fit(d.name(&state.director), name_w);
            let row = if here && focused { st.selected } else { Style::default() };
            Line::from(vec![
                Span::styled(if here { "▸" } else { " " }, st.key),
                Span::styled(if open { "● " } else { "○ " }, if open { st.job_running } else { st.dim }),
                Span::raw(format!("{name:<name_w$} ")),
                Span::styled(role, st.dim),
                Span::styled(right, if known || unsent { Style::default() } else { st.dim }),
            ])
            .style(row)
        })
        .collect();
    if state.trace.clients.is_none() && lines.len() == 1 {
        let mut v = lines;
        v.push(Line::from(Span::styled(" loading clients and storages…", st.dim)));
        Paragraph::new(v).render(inner, buf);
    } else {
        Paragraph::new(lines).render(inner, buf);
    }
}

/// The target daemon's `setdebug` settings (wide terminals).
fn detail(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    let t = &state.trace;
    let Some(d) = t.target() else { return };
    let b = block(format!("setdebug · {}", d.name(&state.director)), false, st);
    let inner = b.inner(area);
    b.render(area, buf);
    let s = t.staged_of(&d);
    let on = |b: bool| if b { "on" } else { "off" };
    let row = |k: &str, v: String, key: &str| {
        Line::from(vec![
            Span::styled(format!("{k:<11}"), st.header),
            Span::raw(format!("{v:<12}")),
            Span::styled(key.to_string(), st.key),
        ])
    };
    let mut lines = vec![
        row("level", format!("{} {}", s.level, s.verbosity()), "+ -"),
        row("trace file", on(s.trace).into(), "t"),
        row("timestamps", on(s.timestamp).into(), "T"),
        Line::from(vec![
            Span::styled(format!("{:<11}", "send"), st.header),
            Span::styled("s", st.key),
            Span::styled(if t.applied.get(&d) == Some(&s) { "  (as sent)" } else { "  (not sent)" }, st.dim),
        ]),
    ];
    if let Some(r) = t.replies.get(&d) {
        lines.push(Line::from(""));
        let w = usize::from(inner.width.max(1));
        for piece in crate::format::wrap(r, w) {
            lines.push(Line::from(Span::styled(piece, st.dim)));
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

/// `N name (role) · state…`: the parts that matter most first, as many as fit.
fn pane_title(state: &State, i: usize, p: &TracePane, width: usize) -> String {
    let d = &p.daemon;
    let room = width.saturating_sub(6);
    let mut title = format!("{} {}", i + 1, d.name(&state.director));
    if width >= 60 {
        title.push_str(&format!(" ({})", d.role()));
    }
    let mut extras = Vec::new();
    if p.paused {
        extras.push(format!("⏸ paused · {} new", p.held_count));
    } else if p.scroll > 0 {
        extras.push(format!("↑{} · G follows", p.scroll));
    }
    if !p.filter.is_empty() && p.editing.is_none() {
        extras.push(format!("filter “{}”", p.filter));
    }
    if p.error.is_some() {
        extras.push("✖ not followed".into());
    }
    if p.dropped > 0 {
        extras.push(format!("{} dropped", p.dropped));
    }
    if let Some(s) = state.trace.applied.get(d) {
        extras.push(format!("level {}", s.level));
    }
    for e in extras {
        if title.chars().count() + 3 + e.chars().count() <= room {
            title.push_str(" · ");
            title.push_str(&e);
        }
    }
    title
}

fn pane(buf: &mut Buffer, area: Rect, state: &State, i: usize, p: &TracePane, st: &Styles) -> Option<Position> {
    let focused = state.trace.focus == TraceFocus::Pane(i);
    let b = block(pane_title(state, i, p, usize::from(area.width)), focused, st);
    let mut inner = b.inner(area);
    b.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let filter_row = (p.editing.is_some() || !p.filter.is_empty()).then(|| {
        let r = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
        inner.height -= 1;
        r
    });
    let height = usize::from(inner.height);
    let rows = p.window(height);
    if rows.is_empty() {
        placeholder(buf, inner, &empty_text(state, p), st);
    } else {
        let lines: Vec<Line> = rows.iter().map(|l| line(l, inner.width, st)).collect();
        Paragraph::new(lines).render(inner, buf);
    }
    let r = filter_row?;
    if let Some(input) = &p.editing {
        return input_line(buf, r, "filter / ", input, st);
    }
    Line::from(vec![
        Span::styled("filter: ", st.prompt),
        Span::styled(p.filter.clone(), st.input),
        Span::styled("   / edit · Esc clear", st.dim),
    ])
    .render(r, buf);
    None
}

fn empty_text(state: &State, p: &TracePane) -> String {
    let e = &state.events;
    if e.unsupported {
        return "This director has no event stream (.events): no live trace.".into();
    }
    if let Some((_, err)) = &e.refused_trace {
        return format!("Trace refused: {err}");
    }
    if let Some(err) = &p.error {
        return format!("✖ {err}");
    }
    if !e.streaming() {
        return "Waiting for the event stream…".into();
    }
    if p.received == 0 {
        return "No lines yet: raise the level (+), send it (s).".into();
    }
    if p.paused {
        return "Paused (p resumes).".into();
    }
    format!("No line matches “{}”.", p.needle())
}

/// One trace line: time, level (a letter in narrow panes), [target (wide
/// panes),] message — coloured by level.
fn line(l: &TraceLine, width: u16, st: &Styles) -> Line<'static> {
    let style = match (l.note, l.level) {
        (true, TraceLevel::Error) => st.trace_error,
        (true, _) => st.dim,
        (false, level) => st.trace(level),
    };
    let message = l.message.replace('\n', " ⏎ ").replace('\r', "");
    let label = if l.note { "" } else { l.level.label() };
    let level = if width >= 60 { format!("{label:<5} ") } else { format!("{:<1} ", label.chars().next().unwrap_or(' ')) };
    let mut spans = vec![Span::styled(format!("{:<8} ", l.clock()), st.log_time), Span::styled(level, style)];
    if width >= 100 && !l.target.is_empty() {
        spans.push(Span::styled(format!("{}: ", l.target), st.dim));
    }
    spans.push(Span::styled(message, style));
    Line::from(spans)
}
