//! The non-interactive console: batch mode (stdin is not a terminal) and the
//! in-process replay API used by the test suite ([`run_script`]).
//!
//! # Batch format (what bconsole prints, and so what Cairn prints)
//!
//! For every input line, in order:
//!
//! 1. the line is echoed **exactly as read**, newline included and with no
//!    prompt in front (bconsole's batch loop reads with `fgets` and prints the
//!    buffer before doing anything else; the `*` prompt is only drawn by
//!    readline on a terminal). `@` lines and empty lines are echoed too;
//! 2. trailing white space is stripped;
//! 3. a line starting with `@` is a local command ([`crate::at_commands`]);
//!    anything else, including an empty line, is sent to the Director as one
//!    command frame;
//! 4. the reply frames are printed as they are, up to `BNET_EOD` (API 0),
//!    `BNET_MAIN_PROMPT` (API 1/2) or `BNET_SUB_PROMPT`. A sub-prompt reply
//!    ends with the question (`Select Job resource (1-2): `) and no newline,
//!    so the echoed answer lands on the same line, as in Bareos logs. The next
//!    input line is the answer; in the restore tree the Director's `$ ` prompt
//!    arrives the same way.
//!
//! `.quit`/`.exit` end the session right after being sent (no reply is read);
//! `quit`/`exit` at the main prompt end it after the Director's reply (the
//! Director closes the connection). At end of input the session ends without
//! sending anything (the caller closes the connection, which the Director
//! treats like `BNET_TERMINATE`). `@quit` ends the current input: inside an
//! `@input` file it returns to the including input, as in bconsole.
//!
//! Everything printed after the banner — echo, replies, `@` output — goes
//! through the [`Output`] sink, so `@output`/`@tee` files contain it all.
//!
//! # Root safety
//!
//! bconsole, when built with its safety check, refuses `@input`, `@output`,
//! `@tee` and `@exec` for uid 0 (`@<cmd> command is not allowed as privileged
//! user.`). Cairn does **not** refuse by default (containers and test
//! harnesses run as root, and Bareos-style test scripts depend on `@output`);
//! set [`ScriptOptions::refuse_unsafe_as_root`] to get bconsole's behaviour.

use std::time::Duration;

use cairn_proto::{DirectorClient, ReplyEnd, Signal};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, BufReader};

use crate::at_commands::{self, AtCommand};
use crate::error::ConsoleError;
use crate::output::Output;

/// Options of a non-interactive run.
#[derive(Debug, Clone)]
pub struct ScriptOptions {
    /// Echo every input line before running it (bconsole batch mode: yes).
    pub echo: bool,
    /// Put `*` in front of echoed lines read at the main prompt, so the output
    /// follows the `.session` transcript convention (input lines start with the
    /// prompt). bconsole does not do this; default off.
    pub prompt_echo: bool,
    /// Give up on a reply after this long (bconsole `-u`); the session ends.
    pub timeout: Option<Duration>,
    /// Refuse `@input`/`@output`/`@tee`/`@exec` when running as uid 0.
    pub refuse_unsafe_as_root: bool,
}

impl Default for ScriptOptions {
    fn default() -> Self {
        ScriptOptions { echo: true, prompt_echo: false, timeout: None, refuse_unsafe_as_root: false }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// End of input.
    Eof,
    /// `quit`/`exit`/`.quit`/`.exit`, or `@quit` at the top level.
    Quit,
    /// The Director closed the connection on its own.
    DirectorClosed,
    /// A reply did not arrive within [`ScriptOptions::timeout`].
    TimedOut,
}

/// What [`run_script`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptOutcome {
    pub end: SessionEnd,
    /// Command frames sent to the Director (sub-prompt answers included).
    pub commands_sent: usize,
    /// Still inside the restore tree when the script ended.
    pub in_tree: bool,
}

/// Run a script against a logged-in Director exactly like batch mode after the
/// banner: echo each line, run `@` commands locally, send the rest, print the
/// replies. Returns when the input ends or the session is over; the caller
/// decides whether to close `client`.
pub async fn run_script<R, W>(
    client: &mut DirectorClient,
    input: R,
    output: W,
    opts: ScriptOptions,
) -> Result<ScriptOutcome, ConsoleError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut engine = Engine::new(client, Output::new(output), opts, false);
    let end = match engine.run_reader(input).await? {
        ReaderEnd::Exhausted => SessionEnd::Eof,
        ReaderEnd::Quit => SessionEnd::Quit,
        ReaderEnd::Session(e) => e,
    };
    Ok(ScriptOutcome { end, commands_sent: engine.commands_sent, in_tree: engine.in_tree })
}

