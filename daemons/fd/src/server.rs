//! The file daemon's listener and the director command loop (PROTOCOL.md §5.3),
//! with the storage daemon data session (§5.4).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cairn_config::{FileSetRes, ListenAddr};
use cairn_proto::daemon::{self, DaemonHello};
use cairn_proto::msg::{
    self, msg_type, FdJobCmd, FdJobEnd, Jmsg, LevelCmd, Progress, RecordHeader, RestoreCmd, RestoreTarget, StorageCmd,
};
use cairn_proto::{auth, tls, Conn, Packet, ProtoError, Signal};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backup::{add_accurate_frame, AccurateList, Backup, Estimate, Out, Selection};
use crate::job::JobCtl;
use crate::relocate::{parse_regexwhere, Relocation};
use crate::restore::{InFlight, Piece, Restorer};
use crate::runscript::{ClientScript, Outcome, Phase, SCRIPT_TIMEOUT};
use crate::state::FdState;
use crate::FdError;

/// How long a peer may take to send its Hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the director may stay silent between commands of a job.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3600);
/// Storage daemon replies.
const SD_TIMEOUT: Duration = Duration::from_secs(600);

/// Bind one listen address (no host = all addresses).
pub async fn bind(l: &ListenAddr) -> Result<TcpListener, FdError> {
    let candidates: Vec<String> = match &l.host {
        Some(h) if h.contains(':') && !h.starts_with('[') => vec![format!("[{h}]:{}", l.port)],
        Some(h) => vec![format!("{h}:{}", l.port)],
        None => vec![format!("[::]:{}", l.port), format!("0.0.0.0:{}", l.port)],
    };
    let mut last = None;
    for c in &candidates {
        match TcpListener::bind(c).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some((c.clone(), e)),
        }
    }
    let (addr, source) = last.unwrap_or_else(|| ("?".into(), std::io::Error::other("no address")));
    Err(FdError::Listen { addr, source })
}

/// Serve one accepted connection. Errors end this connection only.
pub async fn handle_connection(state: Arc<FdState>, stream: TcpStream, peer: SocketAddr, token: CancellationToken) {
    let tls = match state.config().client.tls.options().server() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(%peer, error = %e, "TLS set-up failed, closing the connection");
            return;
        }
    };
    let mut c = match tls::accept(stream, &peer.to_string(), tls.as_deref(), "file daemon", HELLO_TIMEOUT).await {
        Ok(tls::Accepted::Conn { conn, .. }) => conn,
        Ok(tls::Accepted::Refused(why)) => {
            tracing::info!(%peer, "{why}");
            return;
        }
        Err(_) => return,
    };
    let first = tokio::select! {
        _ = token.cancelled() => return,
        r = c.recv_timeout(HELLO_TIMEOUT) => r,
    };
    let hello = match first {
        Ok(Some(Packet::Data(b))) => daemon::parse_daemon_hello(&b),
        Ok(None) => return,
        _ => Err(ProtoError::BadHello("signal or bad frame".into())),
    };
    let name = match hello {
        Ok(DaemonHello::Director { name }) => name,
        Ok(DaemonHello::StartJob { job }) => {
            tracing::info!(%peer, %job, "Start Job hello on a file daemon, refused");
            refuse(c).await;
            return;
        }
        Err(e) => {
            tracing::info!(%peer, error = %e, "bad hello, closing");
            refuse(c).await;
            return;
        }
    };
    let cfg = state.config();
    let Some(dir) = cfg.director(&name) else {
        tracing::warn!(%peer, director = %name, "connection from an unknown director refused");
        tokio::time::sleep(Duration::from_millis(200)).await;
        refuse(c).await;
        return;
    };
    if !dir.connection_from_director_to_client {
        // As Bareos: this director may only reach us over the connection we open
        // ourselves (Connection From Client To Director).
        tracing::warn!(%peer, director = %name, "connection from director refused: Connection From Director To Client = no");
        tokio::time::sleep(Duration::from_millis(200)).await;
        refuse(c).await;
        return;
    }
    let key = dir.password.0.clone();
    let own = format!("R_CLIENT::{}", cfg.client.name);
    match tokio::time::timeout(HELLO_TIMEOUT, auth::cram_as_server(&mut c, &key, &own)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(%peer, director = %name, error = %e, "director authentication failed");
            c.close().await;
            return;
        }
        Err(_) => return,
    }
    if c.send_text("2000 OK Hello 54\n").await.is_err() {
        return;
    }
    let monitor = dir.monitor;
    serve_director(state, c, monitor, None, token).await;
}

