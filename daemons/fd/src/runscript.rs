//! Client-side RunScripts (PROTOCOL.md §5.3): the director hands each command of
//! a `Runs On Client = yes` RunScript over as a `Run …` line (its `%` codes
//! already substituted); the file daemon runs it before the job's data
//! (`ClientBeforeJob`, then `ClientAfterVSS`) or after it (`ClientAfterJob`).
//!
//! As in Bareos: no shell (the command is split into words, see
//! [`cairn_runtime::command::split_command`]), stdin is `/dev/null`, every output
//! line becomes a job message `<label>: <line>`, a non-zero exit is reported and,
//! with `AbortOnError=1`, fails the job. Unlike Bareos, a script is killed after
//! [`SCRIPT_TIMEOUT`] (Bareos waits forever) and when the job is canceled; stdout
//! and stderr are both captured (Bareos reads stdout only).

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// How long one client script may run before it is killed (and reported as a
/// failure). Bareos has no limit; six hours is the director's job idle timeout.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// Output lines longer than this are cut into several messages.
pub const MAX_LINE: usize = 4096;

/// `When=` bits of the `Run` line (Bareos `lib/runscript.h`).
pub mod when {
    pub const AFTER: u32 = 1;
    pub const BEFORE: u32 = 2;
    /// Windows: after the VSS snapshot, before the data. Cairn has no snapshot
    /// and runs these right after the Before scripts.
    pub const AFTER_VSS: u32 = 4;
}

/// A malformed `Run` line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Bad RunScript command: {0}")]
pub struct RunScriptError(pub String);

/// One client-side script of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientScript {
    pub on_success: bool,
    pub on_failure: bool,
    pub abort_on_error: bool,
    /// Bit set of [`when`].
    pub when: u32,
    /// The command line, unbashed.
    pub command: String,
}

/// When scripts run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Before,
    AfterVss,
    After,
}

impl Phase {
    /// The Bareos label, which prefixes the scripts' output lines.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Before => "ClientBeforeJob",
            Phase::AfterVss => "ClientAfterVSS",
            Phase::After => "ClientAfterJob",
        }
    }
    fn bit(self) -> u32 {
        match self {
            Phase::Before => when::BEFORE,
            Phase::AfterVss => when::AFTER_VSS,
            Phase::After => when::AFTER,
        }
    }
}

impl ClientScript {
    /// Parse `Run OnSuccess=<n> OnFailure=<n> AbortOnError=<n> When=<n> Command=<bashed>`.
    pub fn parse(line: &str) -> Result<ClientScript, RunScriptError> {
        let bad = || RunScriptError(line.trim_end_matches(['\n', '\r', '\0']).chars().take(200).collect());
        let l = line.trim_end_matches(['\n', '\r', '\0']);
        let rest = l.strip_prefix("Run ").ok_or_else(bad)?;
        let mut nums = [0i64; 4];
        let mut rest = rest;
        for (i, key) in ["OnSuccess=", "OnFailure=", "AbortOnError=", "When="].iter().enumerate() {
            let r = rest.strip_prefix(key).ok_or_else(bad)?;
            let (v, tail) = r.split_once(' ').ok_or_else(bad)?;
            nums[i] = v.parse().map_err(|_| bad())?;
            rest = tail;
        }
        let cmd = rest.strip_prefix("Command=").ok_or_else(bad)?;
        let command = cairn_proto::auth::unbash_spaces(cmd);
        if command.trim().is_empty() || nums[3] < 0 || nums[3] > i64::from(u32::MAX) {
            return Err(bad());
        }
        Ok(ClientScript {
            on_success: nums[0] != 0,
            on_failure: nums[1] != 0,
            abort_on_error: nums[2] != 0,
            when: nums[3] as u32,
            command,
        })
    }

    /// Whether the script runs in `phase` while the job is (still) successful
    /// (`ok`), as Bareos's `RunScripts` decides it.
    pub fn runs(&self, phase: Phase, ok: bool) -> bool {
        self.when & phase.bit() != 0 && ((self.on_success && ok) || (self.on_failure && !ok))
    }
}

/// How a script ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Exited(ExitStatus),
    /// Could not be started, or failed while running (timeout, I/O).
    Failed(String),
}

impl Outcome {
    /// Bareos's `ERR=` text of a failure; `None` for a zero exit.
    pub fn error(&self) -> Option<String> {
        match self {
            Outcome::Exited(s) if s.success() => None,
            Outcome::Exited(s) => Some(match (s.code(), s.signal()) {
                (Some(c), _) => format!("returned non-zero status={c}. ERR=Child exited with code {c}"),
                (None, Some(sig)) => format!("returned non-zero status={}. ERR=Child died from signal {sig}", 128 + sig),
                (None, None) => "returned non-zero status=-1. ERR=Unknown error".to_string(),
            }),
            Outcome::Failed(e) => Some(format!("could not execute. ERR={e}")),
        }
    }
}

/// Run `command` without a shell; every output line (stdout and stderr) goes to
/// `lines`. The child is killed when the future is dropped or after `timeout`.
pub async fn run(command: &str, timeout: Duration, lines: mpsc::Sender<String>) -> Outcome {
    let words = cairn_runtime::command::split_command(command);
    let Some((prog, args)) = words.split_first() else { return Outcome::Failed("empty command".into()) };
    let mut child = match tokio::process::Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("cannot run \"{prog}\": {e}")),
    };
    let out = child.stdout.take();
    let err = child.stderr.take();
    let res = tokio::time::timeout(timeout, async {
        tokio::join!(forward(out, lines.clone()), forward(err, lines));
        child.wait().await
    })
    .await;
    match res {
        Ok(Ok(st)) => Outcome::Exited(st),
        Ok(Err(e)) => Outcome::Failed(e.to_string()),
        Err(_) => {
            let _ = child.kill().await;
            Outcome::Failed(format!("killed after {} s (the client script timeout)", timeout.as_secs()))
        }
    }
}

