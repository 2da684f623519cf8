//! The job channel (PROTOCOL.md §5.2) and the file daemon's data session (§5.4).
//!
//! Order of events for one job: the director's job command (`JobId=…`) registers
//! the job and is answered with its SDid/SDtime/Authorization; for restores the
//! bootstrap follows; `use storage=…`/`use device=…` lines and `BNET_EOD` reserve a
//! device (waiting for a free one, see [`crate::devices`]); `run` is answered and
//! the SD waits up to `Client Connect Wait` for the file daemon's `Hello Start Job`.
//! The FD's commands are then served until it sends `BNET_TERMINATE` or closes;
//! the SD ends the channel with `3099 Job … end …` and `BNET_EOD`.
//!
//! A `cancel` (on the channel, or `cancel Job=` on another connection) stops the
//! job promptly: an open volume gets its end-of-session label (status `A`) and is
//! reported, the FD connection is closed and the job ends with `JobStatus=65`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn_proto::msg::{self, Jmsg, Progress, RecordHeader, SdJobCmd, SdJobEnd, SdJobOk, UseStorage, msg_type, stream};
use cairn_proto::{Conn, Packet, Signal};
use cairn_types::{JobId, JobLevel, JobType};
use cairn_volume::{SessionKey, SessionLabel};
use tokio_util::sync::CancellationToken;

use crate::SdError;
use crate::append::Appender;
use crate::bsr::Bootstrap;
use crate::devices::{ReserveError, Reserved, UseRequest};
use crate::state::{JobCtl, SdState, lock, now_unix};

/// How long cleanup after a cancel or failure may wait for the director.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Interval of `Progress` messages.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// What job code needs to talk to the director.
pub struct JobIo<'a> {
    pub state: &'a SdState,
    pub ctl: &'a JobCtl,
    pub dir: &'a mut Conn,
    /// Stops waits for the director (the job's token, or a fresh one for cleanup).
    pub cancel: CancellationToken,
}

/// Send a `Jmsg` on the job channel.
pub async fn send_jmsg(io: &mut JobIo<'_>, t: u32, text: &str) -> Result<(), SdError> {
    let line = cairn_proto::msg::job_line(&io.state.cfg.storage.name, io.ctl.job_id, t, text);
    let m = Jmsg { job: io.ctl.job.clone(), msg_type: t, time: now_unix(), text: line };
    io.dir.send_text(m.to_string()).await?;
    Ok(())
}

/// What came in on the job channel.
enum DirEvent {
    Line(String),
    Eod,
    Cancel,
    Closed,
}