/// Run the director command loop on an authenticated connection until the
/// director ends it, the connection drops or `token` is cancelled. `first` is a
/// packet already read from the connection (a client-initiated connection reads
/// the director's first command while it waits for work).
pub async fn serve_director(
    state: Arc<FdState>,
    c: Conn,
    monitor: bool,
    first: Option<Packet>,
    token: CancellationToken,
) {
    let mut s = Session::new(state, c, monitor);
    tokio::select! {
        _ = token.cancelled() => {}
        _ = s.run(first) => {}
    }
    if let Some(ctl) = s.job.take() {
        // a session that ended without its job finishing
        s.state.jobs.finish(&ctl, 'f');
    }
}

async fn refuse(mut c: Conn) {
    let _ = c.send_signal(Signal::Terminate).await;
    c.close().await;
}

/// One director connection.
struct Session {
    state: Arc<FdState>,
    dir: Conn,
    monitor: bool,
    job: Option<Arc<JobCtl>>,
    job_name: String,
    level: Option<LevelCmd>,
    fileset: Option<FileSetRes>,
    accurate: Option<AccurateList>,
    sd: Option<Conn>,
    auth_key: String,
    /// Client-side RunScripts of the job (`Run …` lines).
    scripts: Vec<ClientScript>,
    /// The Before (and AfterVSS) scripts have run (`RunBeforeNow` or the data command).
    before_ran: bool,
}

enum Flow {
    Continue,
    End,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Session {
    fn new(state: Arc<FdState>, dir: Conn, monitor: bool) -> Session {
        Session {
            state,
            dir,
            monitor,
            job: None,
            job_name: String::new(),
            level: None,
            fileset: None,
            accurate: None,
            sd: None,
            auth_key: String::new(),
            scripts: Vec::new(),
            before_ran: false,
        }
    }

    async fn run(&mut self, mut first: Option<Packet>) {
        loop {
            let p = match first.take() {
                Some(p) => p,
                None => match self.dir.recv_timeout(COMMAND_TIMEOUT).await {
                    Ok(Some(p)) => p,
                    _ => break,
                },
            };
            let line = match p {
                Packet::Data(b) => String::from_utf8_lossy(&b).trim_end_matches(['\n', '\r', '\0']).to_string(),
                Packet::Signal(Signal::Terminate) => break,
                Packet::Signal(_) => continue,
            };
            match self.command(&line).await {
                Ok(Flow::Continue) => {}
                Ok(Flow::End) => break,
                Err(e) => {
                    tracing::info!(peer = self.dir.peer(), error = %e, "director connection ended");
                    break;
                }
            }
        }
        if let Some(sd) = self.sd.take() {
            sd.close().await;
        }
    }

    async fn send(&mut self, s: impl Into<String>) -> Result<(), ProtoError> {
        self.dir.send_text(s).await
    }

    /// `trace follow` (Cairn extension, PROTOCOL.md §5.3): stream this daemon's
    /// trace lines (at its `setdebug` level), one JSON object per packet, until
    /// the director sends anything or hangs up.
    async fn trace_follow(&mut self, line: &str) -> Result<Flow, ProtoError> {
        if line.split_whitespace().nth(1) != Some("follow") {
            self.send(format!("2902 Bad trace command: {line}\n")).await?;
            return Ok(Flow::Continue);
        }
        let mut rx = self.state.debug.subscribe();
        self.send("2000 OK trace follow\n").await?;
        loop {
            tokio::select! {
                p = self.dir.recv() => match p {
                    Ok(Some(Packet::Signal(Signal::Heartbeat))) => self.dir.send_signal(Signal::HbResponse).await?,
                    _ => return Ok(Flow::End),
                },
                l = rx.recv() => match l {
                    Ok(l) => self.send(format!("{}\n", l.to_json())).await?,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        self.send(format!("{{\"lagged\":{n}}}\n")).await?
                    }
                    Err(_) => return Ok(Flow::End),
                },
            }
        }
    }