/// What one input line asks the caller to do next.
#[derive(Debug)]
pub(crate) enum Flow {
    Continue,
    /// `@quit`: leave the current input level.
    QuitInput,
    /// `@input`: read this file next.
    PushInput(tokio::fs::File, String),
    /// The session is over.
    End(SessionEnd),
}

/// How reading one input (and the files it included) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReaderEnd {
    Exhausted,
    Quit,
    Session(SessionEnd),
}

/// Commands after which cached completion lists may be stale.
const REFRESH_COMMANDS: &[&str] =
    &["reload", "configure", "label", "relabel", "create", "delete", "update", "purge", "add"];

/// The session state machine shared by batch, script and interactive mode.
pub(crate) struct Engine<'c, W> {
    client: &'c mut DirectorClient,
    pub(crate) out: Output<W>,
    opts: ScriptOptions,
    /// Interactive: hold a sub-prompt's question back to use it as the editor prompt.
    interactive: bool,
    separator: Option<char>,
    sub_prompt: bool,
    in_tree: bool,
    prompt_text: String,
    pub(crate) commands_sent: usize,
    refresh_needed: bool,
}

impl<'c, W: AsyncWrite + Unpin> Engine<'c, W> {
    pub(crate) fn new(client: &'c mut DirectorClient, out: Output<W>, opts: ScriptOptions, interactive: bool) -> Self {
        Engine {
            client,
            out,
            opts,
            interactive,
            separator: None,
            sub_prompt: false,
            in_tree: false,
            prompt_text: String::new(),
            commands_sent: 0,
            refresh_needed: false,
        }
    }

    /// The prompt for the next line: `*`, the Director's question after a
    /// sub-prompt (`$ ` in the restore tree).
    pub(crate) fn prompt(&self) -> String {
        if self.sub_prompt {
            if self.prompt_text.is_empty() && self.in_tree { "$ ".into() } else { self.prompt_text.clone() }
        } else if self.in_tree {
            "$ ".into()
        } else {
            "*".into()
        }
    }

    pub(crate) fn in_tree(&self) -> bool {
        self.in_tree
    }

    pub(crate) fn at_sub_prompt(&self) -> bool {
        self.sub_prompt
    }

    /// True once after a command that may have changed resource lists.
    pub(crate) fn take_refresh(&mut self) -> bool {
        std::mem::take(&mut self.refresh_needed)
    }