async fn next_dir(dir: &mut Conn, cancel: &CancellationToken) -> DirEvent {
    loop {
        let p = tokio::select! {
            _ = cancel.cancelled() => return DirEvent::Cancel,
            p = dir.recv() => p,
        };
        match p {
            Ok(Some(Packet::Data(b))) => {
                let line = String::from_utf8_lossy(&b).trim_end_matches(['\n', '\r', '\0']).to_string();
                if line == "cancel" {
                    cancel.cancel();
                    return DirEvent::Cancel;
                }
                return DirEvent::Line(line);
            }
            Ok(Some(Packet::Signal(Signal::Eod))) => return DirEvent::Eod,
            Ok(Some(Packet::Signal(Signal::Terminate))) | Ok(None) | Err(_) => return DirEvent::Closed,
            Ok(Some(Packet::Signal(_))) => {}
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    status: char,
    errors: u64,
}

impl Outcome {
    fn with(status: char) -> Self {
        Outcome { status, errors: u64::from(status != 'T' && status != 'A') }
    }
}

/// Serve a job channel whose first line was the job command.
pub async fn run_job(state: Arc<SdState>, mut dir: Conn, line: &str) {
    let cmd = match SdJobCmd::parse(line) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(peer = dir.peer(), error = %e, "bad job command");
            let _ = dir.send_text(format!("3915 Failed to parse job command: {e}\n")).await;
            return;
        }
    };
    if state.job(&cmd.job).is_some() {
        let _ = dir.send_text(format!("3915 Job {} is already known to this storage daemon.\n", cmd.job)).await;
        return;
    }
    let ctl = state.register_job(&cmd);
    let fd_rx = ctl.expect_fd();
    let ok = SdJobOk { sd_id: ctl.session_id, sd_time: state.start_time, authorization: ctl.authorization.clone() };
    tracing::info!(job = %cmd.job, job_id = cmd.job_id, session = ctl.session_id, "job registered");
    let mut reserved: Option<Reserved> = None;
    let outcome = if dir.send_text(ok.to_string()).await.is_err() {
        Outcome::with('f')
    } else {
        let mut io = JobIo { state: &state, ctl: &ctl, dir: &mut dir, cancel: ctl.cancel.clone() };
        let o = job_body(&mut io, &cmd, fd_rx, &mut reserved).await;
        if let Err(e) = &o {
            tracing::info!(job = %cmd.job, error = %e, "job ended with an error");
        }
        let out = match o {
            Ok(out) => out,
            Err(SdError::Canceled) => Outcome::with('A'),
            Err(e) => {
                let mut cio = JobIo { state: &state, ctl: &ctl, dir: &mut dir, cancel: CancellationToken::new() };
                let _ = tokio::time::timeout(CLEANUP_TIMEOUT, send_jmsg(&mut cio, msg_type::FATAL, &format!("{e}\n"))).await;
                Outcome::with('f')
            }
        };
        if out.status == 'A' {
            let mut cio = JobIo { state: &state, ctl: &ctl, dir: &mut dir, cancel: CancellationToken::new() };
            let _ = tokio::time::timeout(
                CLEANUP_TIMEOUT,
                send_jmsg(&mut cio, msg_type::INFO, &format!("Job {} marked to be canceled.\n", ctl.job)),
            )
            .await;
        }
        out
    };
    if let Some(r) = reserved.take() {
        state.devices.release(&r);
    }
    let (files, bytes) = {
        let mut s = lock(&ctl.stats);
        s.status = outcome.status;
        (s.files, s.bytes)
    };
    let end = SdJobEnd {
        job: ctl.job.clone(),
        status: outcome.status,
        files,
        bytes,
        errors: outcome.errors,
        vol_session_id: ctl.session_id,
        vol_session_time: state.start_time,
    };
    state.finish_job(&ctl, outcome.status);
    let _ = tokio::time::timeout(CLEANUP_TIMEOUT, async {
        let _ = dir.send_text(end.to_string()).await;
        let _ = dir.send_signal(Signal::Eod).await;
    })
    .await;
    dir.close().await;
    tracing::info!(job = %ctl.job, status = %outcome.status, files, bytes, "job ended");
}

