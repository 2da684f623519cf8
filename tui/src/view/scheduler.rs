//! Screen 3: the scheduler preview as a timeline grouped by day.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{block, placeholder};
use crate::format;
use crate::layout;
use crate::state::State;
use crate::theme::Styles;
use crate::update::{TimelineRow, timeline_rows};

pub fn draw(buf: &mut Buffer, body: Rect, state: &State, st: &Styles) {
    let l = layout::scheduler(body);
    let s = &state.scheduler;
    let days = if s.days == 1 { "next day".to_string() } else { format!("next {} days", s.days) };
    let b = block(format!("Scheduler — {days} (+/- to change)"), true, st);
    let inner = b.inner(l.timeline);
    b.render(l.timeline, buf);
    let Some(data) = &s.data else {
        placeholder(buf, inner, "loading…", st);
        return;
    };
    if data.preview.is_empty() {
        placeholder(buf, inner, &format!("No runs scheduled in the {days}."), st);
    } else {
        let width = usize::from(inner.width);
        let lines: Vec<Line> = timeline_rows(data)
            .into_iter()
            .skip(s.offset)
            .take(usize::from(inner.height))
            .map(|row| match row {
                TimelineRow::Day(d) => Line::from(Span::styled(d, st.sched_day)),
                TimelineRow::Run(i) => {
                    let r = &data.preview[i];
                    let time = r.datetime.rsplit_once(' ').map(|(_, t)| t).unwrap_or("").to_string();
                    let jobs: Vec<String> = data
                        .jobs_of(&r.schedule)
                        .into_iter()
                        .map(|(n, on)| if *on { n.clone() } else { format!("{n} (disabled)") })
                        .collect();
                    let mut extra: Vec<String> = r.overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    extra.retain(|e| !e.is_empty());
                    let head = format!("  {time}  ");
                    let sched = format!("{:<22} ", format::fit(&r.schedule, 22));
                    let level = format!("{:<13}", r.level);
                    let used = head.chars().count() + sched.chars().count() + level.chars().count();
                    let mut rest = jobs.join(", ");
                    if !extra.is_empty() {
                        rest = format!("{rest}  [{}]", extra.join(" "));
                    }
                    Line::from(vec![
                        Span::styled(head, st.sched_time),
                        Span::raw(sched),
                        Span::styled(level, st.level(&r.level)),
                        Span::raw(format::fit(&rest, width.saturating_sub(used))),
                    ])
                }
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
    if let Some(area) = l.schedules {
        let b = block("Schedules", false, st);
        let inner = b.inner(area);
        b.render(area, buf);
        let mut lines = Vec::new();
        for sc in &data.schedules {
            let style = if sc.enabled { st.title } else { st.dim };
            lines.push(Line::from(Span::styled(sc.name.clone(), style)));
            for (job, on) in &sc.jobs {
                let text = if *on { format!("  {job}") } else { format!("  {job} (disabled)") };
                lines.push(Line::from(Span::styled(text, if *on { super::plain() } else { st.dim })));
            }
        }
        if lines.is_empty() {
            placeholder(buf, inner, "No schedules in use.", st);
        } else {
            Paragraph::new(lines).render(inner, buf);
        }
    }
}