    async fn jmsg(&mut self, t: u32, text: String) -> Result<(), ProtoError> {
        let jobid = self.job.as_ref().map(|j| j.job_id).unwrap_or(0);
        let line = cairn_proto::msg::job_line(&self.state.config().client.name, jobid, t, &text);
        let j = Jmsg { job: self.job_name.clone(), msg_type: t, time: now(), text: line };
        self.dir.send_text(j.to_string()).await
    }

    async fn progress(&mut self, ctl: &JobCtl) -> Result<(), ProtoError> {
        let p = Progress {
            job: self.job_name.clone(),
            files: JobCtl::get(&ctl.files),
            bytes: JobCtl::get(&ctl.bytes),
            read_bytes: Some(JobCtl::get(&ctl.read_bytes)),
        };
        self.dir.send_text(p.to_string()).await
    }

    /// Read data frames until EOD.
    async fn read_block(&mut self) -> Result<Vec<Bytes>, ProtoError> {
        let mut out = Vec::new();
        loop {
            match self.dir.recv_timeout(COMMAND_TIMEOUT).await? {
                Some(Packet::Data(b)) => out.push(b),
                Some(Packet::Signal(Signal::Eod)) => return Ok(out),
                Some(Packet::Signal(Signal::Terminate)) | None => return Err(ProtoError::Closed),
                Some(Packet::Signal(_)) => {}
            }
        }
    }

    async fn command(&mut self, line: &str) -> Result<Flow, ProtoError> {
        tracing::debug!(peer = self.dir.peer(), "<< {}", cairn_runtime::trace::redact(line.trim_end()));
        let word = line.split(' ').next().unwrap_or_default();
        if self.monitor && !matches!(word, "status" | ".status") {
            self.send("2997 Invalid command for a Director with Monitor directive enabled.\n").await?;
            return Ok(Flow::Continue);
        }
        if line.starts_with("JobId=") {
            return self.job_cmd(line).await;
        }
        match word {
            "level" => match LevelCmd::parse(line) {
                Ok(l) => {
                    if let Some(ctl) = &self.job {
                        ctl.set_level(match &l {
                            LevelCmd::Full { .. } => "Full",
                            LevelCmd::Since { .. } => "Incremental",
                        });
                    }
                    self.level = Some(l);
                    self.send("2000 OK level\n").await?;
                }
                Err(_) => self.send(format!("2902 Bad level command: {line}\n")).await?,
            },
            "fileset" => {
                let frames = self.read_block().await?;
                let text: Vec<u8> = frames.concat();
                match serde_json::from_slice::<FileSetRes>(&text) {
                    Ok(fs) => {
                        self.fileset = Some(fs);
                        self.send("2000 OK include\n").await?;
                    }
                    Err(e) => self.send(format!("2902 Bad fileset: {e}\n")).await?,
                }
            }
            "accurate" => {
                let frames = self.read_block().await?;
                let mut list = AccurateList::with_capacity(frames.len());
                let mut bad = 0;
                for f in &frames {
                    if !add_accurate_frame(&mut list, f) {
                        bad += 1;
                    }
                }
                let expected: Option<usize> = msg::kv(line).get("files").and_then(|v| v.parse().ok());
                self.accurate = Some(list);
                self.send("2000 OK accurate\n").await?;
                if bad > 0 {
                    self.jmsg(msg_type::WARNING, format!("{bad} malformed entries in the accurate list were ignored.\n")).await?;
                }
                if let Some(n) = expected
                    && n != frames.len()
                {
                    self.jmsg(
                        msg_type::WARNING,
                        format!("Accurate list: {} files received, only {n} were anticipated.\n", frames.len()),
                    )
                    .await?;
                }
            }
            "storage" => match StorageCmd::parse(line) {
                Ok(s) => self.storage(s).await?,
                Err(_) => self.send(format!("2902 Bad storage command: {line}\n")).await?,
            },
            "backup" => return self.backup().await,
            "Run" => match ClientScript::parse(line) {
                Ok(script) => {
                    self.scripts.push(script);
                    self.send("2000 OK RunScript\n").await?;
                }
                Err(e) => {
                    // the reply first: the director is waiting for it
                    self.send("2905 Failed RunScript\n").await?;
                    return self.fatal(format!("{e}\n")).await;
                }
            },
            "RunBeforeNow" => {
                // Bareos directors ask for the Before scripts here; Cairn's run
                // them when the backup/restore command arrives.
                if self.run_before_scripts(false).await? {
                    self.send("2000 OK RunBeforeNow\n").await?;
                } else {
                    self.send("2905 Failed RunScript\n").await?;
                    return self.end_job('f').await;
                }
            }
            "estimate" => {
                let listing = msg::kv(line).get("listing").map(|v| v == "1").unwrap_or(false);
                self.estimate(listing).await?;
            }
            "restore" => match RestoreCmd::parse(line) {
                Ok(r) => return self.restore(r).await,
                Err(_) => self.send(format!("2902 Bad restore command: {line}\n")).await?,
            },
            "trace" => return self.trace_follow(line).await,
            _ if word.starts_with("setdebug=") => {
                let reply = setdebug_reply(&self.state.debug, line);
                self.send(reply).await?;
            }
            "status" | ".status" => {
                let text = crate::status::status_text(&self.state);
                for l in text.split_inclusive('\n') {
                    self.dir.feed(Packet::text(l)).await?;
                }
                self.dir.send_signal(Signal::Eod).await?;
            }
            "cancel" => {
                let m = msg::kv(line);
                match m.get("Job") {
                    Some(j) if self.state.jobs.cancel(j) => self.send(format!("2001 Job {j} marked to be canceled.\n")).await?,
                    Some(j) => self.send(format!("2901 Job {j} not found.\n")).await?,
                    None => self.send("2902 Error scanning cancel command.\n").await?,
                }
            }
            "quit" | "exit" => return Ok(Flow::End),
            "" => {}
            _ => self.send(format!("2902 Error scanning command: {}\n", line.chars().take(100).collect::<String>())).await?,
        }
        Ok(Flow::Continue)
    }

