//! RunScripts: `Command =` programs and `Console =` director commands run before
//! and after a job, with Bareos's `%` substitutions. Director-side scripts run
//! here; client-side ones (`Runs On Client = yes`) are sent to the file daemon.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use cairn_config::{RunScript, RunScriptCommand, RunsWhen};
use cairn_types::{JobStatus, MsgType};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::report;
use super::JobControl;
use crate::state::DirState;

/// How long a script may run before it is killed.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(3600);

/// The values `%` codes stand for.
#[derive(Debug, Clone, Default)]
pub struct JobVars {
    pub jobid: u32,
    pub job: String,
    pub name: String,
    pub client: String,
    pub client_address: String,
    pub level: String,
    pub job_type: String,
    pub exit_status: String,
    pub files: u64,
    pub bytes: u64,
    pub fileset: String,
    pub pool: String,
    pub storage: String,
    pub since: String,
    pub read_volumes: String,
    pub write_volumes: String,
    pub director: String,
    pub spooling: bool,
}

/// Bareos's human byte size (`1.2 MB`).
fn human(n: u64) -> String {
    const U: [&str; 7] = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < U.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 { format!("{n} B") } else { format!("{v:.1} {}", U[i]) }
}

/// Replace the `%` codes of features.md §5.7; unknown codes stay as written and
/// unavailable values become `*None*`.
pub fn substitute(t: &str, v: &JobVars) -> String {
    let none = |s: &str| if s.is_empty() { "*None*".to_string() } else { s.to_string() };
    let mut out = String::with_capacity(t.len());
    let mut it = t.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(&k) = it.peek() else {
            out.push('%');
            break;
        };
        let rep = match k {
            '%' => Some("%".to_string()),
            'b' => Some(v.bytes.to_string()),
            'B' => Some(human(v.bytes)),
            'c' => Some(none(&v.client)),
            'd' | 'D' => Some(v.director.clone()),
            'e' => Some(none(&v.exit_status)),
            'f' => Some(none(&v.fileset)),
            'F' => Some(v.files.to_string()),
            'h' => Some(none(&v.client_address)),
            'i' => Some(v.jobid.to_string()),
            'j' => Some(none(&v.job)),
            'l' => Some(none(&v.level)),
            'n' => Some(none(&v.name)),
            'N' | 'O' => Some("*None*".to_string()),
            'p' => Some(none(&v.pool)),
            'P' => Some(std::process::id().to_string()),
            's' => Some(none(&v.since)),
            't' => Some(none(&v.job_type)),
            'v' => Some(none(&v.read_volumes)),
            'V' => Some(none(&v.write_volumes)),
            'w' => Some(none(&v.storage)),
            'x' => Some(if v.spooling { "yes" } else { "no" }.to_string()),
            'C' => Some("no".to_string()),
            _ => None,
        };
        match rep {
            Some(r) => {
                out.push_str(&r);
                it.next();
            }
            None => out.push('%'),
        }
    }
    out
}

pub use cairn_runtime::command::split_command;

/// Run one external command; returns (exit code, output lines).
pub async fn run_command(cmd: &str) -> Result<(i32, Vec<String>), String> {
    let words = split_command(cmd);
    let Some((prog, args)) = words.split_first() else { return Err("empty command".into()) };
    let mut child = tokio::process::Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run \"{prog}\": {e}"))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let read = async {
        let mut lines = Vec::new();
        if let Some(o) = stdout {
            let mut r = BufReader::new(o).lines();
            while let Ok(Some(l)) = r.next_line().await {
                lines.push(l);
            }
        }
        if let Some(e) = stderr {
            let mut r = BufReader::new(e).lines();
            while let Ok(Some(l)) = r.next_line().await {
                lines.push(l);
            }
        }
        lines
    };
    let res = tokio::time::timeout(SCRIPT_TIMEOUT, async {
        let lines = read.await;
        let st = child.wait().await;
        (st, lines)
    })
    .await;
    match res {
        Ok((Ok(st), lines)) => Ok((st.code().unwrap_or(-1), lines)),
        Ok((Err(e), _)) => Err(e.to_string()),
        Err(_) => Err(format!("timed out after {SCRIPT_TIMEOUT:?}")),
    }
}