async fn job_body(
    io: &mut JobIo<'_>,
    cmd: &SdJobCmd,
    fd_rx: tokio::sync::oneshot::Receiver<Conn>,
    reserved: &mut Option<Reserved>,
) -> Result<Outcome, SdError> {
    let mut bsr: Option<Bootstrap> = None;
    let mut reqs: Vec<UseRequest> = Vec::new();
    // Set-up phase: bootstrap, use storage/device, run.
    loop {
        match next_dir(io.dir, &io.cancel).await {
            DirEvent::Cancel => return Err(SdError::Canceled),
            DirEvent::Closed => return Err(SdError::Protocol("the director closed the job channel before run".into())),
            DirEvent::Eod => {
                if reqs.is_empty() || reserved.is_some() {
                    continue;
                }
                match reserve(io, &reqs).await? {
                    Some(r) => {
                        io.dir.send_text(msg::use_device_ok(&r.res.name)).await?;
                        *reserved = Some(r);
                    }
                    None => reqs.clear(),
                }
            }
            DirEvent::Line(l) if l == "bootstrap" => {
                let text = read_until_eod(io.dir, &io.cancel).await?;
                match Bootstrap::parse(&text) {
                    Ok(b) => {
                        io.dir.send_text("3000 OK bootstrap\n").await?;
                        bsr = Some(b);
                    }
                    Err(e) => {
                        io.dir.send_text(format!("3904 Error bootstrap: {e}\n")).await?;
                        return Err(e.into());
                    }
                }
            }
            DirEvent::Line(l) if l.starts_with("use storage=") => {
                let u = UseStorage::parse(&l)?;
                reqs.push(UseRequest {
                    storage: u.storage,
                    media_type: u.media_type,
                    pool_name: u.pool_name,
                    pool_type: u.pool_type,
                    append: u.append,
                    devices: Vec::new(),
                });
            }
            DirEvent::Line(l) if l.starts_with("use device=") => {
                let d = msg::parse_use_device(&l)?;
                match reqs.last_mut() {
                    Some(r) => r.devices.push(d),
                    None => io.dir.send_text("3913 use device without use storage.\n").await?,
                }
            }
            DirEvent::Line(l) if l == "run" => {
                if reserved.is_none() {
                    io.dir.send_text("3926 Error: no device reserved for this job.\n").await?;
                    return Err(SdError::Protocol("run before a device was reserved".into()));
                }
                io.dir.send_text("3000 OK run\n").await?;
                break;
            }
            DirEvent::Line(l) => {
                io.dir.send_text(format!("3900 Invalid command: {}\n", l.chars().take(80).collect::<String>())).await?;
            }
        }
    }
    let Some(dev) = reserved.clone() else {
        return Err(SdError::Protocol("no device reserved".into()));
    };
    let req = reqs
        .iter()
        .find(|r| r.media_type == dev.res.media_type)
        .or(reqs.first())
        .cloned()
        .unwrap_or_default();
    lock(&io.ctl.stats).status = 'F';
    let wait = io.state.client_connect_wait();
    let mut fd = tokio::select! {
        r = fd_rx => r.map_err(|_| SdError::Protocol("job hand-over dropped".into()))?,
        _ = tokio::time::sleep(wait) => {
            return Err(SdError::Timeout(format!(
                "the file daemon did not connect for job {} within {} s (Client Connect Wait)",
                io.ctl.job, wait.as_secs()
            )));
        }
        ev = next_dir(io.dir, &io.cancel) => match ev {
            DirEvent::Cancel => return Err(SdError::Canceled),
            _ => return Err(SdError::Protocol("the director closed the job channel while waiting for the file daemon".into())),
        },
    };
    lock(&io.ctl.stats).status = 'R';
    io.dir.send_text(format!("Status Job={} JobStatus={}\n", cairn_proto::auth::bash_spaces(&io.ctl.job), 'R' as u32)).await?;
    let label = session_label(io, cmd, &req);
    let mut sess = Session { dev, req, bsr, label, appender: None, open: None, status: 'T' };
    let r = sess.serve(io, &mut fd).await;
    if let Err(e) = &r {
        // Tell the FD, close any volume cleanly.
        let reason = e.to_string();
        // Mid-read the FD expects records, so only an append session is told why.
        if !matches!(e, SdError::Canceled) && sess.open == Some(true) {
            let _ = tokio::time::timeout(Duration::from_secs(5), fd.send_text(format!("3903 Error append data: {reason}\n"))).await;
        }
        let status = if matches!(e, SdError::Canceled) { 'A' } else { 'f' };
        if let Some(mut a) = sess.appender.take() {
            let mut cio = JobIo { state: io.state, ctl: io.ctl, dir: &mut *io.dir, cancel: CancellationToken::new() };
            if tokio::time::timeout(CLEANUP_TIMEOUT, a.finish(&mut cio, status, 1)).await.is_err() {
                a.abandon(io.state, &io.ctl.job);
            }
        }
    }
    fd.close().await;
    r
}