/// Send a stream's lines (lossy UTF-8, trailing white space stripped, cut at
/// [`MAX_LINE`]) until its end.
async fn forward<R: AsyncRead + Unpin>(r: Option<R>, tx: mpsc::Sender<String>) {
    let Some(r) = r else { return };
    let mut r = BufReader::new(r);
    let mut line: Vec<u8> = Vec::new();
    let mut receiver_gone = false;
    loop {
        let buf = match r.fill_buf().await {
            Ok(b) if !b.is_empty() => b,
            _ => break,
        };
        // Never more than the room left in the line, newline or not (a long
        // line arriving in one read is cut at MAX_LINE like one arriving in pieces).
        let room = MAX_LINE.saturating_sub(line.len()).max(1);
        let (take, eol) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) if i < room => (i + 1, true),
            _ => (buf.len().min(room), false),
        };
        line.extend_from_slice(&buf[..take]);
        r.consume(take);
        if (eol || line.len() >= MAX_LINE) && !receiver_gone {
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            receiver_gone = tx.send(text).await.is_err();
        }
        if eol || line.len() >= MAX_LINE {
            line.clear();
        }
    }
    if !line.is_empty() && !receiver_gone {
        let _ = tx.send(String::from_utf8_lossy(&line).trim_end().to_string()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_run_line() -> Result<(), RunScriptError> {
        let s = ClientScript::parse("Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=2 Command=sh\u{1}-c\u{1}'echo\u{1}hi'\n")?;
        assert_eq!(
            s,
            ClientScript { on_success: true, on_failure: false, abort_on_error: true, when: when::BEFORE, command: "sh -c 'echo hi'".into() }
        );
        assert!(s.runs(Phase::Before, true));
        assert!(!s.runs(Phase::After, true));
        assert!(!s.runs(Phase::Before, false));
        // Always = Before|After; on failure only
        let s = ClientScript::parse("Run OnSuccess=0 OnFailure=1 AbortOnError=0 When=3 Command=/bin/true")?;
        assert!(s.runs(Phase::After, false) && !s.runs(Phase::After, true) && !s.runs(Phase::Before, true));
        assert!(!s.abort_on_error);
        let s = ClientScript::parse("Run OnSuccess=1 OnFailure=1 AbortOnError=0 When=4 Command=x")?;
        assert!(s.runs(Phase::AfterVss, true) && !s.runs(Phase::Before, true) && !s.runs(Phase::After, true));
        for bad in [
            "Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=2 Command=",
            "Run OnSuccess=1 OnFailure=0 AbortOnError=1 Command=x",
            "Run OnSuccess=yes OnFailure=0 AbortOnError=1 When=2 Command=x",
            "Run OnFailure=0 OnSuccess=1 AbortOnError=1 When=2 Command=x",
            "Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=-1 Command=x",
            "RunBeforeNow",
            "Run",
        ] {
            let e = ClientScript::parse(bad).err();
            assert_eq!(e.map(|e| e.to_string()), Some(format!("Bad RunScript command: {bad}")), "{bad}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn runs_without_a_shell_and_captures_output() {
        let (tx, mut rx) = mpsc::channel(16);
        let o = run("sh -c 'echo out; echo err >&2; exit 3' ignored", Duration::from_secs(30), tx).await;
        assert_eq!(o.error().as_deref(), Some("returned non-zero status=3. ERR=Child exited with code 3"));
        let mut got = Vec::new();
        while let Ok(l) = rx.try_recv() {
            got.push(l);
        }
        got.sort();
        assert_eq!(got, vec!["err", "out"]);
        // `;` and `$` are not special without a shell
        let (tx, mut rx) = mpsc::channel(16);
        let o = run("echo a;b $HOME", Duration::from_secs(30), tx).await;
        assert_eq!(o.error(), None);
        assert_eq!(rx.try_recv().ok().as_deref(), Some("a;b $HOME"));
        let (tx, _rx) = mpsc::channel(16);
        let o = run("/nonexistent/cairn-script", Duration::from_secs(30), tx).await;
        assert!(o.error().is_some_and(|e| e.starts_with("could not execute. ERR=cannot run")), "{o:?}");
        let (tx, _rx) = mpsc::channel(16);
        let o = run("sleep 30", Duration::from_millis(200), tx).await;
        assert!(o.error().is_some_and(|e| e.contains("killed after")), "{o:?}");
    }

    #[tokio::test]
    async fn long_and_binary_lines_are_cut_and_made_valid() {
        let (tx, mut rx) = mpsc::channel(16);
        let cmd = format!("sh -c 'head -c {} /dev/zero | tr \"\\\\000\" x; printf \"\\\\377\\\\n\"'", MAX_LINE + 10);
        let o = run(&cmd, Duration::from_secs(30), tx).await;
        assert_eq!(o.error(), None);
        let a = rx.try_recv().unwrap_or_default();
        let b = rx.try_recv().unwrap_or_default();
        assert_eq!(a.len(), MAX_LINE);
        assert_eq!(b, format!("{}\u{fffd}", "x".repeat(10)));
    }
}
