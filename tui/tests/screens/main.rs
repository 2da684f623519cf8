//! The TUI's one integration-test binary: whole-screen snapshots at 80x24 and
//! 120x40 from fixture JSON captured from a real director, one style snapshot
//! per theme, and robustness checks. Snapshots are committed under
//! `snapshots/`; insta compares against them (in CI it never writes).

mod casts;
mod restore;
mod screens;
mod support;
mod themes;
mod trace;
