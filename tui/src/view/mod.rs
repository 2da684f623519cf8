//! Rendering: a pure function of the state (and the theme). Each screen has
//! its own file; this one draws the chrome (tab bar, status bar) and the
//! overlays (help, dialogs).

mod console;
mod dashboard;
mod joblog;
mod jobs;
mod restore;
mod scheduler;
mod trace;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Padding, Paragraph, Widget};

use crate::action::{LinkState, Screen};
use crate::keymap::Layer;
use crate::layout;
use crate::state::{Dialog, LineInput, State};
use crate::theme::Styles;

/// Draw the whole screen.
pub fn render(frame: &mut Frame, state: &State, styles: &Styles) {
    let area = frame.area();
    let cursor = draw(frame.buffer_mut(), area, state, styles);
    if let Some(p) = cursor {
        frame.set_cursor_position(p);
    }
}

/// Draw into a buffer; returns where the text cursor goes, if anywhere.
pub fn draw(buf: &mut Buffer, area: Rect, state: &State, styles: &Styles) -> Option<Position> {
    if area.width == 0 || area.height == 0 {
        return None;
    }
    buf.set_style(area, styles.base);
    let c = layout::chrome(area);
    tabs(buf, c.tabs, state, styles);
    let mut cursor = match state.screen {
        Screen::Dashboard => {
            dashboard::draw(buf, c.body, state, styles);
            None
        }
        Screen::Jobs => jobs::draw(buf, c.body, state, styles),
        Screen::Scheduler => {
            scheduler::draw(buf, c.body, state, styles);
            None
        }
        Screen::JobLog => joblog::draw(buf, c.body, state, styles),
        Screen::Console => console::draw(buf, c.body, state, styles),
        Screen::Restore => restore::draw(buf, c.body, state, styles),
        Screen::Trace => trace::draw(buf, c.body, state, styles),
    };
    status_bar(buf, c.status, state, styles);
    if let Some(d) = &state.dialog {
        dialog(buf, c.body, d, state, styles);
        cursor = None;
    }
    if state.help {
        help(buf, c.body, state, styles);
        cursor = None;
    }
    cursor
}

const BRAND: &str = " cairn ";

/// Tab titles for terminals too narrow for the full ones.
fn short_title(s: Screen) -> &'static str {
    match s {
        Screen::Dashboard => "Dash",
        Screen::Scheduler => "Sched",
        Screen::JobLog => "Log",
        other => other.title(),
    }
}

/// Full titles when they fit in `width` columns, else the short ones.
fn tab_label(s: Screen, width: u16) -> String {
    let full: usize =
        BRAND.chars().count() + 1 + Screen::ALL.iter().map(|s| s.title().chars().count() + 5).sum::<usize>();
    let title = if full <= usize::from(width) { s.title() } else { short_title(s) };
    format!(" {} {} ", s.index() + 1, title)
}

/// The tab under column `x` of the tab bar of a terminal `width` columns wide.
pub fn tab_at(x: u16, width: u16) -> Option<Screen> {
    let mut x0 = BRAND.chars().count() as u16 + 1;
    for s in Screen::ALL {
        let w = tab_label(s, width).chars().count() as u16;
        if x >= x0 && x < x0 + w {
            return Some(s);
        }
        x0 += w + 1;
    }
    None
}

fn tabs(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    let mut spans = vec![Span::styled(BRAND, st.title_focused), Span::raw(" ")];
    for s in Screen::ALL {
        let style = if s == state.screen { st.tab_active } else { st.tab };
        spans.push(Span::styled(tab_label(s, area.width), style));
        spans.push(Span::raw(" "));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = usize::from(area.width).saturating_sub(used);
    let mut right = format!("{}  {} ", state.director, state.now.format("%H:%M:%S"));
    if room <= right.chars().count() {
        right = format!("{} ", state.now.format("%H:%M:%S"));
    }
    if room > right.chars().count() {
        spans.push(Span::raw(" ".repeat(room - right.chars().count())));
        spans.push(Span::styled(right, st.dim));
    }
    Line::from(spans).render(area, buf);
}

fn conn_span(state: &State, st: &Styles, wide: bool) -> Vec<Span<'static>> {
    match &state.link {
        LinkState::Connected { .. } => {
            let mut v = vec![Span::styled(format!(" ● {}", state.director), st.conn_connected)];
            if wide {
                v.push(Span::styled(format!(" {}", state.address), st.dim));
            }
            v
        }
        LinkState::Connecting => vec![Span::styled(format!(" ◌ connecting to {}", state.address), st.conn_connecting)],
        LinkState::Lost { error, retry_in } => vec![Span::styled(
            format!(" ✖ {}: {} · retry in {}s", state.director, error, retry_in.as_secs().max(1)),
            st.conn_lost,
        )],
    }
}