/// Build the substitution values for a job.
pub fn vars(state: &DirState, ctl: &JobControl, status: Option<JobStatus>) -> JobVars {
    let cfg = state.config();
    let spec = ctl.spec();
    let client = spec.client.clone().unwrap_or_default();
    JobVars {
        jobid: ctl.jobid,
        job: ctl.job.clone(),
        name: spec.name.clone(),
        client_address: cfg.client(&client).map(|c| c.address.clone()).unwrap_or_default(),
        client,
        level: spec.level.long_name().trim().to_string(),
        job_type: spec.job_type.long_name().to_string(),
        exit_status: status.map(|s| s.wait_word().to_string()).unwrap_or_default(),
        files: ctl.files.load(std::sync::atomic::Ordering::Relaxed),
        bytes: ctl.bytes.load(std::sync::atomic::Ordering::Relaxed),
        fileset: spec.fileset.clone().unwrap_or_default(),
        pool: spec.pool.clone().unwrap_or_default(),
        storage: spec.storage.clone().unwrap_or_default(),
        since: String::new(),
        read_volumes: String::new(),
        write_volumes: ctl.volumes.lock().map(|v| v.join("|")).unwrap_or_default(),
        director: cfg.director.name.clone(),
        spooling: false,
    }
}

/// Which phase is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Before,
    After,
}

/// The RunScripts of a job that run now on the director (client-side ones are
/// returned separately for the file daemon).
pub fn scripts_for(state: &DirState, ctl: &JobControl, phase: Phase, status: Option<JobStatus>) -> (Vec<RunScript>, Vec<RunScript>) {
    let cfg = state.config();
    let spec = ctl.spec();
    let Some(job) = cfg.job(&spec.name) else { return (Vec::new(), Vec::new()) };
    let ok = status.map(|s| s.is_ok()).unwrap_or(true);
    let mut dir = Vec::new();
    let mut client = Vec::new();
    for rs in &job.run_scripts {
        let when_ok = match (phase, rs.runs_when) {
            (Phase::Before, RunsWhen::Before | RunsWhen::Always) => true,
            (Phase::After, RunsWhen::After | RunsWhen::Always) => (ok && rs.runs_on_success) || (!ok && rs.runs_on_failure),
            _ => false,
        };
        if !when_ok {
            continue;
        }
        if rs.runs_on_client {
            // Console commands always run in the director; programs go to the client.
            let (cons, progs): (Vec<_>, Vec<_>) =
                rs.commands.iter().cloned().partition(|c| matches!(c, RunScriptCommand::Console(_)));
            if !cons.is_empty() {
                dir.push(RunScript { commands: cons, ..rs.clone() });
            }
            if !progs.is_empty() {
                client.push(RunScript { commands: progs, ..rs.clone() });
            }
        } else {
            dir.push(rs.clone());
        }
    }
    (dir, client)
}

