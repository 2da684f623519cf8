//! Screen 5: a bconsole-style command line on its own connection (API 0).

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{block, input_line, placeholder};
use crate::action::LinkState;
use crate::layout;
use crate::state::{Prompt, State};
use crate::theme::Styles;

pub fn draw(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) -> Option<Position> {
    let c = &state.console;
    let l = layout::console(body);
    let b = block(format!("Console — {}", state.director), !c.focused, st);
    let inner = b.inner(l.output);
    b.render(l.output, buf);
    if c.lines.is_empty() {
        let text = match &state.console_link {
            LinkState::Connected { .. } => "Connected.",
            LinkState::Connecting => "connecting…",
            LinkState::Lost { .. } => "not connected (retrying)",
        };
        placeholder(buf, inner, text, st);
    } else {
        let h = usize::from(inner.height);
        let end = c.lines.len().saturating_sub(c.scroll);
        let start = end.saturating_sub(h);
        let lines: Vec<Line> = c.lines[start..end]
            .iter()
            .map(|l| {
                if l.starts_with('*') || l.starts_with("$ ") {
                    Line::from(Span::styled(l.clone(), st.prompt))
                } else if l.starts_with("!! ") || l.starts_with("-- connection lost") {
                    Line::from(Span::styled(l.clone(), st.message_error))
                } else {
                    Line::from(Span::styled(l.clone(), st.severity(crate::state::Severity::of(l))))
                }
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
    let title = if c.busy {
        "Command — waiting for the director…"
    } else if c.focused {
        match c.prompt {
            Prompt::Main => "Command",
            Prompt::Sub => "Answer",
            Prompt::Tree => "Restore tree",
        }
    } else {
        "Command — Enter to type"
    };
    let b = block(title, c.focused, st);
    let inner = b.inner(l.input);
    b.render(l.input, buf);
    let prompt = match c.prompt {
        Prompt::Main => "* ",
        Prompt::Sub => "? ",
        Prompt::Tree => "$ ",
    };
    let pos = input_line(buf, inner, prompt, &c.input, st);
    if c.focused && !c.busy { pos } else { None }
}
