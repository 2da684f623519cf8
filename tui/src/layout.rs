//! Screen geometry as pure functions of the terminal size (and a little
//! state). The views draw into these rectangles and the reducer uses the same
//! numbers for page sizes, keeping the selection visible and mouse hit tests,
//! so neither has to remember what the other did.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::action::Screen;
use crate::state::State;

/// The three horizontal bands of every screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chrome {
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
}

pub fn chrome(area: Rect) -> Chrome {
    let [tabs, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    Chrome { tabs, body, status }
}

/// The inside of a bordered block (see `view::block`: borders plus one
/// column of padding on the left).
pub fn inner(r: Rect) -> Rect {
    if r.width < 3 || r.height < 2 {
        return Rect { x: r.x, y: r.y, width: 0, height: 0 };
    }
    Rect { x: r.x + 2, y: r.y + 1, width: r.width - 3, height: r.height - 2 }
}

/// The data rows of a bordered table with one header row.
pub fn table_rows(r: Rect) -> Rect {
    let i = inner(r);
    Rect { y: i.y.saturating_add(1), height: i.height.saturating_sub(1), ..i }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardLayout {
    pub header: Rect,
    pub running: Rect,
    pub terminated: Rect,
    pub scheduled: Rect,
    pub clients: Rect,
    /// Pool usage gauges, on wide terminals.
    pub pools: Option<Rect>,
}

/// The dashboard has a pool-usage panel on terminals this wide.
pub fn shows_pools(width: u16) -> bool {
    width >= 100
}

pub fn dashboard(body: Rect, running: usize, scheduled: usize) -> DashboardLayout {
    let tall = body.height >= 30;
    let running_h = (running.max(1) as u16 + 3).clamp(4, if tall { 12 } else { 7 });
    let bottom_h = (scheduled.max(1) as u16 + 3).clamp(5, if tall { 12 } else { 6 });
    let [header, running, terminated, bottom] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(running_h),
        Constraint::Min(4),
        Constraint::Length(bottom_h),
    ])
    .areas(body);
    if shows_pools(body.width) {
        let [scheduled, clients, pools] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(25), Constraint::Percentage(30)])
                .areas(bottom);
        return DashboardLayout { header, running, terminated, scheduled, clients, pools: Some(pools) };
    }
    let [scheduled, clients] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(bottom);
    DashboardLayout { header, running, terminated, scheduled, clients, pools: None }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobsLayout {
    pub filter: Rect,
    pub table: Rect,
    pub detail: Rect,
    /// The detail pane is to the right (wide terminals) rather than below.
    pub side: bool,
}

pub fn jobs(body: Rect) -> JobsLayout {
    let [filter, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(body);
    if body.width >= 110 {
        let [table, detail] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(38)]).areas(rest);
        JobsLayout { filter, table, detail, side: true }
    } else {
        let [table, detail] = Layout::vertical([Constraint::Fill(1), Constraint::Length(7)]).areas(rest);
        JobsLayout { filter, table, detail, side: false }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerLayout {
    pub timeline: Rect,
    /// The schedules list, on wide terminals.
    pub schedules: Option<Rect>,
}

pub fn scheduler(body: Rect) -> SchedulerLayout {
    if body.width >= 110 {
        let [timeline, schedules] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(36)]).areas(body);
        SchedulerLayout { timeline, schedules: Some(schedules) }
    } else {
        SchedulerLayout { timeline: body, schedules: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLayout {
    pub log: Rect,
    pub search: Option<Rect>,
}

/// Width of the time column of the job log (`05:25:02 `).
pub const LOG_TIME_WIDTH: u16 = 9;

pub fn joblog(body: Rect, search_line: bool) -> LogLayout {
    if search_line {
        let [log, search] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(body);
        LogLayout { log, search: Some(search) }
    } else {
        LogLayout { log: body, search: None }
    }
}

/// The log's text area (inside the border) and the width left for text after
/// the time column.
pub fn log_text(state: &State) -> (Rect, usize) {
    let l = joblog(chrome(screen_area(state)).body, log_search_line(state));
    let i = inner(l.log);
    (i, i.width.saturating_sub(LOG_TIME_WIDTH) as usize)
}

pub fn log_search_line(state: &State) -> bool {
    state.log.search.editing.is_some() || !state.log.search.query.is_empty()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleLayout {
    pub output: Rect,
    pub input: Rect,
}

pub fn console(body: Rect) -> ConsoleLayout {
    let [output, input] = Layout::vertical([Constraint::Fill(1), Constraint::Length(3)]).areas(body);
    ConsoleLayout { output, input }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreLayout {
    /// One line: client, point in time, what is marked.
    pub header: Rect,
    /// The list (clients, backups or a directory), bordered, one header row.
    pub list: Rect,
    /// Details of the selection and of the entry, on wide terminals.
    pub side: Option<Rect>,
}

pub fn restore(body: Rect) -> RestoreLayout {
    let [header, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(body);
    if body.width >= 110 {
        let [list, side] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(38)]).areas(rest);
        RestoreLayout { header, list, side: Some(side) }
    } else {
        RestoreLayout { header, list: rest, side: None }
    }
}

/// The whole terminal as a rectangle.
pub fn screen_area(state: &State) -> Rect {
    Rect::new(0, 0, state.size.0, state.size.1)
}

/// Rows available for the list of the current screen (for paging).
pub fn list_height(state: &State) -> usize {
    list_height_of(state, state.screen)
}

/// Data rows of the dashboard's running and terminated tables.
pub fn dash_heights(state: &State) -> (usize, usize) {
    let body = chrome(screen_area(state)).body;
    let st = state.dashboard.status.as_ref();
    let d = dashboard(body, st.map_or(0, |s| s.running.len()), st.map_or(0, |s| s.scheduled.len()));
    (usize::from(table_rows(d.running).height.max(1)), usize::from(table_rows(d.terminated).height.max(1)))
}

/// Rows available for the list of `screen`.
pub fn list_height_of(state: &State, screen: Screen) -> usize {
    let body = chrome(screen_area(state)).body;
    let h = match screen {
        Screen::Dashboard => {
            let (r, t) = dash_heights(state);
            return match state.dashboard.pane {
                crate::state::DashPane::Running => r,
                crate::state::DashPane::Terminated => t,
            };
        }
        Screen::Jobs => table_rows(jobs(body).table).height,
        Screen::Scheduler => inner(scheduler(body).timeline).height,
        Screen::JobLog => log_text(state).0.height,
        Screen::Console => inner(console(body).output).height,
        Screen::Restore => table_rows(restore(body).list).height,
        Screen::Trace => return crate::trace::page_height(state),
    };
    usize::from(h.max(1))
}