/// Run director-side scripts. Returns false when one failed and has
/// `Fail Job On Error = yes` (the job must fail).
pub async fn run_director_scripts(state: &Arc<DirState>, ctl: &JobControl, phase: Phase, status: Option<JobStatus>) -> bool {
    let (dir, _client) = scripts_for(state, ctl, phase, status);
    let label = match phase {
        Phase::Before => "BeforeJob",
        Phase::After => "AfterJob",
    };
    let v = vars(state, ctl, status);
    let mut ok = true;
    for rs in dir {
        for cmd in &rs.commands {
            match cmd {
                RunScriptCommand::Command(c) => {
                    let line = substitute(c, &v);
                    report::job_msg(state, ctl, MsgType::Info, &format!("{label}: run command \"{line}\"\n")).await;
                    match run_command(&line).await {
                        Ok((code, lines)) => {
                            for l in lines {
                                report::job_msg(state, ctl, MsgType::Info, &format!("{label}: {l}\n")).await;
                            }
                            if code != 0 {
                                let ty = if rs.fail_job_on_error { MsgType::Error } else { MsgType::Warning };
                                report::job_msg(state, ctl, ty, &format!("Runscript: {label} returned non-zero status={code}. ERR=Child exited with code {code}\n")).await;
                                if rs.fail_job_on_error {
                                    ok = false;
                                }
                            }
                        }
                        Err(e) => {
                            let ty = if rs.fail_job_on_error { MsgType::Error } else { MsgType::Warning };
                            report::job_msg(state, ctl, ty, &format!("Runscript: {label} could not execute. ERR={e}\n")).await;
                            if rs.fail_job_on_error {
                                ok = false;
                            }
                        }
                    }
                }
                RunScriptCommand::Console(c) => {
                    let line = substitute(c, &v);
                    report::job_msg(state, ctl, MsgType::Info, &format!("{label}: console command: {line}\n")).await;
                    let (text, good) = crate::ua::run_script_console(state, &line).await;
                    for l in text.lines() {
                        report::job_msg(state, ctl, MsgType::Info, &format!("{label}: {l}\n")).await;
                    }
                    if !good && rs.fail_job_on_error {
                        ok = false;
                    }
                }
            }
            if !ok {
                return false;
            }
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions() {
        let v = JobVars {
            jobid: 7,
            job: "backup.2026-01-01_00.00.00_01".into(),
            name: "backup".into(),
            client: "fd1".into(),
            level: "Full".into(),
            job_type: "Backup".into(),
            exit_status: "OK".into(),
            files: 12,
            bytes: 1_234_567,
            director: "bareos-dir".into(),
            ..Default::default()
        };
        assert_eq!(substitute("%i %j %n %c %l %t %e %F %b %%", &v), "7 backup.2026-01-01_00.00.00_01 backup fd1 Full Backup OK 12 1234567 %");
        assert_eq!(substitute("%B %d %v %q %", &v), "1.2 MB bareos-dir *None* %q %");
    }

    #[test]
    fn command_splitting() {
        assert_eq!(split_command("echo 'a b' \"c d\" e\\ f"), vec!["echo", "a b", "c d", "e f"]);
        assert_eq!(split_command("  sh -c 'exit 3'  "), vec!["sh", "-c", "exit 3"]);
        assert!(split_command("").is_empty());
    }
}

/// The `Run …` lines that hand client-side RunScripts to the file daemon
/// (PROTOCOL.md §5.3): `Run OnSuccess= OnFailure= AbortOnError= When= Command=`.
pub fn client_script_lines(state: &DirState, ctl: &JobControl) -> Vec<String> {
    let cfg = state.config();
    let spec = ctl.spec();
    let Some(job) = cfg.job(&spec.name) else { return Vec::new() };
    let v = vars(state, ctl, None);
    let mut lines = Vec::new();
    for rs in job.run_scripts.iter().filter(|r| r.runs_on_client) {
        // Bareos `lib/runscript.h` bits: After = 1, Before = 2, AfterVSS = 4.
        let when = match rs.runs_when {
            RunsWhen::Before => 2,
            RunsWhen::After => 1,
            RunsWhen::Always => 3,
            RunsWhen::AfterVSS => 4,
            RunsWhen::Never => continue,
        };
        for c in &rs.commands {
            if let RunScriptCommand::Command(cmd) = c {
                lines.push(format!(
                    "Run OnSuccess={} OnFailure={} AbortOnError={} When={when} Command={}\n",
                    u8::from(rs.runs_on_success),
                    u8::from(rs.runs_on_failure),
                    u8::from(rs.fail_job_on_error),
                    cairn_proto::auth::bash_spaces(&substitute(cmd, &v))
                ));
            }
        }
    }
    lines
}