/// `key desc` pairs, as many as fit in `width`.
fn hint_spans(hints: &[(String, String)], width: usize, st: &Styles) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    for (k, d) in hints {
        let w = k.chars().count() + d.chars().count() + 3;
        if used + w > width {
            break;
        }
        out.push(Span::styled(format!(" {k}"), st.key));
        out.push(Span::styled(format!(" {d} "), st.hint));
        used += w;
    }
    out
}

fn status_bar(buf: &mut Buffer, area: Rect, state: &State, st: &Styles) {
    buf.set_style(area, st.status_bar);
    let wide = area.width >= 110;
    let mut spans = conn_span(state, st, wide);
    spans.push(Span::styled(" │", st.dim));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = usize::from(area.width).saturating_sub(used);
    if let Some(m) = &state.message {
        let style = if m.error { st.message_error } else { st.message };
        spans.push(Span::styled(format!(" {}", crate::format::fit(&m.text, room.saturating_sub(1))), style));
    } else {
        let hints = if let Some(d) = &state.dialog {
            dialog_hints(state, d)
        } else if let Some(h) = restore::hints(state) {
            h
        } else if state.help {
            vec![("any key".to_string(), "close help".to_string())]
        } else if state.typing() {
            let mut h = vec![("Enter".to_string(), "submit".to_string()), ("Esc".to_string(), "leave".to_string())];
            if state.screen == Screen::Console {
                h.push(("↑↓".to_string(), "history".to_string()));
                h.push(("PgUp".to_string(), "scroll".to_string()));
            }
            h
        } else {
            state.keymap.hints(Layer::of_screen(state.screen))
        };
        spans.extend(hint_spans(&hints, room, st));
    }
    Line::from(spans).render(area, buf);
}

/// A bordered block with a title, styled by focus.
pub(crate) fn block(title: impl Into<String>, focused: bool, st: &Styles) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(st.border(focused))
        .padding(Padding::left(1))
        .title(Span::styled(format!(" {} ", title.into()), st.title(focused)))
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Draw a one-line editor; returns the cursor position.
pub(crate) fn input_line(
    buf: &mut Buffer,
    area: Rect,
    prompt: &str,
    input: &LineInput,
    st: &Styles,
) -> Option<Position> {
    if area.width == 0 || area.height == 0 {
        return None;
    }
    let pw = prompt.chars().count();
    let avail = usize::from(area.width).saturating_sub(pw + 1).max(1);
    // Scroll the text so the cursor stays visible.
    let start = input.cursor.saturating_sub(avail);
    let shown: String = input.text.chars().skip(start).take(avail).collect();
    Line::from(vec![Span::styled(prompt.to_string(), st.prompt), Span::styled(shown, st.input)]).render(area, buf);
    let x = area.x + (pw + input.cursor - start).min(usize::from(area.width.saturating_sub(1))) as u16;
    Some(Position { x, y: area.y })
}

fn help(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) {
    let layer = Layer::of_screen(state.screen);
    let global = state.keymap.help_rows(Layer::Global);
    let screen = state.keymap.help_rows(layer);
    let dialog = state.keymap.help_rows(Layer::Dialog);
    let mut right: Vec<(String, String, bool)> =
        vec![(format!("{} screen", state.screen.title()), String::new(), true)];
    right.extend(screen.into_iter().map(|(k, d)| (k, d, false)));
    right.push((String::new(), String::new(), false));
    right.push(("Dialogs".to_string(), String::new(), true));
    right.extend(dialog.into_iter().map(|(k, d)| (k, d, false)));
    let mut left: Vec<(String, String, bool)> = vec![("Everywhere".to_string(), String::new(), true)];
    left.extend(global.into_iter().map(|(k, d)| (k, d, false)));
    let rows = left.len().max(right.len()) as u16;
    let area = centered(body, 84, rows + 2);
    Clear.render(area, buf);
    let b = block("Keys — ? or Esc to close", true, st).style(st.overlay);
    let inner = b.inner(area);
    b.render(area, buf);
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).spacing(2).areas(inner);
    for (col, items) in [(l, left), (r, right)] {
        let kw = (col.width / 2).min(16);
        let lines: Vec<Line> = items
            .into_iter()
            .map(|(k, d, heading)| {
                if heading {
                    Line::from(Span::styled(k, st.header))
                } else {
                    let k = crate::format::fit(&k, usize::from(kw));
                    Line::from(vec![
                        Span::styled(format!("{k:<w$}", w = usize::from(kw)), st.key),
                        Span::styled(format!(" {d}"), st.hint),
                    ])
                }
            })
            .collect();
        Paragraph::new(lines).render(col, buf);
    }
}