    async fn job_cmd(&mut self, line: &str) -> Result<Flow, ProtoError> {
        let j = match FdJobCmd::parse(line) {
            Ok(j) => j,
            Err(_) => {
                self.send("2902 Bad Job command.\n").await?;
                return Ok(Flow::Continue);
            }
        };
        let ctl = Arc::new(JobCtl::new(j.job_id, j.job.clone()));
        self.state.jobs.register(ctl.clone());
        if let Some(old) = self.job.replace(ctl) {
            self.state.jobs.finish(&old, 'A');
        }
        self.job_name = j.job;
        self.auth_key = j.authorization;
        self.scripts.clear();
        self.before_ran = false;
        self.send(format!("2000 OK Job Cairn {} {}\n", cairn_types::CAIRN_VERSION, os_info())).await?;
        Ok(Flow::Continue)
    }

    async fn storage(&mut self, s: StorageCmd) -> Result<(), ProtoError> {
        if self.job.is_none() {
            return self.send("2902 Bad storage: no job\n").await;
        }
        let cfg = self.state.config();
        let own = format!("R_CLIENT::{}", cfg.client.name);
        let timeout = Duration::from_secs(cfg.client.sd_connect_timeout.clamp(1, 1800));
        let hello = daemon::start_job_hello(&self.job_name);
        let tls = match cfg.client.tls.options().client() {
            Ok(t) => t,
            Err(e) => return self.send(format!("2902 Bad storage: {e}\n")).await,
        };
        match daemon::dial_tls(&s.address, s.port, &hello, &self.auth_key, &own, None, timeout, tls.as_deref()).await {
            Ok((c, _)) => {
                self.sd = Some(c);
                self.send("2000 OK storage\n").await
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot connect to the storage daemon");
                self.send(format!("2902 Bad storage: {e}\n")).await
            }
        }
    }

    fn selection(&self) -> Selection {
        match &self.level {
            Some(LevelCmd::Since { since, mtime_only, .. }) => Selection { since: Some(*since), mtime_only: *mtime_only },
            Some(LevelCmd::Full { mtime_only, .. }) => Selection { since: None, mtime_only: *mtime_only },
            None => Selection { since: None, mtime_only: false },
        }
    }

    fn accurate_mode(&self) -> bool {
        matches!(self.level, Some(LevelCmd::Full { accurate: true, .. }) | Some(LevelCmd::Since { accurate: true, .. }))
    }