fn session_label(io: &JobIo<'_>, cmd: &SdJobCmd, req: &UseRequest) -> SessionLabel {
    SessionLabel {
        session: SessionKey { id: io.ctl.session_id, time: io.state.start_time as u32 },
        job_id: JobId(cmd.job_id),
        job: cmd.job.clone(),
        job_name: cmd.job_name.clone(),
        client: cmd.client_name.clone(),
        fileset: cmd.fileset.clone(),
        pool_name: req.pool_name.clone(),
        level: JobLevel::from_code(cmd.level).unwrap_or(JobLevel::Full),
        job_type: JobType::from_code(cmd.job_type).unwrap_or(JobType::Backup),
        start_time: now_unix(),
    }
}

/// Reserve a device for the requests; `None` when none matches (3924 sent).
async fn reserve(io: &mut JobIo<'_>, reqs: &[UseRequest]) -> Result<Option<Reserved>, SdError> {
    let candidates = match io.state.devices.candidates(reqs) {
        Ok(c) => c,
        Err(e) => {
            let name = match e {
                ReserveError::NoDevice(n) => n,
                ReserveError::Canceled => String::new(),
            };
            let name = if name.is_empty() { reqs.first().map(|r| r.storage.clone()).unwrap_or_default() } else { name };
            io.dir
                .send_text(format!(
                    "3924 Device \"{name}\" not in SD Device resources or no matching Media Type or is disabled.\n"
                ))
                .await?;
            return Ok(None);
        }
    };
    let names: Vec<String> = reqs.iter().flat_map(|r| r.devices.iter().cloned()).collect();
    let ctl = io.ctl;
    let state = io.state;
    let job = ctl.job.clone();
    let wait_text = format!(
        "3605 JobId={} Job=\"{}\" waiting for a free device of {} (one job per device)\n",
        ctl.job_id,
        job,
        names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
    );
    let res = {
        let fut = state.devices.reserve(&candidates, &job, &ctl.cancel, || {
            *lock(&ctl.waiting_for) = Some(wait_text.clone());
            lock(&ctl.stats).status = 'q';
        });
        tokio::pin!(fut);
        loop {
            tokio::select! {
                r = &mut fut => break r,
                ev = next_dir(io.dir, &io.cancel) => match ev {
                    DirEvent::Cancel => return Err(SdError::Canceled),
                    DirEvent::Closed => return Err(SdError::Protocol("the director closed the job channel while the job waited for a device".into())),
                    DirEvent::Line(l) => tracing::warn!(%job, line = %l, "ignored while waiting for a device"),
                    DirEvent::Eod => {}
                },
            }
        }
    };
    *lock(&ctl.waiting_for) = None;
    match res {
        Ok(r) => {
            let mut s = lock(&ctl.stats);
            s.device = r.res.name.clone();
            s.pool = reqs.first().map(|q| q.pool_name.clone()).unwrap_or_default();
            Ok(Some(r))
        }
        Err(_) => Err(SdError::Canceled),
    }
}