/// The dialog layer's hints that apply to this dialog.
fn dialog_hints(state: &State, d: &Dialog) -> Vec<(String, String)> {
    use crate::keymap::Cmd;
    let wanted: &[Cmd] = match d {
        Dialog::RunPicker { .. } => &[Cmd::Confirm, Cmd::Back, Cmd::Down, Cmd::Up],
        Dialog::RunConfirm { levels, .. } if !levels.is_empty() => &[Cmd::Confirm, Cmd::Back, Cmd::LevelNext],
        _ => &[Cmd::Confirm, Cmd::Back],
    };
    state
        .keymap
        .bindings(Layer::Dialog)
        .iter()
        .filter(|b| b.hint && wanted.contains(&b.cmd))
        .filter_map(|b| b.keys.first().map(|k| (k.to_string(), b.desc.clone())))
        .collect()
}

fn dialog(buf: &mut Buffer, body: Rect, d: &Dialog, state: &State, st: &Styles) {
    let footer = Line::from(hint_spans(&dialog_hints(state, d), 60, st));
    match d {
        Dialog::RunPicker { names, cursor, .. } => {
            let n = names.as_ref().map_or(1, |v| v.len().max(1)) as u16;
            let area = centered(body, 48, n.min(crate::update::PICKER_ROWS as u16) + 3);
            Clear.render(area, buf);
            let b = block("Run which job?", true, st).style(st.overlay);
            let inner = b.inner(area);
            b.render(area, buf);
            let [list, foot] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
            match names {
                None => Paragraph::new(Span::styled("loading…", st.dim)).render(list, buf),
                Some(v) if v.is_empty() => Paragraph::new(Span::styled("no jobs defined", st.dim)).render(list, buf),
                Some(v) => {
                    let items: Vec<ListItem> = v.iter().map(|s| ListItem::new(s.clone())).collect();
                    let mut ls = ListState::default().with_offset(cursor.offset).with_selected(Some(cursor.selected));
                    ratatui::widgets::StatefulWidget::render(
                        List::new(items).highlight_style(st.selected),
                        list,
                        buf,
                        &mut ls,
                    );
                }
            }
            footer.render(foot, buf);
        }
        Dialog::RunConfirm { job, defaults, levels, level } => {
            let shown = ["type", "client", "fileset", "pool", "storage", "where"];
            let rows: Vec<(String, String)> = defaults
                .as_ref()
                .map(|d| d.iter().filter(|(k, v)| shown.contains(&k.as_str()) && !v.is_empty()).cloned().collect())
                .unwrap_or_default();
            let area = centered(body, 52, rows.len() as u16 + 4);
            Clear.render(area, buf);
            let b = block(format!("Run {job}"), true, st).style(st.overlay);
            let inner = b.inner(area);
            b.render(area, buf);
            let mut lines = Vec::new();
            if defaults.is_none() {
                lines.push(Line::from(Span::styled("loading defaults…", st.dim)));
            } else if let Some(l) = levels.get(*level) {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<9}", "level"), st.header),
                    Span::styled("◀ ", st.key),
                    Span::styled(l.clone(), st.level(l).patch(st.selected)),
                    Span::styled(" ▶", st.key),
                ]));
            }
            for (k, v) in rows {
                lines.push(Line::from(vec![Span::styled(format!("{k:<9}"), st.header), Span::raw(v)]));
            }
            let [text, foot] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
            Paragraph::new(lines).render(text, buf);
            footer.render(foot, buf);
        }
        Dialog::Confirm { title, text, .. } => {
            let area = centered(body, 56, 5);
            Clear.render(area, buf);
            let b = block(title.clone(), true, st).style(st.overlay);
            let inner = b.inner(area);
            b.render(area, buf);
            let [t, _, foot] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
            Paragraph::new(text.clone()).render(t, buf);
            footer.render(foot, buf);
        }
    }
}

/// A dimmed placeholder line in `area`.
pub(crate) fn placeholder(buf: &mut Buffer, area: Rect, text: &str, st: &Styles) {
    Paragraph::new(Span::styled(text.to_string(), st.dim)).render(area, buf);
}

/// The empty style (for cells that keep the base style).
pub(crate) fn plain() -> Style {
    Style::default()
}