    async fn end_job(&mut self, status: char) -> Result<Flow, ProtoError> {
        if self.job.is_none() {
            return Ok(Flow::End);
        }
        // As Bareos: the After scripts see the job's outcome and may still fail it.
        let job_ok = matches!(status, 'T' | 'W');
        let status = if self.run_scripts(Phase::After, job_ok, true).await? || !job_ok { status } else { 'E' };
        let Some(ctl) = self.job.take() else { return Ok(Flow::End) };
        let end = FdJobEnd {
            status,
            files: JobCtl::get(&ctl.files),
            read_bytes: JobCtl::get(&ctl.read_bytes),
            bytes: JobCtl::get(&ctl.bytes),
            errors: JobCtl::get(&ctl.errors),
        };
        self.state.jobs.finish(&ctl, status);
        self.send(end.to_string()).await?;
        self.dir.send_signal(Signal::Terminate).await?;
        Ok(Flow::End)
    }

    fn term_status(ctl: &JobCtl, fatal: bool) -> char {
        if ctl.canceled() {
            'A'
        } else if fatal {
            'f'
        } else if JobCtl::get(&ctl.errors) > 0 {
            'W'
        } else {
            'T'
        }
    }

    async fn fatal(&mut self, text: String) -> Result<Flow, ProtoError> {
        self.jmsg(msg_type::FATAL, text).await?;
        self.end_job('f').await
    }

    /// The Before scripts, then the AfterVSS ones, once per job. False when one
    /// failed with AbortOnError (the job must fail).
    async fn run_before_scripts(&mut self, keepalive: bool) -> Result<bool, ProtoError> {
        if self.before_ran {
            return Ok(true);
        }
        self.before_ran = true;
        let ok = self.run_scripts(Phase::Before, true, keepalive).await?;
        Ok(ok && self.run_scripts(Phase::AfterVss, true, keepalive).await?)
    }

    /// Before the data: run the Before scripts; when one fails the job, drop the
    /// storage daemon connection (no session is open yet) and end the job.
    async fn before_data(&mut self) -> Result<Option<Flow>, ProtoError> {
        if self.run_before_scripts(true).await? {
            return Ok(None);
        }
        if let Some(mut sd) = self.sd.take() {
            let _ = sd.send_signal(Signal::Terminate).await;
            sd.close().await;
        }
        let client = self.state.config().client.name.clone();
        Ok(Some(self.fatal(format!("Client \"{client}\" RunScript failed.\n")).await?))
    }

    /// Run the job's scripts of one phase, in order; `job_ok` is the job's state so
    /// far (a script failing with AbortOnError turns it to failed for the rest).
    /// Output lines go to the director as job messages `<label>: <line>`. Returns
    /// false when a script failed with AbortOnError. `keepalive`: send Progress
    /// lines while a script runs (not while the director waits for a reply).
    async fn run_scripts(&mut self, phase: Phase, job_ok: bool, keepalive: bool) -> Result<bool, ProtoError> {
        let label = phase.label();
        let mut ok = job_ok;
        let mut aborted = false;
        let scripts = self.scripts.clone();
        for s in scripts {
            if !s.runs(phase, ok) {
                continue;
            }
            self.jmsg(msg_type::INFO, format!("shell command: run {label} \"{}\"\n", s.command)).await?;
            let (tx, mut rx) = mpsc::channel::<String>(64);
            let mut run = Box::pin(crate::runscript::run(&s.command, SCRIPT_TIMEOUT, tx));
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let outcome = loop {
                tokio::select! {
                    o = &mut run => break o,
                    Some(l) = rx.recv() => self.jmsg(msg_type::INFO, format!("{label}: {l}\n")).await?,
                    _ = tick.tick() => {
                        let ctl = self.job.clone();
                        if ctl.as_ref().is_some_and(|c| c.canceled()) {
                            break Outcome::Failed("the job was canceled".into());
                        }
                        if keepalive && let Some(c) = ctl {
                            self.progress(&c).await?;
                        }
                    }
                }
            };
            // the script is over (or killed: dropping `run` kills the child); flush its output
            drop(run);
            while let Ok(l) = rx.try_recv() {
                self.jmsg(msg_type::INFO, format!("{label}: {l}\n")).await?;
            }
            if let Some(err) = outcome.error() {
                let t = if s.abort_on_error { msg_type::ERROR } else { msg_type::WARNING };
                self.jmsg(t, format!("Runscript: {label} {err}\n")).await?;
                if s.abort_on_error {
                    ok = false;
                    aborted = true;
                }
            }
        }
        Ok(!aborted)
    }

