//! The data that flows through the TUI: [`Action`]s into the reducer,
//! [`Effect`]s out of it.
//!
//! ```text
//!  terminal events ─┐
//!  clock ticks ─────┼─> Action ─> update(&mut State) ─> Vec<Effect> ─> effect runner ─> director
//!  director replies ┘                   │                                     │
//!                                       └─> view::render(&State)      replies come back as Actions
//! ```

use std::time::Duration;

use chrono::NaiveDateTime;
use ratatui::crossterm::event::{KeyEvent, MouseEvent};
use serde_json::Value;

use crate::keymap::Cmd;

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Screen {
    Dashboard,
    Jobs,
    Scheduler,
    JobLog,
    Console,
    /// Browse a client's backups (bvfs), mark files, start a restore.
    Restore,
    /// Live trace lines of chosen daemons, and their `setdebug` settings.
    Trace,
}

impl Screen {
    pub const ALL: [Screen; 7] = [
        Screen::Dashboard,
        Screen::Jobs,
        Screen::Scheduler,
        Screen::JobLog,
        Screen::Console,
        Screen::Restore,
        Screen::Trace,
    ];

    /// The name used in the keymap (`screen jobs`) and on the tab bar.
    pub fn name(self) -> &'static str {
        match self {
            Screen::Dashboard => "dashboard",
            Screen::Jobs => "jobs",
            Screen::Scheduler => "scheduler",
            Screen::JobLog => "log",
            Screen::Console => "console",
            Screen::Restore => "restore",
            Screen::Trace => "trace",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Screen::Dashboard => "Dashboard",
            Screen::Jobs => "Jobs",
            Screen::Scheduler => "Scheduler",
            Screen::JobLog => "Job log",
            Screen::Console => "Console",
            Screen::Restore => "Restore",
            Screen::Trace => "Trace",
        }
    }

    pub fn from_name(s: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|x| x.name() == s)
    }

    pub fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn next(self) -> Screen {
        Screen::ALL[(self.index() + 1) % Screen::ALL.len()]
    }

    pub fn prev(self) -> Screen {
        Screen::ALL[(self.index() + Screen::ALL.len() - 1) % Screen::ALL.len()]
    }
}

/// A request to the director in JSON mode (API 2). The reply comes back as
/// [`Action::Json`] tagged with the same query, so the reducer knows what it
/// answers; a query is never in flight twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Query {
    /// `status director`
    StatusDirector,
    /// `list jobs`
    ListJobs,
    /// `llist jobid=N`
    JobDetail(u32),
    /// `list joblog jobid=N`
    JobLog(u32),
    /// `status scheduler days=N`
    Scheduler(i32),
    /// `.jobs`
    JobNames,
    /// `.defaults job=X`
    JobDefaults(String),
    /// `run job=X level=Y yes`
    Run { job: String, level: Option<String> },
    /// `cancel jobid=N yes`
    Cancel(u32),
    /// `rerun jobid=N yes`
    Rerun(u32),
    /// `llist volumes all`
    ListVolumes,
    /// Console Tab completion data: `.help` or a dot list (`.jobs`, `.pools`, …).
    Complete(String),
    /// `.clients`
    Clients,
    /// `.storages`
    Storages,
    /// `setdebug level=N trace=0|1 timestamp=0|1 dir|client=X|storage=X`
    SetDebug { daemon: crate::trace::Daemon, settings: crate::trace::DebugSettings },
    /// The restore browser's bvfs and restore commands.
    Restore(crate::browser::RQuery),
}

impl Query {
    /// The command line sent to the director.
    pub fn command(&self) -> String {
        match self {
            Query::StatusDirector => "status director".into(),
            Query::ListJobs => "list jobs".into(),
            Query::JobDetail(id) => format!("llist jobid={id}"),
            Query::JobLog(id) => format!("list joblog jobid={id}"),
            Query::Scheduler(days) => format!("status scheduler days={days}"),
            Query::JobNames => ".jobs".into(),
            Query::JobDefaults(job) => format!(".defaults job={}", quote(job)),
            Query::Run { job, level } => match level {
                Some(l) => format!("run job={} level={} yes", quote(job), quote(l)),
                None => format!("run job={} yes", quote(job)),
            },
            Query::Cancel(id) => format!("cancel jobid={id} yes"),
            Query::Rerun(id) => format!("rerun jobid={id} yes"),
            Query::ListVolumes => "llist volumes all".into(),
            Query::Complete(cmd) => cmd.clone(),
            Query::Clients => ".clients".into(),
            Query::Storages => ".storages".into(),
            Query::SetDebug { daemon, settings } => format!(
                "setdebug level={} trace={} timestamp={} {}",
                settings.level,
                u8::from(settings.trace),
                u8::from(settings.timestamp),
                daemon.setdebug_target()
            ),
            Query::Restore(q) => q.command(),
        }
    }
}

/// Quote a value for the director's command line when it holds blanks.
fn quote(s: &str) -> String {
    if s.chars().any(|c| c.is_whitespace() || c == '"') { format!("\"{}\"", s.replace('"', "")) } else { s.to_string() }
}

/// What the reducer asks the outside world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run a query on the JSON connection; answered by [`Action::Json`].
    Json(Query),
    /// Send a line on the console (API 0) connection; answered by
    /// [`Action::ConsoleReply`].
    Console(String),
    /// Run the event stream with these `.events` arguments (restarting it when
    /// they differ from the running one); answered by [`Action::Event`]s.
    Events(String),
}

/// Which director connection a [`LinkState`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The API 2 connection that feeds the screens.
    Json,
    /// The API 0 connection of the console pane.
    Console,
    /// The connection that runs the event stream (`.events`).
    Events,
}

/// The state of one director connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Connected { banner: String },
    Lost { error: String, retry_in: Duration },
}

/// The reply to a console line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleReply {
    pub text: String,
    /// The director asked a question: the next line is its answer.
    pub sub_prompt: bool,
    /// The reply entered the restore tree (`$ ` prompt).
    pub in_tree: bool,
}

/// Why a query has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// There is no connection (or it broke during the query); it is retried.
    Disconnected(String),
    /// The director answered with an error.
    Failed(String),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Disconnected(e) => write!(f, "not connected: {e}"),
            QueryError::Failed(e) => f.write_str(e),
        }
    }
}

/// Everything that changes the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The wall clock (local time), once a second; drives polling.
    Tick(NaiveDateTime),
    /// A keymap command, bypassing key lookup (tests, scripted use).
    Cmd(Cmd),
    /// A JSON query's result.
    Json {
        query: Query,
        result: Result<Value, QueryError>,
    },
    ConsoleReply(Result<ConsoleReply, QueryError>),
    Link {
        link: Link,
        state: LinkState,
    },
    /// An event of the director's event stream, or a change of the stream.
    Event(crate::events::DirEvent),
}