    /// Read lines from `top` (and the `@input` files it includes) until the end.
    pub(crate) async fn run_reader<R: AsyncBufRead + Unpin>(&mut self, mut top: R) -> Result<ReaderEnd, ConsoleError> {
        let mut files: Vec<(BufReader<tokio::fs::File>, String)> = Vec::new();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = match files.last_mut() {
                Some((f, name)) => match f.read_until(b'\n', &mut buf).await {
                    Ok(n) => n,
                    Err(e) => {
                        let msg = format!("Cannot read file {name}. ERR={}\n", strerror(&e));
                        self.out.write_str(&msg).await?;
                        0
                    }
                },
                None => top.read_until(b'\n', &mut buf).await?,
            };
            if n == 0 {
                if files.pop().is_some() {
                    continue;
                }
                return Ok(ReaderEnd::Exhausted);
            }
            let raw = String::from_utf8_lossy(&buf).into_owned();
            match self.handle_line(&raw, true).await? {
                Flow::Continue => {}
                Flow::PushInput(f, name) => files.push((BufReader::new(f), name)),
                Flow::QuitInput => {
                    if files.pop().is_none() {
                        return Ok(ReaderEnd::Quit);
                    }
                }
                Flow::End(e) => return Ok(ReaderEnd::Session(e)),
            }
        }
    }

    /// Handle one raw input line (newline included when it had one).
    pub(crate) async fn handle_line(&mut self, raw: &str, echo: bool) -> Result<Flow, ConsoleError> {
        if echo && self.opts.echo {
            let at_prompt = !self.sub_prompt && !self.in_tree;
            let prefix = if self.opts.prompt_echo && at_prompt { "*" } else { "" };
            // Transcript mode: a reply without a final newline (JSON) must not swallow
            // the next input line.
            if self.opts.prompt_echo && at_prompt && !self.out.at_line_start() {
                self.out.write_str("\n").await?;
            }
            self.out.write_str(&format!("{prefix}{raw}")).await?;
        }
        let line = raw.trim_end();
        let parts = at_commands::split_commands(line, self.separator);
        let split = parts.len() > 1;
        let mut pushed = None;
        for part in parts {
            let part = if split { part.trim() } else { part };
            match self.exec_one(part).await? {
                Flow::Continue => {}
                Flow::PushInput(f, name) => pushed = Some((f, name)),
                other => return Ok(other),
            }
        }
        Ok(pushed.map(|(f, n)| Flow::PushInput(f, n)).unwrap_or(Flow::Continue))
    }

    async fn exec_one(&mut self, cmd: &str) -> Result<Flow, ConsoleError> {
        if cmd.starts_with('@') {
            return self.at_command(cmd).await;
        }
        self.send(cmd).await
    }

    async fn send(&mut self, cmd: &str) -> Result<Flow, ConsoleError> {
        let was_main = !self.sub_prompt && !self.in_tree;
        self.client.send_command(cmd).await?;
        self.commands_sent += 1;
        if cmd == ".quit" || cmd == ".exit" {
            return Ok(Flow::End(SessionEnd::Quit));
        }
        let reply = match self.opts.timeout {
            Some(d) => match tokio::time::timeout(d, self.client.read_reply()).await {
                Ok(r) => r?,
                Err(_) => {
                    self.out.write_str(&format!("Command timed out after {} seconds.\n", d.as_secs())).await?;
                    return Ok(Flow::End(SessionEnd::TimedOut));
                }
            },
            None => self.client.read_reply().await?,
        };
        for s in &reply.signals {
            match s {
                Signal::StartRtree => self.in_tree = true,
                Signal::EndRtree => self.in_tree = false,
                _ => {}
            }
        }
        let quit_word = was_main && is_quit(cmd);
        let mut text = reply.text;
        match reply.end {
            ReplyEnd::SubPrompt => {
                self.sub_prompt = true;
                self.prompt_text.clear();
                if self.interactive {
                    let cut = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
                    self.prompt_text = text.split_off(cut);
                }
            }
            ReplyEnd::Eod | ReplyEnd::MainPrompt | ReplyEnd::Closed => {
                self.sub_prompt = false;
                self.prompt_text.clear();
                if self.interactive && !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
            }
        }
        self.out.write_str(&text).await?;
        if reply.end == ReplyEnd::Closed {
            return Ok(Flow::End(if quit_word { SessionEnd::Quit } else { SessionEnd::DirectorClosed }));
        }
        if quit_word {
            return Ok(Flow::End(SessionEnd::Quit));
        }
        if was_main && needs_refresh(cmd) {
            self.refresh_needed = true;
        }
        Ok(Flow::Continue)
    }

    /// Send a dot command without printing anything, for completion data in the
    /// restore tree. Returns its text without the trailing prompt, or None when
    /// the reply did not come back to the tree prompt (state is updated then).
    pub(crate) async fn silent_tree_command(&mut self, cmd: &str) -> Result<Option<String>, ConsoleError> {
        let reply = self.client.command(cmd).await?;
        for s in &reply.signals {
            match s {
                Signal::StartRtree => self.in_tree = true,
                Signal::EndRtree => self.in_tree = false,
                _ => {}
            }
        }
        let mut text = reply.text;
        match reply.end {
            ReplyEnd::SubPrompt if self.in_tree => {
                let cut = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
                self.prompt_text = text.split_off(cut);
                Ok(Some(text))
            }
            ReplyEnd::SubPrompt => {
                let cut = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
                self.prompt_text = text.split_off(cut);
                Ok(None)
            }
            _ => {
                self.sub_prompt = false;
                self.prompt_text.clear();
                Ok(None)
            }
        }
    }

    async fn at_command(&mut self, cmd: &str) -> Result<Flow, ConsoleError> {
        let at = at_commands::parse(cmd);
        if self.opts.refuse_unsafe_as_root
            && let Some(def) = at.def()
            && def.unsafe_for_root
            && running_as_root()
        {
            self.out.write_str(&format!("@{} command is not allowed as privileged user.\n", def.name)).await?;
            return Ok(Flow::Continue);
        }
        match at {
            AtCommand::Comment => {}
            AtCommand::Message(m) => self.out.write_str(&m).await?,
            AtCommand::Input { file } => match tokio::fs::File::open(&file).await {
                Ok(f) => return Ok(Flow::PushInput(f, file)),
                Err(e) => {
                    self.out.write_str(&format!("Cannot open file {file} for input. ERR={}\n", strerror(&e))).await?
                }
            },
            AtCommand::Output { target: None, .. } => self.out.close_file(),
            AtCommand::Output { target: Some((file, mode)), tee } => {
                if let Err(e) = self.out.redirect(std::path::Path::new(&file), mode, tee) {
                    self.out.write_str(&format!("Cannot open file {file} for output. ERR={}\n", strerror(&e))).await?;
                }
            }
            AtCommand::Exec { command, wait_seconds } => self.exec(&command, wait_seconds).await?,
            AtCommand::Quit => return Ok(Flow::QuitInput),
            AtCommand::Sleep(n) => tokio::time::sleep(Duration::from_secs(n)).await,
            AtCommand::Time => self.out.write_str(&at_commands::time_text(chrono::Local::now())).await?,
            AtCommand::Version => self.out.write_str(&at_commands::version_text()).await?,
            AtCommand::Echo(words) => self.out.write_str(&at_commands::echo_text(&words)).await?,
            AtCommand::Help => self.out.write_str(&at_commands::help_text()).await?,
            AtCommand::Separator(c) => self.separator = c,
        }
        Ok(Flow::Continue)
    }

    /// `@exec`: run through `sh -c`, print its standard output line by line;
    /// `wait_seconds` > 0 kills it after that long.
    async fn exec(&mut self, command: &str, wait_seconds: u64) -> Result<(), ConsoleError> {
        let spawned = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                self.out.write_str(&format!("Cannot popen(\"{command}\", \"r\"): ERR={}\n", strerror(&e))).await?;
                return Ok(());
            }
        };
        let stdout = child.stdout.take();
        let run = async {
            if let Some(stdout) = stdout {
                let mut r = BufReader::new(stdout);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    if r.read_until(b'\n', &mut buf).await? == 0 {
                        break;
                    }
                    self.out.write_str(&String::from_utf8_lossy(&buf)).await?;
                }
            }
            Ok::<_, ConsoleError>(child.wait().await?)
        };
        let status = if wait_seconds > 0 {
            match tokio::time::timeout(Duration::from_secs(wait_seconds), run).await {
                Ok(s) => Some(s?),
                Err(_) => None,
            }
        } else {
            Some(run.await?)
        };
        let msg = match status {
            Some(s) if s.success() => None,
            Some(s) => match s.code() {
                Some(code) => Some(format!("Child exited with code {code}")),
                None => {
                    use std::os::unix::process::ExitStatusExt;
                    Some(format!("Child died from signal {}", s.signal().unwrap_or(0)))
                }
            },
            None => {
                let _ = child.kill().await;
                Some("Child died from signal 9".to_string())
            }
        };
        if let Some(m) = msg {
            // bconsole's wording (its pipe helper was written for the autochanger).
            self.out.write_str(&format!("Autochanger error: ERR={m}\n")).await?;
        }
        Ok(())
    }
}

/// `quit`/`exit` as a whole command (any case, arguments ignored).
fn is_quit(cmd: &str) -> bool {
    let first = cmd.split_whitespace().next().unwrap_or("");
    first.eq_ignore_ascii_case("quit") || first.eq_ignore_ascii_case("exit")
}

fn needs_refresh(cmd: &str) -> bool {
    let first = cmd.split_whitespace().next().unwrap_or("").to_lowercase();
    first.len() >= 3 && REFRESH_COMMANDS.iter().any(|c| c.starts_with(&first))
}

/// `strerror`-style text: the OS message without Rust's ` (os error N)` suffix.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Effective uid 0? (`/proc/self` is owned by the process's effective uid; no
/// `unsafe` needed.)
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}