    async fn backup(&mut self) -> Result<Flow, ProtoError> {
        let Some(ctl) = self.job.clone() else {
            self.send("2902 Bad backup command: no job\n").await?;
            return Ok(Flow::Continue);
        };
        ctl.set_kind("Backup");
        let Some(fs) = self.fileset.clone() else { return self.fatal("No FileSet was sent.\n".into()).await };
        if let Some(flow) = self.before_data().await? {
            return Ok(flow);
        }
        let Some(mut sd) = self.sd.take() else {
            return self.fatal("No storage daemon connection for the backup.\n".into()).await;
        };
        let ticket = match sd_open(&mut sd, "append open session\n").await {
            Ok(t) => t,
            Err(e) => return self.fatal(format!("Storage daemon refused the session: {e}\n")).await,
        };
        if let Err(e) = sd_expect(&mut sd, &format!("append data {ticket}\n"), "3000 OK data").await {
            return self.fatal(format!("Storage daemon refused the data: {e}\n")).await;
        }
        self.send("2000 OK backup\n").await?;

        let compiled = match tokio::task::spawn_blocking(move || crate::fileset::compile(&fs)).await {
            Ok(c) => c,
            Err(e) => return self.fatal(format!("FileSet compilation failed: {e}\n")).await,
        };
        for w in &compiled.warnings {
            self.jmsg(msg_type::WARNING, w.clone()).await?;
        }
        let sel = self.selection();
        let accurate = if self.accurate_mode() { Some(self.accurate.take().unwrap_or_default()) } else { None };
        let (tx, mut rx) = mpsc::channel::<Out>(8);
        let wctl = ctl.clone();
        let worker = std::thread::Builder::new().name(format!("fd-backup-{}", ctl.job_id)).stack_size(64 << 20).spawn(
            move || {
                let mut v = Backup::new(tx, wctl, sel, accurate);
                crate::walk::walk(&compiled, &mut v);
                v.finish();
            },
        );
        if let Err(e) = worker {
            return self.fatal(format!("Cannot start the backup thread: {e}\n")).await;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let mut sd_error: Option<String> = None;
        loop {
            tokio::select! {
                item = rx.recv() => match item {
                    Some(Out::Packets(v)) => {
                        if sd_error.is_some() { continue; }
                        let mut res = Ok(());
                        for p in v {
                            res = sd.feed(p).await;
                            if res.is_err() { break; }
                        }
                        if res.is_ok() && rx.is_empty() {
                            res = sd.flush().await;
                        }
                        if let Err(e) = res {
                            sd_error = Some(e.to_string());
                            ctl.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    Some(Out::Log(t, text)) => self.jmsg(t, text).await?,
                    None => break,
                },
                _ = tick.tick() => self.progress(&ctl).await?,
            }
        }
        if sd_error.is_none() {
            // an EOD right after the last record's EOD ends the data
            let r = async {
                sd.send_signal(Signal::Eod).await.map_err(|e| e.to_string())?;
                sd_line(&mut sd, "3000 OK append data").await?;
                sd_expect(&mut sd, &format!("append end session {ticket}\n"), "3000 OK end").await?;
                sd_expect(&mut sd, &format!("append close session {ticket}\n"), "3000 OK close").await?;
                let _ = sd.send_signal(Signal::Terminate).await;
                Ok::<(), String>(())
            }
            .await;
            if let Err(e) = r {
                sd_error = Some(e);
            }
        }
        sd.close().await;
        if let Some(e) = &sd_error {
            // a canceled job also stops the sender; only report real errors
            if !ctl.canceled() || !e.is_empty() {
                self.jmsg(msg_type::FATAL, format!("Network error with the storage daemon: {e}\n")).await?;
            }
        }
        self.progress(&ctl).await?;
        let status = Self::term_status(&ctl, sd_error.is_some());
        self.end_job(status).await
    }

    async fn estimate(&mut self, listing: bool) -> Result<(), ProtoError> {
        let Some(fs) = self.fileset.clone() else {
            return self.send("2902 Bad estimate: no FileSet\n").await;
        };
        let ctl = self.job.clone().unwrap_or_else(|| Arc::new(JobCtl::new(0, "estimate".into())));
        ctl.set_kind("Estimate");
        let sel = self.selection();
        let accurate = if self.accurate_mode() { self.accurate.clone() } else { None };
        let (tx, mut rx) = mpsc::channel::<String>(64);
        let wctl = ctl.clone();
        let worker = tokio::task::spawn_blocking(move || {
            let compiled = crate::fileset::compile(&fs);
            let mut send = |l: String| {
                let _ = tx.blocking_send(l);
            };
            let listing_fn: Option<&mut dyn FnMut(String)> = if listing { Some(&mut send) } else { None };
            let mut v = Estimate::new(wctl, sel, accurate, listing_fn);
            crate::walk::walk(&compiled, &mut v);
            (v.files, v.bytes)
        });
        while let Some(l) = rx.recv().await {
            self.dir.feed(Packet::text(l)).await?;
        }
        let (files, bytes) = worker.await.unwrap_or((0, 0));
        self.send(msg::estimate_ok(files, bytes)).await
    }

    async fn restore(&mut self, r: RestoreCmd) -> Result<Flow, ProtoError> {
        let Some(ctl) = self.job.clone() else {
            self.send("2902 Bad restore command: no job\n").await?;
            return Ok(Flow::Continue);
        };
        ctl.set_kind("Restore");
        ctl.set_level("");
        let reloc = match &r.target {
            RestoreTarget::Where(w) => Relocation::Where(w.into()),
            RestoreTarget::RegexWhere(x) => match parse_regexwhere(x) {
                Ok(rules) => Relocation::Regex(rules),
                Err(e) => {
                    self.send("2000 OK restore\n").await?;
                    return self.fatal(format!("Bad regexwhere: {e}\n")).await;
                }
            },
        };
        self.send("2000 OK restore\n").await?;
        if let Some(flow) = self.before_data().await? {
            return Ok(flow);
        }
        let Some(mut sd) = self.sd.take() else {
            return self.fatal("No storage daemon connection for the restore.\n".into()).await;
        };
        let ticket = match sd_open(&mut sd, "read open session\n").await {
            Ok(t) => t,
            Err(e) => return self.fatal(format!("Storage daemon refused the session: {e}\n")).await,
        };
        if let Err(e) = sd_expect(&mut sd, &format!("read data {ticket}\n"), "3000 OK data").await {
            return self.fatal(format!("Storage daemon refused the data: {e}\n")).await;
        }
        // Stream: every frame goes to the writer thread as it arrives, in bounded
        // batches; a file is never held whole (restore.rs, "Streaming").
        let in_flight = Arc::new(InFlight::default());
        let (mut feeder, mut pieces) = crate::restore::pipeline(in_flight.clone());
        let (log_tx, mut log_rx) = mpsc::unbounded_channel::<Out>();
        let wctl = ctl.clone();
        let (replace, prelinks) = (r.replace, r.prelinks);
        let worker = tokio::task::spawn_blocking(move || {
            let mut rs = Restorer::new(reloc, replace, prelinks, wctl, log_tx);
            crate::restore::write_all(&mut pieces, &mut rs, &in_flight);
            rs.finish();
        });
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let mut in_record = false;
        let mut sd_error: Option<String> = None;
        loop {
            tokio::select! {
                p = sd.recv_timeout(SD_TIMEOUT) => {
                    let piece = match p {
                        Ok(Some(Packet::Data(b))) if in_record => Some(Piece::Frame(b)),
                        Ok(Some(Packet::Data(b))) => match RecordHeader::parse(&b) {
                            Ok(h) => {
                                in_record = true;
                                Some(Piece::Start { file_index: h.file_index, stream: h.stream })
                            }
                            Err(e) => { sd_error = Some(e.to_string()); break; }
                        },
                        Ok(Some(Packet::Signal(Signal::Eod))) if in_record => {
                            in_record = false;
                            Some(Piece::End)
                        }
                        Ok(Some(Packet::Signal(Signal::Eod))) => break,
                        Ok(Some(Packet::Signal(Signal::Heartbeat))) | Ok(Some(Packet::Signal(Signal::HbResponse))) => None,
                        Ok(Some(Packet::Signal(s))) => { sd_error = Some(format!("unexpected signal {}", s.name())); break; }
                        Ok(None) => { sd_error = Some("connection closed".into()); break; }
                        Err(e) => { sd_error = Some(e.to_string()); break; }
                    };
                    if let Some(piece) = piece
                        && let Err(e) = feeder.push(piece).await
                    {
                        sd_error = Some(e.to_string());
                        break;
                    }
                    if ctl.canceled() { break; }
                }
                Some(Out::Log(t, text)) = log_rx.recv() => self.jmsg(t, text).await?,
                _ = tick.tick() => {
                    // a quiet storage daemon must not leave records waiting in a batch
                    if let Err(e) = feeder.flush().await {
                        sd_error = Some(e.to_string());
                        break;
                    }
                    self.progress(&ctl).await?;
                }
            }
        }
        // the end of the data (or of the session): hand over the last batch
        let last = feeder.flush().await;
        if let Err(e) = last
            && sd_error.is_none()
            && !ctl.canceled()
        {
            sd_error = Some(e.to_string());
        }
        drop(feeder);
        let _ = worker.await;
        while let Ok(Out::Log(t, text)) = log_rx.try_recv() {
            self.jmsg(t, text).await?;
        }
        if sd_error.is_none() && !ctl.canceled() {
            let r = sd_expect(&mut sd, &format!("read close session {ticket}\n"), "3000 OK close").await;
            if let Err(e) = r {
                sd_error = Some(e);
            }
            let _ = sd.send_signal(Signal::Terminate).await;
        }
        sd.close().await;
        if let Some(e) = &sd_error {
            self.jmsg(msg_type::FATAL, format!("Error reading from the storage daemon: {e}\n")).await?;
        }
        self.progress(&ctl).await?;
        let status = Self::term_status(&ctl, sd_error.is_some());
        self.end_job(status).await
    }
}

/// `uname`-like text for the job reply.
fn os_info() -> String {
    match nix::sys::utsname::uname() {
        Ok(u) => format!(
            "{},{},{}",
            u.sysname().to_string_lossy(),
            u.release().to_string_lossy(),
            u.machine().to_string_lossy()
        ),
        Err(_) => std::env::consts::OS.to_string(),
    }
}

async fn sd_line(sd: &mut Conn, want: &str) -> Result<String, String> {
    loop {
        match sd.recv_timeout(SD_TIMEOUT).await {
            Ok(Some(Packet::Data(b))) => {
                let l = String::from_utf8_lossy(&b).into_owned();
                if l.starts_with(want) {
                    return Ok(l);
                }
                return Err(l.trim_end().to_string());
            }
            Ok(Some(Packet::Signal(Signal::Heartbeat))) => continue,
            Ok(Some(Packet::Signal(s))) => return Err(format!("unexpected signal {}", s.name())),
            Ok(None) => return Err("connection closed".into()),
            Err(e) => return Err(e.to_string()),
        }
    }
}

async fn sd_expect(sd: &mut Conn, cmd: &str, want: &str) -> Result<String, String> {
    sd.send_text(cmd.to_string()).await.map_err(|e| e.to_string())?;
    sd_line(sd, want).await
}

/// Send an open-session command and return the ticket.
async fn sd_open(sd: &mut Conn, cmd: &str) -> Result<u64, String> {
    let l = sd_expect(sd, cmd, "3000 OK open ticket = ").await?;
    l.trim_end()
        .rsplit(' ')
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| format!("bad open reply: {}", l.trim_end()))
}

/// `setdebug=N trace=T hangup=H [timestamp=S]` (values -1: unchanged); the reply
/// is Bareos's `2000 OK setdebug=…` (v1 when a timestamp was given).
pub(crate) fn setdebug_reply(debug: &cairn_runtime::trace::DebugHandle, line: &str) -> String {
    let c = match cairn_runtime::trace::parse_setdebug(line) {
        Ok(c) => c,
        Err(_) => return format!("2991 Bad setdebug command: {line}\n"),
    };
    let st = debug.set(c.level, c.trace, c.timestamp);
    let file = st.trace_file.display();
    if c.with_timestamp {
        format!("2000 OK setdebug={} trace={} hangup=0 timestamp={} tracefile={file}\n", st.level, u8::from(st.trace), u8::from(st.timestamp))
    } else {
        format!("2000 OK setdebug={} trace={} hangup=0 tracefile={file}\n", st.level, u8::from(st.trace))
    }
}