/// Collect data frames until `BNET_EOD` (the bootstrap text).
async fn read_until_eod(dir: &mut Conn, cancel: &CancellationToken) -> Result<String, SdError> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let p = tokio::select! {
            _ = cancel.cancelled() => return Err(SdError::Canceled),
            p = dir.recv_timeout(Duration::from_secs(300)) => p?,
        };
        match p {
            Some(Packet::Data(b)) => {
                if buf.len() + b.len() > 64 * 1024 * 1024 {
                    return Err(SdError::Protocol("bootstrap larger than 64 MiB".into()));
                }
                buf.extend_from_slice(&b);
            }
            Some(Packet::Signal(Signal::Eod)) => break,
            Some(Packet::Signal(Signal::Terminate)) | None => {
                return Err(SdError::Protocol("the director closed the channel inside the bootstrap".into()));
            }
            Some(Packet::Signal(_)) => {}
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The FD side of a job.
struct Session {
    dev: Reserved,
    req: UseRequest,
    bsr: Option<Bootstrap>,
    label: SessionLabel,
    appender: Option<Appender>,
    /// `Some(true)` = append session open, `Some(false)` = read session open.
    open: Option<bool>,
    status: char,
}

impl Session {
    async fn serve(&mut self, io: &mut JobIo<'_>, fd: &mut Conn) -> Result<Outcome, SdError> {
        let ticket = io.ctl.session_id;
        loop {
            let p = tokio::select! {
                _ = io.cancel.cancelled() => return Err(SdError::Canceled),
                ev = next_dir(io.dir, &io.cancel) => match ev {
                    DirEvent::Cancel => return Err(SdError::Canceled),
                    DirEvent::Closed => return Err(SdError::Protocol("the director closed the job channel".into())),
                    _ => continue,
                },
                p = fd.recv() => p,
            };
            let line = match p {
                Ok(Some(Packet::Data(b))) => String::from_utf8_lossy(&b).trim_end_matches(['\n', '\r', '\0']).to_string(),
                Ok(Some(Packet::Signal(Signal::Terminate))) | Ok(None) => break,
                Ok(Some(Packet::Signal(Signal::Heartbeat))) => {
                    fd.send_signal(Signal::HbResponse).await?;
                    continue;
                }
                Ok(Some(Packet::Signal(_))) => continue,
                Err(e) => return Err(SdError::Protocol(format!("file daemon connection: {e}"))),
            };
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["append", "open", "session", ..] | ["read", "open", "session", ..] => {
                    if self.open.is_some() {
                        fd.send_text("3901 Error session already open\n").await?;
                        continue;
                    }
                    self.open = Some(words[0] == "append");
                    fd.send_text(format!("3000 OK open ticket = {ticket}\n")).await?;
                }
                ["append", "data", ..] => {
                    if self.open != Some(true) {
                        fd.send_text("3902 Error session not opened\n").await?;
                        continue;
                    }
                    self.append_data(io, fd).await?;
                }
                ["append", "end", "session", ..] => {
                    if self.open != Some(true) {
                        fd.send_text("3902 Error session not opened\n").await?;
                        continue;
                    }
                    fd.send_text("3000 OK end\n").await?;
                }
                ["append", "close", "session", ..] => {
                    if self.open != Some(true) {
                        fd.send_text("3902 Error session not opened\n").await?;
                        continue;
                    }
                    self.open = None;
                    fd.send_text(format!("3000 OK close Status = {}\n", self.status as u32)).await?;
                }
                ["read", "data", ..] => {
                    if self.open != Some(false) {
                        fd.send_text("3902 Error session not opened\n").await?;
                        continue;
                    }
                    let Some(bsr) = self.bsr.clone() else {
                        fd.send_text("3903 Error read data: no bootstrap was sent for this job\n").await?;
                        return Err(SdError::Protocol("read data without a bootstrap".into()));
                    };
                    crate::read::read_data(io, fd, &bsr, &self.dev).await?;
                }
                ["read", "close", "session", ..] => {
                    if self.open != Some(false) {
                        fd.send_text("3902 Error session not opened\n").await?;
                        continue;
                    }
                    self.open = None;
                    fd.send_text("3000 OK close\n").await?;
                }
                _ => {
                    fd.send_text("3900 Invalid command\n").await?;
                }
            }
        }
        Ok(Outcome { status: self.status, errors: 0 })
    }

    /// `append data`: mount a volume, take records until the double EOD.
    async fn append_data(&mut self, io: &mut JobIo<'_>, fd: &mut Conn) -> Result<(), SdError> {
        if self.appender.is_some() {
            fd.send_text("3903 Error append data: data already received for this session\n").await?;
            return Ok(());
        }
        let mut a = Appender::new(
            self.dev.clone(),
            &self.req.pool_name,
            &self.req.pool_type,
            &self.req.media_type,
            self.label.clone(),
        );
        if let Err(e) = a.start(io).await {
            a.abandon(io.state, &io.ctl.job);
            return Err(e);
        }
        self.appender = Some(a);
        fd.send_text("3000 OK data\n").await?;
        let mut cur: Option<(RecordHeader, u32)> = None;
        let mut last_progress = Instant::now();
        let job = io.ctl.job.clone();
        loop {
            let p = tokio::select! {
                biased;
                _ = io.cancel.cancelled() => return Err(SdError::Canceled),
                ev = next_dir(io.dir, &io.cancel) => match ev {
                    DirEvent::Cancel => return Err(SdError::Canceled),
                    DirEvent::Closed => return Err(SdError::Protocol("the director closed the job channel".into())),
                    _ => continue,
                },
                p = fd.recv() => p,
            };
            let Some(a) = self.appender.as_mut() else {
                return Err(SdError::Protocol("no appender".into()));
            };
            match p {
                Ok(Some(Packet::Data(frame))) => match cur.as_mut() {
                    None => {
                        let h = RecordHeader::parse(&frame)?;
                        if h.file_index <= 0 {
                            return Err(SdError::Protocol(format!("record with FileIndex {}", h.file_index)));
                        }
                        cur = Some((h, 0));
                    }
                    Some((h, frames)) => {
                        *frames += 1;
                        let (fi, st) = (h.file_index, h.stream);
                        let files_before = a.files;
                        a.write(io, fi, st, &frame).await?;
                        if st == stream::UNIX_ATTRIBUTES || stream::is_digest(st) {
                            let mut out = msg::updcat_prefix(&job, fi, st).into_bytes();
                            out.extend_from_slice(&frame);
                            io.dir.feed(Packet::Data(out.into())).await?;
                        }
                        io.ctl.add(a.files - files_before, frame.len() as u64);
                    }
                },
                Ok(Some(Packet::Signal(Signal::Eod))) => match cur.take() {
                    Some((h, 0)) => {
                        // A record without payload frames: keep it as an empty record.
                        a.write(io, h.file_index, h.stream, &[]).await?;
                    }
                    Some(_) => {}
                    None => break,
                },
                Ok(Some(Packet::Signal(Signal::Heartbeat))) => fd.send_signal(Signal::HbResponse).await?,
                Ok(Some(Packet::Signal(Signal::Terminate))) | Ok(None) => {
                    return Err(SdError::Protocol("the file daemon closed the connection in the middle of the data".into()));
                }
                Ok(Some(Packet::Signal(_))) => {}
                Err(e) => return Err(SdError::Protocol(format!("file daemon connection: {e}"))),
            }
            if last_progress.elapsed() >= PROGRESS_EVERY {
                last_progress = Instant::now();
                send_progress(io).await?;
            }
        }
        io.dir.flush().await?;
        if let Some(mut a) = self.appender.take() {
            a.finish(io, 'T', 0).await?;
        }
        send_progress(io).await?;
        fd.send_text("3000 OK append data\n").await?;
        Ok(())
    }
}

async fn send_progress(io: &mut JobIo<'_>) -> Result<(), SdError> {
    let (files, bytes) = {
        let mut s = lock(&io.ctl.stats);
        let now = Instant::now();
        if let Some((b0, t0)) = s.last_sample {
            let dt = now.duration_since(t0).as_secs_f64();
            if dt > 0.0 {
                s.last_rate = ((s.bytes.saturating_sub(b0)) as f64 / dt) as u64;
            }
        }
        s.last_sample = Some((s.bytes, now));
        (s.files, s.bytes)
    };
    let p = Progress { job: io.ctl.job.clone(), files, bytes, read_bytes: None };
    io.dir.send_text(p.to_string()).await?;
    Ok(())
}
