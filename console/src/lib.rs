//! `cairn-console`: the bconsole-compatible line console run by `cairn console`
//! (and by the binary when invoked as `bconsole`).
//!
//! It reads a bconsole configuration (`bconsole.conf` / `bconsole.d`), logs into
//! a Director as the default or a named console, prints the banner exactly as
//! bconsole does, and then either
//!
//! * **batch mode** (stdin is not a terminal): echoes every input line and
//!   prints the Director's reply, so `cairn console <<END ... END` logs diff
//!   cleanly against bconsole's (format: [`script`]); or
//! * **interactive mode**: a reedline prompt (`*`, the Director's question at a
//!   sub-prompt, `$ ` in the restore tree) with history, a hinter and Tab
//!   completion of commands, keywords and resource names ([`complete`]).
//!
//! Lines starting with `@` are local commands ([`at_commands`]): `@input`,
//! `@output`, `@tee`, `@exec`, `@sleep`, `@time`, `@version`, `@echo`,
//! `@separator`, `@quit`/`@exit`, `@help`, `@#`.
//!
//! The test suite replays `.session` transcripts in-process through
//! [`script::run_script`], which behaves exactly like batch mode after the
//! banner:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use cairn_console::script::{run_script, ScriptOptions};
//! use cairn_proto::{ConnectOptions, DirectorClient, auth::password_key};
//!
//! let opts = ConnectOptions::new("127.0.0.1", 9101, password_key("secret"));
//! let mut client = DirectorClient::connect(&opts).await?;
//! let input: &[u8] = b"@echo hello\nlist jobs\n";
//! let mut out = Vec::new();
//! let outcome = run_script(&mut client, input, &mut out, ScriptOptions::default()).await?;
//! // out = "@echo hello\nhello \nlist jobs\n<the Director's reply>"
//! # let _ = outcome; Ok(()) }
//! ```
//!
//! Exit codes of [`run`]: 0 after a normal end (end of input, `quit`, the
//! Director closing the session), 1 when the configuration is bad, the
//! connection or login fails, a reply times out (`-u`), or the connection
//! breaks with a protocol error.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod at_commands;
pub mod complete;
pub mod config;
mod editor;
pub mod error;
pub mod output;
pub mod script;
pub mod select;
pub mod session;

#[cfg(test)]
mod tests;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

pub use error::ConsoleError;
pub use script::{ScriptOptions, ScriptOutcome, SessionEnd, run_script};

/// Command-line options of `cairn console` / `bconsole` (parsed by the binary).
#[derive(Debug, Clone, Default)]
pub struct ConsoleArgs {
    /// `-c PATH`: a config file, a `bconsole.d`-style directory, or a config root.
    pub config: Option<PathBuf>,
    /// `-D name`: the Director resource to use.
    pub director: Option<String>,
    /// `-l`: print the Director names and exit.
    pub list_directors: bool,
    /// `-t`: load the configuration, report problems, exit 0/1.
    pub test_config: bool,
    /// `-s`: no signal handlers. Accepted for compatibility; Cairn installs none
    /// (Ctrl-C at the prompt abandons the line, Ctrl-D ends the session).
    pub no_signals: bool,
    /// `-u SECONDS`: give up on a reply after this long (the session ends, exit 1).
    pub timeout: Option<u64>,
    /// `-d LEVEL`: debug output on stderr (> 0: connection and completion details).
    pub debug: Option<u32>,
    /// `--home DIR`: use `DIR/etc` as the configuration root (as `cairn up` writes it).
    pub home: Option<PathBuf>,
    /// Batch mode; `None` = detect (stdin is not a terminal).
    pub batch: Option<bool>,
}

/// Run the console; returns the process exit code.
pub async fn run(args: ConsoleArgs) -> i32 {
    match run_inner(args).await {
        Ok(code) => code,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("{e}");
            1
        }
    }
}

async fn run_inner(args: ConsoleArgs) -> Result<i32, ConsoleError> {
    let debug = args.debug.unwrap_or(0);
    let path = config::config_path(args.config.as_deref(), args.home.as_deref())?;
    if debug > 0 {
        eprintln!("console: configuration {}", path.display());
    }
    let loaded = config::load(&path)?;
    if !loaded.warnings.is_empty() {
        eprintln!("There are configuration warnings:");
        for w in &loaded.warnings {
            eprintln!(" * {w}");
        }
    }
    let setup = loaded.setup;
    if args.list_directors {
        let mut out = std::io::stdout().lock();
        for d in &setup.directors {
            writeln!(out, "{}", d.name)?;
        }
    }
    if args.test_config || args.list_directors {
        return Ok(0);
    }

    let batch = args.batch.unwrap_or_else(|| !std::io::stdin().is_terminal());
    let dir = match setup.choose_director(args.director.as_deref())? {
        Some(i) => i,
        None if batch => 0,
        None => match ask_director(&setup).await? {
            Some(i) => i,
            None => return Ok(1),
        },
    };
    let connect_opts = setup.connect_options(dir)?;
    let console = setup.choose_console(dir);
    let director = &setup.directors[dir];
    if debug > 0 {
        eprintln!(
            "console: Director {} as {}",
            director.name,
            console.map(|c| format!("console {}", c.name)).unwrap_or_else(|| "the default console".into())
        );
    }
    print_now(&session::connecting_line(director))?;
    let mut client = session::connect(director, &connect_opts).await?;
    print_now(&session::banner_text(client.banner()))?;

    let opts = ScriptOptions { timeout: args.timeout.filter(|t| *t > 0).map(Duration::from_secs), ..Default::default() };
    let end = if batch {
        session::run_batch(&mut client, opts).await
    } else {
        session::run_interactive(&mut client, connect_opts.clone(), console, opts, debug).await
    };
    client.close().await;
    match end? {
        SessionEnd::TimedOut => Ok(1),
        _ => Ok(0),
    }
}

fn print_now(s: &str) -> Result<(), ConsoleError> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// bconsole's Director menu; None when stdin ends.
async fn ask_director(setup: &select::ConsoleSetup) -> Result<Option<usize>, ConsoleError> {
    let setup = setup.clone();
    tokio::task::spawn_blocking(move || {
        let stdin = std::io::stdin();
        loop {
            print_now(&setup.director_menu())?;
            print_now("Select Director by entering a number: ")?;
            let mut line = String::new();
            if stdin.lock().read_line(&mut line)? == 0 {
                return Ok(None);
            }
            match setup.parse_menu_answer(&line) {
                Ok(i) => return Ok(Some(i)),
                Err(msg) => print_now(&msg)?,
            }
        }
    })
    .await
    .map_err(|e| ConsoleError::Editor(e.to_string()))?
}
