//! `cairn-tui`: the full-screen operations console (`cairn tui`, and `cairn up`
//! on a terminal).
//!
//! It speaks to the director only through [`cairn_proto::DirectorClient`]: one
//! connection in JSON mode (API 2) feeds the screens, a second one in text mode
//! (API 0) carries the console pane. It never links daemon internals.
//!
//! # Architecture (Elm-like)
//!
//! * [`state::State`] is plain data: what is on screen and what is known.
//! * [`action::Action`]s (keys, mouse, ticks, director replies, link changes)
//!   go through [`update::update`], the only place the state changes, which
//!   returns [`action::Effect`]s (director commands).
//! * [`effect::Runner`] executes effects on three tasks, one per connection
//!   (JSON queries, the console pane, the event stream of [`events`]), and
//!   sends results back as actions; a broken link is reported and retried with
//!   back-off, never a crash.
//! * [`view::draw`] renders the state into a buffer, a pure function of the
//!   state and the theme ([`theme::Styles`]); [`layout`] holds the geometry both
//!   the views and the reducer use.
//! * [`app::run`] owns the terminal: raw mode, alternate screen, mouse, a panic
//!   hook that restores the terminal; it drains all queued actions and draws
//!   once, only when something changed.
//!
//! The keymap ([`keymap`]) and the themes (`cairn-themes`) are data, embedded
//! with user overrides; the help overlay and the status-bar hints are generated
//! from the keymap.
//!
//! # Screens
//!
//! 1. Dashboard — `status director`: header, running jobs with progress,
//!    terminated jobs, next scheduled runs, connected clients (polled each
//!    second).
//! 2. Jobs — `list jobs` with a filter line, `llist jobid=N` of the selection;
//!    run (`.jobs`, `.defaults`, then `run … yes`), cancel, rerun.
//! 3. Scheduler — `status scheduler days=N` as a timeline grouped by day.
//! 4. Job log — `list joblog jobid=N`, following a running job, with search.
//! 5. Console — any command, its text reply.
//! 6. Restore — pick a client and a point in time, browse the merged tree of
//!    its backups page by page (bvfs), mark files and directories, then
//!    `.bvfs_restore` + `restore file=?b2…` ([`browser`]).
//! 7. Trace — live trace lines of chosen daemons in split panes (filter,
//!    pause, scroll, bounded), and their `setdebug` settings ([`trace`]).
//!
//! Job status, progress and job-log lines arrive on the director's event
//! stream (`.events`) as they happen ([`update_events`]); the polls stay as
//! the fallback for a director without it, or while it is down.
//!
//! ```
//! use cairn_tui::{action::Action, keymap::{Cmd, Keymap}, state::State, update::update};
//! let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(5, 25, 20)).expect("date");
//! let mut state = State::new("bareos-dir", "127.0.0.1:9101", Keymap::builtin().expect("keymap"), now);
//! let effects = update(&mut state, Action::Cmd(Cmd::NextScreen));
//! assert_eq!(state.screen, cairn_tui::action::Screen::Jobs);
//! assert!(effects.is_empty()); // not connected yet: nothing is polled
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod action;
pub mod app;
pub mod browser;
pub mod cast;
pub mod complete;
pub mod effect;
pub mod error;
pub mod events;
pub mod format;
pub mod keymap;
pub mod layout;
pub mod model;
pub mod state;
pub mod theme;
pub mod trace;
pub mod update;
pub mod update_events;
pub mod update_trace;
pub mod view;

pub use app::{App, TuiOptions, default_config_dir, run, run_recorded};
pub use error::TuiError;
